// The call's retry loop as a state machine: every branch driven by plain calls, with the
// steady time, the wall clock and the jitter given by the test. Each test asserts the exact
// steps, waits, budget tokens, reports and messages.
#include "call_fsm.hpp"

#include <apig/error.hpp>
#include <apig/retry.hpp>

#include <boost/asio/error.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <string>

using namespace std::chrono_literals;
using apig::detail::call_fsm;
using apig::detail::call_step;
using kind = apig::detail::call_step::kind;
using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;

namespace {

std::string const deadline_name = "timeouts.total = 1000 ms, the call's overall deadline";
apig::credentials const tok1 = apig::token_credentials{"tok-1-aaaaaaaa"};
apig::credentials const tok2 = apig::token_credentials{"tok-2-bbbbbbbb"};

// What a call consults, set up by each test before it builds the environment.
struct rig {
    apig::retry_policy policy{};
    std::shared_ptr<apig::retry_budget> budget = std::make_shared<apig::retry_budget>();
    milliseconds total = 1000ms;
    bool refreshable = false;
    double jitter = 0.5;
    int draws = 0;  // how often the jitter was asked for
    std::chrono::system_clock::time_point wall = std::chrono::sys_days{std::chrono::year{2024} / 1 / 1};

    apig::detail::call_env env() {
        return {.policy = policy,
                .budget = *budget,
                .total = total,
                .deadline_name = deadline_name,
                .refreshable = refreshable,
                .random = [this] {
                    ++draws;
                    return jitter;
                },
                .wall_clock = [this] { return wall; }};
    }
};

apig::error_info http_failure(unsigned status, std::string message) {
    apig::error_info e;
    e.code = apig::errc_from_http_status(status);
    e.http_status = status;
    e.message = std::move(message);
    return e;
}

apig::error_info failure(boost::system::error_code ec, std::string message) {
    apig::error_info e;
    e.code = ec;
    e.message = std::move(message);
    return e;
}

steady::time_point const t0 = steady::time_point{} + 1h;

// Starts a call at t0 and hands it the provider's `c`: the first attempt's step.
call_step first_attempt(call_fsm& fsm, apig::credentials const& c = tok1) {
    auto s = fsm.start(t0);
    REQUIRE(s.what == kind::get_credentials);
    CHECK_FALSE(s.report);
    CHECK_FALSE(s.log);
    s = fsm.on_credentials(c, t0);
    REQUIRE(s.what == kind::attempt);
    return s;
}

// The step after a wait that ended well, when the credentials come from the provider: the next
// attempt's step.
call_step after_wait(call_fsm& fsm, apig::credentials const& c = tok1) {
    auto s = fsm.on_waited({}, t0);
    REQUIRE(s.what == kind::get_credentials);
    s = fsm.on_credentials(c, t0);
    REQUIRE(s.what == kind::attempt);
    return s;
}

// A failed call's step: the error, its give_up report (the message before the loop's own
// reason) and the warning logged with the whole message.
void check_gave_up(call_step const& s, std::string const& reported, std::string const& final_message) {
    REQUIRE(s.what == kind::fail);
    REQUIRE(s.report);
    CHECK(s.report->action == apig::retry_action::give_up);
    CHECK(s.report->backoff == 0ms);
    REQUIRE(s.report->error != nullptr);
    CHECK(s.report->error->message == reported);
    CHECK(s.error.message == final_message);
    REQUIRE(s.log);
    CHECK(s.log->level == apig::log_level::warning);
    CHECK(s.log->text == final_message);
    CHECK_FALSE(s.counts_as_refresh);
}

// A retry's step: the wait, its report and the info line.
void check_retry(call_step const& s, int attempt, milliseconds wait, std::string const& message) {
    REQUIRE(s.what == kind::wait);
    CHECK(s.wait == wait);
    REQUIRE(s.report);
    CHECK(s.report->action == apig::retry_action::retry);
    CHECK(s.report->backoff == wait);
    REQUIRE(s.report->error != nullptr);
    CHECK(s.report->error->message == message);
    CHECK(s.report->error->attempts == attempt);
    REQUIRE(s.log);
    CHECK(s.log->level == apig::log_level::info);
    CHECK(s.log->text == "attempt " + std::to_string(attempt) + " failed: " + message + "; retrying in " +
                             std::to_string(wait.count()) + " ms");
}

}  // namespace

