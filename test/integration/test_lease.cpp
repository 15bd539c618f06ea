// The pool's lease owns the connection's lifecycle: it hands out a connected, usable
// connection (a kept-alive one again, or a new one), discards what failed, and resends a
// request once when a kept-alive connection turns out to be stale. Tested on the lease itself,
// over plain TCP against a scripted server, and end to end through the client (stats, log).

#include "harness.hpp"
#include "paging_server.hpp"
#include "plain_server.hpp"
#include "raw_server.hpp"

#include "http/pool.hpp"

#include <apig/client.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace {

namespace asio = boost::asio;
using apig::test::run;
using apig::test::script_server;
using std::chrono::milliseconds;

std::string not_found(std::string const& body = "{}") {
    return "HTTP/1.1 404 Not Found\r\nX-Request-Id: lease-req\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n\r\n" + body;
}

bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

// A pool of one slot on plain TCP to `port`, with the client's counters and an environment
// whose every step may take `step_time`; log lines are collected.
struct fixture {
    explicit fixture(std::uint16_t port, milliseconds step_time = milliseconds(5000))
        : host{"127.0.0.1", std::to_string(port), "127.0.0.1:" + std::to_string(port), "", true, false},
          time(step_time) {}

    asio::io_context io;
    asio::ssl::context ctx{asio::ssl::context::tls_client};
    apig::http::pool_counters counters;
    apig::http::pool pool{io.get_executor(), ctx, {1, {}, 0}, counters};
    apig::http::target_host host;
    milliseconds time;
    std::atomic<std::uint64_t> requests{0}, replays{0}, bytes{0};
    std::vector<std::pair<apig::log_level, std::string>> lines;
    apig::http::lease_env env{
        .host = host,
        .limit = [this](apig::http::step) {
            return apig::http::step_limit{std::chrono::steady_clock::now() + time, "test step limit"};
        },
        .requests = requests,
        .replays = replays,
        .bytes = bytes,
        .log = [this](apig::log_level l, std::string const& s) { lines.emplace_back(l, s); },
    };

    apig::http::lease acquire() {
        auto acquired = run(io, pool.acquire(std::chrono::steady_clock::now() + time));
        REQUIRE_FALSE(acquired.first);
        return std::move(acquired.second);
    }

