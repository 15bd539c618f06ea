// The proxy test harness itself (tinyproxy.hpp, tls_front.hpp), without apig's client: raw
// CONNECT requests from Asio sockets through a real tinyproxy (and through the TLS front) to
// local listeners and to the emulator, checking what tinyproxy answers and logs.

#include "tinyproxy.hpp"
#include "tls_front.hpp"

#include <apig/emulator.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using apig::test::tinyproxy;
using apig::test::tinyproxy_options;
using apig::test::tls_front;

/// A plain TCP target on 127.0.0.1:<free port>: echoes what it reads (or, with close_at_once,
/// closes every connection as soon as it is accepted). Own thread.
class tcp_target {
public:
    explicit tcp_target(bool close_at_once = false)
        : close_at_once_(close_at_once), acceptor_(io_, {asio::ip::make_address_v4("127.0.0.1"), 0}) {
        asio::co_spawn(io_, accept_loop(), asio::detached);
        thread_ = std::thread([this] { io_.run(); });
    }
    ~tcp_target() {
        io_.stop();
        thread_.join();
    }
    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
    std::string authority() const { return "127.0.0.1:" + std::to_string(port()); }
    std::size_t accepted() const { return accepted_; }
    /// Waits (condition variable) until `n` connections were accepted: the proxy's 200 may
    /// reach the test before this thread has run its accept. False after `limit`.
    bool wait_accepted(std::size_t n, std::chrono::seconds limit = std::chrono::seconds(10)) {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, limit, [&] { return accepted_ >= n; });
    }

private:
    asio::awaitable<void> accept_loop() {
        for (;;) {
            auto sock = co_await acceptor_.async_accept(asio::use_awaitable);
            {
                std::lock_guard lock(mutex_);
                ++accepted_;
            }
            cv_.notify_all();
            if (close_at_once_) continue;  // the socket is closed here
            asio::co_spawn(io_, echo(std::move(sock)), asio::detached);
        }
    }
    static asio::awaitable<void> echo(tcp::socket s) {
        constexpr auto tuple = asio::as_tuple(asio::use_awaitable);
        char buf[1024];
        for (;;) {
            auto [ec, n] = co_await s.async_read_some(asio::buffer(buf), tuple);
            if (ec) co_return;
            auto [wec, m] = co_await asio::async_write(s, asio::buffer(buf, n), tuple);
            (void)m;
            if (wec) co_return;
        }
    }

    bool close_at_once_;
    asio::io_context io_;
    tcp::acceptor acceptor_;
    std::thread thread_;
    std::atomic<std::size_t> accepted_{0};
    std::mutex mutex_;
    std::condition_variable cv_;
};

/// Runs `aw` on `io` for at most `limit`; throws if it did not finish (no test can hang).
template <class T>
T run_bounded(asio::io_context& io, asio::awaitable<T> aw, std::chrono::seconds limit = std::chrono::seconds(20)) {
    auto fut = asio::co_spawn(io, std::move(aw), asio::use_future);
    io.restart();
    io.run_for(limit);
    if (fut.wait_for(std::chrono::seconds(0)) != std::future_status::ready)
        throw std::runtime_error("the test's network exchange did not finish in time");
    return fut.get();
}

struct proxy_answer {
    unsigned status = 0;
    std::string status_line;  ///< e.g. "HTTP/1.0 200 Connection established"
    std::string head;         ///< status line and headers, up to and including the blank line
};

/// Sends `CONNECT target` (with `extra_headers`, each ending in CRLF) on `s` and reads the
/// answer's head (at most 16 KiB).
template <class Stream>
asio::awaitable<proxy_answer> send_connect(Stream& s, std::string const& target, std::string extra_headers = {}) {
    std::string const req = "CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n" + extra_headers + "\r\n";
    co_await asio::async_write(s, asio::buffer(req), asio::use_awaitable);
    std::string buf;
    auto const n = co_await asio::async_read_until(s, asio::dynamic_buffer(buf, 16 * 1024), "\r\n\r\n",
                                                   asio::use_awaitable);
    proxy_answer a;
    a.head = buf.substr(0, n);
    a.status_line = a.head.substr(0, a.head.find("\r\n"));
    if (a.status_line.size() >= 12 && a.status_line.starts_with("HTTP/1."))
        a.status = static_cast<unsigned>(std::stoul(a.status_line.substr(9, 3)));
    co_return a;
}

