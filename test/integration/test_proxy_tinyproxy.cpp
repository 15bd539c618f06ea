// The client through a real proxy: Debian's tinyproxy, started per test on 127.0.0.1 with its
// own config and log (tinyproxy.hpp), and behind a TLS-terminating front for https:// proxies
// (tls_front.hpp). What the proxy logs is checked, not only what the client says.
#include "harness.hpp"
#include "tinyproxy.hpp"
#include "tls_front.hpp"

#include "auth/iam.hpp"
#include "project_discovery.hpp"

#include <apig/emulator.hpp>
#include <apig/proxy.hpp>

#include <doctest/doctest.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <vector>

using apig::test::list_error;
using apig::test::list_once;
using apig::test::options_for;
using apig::test::run;
using apig::test::tinyproxy;
using apig::test::tinyproxy_options;
using apig::test::tls_front;

namespace {

bool contains(std::string const& s, std::string const& part) { return s.find(part) != std::string::npos; }

std::string const password = "Tiny-pr0xy-pa55";  // tinyproxy's BasicAuth takes [A-Za-z0-9._-]

apig::client_options through(apig::emulator::server const& srv, std::string const& proxy_url) {
    auto o = options_for(srv);
    o.proxy.url = proxy_url;
    o.retry.initial_backoff = std::chrono::milliseconds(1);
    o.retry.max_backoff = std::chrono::milliseconds(2);
    return o;
}

std::string target_of(apig::emulator::server const& srv) { return "127.0.0.1:" + std::to_string(srv.port()); }

// A log sink that keeps every line (any thread).
struct log_lines {
    std::mutex m;
    std::vector<std::string> lines;
    apig::log_sink sink() {
        return [this](apig::log_level, std::string_view line) {
            std::lock_guard lock(m);
            lines.emplace_back(line);
        };
    }
};

}  // namespace

TEST_CASE("proxy (tinyproxy): a walk through the proxy, one CONNECT per connection") {
    apig::emulator::server srv;
    tinyproxy proxy;
    auto o = through(srv, proxy.url());
    o.pool.max_connections = 4;
    boost::asio::io_context io;
    apig::client c(io.get_executor(), o);
    auto all = run(io, c.list_all({}, {.page_size = 5, .concurrency = 4}));
    CHECK(all.size() == 100);
    CHECK(srv.requests_served() == 20);
    auto const accepted = srv.connections_accepted();
    CHECK(accepted >= 1);
    CHECK(accepted <= 4);
    REQUIRE(proxy.wait_for_connects(accepted));
    auto const connects = proxy.connects();
    CHECK(connects.size() == accepted);  // each of the emulator's connections came through a CONNECT
    for (auto const& t : connects) CHECK(t == target_of(srv));
    CHECK(c.stats().created == accepted);
}

TEST_CASE("proxy (tinyproxy): Basic authentication right, wrong and absent") {
    apig::emulator::server srv;
    tinyproxy proxy({.basic_auth = apig::test::proxy_credentials{.user = "alice", .password = password}});
    SUBCASE("right, from the URL's user information") {
        auto page = list_once(srv, {}, through(srv, proxy.url_with_credentials()));
        CHECK(page.instances.size() == 20);
        CHECK(proxy.established().size() == 1);
    }
    SUBCASE("right, from username and password") {
        auto o = through(srv, proxy.url());
        o.proxy.username = "alice";
        o.proxy.password = password;
        CHECK(list_once(srv, {}, o).instances.size() == 20);
    }
    SUBCASE("wrong: refused, not retried, the password nowhere") {
        auto o = through(srv, proxy.url());
        o.proxy.username = "alice";
        o.proxy.password = password + "-wrong";
        log_lines logs;
        o.log = logs.sink();
        o.log_min_level = apig::log_level::debug;
        auto e = list_error(o);
        CHECK(e.code() == apig::errc::proxy_error);
        CHECK(e.http_status() == 401);  // tinyproxy's answer to wrong credentials
        CHECK(e.info().attempts == 1);
        CHECK(contains(e.what(), "proxy authentication refused"));
        CHECK(contains(e.what(), "proxy " + proxy.authority()));
        CHECK(!contains(e.what(), password));
        for (auto const& line : logs.lines) CHECK(!contains(line, password));
        CHECK(srv.connections_accepted() == 0);
        CHECK(proxy.connects().size() == 1);
    }
    SUBCASE("absent: 407") {
        auto e = list_error(through(srv, proxy.url()));
        CHECK(e.code() == apig::errc::proxy_error);
        CHECK(e.http_status() == 407);
        CHECK(contains(e.what(), "proxy authentication required"));
        CHECK(contains(e.what(), target_of(srv)));
    }
}

