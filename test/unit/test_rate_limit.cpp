// The rate limiter (GCRA) without sockets: bucket fill, burst, the long-run rate, the window
// bound over random schedules, cancellation, a shared limiter under several threads, invalid
// options; and the call state machine's wait for a token (deadline, cancellation, retries).
#include <apig/error.hpp>
#include <apig/rate_limit.hpp>

#include "call_fsm.hpp"

#include <boost/asio/error.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using apig::rate_limiter;
using apig::rate_limit_options;
using steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

steady::time_point const t0 = steady::time_point{} + 1h;

// The invalid_argument message of constructing a limiter with `o`, or "" if it is accepted.
std::string refusal(rate_limit_options o) {
    try {
        rate_limiter l(o);
    } catch (apig::api_error const& e) {
        CHECK(e.code() == apig::errc::invalid_argument);
        return e.what();
    }
    return "";
}

// Every window [s_i, s_i + w] over sorted start times holds at most `bound` starts.
std::size_t max_in_window(std::vector<steady::time_point> starts, steady::duration w) {
    std::sort(starts.begin(), starts.end());
    std::size_t best = 0, j = 0;
    for (std::size_t i = 0; i < starts.size(); ++i) {
        while (starts[i] - starts[j] > w) ++j;
        best = std::max(best, i - j + 1);
    }
    return best;
}

}  // namespace

TEST_CASE("rate_limiter: off by default, never waits") {
    rate_limiter l;
    CHECK_FALSE(l.enabled());
    for (int i = 0; i < 1000; ++i) {
        auto r = l.reserve(t0);
        CHECK(r.granted);
        CHECK(r.time == t0);
    }
}

TEST_CASE("rate_limiter: a full bucket lets `burst` requests go at once, then one per interval") {
    rate_limiter l({.requests_per_second = 10, .burst = 3});
    CHECK(l.interval() == 100ms);
    for (int i = 0; i < 3; ++i) {
        auto r = l.reserve(t0);
        REQUIRE(r.granted);
        CHECK(r.time == t0);
    }
    // The bucket is empty: the next ones are scheduled 100 ms apart.
    CHECK(l.reserve(t0).time == t0 + 100ms);
    CHECK(l.reserve(t0).time == t0 + 200ms);
    // Asked later, a request gets the next free place, not `now`.
    CHECK(l.reserve(t0 + 150ms).time == t0 + 300ms);
}

TEST_CASE("rate_limiter: the bucket refills at the rate, up to burst") {
    rate_limiter l({.requests_per_second = 10, .burst = 2});
    CHECK(l.reserve(t0).time == t0);
    CHECK(l.reserve(t0).time == t0);
    CHECK(l.reserve(t0).time == t0 + 100ms);
    // 1 s of quiet refills the bucket to 2 tokens, not 10.
    auto const later = t0 + 1100ms;
    CHECK(l.reserve(later).time == later);
    CHECK(l.reserve(later).time == later);
    CHECK(l.reserve(later).time == later + 100ms);
    // Half an interval after that place, the next is still 100 ms after it.
    CHECK(l.reserve(later + 150ms).time == later + 200ms);
}

TEST_CASE("rate_limiter: default burst is 1: requests evenly spaced") {
    rate_limiter l({.requests_per_second = 4});
    CHECK(l.options().burst == 1);
    CHECK(l.reserve(t0).time == t0);
    CHECK(l.reserve(t0).time == t0 + 250ms);
    CHECK(l.reserve(t0).time == t0 + 500ms);
}

TEST_CASE("rate_limiter: long-run rate equals the target when requests keep waiting") {
    for (double rate : {0.5, 3.0, 500.0, 2000.0, 123456.0}) {
        CAPTURE(rate);
        rate_limiter l({.requests_per_second = rate, .burst = 50});
        int const n = 100'000;
        steady::time_point last{};
        for (int i = 0; i < n; ++i) last = l.reserve(t0).time;
        double const seconds = std::chrono::duration<double>(last - t0).count();
        // n requests: burst at t0, the rest one interval apart.
        double const achieved = (n - 50) / seconds;
        CHECK(achieved <= rate);  // never above the target
        CHECK(achieved == doctest::Approx(rate).epsilon(rate * 1e-9 + 1e-12));
    }
}

