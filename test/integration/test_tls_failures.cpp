// Servers whose TLS must be refused. Each is refused during the handshake
// with a typed error whose message names OpenSSL's reason, and not one application byte (no
// request line, no token) reaches the server. A control beside each refusal shows that the
// same server is otherwise usable, so the refusal is for the reason named.
#include "certs.hpp"
#include "harness.hpp"
#include "plain_server.hpp"
#include "retry_detail.hpp"  // test seams

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include <sys/stat.h>

namespace asio = boost::asio;
using apig::test::run;
using apig::test::script_server;
using std::chrono::milliseconds;

namespace {

std::string const good_page = R"({"total":1,"size":1,"instances":[{"id":"i-1"}]})";
std::string const good_page_response = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                                       std::to_string(good_page.size()) + "\r\n\r\n" + good_page;

// A TLS server presenting `m` that answers its first request with a page.
struct tls_server {
    explicit tls_server(apig::emulator::tls_material const& m)
        : srv({{good_page_response}}, apig::test::certs::server_context(m)) {}
    script_server srv;
};

// A client of `srv` trusting only `ca_pem`. Retries stay on (their waits skipped), so a test
// also sees whether a refusal is retried.
apig::client_options options_for(script_server const& srv, std::string ca_pem) {
    apig::client_options o;
    o.endpoint = srv.endpoint();
    o.project_id = "p1";
    o.credentials = apig::token_credentials{"tok-tls-secret"};
    o.tls.use_system_trust_store = false;
    o.tls.ca_pem = std::move(ca_pem);
    o.timeouts.handshake = milliseconds(5000);
    apig::detail::seams(o.retry).sleep = [](milliseconds) -> asio::awaitable<void> { co_return; };
    return o;
}

// The refusal the certificate rows expect: tls_verification_failed naming OpenSSL's reason,
// never retried, and nothing sent.
void refused_for(script_server const& srv, apig::client_options o, std::string const& reason) {
    auto e = apig::test::list_error(std::move(o));
    std::string const what = e.what();
    CAPTURE(what);
    CHECK(e.code() == apig::errc::tls_verification_failed);
    CHECK(what.find("TLS certificate verification failed for 127.0.0.1") != std::string::npos);
    CHECK(what.find(reason) != std::string::npos);
    CHECK(what.find("tok-tls-secret") == std::string::npos);
    CHECK(e.http_status() == 0);
    CHECK(e.info().attempts == 1);
    CHECK(srv.connections() == 1);
    CHECK(srv.handshakes() == 0);
    CHECK(srv.bytes_received() == 0);
    CHECK(srv.received().empty());
}

// The control: the same server, trusted the right way, answers the call.
void accepted_with(script_server const& srv, apig::client_options o) {
    asio::io_context io;
    apig::client c(io.get_executor(), std::move(o));
    auto page = run(io, c.list_instances({}));
    REQUIRE(page.instances.size() == 1);
    CHECK(page.instances[0].id == "i-1");
    CHECK(srv.received().size() == 1);
}

}  // namespace

TEST_CASE("TLS: expired certificate") {
    // CA and server certificate both valid from 48 h ago to 24 h ago.
    auto const m = apig::emulator::make_tls_material(
        {.not_before_offset = std::chrono::hours(-48), .validity = std::chrono::hours(24)});
    tls_server s(m);
    refused_for(s.srv, options_for(s.srv, m.ca_cert_pem), "certificate has expired");
    auto o = options_for(s.srv, m.ca_cert_pem);
    o.tls.insecure_skip_verify = true;
    accepted_with(s.srv, o);
}

TEST_CASE("TLS: certificate not yet valid") {
    auto const m = apig::emulator::make_tls_material({.not_before_offset = std::chrono::hours(24)});
    tls_server s(m);
    refused_for(s.srv, options_for(s.srv, m.ca_cert_pem), "certificate is not yet valid");
}

