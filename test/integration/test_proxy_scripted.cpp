// The client through a scripted CONNECT proxy (scripted_proxy.hpp): the tunnel's request, its
// refusals, and proxies that lie, stall or are not there. The real proxy (tinyproxy) is in
// test_proxy_tinyproxy.cpp.
#include "harness.hpp"
#include "scripted_proxy.hpp"

#include <apig/emulator.hpp>
#include <apig/proxy.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <doctest/doctest.h>

#include <string>

using apig::test::list_error;
using apig::test::list_once;
using apig::test::options_for;
using apig::test::run;
using apig::test::scripted_proxy;

namespace {

std::string port_of(apig::emulator::server const& srv) { return std::to_string(srv.port()); }

bool contains(std::string const& s, std::string const& part) { return s.find(part) != std::string::npos; }

apig::client_options through(apig::emulator::server const& srv, std::string const& proxy_url) {
    auto o = options_for(srv);
    o.proxy.url = proxy_url;
    o.retry.initial_backoff = std::chrono::milliseconds(1);
    o.retry.max_backoff = std::chrono::milliseconds(2);
    return o;
}

std::string const secret_password = "Pr0xy-s3cret-pa55word";

}  // namespace

TEST_CASE("proxy (scripted): a walk goes through one CONNECT per connection, to the target's host:port") {
    apig::emulator::server srv;
    scripted_proxy proxy({scripted_proxy::relay()});
    auto o = through(srv, proxy.url());
    o.pool.max_connections = 1;
    boost::asio::io_context io;
    apig::client c(io.get_executor(), o);
    auto all = run(io, c.list_all({}, {.page_size = 10, .concurrency = 1}));
    CHECK(all.size() == 100);
    CHECK(srv.requests_served() == 10);
    CHECK(srv.connections_accepted() == 1);  // the emulator saw the proxy's one connection
    REQUIRE(proxy.connections() == 1);       // kept alive: the tunnel is opened once
    auto const heads = proxy.heads();
    REQUIRE(heads.size() == 1);
    CHECK(heads[0].starts_with("CONNECT 127.0.0.1:" + port_of(srv) + " HTTP/1.1\r\n"));
    CHECK(contains(heads[0], "\r\nHost: 127.0.0.1:" + port_of(srv)));
    CHECK(!contains(heads[0], "Proxy-Authorization"));
    CHECK(!contains(heads[0], "X-Auth-Token"));  // the API's credentials stay inside the tunnel
}

TEST_CASE("proxy (scripted): Basic credentials from the URL, percent-decoded") {
    apig::emulator::server srv;
    scripted_proxy proxy({scripted_proxy::relay()});
    auto o = through(srv, "http://user%40corp:p%3Ass@127.0.0.1:" + std::to_string(proxy.port()));
    list_once(srv, {}, o);
    auto const heads = proxy.heads();
    REQUIRE(heads.size() == 1);
    // base64("user@corp:p:ss")
    CHECK(contains(heads[0], "\r\nProxy-Authorization: Basic dXNlckBjb3JwOnA6c3M="));
}

TEST_CASE("proxy (scripted): refusals are proxy_error with the status, the proxy and the target") {
    apig::emulator::server srv;
    std::string const target = "127.0.0.1:" + port_of(srv);
    SUBCASE("407 without credentials: not retried") {
        scripted_proxy proxy({scripted_proxy::answer(
            "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"corp\"\r\n"
            "Content-Length: 0\r\n\r\n")});
        auto e = list_error(through(srv, proxy.url()));
        CHECK(e.code() == apig::errc::proxy_error);
        CHECK(e.http_status() == 407);
        CHECK(e.info().attempts == 1);
        std::string const what = e.what();
        CHECK(contains(what, "proxy 127.0.0.1:" + std::to_string(proxy.port())));
        CHECK(contains(what, target));
        CHECK(contains(what, "proxy authentication required"));
        CHECK(proxy.connections() == 1);
        CHECK(srv.connections_accepted() == 0);
    }
    SUBCASE("407 with credentials: refused, the password nowhere") {
        scripted_proxy proxy({scripted_proxy::answer("HTTP/1.1 407 Proxy Authentication Required\r\n\r\n")});
        auto o = through(srv, proxy.url());
        o.proxy.username = "alice";
        o.proxy.password = secret_password;
        auto e = list_error(o);
        CHECK(e.code() == apig::errc::proxy_error);
        CHECK(contains(e.what(), "refused"));
        CHECK(!contains(e.what(), secret_password));
    }
    SUBCASE("403: the proxy does not allow the target, not retried") {
        scripted_proxy proxy({scripted_proxy::answer("HTTP/1.1 403 Forbidden\r\nContent-Length: 5\r\n\r\nnope!")});
        auto e = list_error(through(srv, proxy.url()));
        CHECK(e.code() == apig::errc::proxy_error);
        CHECK(e.http_status() == 403);
        CHECK(e.info().attempts == 1);
        CHECK(proxy.connections() == 1);
    }
    SUBCASE("502, then a tunnel: retried like the API's 502") {
        scripted_proxy proxy({scripted_proxy::answer("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n"),
                              scripted_proxy::relay()});
        auto page = list_once(srv, {}, through(srv, proxy.url()));
        CHECK(page.instances.size() == 20);
        CHECK(proxy.connections() == 2);
        CHECK(srv.requests_served() == 1);
    }
    SUBCASE("503 every time: the retries run out, the last refusal reported") {
        scripted_proxy proxy({scripted_proxy::answer("HTTP/1.1 503 Service Unavailable\r\n\r\n")});
        auto o = through(srv, proxy.url());
        o.retry.max_attempts = 3;
        auto e = list_error(o);
        CHECK(e.code() == apig::errc::proxy_error);
        CHECK(e.http_status() == 503);
        CHECK(e.info().attempts == 3);
        CHECK(proxy.connections() == 3);
    }
}