TEST_CASE("rate_limiter: over random schedules, no window of length T holds more than burst + rate*T") {
    std::mt19937_64 rng(17);
    for (int round = 0; round < 40; ++round) {
        double const rate = std::uniform_real_distribution<double>(1, 5000)(rng);
        auto const burst = static_cast<std::uint32_t>(std::uniform_int_distribution<int>(1, 60)(rng));
        CAPTURE(rate);
        CAPTURE(burst);
        rate_limiter l({.requests_per_second = rate, .burst = burst});
        // Arrivals: clumps and quiet gaps, some cancelled before they start.
        std::vector<steady::time_point> starts;
        auto now = t0;
        std::exponential_distribution<double> gap(rate * std::uniform_real_distribution<double>(0.2, 3)(rng));
        for (int i = 0; i < 4000; ++i) {
            now += std::chrono::nanoseconds(static_cast<std::int64_t>(gap(rng) * 1e9));
            auto r = l.reserve(now);
            REQUIRE(r.granted);
            CHECK(r.time >= now);
            if (rng() % 10 == 0)
                l.cancel(r);
            else
                starts.push_back(r.time);
        }
        for (double seconds : {0.0, 0.0005, 0.01, 0.1, 1.0, 3.0}) {
            auto const w = std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(seconds));
            double const bound = burst + rate * seconds;
            CAPTURE(seconds);
            CHECK(static_cast<double>(max_in_window(starts, w)) <= bound + 1e-9);
        }
    }
}

TEST_CASE("rate_limiter: cancel gives back the latest token - an earlier one stays taken") {
    rate_limiter l({.requests_per_second = 10, .burst = 1});
    auto a = l.reserve(t0);
    auto b = l.reserve(t0);
    CHECK(b.time == t0 + 100ms);
    CHECK(l.cancel(b));
    CHECK_FALSE(b.granted);
    CHECK_FALSE(l.cancel(b));  // a second time: nothing
    // b's place is free again.
    auto c = l.reserve(t0);
    CHECK(c.time == t0 + 100ms);
    // a was followed by c: giving a back would let a new request share c's place.
    CHECK_FALSE(l.cancel(a));
    CHECK(l.reserve(t0).time == t0 + 200ms);
    // Cancelling in reverse order gives every token back.
    auto d = l.reserve(t0);
    auto e = l.reserve(t0);
    CHECK(l.cancel(e));
    CHECK(l.cancel(d));
    CHECK(l.reserve(t0).time == t0 + 300ms);
}

TEST_CASE("rate_limiter: a token after `latest` is not taken") {
    rate_limiter l({.requests_per_second = 1, .burst = 1});
    CHECK(l.reserve(t0).granted);
    auto r = l.reserve(t0, t0 + 500ms);
    CHECK_FALSE(r.granted);
    CHECK(r.time == t0 + 1s);  // when it could have gone
    CHECK_FALSE(l.cancel(r));
    auto s = l.reserve(t0, t0 + 1s);  // exactly at the limit: granted, and the place was free
    CHECK(s.granted);
    CHECK(s.time == t0 + 1s);
}

