// The client's rate limit against the in-process emulator: spacing seen by the server (lower
// bounds on time, which hold on a loaded machine), walks, retries taking tokens, cancellation
// and the deadline while waiting, two clients sharing one limiter, bad options.
#include "harness.hpp"
#include "retry_detail.hpp"  // test seams

#include <apig/rate_limit.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <limits>

namespace asio = boost::asio;
using apig::test::options_for;
using apig::test::run;
using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// The latest time the emulator received a request.
steady::time_point last_request_at(apig::emulator::server const& srv) {
    auto const reqs = srv.requests();
    REQUIRE_FALSE(reqs.empty());
    steady::time_point last{};
    for (auto const& r : reqs) last = std::max(last, r.at);
    return last;
}

// One call started and cancelled (terminal, per operation) 50 ms later: how it ended.
std::pair<boost::system::error_code, apig::error_info> cancelled_call(apig::client& c, asio::io_context& io,
                                                                      bool whole_client) {
    asio::cancellation_signal sig;
    boost::system::error_code got = apig::errc::invalid_argument;  // overwritten by the handler
    apig::error_info diag;
    c.async_list_instances({}, diag,
                           asio::bind_cancellation_slot(sig.slot(), [&](boost::system::error_code ec, apig::instance_page) {
                               got = ec;
                           }));
    asio::steady_timer t(io, milliseconds(50));
    t.async_wait([&](boost::system::error_code) {
        if (whole_client)
            c.cancel();
        else
            sig.emit(asio::cancellation_type::terminal);
    });
    io.restart();
    io.run();
    return {got, diag};
}

}  // namespace

TEST_CASE("rate limit: the server sees the calls spaced at the rate, after the burst") {
    apig::emulator::server srv({.instance_count = 5});
    auto o = options_for(srv);
    o.rate_limit = {.requests_per_second = 50, .burst = 3};  // 20 ms apart after 3
    asio::io_context io;
    apig::client c(io.get_executor(), o);
    int const n = 12;
    auto const before = steady::now();
    int ok = 0;
    for (int i = 0; i < n; ++i)
        asio::co_spawn(io, c.list_instances({}), [&](std::exception_ptr ep, apig::instance_page) { ok += !ep; });
    io.run();
    CHECK(ok == n);
    REQUIRE(srv.requests_served() == n);
    // The last of n requests cannot leave before its place: (n - burst) intervals after the start.
    CHECK(last_request_at(srv) - before >= (n - 3) * 20ms);
    auto const s = c.stats();
    CHECK(s.rate_limited >= 1);
    CHECK(s.rate_limited <= n - 3);
    CHECK(s.rate_limit_wait > 0us);
    CHECK(s.in_use == 0);
}

TEST_CASE("rate limit: a walk (pages, list_all) takes a token per page request") {
    apig::emulator::server srv({.instance_count = 100});
    auto o = options_for(srv);
    o.rate_limit = {.requests_per_second = 100};  // burst 1: 10 ms apart
    asio::io_context io;
    apig::client c(io.get_executor(), o);
    auto const before = steady::now();
    auto all = run(io, c.list_all({}, {.page_size = 10, .concurrency = 4}));
    CHECK(all.size() == 100);
    auto const n = srv.requests_served();
    REQUIRE(n >= 10);
    CHECK(last_request_at(srv) - before >= static_cast<long>(n - 1) * 10ms);
    CHECK(c.stats().rate_limited >= 1);
}

TEST_CASE("rate limit: every retry takes a token") {
    apig::emulator::server srv({.instance_count = 5});
    srv.fail_next(2, 503);
    auto limiter =
        std::make_shared<apig::rate_limiter>(apig::rate_limit_options{.requests_per_second = 0.01, .burst = 2});
    auto o = options_for(srv);
    o.shared_rate_limiter = limiter;
    o.rate_limit = {.requests_per_second = 1000};  // ignored: the shared limiter applies
    std::vector<milliseconds> waits;
    apig::detail::seams(o.retry).random = [] { return 0.5; };
    apig::detail::seams(o.retry).sleep = [&](milliseconds d) -> asio::awaitable<void> {
        waits.push_back(d);  // returns at once: the test does not wait 100 s
        co_return;
    };
    asio::io_context io;
    apig::client c(io.get_executor(), o);
    CHECK(run(io, c.list_instances({})).total == 5);
    CHECK(srv.requests_served() == 3);
    // Two backoffs, and the third attempt's wait for a token: the burst of 2 was spent by
    // attempts 1 and 2, the next place is 100 s after the first.
    REQUIRE(waits.size() == 3);
    CHECK(waits[2] > 99s);
    CHECK(waits[2] <= 100s);
    CHECK(c.stats().rate_limited == 1);
    // Three tokens taken: the next place is 200 s after the first.
    CHECK(limiter->reserve(steady::now()).time - steady::now() > 190s);
}