TEST_CASE("proxy (scripted): a proxy that lies or stalls") {
    apig::emulator::server srv;
    SUBCASE("not HTTP") {
        scripted_proxy proxy({scripted_proxy::answer("SSH-2.0-OpenSSH_9.2\r\n\r\n")});
        auto o = through(srv, proxy.url());
        o.retry.retry_bad_response = false;
        auto e = list_error(o);
        CHECK(e.code() == apig::errc::bad_response);
        CHECK(contains(e.what(), "malformed answer to CONNECT"));
    }
    SUBCASE("bytes after the 200, before the target spoke") {
        scripted_proxy proxy({scripted_proxy::answer("HTTP/1.1 200 OK\r\n\r\nHTTP/1.1 200 OK\r\n\r\n")});
        auto o = through(srv, proxy.url());
        o.retry.retry_bad_response = false;
        auto e = list_error(o);
        CHECK(e.code() == apig::errc::bad_response);
        CHECK(contains(e.what(), "after its CONNECT answer"));
    }
    SUBCASE("an endless header") {
        scripted_proxy proxy({scripted_proxy::answer("HTTP/1.1 200 OK\r\nX: " + std::string(20000, 'a') + "\r\n\r\n")});
        auto o = through(srv, proxy.url());
        o.retry.retry_bad_response = false;
        auto e = list_error(o);
        CHECK(e.code() == apig::errc::bad_response);
        CHECK(contains(e.what(), "KiB of header"));
    }
    SUBCASE("a hostile reason phrase is made printable, and the password in it redacted") {
        scripted_proxy proxy({scripted_proxy::answer("HTTP/1.1 407 Denied " + secret_password +
                                                     " \xe2\x80\xae" + std::string(2000, 'x') + "\r\n\r\n")});
        auto o = through(srv, proxy.url());
        o.proxy.username = "alice";
        o.proxy.password = secret_password;
        auto e = list_error(o);
        std::string const what = e.what();
        CHECK(e.code() == apig::errc::proxy_error);
        CHECK(!contains(what, secret_password));
        CHECK(!contains(what, "\xe2\x80\xae"));
        CHECK(what.size() < 1500);
    }
    SUBCASE("a control character in the reason phrase: malformed") {
        scripted_proxy proxy({scripted_proxy::answer("HTTP/1.1 407 \x1b[31mDenied\r\n\r\n")});
        auto o = through(srv, proxy.url());
        o.retry.retry_bad_response = false;
        auto e = list_error(o);
        CHECK(e.code() == apig::errc::bad_response);
        CHECK(!contains(e.what(), "\x1b"));
    }
    SUBCASE("silent: timeouts.connect covers the CONNECT exchange") {
        scripted_proxy proxy({{.answer = {}, .relay = false, .silent = true}});
        auto o = through(srv, proxy.url());
        o.timeouts.connect = std::chrono::milliseconds(200);
        o.retry.max_attempts = 1;
        auto e = list_error(o);
        CHECK(e.code() == apig::errc::timed_out);
        CHECK(contains(e.what(), "answer to CONNECT"));
        CHECK(contains(e.what(), "timeouts.connect = 200 ms"));
    }
    SUBCASE("closes without answering: a transport failure, retried") {
        scripted_proxy proxy({scripted_proxy::answer({}), scripted_proxy::relay()});
        auto page = list_once(srv, {}, through(srv, proxy.url()));
        CHECK(page.instances.size() == 20);
        CHECK(proxy.connections() == 2);
    }
}

