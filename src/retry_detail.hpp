#pragma once

// The sans-I/O pieces of the retry loop (backoff, Retry-After, the classification of failures)
// and the test seams of the call. Internal: the call state machine (call_fsm.hpp) is built on
// them, and the tests reach them here.

#include <apig/error.hpp>
#include <apig/retry.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string_view>

namespace apig::detail {

/// The full-jitter wait after failed attempt `attempt` (1-based), for `random01` in [0, 1):
/// `floor(random01 * min(max_backoff, initial_backoff * multiplier^(attempt-1)))`, never
/// overflowing (any attempt number gives at most max_backoff). `random01` is clamped into
/// [0, 1) (NaN counts as 0), an attempt below 1 counts as 1, a multiplier below 1 (or NaN)
/// counts as 1, and a non-positive initial_backoff or max_backoff gives 0.
std::chrono::milliseconds backoff_delay(retry_policy const& p, int attempt, double random01) noexcept;

/// Parses a `Retry-After` value: delta-seconds ("120") or an HTTP-date
/// ("Wed, 21 Oct 2015 07:28:00 GMT", also the obsolete RFC 850 and asctime forms). A date in
/// the past (or exactly `now`) gives 0; a future date gives the time until it, rounded up to
/// whole milliseconds. Surrounding spaces and tabs are ignored; delta-seconds too large for
/// milliseconds give milliseconds::max(). Month, day and zone names are matched without
/// regard to case; the day name is not checked against the date. nullopt if the value is
/// neither (also for an impossible date such as 31 Nov).
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                          std::chrono::system_clock::time_point now);

/// Why a failure is (not) retried.
enum class retry_verdict {
    retry,          ///< retryable: try again (if attempts, budget and deadline allow)
    not_retryable,  ///< the policy does not retry this failure
    cancelled,      ///< the call was cancelled: never retried
};

/// Classifies a failed attempt under a policy: the status against `retry_statuses`
/// (400/401/403/404 never), transport failures, certificate failures (never), bad responses,
/// cancellation (never), then `filter`.
retry_verdict classify(retry_policy const& p, error_info const& e);

/// What tests replace in a client's retry loop, carried by its `retry_policy` (which has no
/// public way to set them).
struct retry_seams {
    /// Source of jitter, uniform in [0, 1). Empty: a per-client std::mt19937_64 seeded from
    /// std::random_device.
    std::function<double()> random{};
    /// How the client waits between attempts. Empty: a steady_timer on the client's strand.
    /// It must honour the awaiting coroutine's cancellation (throwing operation_aborted).
    std::function<boost::asio::awaitable<void>(std::chrono::milliseconds)> sleep{};
};

/// The seams `p` carries, to set: `detail::seams(o.retry).sleep = ...`. The first use on a
/// policy gives it its own copy, so copies of `p` made before are not affected (copies made
/// after share it).
retry_seams& seams(retry_policy& p);

/// The seams `p` carries, or null.
inline retry_seams const* seams_of(retry_policy const& p) noexcept { return p.internal_seams.get(); }

}  // namespace apig::detail
