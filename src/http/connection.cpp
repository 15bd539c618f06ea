#include "http/connection.hpp"

#include "error_detail.hpp"
#include "http/page_body.hpp"
#include "http/tls.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/asio/write.hpp>

namespace apig::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using boost::system::error_code;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

bool is_abort(error_code const& ec) { return ec == asio::error::operation_aborted; }

constexpr std::uint32_t max_header_bytes = 64 * 1024;
constexpr int max_interim_responses = 8;
constexpr std::size_t read_buffer_bytes = 64 * 1024;

}  // namespace

connection::connection(asio::any_io_executor ex, asio::ssl::context& ctx)
    : stream_(std::move(ex), ctx) {
    // Beast reads at most the buffer's free capacity at a time: a buffer grown only as far
    // as a response header needs would read a 200 KB page in a hundred small pieces, each a
    // full trip through the TLS stream's machinery. A buffer that takes a whole TLS record
    // (16 KiB) and more keeps it to one read per record.
    buffer_.reserve(read_buffer_bytes);
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
        if (cec == beast::error::timeout)
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
        if (hec == beast::error::timeout)
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
                                                 exchange_result& out) {
    if (tls_) co_return co_await exchange_on(stream_, request, page, body_limit, limit, out);
    co_return co_await exchange_on(stream_.next_layer(), request, page, body_limit, limit, out);
}

template <class Stream>
asio::awaitable<error_info> connection::exchange_on(Stream& s, std::string_view request, instance_page& page,
                                                    std::size_t body_limit, step_limit const& limit,
                                                    exchange_result& out) {
    reusable_ = false;  // until a complete keep-alive response says otherwise
    auto& tcp = beast::get_lowest_layer(stream_);
    tcp.expires_at(limit.at);

    auto [wec, written] = co_await asio::async_write(s, asio::buffer(request.data(), request.size()), use_tuple);
    if (wec) {
        close();
        if (wec == beast::error::timeout)
            co_return make_error(errc::timed_out, "sending the request to " + host_ +
                                                      ": timed out (" + limit.name + ")");
        if (is_abort(wec)) co_return make_error(wec, "sending the request: cancelled");
        co_return make_error(wec, "sending the request to " + host_ + ": " + wec.message());
    }

    // Why reading failed, as the caller should see it.
    auto read_error = [&](error_code const& rec, page_body::value_type& body) {
        close();
        if (rec == errc::bad_response) return std::move(body.decode_error);
        if (rec == bhttp::error::body_limit)
            return make_error(errc::response_too_large,
                              "response body larger than max_body_bytes (" + std::to_string(body_limit) + " bytes)");
        if (rec == bhttp::error::header_limit)
            return make_error(errc::bad_response, "the response headers from " + host_ + " are larger than " +
                                                      std::to_string(max_header_bytes / 1024) + " KiB");
        if (rec == beast::error::timeout)
            return make_error(errc::timed_out, "reading the response from " + host_ + ": timed out (" + limit.name + ")");
        if (is_abort(rec)) return make_error(rec, "reading the response: cancelled");
        if (rec == bhttp::error::end_of_stream || rec == asio::error::eof || rec == asio::ssl::error::stream_truncated)
            return make_error(rec, out.got_bytes ? "the server closed the connection before the response was complete"
                                                 : "the server closed the connection before responding");
        return make_error(rec, "reading the response from " + host_ + ": " + rec.message());
    };

    // Interim responses (100 Continue, 103 Early Hints, ...) precede the final one; each is
    // a header without a body. A few are tolerated, not an endless stream of them.
    for (int interim = 0;; ++interim) {
        bhttp::response_parser<page_body> parser;
        parser.body_limit(body_limit);
        parser.header_limit(max_header_bytes);
        auto& body = parser.get().body();
        body.page = &page;
        auto [hec, hread] = co_await bhttp::async_read_header(s, buffer_, parser, use_tuple);
        out.bytes += hread;
        out.got_bytes = out.got_bytes || parser.got_some();
        if (hec) co_return read_error(hec, body);
        auto const& h = parser.get();
        out.status = h.result_int();
        out.reason = std::string(h.reason());
        if (out.status / 100 == 1 && out.status != 101) {
            if (interim < max_interim_responses) continue;
            close();
            co_return make_error(errc::bad_response, "the server sent more than " +
                                                         std::to_string(max_interim_responses) +
                                                         " interim (1xx) responses");
        }
        if (auto it = h.find("X-Request-Id"); it != h.end()) out.request_id = std::string(it->value());
        if (auto it = h.find(bhttp::field::retry_after); it != h.end()) out.retry_after = std::string(it->value());
        if (auto it = h.find(bhttp::field::location); it != h.end()) out.location = std::string(it->value());
        // The request asks for no encoding (no Accept-Encoding): an encoded body cannot be
        // decoded, and reading it would only waste the connection.
        if (auto it = h.find(bhttp::field::content_encoding);
            it != h.end() && !beast::iequals(it->value(), "identity")) {
            close();
            auto e = make_error(errc::bad_response, "HTTP " + std::to_string(out.status) + " with Content-Encoding: " +
                                                        printable(it->value(), 64) +
                                                        ", which was not asked for (no Accept-Encoding is sent)");
            e.http_status = out.status;
            co_return e;
        }
        if (out.status == 101) {  // no body follows; the connection is no longer HTTP
            close();
            co_return error_info{};
        }

        auto [rec, read] = co_await bhttp::async_read(s, buffer_, parser, use_tuple);
        out.bytes += read;
        if (rec) {
            auto e = read_error(rec, body);
            if (rec == errc::bad_response) {
                // A body that is not JSON often says why in its Content-Type (an HTML error
                // page from a proxy): name it.
                auto ct = h[bhttp::field::content_type];
                if (!ct.empty() && ct.find("json") == std::string_view::npos)
                    e.message += " (the response's Content-Type is " + printable(ct, 64) + ")";
            }
            co_return e;
        }

        tcp.expires_never();
        ++requests_;
        reusable_ = parser.keep_alive();
        if (out.status == 200 && !body.decoded) {
            // A 200 without a body never reached the decoder: decode the empty body for the
            // same error a truncated page gives.
            reusable_ = false;
            instance_page empty;
            co_return json::decode_page({}, empty);
        }
        if (out.status != 200) out.error_text = std::move(body.error_text);
        co_return error_info{};
    }
}

}  // namespace apig::http
