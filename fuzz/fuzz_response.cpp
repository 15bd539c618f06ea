// fuzz_response: raw bytes of HTTP responses -> http::read_response (src/http/read_response.hpp),
// the very reading policy connection::exchange runs, then into the decoder.
//
// Input: [piece size selector] [body limit selector] [the bytes the server sends].
// The bytes come from an asynchronous stream that hands them out in pieces (sizes from the
// first byte), run on an io_context, so read_response drives Beast's async_read_header /
// async_read exactly as it does on a socket: a fresh parser per response with the client's
// body limit and 64 KiB header limit, a read buffer that holds at most 64 KiB unparsed (which
// bounds chunk header lines and the last chunk's trailer fields), interim 1xx responses
// skipped (at most 8), 101 and a Content-Encoding other than identity stop, a 200 decoded
// while it arrives, a 200 without body decoded as empty, the error messages of every failed
// read. After a complete keep-alive response the next one is read from the stream (a pooled
// connection carrying the next request), up to 4 exchanges, but only if nothing beyond the
// response is left in the read buffer: bytes that arrived with a response close the
// connection. (After a 200 that is not a page the client closes the connection too; here the
// next response is read all the same, for both bodies alike.) Any other status goes through
// error_from_response, as the client maps it.
//
// Checks (any failure aborts):
//   - the same exchanges read with a plain string body instead of page_body end the same way
//     (same status, reason, request id, completeness, keep-alive, and the same error, code and
//     message), and: page_body decoded a page <=> decode_page(string body) gives that page;
//     page_body's decode error == decode_page's error (but for the known differences
//     fuzz_common.hpp tolerates unless APIG_FUZZ_STRICT=1); an error body is the string
//     body, cut at page_body::max_error_text;
//   - a decode error is errc::bad_response with a one-line message; a complete 200 is an
//     error exactly when it was not decoded;
//   - every read error's and error_from_response's message is one line, without control
//     characters, and holds no secret.

#include "error_detail.hpp"
#include "fuzz_common.hpp"
#include "http/connection.hpp"
#include "http/page_body.hpp"
#include "http/read_response.hpp"
#include "json/decode.hpp"

#include <apig/error.hpp>
#include <apig/model.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/string_body.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
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

/// An AsyncReadStream over a byte string: `piece` bytes per async_read_some at most, then
/// EOF. Each read completes through the executor (never inline), as a socket's does.
class piece_stream {
public:
    using executor_type = asio::io_context::executor_type;

    piece_stream(executor_type ex, std::string_view bytes, std::size_t piece)
        : ex_(std::move(ex)), rest_(bytes), piece_(piece) {}

    executor_type get_executor() const noexcept { return ex_; }

    template <class MutableBufferSequence, class Token>
    auto async_read_some(MutableBufferSequence const& buffers, Token&& token) {
        return asio::async_initiate<Token, void(error_code, std::size_t)>(
            [this](auto handler, MutableBufferSequence const& b) {
                error_code ec;
                std::size_t n = 0;
                if (rest_.empty())
                    ec = asio::error::eof;
                else
                    n = asio::buffer_copy(b, asio::buffer(rest_.data(), std::min(piece_, rest_.size())));
                rest_.remove_prefix(n);
                asio::post(ex_, asio::append(std::move(handler), ec, n));
            },
            token, buffers);
    }

private:
    executor_type ex_;
    std::string_view rest_;
    std::size_t piece_;
};

constexpr int max_exchanges = 4;

constexpr std::array<std::string_view, 4> secrets{"MIIFakeT0ken-xyz+/=0123456789abcdef", "",
                                                  "AKFUZZ0123456789ABCD", ""};

/// What one exchange saw, whatever the body type.
struct exchange {
    apig::error_info error;         ///< what read_response returned
    bool complete = false;
    bool keep_alive = false;
    apig::http::exchange_result out;
    // page_body
    apig::instance_page page;
    bool decoded = false;
    apig::error_info decode_error;  ///< the decoder's own error, if it stopped the read
    // both: the non-200 body (page_body: bounded), or the whole 200 body (string_body)
    std::string text;
};