TEST_SUITE_BEGIN("call_fsm");

TEST_CASE("call fsm: success on the first attempt") {
    rig r;
    REQUIRE(r.budget->try_acquire(false));  // 495: room for the refund
    auto env = r.env();
    call_fsm fsm(env);
    auto s = first_attempt(fsm);
    CHECK(s.attempt == 1);
    CHECK(s.creds != nullptr);
    CHECK(*s.creds == tok1);
    CHECK_FALSE(s.counts_as_retry);
    CHECK_FALSE(s.counts_as_refresh);
    CHECK_FALSE(s.report);
    CHECK_FALSE(s.log);
    CHECK(fsm.deadline() == t0 + 1000ms);
    s = fsm.on_success();
    CHECK(s.what == kind::done);
    CHECK_FALSE(s.report);
    CHECK_FALSE(s.log);
    CHECK(r.budget->available() == 496);  // success_refund
    CHECK(r.draws == 0);
}

TEST_CASE("call fsm: no overall deadline when timeouts.total is zero") {
    rig r;
    r.total = 0ms;
    auto env = r.env();
    call_fsm fsm(env);
    first_attempt(fsm);
    CHECK(fsm.deadline() == steady::time_point::max());
    // A wait of any length fits.
    r.policy.max_backoff = 10'000'000ms;
    r.policy.initial_backoff = 10'000'000ms;
    check_retry(fsm.on_failure(http_failure(503, "busy"), "", t0 + 24h), 1, 5'000'000ms, "busy");
}

TEST_CASE("call fsm: a retry and then success refunds what the retry cost") {
    rig r;
    auto env = r.env();
    call_fsm fsm(env);
    first_attempt(fsm);
    auto s = fsm.on_failure(http_failure(503, "HTTP 503: busy"), "", t0 + 10ms);
    check_retry(s, 1, 50ms, "HTTP 503: busy");  // 0.5 * 100 ms
    CHECK(r.draws == 1);
    CHECK(r.budget->available() == 495);
    s = after_wait(fsm);
    CHECK(s.attempt == 2);
    CHECK(s.counts_as_retry);
    CHECK_FALSE(s.counts_as_refresh);
    CHECK_FALSE(s.report);
    s = fsm.on_success();
    CHECK(s.what == kind::done);
    CHECK(r.budget->available() == 500);
}

TEST_CASE("call fsm: the schedule of waits follows the attempts and the jitter") {
    rig r;
    r.total = 0ms;
    r.policy.max_attempts = 4;
    auto env = r.env();
    call_fsm fsm(env);
    first_attempt(fsm);
    r.jitter = 0.5;
    check_retry(fsm.on_failure(http_failure(502, "bad gateway"), "", t0), 1, 50ms, "bad gateway");
    after_wait(fsm);
    r.jitter = 0.25;
    check_retry(fsm.on_failure(http_failure(502, "bad gateway"), "", t0), 2, 50ms, "bad gateway");  // 0.25*200
    after_wait(fsm);
    r.jitter = 0.99;
    check_retry(fsm.on_failure(http_failure(502, "bad gateway"), "", t0), 3, 396ms, "bad gateway");  // 0.99*400
    CHECK(r.draws == 3);
    CHECK(r.budget->available() == 485);
}

