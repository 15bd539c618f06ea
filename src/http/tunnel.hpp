#pragma once

// Opening an HTTP CONNECT tunnel on a stream already connected to the proxy (plain TCP, or
// TLS to an https:// proxy): the one exchange with the proxy itself. Internal header, used by
// the pool's connections and by one-shot requests (IAM discovery).

#include "error_detail.hpp"
#include "http/connection.hpp"
#include "http/proxy.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>

#include <string>
#include <string_view>

namespace apig::http {

/// The most header bytes a proxy's CONNECT answer may have.
inline constexpr std::uint32_t max_connect_header_bytes = 16 * 1024;

/// "host:port" for a CONNECT request line and its Host field: an IPv6 literal in brackets.
inline std::string connect_authority(std::string_view host, std::string_view port) {
    std::string a;
    bool const v6 = host.find(':') != std::string_view::npos;
    if (v6) a += '[';
    a += host;
    if (v6) a += ']';
    a.append(":").append(port);
    return a;
}

/// Sends `CONNECT authority` on `s` (connected to the proxy `p`) and reads the proxy's answer
/// by `limit` (whose expiry `tcp`, the stream's lowest layer, enforces). 2xx: the tunnel is
/// open, and nothing beyond the answer may have arrived (`errc::bad_response` otherwise: it
/// would be taken for the target's first bytes). Anything else: `connect_refused`'s
/// `errc::proxy_error`. A proxy that closes, resets or stalls keeps the transport code
/// (retried like any broken connection) or `errc::timed_out` naming `limit`; a malformed or
/// oversized answer is `errc::bad_response`. Never quotes the credentials.
template <class Stream>
boost::asio::awaitable<error_info> open_tunnel(Stream& s, boost::beast::tcp_stream& tcp, proxy_route const& p,
                                               std::string_view authority, step_limit const& limit) {
    namespace asio = boost::asio;
    namespace beast = boost::beast;
    namespace bhttp = boost::beast::http;
    constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
    std::string const who = "proxy " + p.host_port;
    std::string_view const secret_list[] = {p.authorization, p.password};
    std::span<std::string_view const> const secrets(secret_list);
    auto const failed = [&](boost::system::error_code const& ec, std::string_view doing) {
        if (is_error(ec, beast::error::timeout))
            return make_error(errc::timed_out, who + ": " + std::string(doing) + ": timed out (" + limit.name + ")");
        if (ec == asio::error::operation_aborted) return make_error(ec, who + ": " + std::string(doing) + ": cancelled");
        return make_error(ec, who + ": " + std::string(doing) + ": " + ec.message());
    };

    std::string const request = connect_request(authority, p.authorization);
    tcp.expires_at(limit.at);
    auto [wec, written] = co_await asio::async_write(s, asio::buffer(request), use_tuple);
    if (wec) co_return failed(wec, "sending CONNECT");

    beast::flat_buffer buffer(max_connect_header_bytes);
    bhttp::response_parser<bhttp::empty_body> parser;
    parser.header_limit(max_connect_header_bytes);
    parser.skip(true);  // a 2xx answer to CONNECT has no body, whatever its fields say
    auto [rec, read] = co_await bhttp::async_read_header(s, buffer, parser, use_tuple);
    if (rec) {
        if (is_error(rec, bhttp::error::header_limit) || is_error(rec, bhttp::error::buffer_overflow))
            co_return make_error(errc::bad_response, who + ": its answer to CONNECT has more than " +
                                                         std::to_string(max_connect_header_bytes / 1024) +
                                                         " KiB of header");
        if (same_category(rec.category(), make_error_code(bhttp::error::bad_method).category()) &&
            !is_error(rec, bhttp::error::end_of_stream) && !is_error(rec, bhttp::error::partial_message))
            co_return make_error(errc::bad_response, who + ": malformed answer to CONNECT (" + rec.message() + ")");
        if (is_error(rec, bhttp::error::end_of_stream) || is_error(rec, asio::error::eof))
            co_return make_error(rec, who + ": closed the connection " +
                                          (parser.got_some() ? "in the middle of its answer to CONNECT"
                                                             : "without answering CONNECT"));
        co_return failed(rec, "reading the answer to CONNECT");
    }
    auto const& res = parser.get();
    unsigned const status = res.result_int();
    if (status / 100 != 2)
        co_return connect_refused(status, res.reason(), p.host_port, authority, !p.authorization.empty(), secrets);
    if (buffer.size() != 0)
        co_return make_error(errc::bad_response, who + ": sent " + std::to_string(buffer.size()) +
                                                     " bytes after its CONNECT answer, before the target spoke");
    co_return error_info{};
}

}  // namespace apig::http
