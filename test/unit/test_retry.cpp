// Retry policy pieces: backoff schedule, Retry-After parsing, the retry budget, classification.
#include <apig/observability.hpp>
#include <apig/retry.hpp>

#include "retry_detail.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using std::chrono::milliseconds;

namespace {

milliseconds ms(long long v) { return milliseconds{v}; }

// 1994-11-06 08:49:37 UTC, the RFC's example date, plus an offset.
std::chrono::system_clock::time_point rfc_now(std::chrono::seconds offset = {}) {
    using namespace std::chrono;
    return sys_days{year{1994} / November / 6} + 8h + 49min + 37s + offset;
}

apig::error_info err(boost::system::error_code ec, unsigned status = 0) {
    apig::error_info e;
    e.code = ec;
    e.http_status = status;
    return e;
}

apig::error_info http_err(unsigned status) {
    return err(apig::errc_from_http_status(status), status);
}

}  // namespace

TEST_SUITE_BEGIN("retry");

// ---- backoff ---------------------------------------------------------------------------------

TEST_CASE("retry: backoff schedule with defaults and r = 0.5") {
    apig::retry_policy p;
    std::vector<long long> const expected{50, 100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000};
    for (int attempt = 1; attempt <= static_cast<int>(expected.size()); ++attempt) {
        CAPTURE(attempt);
        CHECK(apig::detail::backoff_delay(p, attempt, 0.5) == ms(expected[static_cast<std::size_t>(attempt - 1)]));
    }
}

TEST_CASE("retry: backoff follows a fixed random sequence") {
    apig::retry_policy p;
    double const r[] = {0.0, 0.25, 0.75, 0.1, 0.999, 0.5, 0.9, 0.01};
    long long const expected[] = {0, 50, 300, 80, 1598, 1600, 5760, 100};
    for (int i = 0; i < 8; ++i) {
        CAPTURE(i);
        CHECK(apig::detail::backoff_delay(p, i + 1, r[i]) == ms(expected[i]));
    }
}

TEST_CASE("retry: backoff bounds of r") {
    apig::retry_policy p;
    CHECK(apig::detail::backoff_delay(p, 1, 0.0) == ms(0));
    CHECK(apig::detail::backoff_delay(p, 20, 0.0) == ms(0));
    // Just below 1: floor, never the cap itself.
    CHECK(apig::detail::backoff_delay(p, 20, 0.9999999) == ms(9999));
    CHECK(apig::detail::backoff_delay(p, 3, 0.9999999) == ms(399));
    // r is clamped into [0, 1).
    CHECK(apig::detail::backoff_delay(p, 20, 1.0) == ms(9999));
    CHECK(apig::detail::backoff_delay(p, 20, 7.5) == ms(9999));
    CHECK(apig::detail::backoff_delay(p, 20, -0.5) == ms(0));
    CHECK(apig::detail::backoff_delay(p, 20, std::numeric_limits<double>::quiet_NaN()) == ms(0));
    CHECK(apig::detail::backoff_delay(p, 20, std::numeric_limits<double>::infinity()) == ms(9999));
}

TEST_CASE("retry: backoff with huge or non-positive attempt numbers") {
    apig::retry_policy p;
    for (int attempt : {31, 64, 100, 1000, 1'000'000, std::numeric_limits<int>::max()}) {
        CAPTURE(attempt);
        auto const d = apig::detail::backoff_delay(p, attempt, 0.5);
        CHECK(d == ms(5000));
        CHECK(apig::detail::backoff_delay(p, attempt, 0.9999999) <= p.max_backoff);
    }
    // attempt < 1 counts as 1.
    CHECK(apig::detail::backoff_delay(p, 0, 0.5) == ms(50));
    CHECK(apig::detail::backoff_delay(p, -7, 0.5) == ms(50));
    CHECK(apig::detail::backoff_delay(p, std::numeric_limits<int>::min(), 0.5) == ms(50));
}

