#pragma once

// One call's retry loop as a sans-I/O state machine: told what happened (the credentials to
// use, an attempt's outcome, a credentials refresh's result, the end of a wait, the time), it
// answers what to do next. It does no I/O and reads no clock of its own: the steady time comes
// with each event, the wall clock (for HTTP-date Retry-After) and the jitter from `call_env`.
// The coroutine that runs a call (call.cpp) carries out the answers; the tests drive it with
// plain calls.

#include <apig/credentials.hpp>
#include <apig/error.hpp>
#include <apig/observability.hpp>
#include <apig/rate_limit.hpp>
#include <apig/retry.hpp>

#include <boost/system/error_code.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace apig::detail {

/// What a call consults, owned by the client and alive as long as the calls.
struct call_env {
    retry_policy const& policy;
    /// Thread-safe; possibly shared with other clients.
    retry_budget& budget;
    /// `timeouts.total`, for messages; zero: no overall deadline.
    std::chrono::milliseconds total;
    /// How an attempt's own message names the call's deadline when the deadline cut it.
    std::string deadline_name;
    /// Credentials come from a provider, which may have fresh ones after a 401.
    bool refreshable = false;
    /// Jitter, uniform in [0, 1).
    std::function<double()> random;
    /// The wall clock, the reference of an HTTP-date Retry-After.
    std::function<std::chrono::system_clock::time_point()> wall_clock;
    /// Thread-safe, possibly shared; null: no rate limit. Every attempt takes a token.
    rate_limiter* limiter = nullptr;
    /// How messages name the limiter, e.g. "rate_limit: 20 requests/s, burst 1".
    std::string limiter_name{};
};

/// What the call does next. Before the step itself, the coroutine carries out its
/// side effects in this order: count a refresh, `report` the last attempt, `log`.
struct call_step {
    enum class kind {
        /// Ask the provider for its current credentials, then `on_credentials`.
        get_credentials,
        /// Send attempt `attempt` with `*creds`, then `on_success` or `on_failure`.
        attempt,
        /// Ask for credentials newer than `*creds` (rejected with a 401), then `on_refreshed`.
        refresh_credentials,
        /// Wait `wait`, then `on_waited`.
        wait,
        /// Wait until `until` (`wait`, rounded up) for the rate limiter's token, then
        /// `on_rate_waited`. The token is taken: a cancelled wait gives it back there.
        rate_wait,
        /// The call fails with `error`.
        fail,
        /// The call succeeded.
        done,
    };
    struct report_of_attempt {
        retry_action action = retry_action::none;
        std::chrono::milliseconds backoff{};
        error_info const* error = nullptr;  // valid until the next event
    };
    struct log_line {
        log_level level = log_level::info;
        std::string text;
    };

    kind what = kind::done;
    credentials const* creds = nullptr;  // attempt, refresh_credentials; valid until the next event
    int attempt = 0;                     // attempt: its number (1 for the first)
    bool counts_as_retry = false;        // attempt: counted in client_stats::retries
    bool counts_as_refresh = false;      // counted in client_stats::credential_refreshes
    std::chrono::milliseconds wait{};    // wait, rate_wait
    std::chrono::steady_clock::time_point until{};  // rate_wait
    error_info error{};                  // fail
    std::optional<report_of_attempt> report{};  // the attempt that just ended, for the attempt hook
    std::optional<log_line> log{};
};

/// One call's retry loop. Not thread-safe (one call's coroutine drives it). Each event must be
/// the one the last step asked for.
class call_fsm {
public:
    using steady = std::chrono::steady_clock;
    using credentials_or_error = std::variant<credentials, error_info>;
    /// A refresh's result: nothing newer, newer credentials, or why there are none.
    using refresh_result = std::variant<std::monostate, credentials, error_info>;

    explicit call_fsm(call_env const& env) : env_(env) {}

    /// The call starts at `now`: its deadline is `now + total`.
    call_step start(steady::time_point now);
    /// The deadline of the call (time_point::max() without one).
    steady::time_point deadline() const noexcept { return deadline_; }

    call_step on_credentials(credentials_or_error c, steady::time_point now);
    /// The attempt succeeded: the retry budget gets its refund.
    call_step on_success();
    /// The attempt failed with `e`; the response (if any) said `Retry-After: retry_after`.
    call_step on_failure(error_info e, std::string_view retry_after, steady::time_point now);
    /// The refresh after a 401 ended; `cancelled`: the call was cancelled meanwhile.
    call_step on_refreshed(refresh_result fresh, bool cancelled, steady::time_point now);
    /// The wait ended, successfully or not (cancelled: operation_aborted).
    call_step on_waited(boost::system::error_code ec, steady::time_point now);
    /// The wait for the rate limiter's token ended, successfully or not (cancelled:
    /// operation_aborted, and the token is given back).
    call_step on_rate_waited(boost::system::error_code ec);

private:
    call_step next_attempt(steady::time_point now);
    // Takes the rate limiter's token for attempt n_ with `c`, then the attempt (or the wait).
    call_step attempt_with(credentials const& c, steady::time_point now);
    call_step attempt_step(credentials const& c);
    call_step decide(steady::time_point now);
    std::chrono::milliseconds backoff() const;

    call_env const& env_;
    steady::time_point deadline_ = steady::time_point::max();
    int n_ = 1;                       // the attempt in progress or just ended
    std::uint32_t spent_ = 0;         // retry tokens this call took
    std::uint32_t retry_cost_ = 0;    // of those, the tokens of the retry not yet sent
    credentials used_;                // the provider's credentials of attempt n_ (unless pinned)
    credentials const* sent_ = nullptr;  // the credentials of attempt n_
    // After a 401, the provider's fresh credentials serve the rest of the call (once a call).
    std::optional<credentials> pinned_;
    bool refreshed_ = false;
    bool after_refresh_ = false;  // the next attempt follows a refresh: not a retry
    error_info error_;            // the last attempt's failure
    std::string why_;             // why the loop stops, appended to the final message
    std::string retry_after_;     // of the last failure, kept across a refresh
    std::chrono::milliseconds wait_{};
    rate_limiter::reservation token_{};  // of the attempt waiting for its time
};

}  // namespace apig::detail