TEST_CASE("call fsm: the retry budget exhausted") {
    SUBCASE("on the first attempt") {
        rig r;
        r.budget = std::make_shared<apig::retry_budget>(apig::retry_budget_options{.capacity = 4});
        auto env = r.env();
        call_fsm fsm(env);
        first_attempt(fsm);
        auto s = fsm.on_failure(http_failure(503, "busy"), "", t0);
        check_gave_up(s, "busy", "busy (not retried: the client's retry budget is exhausted; 1 attempt)");
        CHECK(s.error.code == apig::errc::server_error);
        CHECK(s.error.attempts == 1);
        CHECK(s.error.http_status == 503);
        CHECK(r.budget->available() == 4);
        CHECK(r.draws == 0);
    }
    SUBCASE("on a later attempt") {
        rig r;
        r.budget = std::make_shared<apig::retry_budget>(apig::retry_budget_options{.capacity = 5});
        auto env = r.env();
        call_fsm fsm(env);
        first_attempt(fsm);
        check_retry(fsm.on_failure(http_failure(503, "busy"), "", t0), 1, 50ms, "busy");
        CHECK(r.budget->available() == 0);
        after_wait(fsm);
        auto s = fsm.on_failure(http_failure(503, "busy"), "", t0);
        check_gave_up(s, "busy", "busy (not retried: the client's retry budget is exhausted; 2 attempts)");
        CHECK(s.error.attempts == 2);
    }
    SUBCASE("after a timeout, which costs timeout_cost") {
        rig r;
        r.budget = std::make_shared<apig::retry_budget>(
            apig::retry_budget_options{.capacity = 9, .retry_cost = 5, .timeout_cost = 10});
        auto env = r.env();
        call_fsm fsm(env);
        first_attempt(fsm);
        auto s = fsm.on_failure(failure(apig::errc::timed_out, "reading the response: timed out (timeouts.attempt = 30000 ms)"), "", t0);
        check_gave_up(s, "reading the response: timed out (timeouts.attempt = 30000 ms)",
                      "reading the response: timed out (timeouts.attempt = 30000 ms) (not retried: the client's "
                      "retry budget is exhausted; 1 attempt)");
        CHECK(r.budget->available() == 9);  // 5 would have paid for a retry after anything else
    }
}

TEST_CASE("call fsm: a retry after a timeout costs timeout_cost, refunded on success") {
    rig r;
    auto env = r.env();
    call_fsm fsm(env);
    first_attempt(fsm);
    auto s = fsm.on_failure(failure(apig::errc::timed_out, "connecting: timed out (timeouts.connect = 10000 ms)"), "", t0);
    check_retry(s, 1, 50ms, "connecting: timed out (timeouts.connect = 10000 ms)");
    CHECK(r.budget->available() == 490);
    after_wait(fsm);
    fsm.on_success();
    CHECK(r.budget->available() == 500);
}

TEST_CASE("call fsm: a disabled budget never refuses and never counts") {
    rig r;
    r.budget = std::make_shared<apig::retry_budget>(apig::retry_budget_options{.enabled = false, .capacity = 0});
    r.total = 0ms;
    r.policy.max_attempts = 3;
    auto env = r.env();
    call_fsm fsm(env);
    first_attempt(fsm);
    check_retry(fsm.on_failure(http_failure(503, "busy"), "", t0), 1, 50ms, "busy");
    after_wait(fsm);
    check_retry(fsm.on_failure(http_failure(503, "busy"), "", t0), 2, 100ms, "busy");
    after_wait(fsm);
    fsm.on_success();
    CHECK(r.budget->available() == 0);
}

TEST_CASE("call fsm: the overall deadline leaves no time for the wait") {
    SUBCASE("the wait would end after the deadline: named, timed_out, tokens given back") {
        rig r;
        auto env = r.env();
        call_fsm fsm(env);
        first_attempt(fsm);
        std::string const full =
            "busy; then the call's overall deadline (timeouts.total = 1000 ms) left no time for the 50 ms "
            "wait before attempt 2 (1 attempt)";
        auto s = fsm.on_failure(http_failure(503, "busy"), "", t0 + 950ms);  // 950 + 50 >= 1000
        check_gave_up(s, full, full);  // the hook sees the deadline too
        CHECK(s.error.code == apig::errc::timed_out);
        CHECK(s.error.http_status == 503);
        CHECK(s.error.attempts == 1);
        CHECK(r.budget->available() == 500);
    }
    SUBCASE("one millisecond more fits") {
        rig r;
        auto env = r.env();
        call_fsm fsm(env);
        first_attempt(fsm);
        check_retry(fsm.on_failure(http_failure(503, "busy"), "", t0 + 949ms), 1, 50ms, "busy");
    }
    SUBCASE("on a later attempt") {
        rig r;
        auto env = r.env();
        call_fsm fsm(env);
        first_attempt(fsm);
        check_retry(fsm.on_failure(http_failure(503, "busy"), "", t0), 1, 50ms, "busy");
        REQUIRE(r.budget->try_acquire(false));  // another client's retry: 490
        after_wait(fsm);
        auto s = fsm.on_failure(http_failure(503, "busy"), "", t0 + 901ms);  // 901 + 100 > 1000
        std::string const full =
            "busy; then the call's overall deadline (timeouts.total = 1000 ms) left no time for the 100 ms "
            "wait before attempt 3 (2 attempts)";
        check_gave_up(s, full, full);
        CHECK(r.budget->available() == 490);  // this call's first retry stays spent; the second given back
    }
    SUBCASE("the attempt itself was cut by the deadline: not named twice") {
        std::string const cut = "reading the response: timed out (" + deadline_name + ")";
        rig r;
        auto env = r.env();
        call_fsm fsm(env);
        first_attempt(fsm);
        auto s = fsm.on_failure(failure(apig::errc::timed_out, cut), "", t0 + 1000ms);
        check_gave_up(s, cut, cut);
        CHECK(s.error.code == apig::errc::timed_out);
        CHECK(r.budget->available() == 500);  // timeout_cost given back
    }
    SUBCASE("the attempt itself was cut by the deadline, on a later attempt") {
        std::string const cut = "reading the response: timed out (" + deadline_name + ")";
        rig r;
        auto env = r.env();
        call_fsm fsm(env);
        first_attempt(fsm);
        check_retry(fsm.on_failure(http_failure(503, "busy"), "", t0), 1, 50ms, "busy");
        after_wait(fsm);
        auto s = fsm.on_failure(failure(apig::errc::timed_out, cut), "", t0 + 1000ms);
        check_gave_up(s, cut, cut + " (after 2 attempts)");
        CHECK(s.error.attempts == 2);
    }
}