/// Writes `msg` through `s` and reads back as many bytes (an echo target behind the tunnel).
template <class Stream>
asio::awaitable<std::string> echo_round_trip(Stream& s, std::string msg) {
    co_await asio::async_write(s, asio::buffer(msg), asio::use_awaitable);
    std::string back(msg.size(), '\0');
    co_await asio::async_read(s, asio::buffer(back), asio::use_awaitable);
    co_return back;
}

asio::awaitable<tcp::socket> connect_to(std::uint16_t port) {
    tcp::socket s(co_await asio::this_coro::executor);
    co_await s.async_connect({asio::ip::make_address_v4("127.0.0.1"), port}, asio::use_awaitable);
    co_return s;
}

/// One CONNECT on a fresh connection to `proxy`: the answer.
proxy_answer connect_once(tinyproxy const& proxy, std::string const& target, std::string extra = {}) {
    asio::io_context io;
    return run_bounded(io, [&]() -> asio::awaitable<proxy_answer> {
        auto s = co_await connect_to(proxy.port());
        co_return co_await send_connect(s, target, extra);
    }());
}

/// A TLS client context trusting only `ca_pem`, verifying the peer as `host`.
asio::ssl::context client_context(std::string const& ca_pem) {
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    ctx.set_verify_mode(asio::ssl::verify_peer);
    ctx.add_certificate_authority(asio::buffer(ca_pem));
    return ctx;
}

std::string const project = "73d69ae0cfcf460190522d06b60f05ad";

/// GET one page of instances from the emulator over `s` (a TLS stream already handshaken).
template <class Stream>
asio::awaitable<http::response<http::string_body>> get_instances(Stream& s, std::uint16_t emulator_port) {
    http::request<http::empty_body> req(http::verb::get, "/v2/" + project + "/apigw/instances?limit=2", 11);
    req.set(http::field::host, "127.0.0.1:" + std::to_string(emulator_port));
    req.set("X-Auth-Token", "emulator-token");
    co_await http::async_write(s, req, asio::use_awaitable);
    boost::beast::flat_buffer buf;
    http::response<http::string_body> res;
    co_await http::async_read(s, buf, res, asio::use_awaitable);
    co_return res;
}

std::string slurp(std::filesystem::path const& p) {
    std::ifstream f(p);
    return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

}  // namespace

TEST_CASE("proxy harness: a tinyproxy that is not installed fails with a message saying how to install it") {
    tinyproxy_options o;
    o.executable = "/nonexistent/tinyproxy";
    CHECK_THROWS_WITH_AS(tinyproxy{o}, doctest::Contains("scripts/deps.sh"), std::runtime_error);
}

TEST_CASE("proxy harness: tinyproxy tunnels a CONNECT to a local listener and logs it") {
    tcp_target target;
    tinyproxy proxy;
    CHECK(proxy.url() == "http://127.0.0.1:" + std::to_string(proxy.port()));
    CHECK(proxy.connects().empty());

    asio::io_context io;
    auto const got = run_bounded(io, [&]() -> asio::awaitable<std::pair<proxy_answer, std::string>> {
        auto s = co_await connect_to(proxy.port());
        auto a = co_await send_connect(s, target.authority());
        auto e = co_await echo_round_trip(s, "ping through the tunnel\n");
        co_return std::pair{a, e};
    }());
    CHECK(got.first.status == 200);
    CHECK(got.first.status_line == "HTTP/1.0 200 Connection established");
    CHECK(got.second == "ping through the tunnel\n");
    CHECK(target.accepted() == 1);

    REQUIRE(proxy.wait_for_connects(1));
    CHECK(proxy.connects() == std::vector<std::string>{target.authority()});
    CHECK(proxy.wait_for_log("Established connection to host \"127.0.0.1\""));
    CHECK(proxy.established() == std::vector<std::string>{"127.0.0.1"});
    CHECK(proxy.log().find("]: Request (file descriptor ") != std::string::npos);
}

