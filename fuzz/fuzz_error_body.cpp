// fuzz_error_body: bytes -> decode_error_body and error_from_response (src/error_detail.cpp).
//
// Input: [status selector] [n][reason: n bytes] [n: 2 bytes, LE][request id: n bytes]
// [n][secret: n bytes] [body: the rest]; missing parts are empty.
//
// Checks (any failure aborts):
//   - decode_error_body agrees with boost::json::parse: it accepts only JSON objects, and a
//     string `error_code` / `error_msg` (or, with neither key, `code` / `message`) comes out
//     verbatim;
//   - error_from_response: code and http_status as given, api_code/api_message those of
//     decode_error_body exactly, or `<redacted>` whole when they hold a secret; request_id made
//     printable (at most 256 bytes), or `<redacted>` whole; and a message `HTTP <status>[ ...][ (request id <id>)]` that is one line
//     (no control characters at all), bounded, and valid UTF-8 when what the server sent is;
//   - no secret appears in api_code, api_message, request_id or the message. Secrets are what
//     a client really holds: a fixed token, a fixed AK, "" (ignored), and one from the input
//     when it looks like a credential (8+ characters of [A-Za-z0-9+/=_.-], not ending in '.',
//     which the "..." of a cut text could complete).

#include "error_detail.hpp"
#include "fuzz_common.hpp"
#include "json/decode.hpp"

#include <apig/error.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

namespace bj = boost::json;

[[noreturn]] void fail(char const* what, std::string_view detail = {}) {
    std::fprintf(stderr, "fuzz_error_body: %s\n", what);
    if (!detail.empty()) std::fprintf(stderr, "  [%.*s]\n", static_cast<int>(detail.size()), detail.data());
    std::abort();
}

using apig::fuzz::reader;

unsigned status_of(unsigned b) {
    static constexpr std::array<unsigned, 16> common{400, 401, 403, 404, 405, 408, 409, 429,
                                                      500, 502, 503, 504, 200, 0, 999, 100};
    if (b < 128) return common[b % common.size()];
    return 100 + (b - 128) * 7;  // 100..989
}

bool valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        unsigned char const c = static_cast<unsigned char>(s[i]);
        std::size_t n = 0;
        std::uint32_t cp = 0;
        if (c < 0x80) { ++i; continue; }
        if (c >= 0xC2 && c <= 0xDF) { n = 1; cp = c & 0x1F; }
        else if (c >= 0xE0 && c <= 0xEF) { n = 2; cp = c & 0x0F; }
        else if (c >= 0xF0 && c <= 0xF4) { n = 3; cp = c & 0x07; }
        else return false;
        if (i + n >= s.size()) return false;
        for (std::size_t k = 1; k <= n; ++k) {
            unsigned char const d = static_cast<unsigned char>(s[i + k]);
            if ((d & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (d & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += n + 1;
    }
    return true;
}

bool has_control(std::string_view s) {
    for (unsigned char c : s)
        if (c < 0x20 || c == 0x7f) return true;
    return false;
}

/// The string value of `key` in `o`, if it is a string.
bool string_field(bj::object const& o, char const* key, std::string& out) {
    auto const* v = o.if_contains(key);
    if (!v || !v->is_string()) return false;
    out.assign(v->get_string().data(), v->get_string().size());
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    reader r{std::string_view(reinterpret_cast<char const*>(data), size)};
    unsigned const status = status_of(r.byte());
    std::string_view const reason = r.counted();
    std::string_view const request_id = r.counted(true);
    std::string_view const input_secret = r.counted();
    std::string_view const body = r.in;

    // decode_error_body against boost::json::parse.
    std::string code = "untouched", message = "untouched";
    bool const ok = apig::json::decode_error_body(body, code, message);
    boost::system::error_code ec;
    bj::value const dom = bj::parse(bj::string_view(body.data(), body.size()), ec);
    if (ok && (ec || !dom.is_object())) fail("decode_error_body accepted a body that is not a JSON object");
    if (!ok && (code != "untouched" || message != "untouched")) fail("decode_error_body changed its outputs and failed");
    if (!ec && dom.is_object()) {
        auto const& o = dom.get_object();
        std::string want;
        bool const documented = o.contains("error_code") || o.contains("error_msg");
        if (string_field(o, "error_code", want) && !(ok && code == want)) fail("error_code not read verbatim");
        if (string_field(o, "error_msg", want) && !(ok && message == want)) fail("error_msg not read verbatim");
        if (!documented) {
            if (string_field(o, "code", want) && !(ok && code == want)) fail("code not read verbatim");
            if (string_field(o, "message", want) && !(ok && message == want)) fail("message not read verbatim");
        }
    }

    // error_from_response.
    std::array<std::string_view, 4> secrets{"MIIFakeT0ken-xyz+/=0123456789abcdef", "",
                                            "AKFUZZ0123456789ABCD", ""};
    if (apig::fuzz::credential_like(input_secret)) secrets[3] = input_secret;
    apig::error_info const e = apig::error_from_response(status, reason, body, request_id, secrets);

    if (e.code != apig::errc_from_http_status(status)) fail("wrong error code");
    if (e.http_status != status) fail("wrong http_status");
    apig::secret_set const set(secrets);
    if (ok) {
        if (e.api_code != set.field(code) || e.api_message != set.field(message))
            fail("api_code/api_message are not the body's (or <redacted> whole)");
    } else if (!e.api_code.empty() || !e.api_message.empty()) {
        fail("api_code/api_message set from a body that is not an error body");
    }

    // The request id: server text too, so printable and bounded, and replaced whole when it
    // holds a secret, judged before it is cut (finding 6: a cut through a secret left its
    // first characters).
    std::string rid = apig::printable(request_id, 256, ' ');
    if (set.found_in(request_id) || set.found_in(rid)) rid = set.marker();
    if (e.request_id != rid) fail("request_id is not the printable id (or <redacted> whole)", e.request_id);
    if (request_id.empty() != e.request_id.empty()) fail("request_id lost or invented");

    std::string const head = "HTTP " + std::to_string(status);
    if (e.message.rfind(head, 0) != 0) fail("message does not start with HTTP <status>", e.message);
    std::string const tail = e.request_id.empty() ? std::string() : " (request id " + e.request_id + ")";
    if (e.message.size() < head.size() + tail.size() ||
        e.message.compare(e.message.size() - tail.size(), tail.size(), tail) != 0)
        fail("message does not end with the request id", e.message);
    if (has_control(e.message)) fail("message is not one printable line", e.message);
    if (e.message.size() > head.size() + 2 * (2 + 512 + 3) + tail.size()) fail("message is not bounded", e.message);
    bool const from_body = !e.api_code.empty() || !e.api_message.empty();
    bool const server_text_utf8 = valid_utf8(request_id) && (from_body ? valid_utf8(e.api_code) && valid_utf8(e.api_message)
                                                                         : valid_utf8(reason));
    if (server_text_utf8 && !valid_utf8(e.message)) fail("message is not valid UTF-8", e.message);

    for (auto s : secrets) {
        if (s.empty()) continue;
        if (e.message.find(s) != std::string::npos) fail("a secret is in the message", e.message);
        if (e.api_code.find(s) != std::string::npos) fail("a secret is in api_code", e.api_code);
        if (e.api_message.find(s) != std::string::npos) fail("a secret is in api_message", e.api_message);
        if (e.request_id.find(s) != std::string::npos) fail("a secret is in request_id", e.request_id);
    }
    return 0;
}
