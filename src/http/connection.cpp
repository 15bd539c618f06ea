#include "http/connection.hpp"

#include "error_detail.hpp"
#include "http/page_body.hpp"
#include "http/proxy.hpp"
#include "http/read_response.hpp"
#include "http/tls.hpp"
#include "http/ip_endpoint.hpp"
#include "http/tunnel.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/asio/write.hpp>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <poll.h>

#include <cerrno>

namespace apig::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using boost::system::error_code;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

bool is_abort(error_code const& ec) { return ec == asio::error::operation_aborted; }

}  // namespace

std::optional<std::string_view> foreign_content_encoding(bhttp::fields const& h) {
    for (auto [it, end] = h.equal_range(bhttp::field::content_encoding); it != end; ++it) {
        std::string_view rest = it->value();
        while (!rest.empty()) {
            auto const comma = rest.find(',');
            std::string_view item = rest.substr(0, comma);
            rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
            auto const first = item.find_first_not_of(" \t");
            if (first == std::string_view::npos) continue;
            item = item.substr(first, item.find_last_not_of(" \t") - first + 1);
            if (!beast::iequals(item, "identity")) return it->value();
        }
    }
    return std::nullopt;
}

connection::connection(asio::any_io_executor ex, asio::ssl::context& ctx, asio::ssl::context* proxy_ctx)
    : stream_(std::move(ex), proxy_ctx ? *proxy_ctx : ctx) {
    if (proxy_ctx) inner_ = std::make_unique<tunnelled_tls_stream>(tls_layer(stream_), ctx);
    // Beast reads at most the buffer's free capacity at a time: a buffer grown only as far
    // as a response header needs would read a 200 KB page in a hundred small pieces, each a
    // full trip through the TLS stream's machinery. A buffer that takes a whole TLS record
    // (16 KiB) and more keeps it to one read per record.
    buffer_.reserve(read_buffer_bytes);
    buffer_.max_size(read_buffer_bytes);
}

namespace {

// Decrypted or still encrypted in OpenSSL's record layer, or written by Asio into the BIO
// pair OpenSSL reads from. (Asio reads the socket only when OpenSSL asks for more, and the
// BIO pair always has room for more than a record: bytes that arrived with a response's last
// record are in one of these places, or still in the socket.)
bool tls_holds_bytes(SSL* ssl) noexcept {
    if (SSL_has_pending(ssl) == 1) return true;
    BIO* in = SSL_get_rbio(ssl);
    return in != nullptr && BIO_ctrl_pending(in) > 0;
}

}  // namespace

bool connection::buffered() noexcept {
    if (buffer_.size() != 0) return true;
    if (!tls_) return false;
    // Through an https:// proxy, bytes may wait in either TLS layer.
    if (inner_ && tls_holds_bytes(inner_->native_handle())) return true;
    return tls_holds_bytes(stream_.native_handle());
}

bool connection::only_close_notify() noexcept {
    if (!tls_ || buffer_.size() != 0) return false;
    // Let OpenSSL process the records it holds, without Asio: application data makes
    // SSL_peek return it; a close_notify ends in SSL_ERROR_ZERO_RETURN. The connection is
    // closed right after, whatever this finds, so nothing OpenSSL might want to send matters.
    // (Through an https:// proxy, a close_notify still held by the outer layer is not seen:
    // such a close counts as unrequested bytes. Either way the connection is closed.)
    SSL* ssl = inner_ ? inner_->native_handle() : stream_.native_handle();
    ERR_clear_error();
    char byte = 0;
    int const n = SSL_peek(ssl, &byte, 1);
    bool const closed = n <= 0 && SSL_get_error(ssl, n) == SSL_ERROR_ZERO_RETURN;
    ERR_clear_error();
    return closed;
}

bool connection::readable() noexcept {
    if (buffered()) return true;
    auto& sock = beast::get_lowest_layer(stream_).socket();
    if (!sock.is_open()) return true;
    pollfd p{};
    p.fd = sock.native_handle();
    p.events = POLLIN | POLLPRI;
    int n = 0;
    do {
        n = ::poll(&p, 1, 0);
    } while (n < 0 && errno == EINTR);
    return n != 0;  // data, EOF, an error or hang-up (POLLERR, POLLHUP), or poll failed
}