TEST_CASE("rate limit: cancelled while waiting: operation_aborted at once, and the token given back") {
    apig::emulator::server srv({.instance_count = 5});
    for (bool whole_client : {false, true}) {
        CAPTURE(whole_client);
        auto limiter = std::make_shared<apig::rate_limiter>(apig::rate_limit_options{.requests_per_second = 0.01});
        auto const first = limiter->reserve(steady::now());  // the only token: the call waits 100 s
        auto o = options_for(srv);
        o.shared_rate_limiter = limiter;
        o.timeouts.total = 0ms;  // no deadline: only the cancellation ends the wait
        asio::io_context io;
        apig::client c(io.get_executor(), o);
        srv.reset_stats();
        auto const before = steady::now();
        auto [ec, diag] = cancelled_call(c, io, whole_client);
        CHECK(ec == asio::error::operation_aborted);
        CHECK(steady::now() - before < 50s);
        CHECK(diag.message ==
              "waiting for the rate limit (shared_rate_limiter: 0.01 requests/s, burst 1) before attempt 1: cancelled");
        CHECK(diag.attempts == 0);
        CHECK(srv.requests_served() == 0);
        CHECK(c.stats().in_use == 0);
        CHECK(c.stats().open == 0);  // the wait held no connection
        // The cancelled call's place (first + 100 s) is free again.
        auto const next = limiter->reserve(steady::now());
        CHECK(next.time - first.time == std::chrono::nanoseconds(100s));
    }
}

TEST_CASE("rate limit: a token beyond the call's deadline fails at once with timed_out, taking nothing") {
    apig::emulator::server srv({.instance_count = 5});
    auto limiter = std::make_shared<apig::rate_limiter>(apig::rate_limit_options{.requests_per_second = 0.01});
    auto const first = limiter->reserve(steady::now());
    auto o = options_for(srv);
    o.shared_rate_limiter = limiter;
    o.timeouts.total = 5s;
    auto const before = steady::now();
    auto e = apig::test::list_error(o);
    CHECK(steady::now() - before < 5s);  // it did not wait for the deadline
    CHECK(e.code() == apig::errc::timed_out);
    CHECK(e.info().attempts == 0);
    std::string const what = e.what();
    CHECK(what.find("the rate limit (shared_rate_limiter: 0.01 requests/s, burst 1) would hold attempt 1 for") !=
          std::string::npos);
    CHECK(what.find("past the call's overall deadline (timeouts.total = 5000 ms") != std::string::npos);
    CHECK(srv.requests_served() == 0);
    CHECK(limiter->reserve(steady::now()).time - first.time == std::chrono::nanoseconds(100s));
}

TEST_CASE("rate limit: two clients sharing a limiter are limited together") {
    apig::emulator::server srv({.instance_count = 5});
    auto limiter = std::make_shared<apig::rate_limiter>(apig::rate_limit_options{.requests_per_second = 50});
    auto o = options_for(srv);
    o.shared_rate_limiter = limiter;
    asio::io_context io;
    apig::client a(io.get_executor(), o);
    apig::client b(io.get_executor(), o);
    auto const before = steady::now();
    int ok = 0;
    for (int i = 0; i < 5; ++i) {
        asio::co_spawn(io, a.list_instances({}), [&](std::exception_ptr ep, apig::instance_page) { ok += !ep; });
        asio::co_spawn(io, b.list_instances({}), [&](std::exception_ptr ep, apig::instance_page) { ok += !ep; });
    }
    io.run();
    CHECK(ok == 10);
    REQUIRE(srv.requests_served() == 10);
    // Alone, each client's 5 calls would take 4 intervals; together, 10 calls take 9.
    CHECK(last_request_at(srv) - before >= 9 * 20ms);
    CHECK(a.stats().requests == 5);
    CHECK(b.stats().requests == 5);
    CHECK(a.stats().rate_limited + b.stats().rate_limited >= 5);
}

TEST_CASE("rate limit: bad options fail the constructor naming the field - a limit of 0 is none") {
    apig::emulator::server srv({.instance_count = 5});
    asio::io_context io;
    for (double bad : {-1.0, 2e6, std::numeric_limits<double>::quiet_NaN()}) {
        auto o = options_for(srv);
        o.rate_limit.requests_per_second = bad;
        try {
            apig::client c(io.get_executor(), o);
            FAIL("accepted a rate of " << bad);
        } catch (apig::api_error const& e) {
            CHECK(e.code() == apig::errc::invalid_argument);
            CHECK(std::string(e.what()).find("rate_limit.requests_per_second") != std::string::npos);
        }
    }
    auto o = options_for(srv);
    o.rate_limit.burst = 4;
    CHECK_THROWS_WITH_AS(apig::client(io.get_executor(), o), doctest::Contains("rate_limit.burst (4) needs"),
                         apig::api_error);
    // A shared limiter without a rate limits nothing.
    o = options_for(srv);
    o.shared_rate_limiter = std::make_shared<apig::rate_limiter>();
    apig::client c(io.get_executor(), o);
    for (int i = 0; i < 5; ++i) CHECK(run(io, c.list_instances({})).total == 5);
    CHECK(c.stats().rate_limited == 0);
}