TEST_CASE("rate_limiter: shared by threads, every token is handed out once and the schedule holds") {
    rate_limiter l({.requests_per_second = 1000, .burst = 5});
    int const threads = 4, each = 20'000;
    std::vector<std::vector<steady::time_point>> got(threads);
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
            for (int i = 0; i < each; ++i) {
                auto r = l.reserve(t0);
                got[t].push_back(r.time);
                if (i % 7 == 0) {  // some give their token back (exact only when still the latest)
                    if (l.cancel(r)) got[t].pop_back();
                }
            }
        });
    for (auto& th : pool) th.join();
    std::vector<steady::time_point> all;
    for (auto& v : got) all.insert(all.end(), v.begin(), v.end());
    // All asked at t0: 5 at t0, then one a millisecond, no two on one place.
    CHECK(max_in_window(all, 0ns) <= 5);
    CHECK(max_in_window(all, 999'999ns) <= 5);
    CHECK(max_in_window(all, 1s) <= 1005);
    std::sort(all.begin(), all.end());
    CHECK(std::adjacent_find(all.begin() + 5, all.end()) == all.end());
}

TEST_CASE("rate_limiter: invalid options are refused, naming the field") {
    double const nan = std::numeric_limits<double>::quiet_NaN();
    double const inf = std::numeric_limits<double>::infinity();
    for (double bad : {-1.0, nan, inf, -inf, 1e-5, 2e6}) {
        CAPTURE(bad);
        auto const why = refusal({.requests_per_second = bad});
        CHECK(why.find("rate_limit.requests_per_second") != std::string::npos);
    }
    CHECK(refusal({.requests_per_second = 0, .burst = 5}).find("rate_limit.burst (5) needs") != std::string::npos);
    CHECK(refusal({.requests_per_second = 10, .burst = 100'001}).find("rate_limit.burst must be at most 100000") !=
          std::string::npos);
    CHECK(refusal({.requests_per_second = 1e-4, .burst = 100'000}).empty());
    CHECK(refusal({.requests_per_second = 1e6, .burst = 1}).empty());
}

// ---- the call state machine's wait for a token -------------------------------------------

namespace {

using apig::detail::call_fsm;
using apig::detail::call_step;
using kind = call_step::kind;

apig::credentials const tok = apig::token_credentials{"tok-1-aaaaaaaa"};

struct rig {
    apig::retry_policy policy{};
    apig::retry_budget budget{};
    rate_limiter limiter;
    milliseconds total = 1000ms;

    explicit rig(rate_limit_options o) : limiter(o) {}
    apig::detail::call_env env() {
        return {.policy = policy,
                .budget = budget,
                .total = total,
                .deadline_name = "timeouts.total = 1000 ms, the call's overall deadline",
                .random = [] { return 0.5; },
                .wall_clock = [] { return std::chrono::system_clock::time_point{}; },
                .limiter = &limiter,
                .limiter_name = "rate_limit: 2 requests/s, burst 1"};
    }
};

apig::error_info unavailable() {
    apig::error_info e;
    e.code = apig::errc_from_http_status(503);
    e.http_status = 503;
    e.message = "HTTP 503";
    return e;
}

}  // namespace

TEST_CASE("call_fsm: an attempt with a token at hand goes at once - the next waits for its place") {
    rig r({.requests_per_second = 2, .burst = 1});
    auto env = r.env();
    call_fsm first(env);
    REQUIRE(first.start(t0).what == kind::get_credentials);
    CHECK(first.on_credentials(tok, t0).what == kind::attempt);
    CHECK(first.on_success().what == kind::done);

    call_fsm second(env);
    REQUIRE(second.start(t0).what == kind::get_credentials);
    auto s = second.on_credentials(tok, t0 + 100ms);
    REQUIRE(s.what == kind::rate_wait);
    CHECK(s.until == t0 + 500ms);
    CHECK(s.wait == 400ms);
    CHECK(s.attempt == 1);
    s = second.on_rate_waited({});
    REQUIRE(s.what == kind::attempt);
    CHECK(s.attempt == 1);
    CHECK(s.creds != nullptr);
}

TEST_CASE("call_fsm: a token beyond the deadline fails at once with timed_out, taking nothing") {
    rig r({.requests_per_second = 0.5, .burst = 1});  // one every 2 s; the deadline is 1 s
    auto env = r.env();
    call_fsm first(env);
    first.start(t0);
    REQUIRE(first.on_credentials(tok, t0).what == kind::attempt);

    call_fsm second(env);
    second.start(t0);
    auto s = second.on_credentials(tok, t0);
    REQUIRE(s.what == kind::fail);
    CHECK(s.error.code == apig::errc::timed_out);
    CHECK(s.error.attempts == 0);
    CHECK(s.error.message ==
          "the rate limit (rate_limit: 2 requests/s, burst 1) would hold attempt 1 for 2000 ms, past the call's "
          "overall deadline (timeouts.total = 1000 ms, the call's overall deadline)");
    REQUIRE(s.log);
    // Nothing was taken: the next place is still t0 + 2 s.
    CHECK(r.limiter.reserve(t0).time == t0 + 2s);
}

TEST_CASE("call_fsm: a cancelled wait gives the token back and fails with operation_aborted") {
    rig r({.requests_per_second = 2, .burst = 1});
    r.total = 0ms;  // no deadline
    auto env = r.env();
    call_fsm first(env);
    first.start(t0);
    REQUIRE(first.on_credentials(tok, t0).what == kind::attempt);
    call_fsm second(env);
    second.start(t0);
    REQUIRE(second.on_credentials(tok, t0).what == kind::rate_wait);
    auto s = second.on_rate_waited(boost::asio::error::operation_aborted);
    REQUIRE(s.what == kind::fail);
    CHECK(s.error.code == boost::asio::error::operation_aborted);
    CHECK(s.error.message ==
          "waiting for the rate limit (rate_limit: 2 requests/s, burst 1) before attempt 1: cancelled");
    CHECK(s.error.attempts == 0);
    CHECK(r.limiter.reserve(t0).time == t0 + 500ms);  // its place was given back
}

TEST_CASE("call_fsm: a retry takes a token too - one beyond the deadline ends the call naming both") {
    rig r({.requests_per_second = 2, .burst = 2});
    r.policy.initial_backoff = 10ms;
    auto env = r.env();
    call_fsm fsm(env);
    fsm.start(t0);
    REQUIRE(fsm.on_credentials(tok, t0).what == kind::attempt);
    auto s = fsm.on_failure(unavailable(), "", t0 + 1ms);
    REQUIRE(s.what == kind::wait);
    REQUIRE(fsm.on_waited({}, t0 + 6ms).what == kind::get_credentials);
    s = fsm.on_credentials(tok, t0 + 6ms);  // the burst's second token
    REQUIRE(s.what == kind::attempt);
    CHECK(s.attempt == 2);
    CHECK(s.counts_as_retry);
    s = fsm.on_failure(unavailable(), "", t0 + 7ms);
    REQUIRE(s.what == kind::wait);
    REQUIRE(fsm.on_waited({}, t0 + 12ms).what == kind::get_credentials);
    // The third token comes at t0 + 500 ms: within the deadline, a wait.
    s = fsm.on_credentials(tok, t0 + 12ms);
    REQUIRE(s.what == kind::rate_wait);
    CHECK(s.until == t0 + 500ms);
    s = fsm.on_rate_waited({});
    REQUIRE(s.what == kind::attempt);
    CHECK(s.attempt == 3);
    CHECK(s.counts_as_retry);
    s = fsm.on_failure(unavailable(), "", t0 + 501ms);
    REQUIRE(s.what == kind::wait);
    REQUIRE(fsm.on_waited({}, t0 + 510ms).what == kind::get_credentials);
    auto const before = r.budget.available();  // the third retry's tokens taken
    // The fourth's place is t0 + 1 s, exactly the deadline: no time left for the attempt.
    s = fsm.on_credentials(tok, t0 + 510ms);
    REQUIRE(s.what == kind::fail);
    // The retry that never happens gives its budget tokens back (as a backoff past the
    // deadline does); the two retries that were sent keep theirs.
    CHECK(r.budget.available() == before + r.budget.options().retry_cost);
    CHECK(s.error.code == apig::errc::timed_out);
    CHECK(s.error.attempts == 3);
    CHECK(s.error.http_status == 503);
    CHECK(s.error.message ==
          "HTTP 503; then the rate limit (rate_limit: 2 requests/s, burst 1) would hold attempt 4 for 490 ms, past "
          "the call's overall deadline (timeouts.total = 1000 ms, the call's overall deadline) (3 attempts)");
}