TEST_CASE("proxy (tinyproxy): a proxy that refuses the target: 403") {
    apig::emulator::server srv;
    tinyproxy proxy({.deny = {target_of(srv)}});
    auto e = list_error(through(srv, proxy.url()));
    CHECK(e.code() == apig::errc::proxy_error);
    CHECK(e.http_status() == 403);
    CHECK(e.info().attempts == 1);
    CHECK(contains(e.what(), "the proxy does not allow this target"));
    CHECK(contains(e.what(), "\"Filtered\""));  // the proxy's own reason, quoted
    CHECK(srv.connections_accepted() == 0);
}

TEST_CASE("proxy (tinyproxy): a target the proxy cannot reach, and a proxy that is down") {
    apig::emulator::server srv;
    tinyproxy proxy;
    SUBCASE("the target refuses the proxy: its 500 is retried like the API's, then reported") {
        auto o = through(srv, proxy.url());
        o.endpoint = "https://127.0.0.1:1";  // nothing listens there
        o.retry.max_attempts = 2;
        auto e = list_error(o);
        CHECK(e.code() == apig::errc::proxy_error);
        CHECK(e.http_status() == 500);
        CHECK(e.info().attempts == 2);
        CHECK(contains(e.what(), "127.0.0.1:1"));
        CHECK(proxy.wait_for_connects(2));
    }
    SUBCASE("stopped: connecting to the proxy fails, naming it") {
        proxy.stop();
        auto o = through(srv, proxy.url());
        o.retry.max_attempts = 1;
        auto e = list_error(o);
        CHECK(e.code() == apig::errc::connect_failed);
        CHECK(contains(e.what(), "connecting to proxy " + proxy.authority()));
        CHECK(srv.connections_accepted() == 0);
    }
}

TEST_CASE("proxy (tinyproxy): the environment's proxy and NO_PROXY, by curl's rules") {
    apig::emulator::server srv;
    tinyproxy proxy;
    std::map<std::string, std::string> env{{"HTTPS_PROXY", proxy.url()}};
    auto const lookup = [&](std::string_view name) -> std::optional<std::string> {
        auto it = env.find(std::string(name));
        if (it == env.end()) return std::nullopt;
        return it->second;
    };
    auto o = options_for(srv);
    o.proxy = apig::proxy_from_env("https", lookup);
    CHECK(list_once(srv, {}, o).instances.size() == 20);
    CHECK(proxy.connects().size() == 1);

    env["NO_PROXY"] = "localhost, 127.0.0.1";
    o.proxy = apig::proxy_from_env("https", lookup);
    CHECK(list_once(srv, {}, o).instances.size() == 20);
    CHECK(proxy.connects().size() == 1);  // reached directly

    env["no_proxy"] = "";  // set but empty counts as unset: NO_PROXY still applies
    o.proxy = apig::proxy_from_env("https", lookup);
    CHECK(o.proxy.no_proxy == "localhost, 127.0.0.1");
    env.erase("NO_PROXY");
    env["https_proxy"] = proxy.url();  // lower case first
    env["HTTPS_PROXY"] = "http://127.0.0.1:1";
    o.proxy = apig::proxy_from_env("https", lookup);
    CHECK(list_once(srv, {}, o).instances.size() == 20);
    CHECK(proxy.connects().size() == 2);
}