TEST_CASE("TLS: wrong host") {
    auto const m = apig::emulator::make_tls_material({.dns_names = {"other.example"}, .ip_addresses = {"10.9.8.7"}});
    tls_server s(m);
    SUBCASE("connecting by IP address") {
        refused_for(s.srv, options_for(s.srv, m.ca_cert_pem), "IP address mismatch");
    }
    SUBCASE("connecting by another host name (tls.server_name)") {
        auto o = options_for(s.srv, m.ca_cert_pem);
        o.tls.server_name = "apig.example";
        auto e = apig::test::list_error(o);
        CHECK(e.code() == apig::errc::tls_verification_failed);
        CHECK(std::string(e.what()).find("TLS certificate verification failed for apig.example: hostname mismatch") !=
              std::string::npos);
        CHECK(s.srv.connections() == 1);
        CHECK(s.srv.bytes_received() == 0);
        CHECK(s.srv.received().empty());
        o.tls.server_name = "other.example";  // the name on the certificate: accepted
        accepted_with(s.srv, o);
    }
}

TEST_CASE("TLS: self-signed certificate without the CA") {
    auto const m = apig::emulator::make_tls_material({.self_signed = true});
    tls_server s(m);
    SUBCASE("trusting another CA") {
        refused_for(s.srv, options_for(s.srv, apig::emulator::make_tls_material().ca_cert_pem), "self-signed certificate");
        accepted_with(s.srv, options_for(s.srv, m.server_cert_pem));  // trusting the certificate itself
    }
    SUBCASE("the system trust store") {
        auto o = options_for(s.srv, "");
        o.tls.use_system_trust_store = true;
        refused_for(s.srv, o, "self-signed certificate");
    }
}

TEST_CASE("TLS: certificate from an unknown CA") {
    // Also: test_client.cpp "a certificate from an unknown CA is refused before any request"
    // (the emulator; this one also proves that no byte arrives).
    auto const m = apig::emulator::make_tls_material();
    tls_server s(m);
    refused_for(s.srv, options_for(s.srv, apig::emulator::make_tls_material().ca_cert_pem),
                "unable to get local issuer certificate");
    accepted_with(s.srv, options_for(s.srv, m.ca_cert_pem));
}

TEST_CASE("TLS: a server offering only TLS 1.0/1.1") {
    auto const m = apig::emulator::make_tls_material();
    script_server srv({{good_page_response}}, apig::test::certs::legacy_server_context(m));

    auto e = apig::test::list_error(options_for(srv, m.ca_cert_pem));
    std::string const what = e.what();
    CAPTURE(what);
    CHECK(e.code() == apig::errc::tls_handshake_failed);
    CHECK(what.find("TLS handshake with 127.0.0.1 failed") != std::string::npos);
    CHECK((what.find("unsupported protocol") != std::string::npos ||
           what.find("protocol version") != std::string::npos));
    CHECK(e.http_status() == 0);
    CHECK(e.info().attempts == 1);  // the server's definitive answer: not retried
    CHECK(srv.connections() == static_cast<std::size_t>(e.info().attempts));  // one handshake an attempt
    CHECK(srv.handshakes() == 0);
    CHECK(srv.bytes_received() == 0);
    CHECK(srv.received().empty());

    // The control: a client that still allows TLS 1.1 (and security level 0) gets TLS 1.1 from
    // this server, so it does offer the old versions and nothing newer.
    asio::io_context io;
    asio::ssl::context legacy(asio::ssl::context::tls_client);
    SSL_CTX_set_security_level(legacy.native_handle(), 0);
    REQUIRE(SSL_CTX_set_cipher_list(legacy.native_handle(), "DEFAULT:@SECLEVEL=0") == 1);
    REQUIRE(SSL_CTX_set_min_proto_version(legacy.native_handle(), TLS1_VERSION) == 1);
    legacy.set_verify_mode(asio::ssl::verify_none);
    asio::ssl::stream<asio::ip::tcp::socket> old(io, legacy);
    old.next_layer().connect({asio::ip::make_address("127.0.0.1"), srv.port()});
    old.handshake(asio::ssl::stream_base::client);
    CHECK(SSL_version(old.native_handle()) == TLS1_1_VERSION);
}