void connection::close() noexcept {
    reusable_ = false;
    // Closed without a close_notify: the sessions stay resumable (see keep_session_resumable).
    for (SSL* ssl : {stream_.native_handle(), inner_ ? inner_->native_handle() : nullptr})
        if (ssl) keep_session_resumable(ssl);
    error_code ignored;
    beast::get_lowest_layer(stream_).socket().close(ignored);
}

asio::awaitable<error_info> connection::connect(target_host const& t, step_limit const& connect_limit,
                                                step_limit const& handshake_limit) {
    using namespace boost::asio::experimental::awaitable_operators;
    host_ = t.host + ":" + t.port;
    proxy_route const* const proxy = t.proxy.get();
    // Where the socket goes, and how failures to get there name it.
    std::string const& dial_host = proxy ? proxy->host : t.host;
    std::string const& dial_port = proxy ? proxy->port : t.port;
    std::string const peer = proxy ? "proxy " + proxy->host_port : host_;
    auto& tcp = beast::get_lowest_layer(stream_);

    // An IP literal needs no lookup: Asio's resolver would hand it to getaddrinfo on a thread
    // of its own (a thread start per new connection, 3 ms of the CLI's one-page start-up).
    std::vector<asio::ip::tcp::endpoint> endpoints;
    if (auto const literal = ip_endpoint(dial_host, dial_port)) {
        endpoints.push_back(*literal);
    } else {
        // The resolver has no timeout of its own: it races a timer.
        asio::ip::tcp::resolver resolver(stream_.get_executor());
        asio::steady_timer timer(stream_.get_executor(), connect_limit.at);
        auto raced = co_await (resolver.async_resolve(dial_host, dial_port, use_tuple) || timer.async_wait(use_tuple));
        std::string const resolving = "resolving " + std::string(proxy ? "proxy " : "") + dial_host;
        if (raced.index() == 1) {
            auto [tec] = std::get<1>(raced);
            if (is_abort(tec)) co_return make_error(tec, resolving + ": cancelled");
            co_return make_error(errc::timed_out, resolving + ": timed out (" + connect_limit.name + ")");
        }
        auto [rec, results] = std::get<0>(std::move(raced));
        if (rec) {
            if (is_abort(rec)) co_return make_error(rec, resolving + ": cancelled");
            co_return make_error(errc::resolve_failed, resolving + ": " + rec.message());
        }
        for (auto const& r : results) endpoints.push_back(r.endpoint());
    }

    tcp.expires_at(connect_limit.at);
    auto [cec, ep] = co_await tcp.async_connect(endpoints, use_tuple);
    if (cec) {
        close();
        if (is_error(cec, beast::error::timeout))
            co_return make_error(errc::timed_out, "connecting to " + peer + ": timed out (" + connect_limit.name + ")");
        if (is_abort(cec)) co_return make_error(cec, "connecting to " + peer + ": cancelled");
        co_return make_error(errc::connect_failed, "connecting to " + peer + ": " + cec.message());
    }
    tcp.socket().set_option(asio::ip::tcp::no_delay(true));
    tls_ = t.tls;
    if (!tls_) {
        tcp.expires_never();
        reusable_ = true;
        co_return error_info{};
    }

    if (proxy) {
        error_info e;
        std::string const authority = connect_authority(t.host, t.port);
        if (proxy->tls) {
            // TLS to the proxy, checked against the proxy's name, within the connect limit.
            target_host proxy_host;
            proxy_host.host = proxy->host;
            proxy_host.port = proxy->port;
            proxy_host.tls_name = proxy->tls_opts.server_name;
            proxy_host.verify = !proxy->tls_opts.insecure_skip_verify;
            e = co_await handshake(stream_, proxy_host, connect_limit, peer, true);
            if (!e) e = co_await open_tunnel(stream_, tcp, *proxy, authority, connect_limit);
        } else {
            e = co_await open_tunnel(stream_.next_layer(), tcp, *proxy, authority, connect_limit);
        }
        if (e) {
            close();
            co_return e;
        }
    }
    // (Not a conditional expression over two co_awaits: g++ 12 destroys its result twice.)
    error_info e;
    if (inner_)
        e = co_await handshake(*inner_, t, handshake_limit, host_, false);
    else
        e = co_await handshake(stream_, t, handshake_limit, host_, false);
    if (e) co_return e;
    tcp.expires_never();
    reusable_ = true;
    co_return error_info{};
}