TEST_CASE("proxy harness: through tinyproxy to the emulator, TLS inside the tunnel") {
    apig::emulator::server emu(apig::emulator::options{});
    tinyproxy proxy;
    auto ctx = client_context(emu.ca_pem());

    asio::io_context io;
    auto const got =
        run_bounded(io, [&]() -> asio::awaitable<std::pair<proxy_answer, http::response<http::string_body>>> {
            auto s = co_await connect_to(proxy.port());
            auto a = co_await send_connect(s, "127.0.0.1:" + std::to_string(emu.port()));
            asio::ssl::stream<tcp::socket&> tls(s, ctx);
            tls.set_verify_callback(asio::ssl::host_name_verification("127.0.0.1"));
            co_await tls.async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
            auto r = co_await get_instances(tls, emu.port());
            co_return std::pair{a, std::move(r)};
        }());
    CHECK(got.first.status == 200);
    CHECK(got.second.result_int() == 200);
    CHECK(got.second.body().find("\"instances\"") != std::string::npos);
    CHECK(emu.requests().size() == 1);
    REQUIRE(proxy.wait_for_connects(1));
    CHECK(proxy.connects() == std::vector<std::string>{"127.0.0.1:" + std::to_string(emu.port())});
}

TEST_CASE("proxy harness: basic_auth: no credentials 407, wrong ones 401, the right ones 200") {
    tcp_target target;
    tinyproxy_options o;
    o.basic_auth = apig::test::proxy_credentials{"apig-user", "s3cr.et_pw-1"};
    tinyproxy proxy(o);
    CHECK(proxy.url_with_credentials() == "http://apig-user:s3cr.et_pw-1@127.0.0.1:" + std::to_string(proxy.port()));
    CHECK(proxy.proxy_authorization() == "Basic YXBpZy11c2VyOnMzY3IuZXRfcHctMQ==");

    auto const none = connect_once(proxy, target.authority());
    CHECK(none.status == 407);
    CHECK(none.status_line == "HTTP/1.0 407 Proxy Authentication Required");
    CHECK(none.head.find("Proxy-Authenticate: Basic realm=\"Tinyproxy\"\r\n") != std::string::npos);

    // tinyproxy 1.11 answers wrong credentials with 401, not 407.
    auto const wrong_password = connect_once(proxy, target.authority(),
                                             "Proxy-Authorization: Basic YXBpZy11c2VyOndyb25n\r\n");  // apig-user:wrong
    CHECK(wrong_password.status == 401);
    auto const wrong_scheme = connect_once(proxy, target.authority(), "Proxy-Authorization: Bearer abc\r\n");
    CHECK(wrong_scheme.status == 401);
    CHECK(target.accepted() == 0);

    auto const right = connect_once(proxy, target.authority(), "Proxy-Authorization: " + proxy.proxy_authorization() + "\r\n");
    CHECK(right.status == 200);
    CHECK(target.wait_accepted(1));
    CHECK(target.accepted() == 1);
    // Every CONNECT read is logged, refused ones too.
    REQUIRE(proxy.wait_for_connects(4));
    CHECK(proxy.connects() == std::vector<std::string>(4, target.authority()));
}

