#pragma once

// One HTTPS connection: resolve, connect, handshake, then request/response exchanges on
// keep-alive. The only code (with the pool) that touches sockets. Errors come back as
// error_info values, never as exceptions.

#include <apig/error.hpp>
#include <apig/model.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <chrono>
#include <cstdint>
#include <string>

namespace apig::http {

/// Where to connect and what to call the server.
struct target_host {
    std::string host;         ///< DNS name or IP literal (no brackets)
    std::string port;         ///< service, e.g. "443"
    std::string host_header;  ///< value of the Host header ("host" or "host:port", [v6])
    std::string tls_name;     ///< SNI and certificate name (defaults to host)
    bool verify = true;       ///< check the certificate name (off with insecure_skip_verify)
    bool tls = true;          ///< false: plain TCP (an http:// endpoint, allowed explicitly)
};

/// What one exchange received besides the decoded page.
struct exchange_result {
    unsigned status = 0;         ///< HTTP status, 0 if no complete header arrived
    bool got_bytes = false;      ///< at least one response byte arrived
    std::string request_id;      ///< X-Request-Id
    std::string reason;          ///< reason phrase
    std::string error_text;      ///< body of a non-200 response (bounded)
    std::string retry_after;     ///< Retry-After header, if any
    std::string location;        ///< Location header of a 3xx, if any
    std::uint64_t bytes = 0;     ///< response bytes read (header and body)
};


/// When one step must end, and the limit to name if it does: the earlier of the step's own
/// limit and the call's overall deadline.
struct step_limit {
    std::chrono::steady_clock::time_point at;
    std::string name;  ///< e.g. "timeouts.connect = 10000 ms"
};

class connection {
public:
    connection(boost::asio::any_io_executor ex, boost::asio::ssl::context& ctx);

    /// Resolves and connects by `connect_limit`, then completes the TLS handshake by
    /// `handshake_limit` (unless `t.tls` is false). Per-operation cancellation reaches every
    /// step.
    boost::asio::awaitable<error_info> connect(target_host const& t, step_limit const& connect_limit,
                                               step_limit const& handshake_limit);

    /// Writes `request` (the whole request, as bytes) and reads the whole response by `limit`. A 200 body is decoded into
    /// `page` while it arrives; at most `body_limit` body bytes are accepted. A non-200 status
    /// is not an error here: it is returned in `out` for the caller to map. Interim 1xx
    /// responses (but 101) are skipped. A body with a Content-Encoding (never asked for) or
    /// headers over 64 KiB are `errc::bad_response`. Any failure closes the connection.
    boost::asio::awaitable<error_info> exchange(std::string_view request, instance_page& page,
                                                std::size_t body_limit, step_limit const& limit,
                                                exchange_result& out);

    /// True while the connection may carry another request: connected, the last response
    /// was complete and the server did not ask to close.
    bool reusable() const noexcept { return reusable_; }
    /// Requests completed on this connection.
    std::uint64_t requests() const noexcept { return requests_; }
    /// Closes the socket; an operation in flight completes with operation_aborted.
    void close() noexcept;

private:
    template <class Stream>
    boost::asio::awaitable<error_info> exchange_on(Stream& s, std::string_view request, instance_page& page,
                                                   std::size_t body_limit, step_limit const& limit,
                                                   exchange_result& out);

    boost::beast::ssl_stream<boost::beast::tcp_stream> stream_;
    bool tls_ = true;
    boost::beast::flat_buffer buffer_;
    std::string host_;  // for messages
    bool reusable_ = false;
    std::uint64_t requests_ = 0;
};

}  // namespace apig::http