TEST_CASE("call fsm: a failure that is not retryable") {
    SUBCASE("on the first attempt: the message as it is") {
        rig r;
        auto env = r.env();
        call_fsm fsm(env);
        first_attempt(fsm);
        auto s = fsm.on_failure(http_failure(404, "HTTP 404: no such project"), "", t0);
        check_gave_up(s, "HTTP 404: no such project", "HTTP 404: no such project");
        CHECK(s.error.code == apig::errc::not_found);
        CHECK(s.error.attempts == 1);
        CHECK(r.budget->available() == 500);
        CHECK(r.draws == 0);
    }
    SUBCASE("on a later attempt: says which") {
        rig r;
        auto env = r.env();
        call_fsm fsm(env);
        first_attempt(fsm);
        check_retry(fsm.on_failure(http_failure(503, "busy"), "", t0), 1, 50ms, "busy");
        after_wait(fsm);
        auto s = fsm.on_failure(http_failure(403, "HTTP 403: forbidden"), "", t0);
        check_gave_up(s, "HTTP 403: forbidden", "HTTP 403: forbidden (attempt 2, not retryable)");
        CHECK(s.error.attempts == 2);
        CHECK(r.budget->available() == 495);  // the retry that happened stays spent
    }
    SUBCASE("a 401 without a provider is not retried and not refreshed") {
        rig r;
        auto env = r.env();
        call_fsm fsm(env);
        first_attempt(fsm);
        auto s = fsm.on_failure(http_failure(401, "HTTP 401: bad token"), "", t0);
        check_gave_up(s, "HTTP 401: bad token", "HTTP 401: bad token");
    }
    SUBCASE("the policy's filter says no") {
        rig r;
        r.policy.filter = [](apig::error_info const& e) { return e.http_status != 503; };
        auto env = r.env();
        call_fsm fsm(env);
        first_attempt(fsm);
        check_gave_up(fsm.on_failure(http_failure(503, "busy"), "", t0), "busy", "busy");
    }
}

TEST_CASE("call fsm: max_attempts") {
    SUBCASE("reached after retries") {
        rig r;
        r.policy.max_attempts = 2;
        auto env = r.env();
        call_fsm fsm(env);
        first_attempt(fsm);
        check_retry(fsm.on_failure(http_failure(503, "busy"), "", t0), 1, 50ms, "busy");
        after_wait(fsm);
        auto s = fsm.on_failure(http_failure(503, "busy"), "", t0);
        check_gave_up(s, "busy", "busy (gave up after 2 attempts)");
        CHECK(s.error.attempts == 2);
        CHECK(r.budget->available() == 495);
        CHECK(r.draws == 1);
    }
    SUBCASE("one attempt only: the message as it is") {
        rig r;
        r.policy.max_attempts = 1;
        auto env = r.env();
        call_fsm fsm(env);
        first_attempt(fsm);
        check_gave_up(fsm.on_failure(http_failure(503, "busy"), "", t0), "busy", "busy");
        CHECK(r.budget->available() == 500);
    }
}

