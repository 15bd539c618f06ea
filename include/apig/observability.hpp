#pragma once

#include <apig/export.hpp>

// Hooks for a service's metrics, tracing and logs. The library prints nothing by itself.

#include <apig/error.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string_view>

namespace apig {

/// What the retry loop does after an attempt.
enum class retry_action {
    none,       ///< the attempt succeeded
    retry,      ///< another attempt follows after `backoff`
    give_up,    ///< the call fails with this attempt's error
    /// HTTP 401 and the credentials provider had fresh credentials: one more attempt
    /// follows at once with them (once a call; not a retry, no backoff, no retry budget).
    refresh_credentials,
};

/// One attempt of one call, reported when the attempt ends (success or failure).
struct attempt_info {
    std::string_view target{};          ///< request target (path and query; no secrets)
    int attempt = 1;                    ///< 1 for the first attempt of the call
    unsigned http_status = 0;           ///< 0 when no response arrived
    std::chrono::microseconds latency{};///< from taking a connection to the end of the response
    std::uint64_t bytes = 0;            ///< response bytes read
    bool reused_connection = false;     ///< the attempt ran on a kept-alive connection
    error_info const* error = nullptr;  ///< the failure, or null on success
    retry_action action = retry_action::none;
    std::chrono::milliseconds backoff{};///< wait before the next attempt (action == retry)
};

/// Called once per attempt, on the client's strand: keep it short and do not block.
using attempt_hook = std::function<void(attempt_info const&)>;

enum class log_level { trace, debug, info, warning, error };

APIG_DECL std::string_view to_string(log_level l) noexcept;

/// Receives the library's log lines (never containing credentials), on the client's strand.
using log_sink = std::function<void(log_level, std::string_view)>;

}  // namespace apig
