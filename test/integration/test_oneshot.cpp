// http::exchange_once, the one-shot request of temporary-key providers: against a scripted
// server on 127.0.0.1 (status, body, headers sent, limits, time limit, URL checks, TLS,
// cancellation).
#include "certs.hpp"
#include "harness.hpp"
#include "http/oneshot.hpp"
#include "http/tls.hpp"
#include "http_script_server.hpp"

#include <apig/emulator.hpp>
#include <apig/version.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/use_future.hpp>

#include <doctest/doctest.h>

#include <future>

namespace asio = boost::asio;
using apig::test::http_request;
using apig::test::http_script_server;
using namespace std::chrono_literals;

namespace {

std::pair<apig::error_info, apig::http::oneshot_response> once(apig::http::oneshot_request const& q) {
    asio::io_context io;
    return apig::test::run(io, apig::http::exchange_once(io.get_executor(), q));
}

apig::http::oneshot_request request_to(std::string base) {
    apig::http::oneshot_request q;
    q.base_url = std::move(base);
    q.what = "the test server";
    q.timeout = 5s;
    return q;
}

}  // namespace

TEST_CASE("oneshot: status, body and request id come back; Host, User-Agent, Connection and the headers go out") {
    http_script_server srv([](http_request const&) {
        return http_script_server::reply{http_script_server::response(404, "Not Found", "no such thing",
                                                                      "X-Request-Id: req-77\r\n")};
    });
    auto q = request_to(srv.endpoint());
    q.method = "PUT";
    q.target = "/a/b?c=d";
    q.headers = {{"X-One", "1"}, {"X-Two", "two"}};
    q.body = "{}";
    auto [err, res] = once(q);
    REQUIRE_FALSE(err);
    CHECK(res.status == 404);
    CHECK(res.body == "no such thing");
    CHECK(res.request_id == "req-77");
    auto reqs = srv.requests();
    REQUIRE(reqs.size() == 1);
    CHECK(reqs[0].method == "PUT");
    CHECK(reqs[0].target == "/a/b?c=d");
    CHECK(reqs[0].header("Host") == "127.0.0.1:" + std::to_string(srv.port()));
    CHECK(reqs[0].header("User-Agent") == std::string("apig-cpp/") + APIG_VERSION_STRING);
    CHECK(reqs[0].header("Connection") == "close");
    CHECK(reqs[0].header("X-One") == "1");
    CHECK(reqs[0].header("X-Two") == "two");
    CHECK(reqs[0].header("Content-Length") == "2");
    CHECK(reqs[0].body == "{}");
}

TEST_CASE("oneshot: a body over max_body_bytes and a header block over 16 KiB are response_too_large") {
    SUBCASE("body") {
        http_script_server srv([](http_request const&) {
            return http_script_server::reply{http_script_server::ok(std::string(2048, 'x'))};
        });
        auto q = request_to(srv.endpoint());
        q.max_body_bytes = 1024;
        auto [err, res] = once(q);
        CHECK(err.code == apig::errc::response_too_large);
        CHECK(err.message.find("larger than 1024 bytes") != std::string::npos);
        CHECK(err.message.find("the test server (127.0.0.1:") != std::string::npos);
    }
    SUBCASE("headers") {
        http_script_server srv([](http_request const&) {
            return http_script_server::reply{
                http_script_server::response(200, "OK", "", "X-Big: " + std::string(17 * 1024, 'h') + "\r\n")};
        });
        auto [err, res] = once(request_to(srv.endpoint()));
        CHECK(err.code == apig::errc::response_too_large);
        CHECK(err.message.find("headers are larger than 16 KiB") != std::string::npos);
    }
}

TEST_CASE("oneshot: a server that never answers times out with the limit named") {
    http_script_server srv([](http_request const&) { return http_script_server::reply{.bytes = {}, .hold = false, .never_answer = true}; });
    auto q = request_to(srv.endpoint());
    q.timeout = 200ms;
    auto const started = std::chrono::steady_clock::now();
    auto [err, res] = once(q);
    CHECK(err.code == apig::errc::timed_out);
    CHECK(err.message == "the test server (127.0.0.1:" + std::to_string(srv.port()) + ") did not answer within 200 ms");
    CHECK(std::chrono::steady_clock::now() - started < 5s);
}