TEST_CASE("retry: backoff with a custom multiplier, initial backoff and cap") {
    apig::retry_policy p;
    p.initial_backoff = 30ms;
    p.multiplier = 3.0;
    p.max_backoff = 1000ms;
    // 30, 90, 270, 810, 1000 (cap)
    CHECK(apig::detail::backoff_delay(p, 1, 0.5) == ms(15));
    CHECK(apig::detail::backoff_delay(p, 2, 0.5) == ms(45));
    CHECK(apig::detail::backoff_delay(p, 3, 0.5) == ms(135));
    CHECK(apig::detail::backoff_delay(p, 4, 0.5) == ms(405));
    CHECK(apig::detail::backoff_delay(p, 5, 0.5) == ms(500));
    CHECK(apig::detail::backoff_delay(p, 1000, 0.5) == ms(500));

    p.multiplier = 1.5;
    p.initial_backoff = 100ms;
    p.max_backoff = 60s;
    CHECK(apig::detail::backoff_delay(p, 3, 0.5) == ms(112));  // 225 * 0.5 = 112.5, floored

    // An initial backoff above the cap is capped from the first attempt.
    p.initial_backoff = 5s;
    p.max_backoff = 2s;
    CHECK(apig::detail::backoff_delay(p, 1, 0.5) == ms(1000));

    // A huge cap does not overflow the conversion back to milliseconds.
    p.initial_backoff = 1ms;
    p.multiplier = 10.0;
    p.max_backoff = milliseconds::max();
    auto const d = apig::detail::backoff_delay(p, 1000, 0.9999999);
    CHECK(d > ms(0));
    CHECK(d <= milliseconds::max());
}

TEST_CASE("retry: backoff with degenerate policies") {
    apig::retry_policy p;
    p.initial_backoff = 0ms;
    CHECK(apig::detail::backoff_delay(p, 5, 0.5) == ms(0));
    p.initial_backoff = -100ms;
    CHECK(apig::detail::backoff_delay(p, 5, 0.5) == ms(0));

    p.initial_backoff = 100ms;
    p.max_backoff = 0ms;
    CHECK(apig::detail::backoff_delay(p, 5, 0.5) == ms(0));
    p.max_backoff = -1s;
    CHECK(apig::detail::backoff_delay(p, 5, 0.5) == ms(0));

    // A multiplier below 1 (or NaN) counts as 1: constant backoff.
    p.max_backoff = 10s;
    p.multiplier = 0.5;
    CHECK(apig::detail::backoff_delay(p, 1, 0.5) == ms(50));
    CHECK(apig::detail::backoff_delay(p, 9, 0.5) == ms(50));
    p.multiplier = -3.0;
    CHECK(apig::detail::backoff_delay(p, 9, 0.5) == ms(50));
    p.multiplier = std::numeric_limits<double>::quiet_NaN();
    CHECK(apig::detail::backoff_delay(p, 9, 0.5) == ms(50));
    p.multiplier = 1.0;
    CHECK(apig::detail::backoff_delay(p, std::numeric_limits<int>::max(), 0.5) == ms(50));
    // An infinite multiplier hits the cap from attempt 2.
    p.multiplier = std::numeric_limits<double>::infinity();
    CHECK(apig::detail::backoff_delay(p, 1, 0.5) == ms(50));
    CHECK(apig::detail::backoff_delay(p, 2, 0.5) == ms(5000));
}

// ---- Retry-After -----------------------------------------------------------------------------