TEST_CASE("call fsm: Retry-After") {
    SUBCASE("delta-seconds replace the jitter") {
        rig r;
        r.total = 0ms;
        auto env = r.env();
        call_fsm fsm(env);
        first_attempt(fsm);
        check_retry(fsm.on_failure(http_failure(429, "slow down"), "3", t0), 1, 3000ms, "slow down");
        CHECK(r.draws == 0);
    }
    SUBCASE("capped at max_backoff") {
        rig r;
        r.total = 0ms;
        r.policy.max_backoff = 2000ms;
        auto env = r.env();
        call_fsm fsm(env);
        first_attempt(fsm);
        check_retry(fsm.on_failure(http_failure(503, "busy"), "120", t0), 1, 2000ms, "busy");
    }
    SUBCASE("an HTTP-date, against the wall clock") {
        rig r;
        r.total = 0ms;
        auto env = r.env();
        call_fsm fsm(env);
        first_attempt(fsm);
        r.wall = std::chrono::sys_days{std::chrono::year{2024} / 1 / 1} + 1500ms;
        check_retry(fsm.on_failure(http_failure(503, "busy"), "Mon, 01 Jan 2024 00:00:04 GMT", t0), 1, 2500ms, "busy");
    }
    SUBCASE("unparsable: the jitter") {
        rig r;
        auto env = r.env();
        call_fsm fsm(env);
        first_attempt(fsm);
        check_retry(fsm.on_failure(http_failure(503, "busy"), "soon", t0), 1, 50ms, "busy");
        CHECK(r.draws == 1);
    }
    SUBCASE("not honoured: the jitter") {
        rig r;
        r.policy.honour_retry_after = false;
        auto env = r.env();
        call_fsm fsm(env);
        first_attempt(fsm);
        check_retry(fsm.on_failure(http_failure(503, "busy"), "3", t0), 1, 50ms, "busy");
    }
    SUBCASE("longer than the time left: the deadline ends the call") {
        rig r;
        auto env = r.env();
        call_fsm fsm(env);
        first_attempt(fsm);
        auto s = fsm.on_failure(http_failure(503, "busy"), "2", t0);
        check_gave_up(s,
                      "busy; then the call's overall deadline (timeouts.total = 1000 ms) left no time for the 2000 ms "
                      "wait before attempt 2 (1 attempt)",
                      "busy; then the call's overall deadline (timeouts.total = 1000 ms) left no time for the 2000 ms "
                      "wait before attempt 2 (1 attempt)");
        CHECK(r.budget->available() == 500);
    }
}

