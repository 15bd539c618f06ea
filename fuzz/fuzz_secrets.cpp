// fuzz_secrets: server text holding the secrets (whole, in part, trimmed, percent-encoded, at
// random positions and lengths, among controls and escapes) through every message path that
// needs no socket (src/error_detail.cpp): server_text, secret_set, error_from_response (body
// raw and in both JSON error shapes), add_request_id, redact, printable.
//
// Input: [flags] [status selector] [max_bytes selector] [n][input secret: n bytes] then a
// program of ops building four texts (reason, code, message, request id), see `build`.
//
// Secrets: a token (~250 bytes of base64 with '+', '/', '='), an AK, an SK, a security token,
// the Authorization value of a signed request (spaces and all), and the input secret when
// `auth::problem` accepts it as a token (8+ bytes, no whitespace or control inside: any other
// byte, '<', '>', '.', ')' and non-ASCII included, so the marker and the "..." of a cut are
// exercised too).
//
// Checks (any failure aborts):
//   - no 8-byte run of any secret, as given or percent-encoded with either hex case, in any
//     output: server_text, secret_set::redacted / field, redact, error_info::message,
//     api_code, api_message, request_id (checked with std::unordered_set, independently of
//     secret_set);
//   - api_code / api_message are those of decode_error_body exactly, or the marker whole;
//     request_id is printable(id, 256, ' ') exactly, or the marker;
//   - server_text and printable: one line (no C0, DEL, C1, ESC, bidi control or line
//     separator), valid UTF-8, at most max_bytes + 3 bytes (or the marker); text holding no
//     run (before or after printable) comes out exactly as printable makes it;
//   - error_from_response: code and http_status as given; a message starting `HTTP <status>`.

#include "auth/authorize.hpp"
#include "auth/signer.hpp"
#include "error_detail.hpp"
#include "json/decode.hpp"
#include "fuzz_common.hpp"

#include <apig/error.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace {

[[noreturn]] void fail(char const* what, std::string_view detail = {}) {
    std::fprintf(stderr, "fuzz_secrets: %s\n", what);
    if (!detail.empty()) std::fprintf(stderr, "  [%.*s]\n", static_cast<int>(detail.size()), detail.data());
    std::abort();
}

std::string base64ish(std::uint32_t seed, std::size_t size) {
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string s;
    while (s.size() < size) {
        seed = seed * 1664525u + 1013904223u;
        s += alphabet[(seed >> 24) % 64];
    }
    return s;
}

struct fixed_secrets {
    std::string token = "MIIZ" + base64ish(1, 240) + "==";
    std::string ak = "HPUAK3YS3CR3TACCESS9";
    std::string sk = "Qm9vc3Rpbmcgc2VjcmV0IGtleSAwMTIzNDU2Nzg5";
    std::string security_token = "gQpjbi1ub3J0aC00" + base64ish(2, 160) + "=";
    std::string authorization = "SDK-HMAC-SHA256 Access=" + ak +
                                ", SignedHeaders=host;x-project-id;x-sdk-date, Signature=" +
                                "9f1c2e3d4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
};

fixed_secrets const& fixed() {
    static fixed_secrets const f;
    return f;
}

std::string lower_hex(std::string s) {
    for (std::size_t i = 0; i < s.size(); ++i)
        if (s[i] == '%')
            for (std::size_t k = i + 1; k < s.size() && k <= i + 2; ++k)
                if (s[k] >= 'A' && s[k] <= 'F') s[k] = static_cast<char>(s[k] - 'A' + 'a');
    return s;
}

/// The checker's own view of "an 8-byte run of a secret": every 8-byte substring of every
/// form of every secret.
struct runs {
    std::vector<std::string> forms;
    std::unordered_set<std::string_view> set;

    void add(std::string_view secret) {
        forms.emplace_back(secret);
        forms.push_back(apig::auth::uri_encode(secret));
        forms.push_back(lower_hex(forms.back()));
    }
    void index() {
        set.clear();
        for (auto const& f : forms)
            for (std::size_t i = 0; i + 8 <= f.size(); ++i) set.insert(std::string_view(f).substr(i, 8));
    }
    std::string_view leaked(std::string_view text) const {
        for (std::size_t i = 0; i + 8 <= text.size(); ++i)
            if (set.count(text.substr(i, 8))) return text.substr(i, 8);
        return {};
    }
};

