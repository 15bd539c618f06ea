#pragma once

#include <apig/export.hpp>

#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

#include <string>
#include <system_error>

namespace apig {

/// Error codes of apig's own category: everything apig decides itself, and the failures of
/// establishing a connection. What a failed call's `error_code` is:
///  - resolving the host fails: `resolve_failed`; establishing TCP fails (refused, host or
///    network unreachable, ...): `connect_failed`. The system's reason is in the message
///    only: the Asio code is not kept, so `connection_refused` is never the code;
///  - any time limit expires (connect, handshake, attempt, total, waiting for a connection):
///    `timed_out`, the message naming the limit;
///  - an established connection that breaks (while sending, in the TLS handshake, or while
///    reading: reset, broken pipe, EOF, a TLS stream truncated) keeps its Asio/Beast/system
///    code, e.g. `asio::error::connection_reset`, `asio::error::eof`,
///    `asio::ssl::error::stream_truncated`, `beast::http::error::end_of_stream`;
///  - a cancelled call: `asio::error::operation_aborted`;
///  - everything else apig decides (an HTTP status, a bad response, a TLS refusal, a walk's
///    limits, invalid arguments): one of these.
///
/// Generic conditions: `invalid_argument`, `forbidden`, `bad_response`, `response_too_large`
/// and `timed_out` compare equal to `std::errc` (and `boost::system::errc`)
/// `invalid_argument`, `permission_denied`, `bad_message`, `message_size` and `timed_out`
/// (e.g. `ec == std::errc::timed_out`); the other values have no generic counterpart. A
/// broken connection's system code compares equal to its own condition (e.g.
/// `std::errc::connection_reset`).
enum class errc {
    /// A request or option was rejected before any I/O: the message names the field.
    invalid_argument = 1,
    /// HTTP 400.
    bad_request,
    /// HTTP 401: the token or signature was refused (`APIC.7102`, `APIGW.0301`).
    unauthorized,
    /// HTTP 403: no permission for this project (`APIC.7106`).
    forbidden,
    /// HTTP 404.
    not_found,
    /// HTTP 429.
    too_many_requests,
    /// HTTP 500 (`APIC.9000`).
    internal_server_error,
    /// Any other 5xx (502, 503, 504, ...).
    server_error,
    /// Any other status that is not 200 (1xx, 3xx, other 4xx).
    unexpected_status,
    /// A 200 whose body is not a valid page; the message has the JSON path of the first
    /// wrong value.
    bad_response,
    /// The response body exceeded `client_options::max_body_bytes`.
    response_too_large,
    /// The server's certificate was refused (unknown CA, wrong host name, expired, ...).
    tls_verification_failed,
    /// The server refused the TLS handshake with an alert, or spoke no TLS (protocol
    /// version, no shared cipher, ...): not retried. A connection that breaks during the
    /// handshake keeps its transport code and is retried.
    tls_handshake_failed,
    /// A time limit expired; the message says which one.
    timed_out,
    /// The host name of the endpoint could not be resolved.
    resolve_failed,
    /// The TCP connection could not be established.
    connect_failed,
    /// The credentials provider threw or handed out unusable credentials (an empty token,
    /// a key pair without an SK, a control character); the message says which.
    credentials_unavailable,
    /// A walk (`client::pages`, `instances`, `list_all`) stopped because
    /// `page_options::max_stalled_pages` pages in a row, in offset order, brought no instance
    /// it had not yielded before: a server that repeats itself (the same page over and over
    /// with a `total` that says there is more). The message says how many pages, from which
    /// offset, how many instances they repeated and the latest `total`. Every page received
    /// before was handed out first. Not retried.
    walk_stalled,
    /// A walk reached one of its limits: `page_options::max_pages`, `max_instances`, or the
    /// largest offset (the next offset would pass INT64_MAX). The message names the limit,
    /// its value and what was seen. Every page received before was handed out first. Not
    /// retried.
    walk_limit_exceeded,
    /// The proxy (`client_options::proxy`) refused to open the tunnel: its CONNECT answer
    /// was not 2xx. `error_info::http_status` is the proxy's status (407: proxy
    /// authentication required or refused; 403: the proxy does not allow the target; 502,
    /// 503, 504: the proxy could not reach the target, retried like the API's 5xx when
    /// listed in `retry_policy::retry_statuses`); the message names the proxy, the target and
    /// the proxy's reason (made printable). Reaching the proxy itself fails as any connection
    /// does (`connect_failed`, `timed_out`, ...), the message naming the proxy.
    proxy_error,
};

/// The error category of `apig::errc` (name "apig").
APIG_DECL boost::system::error_category const& category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), category()};
}

/// The errc that apig reports for an HTTP status that is not 200.
APIG_DECL errc errc_from_http_status(unsigned status) noexcept;

/// Everything known about a failed call. Filled by the non-throwing forms and carried by
/// `api_error`. Never holds a credential: messages are built from fixed text, the request
/// target and what the server sent, and no 8-byte run of the token, AK, SK, security token
/// or Authorization value survives in any field (as sent, trimmed or percent-encoded), even
/// when a server echoes part of one.
struct error_info {
    /// What failed: an `apig::errc`, or a transport code from Asio / the system.
    boost::system::error_code code{};
    /// One line for a person: what failed and where, e.g.
    /// `HTTP 403 APIC.7106: No permissions to request for the method (request id 5f1c...)`.
    /// Server text in it is redacted (each range holding a run of a secret becomes
    /// `<redacted>`), made printable (controls, escape sequences, bidi controls and invalid
    /// UTF-8 become spaces) and cut (512 bytes per part, "..." appended).
    std::string message{};
    /// HTTP status of the response, or 0 when none was received.
    unsigned http_status = 0;
    /// The API's `error_code` (or `code`) field, e.g. `APIC.7102`; empty if none. Exactly as
    /// sent, or `<redacted>` as a whole when it holds a run of a secret: never partly
    /// rewritten, so it can be compared with the documented codes.
    std::string api_code{};
    /// The API's `error_msg` (or `message`) field; empty if none. Exactly as sent (not cut,
    /// control characters kept: make it printable before showing it alone), or `<redacted>` as
    /// a whole when it holds a run of a secret.
    std::string api_message{};
    /// The `X-Request-Id` response header; empty if none. As sent with control characters as
    /// spaces and at most 256 bytes (then "..."), or `<redacted>` as a whole when it holds a
    /// run of a secret.
    std::string request_id{};
    /// Attempts made by the call (retries + 1); 0 when it failed before any attempt.
    int attempts = 0;

    explicit operator bool() const noexcept { return static_cast<bool>(code); }
    void clear() { *this = error_info{}; }
};

/// The exception thrown by the throwing forms (`client::list_instances`). `code()` and
/// `what()` are those of the `error_info`; `info()` gives every detail.
class APIG_DECL api_error : public boost::system::system_error {
public:
    explicit api_error(error_info info);

    /// The one-line message of the error_info (names status, API code and request id).
    char const* what() const noexcept override;

    error_info const& info() const noexcept { return info_; }
    unsigned http_status() const noexcept { return info_.http_status; }
    std::string const& api_code() const noexcept { return info_.api_code; }
    std::string const& api_message() const noexcept { return info_.api_message; }
    std::string const& request_id() const noexcept { return info_.request_id; }

private:
    error_info info_;
};

}  // namespace apig

namespace boost::system {
template <>
struct is_error_code_enum<apig::errc> : std::true_type {};
}  // namespace boost::system