TEST_CASE("call fsm: a 401 with a provider asks for fresh credentials once") {
    std::string const rejected = "HTTP 401: token expired";
    SUBCASE("fresh credentials: one more attempt at once, which then fails the same way") {
        rig r;
        r.refreshable = true;
        auto env = r.env();
        call_fsm fsm(env);
        first_attempt(fsm);
        auto s = fsm.on_failure(http_failure(401, rejected), "", t0);
        REQUIRE(s.what == kind::refresh_credentials);
        REQUIRE(s.creds != nullptr);
        CHECK(*s.creds == tok1);  // the ones the server refused
        CHECK_FALSE(s.report);    // reported once the loop knows what follows
        CHECK_FALSE(s.log);
        s = fsm.on_refreshed(tok2, false, t0);
        REQUIRE(s.what == kind::attempt);
        CHECK(s.attempt == 2);
        CHECK(*s.creds == tok2);
        CHECK(s.counts_as_refresh);
        CHECK_FALSE(s.counts_as_retry);
        REQUIRE(s.report);
        CHECK(s.report->action == apig::retry_action::refresh_credentials);
        CHECK(s.report->backoff == 0ms);
        REQUIRE(s.report->error != nullptr);
        CHECK(s.report->error->message == rejected);
        CHECK(s.report->error->attempts == 1);
        REQUIRE(s.log);
        CHECK(s.log->level == apig::log_level::info);
        CHECK(s.log->text ==
              "attempt 1 failed: " + rejected + "; retrying once with the credentials provider's fresh credentials");
        s = fsm.on_failure(http_failure(401, rejected), "", t0);
        check_gave_up(s, rejected, rejected + " (refused with the credentials provider's fresh credentials too)");
        CHECK(s.error.attempts == 2);
        CHECK(r.budget->available() == 500);  // no retry, no token
        CHECK(r.draws == 0);
    }
    SUBCASE("the fresh credentials serve the rest of the call") {
        rig r;
        r.refreshable = true;
        auto env = r.env();
        call_fsm fsm(env);
        first_attempt(fsm);
        REQUIRE(fsm.on_failure(http_failure(401, rejected), "", t0).what == kind::refresh_credentials);
        REQUIRE(fsm.on_refreshed(tok2, false, t0).what == kind::attempt);
        check_retry(fsm.on_failure(http_failure(503, "busy"), "", t0), 2, 100ms, "busy");
        auto s = fsm.on_waited({}, t0);
        REQUIRE(s.what == kind::attempt);  // no get_credentials: pinned
        CHECK(s.attempt == 3);
        CHECK(*s.creds == tok2);
        CHECK(s.counts_as_retry);
        CHECK_FALSE(s.counts_as_refresh);
        CHECK_FALSE(s.report);
    }
    SUBCASE("the provider has nothing newer") {
        rig r;
        r.refreshable = true;
        auto env = r.env();
        call_fsm fsm(env);
        first_attempt(fsm);
        REQUIRE(fsm.on_failure(http_failure(401, rejected), "", t0).what == kind::refresh_credentials);
        auto s = fsm.on_refreshed(std::monostate{}, false, t0);
        check_gave_up(s, rejected, rejected + " (the credentials provider has none newer)");
        CHECK(s.error.code == apig::errc::unauthorized);
        CHECK(s.error.attempts == 1);
    }
    SUBCASE("asking for them fails") {
        rig r;
        r.refreshable = true;
        auto env = r.env();
        call_fsm fsm(env);
        first_attempt(fsm);
        REQUIRE(fsm.on_failure(http_failure(401, rejected), "", t0).what == kind::refresh_credentials);
        auto s = fsm.on_refreshed(failure(apig::errc::credentials_unavailable, "the credentials provider's refresh() threw: IAM down"), false, t0);
        check_gave_up(s, rejected,
                      rejected + "; then asking for fresh credentials failed: the credentials provider's refresh() "
                                 "threw: IAM down");
        CHECK(s.error.code == apig::errc::unauthorized);
        CHECK(s.error.http_status == 401);
    }
    SUBCASE("cancelled while refreshing: aborted, nothing reported or logged") {
        rig r;
        r.refreshable = true;
        auto env = r.env();
        call_fsm fsm(env);
        first_attempt(fsm);
        REQUIRE(fsm.on_failure(http_failure(401, rejected), "", t0).what == kind::refresh_credentials);
        auto s = fsm.on_refreshed(tok2, true, t0);
        REQUIRE(s.what == kind::fail);
        CHECK(s.error.code == boost::asio::error::operation_aborted);
        CHECK(s.error.message == "cancelled while the credentials provider refreshed the credentials");
        CHECK(s.error.attempts == 1);
        CHECK_FALSE(s.report);
        CHECK_FALSE(s.log);
        CHECK_FALSE(s.counts_as_refresh);
    }
    SUBCASE("a 401 after a retry refreshes too, with the credentials of that attempt") {
        rig r;
        r.refreshable = true;
        auto env = r.env();
        call_fsm fsm(env);
        first_attempt(fsm);
        check_retry(fsm.on_failure(http_failure(503, "busy"), "", t0), 1, 50ms, "busy");
        after_wait(fsm, tok2);
        auto s = fsm.on_failure(http_failure(401, rejected), "", t0);
        REQUIRE(s.what == kind::refresh_credentials);
        CHECK(*s.creds == tok2);
        s = fsm.on_refreshed(std::monostate{}, false, t0);
        check_gave_up(s, rejected, rejected + " (the credentials provider has none newer)");
        CHECK(s.error.attempts == 2);
    }
}

