#pragma once

// One HTTPS connection: resolve, connect, handshake, then request/response exchanges on
// keep-alive. The only code (with the pool) that touches sockets. Errors come back as
// error_info values, never as exceptions.

#include <apig/error.hpp>
#include <apig/model.hpp>

#include "http/page_refill.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/beast/version.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace apig::http {

struct proxy_route;

// The response-reading policy's limits and checks (the policy itself: read_response.hpp).

/// The most header bytes a response may have.
inline constexpr std::uint32_t max_header_bytes = 64 * 1024;
/// Interim (1xx) responses tolerated before the final one.
inline constexpr int max_interim_responses = 8;
/// The read buffer's capacity, and the most it may hold unparsed. Beast parses a header, a
/// chunk header line, and the last chunk with its trailer fields only once each is whole in
/// the buffer; Boost 1.81's parser applies header_limit to the header alone, so this cap is
/// what bounds the others (a full buffer ends the read with http::error::buffer_overflow).
/// Equal to the header limit: a header is refused by header_limit first, and trailer fields
/// share its limit.
inline constexpr std::size_t read_buffer_bytes = max_header_bytes;
/// The longest chunk header line (chunk size and extensions) a response may have: what the
/// read buffer holds, except that Boost.Beast 1.92 (Beast 361) refuses a line of 8 KiB or
/// more itself, before the buffer is full (boostorg/beast#3077).
#if BOOST_BEAST_VERSION > 359
inline constexpr std::size_t max_chunk_line_bytes = 8 * 1024;
#else
inline constexpr std::size_t max_chunk_line_bytes = read_buffer_bytes;
#endif

/// The first Content-Encoding field of `h` that names a coding other than `identity` (in any
/// element of a comma-separated list; empty elements are allowed by the list syntax), or
/// nullopt when every field and element is identity (or there is none).
std::optional<std::string_view> foreign_content_encoding(boost::beast::http::fields const& h);

/// Where to connect and what to call the server.
struct target_host {
    std::string host;         ///< DNS name or IP literal (no brackets)
    std::string port;         ///< service, e.g. "443"
    std::string host_header;  ///< value of the Host header ("host" or "host:port", [v6])
    std::string tls_name;     ///< SNI and certificate name (defaults to host)
    bool verify = true;       ///< check the certificate name (off with insecure_skip_verify)
    bool tls = true;          ///< false: plain TCP (an http:// endpoint, allowed explicitly)
    /// The proxy to tunnel through (CONNECT host:port), or null: connect directly. Only with
    /// `tls` (an http:// endpoint is never proxied). An https:// proxy needs the connection
    /// to be made with the proxy's TLS context.
    std::shared_ptr<proxy_route const> proxy{};
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
    /// Bytes beyond the complete response had already arrived with it (an unrequested second
    /// response, junk): the connection was closed instead of kept alive, those bytes unread.
    bool unrequested = false;
    /// The server closed the connection (a TLS close_notify) right behind a keep-alive
    /// response: not an error and not unrequested data, but the connection is not reused.
    bool closed_behind = false;
};


/// When one step must end, and the limit to name if it does: the earlier of the step's own
/// limit and the call's overall deadline.
struct step_limit {
    std::chrono::steady_clock::time_point at;
    std::string name;  ///< e.g. "timeouts.connect = 10000 ms"
};

/// A TLS stream (to an https:// proxy) as the layer under an asio::ssl::stream (TLS to the
/// target inside it): Beast's ssl_stream does not name the lowest-layer types that
/// asio::ssl::stream wants. Holds a reference: the TLS stream must outlive it.
class tls_layer {
public:
    using tls_stream = boost::beast::ssl_stream<boost::beast::tcp_stream>;
    using lowest_layer_type = boost::beast::tcp_stream::socket_type;
    using executor_type = tls_stream::executor_type;
    explicit tls_layer(tls_stream& s) noexcept : s_(s) {}
    executor_type get_executor() noexcept { return s_.get_executor(); }
    lowest_layer_type& lowest_layer() noexcept { return s_.next_layer().socket(); }
    template <class Buffers, class Token>
    auto async_read_some(Buffers const& b, Token&& t) {
        return s_.async_read_some(b, std::forward<Token>(t));
    }
    template <class Buffers, class Token>
    auto async_write_some(Buffers const& b, Token&& t) {
        return s_.async_write_some(b, std::forward<Token>(t));
    }

private:
    tls_stream& s_;
};

class connection {
public:
    /// `ctx` checks the target's certificate. `proxy_ctx`, for connections through an
    /// https:// proxy only, checks the proxy's (TLS to the proxy, the target's TLS inside it).
    connection(boost::asio::any_io_executor ex, boost::asio::ssl::context& ctx,
               boost::asio::ssl::context* proxy_ctx = nullptr);