// A certificate whose only name is its subject CN. RFC 6125 (6.4.4) and the
// CA/Browser Forum baseline requirements put the names in subjectAltName; browsers, Go and
// curl no longer fall back to the CN. The same names in a subjectAltName are accepted.
TEST_CASE("TLS: a certificate without subjectAltName is refused (its CN is not checked)") {
    SUBCASE("CN=localhost, connecting as localhost") {
        auto const m = apig::emulator::make_tls_material(
            {.dns_names = {"localhost"}, .ip_addresses = {}, .subject_alt_name = false});
        tls_server s(m);
        auto o = options_for(s.srv, m.ca_cert_pem);
        o.tls.server_name = "localhost";
        auto e = apig::test::list_error(o);
        std::string const what = e.what();
        CAPTURE(what);
        CHECK(e.code() == apig::errc::tls_verification_failed);
        CHECK(what.find("TLS certificate verification failed for localhost: hostname mismatch") != std::string::npos);
        CHECK(e.info().attempts == 1);
        CHECK(s.srv.handshakes() == 0);
        CHECK(s.srv.bytes_received() == 0);

        auto const with_san = apig::emulator::make_tls_material({.dns_names = {"localhost"}, .ip_addresses = {}});
        tls_server control(with_san);
        auto oc = options_for(control.srv, with_san.ca_cert_pem);
        oc.tls.server_name = "localhost";
        accepted_with(control.srv, oc);
    }
    SUBCASE("CN=127.0.0.1, connecting by IP address") {
        auto const m = apig::emulator::make_tls_material(
            {.dns_names = {}, .ip_addresses = {"127.0.0.1"}, .subject_alt_name = false});
        tls_server s(m);
        refused_for(s.srv, options_for(s.srv, m.ca_cert_pem), "IP address mismatch");

        auto const with_san = apig::emulator::make_tls_material({.dns_names = {}, .ip_addresses = {"127.0.0.1"}});
        tls_server control(with_san);
        accepted_with(control.srv, options_for(control.srv, with_san.ca_cert_pem));
    }
}

// tls.ca_file is read by OpenSSL to its end. A FIFO without a writer would
// block the constructor forever; a directory or a missing file gave OpenSSL's terse reason.
// Each is refused by the constructor, before any open, with a message naming the option.
TEST_CASE("TLS: a tls.ca_file that is not a regular file is refused without reading it") {
    std::random_device rd;
    auto const dir = std::filesystem::temp_directory_path() / ("apig-ca-file-" + std::to_string(rd()) + std::to_string(rd()));
    REQUIRE(std::filesystem::create_directory(dir));
    struct remove_dir {
        std::filesystem::path p;
        ~remove_dir() {
            std::error_code ignored;
            std::filesystem::remove_all(p, ignored);
        }
    } cleanup{dir};
    auto const fifo = dir / "ca-fifo.pem";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);

    auto const m = apig::emulator::make_tls_material();
    tls_server s(m);
    for (auto const& each : std::vector<std::pair<std::filesystem::path, std::string>>{
             {fifo, "not a regular file (a FIFO, socket or device)"},
             {dir, "it is a directory"},
             {dir / "missing.pem", "no such file"},
             {"/dev/zero", "not a regular file"}}) {
        auto const& [path, why] = each;
        CAPTURE(each.first);  // not the binding: clang 14 cannot capture one (CAPTURE is a lambda)
        auto o = options_for(s.srv, "");
        o.tls.ca_file = path.string();
        asio::io_context io;
        try {
            apig::client c(io.get_executor(), o);
            FAIL("tls.ca_file was accepted");
        } catch (apig::api_error const& e) {
            std::string const what = e.what();
            CAPTURE(what);
            CHECK(e.code() == apig::errc::invalid_argument);
            CHECK(what.find("tls.ca_file: cannot load '" + path.string() + "': " + why) != std::string::npos);
        }
    }
    CHECK(s.srv.connections() == 0);

    // The control: the CA in a regular file (reached through a symlink) is loaded and trusted.
    auto const file = dir / "ca.pem";
    std::ofstream(file) << m.ca_cert_pem;
    std::filesystem::create_symlink(file, dir / "ca-link.pem");
    auto o = options_for(s.srv, "");
    o.tls.ca_file = (dir / "ca-link.pem").string();
    accepted_with(s.srv, o);
}