TEST_CASE("proxy harness: options tinyproxy cannot take are refused before it starts") {
    auto with_auth = [](std::string user, std::string password) {
        tinyproxy_options o;
        o.basic_auth = apig::test::proxy_credentials{std::move(user), std::move(password)};
        return o;
    };
    CHECK_THROWS_AS(tinyproxy(with_auth("user", "p@ss")), std::invalid_argument);
    CHECK_THROWS_AS(tinyproxy(with_auth("us er", "pass")), std::invalid_argument);
    CHECK_THROWS_AS(tinyproxy(with_auth("user", "")), std::invalid_argument);
    tinyproxy_options both;
    both.deny = {"127.0.0.1"};
    both.allow_only = {"localhost"};
    CHECK_THROWS_AS(tinyproxy{both}, std::invalid_argument);
    tinyproxy_options quote;
    quote.deny = {"a\"b"};
    CHECK_THROWS_AS(tinyproxy{quote}, std::invalid_argument);
}

TEST_CASE("proxy harness: a config line tinyproxy rejects fails the constructor with tinyproxy's message") {
    tinyproxy_options o;
    o.extra_config = {"NoSuchDirective 1"};
    std::string what;
    try {
        tinyproxy p(o);
    } catch (std::runtime_error const& e) {
        what = e.what();
    }
    // The exit status and tinyproxy's own stderr, naming the line (the 7th of the generated config).
    CHECK(what.find("tinyproxy failed to start (exit status 70)") != std::string::npos);
    CHECK(what.find("Syntax error on line 7") != std::string::npos);
}

TEST_CASE("proxy harness: deny refuses exactly the listed targets with 403") {
    tcp_target denied, other;
    tinyproxy_options o;
    o.deny = {denied.authority(), "localhost"};
    tinyproxy proxy(o);

    auto const refused = connect_once(proxy, denied.authority());
    CHECK(refused.status == 403);
    CHECK(refused.status_line == "HTTP/1.1 403 Filtered");
    CHECK(connect_once(proxy, "localhost:" + std::to_string(other.port())).status == 403);  // host only: any port
    CHECK(connect_once(proxy, "LOCALHOST:" + std::to_string(other.port())).status == 403);  // case-insensitive
    CHECK(denied.accepted() == 0);
    CHECK(other.accepted() == 0);

    CHECK(connect_once(proxy, other.authority()).status == 200);
    CHECK(other.wait_accepted(1));
    CHECK(other.accepted() == 1);
    // A prefix of a denied target is a different target.
    CHECK(connect_once(proxy, "127.0.0.1:" + std::to_string(denied.port()) + "0").status != 403);
}

TEST_CASE("proxy harness: allow_only lets only the listed targets through") {
    tcp_target allowed, other;
    tinyproxy_options o;
    o.allow_only = {allowed.authority()};
    tinyproxy proxy(o);
    CHECK(connect_once(proxy, other.authority()).status == 403);
    CHECK(connect_once(proxy, "localhost:" + std::to_string(allowed.port())).status == 403);
    CHECK(connect_once(proxy, allowed.authority()).status == 200);
    CHECK(allowed.wait_accepted(1));
    CHECK(allowed.accepted() == 1);
    CHECK(other.accepted() == 0);
}

TEST_CASE("proxy harness: connect_ports refuses other ports with 403 Access violation") {
    tcp_target allowed, other;
    tinyproxy_options o;
    o.connect_ports = {allowed.port()};
    tinyproxy proxy(o);
    auto const refused = connect_once(proxy, other.authority());
    CHECK(refused.status == 403);
    CHECK(refused.status_line == "HTTP/1.1 403 Access violation");
    CHECK(connect_once(proxy, allowed.authority()).status == 200);
    CHECK(allowed.wait_accepted(1));  // the 200 can reach us before the target's thread accepts
    CHECK(allowed.accepted() == 1);
    CHECK(other.accepted() == 0);
}