    /// Resolves and connects by `connect_limit`, then completes the TLS handshake by
    /// `handshake_limit` (unless `t.tls` is false). Per-operation cancellation reaches every
    /// step. With `t.proxy`: resolving and connecting to the proxy, the TLS handshake with an
    /// https:// proxy (checked against the proxy's name) and the CONNECT exchange all end by
    /// `connect_limit`; then the handshake with the target, inside the tunnel, by
    /// `handshake_limit` (SNI and the certificate check: the target's name, never the
    /// proxy's). Failures name the proxy ("proxy 127.0.0.1:3128: ...") or the target; a
    /// refused CONNECT is `errc::proxy_error` (see open_tunnel).
    boost::asio::awaitable<error_info> connect(target_host const& t, step_limit const& connect_limit,
                                               step_limit const& handshake_limit);

    /// Writes `request` (the whole request, as bytes) and reads the whole response by `limit`. A 200 body is decoded into
    /// `page` while it arrives; at most `body_limit` body bytes are accepted. A non-200 status
    /// is not an error here: it is returned in `out` for the caller to map. Interim 1xx
    /// responses (but 101) are skipped. `errc::bad_response`: a Content-Encoding other than
    /// identity in any Content-Encoding field or list element (never asked for); headers over
    /// 64 KiB; a chunk header line, or the last chunk and its trailer fields, over 64 KiB (the
    /// header limit: the read buffer holds at most that much unparsed; a chunk header line over
    /// `max_chunk_line_bytes`, 8 KiB with Boost 1.92). Server text quoted in a
    /// message goes through `server_text` with `secrets` redacted. Any failure closes the
    /// connection; so does a response followed by bytes already received (`out.unrequested`).
    /// `refill` (may be null) gives `page` its storage when a 200 body begins (page_refill).
    boost::asio::awaitable<error_info> exchange(std::string_view request, instance_page& page,
                                                std::size_t body_limit, step_limit const& limit,
                                                exchange_result& out,
                                                std::span<std::string_view const> secrets = {},
                                                page_refill const* refill = nullptr);

    /// True while the connection may carry another request: connected, the last response
    /// was complete, nothing beyond it had arrived with it, and the server did not ask to close.
    bool reusable() const noexcept { return reusable_; }
    /// Whether anything arrived since the last response, without blocking: bytes in the read
    /// buffer, TLS data OpenSSL holds (decrypted or not), or a readable socket (data, a TLS
    /// record such as close_notify, EOF, a reset). Also true when the socket is closed or
    /// cannot be polled. A connection for which this is true must not carry another request:
    /// what arrived would be read as its answer.
    bool readable() noexcept;
    /// The TLS handshake with the target resumed a session (see prepare_resumption).
    bool resumed() const noexcept { return resumed_; }
    /// Requests completed on this connection.
    std::uint64_t requests() const noexcept { return requests_; }
    /// Closes the socket; an operation in flight completes with operation_aborted.
    void close() noexcept;

private:
    template <class Stream>
    boost::asio::awaitable<error_info> exchange_on(Stream& s, std::string_view request, instance_page& page,
                                                   std::size_t body_limit, step_limit const& limit,
                                                   exchange_result& out, std::span<std::string_view const> secrets,
                                                   page_refill const* refill);
    // Bytes already received but not parsed: in the read buffer, or held by OpenSSL.
    bool buffered() noexcept;
    // With buffered() true after a response: whether what is buffered is only the server's
    // TLS close_notify (a close, not data).
    bool only_close_notify() noexcept;

    using tls_stream = boost::beast::ssl_stream<boost::beast::tcp_stream>;
    // TLS to the target inside TLS to an https:// proxy.
    using tunnelled_tls_stream = boost::asio::ssl::stream<tls_layer>;

    // The TLS handshake on `s` with `t` (its name, its verification) by `limit`; failures
    // name `who`, and say "proxy ..." first for the hop to an https:// proxy.
    template <class Stream>
    boost::asio::awaitable<error_info> handshake(Stream& s, target_host const& t, step_limit const& limit,
                                                 std::string const& who, bool proxy_hop);

    // TLS to the target; or, with inner_, TLS to the proxy.
    tls_stream stream_;
    std::unique_ptr<tunnelled_tls_stream> inner_;  // only through an https:// proxy
    bool tls_ = true;
    boost::beast::flat_buffer buffer_;
    std::string host_;  // for messages
    bool reusable_ = false;
    bool resumed_ = false;
    std::uint64_t requests_ = 0;
};

}  // namespace apig::http