TEST_CASE("proxy (scripted): a proxy that is down is named") {
    apig::emulator::server srv;
    unsigned short port = 0;
    {
        boost::asio::io_context io;
        boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
        port = a.local_endpoint().port();
    }  // closed: nothing listens there now
    auto o = through(srv, "http://alice:" + secret_password + "@127.0.0.1:" + std::to_string(port));
    o.retry.max_attempts = 2;
    auto e = list_error(o);
    CHECK(e.code() == apig::errc::connect_failed);
    CHECK(contains(e.what(), "connecting to proxy 127.0.0.1:" + std::to_string(port)));
    CHECK(!contains(e.what(), secret_password));
    CHECK(!contains(e.what(), "alice"));
    CHECK(e.info().attempts == 2);
    CHECK(srv.connections_accepted() == 0);
}

TEST_CASE("proxy (scripted): the API's certificate is checked against the API's name inside the tunnel") {
    auto const m = apig::emulator::make_tls_material({.dns_names = {"apig.test"}, .ip_addresses = {}});
    apig::emulator::options eo;
    eo.tls = m;
    apig::emulator::server srv(eo);
    scripted_proxy proxy({scripted_proxy::relay()});
    auto o = through(srv, proxy.url());
    o.tls.ca_pem = m.ca_cert_pem;
    o.retry.max_attempts = 1;
    auto e = list_error(o);  // 127.0.0.1 is not on the certificate
    CHECK(e.code() == apig::errc::tls_verification_failed);
    CHECK(contains(e.what(), "IP address mismatch"));
    o.tls.server_name = "apig.test";
    CHECK(list_once(srv, {}, o).instances.size() == 20);
    CHECK(proxy.connections() == 2);
}

TEST_CASE("proxy (scripted): no_proxy reaches the endpoint directly") {
    apig::emulator::server srv;
    scripted_proxy proxy({scripted_proxy::relay()});
    for (std::string list : {"127.0.0.1", "*", "example.com, 127.0.0.0/8", "::1,127.0.0.1"}) {
        CAPTURE(list);
        auto o = through(srv, proxy.url());
        o.proxy.no_proxy = list;
        CHECK(list_once(srv, {}, o).instances.size() == 20);
    }
    CHECK(proxy.connections() == 0);
    auto o = through(srv, proxy.url());
    o.proxy.no_proxy = "localhost,127.0.0.2";
    list_once(srv, {}, o);
    CHECK(proxy.connections() == 1);
}

TEST_CASE("proxy (scripted): an http:// endpoint is not proxied") {
    apig::client_options o;
    o.endpoint = "http://127.0.0.1:8080";
    o.allow_insecure_http = true;
    o.project_id = "p1";
    o.credentials = apig::token_credentials{"token-12345678"};
    o.proxy.url = "http://127.0.0.1:3128";
    boost::asio::io_context io;
    try {
        apig::client c(io.get_executor(), o);
        FAIL("constructed");
    } catch (apig::api_error const& e) {
        CHECK(e.code() == apig::errc::invalid_argument);
        CHECK(contains(e.what(), "an http:// endpoint is not sent through a proxy"));
    }
    o.proxy.no_proxy = "127.0.0.1";
    CHECK_NOTHROW(apig::client(io.get_executor(), o));
}

TEST_CASE("proxy (scripted): a bad proxy URL fails the constructor without showing the password") {
    boost::asio::io_context io;
    apig::emulator::server srv;
    for (std::string url : {"socks5://alice:" + secret_password + "@127.0.0.1:1080",
                            "http://alice:" + secret_password + "@127.0.0.1:99999",
                            "http://alice:" + secret_password + "@127.0.0.1:3128/path?x=1"}) {
        CAPTURE(url.substr(0, 8));
        auto o = through(srv, url);
        try {
            apig::client c(io.get_executor(), o);
            FAIL("constructed");
        } catch (apig::api_error const& e) {
            CHECK(e.code() == apig::errc::invalid_argument);
            CHECK(contains(e.what(), "proxy"));
            CHECK(!contains(e.what(), secret_password));
        }
    }
}
