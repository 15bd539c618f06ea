// fuzz_response: raw bytes of HTTP responses -> Beast's response_parser<page_body>, read the
// way connection::exchange reads them (src/http/connection.cpp), then into the decoder.
//
// Input: [piece size selector] [body limit selector] [the bytes the server sends].
// The bytes come from a stream that hands them out in pieces (sizes from the first byte), so
// Beast's own http::read_header / http::read (the synchronous twins of the async_read_header
// / async_read the client uses: same parser driving, same eager settings, same flat_buffer
// growth) parse them. As in the client: a fresh parser per response with the client's body
// limit and 64 KiB header limit, a read buffer that holds at most 64 KiB unparsed (which
// bounds chunk header lines and the last chunk's trailer fields), interim 1xx responses
// skipped (at most 8), 101 and a Content-Encoding other than identity (in any field or list
// element: http::foreign_content_encoding) stop, a 200 decoded while it arrives, a 200
// without body decoded as empty, any other status turned into error_from_response; after a
// complete keep-alive response the next one is read from the stream (a pooled connection
// carrying the next request), up to 4 exchanges, but only if nothing beyond the response is
// left in the read buffer: bytes that arrived with a response close the connection.
//
// Checks (any failure aborts):
//   - the same exchanges with a plain string body instead of page_body give the same status
//     and HTTP errors, and: page_body decoded a page <=> decode_page(string body) gives that
//     page; page_body's decode error == decode_page's error (but for the known differences
//     fuzz_common.hpp tolerates unless APIG_FUZZ_STRICT=1); an error body is the string
//     body, cut at page_body::max_error_text;
//   - a decode error is errc::bad_response with a one-line message;
//   - error_from_response's message is one line, without control characters, and holds no
//     secret.

#include "error_detail.hpp"
#include "fuzz_common.hpp"
#include "http/connection.hpp"
#include "http/page_body.hpp"
#include "json/decode.hpp"

#include <apig/error.hpp>
#include <apig/model.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/system/system_error.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using boost::system::error_code;

[[noreturn]] void fail(char const* what, std::string_view detail = {}) {
    std::fprintf(stderr, "fuzz_response: %s\n", what);
    if (!detail.empty()) std::fprintf(stderr, "  [%.*s]\n", static_cast<int>(detail.size()), detail.data());
    std::abort();
}

/// A SyncReadStream over a byte string, `piece` bytes per read_some at most, then EOF.
class piece_stream {
public:
    piece_stream(std::string_view bytes, std::size_t piece) : rest_(bytes), piece_(piece) {}

    template <class MutableBufferSequence>
    std::size_t read_some(MutableBufferSequence const& buffers, error_code& ec) {
        ec = {};
        if (rest_.empty()) {
            ec = asio::error::eof;
            return 0;
        }
        std::size_t const n = asio::buffer_copy(buffers, asio::buffer(rest_.data(), std::min(piece_, rest_.size())));
        rest_.remove_prefix(n);
        return n;
    }
    template <class MutableBufferSequence>
    std::size_t read_some(MutableBufferSequence const& buffers) {
        error_code ec;
        std::size_t const n = read_some(buffers, ec);
        if (ec) throw boost::system::system_error(ec);
        return n;
    }

private:
    std::string_view rest_;
    std::size_t piece_;
};

using apig::http::max_header_bytes;
using apig::http::max_interim_responses;
constexpr int max_exchanges = 4;

/// What one exchange saw, whatever the body type.
struct exchange {
    error_code ec;                  ///< a read error (header or body)
    bool header_done = false;
    unsigned status = 0;
    std::string reason;
    std::string request_id;
    bool stopped = false;           ///< 101, Content-Encoding, too many interim responses
    bool keep_alive = false;
    // page_body
    apig::instance_page page;
    bool decoded = false;
    apig::error_info decode_error;
    // both: the non-200 body (page_body: bounded), or the whole 200 body (string_body)
    std::string text;
};

void setup(bhttp::response_parser<apig::http::page_body>& p, exchange& x) { p.get().body().page = &x.page; }
void setup(bhttp::response_parser<bhttp::string_body>&, exchange&) {}

void collect(bhttp::response_parser<apig::http::page_body>& p, exchange& x) {
    auto& b = p.get().body();
    x.decoded = b.decoded;
    x.decode_error = std::move(b.decode_error);
    x.text = std::move(b.error_text);
}
void collect(bhttp::response_parser<bhttp::string_body>& p, exchange& x) { x.text = std::move(p.get().body()); }