    // One exchange on a lease taken for it (given back when done).
    struct result {
        apig::error_info error;
        apig::http::exchange_result out;
        bool reused = false;
    };
    result exchange() {
        auto l = acquire();
        result r;
        apig::instance_page page;
        r.error = run(io, l.exchange(env, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", page, 1 << 20, r.out, {}));
        r.reused = l.reused();
        return r;
    }
};

}  // namespace

TEST_CASE("lease: connect hands out a connected connection, then the kept-alive one again") {
    script_server srv({{not_found()}, {not_found()}});
    fixture f(srv.port());
    {
        auto l = f.acquire();
        CHECK(l.get() == nullptr);  // an empty pool: nothing to reuse
        CHECK_FALSE(run(f.io, l.connect(f.env)));
        REQUIRE(l.get() != nullptr);
        CHECK(l.get()->reusable());
        CHECK_FALSE(l.reused());
        CHECK(f.counters.created == 1);
        CHECK(f.counters.open == 1);
        apig::instance_page page;
        apig::http::exchange_result out;
        CHECK_FALSE(run(f.io, l.exchange(f.env, "GET / HTTP/1.1\r\n\r\n", page, 1 << 20, out, {})));
        CHECK(out.status == 404);
        CHECK_FALSE(l.reused());  // exchange() kept the connection connect() made
        CHECK(f.counters.created == 1);
    }
    CHECK(f.counters.idle == 1);
    auto l = f.acquire();
    CHECK_FALSE(run(f.io, l.connect(f.env)));
    CHECK(l.reused());
    CHECK(f.counters.created == 1);
    CHECK(f.counters.reused == 1);
    CHECK(srv.connections() == 1);
    CHECK(f.requests == 1);
}

TEST_CASE("lease: a connect that fails leaves no connection, and the slot held") {
    std::uint16_t port = 0;
    {
        asio::io_context io;
        asio::ip::tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
        port = a.local_endpoint().port();
    }  // closed: nothing listens there any more
    fixture f(port);
    auto l = f.acquire();
    auto const e = run(f.io, l.connect(f.env));
    CHECK(e.code == apig::errc::connect_failed);
    CHECK(contains(e.message, "connecting to 127.0.0.1:" + std::to_string(port)));
    CHECK(l.get() == nullptr);
    CHECK(l);
    CHECK(f.counters.open == 0);
    CHECK(f.counters.in_use == 1);
    CHECK(f.requests == 0);
}

TEST_CASE("lease: a kept-alive connection closed before any byte of the answer: resent once on a new one") {
    // Request 1 is answered; request 2 reaches the kept-alive connection, which the server
    // closes without a byte (as one closing an idle connection does); request 3 is the resend.
    script_server srv({{not_found("{\"first\":1}")}, {"", true}, {not_found("{\"third\":3}")}});
    fixture f(srv.port());
    CHECK_FALSE(f.exchange().error);
    auto const r = f.exchange();
    CHECK_FALSE(r.error);
    CHECK(r.out.status == 404);
    CHECK(r.out.request_id == "lease-req");
    CHECK_FALSE(r.reused);  // the answer came on the new connection
    CHECK(f.replays == 1);
    CHECK(f.requests == 3);
    CHECK(f.counters.created == 2);
    CHECK(f.counters.reused == 1);
    CHECK(f.counters.discarded == 0);
    CHECK(f.counters.open == 1);
    CHECK(srv.requests() == 3);
    CHECK(srv.connections() == 2);
    REQUIRE(f.lines.size() == 1);
    CHECK(f.lines[0].first == apig::log_level::debug);
    CHECK(f.lines[0].second == "a kept-alive connection was closed by the server; resending on a new one");
}

TEST_CASE("lease: no resend for a new connection, nor after a byte of the answer, nor twice") {
    std::vector<script_server::reply> script;
    std::string want;
    std::uint64_t requests = 0;
    SUBCASE("a new connection closed before any byte") {
        script = {{"", true}};
        want = "the server closed the connection before responding";
        requests = 1;
    }
    SUBCASE("a kept-alive connection closed after a byte of the answer") {
        script = {{not_found()}, {"HTTP/1.1 4", true}};
        want = ": partial message";  // plain TCP: Beast's name for a header cut short
        requests = 2;
    }
    SUBCASE("the resend's new connection closed too") {
        script = {{not_found()}, {"", true}, {"", true}};
        want = "the server closed the connection before responding";
        requests = 3;
    }
    CAPTURE(want);
    script_server srv(script);
    fixture f(srv.port());
    auto r = f.exchange();
    if (requests > 1) {
        CHECK_FALSE(r.error);
        r = f.exchange();
    }
    CHECK(contains(r.error.message, want));
    CHECK(f.requests == requests);
    CHECK(f.replays == (requests == 3 ? 1u : 0u));
    CHECK(f.counters.open == 0);  // the failed connection was discarded
    CHECK(srv.requests() == requests);
}

TEST_CASE("lease: a kept-alive connection whose answer times out is not resent") {
    script_server srv({{not_found()}, {.bytes = "", .never_answer = true}});
    fixture f(srv.port(), milliseconds(500));
    CHECK_FALSE(f.exchange().error);
    auto const r = f.exchange();
    CHECK(r.error.code == apig::errc::timed_out);
    CHECK(contains(r.error.message, "test step limit"));
    CHECK(r.reused);
    CHECK(f.replays == 0);
    CHECK(f.requests == 2);
    CHECK(f.counters.open == 0);
}

TEST_CASE("lease: the client resends a request once when its kept-alive connection was stale") {
    using apig::test::raw_server;
    std::string const body = apig::test::paging_server::page(1, {"i-1"});
    raw_server srv({{raw_server::response("200 OK", body)}, {"", true}, {raw_server::response("200 OK", body)}});
    auto o = apig::test::trusting(srv, "lease-token");
    std::vector<std::string> lines;
    o.log = [&](apig::log_level, std::string_view s) { lines.emplace_back(s); };
    o.log_min_level = apig::log_level::debug;
    std::vector<bool> reused;
    o.on_attempt = [&](apig::attempt_info const& a) { reused.push_back(a.reused_connection); };
    asio::io_context io;
    apig::client c(io.get_executor(), o);
    CHECK(run(io, c.list_instances({})).instances.size() == 1);
    CHECK(run(io, c.list_instances({})).instances.size() == 1);
    auto const s = c.stats();
    CHECK(s.replays == 1);
    CHECK(s.retries == 0);  // the same attempt
    CHECK(s.requests == 3);
    CHECK(s.created == 2);
    CHECK(s.reused == 1);
    CHECK(srv.connections() == 2);
    CHECK(reused == std::vector<bool>{false, false});
    CHECK(std::count(lines.begin(), lines.end(),
                     "a kept-alive connection was closed by the server; resending on a new one") == 1);
}
