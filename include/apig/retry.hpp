#pragma once

#include <apig/export.hpp>

// When and how a failed attempt is tried again: the policy (which failures, how many times,
// how long to wait) and the retry budget, which clients may share.

#include <apig/error.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace apig {

namespace detail {
struct retry_seams;
}

/// Which failures are retried, how often, and how long to wait between attempts.
///
/// The wait before attempt n+1 is "full jitter" (AWS architecture blog, 2015):
/// `r * min(max_backoff, initial_backoff * multiplier^(n-1))`, r uniform in [0, 1); a `Retry-After` header
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

    /// Not an option: what the library's own tests replace (jitter, the wait between
    /// attempts), reached through an internal header. Leave it empty.
    std::shared_ptr<detail::retry_seams const> internal_seams{};
};

/// The retry budget: a token bucket like the AWS SDKs' retry quota. A retry costs tokens (more
/// after a timeout), a success gives some back, so a failing backend sees at most about
/// capacity / retry_cost extra requests from the clients that share the budget (by default
/// each client has its own), not max_attempts times the load.
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

/// The token bucket of `retry_budget_options`. Thread-safe: its state is one atomic counter,
/// updated lock-free, so one budget may be shared by clients on any threads and executors
/// (`client_options::shared_retry_budget`), as the AWS SDKs share a retry quota between
/// clients of one service.
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

}  // namespace apig