TEST_CASE("proxy harness: stop() and the destructor end the process and remove its files") {
    pid_t pid = -1;
    std::filesystem::path dir;
    {
        tinyproxy proxy;
        pid = proxy.pid();
        dir = proxy.directory();
        REQUIRE(pid > 0);
        CHECK(std::filesystem::exists(dir / "tinyproxy.log"));
        CHECK(slurp("/proc/" + std::to_string(pid) + "/cmdline").find(dir.string()) != std::string::npos);
        CHECK(proxy.running());
        proxy.stop();
        CHECK_FALSE(proxy.running());
        CHECK(proxy.log().find("Shutting down.") != std::string::npos);
        proxy.stop();  // idempotent
    }
    CHECK_FALSE(std::filesystem::exists(dir));
    // The pid is reaped (a process now holding it, if any, is not this tinyproxy).
    CHECK(slurp("/proc/" + std::to_string(pid) + "/cmdline").find(dir.string()) == std::string::npos);

    // Destruction while a tunnel is open.
    tcp_target target;
    asio::io_context io;
    std::optional<tinyproxy> proxy(std::in_place);
    pid = proxy->pid();
    dir = proxy->directory();
    tcp::socket s(io);
    auto const opened = run_bounded(io, [&]() -> asio::awaitable<proxy_answer> {
        co_await s.async_connect({asio::ip::make_address_v4("127.0.0.1"), proxy->port()}, asio::use_awaitable);
        co_return co_await send_connect(s, target.authority());
    }());
    REQUIRE(opened.status == 200);
    proxy.reset();
    CHECK(slurp("/proc/" + std::to_string(pid) + "/cmdline").find(dir.string()) == std::string::npos);
    // The client's end of the tunnel sees the close.
    auto const ec = run_bounded(io, [&]() -> asio::awaitable<boost::system::error_code> {
        char c;
        auto [e, n] = co_await s.async_read_some(asio::buffer(&c, 1), asio::as_tuple(asio::use_awaitable));
        (void)n;
        co_return e;
    }());
    CHECK(ec);
}

TEST_CASE("proxy harness: several proxies at once get ports of their own") {
    tinyproxy a, b, c;
    CHECK(a.port() != b.port());
    CHECK(b.port() != c.port());
    CHECK(a.port() != c.port());
    tcp_target target;
    CHECK(connect_once(a, target.authority()).status == 200);
    CHECK(connect_once(c, target.authority()).status == 200);
    CHECK(a.wait_for_connects(1));
    CHECK(b.connects().empty());
}

TEST_CASE("proxy harness: tls_front: TLS to the front, CONNECT inside, tinyproxy tunnels") {
    tcp_target target;
    tinyproxy proxy;
    tls_front front(proxy.port());
    CHECK(front.url() == "https://127.0.0.1:" + std::to_string(front.port()));

    auto ctx = client_context(front.ca_pem());
    asio::io_context io;
    auto const got = run_bounded(io, [&]() -> asio::awaitable<std::pair<proxy_answer, std::string>> {
        auto s = co_await connect_to(front.port());
        asio::ssl::stream<tcp::socket&> tls(s, ctx);
        tls.set_verify_callback(asio::ssl::host_name_verification("127.0.0.1"));
        co_await tls.async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
        auto a = co_await send_connect(tls, target.authority());
        auto e = co_await echo_round_trip(tls, "hello over https proxy\n");
        co_return std::pair{a, e};
    }());
    CHECK(got.first.status == 200);
    CHECK(got.second == "hello over https proxy\n");
    CHECK(front.accepted() == 1);
    CHECK(front.handshakes() == 1);
    REQUIRE(proxy.wait_for_connects(1));
    CHECK(proxy.connects() == std::vector<std::string>{target.authority()});
    // The client closed its socket when the coroutine ended: the front closes its side too.
    CHECK(front.wait_for_finished(1));
}