TEST_CASE("oneshot: malformed HTTP and a connection closed without an answer") {
    SUBCASE("garbage") {
        http_script_server srv([](http_request const&) { return http_script_server::reply{"NOT HTTP AT ALL\r\n\r\n"}; });
        auto [err, res] = once(request_to(srv.endpoint()));
        CHECK(err.code == apig::errc::bad_response);
        CHECK(err.message.find("malformed HTTP response") != std::string::npos);
    }
    SUBCASE("closed") {
        http_script_server srv([](http_request const&) { return http_script_server::reply{""}; });
        auto [err, res] = once(request_to(srv.endpoint()));
        CHECK(err);
        CHECK(err.message.find("closed the connection without responding") != std::string::npos);
    }
}

TEST_CASE("oneshot: connection refused is connect_failed") {
    std::uint16_t port = 0;
    {
        asio::io_context io;
        asio::ip::tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
        port = a.local_endpoint().port();
    }  // closed: nothing listens there now
    auto [err, res] = once(request_to("http://127.0.0.1:" + std::to_string(port)));
    CHECK(err.code == apig::errc::connect_failed);
    CHECK(err.message.find("connection refused") != std::string::npos);
}

TEST_CASE("oneshot: base URL and request checks before any I/O") {
    struct bad {
        std::string url;
        std::string says;
    };
    for (auto const& b : {bad{"http://user:pw@127.0.0.1:1", "user information"},
                          bad{"http://127.0.0.1:1/path", "must not have a path"},
                          bad{"http://127.0.0.1:1/?q=1", "must not have a query"},
                          bad{"ftp://127.0.0.1:1", "http:// or https://"}, bad{"localhost:80", "http:// or https://"},
                          bad{"not a url", "not an absolute URL"},
                          bad{"https://127.0.0.1:1", "needs a TLS context"}}) {
        CAPTURE(b.url);
        auto [err, res] = once(request_to(b.url));
        CHECK(err.code == apig::errc::invalid_argument);
        CHECK(err.message.find(b.says) != std::string::npos);
        CHECK(err.message.find("pw") == std::string::npos);
    }
    auto q = request_to("http://127.0.0.1:1/");
    q.target = "/a b";
    CHECK(once(q).first.code == apig::errc::invalid_argument);
    q = request_to("http://127.0.0.1:1");
    q.headers = {{"X-Secret", "value\r\nInjected: 1"}};
    auto [err, res] = once(q);
    CHECK(err.code == apig::errc::invalid_argument);
    CHECK(err.message.find("X-Secret") != std::string::npos);
    CHECK(err.message.find("value") == std::string::npos);
}

TEST_CASE("oneshot: https with the emulator-style CA is verified; an untrusted one is refused") {
    auto const material = apig::emulator::make_tls_material();
    http_script_server srv([](http_request const&) { return http_script_server::reply{http_script_server::ok("tls")}; },
                           apig::test::certs::server_context(material));
    SUBCASE("trusted") {
        apig::tls_options t;
        t.use_system_trust_store = false;
        t.ca_pem = material.ca_cert_pem;
        auto ctx = apig::http::make_client_context(t);
        auto q = request_to(srv.endpoint());
        q.tls = &ctx;
        auto [err, res] = once(q);
        REQUIRE_FALSE(err);
        CHECK(res.body == "tls");
    }
    SUBCASE("untrusted") {
        apig::tls_options t;
        t.use_system_trust_store = false;
        auto ctx = apig::http::make_client_context(t);
        auto q = request_to(srv.endpoint());
        q.tls = &ctx;
        auto [err, res] = once(q);
        CHECK(err.code == apig::errc::tls_verification_failed);
        CHECK(srv.requests().empty());
    }
}

TEST_CASE("oneshot: cancelling the awaiting coroutine aborts promptly") {
    http_script_server srv([](http_request const&) {
        return http_script_server::reply{.bytes = http_script_server::ok("late"), .hold = true};
    });
    asio::io_context io;
    auto guard = asio::make_work_guard(io);
    std::thread runner([&] { io.run(); });
    asio::cancellation_signal sig;
    auto q = request_to(srv.endpoint());
    q.timeout = 60s;
    auto fut = asio::co_spawn(io, apig::http::exchange_once(io.get_executor(), q),
                              asio::bind_cancellation_slot(sig.slot(), asio::use_future));
    // Wait until the request reached the server, then cancel on the io_context's thread.
    REQUIRE(srv.wait_held(1));
    asio::post(io, [&] { sig.emit(asio::cancellation_type::terminal); });
    REQUIRE(fut.wait_for(5s) == std::future_status::ready);
    auto [err, res] = fut.get();
    CHECK(err.code == asio::error::operation_aborted);
    guard.reset();
    runner.join();
}
