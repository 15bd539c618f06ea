#pragma once

#include <apig/export.hpp>

// When and how a failed attempt is tried again: the policy (which failures, how many times,
// how long to wait), the shared retry budget, and the sans-I/O functions the client's retry
// loop is made of. Everything here is testable without sockets or sleeping.

#include <apig/error.hpp>

#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

namespace apig {

/// Which failures are retried, how often, and how long to wait between attempts.
///
/// The wait before attempt n+1 is "full jitter" (AWS architecture blog, 2015):
/// `random() * min(max_backoff, initial_backoff * multiplier^(n-1))`; a `Retry-After` header
/// on the failed response replaces it, capped at `max_backoff`.
struct retry_policy {
    /// Attempts per call, the first included; 1 means no retry. Default 4.
    int max_attempts = 4;
    /// Default 100 ms.
    std::chrono::milliseconds initial_backoff = std::chrono::milliseconds(100);
    /// Default 2.
    double multiplier = 2.0;
    /// Cap of one wait, also of a `Retry-After`. Default 10 s.
    std::chrono::milliseconds max_backoff = std::chrono::seconds(10);
    /// HTTP statuses retried. Default 429, 500, 502, 503, 504. (400, 401, 403 and 404 are
    /// never retried whatever this holds: the same request would fail the same way.)
    std::vector<unsigned> retry_statuses{429, 500, 502, 503, 504};
    /// Retry transport failures: connection refused or reset, the connection closed before the
    /// response or in the middle of its body or of the TLS handshake, and the connect /
    /// handshake / attempt timeouts. Not a handshake the server refused with a TLS alert
    /// (`errc::tls_handshake_failed`: protocol version, cipher) nor a certificate problem.
    /// Default true.
    bool retry_transport_errors = true;
    /// Retry a 200 whose body is not a valid page (e.g. cut-off or malformed JSON from a
    /// faulty proxy). Default true.
    bool retry_bad_response = true;
    /// Wait as the server's `Retry-After` says (seconds or HTTP-date), capped at max_backoff.
    /// Default true.
    bool honour_retry_after = true;
    /// Optional last word: called with a failure the rules above would retry; returning false
    /// gives up. Default: none.
    std::function<bool(error_info const&)> filter{};

    /// Source of jitter, uniform in [0, 1). Default: a per-client std::mt19937_64 seeded
    /// from std::random_device. Tests inject a fixed sequence.
    std::function<double()> random{};
    /// How the client waits between attempts. Default: a steady_timer on the client's
    /// executor. It must honour the awaiting coroutine's cancellation (throwing
    /// operation_aborted). Tests inject one that records the delay and returns at once.
    std::function<boost::asio::awaitable<void>(std::chrono::milliseconds)> sleep{};
};

/// The client-wide retry budget: a token bucket like the AWS SDKs' retry quota. A retry costs
/// tokens (more after a timeout), a success gives some back, so a failing backend sees at
/// most about capacity / retry_cost extra requests from this client, not max_attempts times
/// the load.
struct retry_budget_options {
    /// Off: retries are limited by max_attempts alone. Default true.
    bool enabled = true;
    /// Tokens when full (and at start). Default 500.
    std::uint32_t capacity = 500;
    /// Cost of a retry after any failure but a timeout. Default 5.
    std::uint32_t retry_cost = 5;
    /// Cost of a retry after a timeout. Default 10.
    std::uint32_t timeout_cost = 10;
    /// Given back by a successful call that needed no retry, up to capacity. Default 1.
    std::uint32_t success_refund = 1;
};

/// Thread-safe token bucket (lock-free).
class APIG_DECL retry_budget {
public:
    explicit retry_budget(retry_budget_options opts = {});
    /// Takes the cost of one retry; false (and nothing taken) when too few tokens are left.
    bool try_acquire(bool after_timeout) noexcept;
    /// A call succeeded: gives back `success_refund` if it needed no retry, and what its
    /// retries cost if it did.
    void on_success(std::uint32_t refund_of_retries) noexcept;
    std::uint32_t available() const noexcept;
    retry_budget_options const& options() const noexcept { return opts_; }

private:
    retry_budget_options opts_;
    std::atomic<std::uint32_t> tokens_;
};

/// The full-jitter wait after failed attempt `attempt` (1-based), for `random01` in [0, 1):
/// `floor(random01 * min(max_backoff, initial_backoff * multiplier^(attempt-1)))`, never
/// overflowing (any attempt number gives at most max_backoff). `random01` is clamped into
/// [0, 1) (NaN counts as 0), an attempt below 1 counts as 1, a multiplier below 1 (or NaN)
/// counts as 1, and a non-positive initial_backoff or max_backoff gives 0.
APIG_DECL std::chrono::milliseconds backoff_delay(retry_policy const& p, int attempt, double random01) noexcept;

/// Parses a `Retry-After` value: delta-seconds ("120") or an HTTP-date
/// ("Wed, 21 Oct 2015 07:28:00 GMT", also the obsolete RFC 850 and asctime forms). A date in
/// the past (or exactly `now`) gives 0; a future date gives the time until it, rounded up to
/// whole milliseconds. Surrounding spaces and tabs are ignored; delta-seconds too large for
/// milliseconds give milliseconds::max(). Month, day and zone names are matched without
/// regard to case; the day name is not checked against the date. nullopt if the value is
/// neither (also for an impossible date such as 31 Nov).
APIG_DECL std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                          std::chrono::system_clock::time_point now);

/// Why a failure is (not) retried.
enum class retry_verdict {
    retry,              ///< retryable: try again (if attempts, budget and deadline allow)
    not_retryable,      ///< the policy does not retry this failure
    cancelled,          ///< the call was cancelled: never retried
};

/// Classifies a failed attempt under a policy (sans-I/O): the status against
/// `retry_statuses` (400/401/403/404 never), transport failures, certificate failures
/// (never), bad responses, cancellation (never), then `filter`.
APIG_DECL retry_verdict classify(retry_policy const& p, error_info const& e);

}  // namespace apig
