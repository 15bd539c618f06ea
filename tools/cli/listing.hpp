#pragma once

// The arithmetic of a listing (which page to ask for next, when to stop) and the exit status
// of a failure: kept apart from the I/O so both can be tested without a server.

#include <apig/error.hpp>
#include <apig/model.hpp>

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

/// The exit status for a failed call: `errc::invalid_argument` (rejected before any I/O) is
/// a usage error, `unauthorized` / `forbidden` are 3, everything else 4.
int exit_status_for(boost::system::error_code const& ec) noexcept;

/// Walks the pages of one listing: the plain offset loop every SDK user writes by hand.
///
/// Starts at the request's offset and asks for `limit` instances each time; after each page
/// the offset advances by the number of instances received. Without `all` it stops after the
/// first page. With `all` it stops when a page is empty or shorter than the limit (the
/// server had no more) or when the offset reaches the page's `total`. Advancing by what was
/// received, not by the limit, means a server that returns short pages skips nothing.
class page_cursor {
public:
    page_cursor(list_request first, bool all) : req_(std::move(first)), all_(all) {}

    /// The request for the next page; only meaningful while !done().
    list_request const& next_request() const noexcept { return req_; }
    bool done() const noexcept { return done_; }

    /// Records a received page and decides whether another is needed.
    void advance(instance_page const& page) noexcept;

    std::uint64_t pages() const noexcept { return pages_; }
    std::uint64_t instances() const noexcept { return instances_; }
    /// `total` of the last page that had one.
    std::optional<std::int64_t> total() const noexcept { return total_; }

private:
    list_request req_;
    bool all_;
    bool done_ = false;
    std::uint64_t pages_ = 0;
    std::uint64_t instances_ = 0;
    std::optional<std::int64_t> total_;
};

}  // namespace apig::cli