void setup(apig::http::page_body::value_type& b, exchange& x) { b.page = &x.page; }
void setup(std::string&, exchange&) {}

void collect(apig::http::page_body::value_type& b, exchange& x) {
    x.decoded = b.decoded;
    x.decode_error = std::move(b.decode_error);
    x.text = x.out.error_text;
}
void collect(std::string& b, exchange& x) { x.text = std::move(b); }

/// One connection: exchanges until one fails, stops or does not keep the connection alive.
template <class Body>
std::vector<exchange> run(std::string_view bytes, std::size_t piece, std::size_t body_limit) {
    std::vector<exchange> out;
    out.reserve(max_exchanges);  // a page_body decodes into an element: it must not move
    asio::io_context io;
    piece_stream s(io.get_executor(), bytes, piece);
    beast::flat_buffer buffer;
    buffer.max_size(apig::http::read_buffer_bytes);  // as connection.cpp
    apig::http::read_params const params{body_limit, "fuzz.example:443", "timeouts.attempt = 1 ms", secrets};
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            for (int n = 0; n < max_exchanges; ++n) {
                exchange& x = out.emplace_back();
                typename Body::value_type body{};
                setup(body, x);
                auto r = co_await apig::http::read_response<Body>(s, buffer, body, params, x.out);
                x.error = std::move(r.error);
                x.complete = r.complete;
                x.keep_alive = r.keep_alive;
                collect(body, x);
                if (!x.complete || !x.keep_alive) break;
                if (buffer.size() != 0) break;  // bytes after the response: the client closes the connection
            }
        },
        asio::detached);
    io.run();  // an exception (a bug) leaves the coroutine and aborts the fuzzer
    return out;
}

bool has_control(std::string_view s) {
    for (unsigned char c : s)
        if (c < 0x20 || c == 0x7f) return true;
    return false;
}

void check_message(apig::error_info const& e) {
    if (has_control(e.message)) fail("error message is not one printable line", e.message);
    for (auto secret : secrets)
        if (!secret.empty() && e.message.find(secret) != std::string::npos)
            fail("a secret is in the error message", e.message);
}

/// What the client makes of a complete response (read_response, then attempt.cpp).
void finish(exchange const& x) {
    if (x.out.status == 200) {
        if (x.decoded == bool(x.error)) fail("a complete 200 is an error exactly when it is not a page", x.error.message);
        if (x.error && x.error.code != apig::errc::bad_response) fail("an empty 200 is not a bad response", x.error.message);
        return;
    }
    check_message(apig::error_from_response(x.out.status, x.out.reason, x.text, x.out.request_id, secrets));
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
        if (p.error) check_message(p.error);
        if (p.decode_error) {
            // The decoder stopped the read: the string body read on past it.
            if (p.complete || p.error.code != apig::errc::bad_response || p.decode_error.code != apig::errc::bad_response)
                fail("a decode error that is not a bad response ending the read");
            if (p.decode_error.message.empty() || has_control(p.decode_error.message))
                fail("decode error message is empty or not one line", p.decode_error.message);
            if (i >= plain.size()) fail("the string body read fewer exchanges");
            exchange const& q = plain[i];
            if (!q.error) {
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
        if (p.complete != q.complete || p.keep_alive != q.keep_alive)
            fail("page_body and string_body end differently");
        if (!p.complete && (p.error.code != q.error.code || p.error.message != q.error.message))
            fail("page_body and string_body end with different errors", p.error.message + " | " + q.error.message);
        if (p.out.status != q.out.status || p.out.reason != q.out.reason || p.out.request_id != q.out.request_id ||
            p.out.got_bytes != q.out.got_bytes)
            fail("page_body and string_body saw different headers");
        if (!p.complete) continue;
        if (p.out.status == 200) {
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