/// Valid UTF-8 with nothing a terminal would act on: no C0, DEL, ESC, C1, bidi controls or
/// line/paragraph separators.
bool shown_ok(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        auto const c = static_cast<unsigned char>(s[i]);
        if (c < 0x20 || c == 0x7F) return false;
        if (c < 0x80) { ++i; continue; }
        std::size_t n = 0;
        std::uint32_t cp = 0;
        if (c >= 0xC2 && c <= 0xDF) { n = 2; cp = c & 0x1F; }
        else if (c >= 0xE0 && c <= 0xEF) { n = 3; cp = c & 0x0F; }
        else if (c >= 0xF0 && c <= 0xF4) { n = 4; cp = c & 0x07; }
        else return false;
        if (i + n > s.size()) return false;
        for (std::size_t k = 1; k < n; ++k) {
            auto const d = static_cast<unsigned char>(s[i + k]);
            if ((d & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (d & 0x3F);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        if ((cp >= 0x80 && cp <= 0x9F) || cp == 0x061C || cp == 0x200E || cp == 0x200F ||
            (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069))
            return false;
        i += n;
    }
    return true;
}

using apig::fuzz::reader;

/// Text a hostile server could send: ops append literal bytes, (parts of) a secret in some
/// form, whitespace around it, controls and escapes; op 7 ends the current text.
std::array<std::string, 4> build(reader& r, std::span<std::string_view const> secrets) {
    static constexpr std::array<std::string_view, 10> noise{
        "\x1b[31m", "\n", "\r\n", "\t", "\xe2\x80\xae", "\xc2\x85", "\xff", "\xe4\xb8\xad", "...", "<redacted>"};
    std::array<std::string, 4> parts;
    std::size_t p = 0;
    while (!r.in.empty() && p < parts.size()) {
        unsigned const op = r.byte();
        auto& out = parts[p];
        auto const pick = [&]() -> std::string_view { return secrets[r.byte() % secrets.size()]; };
        // [begin: 2 bytes, LE][kind][length]: a short piece (0..23 bytes) or a long one.
        auto const piece = [&](std::string_view s) {
            std::size_t begin = r.byte();
            begin |= std::size_t{r.byte()} << 8;
            if (!s.empty()) begin %= s.size();
            bool const shorter = r.byte() < 128;
            std::size_t const len = shorter ? r.byte() % 24 : r.byte() * 4;
            return s.substr(std::min(begin, s.size()), len);
        };
        switch (op % 8) {
        case 0: out.append(r.take(op >> 3)); break;                                       // literal bytes
        case 1: out.append(pick()); break;                                                 // whole
        case 2: out.append(piece(pick())); break;                                          // part
        case 3: out.append(piece(apig::auth::uri_encode(pick()))); break;                 // encoded part
        case 4: out.append(piece(lower_hex(apig::auth::uri_encode(pick())))); break;      // lower-case hex
        case 5: out.append("  ").append(piece(pick())).append(" \n"); break;               // spaced
        case 6: out.append(noise[(op >> 3) % noise.size()]); break;                        // controls, escapes
        case 7: ++p; break;                                                                // next text
        }
    }
    return parts;
}

std::string json_string(std::string_view s) {
    std::string out = "\"";
    for (char ch : s) {
        auto const c = static_cast<unsigned char>(ch);
        if (ch == '"' || ch == '\\') {
            out += '\\';
            out += ch;
        } else if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else {
            out += ch;
        }
    }
    return out + "\"";
}

unsigned status_of(unsigned b) {
    static constexpr std::array<unsigned, 8> common{400, 401, 403, 404, 429, 500, 503, 302};
    return b < 128 ? common[b % common.size()] : 100 + (b - 128) * 7;
}

std::size_t max_of(unsigned b) {
    static constexpr std::array<std::size_t, 4> common{64, 256, 512, 0};
    return b < 64 ? common[b % common.size()] : b - 64;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    reader r{std::string_view(reinterpret_cast<char const*>(data), size)};
    unsigned const flags = r.byte();
    unsigned const status = status_of(r.byte());
    std::size_t const max_bytes = max_of(r.byte());
    char const control = (flags & 1) ? '?' : ' ';
    std::string_view const input_secret = r.take(r.byte() % 64);

    auto const& f = fixed();
    std::vector<std::string_view> secrets{f.token, f.ak, f.sk, f.security_token, f.authorization};
    bool const extra = apig::auth::problem(apig::token_credentials{std::string(input_secret)}).empty() &&
                       apig::auth::trim(input_secret) == input_secret;
    if (extra) secrets.push_back(input_secret);

    static runs const fixed_runs = [] {
        runs k;
        for (auto s : {fixed().token, fixed().ak, fixed().sk, fixed().security_token, fixed().authorization}) k.add(s);
        k.index();
        return k;
    }();
    runs input_runs;
    if (extra) {
        input_runs.add(input_secret);
        input_runs.index();
    }
    auto const check = [&](char const* what, std::string_view text) {
        auto leak = fixed_runs.leaked(text);
        if (leak.empty() && extra) leak = input_runs.leaked(text);
        if (!leak.empty()) {
            std::fprintf(stderr, "fuzz_secrets: the run [%.*s] of a secret is in %s\n", 8, leak.data(), what);
            fail("a secret run survived", text);
        }
    };
    auto const holds_run = [&](std::string_view text) {
        return !fixed_runs.leaked(text).empty() || (extra && !input_runs.leaked(text).empty());
    };

    std::array<std::string, 4> const parts = build(r, secrets);
    auto const& [reason, code, message, request_id] = parts;
    apig::secret_set const set(secrets);
    std::string const marker(set.marker());

    // server_text (the free function builds the set each time: once per input), printable,
    // secret_set on each text.
    if (apig::server_text(parts[0], max_bytes, secrets, control) != set.server_text(parts[0], max_bytes, control))
        fail("server_text differs from secret_set::server_text");
    for (auto const& t : parts) {
        std::string const shown = set.server_text(t, max_bytes, control);
        check("server_text", shown);
        if (!shown_ok(shown)) fail("server_text is not one printable line", shown);
        if (shown.size() > max_bytes + 3 && shown != marker) fail("server_text is not bounded", shown);
        std::string const plain = apig::printable(t, max_bytes, control);
        if (!shown_ok(plain)) fail("printable is not one printable line", plain);
        if (plain.size() > max_bytes + 3) fail("printable is not bounded", plain);
        if (!holds_run(t) && !holds_run(plain) && shown != plain) fail("server_text changed text holding no secret", shown);

        std::string const redacted = set.redacted(t);
        check("secret_set::redacted", redacted);
        if (!holds_run(t) && redacted != t) fail("redacted changed text holding no secret", redacted);
        std::string const field = set.field(t);
        check("secret_set::field", field);
        if (field != t && field != marker) fail("a field was partly rewritten", field);
    }

    // redact, with one of the secrets, on all the texts at once.
    {
        std::size_t const k = (flags >> 3) % secrets.size();
        std::string all = reason + code + message + request_id;
        apig::redact(all, secrets[k]);
        static std::vector<runs> const fixed_single = [] {
            std::vector<runs> v(5);
            std::size_t i = 0;
            for (auto s : {fixed().token, fixed().ak, fixed().sk, fixed().security_token, fixed().authorization}) {
                v[i].add(s);
                v[i++].index();
            }
            return v;
        }();
        if (!(k < fixed_single.size() ? fixed_single[k] : input_runs).leaked(all).empty())
            fail("redact left a run of its secret", all);
    }

    // error_from_response: the body in either JSON shape, or raw.
    std::string body;
    switch ((flags >> 1) % 4) {
    case 0: body = "{\"error_code\":" + json_string(code) + ",\"error_msg\":" + json_string(message) + "}"; break;
    case 1: body = "{\"code\":" + json_string(code) + ",\"message\":" + json_string(message) + "}"; break;
    case 2: body = "{\"error_code\":" + json_string(code) + "}"; break;
    case 3: body = code + message; break;
    }
    std::string sent_code = "untouched", sent_message = "untouched";
    bool const decoded = apig::json::decode_error_body(body, sent_code, sent_message);
    apig::error_info const e = apig::error_from_response(status, reason, body, request_id, secrets);
    if (e.code != apig::errc_from_http_status(status)) fail("wrong error code");
    if (e.http_status != status) fail("wrong http_status");
    if (e.message.rfind("HTTP " + std::to_string(status), 0) != 0 && e.message != marker)
        fail("the message does not start with HTTP <status>", e.message);
    if (!shown_ok(e.message)) fail("the message is not one printable line", e.message);
    check("message", e.message);
    check("api_code", e.api_code);
    check("api_message", e.api_message);
    check("request_id", e.request_id);
    if (decoded) {
        if (e.api_code != sent_code && e.api_code != marker) fail("api_code was rewritten", e.api_code);
        if (e.api_message != sent_message && e.api_message != marker) fail("api_message was rewritten", e.api_message);
        if (e.api_code == marker && sent_code != marker && !holds_run(sent_code)) fail("api_code redacted without a secret");
    }
    std::string const shown_id = apig::printable(request_id, 256, ' ');
    if (!request_id.empty() && e.request_id != shown_id && e.request_id != marker)
        fail("request_id was rewritten", e.request_id);

    // add_request_id on a message of apig's own, as the client calls it. The message is
    // checked only with an id: the fixed text alone may happen to be a run of the input secret.
    apig::error_info own = apig::make_error(apig::errc::bad_response, "bad response");
    apig::add_request_id(own, request_id, set);
    if (!request_id.empty()) {
        check("add_request_id message", own.message);
        check("add_request_id request_id", own.request_id);
        if (own.request_id != e.request_id) fail("add_request_id and error_from_response disagree on the id", own.request_id);
    }
    if (!shown_ok(own.message)) fail("add_request_id: not one printable line", own.message);
    return 0;
}