TEST_CASE("retry: Retry-After delta-seconds") {
    auto const now = rfc_now();
    CHECK(apig::detail::parse_retry_after("0", now) == ms(0));
    CHECK(apig::detail::parse_retry_after("120", now) == ms(120'000));
    CHECK(apig::detail::parse_retry_after(" 7 ", now) == ms(7000));
    CHECK(apig::detail::parse_retry_after("\t3\t", now) == ms(3000));
    CHECK(apig::detail::parse_retry_after("007", now) == ms(7000));
    CHECK(apig::detail::parse_retry_after("99999999999999999999", now) == milliseconds::max());
    CHECK(apig::detail::parse_retry_after("9223372036854775807", now) == milliseconds::max());
    // The largest whole number of seconds that fits still converts exactly.
    auto const max_s = milliseconds::max().count() / 1000;
    CHECK(apig::detail::parse_retry_after(std::to_string(max_s), now) == ms(max_s * 1000));
    CHECK(apig::detail::parse_retry_after(std::to_string(max_s + 1), now) == milliseconds::max());
}

TEST_CASE("retry: Retry-After rejects garbage") {
    auto const now = rfc_now();
    for (char const* v : {"", "   ", "-1", "+1", "1.5", "abc", "12abc", "1 2", "0x10", "1e3", "١٢"}) {
        CAPTURE(v);
        CHECK_FALSE(apig::detail::parse_retry_after(v, now).has_value());
    }
}

TEST_CASE("retry: Retry-After IMF-fixdate") {
    auto const now = rfc_now();
    CHECK(apig::detail::parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now) == ms(0));
    CHECK(apig::detail::parse_retry_after("Sun, 06 Nov 1994 08:51:37 GMT", now) == ms(120'000));
    CHECK(apig::detail::parse_retry_after("  Sun, 06 Nov 1994 08:51:37 GMT  ", now) == ms(120'000));
    CHECK(apig::detail::parse_retry_after("Mon, 07 Nov 1994 08:49:37 GMT", now) == ms(86'400'000));
    // Across a year and a leap day.
    CHECK(apig::detail::parse_retry_after("Thu, 29 Feb 1996 00:00:00 GMT", rfc_now()) ==
          std::chrono::duration_cast<milliseconds>(
              std::chrono::sys_days{std::chrono::year{1996} / 2 / 29} - rfc_now()));
    // In the past: 0.
    CHECK(apig::detail::parse_retry_after("Sun, 06 Nov 1994 08:49:36 GMT", now) == ms(0));
    CHECK(apig::detail::parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT",
                                  std::chrono::sys_days{std::chrono::year{2024} / 1 / 1}) == ms(0));
    // A fractional `now` rounds the wait up, never down.
    CHECK(apig::detail::parse_retry_after("Sun, 06 Nov 1994 08:49:38 GMT", now + 250ms) == ms(750));
    CHECK(apig::detail::parse_retry_after("Sun, 06 Nov 1994 08:49:38 GMT", now + 250500us) == ms(750));
    // Far future: no overflow of the clock's nanoseconds.
    auto const far = apig::detail::parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now);
    REQUIRE(far.has_value());
    CHECK(*far > std::chrono::duration_cast<milliseconds>(std::chrono::hours(24 * 365 * 8000)));
}

TEST_CASE("retry: Retry-After RFC 850 date") {
    auto const now = rfc_now();
    CHECK(apig::detail::parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", now) == ms(0));
    CHECK(apig::detail::parse_retry_after("Sunday, 06-Nov-94 08:50:07 GMT", now) == ms(30'000));
    CHECK(apig::detail::parse_retry_after("Saturday, 05-Nov-94 08:49:37 GMT", now) == ms(0));
    // Two-digit years: up to 50 years ahead is the future, beyond that the past century.
    auto const now2025 = std::chrono::sys_days{std::chrono::year{2025} / 1 / 1};
    CHECK(apig::detail::parse_retry_after("Thursday, 01-Jan-26 00:00:00 GMT", now2025) == ms(365LL * 86'400'000));
    CHECK(apig::detail::parse_retry_after("Sunday, 01-Jan-94 00:00:00 GMT", now2025) == ms(0));  // 1994
    CHECK(apig::detail::parse_retry_after("Tuesday, 01-Jan-75 00:00:00 GMT", now2025) ==
          ms(50LL * 365 * 86'400'000 + 12LL * 86'400'000));  // 2075: 50 years, 12 leap days
    CHECK(apig::detail::parse_retry_after("Wednesday, 01-Jan-76 00:00:00 GMT", now2025) == ms(0));  // 1976
}

TEST_CASE("retry: Retry-After asctime date") {
    auto const now = rfc_now();
    CHECK(apig::detail::parse_retry_after("Sun Nov  6 08:49:37 1994", now) == ms(0));
    CHECK(apig::detail::parse_retry_after("Sun Nov  6 08:49:47 1994", now) == ms(10'000));
    CHECK(apig::detail::parse_retry_after("Sun Nov 06 08:49:47 1994", now) == ms(10'000));
    CHECK(apig::detail::parse_retry_after("Thu Nov 17 08:49:37 1994", now) == ms(11LL * 86'400'000));
    CHECK(apig::detail::parse_retry_after("Sat Nov  5 08:49:37 1994", now) == ms(0));
}

TEST_CASE("retry: Retry-After rejects malformed dates") {
    auto const now = rfc_now();
    for (char const* v : {
             "Sun, 06 Foo 1994 08:49:37 GMT",   // bad month
             "Sun, 32 Nov 1994 08:49:37 GMT",   // day 32
             "Sun, 31 Nov 1994 08:49:37 GMT",   // 31 November
             "Sun, 00 Nov 1994 08:49:37 GMT",   // day 0
             "Tue, 29 Feb 1994 08:49:37 GMT",   // not a leap year
             "Sun, 06 Nov 1994 08:49:37",       // missing GMT
             "Sun, 06 Nov 1994 08:49:37 UTC",   // not GMT
             "Sun, 06 Nov 1994 08:49:37 GMTx",  // trailing garbage
             "Sun, 06 Nov 1994 24:00:00 GMT",   // hour 24
             "Sun, 06 Nov 1994 08:60:00 GMT",   // minute 60
             "Sun, 06 Nov 1994 08:49:61 GMT",   // second 61
             "Sun, 6 Nov 1994 08:49:37 GMT",    // one-digit day
             "Sun, 06 Nov 94 08:49:37 GMT",     // two-digit year in IMF form
             "Sun 06 Nov 1994 08:49:37 GMT",    // missing comma
             "Xyz, 06 Nov 1994 08:49:37 GMT",   // bad day name
             "Sunday, 06 Nov 1994 08:49:37 GMT",  // long day name in IMF form
             "Sun, 06-Nov-94 08:49:37 GMT",     // short day name in RFC 850 form
             "Sunday, 06-Nov-1994 08:49:37 GMT",  // four-digit year in RFC 850 form
             "Sunday, 06-Nov-94 08:49:37",      // RFC 850 without GMT
             "Sun Nov 6 08:49:37 1994",         // asctime with one space before a 1-digit day
             "Sun Nov  6 08:49:37 1994 GMT",    // asctime has no zone
             "Sun Nov 32 08:49:37 1994",        // asctime day 32
             "Sun Nov  6 08:49 1994",           // no seconds
         }) {
        CAPTURE(v);
        CHECK_FALSE(apig::detail::parse_retry_after(v, now).has_value());
    }
    // A leap second is accepted (RFC 9110 allows second 60).
    CHECK(apig::detail::parse_retry_after("Sun, 06 Nov 1994 08:49:60 GMT", rfc_now(-23s)) == ms(46'000));
}

// ---- budget ----------------------------------------------------------------------------------

TEST_CASE("retry: budget defaults give exactly 100 retries") {
    apig::retry_budget b;
    CHECK(b.available() == 500);
    for (int i = 0; i < 100; ++i) {
        CAPTURE(i);
        REQUIRE(b.try_acquire(false));
    }
    CHECK(b.available() == 0);
    CHECK_FALSE(b.try_acquire(false));
    CHECK_FALSE(b.try_acquire(true));
    CHECK(b.available() == 0);
}

TEST_CASE("retry: budget timeout retries cost 10 and a refusal takes nothing") {
    apig::retry_budget b;
    for (int i = 0; i < 50; ++i) REQUIRE(b.try_acquire(true));
    CHECK(b.available() == 0);
    CHECK_FALSE(b.try_acquire(true));

    apig::retry_budget c({.enabled = true, .capacity = 17, .retry_cost = 5, .timeout_cost = 10,
                          .success_refund = 1});
    CHECK(c.try_acquire(true));   // 7 left
    CHECK(c.available() == 7);
    CHECK_FALSE(c.try_acquire(true));
    CHECK(c.available() == 7);    // nothing taken
    CHECK(c.try_acquire(false));  // 2 left
    CHECK_FALSE(c.try_acquire(false));
    CHECK(c.available() == 2);
}

TEST_CASE("retry: budget refunds, never above capacity") {
    apig::retry_budget b;
    b.on_success(0);
    CHECK(b.available() == 500);  // full stays full
    b.on_success(40);
    CHECK(b.available() == 500);

    for (int i = 0; i < 10; ++i) REQUIRE(b.try_acquire(false));
    CHECK(b.available() == 450);
    b.on_success(0);  // no retries: success_refund
    CHECK(b.available() == 451);
    b.on_success(15);  // what three retries cost
    CHECK(b.available() == 466);
    b.on_success(100);  // capped
    CHECK(b.available() == 500);
    b.on_success(std::numeric_limits<std::uint32_t>::max());  // no wrap-around
    CHECK(b.available() == 500);

    apig::retry_budget c({.enabled = true, .capacity = 20, .retry_cost = 5, .timeout_cost = 10,
                          .success_refund = 3});
    REQUIRE(c.try_acquire(true));
    REQUIRE(c.try_acquire(true));
    CHECK(c.available() == 0);
    c.on_success(0);
    CHECK(c.available() == 3);
    c.on_success(0);
    CHECK(c.available() == 6);
    CHECK(c.try_acquire(false));
    CHECK(c.available() == 1);
}

TEST_CASE("retry: disabled budget never refuses") {
    apig::retry_budget b({.enabled = false, .capacity = 10, .retry_cost = 5, .timeout_cost = 10,
                          .success_refund = 1});
    CHECK_FALSE(b.options().enabled);
    for (int i = 0; i < 1000; ++i) {
        REQUIRE(b.try_acquire(i % 2 == 0));
    }
    b.on_success(0);
    CHECK(b.available() <= 10);

    apig::retry_budget empty({.enabled = false, .capacity = 0, .retry_cost = 5, .timeout_cost = 10,
                              .success_refund = 1});
    CHECK(empty.try_acquire(false));
    CHECK(empty.try_acquire(true));
}

TEST_CASE("retry: concurrent try_acquire grants exactly capacity / cost") {
    constexpr std::uint32_t capacity = 100'000;
    apig::retry_budget b({.enabled = true, .capacity = capacity, .retry_cost = 3, .timeout_cost = 7,
                          .success_refund = 1});
    std::atomic<std::uint64_t> granted_cost{0};
    std::atomic<bool> start{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            while (!start.load()) std::this_thread::yield();
            bool const timeout = t % 2 == 1;
            std::uint64_t mine = 0;
            int refusals = 0;
            // Keep going until both costs are refused (a timeout refusal may leave room for a
            // cheaper retry, which another thread may still take).
            // (Bounded by the capacity, so a budget that never refuses fails instead of hanging.)
            while (refusals < 1000 && mine <= capacity) {
                if (b.try_acquire(timeout)) {
                    mine += timeout ? 7 : 3;
                    refusals = 0;
                } else {
                    ++refusals;
                }
            }
            granted_cost += mine;
        });
    }
    start = true;
    for (auto& th : threads) th.join();
    // Never negative (no wrap-around to a huge count) and nothing lost: what was granted plus
    // what is left is the capacity, and what is left is too little for any retry.
    CHECK(b.available() < 3);
    CHECK(granted_cost.load() + b.available() == capacity);

    // With a single cost, exactly capacity / cost grants.
    apig::retry_budget c({.enabled = true, .capacity = 50'000, .retry_cost = 5, .timeout_cost = 5,
                          .success_refund = 1});
    std::atomic<int> grants{0};
    threads.clear();
    start = false;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            while (!start.load()) std::this_thread::yield();
            while (grants.load() <= 10'000 && c.try_acquire(false)) ++grants;
        });
    }
    start = true;
    for (auto& th : threads) th.join();
    CHECK(grants.load() == 10'000);
    CHECK(c.available() == 0);
}

// ---- classification --------------------------------------------------------------------------

TEST_CASE("retry: classify HTTP statuses with the default policy") {
    apig::retry_policy p;
    for (unsigned s : {429u, 500u, 502u, 503u, 504u}) {
        CAPTURE(s);
        CHECK(apig::detail::classify(p, http_err(s)) == apig::detail::retry_verdict::retry);
    }
    for (unsigned s : {400u, 401u, 403u, 404u, 405u, 409u, 418u, 501u, 505u, 599u, 302u}) {
        CAPTURE(s);
        CHECK(apig::detail::classify(p, http_err(s)) == apig::detail::retry_verdict::not_retryable);
    }
    // The whole 400..599 range: exactly the five default statuses are retried.
    int retried = 0;
    for (unsigned s = 400; s <= 599; ++s) {
        if (apig::detail::classify(p, http_err(s)) == apig::detail::retry_verdict::retry) ++retried;
    }
    CHECK(retried == 5);
}

TEST_CASE("retry: 400, 401, 403 and 404 are never retried, even when listed") {
    apig::retry_policy p;
    p.retry_statuses = {400, 401, 403, 404, 409};
    for (unsigned s : {400u, 401u, 403u, 404u}) {
        CAPTURE(s);
        CHECK(apig::detail::classify(p, http_err(s)) == apig::detail::retry_verdict::not_retryable);
        // Whatever code carries the status.
        CHECK(apig::detail::classify(p, err(apig::errc::bad_response, s)) == apig::detail::retry_verdict::not_retryable);
        CHECK(apig::detail::classify(p, err(boost::asio::error::connection_reset, s)) ==
              apig::detail::retry_verdict::not_retryable);
    }
    CHECK(apig::detail::classify(p, http_err(409)) == apig::detail::retry_verdict::retry);
}

TEST_CASE("retry: classify with a custom status set") {
    apig::retry_policy p;
    p.retry_statuses = {501, 505, 408};
    CHECK(apig::detail::classify(p, http_err(501)) == apig::detail::retry_verdict::retry);
    CHECK(apig::detail::classify(p, http_err(505)) == apig::detail::retry_verdict::retry);
    CHECK(apig::detail::classify(p, http_err(408)) == apig::detail::retry_verdict::retry);
    for (unsigned s : {429u, 500u, 502u, 503u, 504u}) {
        CAPTURE(s);
        CHECK(apig::detail::classify(p, http_err(s)) == apig::detail::retry_verdict::not_retryable);
    }
    p.retry_statuses.clear();
    CHECK(apig::detail::classify(p, http_err(503)) == apig::detail::retry_verdict::not_retryable);
    // The status set governs HTTP errors even when transport retries are off.
    p.retry_statuses = {503};
    p.retry_transport_errors = false;
    CHECK(apig::detail::classify(p, http_err(503)) == apig::detail::retry_verdict::retry);
}

TEST_CASE("retry: classify transport failures") {
    std::vector<boost::system::error_code> const codes{
        apig::errc::connect_failed,
        apig::errc::resolve_failed,
        apig::errc::timed_out,
        boost::asio::error::connection_reset,
        boost::asio::error::connection_refused,
        boost::asio::error::connection_aborted,
        boost::asio::error::broken_pipe,
        boost::asio::error::eof,
        boost::beast::http::error::end_of_stream,
        boost::beast::http::error::partial_message,
        boost::asio::ssl::error::stream_truncated,
        boost::asio::error::network_unreachable,
        boost::asio::error::host_unreachable,
        boost::asio::error::timed_out,
        boost::beast::error::timeout,
        // The same failures in the generic category.
        make_error_code(boost::system::errc::connection_reset),
        make_error_code(boost::system::errc::timed_out),
    };
    apig::retry_policy p;
    apig::retry_policy off;
    off.retry_transport_errors = false;
    for (auto const& ec : codes) {
        CAPTURE(ec.message());
        CHECK(apig::detail::classify(p, err(ec)) == apig::detail::retry_verdict::retry);
        CHECK(apig::detail::classify(off, err(ec)) == apig::detail::retry_verdict::not_retryable);
        // A cut-off body after a 200 status line is still a transport failure.
        CHECK(apig::detail::classify(p, err(ec, 200)) == apig::detail::retry_verdict::retry);
    }
}

namespace {
// A second object of an Asio/Beast category, as a program holds when it (or a library it
// links) compiles Asio's implementation itself while apig uses Asio header-only: the same
// name and messages, another address.
class twin_category : public boost::system::error_category {
public:
    explicit twin_category(boost::system::error_category const& of) : of_(of) {}
    char const* name() const noexcept override { return of_.name(); }
    std::string message(int ev) const override { return of_.message(ev); }

private:
    boost::system::error_category const& of_;
};
}  // namespace

TEST_CASE("retry: a transport failure from a twin of Asio's category is still one") {
    std::vector<boost::system::error_code> const codes{
        boost::asio::error::eof,
        boost::asio::ssl::error::stream_truncated,
        boost::beast::http::error::end_of_stream,
        boost::beast::http::error::partial_message,
        boost::beast::error::timeout,
    };
    apig::retry_policy p;
    for (auto const& original : codes) {
        twin_category const twin(original.category());
        boost::system::error_code const ec(original.value(), twin);
        CAPTURE(ec.message());
        REQUIRE(ec != original);  // what error_code's own comparison says
        CHECK(apig::detail::classify(p, err(ec)) == apig::detail::retry_verdict::retry);
    }
    // Same value, another category (another name): not a transport failure.
    struct other_category : boost::system::error_category {
        char const* name() const noexcept override { return "not.asio"; }
        std::string message(int) const override { return "other"; }
    } const other;
    CHECK(apig::detail::classify(p, err(boost::system::error_code(boost::asio::error::eof, other))) ==
          apig::detail::retry_verdict::not_retryable);
}

TEST_CASE("retry: classify failures that are never retried") {
    apig::retry_policy p;
    p.filter = [](apig::error_info const&) { return true; };
    std::vector<boost::system::error_code> const codes{
        apig::errc::tls_verification_failed,
        apig::errc::tls_handshake_failed,  // a TLS alert: the server's definitive answer
        apig::errc::credentials_unavailable,
        apig::errc::walk_stalled,         // a server repeating itself: asking again cannot help
        apig::errc::walk_limit_exceeded,
        apig::errc::invalid_argument,
        apig::errc::response_too_large,
        boost::asio::error::access_denied,
        boost::asio::error::no_buffer_space,
        boost::asio::error::address_in_use,
        boost::beast::http::error::bad_field,
        boost::beast::http::error::body_limit,
        boost::asio::ssl::error::unspecified_system_error,
        make_error_code(boost::system::errc::no_such_file_or_directory),
    };
    for (auto const& ec : codes) {
        CAPTURE(ec.message());
        CHECK(apig::detail::classify(p, err(ec)) == apig::detail::retry_verdict::not_retryable);
        CHECK(apig::detail::classify(p, err(ec, 200)) == apig::detail::retry_verdict::not_retryable);
    }
    // An HTTP errc without a status cannot be checked against retry_statuses.
    CHECK(apig::detail::classify(p, err(apig::errc::server_error, 0)) == apig::detail::retry_verdict::not_retryable);
    // No error at all is nothing to retry.
    CHECK(apig::detail::classify(p, apig::error_info{}) == apig::detail::retry_verdict::not_retryable);
}

TEST_CASE("retry: classify bad responses") {
    apig::retry_policy p;
    CHECK(apig::detail::classify(p, err(apig::errc::bad_response, 200)) == apig::detail::retry_verdict::retry);
    CHECK(apig::detail::classify(p, err(apig::errc::bad_response)) == apig::detail::retry_verdict::retry);
    p.retry_bad_response = false;
    CHECK(apig::detail::classify(p, err(apig::errc::bad_response, 200)) == apig::detail::retry_verdict::not_retryable);
    // Independent of the transport switch.
    p.retry_bad_response = true;
    p.retry_transport_errors = false;
    CHECK(apig::detail::classify(p, err(apig::errc::bad_response, 200)) == apig::detail::retry_verdict::retry);
}

TEST_CASE("retry: cancellation is never retried") {
    apig::retry_policy p;
    p.retry_statuses = {503};
    int calls = 0;
    p.filter = [&](apig::error_info const&) {
        ++calls;
        return true;
    };
    CHECK(apig::detail::classify(p, err(boost::asio::error::operation_aborted)) == apig::detail::retry_verdict::cancelled);
    CHECK(apig::detail::classify(p, err(boost::asio::error::operation_aborted, 503)) ==
          apig::detail::retry_verdict::cancelled);
    CHECK(apig::detail::classify(p, err(make_error_code(boost::system::errc::operation_canceled))) ==
          apig::detail::retry_verdict::cancelled);
    CHECK(calls == 0);
}

TEST_CASE("retry: the filter has the last word on retryable failures only") {
    apig::retry_policy p;
    std::vector<unsigned> seen;
    p.filter = [&](apig::error_info const& e) {
        seen.push_back(e.http_status);
        return e.http_status != 503;
    };
    CHECK(apig::detail::classify(p, http_err(503)) == apig::detail::retry_verdict::not_retryable);
    CHECK(apig::detail::classify(p, http_err(502)) == apig::detail::retry_verdict::retry);
    CHECK(apig::detail::classify(p, err(boost::asio::error::connection_reset)) == apig::detail::retry_verdict::retry);
    // Not consulted for failures the rules already refuse.
    CHECK(apig::detail::classify(p, http_err(404)) == apig::detail::retry_verdict::not_retryable);
    CHECK(apig::detail::classify(p, http_err(501)) == apig::detail::retry_verdict::not_retryable);
    CHECK(apig::detail::classify(p, err(apig::errc::tls_verification_failed)) == apig::detail::retry_verdict::not_retryable);
    CHECK(seen == std::vector<unsigned>{503, 502, 0});

    p.filter = [](apig::error_info const&) { return false; };
    CHECK(apig::detail::classify(p, err(apig::errc::timed_out)) == apig::detail::retry_verdict::not_retryable);
    CHECK(apig::detail::classify(p, err(apig::errc::bad_response, 200)) == apig::detail::retry_verdict::not_retryable);
}

// ---- observability ---------------------------------------------------------------------------

TEST_CASE("retry: log level names") {
    CHECK(apig::to_string(apig::log_level::trace) == "trace");
    CHECK(apig::to_string(apig::log_level::debug) == "debug");
    CHECK(apig::to_string(apig::log_level::info) == "info");
    CHECK(apig::to_string(apig::log_level::warning) == "warning");
    CHECK(apig::to_string(apig::log_level::error) == "error");
}

TEST_CASE("retry: test seams are copied on write") {
    apig::retry_policy p;
    CHECK(apig::detail::seams_of(p) == nullptr);
    apig::detail::seams(p).random = [] { return 0.25; };
    auto const copy = p;  // shares the seams
    REQUIRE(apig::detail::seams_of(copy) != nullptr);
    CHECK(apig::detail::seams_of(copy) == apig::detail::seams_of(p));
    auto changed = p;
    apig::detail::seams(changed).random = [] { return 0.75; };  // its own copy now
    CHECK(apig::detail::seams_of(changed) != apig::detail::seams_of(p));
    CHECK(apig::detail::seams_of(p)->random() == 0.25);
    CHECK(apig::detail::seams_of(copy)->random() == 0.25);
    CHECK(apig::detail::seams_of(changed)->random() == 0.75);
    CHECK_FALSE(apig::detail::seams_of(changed)->sleep);
    // A policy that holds its seams alone is written in place.
    auto const* before = apig::detail::seams_of(changed);
    apig::detail::seams(changed).random = [] { return 0.5; };
    CHECK(apig::detail::seams_of(changed) == before);
}

TEST_SUITE_END();