TEST_CASE("proxy harness: tls_front's certificate is checked: an untrusted CA or another name fails") {
    tinyproxy proxy;
    tls_front front(proxy.port());
    auto handshake = [&](asio::ssl::context& ctx, std::string const& name) {
        asio::io_context io;
        return run_bounded(io, [&]() -> asio::awaitable<boost::system::error_code> {
            auto s = co_await connect_to(front.port());
            asio::ssl::stream<tcp::socket&> tls(s, ctx);
            tls.set_verify_callback(asio::ssl::host_name_verification(name));
            auto [ec] = co_await tls.async_handshake(asio::ssl::stream_base::client, asio::as_tuple(asio::use_awaitable));
            co_return ec;
        }());
    };
    auto trusting = client_context(front.ca_pem());
    CHECK_FALSE(handshake(trusting, "127.0.0.1"));
    CHECK_FALSE(handshake(trusting, "proxy.test"));
    CHECK(handshake(trusting, "other.test"));
    auto other_ca = client_context(apig::emulator::make_tls_material().ca_cert_pem);
    CHECK(handshake(other_ca, "127.0.0.1"));
    // Wait for all four to end first: under TLS 1.3 our handshake returns before the front has
    // read our Finished, so its count may still be behind.
    CHECK(front.wait_for_finished(4));
    CHECK(front.accepted() == 4);
    CHECK(front.handshakes() == 2);
    CHECK(proxy.connects().empty());
}

TEST_CASE("proxy harness: tls_front closes with close_notify when the target closes the tunnel") {
    tcp_target closer(/*close_at_once=*/true);
    tinyproxy proxy;
    tls_front front(proxy.port());
    auto ctx = client_context(front.ca_pem());
    asio::io_context io;
    auto const got = run_bounded(io, [&]() -> asio::awaitable<std::pair<proxy_answer, boost::system::error_code>> {
        auto s = co_await connect_to(front.port());
        asio::ssl::stream<tcp::socket&> tls(s, ctx);
        co_await tls.async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
        auto a = co_await send_connect(tls, closer.authority());
        char c;
        auto [e, n] = co_await tls.async_read_some(asio::buffer(&c, 1), asio::as_tuple(asio::use_awaitable));
        (void)n;
        co_return std::pair{a, e};
    }());
    CHECK(got.first.status == 200);
    CHECK(got.second == asio::error::eof);  // a clean TLS close (close_notify), not stream_truncated
    CHECK(front.wait_for_finished(1));
}

TEST_CASE("proxy harness: https proxy with basic_auth to the emulator: TLS inside TLS") {
    apig::emulator::server emu(apig::emulator::options{});
    tinyproxy_options o;
    o.basic_auth = apig::test::proxy_credentials{"u", "p"};
    tinyproxy proxy(o);
    tls_front front(proxy.port());
    auto outer_ctx = client_context(front.ca_pem());
    auto inner_ctx = client_context(emu.ca_pem());

    asio::io_context io;
    auto const got =
        run_bounded(io, [&]() -> asio::awaitable<std::pair<proxy_answer, http::response<http::string_body>>> {
            auto s = co_await connect_to(front.port());
            asio::ssl::stream<tcp::socket&> outer(s, outer_ctx);
            outer.set_verify_callback(asio::ssl::host_name_verification("127.0.0.1"));
            co_await outer.async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
            auto a = co_await send_connect(outer, "127.0.0.1:" + std::to_string(emu.port()),
                                           "Proxy-Authorization: " + proxy.proxy_authorization() + "\r\n");
            asio::ssl::stream<asio::ssl::stream<tcp::socket&>&> inner(outer, inner_ctx);
            inner.set_verify_callback(asio::ssl::host_name_verification("127.0.0.1"));
            co_await inner.async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
            auto r = co_await get_instances(inner, emu.port());
            co_return std::pair{a, std::move(r)};
        }());
    CHECK(got.first.status == 200);
    CHECK(got.second.result_int() == 200);
    CHECK(got.second.body().find("\"instances\"") != std::string::npos);
    CHECK(emu.requests().size() == 1);
    CHECK(front.handshakes() == 1);
    REQUIRE(proxy.wait_for_connects(1));
    CHECK(proxy.connects() == std::vector<std::string>{"127.0.0.1:" + std::to_string(emu.port())});
}