template <class Stream>
asio::awaitable<error_info> connection::handshake(Stream& s, target_host const& t, step_limit const& limit,
                                                  std::string const& who, bool proxy_hop) {
    std::string const& name = t.tls_name.empty() ? t.host : t.tls_name;
    if (!configure_connection(s.native_handle(), name, t.verify)) {
        close();
        co_return invalid_argument("TLS server name '" + name + "' was refused by OpenSSL");
    }
    prepare_resumption(s.native_handle(), t.host, t.port, name);
    beast::get_lowest_layer(stream_).expires_at(limit.at);
    auto [hec] = co_await s.async_handshake(asio::ssl::stream_base::client, use_tuple);
    if (!hec) {
        if (!proxy_hop) resumed_ = session_resumed(s.native_handle());
        co_return error_info{};
    }
    close();
    if (is_error(hec, beast::error::timeout))
        co_return make_error(errc::timed_out, "TLS handshake with " + who + ": timed out (" + limit.name + ")");
    if (is_abort(hec)) co_return make_error(hec, "TLS handshake with " + who + ": cancelled");
    auto e = handshake_error(s.native_handle(), hec, name);
    if (proxy_hop) e.message = who + ": " + e.message;
    co_return e;
}

asio::awaitable<error_info> connection::exchange(std::string_view request, instance_page& page,
                                                 std::size_t body_limit, step_limit const& limit,
                                                 exchange_result& out, std::span<std::string_view const> secrets,
                                                 page_refill const* refill) {
    if (inner_) co_return co_await exchange_on(*inner_, request, page, body_limit, limit, out, secrets, refill);
    if (tls_) co_return co_await exchange_on(stream_, request, page, body_limit, limit, out, secrets, refill);
    co_return co_await exchange_on(stream_.next_layer(), request, page, body_limit, limit, out, secrets, refill);
}

template <class Stream>
asio::awaitable<error_info> connection::exchange_on(Stream& s, std::string_view request, instance_page& page,
                                                    std::size_t body_limit, step_limit const& limit,
                                                    exchange_result& out, std::span<std::string_view const> secrets,
                                                    page_refill const* refill) {
    reusable_ = false;  // until a complete keep-alive response says otherwise
    auto& tcp = beast::get_lowest_layer(stream_);
    tcp.expires_at(limit.at);

    auto [wec, written] = co_await asio::async_write(s, asio::buffer(request.data(), request.size()), use_tuple);
    if (wec) {
        close();
        if (is_error(wec, beast::error::timeout))
            co_return make_error(errc::timed_out, "sending the request to " + host_ +
                                                      ": timed out (" + limit.name + ")");
        if (is_abort(wec)) co_return make_error(wec, "sending the request: cancelled");
        co_return make_error(wec, "sending the request to " + host_ + ": " + wec.message());
    }

    page_body::value_type body;
    body.page = &page;
    body.refill = refill;
    auto r = co_await read_response<page_body>(s, buffer_, body, {body_limit, host_, limit.name, secrets}, out);
    if (!r.complete) {  // failed, or stopped after a header: the rest cannot be read as HTTP
        close();
        co_return std::move(r.error);
    }
    tcp.expires_never();
    ++requests_;
    reusable_ = r.keep_alive;
    if (reusable_ && buffered()) {
        // More than the response arrived with it: an unrequested response or junk. Read
        // on this connection, it would answer the next request. (What arrives later is
        // found when the connection is taken from the pool: see readable().) A server
        // closing right behind its response is no such thing: it only ends the connection.
        reusable_ = false;
        (only_close_notify() ? out.closed_behind : out.unrequested) = true;
        close();
    }
    if (r.error) reusable_ = false;  // a 200 that is not a page
    co_return std::move(r.error);
}

}  // namespace apig::http