/// One connection: exchanges until one fails, stops or does not keep the connection alive.
template <class Body>
std::vector<exchange> run(std::string_view bytes, std::size_t piece, std::size_t body_limit) {
    std::vector<exchange> out;
    piece_stream s(bytes, piece);
    beast::flat_buffer buffer;
    buffer.max_size(apig::http::read_buffer_bytes);  // as connection.cpp
    for (int n = 0; n < max_exchanges; ++n) {
        exchange& x = out.emplace_back();
        for (int interim = 0;; ++interim) {
            bhttp::response_parser<Body> parser;
            parser.body_limit(body_limit);
            parser.header_limit(max_header_bytes);
            setup(parser, x);
            bhttp::read_header(s, buffer, parser, x.ec);
            if (x.ec) {
                collect(parser, x);
                return out;
            }
            x.header_done = true;
            auto const& h = parser.get();
            x.status = h.result_int();
            x.reason = std::string(h.reason());
            if (x.status / 100 == 1 && x.status != 101) {
                if (interim < max_interim_responses) continue;
                x.stopped = true;
                return out;
            }
            if (auto it = h.find("X-Request-Id"); it != h.end()) x.request_id = std::string(it->value());
            if (apig::http::foreign_content_encoding(h) || x.status == 101) {
                x.stopped = true;
                return out;
            }
            bhttp::read(s, buffer, parser, x.ec);
            collect(parser, x);
            if (x.ec) return out;
            x.keep_alive = parser.keep_alive();
            break;
        }
        if (!x.keep_alive) break;
        if (buffer.size() != 0) break;  // bytes after the response: the client closes the connection
    }
    return out;
}

bool has_control(std::string_view s) {
    for (unsigned char c : s)
        if (c < 0x20 || c == 0x7f) return true;
    return false;
}

constexpr std::array<std::string_view, 4> secrets{"MIIFakeT0ken-xyz+/=0123456789abcdef", "",
                                                  "AKFUZZ0123456789ABCD", ""};

/// What the client makes of a complete response (connection.cpp, then client.cpp).
void finish(exchange const& x) {
    if (x.status == 200) {
        if (!x.decoded) {
            apig::instance_page empty;
            auto const e = apig::json::decode_page({}, empty);
            if (!e) fail("an empty 200 body decoded");
        }
        return;
    }
    auto const e = apig::error_from_response(x.status, x.reason, x.text, x.request_id, secrets);
    if (has_control(e.message)) fail("error message is not one printable line", e.message);
    for (auto secret : secrets)
        if (!secret.empty() && e.message.find(secret) != std::string::npos)
            fail("a secret is in the error message", e.message);
}

std::size_t piece_of(unsigned b) {
    static constexpr std::array<std::size_t, 16> sizes{1,  2,   3,   4,   5,    7,    11,   16,
                                                       31, 64,  100, 257, 1024, 4096, 8192, 65536};
    return sizes[b & 15] + (b >> 4);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    if (size < 2) return 0;
    std::size_t const piece = piece_of(data[0]);
    std::size_t const body_limit = data[1] == 0 ? std::size_t{64} << 20 : std::size_t{data[1]} * 16;
    std::string_view const bytes(reinterpret_cast<char const*>(data) + 2, size - 2);

    auto const paged = run<apig::http::page_body>(bytes, piece, body_limit);
    auto const plain = run<bhttp::string_body>(bytes, piece, body_limit);

    for (std::size_t i = 0; i < paged.size(); ++i) {
        exchange const& p = paged[i];
        if (p.ec == apig::errc::bad_response) {
            // The decoder stopped the read: the string body read on past it.
            if (!p.decode_error || p.decode_error.code != apig::errc::bad_response)
                fail("bad_response without a decode error");
            if (p.decode_error.message.empty() || has_control(p.decode_error.message))
                fail("decode error message is empty or not one line", p.decode_error.message);
            if (i >= plain.size()) fail("the string body read fewer exchanges");
            exchange const& q = plain[i];
            if (!q.ec) {
                apig::instance_page page;
                auto const e = apig::json::decode_page(q.text, page);
                if (!e) fail("page_body's decode failed, the whole body decodes", p.decode_error.message);
                if (!apig::fuzz::same_decode_error(e.message, p.decode_error.message))
                    fail("page_body and decode_page report different errors", p.decode_error.message + " | " + e.message);
            }
            return 0;
        }
        if (i >= plain.size()) fail("the string body read fewer exchanges");
        exchange const& q = plain[i];
        if (p.ec != q.ec) fail("page_body and string_body end with different errors", p.ec.message() + " | " + q.ec.message());
        if (p.header_done != q.header_done || p.status != q.status || p.reason != q.reason ||
            p.request_id != q.request_id || p.stopped != q.stopped || p.keep_alive != q.keep_alive)
            fail("page_body and string_body saw different headers");
        if (p.ec || p.stopped || !p.header_done) continue;
        if (p.status == 200) {
            apig::instance_page page;
            auto const e = apig::json::decode_page(q.text, page);
            if (p.decoded != !e) fail("page_body and decode_page disagree on a 200 body", e.message);
            if (p.decoded && !(page == p.page)) fail("page_body and decode_page decoded different pages");
        } else if (p.text != std::string_view(q.text).substr(0, apig::http::page_body::max_error_text)) {
            fail("the error body is not the body");
        }
        finish(p);
    }
    if (paged.size() != plain.size()) fail("page_body and string_body read a different number of exchanges");
    return 0;
}
