#pragma once

// One HTTP/1.1 request on a new connection, with a time limit and a bounded response: what
// the metadata service, the pod identity agent and IAM project discovery need (rare requests
// to other hosts than the API's, outside the connection pool). Plain TCP or TLS (verified as
// the client's own connections are: SNI, host name check). Internal header.

#include <apig/error.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace apig::http {

struct proxy_route;

/// Where and what to send.
struct oneshot_request {
    /// `http://host[:port]` or `https://host[:port]` (no path); `target` is the path and query.
    std::string base_url{};
    std::string method = "GET";
    std::string target = "/";
    /// Sent in this order after Host (the client adds Host, User-Agent, Content-Length when
    /// there is a body, Connection: close). Values must be checked by the caller.
    std::vector<std::pair<std::string, std::string>> headers{};
    std::string body{};
    /// For https: the context (trust) to verify the server with; must outlive the call.
    /// nullptr with an https URL: errc::invalid_argument.
    boost::asio::ssl::context* tls = nullptr;
    /// Check the certificate's name (false only when the caller turned verification off).
    bool verify = true;
    /// The name sent as SNI and checked against the certificate; empty: the URL's host.
    std::string tls_name{};
    /// The whole exchange (resolve, connect, handshake, write, read) must end within this.
    std::chrono::milliseconds timeout = std::chrono::seconds(3);
    /// A larger body (or header block over 16 KiB) fails with errc::response_too_large.
    std::size_t max_body_bytes = std::size_t{64} << 10;
    /// Named in messages: "the metadata service", "IAM", ...
    std::string what = "the server";
    /// A proxy to tunnel an https:// request through (as the client's connections do), unless
    /// its no_proxy list names the URL's host. An http:// URL that the proxy would carry is
    /// refused (errc::invalid_argument), as the client refuses an http:// endpoint. Null: direct.
    std::shared_ptr<proxy_route const> proxy{};
    /// An https:// proxy's TLS context; must outlive the call.
    boost::asio::ssl::context* proxy_tls = nullptr;
};

struct oneshot_response {
    unsigned status = 0;
    std::string body{};
    /// Headers kept: X-Request-Id / X-IAM-Trace-Id (for messages), nothing else.
    std::string request_id{};
};

/// Runs one request. Transport failures come back as `error_info` (errc::timed_out naming
/// the limit, connection_failed with the reason, tls_* from a handshake, bad_response,
/// response_too_large), the message naming `what` and the URL's host:port; an HTTP status is
/// not an error here. Cancellation (the awaiting coroutine's slot) aborts with
/// operation_aborted. Thread-safety: none needed (all state is the coroutine's).
boost::asio::awaitable<std::pair<error_info, oneshot_response>> exchange_once(
    boost::asio::any_io_executor ex, oneshot_request const& req);

}  // namespace apig::http