TEST_CASE("call fsm: cancellation") {
    SUBCASE("an attempt that was cancelled is never retried, whatever the attempt") {
        rig r;
        auto env = r.env();
        call_fsm fsm(env);
        first_attempt(fsm);
        check_retry(fsm.on_failure(http_failure(503, "busy"), "", t0), 1, 50ms, "busy");
        after_wait(fsm);
        auto s = fsm.on_failure(failure(boost::asio::error::operation_aborted, "exchanging: cancelled"), "", t0);
        check_gave_up(s, "exchanging: cancelled", "exchanging: cancelled");
        CHECK(s.error.code == boost::asio::error::operation_aborted);
        CHECK(s.error.attempts == 2);
        CHECK(r.budget->available() == 495);
    }
    SUBCASE("cancelled during the wait") {
        rig r;
        auto env = r.env();
        call_fsm fsm(env);
        first_attempt(fsm);
        check_retry(fsm.on_failure(http_failure(503, "busy"), "", t0), 1, 50ms, "busy");
        auto s = fsm.on_waited(boost::asio::error::operation_aborted, t0);
        REQUIRE(s.what == kind::fail);
        CHECK(s.error.code == boost::asio::error::operation_aborted);
        CHECK(s.error.message == "waiting 50 ms before attempt 2: cancelled");
        CHECK(s.error.attempts == 1);
        CHECK(s.error.http_status == 503);  // of the attempt that failed
        CHECK_FALSE(s.report);
        CHECK_FALSE(s.log);
    }
    SUBCASE("the wait failed otherwise") {
        rig r;
        auto env = r.env();
        call_fsm fsm(env);
        first_attempt(fsm);
        check_retry(fsm.on_failure(http_failure(503, "busy"), "", t0), 1, 50ms, "busy");
        boost::system::error_code const ec = boost::asio::error::shut_down;
        auto s = fsm.on_waited(ec, t0);
        REQUIRE(s.what == kind::fail);
        CHECK(s.error.code == ec);
        CHECK(s.error.message == "waiting 50 ms before attempt 2: " + ec.message());
    }
}

TEST_CASE("call fsm: the credentials provider fails before an attempt") {
    std::string const why = "the credentials provider's current() threw: no role";
    SUBCASE("before the first: no attempt made") {
        rig r;
        r.refreshable = true;
        auto env = r.env();
        call_fsm fsm(env);
        REQUIRE(fsm.start(t0).what == kind::get_credentials);
        auto s = fsm.on_credentials(failure(apig::errc::credentials_unavailable, why), t0);
        REQUIRE(s.what == kind::fail);
        CHECK(s.error.code == apig::errc::credentials_unavailable);
        CHECK(s.error.message == why);
        CHECK(s.error.attempts == 0);
        CHECK_FALSE(s.report);
        REQUIRE(s.log);
        CHECK(s.log->level == apig::log_level::error);
        CHECK(s.log->text == why);
    }
    SUBCASE("before a retry: the attempts made so far") {
        rig r;
        r.refreshable = true;
        auto env = r.env();
        call_fsm fsm(env);
        first_attempt(fsm);
        check_retry(fsm.on_failure(http_failure(503, "busy"), "", t0), 1, 50ms, "busy");
        REQUIRE(fsm.on_waited({}, t0).what == kind::get_credentials);
        auto s = fsm.on_credentials(failure(apig::errc::credentials_unavailable, why), t0);
        REQUIRE(s.what == kind::fail);
        CHECK(s.error.message == why);
        CHECK(s.error.attempts == 1);
        CHECK_FALSE(s.counts_as_retry);  // no attempt, no retry counted
    }
}

TEST_CASE("call fsm: calls of two clients sharing one budget draw on the same tokens") {
    auto shared = std::make_shared<apig::retry_budget>(apig::retry_budget_options{.capacity = 7, .retry_cost = 5});
    rig a, b;
    a.budget = shared;
    b.budget = shared;
    auto env_a = a.env();
    auto env_b = b.env();
    call_fsm first(env_a), second(env_b);
    first_attempt(first);
    first_attempt(second);
    check_retry(first.on_failure(http_failure(503, "busy"), "", t0), 1, 50ms, "busy");
    CHECK(shared->available() == 2);
    check_gave_up(second.on_failure(http_failure(503, "busy"), "", t0), "busy",
                  "busy (not retried: the client's retry budget is exhausted; 1 attempt)");
    after_wait(first);
    first.on_success();  // gives the retry's 5 back, to both
    CHECK(shared->available() == 7);
}

TEST_SUITE_END();
