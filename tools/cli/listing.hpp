#pragma once

// The arithmetic of a listing (how many pages a walk should take) and the exit status of a
// failure: kept apart from the I/O so both can be tested without a server. The walk itself is
// the library's (apig::client::pages).

#include <apig/error.hpp>

#include <cstdint>
#include <optional>

namespace apig::cli {

/// Exit statuses of apig-instances.
enum exit_status : int {
    exit_ok = 0,
    /// Usage or validation error; no request was sent.
    exit_usage = 2,
    /// The server refused the credentials or the permission (HTTP 401/403).
    exit_auth = 3,
    /// Any other failure (transport, TLS, timeout, server error, bad response, ...).
    exit_failure = 4,
};

/// The exit status for a failure: `errc::invalid_argument` rejected before any request is a
/// usage error (2); once a request was sent (`requests_sent`) every failure is a runtime one,
/// so a walk's failure never maps to 2. `unauthorized` / `forbidden` are 3, everything else
/// (the walk's own `walk_stalled`, `walk_limit_exceeded`, `timed_out` included) 4.
int exit_status_for(boost::system::error_code const& ec, bool requests_sent = false) noexcept;

/// Pages a walk from `offset` with `page_size` should take when the list holds `total`
/// instances: ceil((total - offset) / page_size), at least 1 (an empty listing, or an offset
/// past the end, is still one request). nullopt when the total is unknown. An estimate: the
/// list can change during the walk, and a page holding only duplicates is not yielded.
std::optional<std::uint64_t> expected_pages(std::optional<std::int64_t> total,
                                            std::int64_t offset, std::int32_t page_size) noexcept;

}  // namespace apig::cli