TEST_CASE("proxy (tinyproxy): an https:// proxy (TLS to the proxy, the API's TLS inside)") {
    apig::emulator::server srv;
    tinyproxy proxy({.basic_auth = apig::test::proxy_credentials{.user = "alice", .password = password}});
    tls_front front(proxy.port());
    auto o = through(srv, "https://alice:" + password + "@127.0.0.1:" + std::to_string(front.port()));
    o.proxy.tls.use_system_trust_store = false;
    SUBCASE("verified against the proxy's name, with the proxy's CA") {
        o.proxy.tls.ca_pem = front.ca_pem();
        o.pool.max_connections = 2;
        boost::asio::io_context io;
        apig::client c(io.get_executor(), o);
        auto all = run(io, c.list_all({}, {.page_size = 10, .concurrency = 2}));
        CHECK(all.size() == 100);
        CHECK(front.handshakes() == srv.connections_accepted());
        CHECK(proxy.connects().size() == srv.connections_accepted());
        o.proxy.tls.server_name = "proxy.test";  // another name on the proxy's certificate
        CHECK(list_once(srv, {}, o).instances.size() == 20);
    }
    SUBCASE("the proxy's certificate from an untrusted CA: refused before any CONNECT") {
        o.proxy.tls.ca_pem = srv.ca_pem();  // the API's CA, not the proxy's
        o.retry.max_attempts = 1;
        auto e = list_error(o);
        CHECK(e.code() == apig::errc::tls_verification_failed);
        CHECK(contains(e.what(), "proxy 127.0.0.1:" + std::to_string(front.port())));
        CHECK(proxy.connects().empty());
        CHECK(!contains(e.what(), password));
    }
    SUBCASE("the proxy's name not on its certificate") {
        o.proxy.tls.ca_pem = front.ca_pem();
        o.proxy.tls.server_name = "other.test";
        o.retry.max_attempts = 1;
        auto e = list_error(o);
        CHECK(e.code() == apig::errc::tls_verification_failed);
        CHECK(contains(e.what(), "hostname mismatch"));
    }
}

TEST_CASE("proxy (tinyproxy): IAM project discovery goes through the proxy too") {
    std::string const ak = "HPUAK7QEXAMPLEKEY001";
    std::string const sk = "sk/Pz9+0123456789abcdefghijklmnopqrstuvwx";
    std::string const project = "73d69ae0cfcf460190522d06b60f05ad";
    apig::emulator::options eo;
    eo.project_ids = {project};
    eo.access_keys = {{.ak = ak, .sk = sk}};
    eo.iam_projects = {{.id = project, .name = "cn-north-4"}};
    apig::emulator::server srv(eo);
    tinyproxy proxy;
    apig::detail::clear_discovery_cache();
    std::string const region_var = apig::auth::region_env_name("cn-north-4");
    ::setenv(region_var.c_str(), srv.endpoint().c_str(), 1);
    auto o = through(srv, proxy.url());
    o.project_id.clear();
    o.endpoint.clear();
    o.region = "cn-north-4";
    o.iam_endpoint = srv.endpoint();
    o.credentials = apig::aksk_credentials{.ak = ak, .sk = sk};
    auto page = list_once(srv, {}, o);
    ::unsetenv(region_var.c_str());
    apig::detail::clear_discovery_cache();
    CHECK(page.instances.size() == 20);
    auto const reqs = srv.requests();
    REQUIRE(reqs.size() == 2);
    CHECK(reqs[0].target.starts_with("/v3/projects"));
    CHECK(proxy.connects().size() == 2);  // IAM's one-shot connection, then the API's
}
