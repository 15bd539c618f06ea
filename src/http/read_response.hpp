#pragma once

// The response-reading policy, in one place: what connection::exchange runs on its socket and
// what fuzz/fuzz_response.cpp runs on the fuzzer's bytes (so what is fuzzed is what ships).
// Interim 1xx responses, Content-Encoding, the header, chunk line, trailer and body limits,
// and what each read failure is called in a message.

#include "error_detail.hpp"
#include "http/connection.hpp"
#include "http/page_body.hpp"
#include "json/decode.hpp"

#include <apig/error.hpp>
#include <apig/model.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

namespace apig::http {

/// What a read needs besides the stream: the body limit, and what its messages name.
struct read_params {
    std::size_t body_limit = 0;
    std::string_view host;        ///< "host:port", for messages
    std::string_view limit_name;  ///< the time limit a timed-out read names
    std::span<std::string_view const> secrets;  ///< redacted from server text quoted in a message
};

/// How a read ended.
struct read_outcome {
    error_info error;
    /// The final response was read whole, header and body (`error` may still be set: a 200
    /// without a body is not a page). When false, the connection must be closed: the read
    /// failed, or it stopped after a header (101, a foreign Content-Encoding, too many interim
    /// responses) with the body, or another protocol, still to come.
    bool complete = false;
    /// With `complete`: the response lets the connection carry another request.
    bool keep_alive = false;
};

namespace detail {

// After a chunked body's read stopped at a full buffer: whether the buffer starts with the
// last chunk (a size of zero and a complete line), so what did not fit is its trailer fields
// rather than a chunk header line.
inline bool at_last_chunk(std::string_view data) {
    if (data.starts_with("\r\n")) data.remove_prefix(2);  // the CRLF that ends the chunk before
    auto const digits = data.find_first_not_of('0');
    if (digits == 0 || digits == std::string_view::npos) return false;
    char const c = data[digits];
    bool const hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    return !hex && data.find("\r\n", digits) != std::string_view::npos;
}

// After a chunked body's read failed with http::error::bad_chunk_extension: whether the
// buffer holds an unfinished chunk header line, i.e. Beast refused the line for its length
// (Boost 1.92 does at 8 KiB) rather than for its syntax (which it checks on whole lines only).
inline bool unfinished_chunk_line(std::string_view data) {
    if (data.starts_with("\r\n")) data.remove_prefix(2);  // the CRLF that ends the chunk before
    return data.find("\r\n") == std::string_view::npos;
}

// Why reading failed, as the caller should see it. `header_done`: the header was read whole
// (the error came while reading the body).
template <class Body>
error_info read_error(boost::system::error_code const& rec, typename Body::value_type& body,
                      boost::beast::flat_buffer const& buffer, read_params const& p, bool got_bytes,
                      bool header_done) {
    namespace asio = boost::asio;
    namespace beast = boost::beast;
    namespace bhttp = boost::beast::http;
    if constexpr (std::is_same_v<Body, page_body>) {
        if (rec == errc::bad_response) return body.decode_error;  // the decoder stopped the read
    }
    std::string const host(p.host);
    if (is_error(rec, bhttp::error::body_limit))
        return make_error(errc::response_too_large,
                          "response body larger than max_body_bytes (" + std::to_string(p.body_limit) + " bytes)");
    auto const held = [&] {
        auto const data = buffer.data();
        return std::string_view(static_cast<char const*>(data.data()), data.size());
    };
    auto const trailers_too_large = [&] {
        return make_error(errc::bad_response, "the trailer fields after the last chunk of the response from " + host +
                                                  " are larger than " + std::to_string(read_buffer_bytes / 1024) +
                                                  " KiB (the limit of the headers, which they share)");
    };
    auto const chunk_line_too_large = [&](std::size_t limit) {
        return make_error(errc::bad_response, "a chunk header line of the response from " + host +
                                                  " is larger than " + std::to_string(limit / 1024) + " KiB");
    };
    if (is_error(rec, bhttp::error::header_limit)) {
        // Past the header, only trailer fields count against header_limit: newer Beasts
        // (1.90 does, 1.83 does not) share it with them; older ones end such a read with
        // buffer_overflow once the read buffer is full (below).
        if (header_done) return trailers_too_large();
        return make_error(errc::bad_response, "the response headers from " + host + " are larger than " +
                                                  std::to_string(max_header_bytes / 1024) + " KiB");
    }
    if (is_error(rec, bhttp::error::buffer_overflow))  // see read_buffer_bytes
        return at_last_chunk(held()) ? trailers_too_large() : chunk_line_too_large(read_buffer_bytes);
    if (is_error(rec, bhttp::error::bad_chunk_extension) && unfinished_chunk_line(held()))
        return chunk_line_too_large(max_chunk_line_bytes);
    if (is_error(rec, beast::error::timeout))
        return make_error(errc::timed_out,
                          "reading the response from " + host + ": timed out (" + std::string(p.limit_name) + ")");
    if (rec == asio::error::operation_aborted) return make_error(rec, "reading the response: cancelled");
    if (is_error(rec, bhttp::error::end_of_stream) || is_error(rec, asio::error::eof) ||
        is_error(rec, asio::ssl::error::stream_truncated))
        return make_error(rec, got_bytes ? "the server closed the connection before the response was complete"
                                         : "the server closed the connection before responding");
    return make_error(rec, "reading the response from " + host + ": " + rec.message());
}

}  // namespace detail

/// Reads one response from `s` (an AsyncReadStream) through `buffer`, after any interim
/// responses: the client's whole reading policy. Each response gets a fresh parser with the
/// `body_limit` of `p` and the 64 KiB header limit; `buffer` must hold at most
/// `read_buffer_bytes` (its max_size), which bounds chunk header lines and the last chunk's
/// trailer fields. Interim 1xx responses (but 101) are skipped, at most
/// `max_interim_responses`; a 101 or a Content-Encoding other than identity (any field or list
/// element) ends the read after the header. The status, reason, X-Request-Id, Retry-After,
/// Location and the bytes read go to `out` (`out.got_bytes` too).
///
/// `body` is the body value the parser reads into (for page_body: its `page` set, where a 200
/// is decoded while it arrives); it holds the final response's body when this returns. With
/// page_body, a 200 whose body never reached the decoder is decoded as empty (the error a
/// truncated page gives), and a non-200 body goes to `out.error_text`.
///
/// Never throws for what the server sends; does not close the stream (see
/// read_outcome::complete). Cancellation and timeouts are the stream's.
template <class Body, class Stream>
boost::asio::awaitable<read_outcome> read_response(Stream& s, boost::beast::flat_buffer& buffer,
                                                   typename Body::value_type& body, read_params const& p,
                                                   exchange_result& out) {
    namespace asio = boost::asio;
    namespace bhttp = boost::beast::http;
    constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
    read_outcome r;

    // Interim responses (100 Continue, 103 Early Hints, ...) precede the final one; each is
    // a header without a body. A few are tolerated, not an endless stream of them.
    for (int interim = 0;; ++interim) {
        bhttp::response_parser<Body> parser;
        parser.body_limit(p.body_limit);
        parser.header_limit(max_header_bytes);
        // The parser reads into its own body value: `body` goes in, and comes back out
        // whichever way this response ends.
        parser.get().body() = std::move(body);
        struct give_back {
            typename Body::value_type& to;
            bhttp::response_parser<Body>& from;
            ~give_back() { to = std::move(from.get().body()); }
        } guard{body, parser};
        auto& value = parser.get().body();

        auto [hec, hread] = co_await bhttp::async_read_header(s, buffer, parser, use_tuple);
        out.bytes += hread;
        out.got_bytes = out.got_bytes || parser.got_some();
        if (hec) {
            r.error = detail::read_error<Body>(hec, value, buffer, p, out.got_bytes, false);
            co_return r;
        }
        auto const& h = parser.get();
        out.status = h.result_int();
        out.reason = std::string(h.reason());
        if (out.status / 100 == 1 && out.status != 101) {
            if (interim < max_interim_responses) continue;
            r.error = make_error(errc::bad_response, "the server sent more than " +
                                                         std::to_string(max_interim_responses) +
                                                         " interim (1xx) responses");
            co_return r;
        }
        if (auto it = h.find("X-Request-Id"); it != h.end()) out.request_id = std::string(it->value());
        if (auto it = h.find(bhttp::field::retry_after); it != h.end()) out.retry_after = std::string(it->value());
        if (auto it = h.find(bhttp::field::location); it != h.end()) out.location = std::string(it->value());
        // The request asks for no encoding (no Accept-Encoding): an encoded body cannot be
        // decoded, and reading it would only waste the connection. Every field counts, and
        // every element of a list in one.
        if (auto const foreign = foreign_content_encoding(h)) {
            r.error = make_error(errc::bad_response, "HTTP " + std::to_string(out.status) + " with Content-Encoding: " +
                                                         server_text(*foreign, 64, p.secrets) +
                                                         ", which was not asked for (no Accept-Encoding is sent)");
            r.error.http_status = out.status;
            co_return r;
        }
        if (out.status == 101) co_return r;  // no body follows; the connection is no longer HTTP

        auto [rec, read] = co_await bhttp::async_read(s, buffer, parser, use_tuple);
        out.bytes += read;
        if (rec) {
            r.error = detail::read_error<Body>(rec, value, buffer, p, out.got_bytes, true);
            if (rec == errc::bad_response) {
                // A body that is not JSON often says why in its Content-Type (an HTML error
                // page from a proxy): name it.
                auto ct = h[bhttp::field::content_type];
                if (!ct.empty() && ct.find("json") == std::string_view::npos)
                    r.error.message += " (the response's Content-Type is " + server_text(ct, 64, p.secrets) + ")";
            }
            co_return r;
        }

        r.complete = true;
        r.keep_alive = parser.keep_alive();
        if constexpr (std::is_same_v<Body, page_body>) {
            if (out.status == 200 && !value.decoded) {
                // A 200 without a body never reached the decoder: decode the empty body for
                // the same error a truncated page gives.
                instance_page empty;
                r.error = json::decode_page({}, empty);
            }
            if (out.status != 200) out.error_text = std::move(value.error_text);
        }
        co_return r;
    }
}

}  // namespace apig::http
