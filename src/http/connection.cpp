#include "http/connection.hpp"

#include "error_detail.hpp"
#include "http/page_body.hpp"
#include "http/read_response.hpp"
#include "http/tls.hpp"

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

connection::connection(asio::any_io_executor ex, asio::ssl::context& ctx)
    : stream_(std::move(ex), ctx) {
    // Beast reads at most the buffer's free capacity at a time: a buffer grown only as far
    // as a response header needs would read a 200 KB page in a hundred small pieces, each a
    // full trip through the TLS stream's machinery. A buffer that takes a whole TLS record
    // (16 KiB) and more keeps it to one read per record.
    buffer_.reserve(read_buffer_bytes);
    buffer_.max_size(read_buffer_bytes);
}

bool connection::buffered() noexcept {
    if (buffer_.size() != 0) return true;
    if (!tls_) return false;
    // Decrypted or still encrypted in OpenSSL's record layer, or written by Asio into the BIO
    // pair OpenSSL reads from. (Asio reads the socket only when OpenSSL asks for more, and the
    // BIO pair always has room for more than a record: bytes that arrived with a response's
    // last record are in one of these places, or still in the socket.)
    SSL* ssl = stream_.native_handle();
    if (SSL_has_pending(ssl) == 1) return true;
    BIO* in = SSL_get_rbio(ssl);
    return in != nullptr && BIO_ctrl_pending(in) > 0;
}

bool connection::only_close_notify() noexcept {
    if (!tls_ || buffer_.size() != 0) return false;
    // Let OpenSSL process the records it holds, without Asio: application data makes
    // SSL_peek return it; a close_notify ends in SSL_ERROR_ZERO_RETURN. The connection is
    // closed right after, whatever this finds, so nothing OpenSSL might want to send matters.
    SSL* ssl = stream_.native_handle();
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
    error_code ignored;
    beast::get_lowest_layer(stream_).socket().close(ignored);
}

asio::awaitable<error_info> connection::connect(target_host const& t, step_limit const& connect_limit,
                                                step_limit const& handshake_limit) {
    using namespace boost::asio::experimental::awaitable_operators;
    host_ = t.host + ":" + t.port;
    auto& tcp = beast::get_lowest_layer(stream_);

    // The resolver has no timeout of its own: it races a timer.
    asio::ip::tcp::resolver resolver(stream_.get_executor());
    asio::steady_timer timer(stream_.get_executor(), connect_limit.at);
    auto raced = co_await (resolver.async_resolve(t.host, t.port, use_tuple) || timer.async_wait(use_tuple));
    if (raced.index() == 1) {
        auto [tec] = std::get<1>(raced);
        if (is_abort(tec)) co_return make_error(tec, "resolving " + t.host + ": cancelled");
        co_return make_error(errc::timed_out, "resolving " + t.host + ": timed out (" + connect_limit.name + ")");
    }
    auto [rec, results] = std::get<0>(std::move(raced));
    if (rec) {
        if (is_abort(rec)) co_return make_error(rec, "resolving " + t.host + ": cancelled");
        co_return make_error(errc::resolve_failed, "resolving " + t.host + ": " + rec.message());
    }

    tcp.expires_at(connect_limit.at);
    auto [cec, ep] = co_await tcp.async_connect(results, use_tuple);
    if (cec) {
        close();
        if (is_error(cec, beast::error::timeout))
            co_return make_error(errc::timed_out, "connecting to " + host_ + ": timed out (" + connect_limit.name + ")");
        if (is_abort(cec)) co_return make_error(cec, "connecting to " + host_ + ": cancelled");
        co_return make_error(errc::connect_failed, "connecting to " + host_ + ": " + cec.message());
    }
    tcp.socket().set_option(asio::ip::tcp::no_delay(true));
    tls_ = t.tls;
    if (!tls_) {
        tcp.expires_never();
        reusable_ = true;
        co_return error_info{};
    }

    std::string const& name = t.tls_name.empty() ? t.host : t.tls_name;
    if (!configure_connection(stream_.native_handle(), name, t.verify)) {
        close();
        co_return invalid_argument("TLS server name '" + name + "' was refused by OpenSSL");
    }
    tcp.expires_at(handshake_limit.at);
    auto [hec] = co_await stream_.async_handshake(asio::ssl::stream_base::client, use_tuple);
    if (hec) {
        close();
        if (is_error(hec, beast::error::timeout))
            co_return make_error(errc::timed_out, "TLS handshake with " + host_ + ": timed out (" + handshake_limit.name + ")");
        if (is_abort(hec)) co_return make_error(hec, "TLS handshake with " + host_ + ": cancelled");
        co_return handshake_error(stream_.native_handle(), hec, name);
    }
    tcp.expires_never();
    reusable_ = true;
    co_return error_info{};
}

asio::awaitable<error_info> connection::exchange(std::string_view request, instance_page& page,
                                                 std::size_t body_limit, step_limit const& limit,
                                                 exchange_result& out, std::span<std::string_view const> secrets) {
    if (tls_) co_return co_await exchange_on(stream_, request, page, body_limit, limit, out, secrets);
    co_return co_await exchange_on(stream_.next_layer(), request, page, body_limit, limit, out, secrets);
}

template <class Stream>
asio::awaitable<error_info> connection::exchange_on(Stream& s, std::string_view request, instance_page& page,
                                                    std::size_t body_limit, step_limit const& limit,
                                                    exchange_result& out, std::span<std::string_view const> secrets) {
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
