// Shared TLS contexts and session resumption, against the in-process emulator: what the
// server saw (its handshake counters) and what the client reports (client_stats).
#include "harness.hpp"

#include "http/tls.hpp"

#include <openssl/ssl.h>

#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

using apig::test::options_for;
using apig::test::run;

namespace {

// Options whose every request takes a new connection (closed after one request).
apig::client_options one_request_per_connection(apig::client_options o) {
    o.pool.max_requests_per_connection = 1;
    return o;
}

// Runs `n` calls on `c`, one after the other.
void call(boost::asio::io_context& io, apig::client& c, int n) {
    for (int i = 0; i < n; ++i) (void)run(io, c.list_instances({.offset = 0, .limit = 1}));
}

std::string temp_path(char const* name) {
    return (std::filesystem::temp_directory_path() / (std::string("apig-tls-") + std::to_string(::getpid()) + "-" + name))
        .string();
}

// Writes `text` to `path` by a rename over it (as an editor saving a file does).
void replace_file(std::string const& path, std::string const& text) {
    std::string const tmp = path + ".new";
    std::ofstream(tmp, std::ios::binary | std::ios::trunc) << text;
    std::filesystem::rename(tmp, path);
}

void check_second_connection_resumes(int max_tls_version, bool tickets = true) {
    apig::emulator::server srv(
        {.instance_count = 5, .max_tls_version = max_tls_version, .session_tickets = tickets});
    boost::asio::io_context io;
    apig::client c(io.get_executor(), one_request_per_connection(options_for(srv)));
    call(io, c, 3);
    CHECK(srv.handshakes() == 3);
    CHECK(srv.resumed_handshakes() == 2);
    auto const s = c.stats();
    CHECK(s.created == 3);
    CHECK(s.handshakes == 3);
    CHECK(s.resumed_handshakes == 2);
}

}  // namespace

TEST_CASE("TLS 1.3: the second connection of a client resumes the first one's session") {
    check_second_connection_resumes(TLS1_3_VERSION);
}

TEST_CASE("TLS 1.2: the second connection of a client resumes the first one's session") {
    check_second_connection_resumes(TLS1_2_VERSION);
}

TEST_CASE("TLS 1.2 without session tickets: the client resumes by session id, the same session again") {
    // A TLS 1.2 session id may be offered more than once (unlike a TLS 1.3 ticket): the
    // second and third connections both resume the first one's session.
    check_second_connection_resumes(TLS1_2_VERSION, false);
}

TEST_CASE("TLS 1.3 without session tickets (OpenSSL's stateful tickets): resumed too") {
    check_second_connection_resumes(TLS1_3_VERSION, false);
}

TEST_CASE("session_resumption = false: every handshake is a full one") {
    apig::emulator::server srv({.instance_count = 5});
    auto o = one_request_per_connection(options_for(srv));
    o.tls.session_resumption = false;
    boost::asio::io_context io;
    apig::client c(io.get_executor(), o);
    call(io, c, 3);
    CHECK(srv.handshakes() == 3);
    CHECK(srv.resumed_handshakes() == 0);
    CHECK(c.stats().handshakes == 3);
    CHECK(c.stats().resumed_handshakes == 0);
}

TEST_CASE("clients with equal TLS options share one context, and so its sessions") {
    apig::emulator::server srv({.instance_count = 5});
    auto const o = one_request_per_connection(options_for(srv));
    CHECK(apig::http::shared_client_context(o.tls) == apig::http::shared_client_context(o.tls));
    boost::asio::io_context io;
    apig::client a(io.get_executor(), o);
    call(io, a, 1);
    apig::client b(io.get_executor(), o);
    call(io, b, 1);  // its first connection resumes a's session
    CHECK(b.stats().handshakes == 1);
    CHECK(b.stats().resumed_handshakes == 1);
    CHECK(srv.resumed_handshakes() == 1);
}

TEST_CASE("a session is offered only to the same host name and TLS name") {
    apig::emulator::server srv({.instance_count = 5});
    auto const o = one_request_per_connection(options_for(srv));
    boost::asio::io_context io;
    apig::client a(io.get_executor(), o);
    call(io, a, 1);

    SUBCASE("another host name for the same address and port") {
        auto other = o;
        other.endpoint = "https://localhost:" + std::to_string(srv.port());
        apig::client b(io.get_executor(), other);
        call(io, b, 2);
        CHECK(b.stats().handshakes == 2);
        CHECK(b.stats().resumed_handshakes == 1);  // only its own second connection
    }
    SUBCASE("another tls.server_name (SNI and the name checked)") {
        auto other = o;
        other.tls.server_name = "localhost";
        apig::client b(io.get_executor(), other);
        call(io, b, 1);
        CHECK(b.stats().resumed_handshakes == 0);
    }
    SUBCASE("other CA options") {
        auto other = o;
        other.tls.use_system_trust_store = true;  // also trust the system: another context
        apig::client b(io.get_executor(), other);
        call(io, b, 1);
        CHECK(b.stats().resumed_handshakes == 0);
    }
}

TEST_CASE("an extra CA does not enter the shared system trust store") {
    apig::emulator::server srv({.instance_count = 5});
    auto with_ca = options_for(srv);
    with_ca.tls.use_system_trust_store = true;
    auto ctx = apig::http::shared_client_context(with_ca.tls);
    CHECK(SSL_CTX_get_cert_store(ctx->native_handle()) != apig::http::system_trust_store());
    (void)apig::test::list_once(srv, {.offset = 0, .limit = 1}, with_ca);

    auto system_only = options_for(srv);
    system_only.tls.use_system_trust_store = true;
    system_only.tls.ca_pem.clear();
    auto shared = apig::http::shared_client_context(system_only.tls);
    CHECK(SSL_CTX_get_cert_store(shared->native_handle()) == apig::http::system_trust_store());
    auto const e = apig::test::list_error(system_only);
    CHECK(e.code() == apig::errc::tls_verification_failed);
}

TEST_CASE("an edited ca_file is read again; an unchanged one is not") {
    apig::emulator::server first({.instance_count = 5});
    apig::emulator::server second({.instance_count = 5});
    std::string const path = temp_path("ca.pem");
    replace_file(path, first.ca_pem());

    apig::tls_options t;
    t.use_system_trust_store = false;
    t.ca_file = path;
    auto const before = apig::http::shared_client_context(t);
    CHECK(apig::http::shared_client_context(t) == before);  // unchanged: the same context

    auto o = options_for(second);
    o.tls = t;
    CHECK(apig::test::list_error(o).code() == apig::errc::tls_verification_failed);

    replace_file(path, second.ca_pem());
    CHECK(apig::http::shared_client_context(t) != before);
    auto const page = apig::test::list_once(second, {.offset = 0, .limit = 1}, o);
    CHECK(page.instances.size() == 1);

    std::filesystem::remove(path);
    CHECK_THROWS_AS(apig::http::shared_client_context(t), apig::api_error);
}
