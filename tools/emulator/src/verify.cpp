// Server-side SDK-HMAC-SHA256 verification; see verify.hpp. Written independently of the
// client's signer (src/auth): do not share code with it.

#include "verify.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <array>
#include <memory>
#include <stdexcept>

namespace apig::emulator::aksk {
namespace {

constexpr std::string_view scheme = "SDK-HMAC-SHA256";

int from_hex(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool is_unreserved(unsigned char c) noexcept {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

// Percent-decoding; an escape that is not '%' + two hex digits stays literal text.
void decode_into(std::string& out, std::string_view s, bool form) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        char const c = s[i];
        int hi = -1;
        int lo = -1;
        if (c == '%' && i + 2 < s.size() && (hi = from_hex(s[i + 1])) >= 0 &&
            (lo = from_hex(s[i + 2])) >= 0) {
            out.push_back(static_cast<char>((hi << 4) | lo));
            i += 2;
        } else if (form && c == '+') {
            out.push_back(' ');
        } else {
            out.push_back(c);
        }
    }
}

void encode_into(std::string& out, std::string_view s) {
    static constexpr char digits[] = "0123456789ABCDEF";
    for (char const ch : s) {
        auto const c = static_cast<unsigned char>(ch);
        if (is_unreserved(c)) {
            out.push_back(ch);
        } else {
            out.push_back('%');
            out.push_back(digits[c >> 4]);
            out.push_back(digits[c & 15]);
        }
    }
}

std::string decoded(std::string_view s, bool form) {
    std::string out;
    out.reserve(s.size());
    decode_into(out, s, form);
    return out;
}

bool space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

std::string_view trimmed(std::string_view s) noexcept {
    std::size_t b = 0;
    std::size_t e = s.size();
    while (b < e && space(s[b])) ++b;
    while (e > b && space(s[e - 1])) --e;
    return s.substr(b, e - b);
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i];
        char y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + ('a' - 'A'));
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + ('a' - 'A'));
        if (x != y) return false;
    }
    return true;
}

// Every value of the headers named `lower_name` (any case in the request), trimmed.
std::vector<std::string_view> header_values(request const& req, std::string_view lower_name) {
    std::vector<std::string_view> out;
    for (auto const& h : req.headers)
        if (iequals(h.first, lower_name)) out.push_back(trimmed(h.second));
    return out;
}

std::string hex(unsigned char const* p, std::size_t n) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(2 * n);
    for (std::size_t i = 0; i < n; ++i) {
        out.push_back(digits[p[i] >> 4]);
        out.push_back(digits[p[i] & 15]);
    }
    return out;
}

[[noreturn]] void crypto_failed(char const* what) {
    ERR_clear_error();
    throw std::runtime_error(what);
}

std::string sha256_hex(std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int n = 0;
    if (EVP_Digest(data.data(), data.size(), md.data(), &n, EVP_sha256(), nullptr) != 1)
        crypto_failed("apig-emulator: SHA-256 failed");
    return hex(md.data(), n);
}

// Lowercase hex HMAC-SHA256 through EVP_MAC.
std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
    struct free_mac {
        void operator()(EVP_MAC* p) const noexcept { EVP_MAC_free(p); }
    };
    struct free_ctx {
        void operator()(EVP_MAC_CTX* p) const noexcept { EVP_MAC_CTX_free(p); }
    };
    std::unique_ptr<EVP_MAC, free_mac> const mac(
        EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr));
    if (!mac) crypto_failed("apig-emulator: HMAC unavailable");
    std::unique_ptr<EVP_MAC_CTX, free_ctx> const ctx(EVP_MAC_CTX_new(mac.get()));
    if (!ctx) crypto_failed("apig-emulator: HMAC-SHA256 failed");
    char sha256[] = "SHA256";
    std::array<OSSL_PARAM, 2> const params{
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, sha256, 0),
        OSSL_PARAM_construct_end()};
    // EVP_MAC_init with a null key keeps a previous key: give an empty key a real pointer.
    unsigned char const none = 0;
    auto const* k = key.empty() ? &none : reinterpret_cast<unsigned char const*>(key.data());
    std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
    std::size_t n = 0;
    if (EVP_MAC_init(ctx.get(), k, key.size(), params.data()) != 1 ||
        EVP_MAC_update(ctx.get(), reinterpret_cast<unsigned char const*>(data.data()),
                       data.size()) != 1 ||
        EVP_MAC_final(ctx.get(), out.data(), &n, out.size()) != 1)
        crypto_failed("apig-emulator: HMAC-SHA256 failed");
    return hex(out.data(), n);
}

bool header_name_char(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

// `a;b;c`: non-empty names of [a-z0-9-], strictly ascending.
bool valid_signed_headers(std::string_view list) noexcept {
    if (list.empty()) return false;
    std::string_view prev;
    bool first = true;
    while (true) {
        auto const semi = list.find(';');
        std::string_view const name = list.substr(0, semi);
        if (name.empty() || !std::all_of(name.begin(), name.end(), header_name_char)) return false;
        if (!first && !(prev < name)) return false;
        prev = name;
        first = false;
        if (semi == std::string_view::npos) return true;
        list.remove_prefix(semi + 1);
    }
}

std::vector<std::string_view> split_list(std::string_view list) {
    std::vector<std::string_view> out;
    for (;;) {
        auto const semi = list.find(';');
        out.push_back(list.substr(0, semi));
        if (semi == std::string_view::npos) return out;
        list.remove_prefix(semi + 1);
    }
}

bool lower_hex(char c) noexcept { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// Takes `prefix` off the front of `s`; false if `s` does not start with it.
bool take(std::string_view& s, std::string_view prefix) noexcept {
    if (!s.starts_with(prefix)) return false;
    s.remove_prefix(prefix.size());
    return true;
}

bool same_secret(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::string_view to_string(status s) noexcept {
    switch (s) {
    case status::ok: return "ok";
    case status::malformed_authorization: return "malformed_authorization";
    case status::unknown_access_key: return "unknown_access_key";
    case status::missing_signed_header: return "missing_signed_header";
    case status::bad_date: return "bad_date";
    case status::date_out_of_range: return "date_out_of_range";
    case status::security_token_mismatch: return "security_token_mismatch";
    case status::signature_mismatch: return "signature_mismatch";
    }
    return "unknown";
}

bool valid_access_key(std::string_view ak) noexcept {
    return !ak.empty() && std::all_of(ak.begin(), ak.end(), [](char c) {
        return c > ' ' && c < 0x7f && c != ',';
    });
}

std::optional<authorization_fields> parse_authorization(std::string_view v) noexcept {
    authorization_fields f;
    if (!take(v, scheme) || !take(v, " Access=")) return std::nullopt;
    auto const comma = v.find(',');
    if (comma == std::string_view::npos) return std::nullopt;
    f.access_key = v.substr(0, comma);
    v.remove_prefix(comma);
    if (!valid_access_key(f.access_key) || !take(v, ", SignedHeaders=")) return std::nullopt;
    auto const comma2 = v.find(',');
    if (comma2 == std::string_view::npos) return std::nullopt;
    f.signed_headers = v.substr(0, comma2);
    v.remove_prefix(comma2);
    if (!valid_signed_headers(f.signed_headers) || !take(v, ", Signature=")) return std::nullopt;
    if (v.size() != 64 || !std::all_of(v.begin(), v.end(), lower_hex)) return std::nullopt;
    f.signature = v;
    return f;
}

std::optional<std::chrono::sys_seconds> parse_sdk_date(std::string_view v) noexcept {
    using namespace std::chrono;
    if (v.size() != 16 || v[8] != 'T' || v[15] != 'Z') return std::nullopt;
    auto digits = [&](std::size_t at, std::size_t n, int& out) {
        out = 0;
        for (std::size_t i = at; i < at + n; ++i) {
            if (v[i] < '0' || v[i] > '9') return false;
            out = out * 10 + (v[i] - '0');
        }
        return true;
    };
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
    if (!digits(0, 4, y) || !digits(4, 2, mo) || !digits(6, 2, d) || !digits(9, 2, h) ||
        !digits(11, 2, mi) || !digits(13, 2, s))
        return std::nullopt;
    year_month_day const ymd{year{y}, month{static_cast<unsigned>(mo)},
                             day{static_cast<unsigned>(d)}};
    if (!ymd.ok() || h > 23 || mi > 59 || s > 59) return std::nullopt;
    return sys_days{ymd} + hours{h} + minutes{mi} + seconds{s};
}

std::string format_sdk_date(std::chrono::system_clock::time_point tp) {
    using namespace std::chrono;
    auto const secs = floor<seconds>(tp);
    auto const days_part = floor<days>(secs);
    year_month_day const ymd{days_part};
    hh_mm_ss const t{secs - days_part};
    auto two = [](std::string& s, unsigned v) {
        s.push_back(static_cast<char>('0' + v / 10 % 10));
        s.push_back(static_cast<char>('0' + v % 10));
    };
    std::string out;
    out.reserve(16);
    int const y = static_cast<int>(ymd.year());
    auto const yy = static_cast<unsigned>(std::clamp(y, 0, 9999));
    two(out, yy / 100);
    two(out, yy % 100);
    two(out, static_cast<unsigned>(ymd.month()));
    two(out, static_cast<unsigned>(ymd.day()));
    out.push_back('T');
    two(out, static_cast<unsigned>(t.hours().count()));
    two(out, static_cast<unsigned>(t.minutes().count()));
    two(out, static_cast<unsigned>(t.seconds().count()));
    out.push_back('Z');
    return out;
}

std::string canonical_uri(std::string_view raw_path) {
    std::string out;
    out.reserve(raw_path.size() + 8);
    std::size_t start = 0;
    for (;;) {
        auto const slash = raw_path.find('/', start);
        auto const seg = raw_path.substr(start, slash == std::string_view::npos
                                                    ? std::string_view::npos
                                                    : slash - start);
        encode_into(out, decoded(seg, false));
        if (slash == std::string_view::npos) break;
        out.push_back('/');
        start = slash + 1;
    }
    if (out.empty() || out.back() != '/') out.push_back('/');
    return out;
}

std::string canonical_query(std::string_view raw_query) {
    std::vector<std::pair<std::string, std::string>> params;
    std::size_t start = 0;
    while (start <= raw_query.size()) {
        auto amp = raw_query.find('&', start);
        if (amp == std::string_view::npos) amp = raw_query.size();
        std::string_view const piece = raw_query.substr(start, amp - start);
        start = amp + 1;
        if (piece.empty()) continue;
        auto const eq = piece.find('=');
        if (eq == std::string_view::npos)
            params.emplace_back(decoded(piece, true), std::string());
        else
            params.emplace_back(decoded(piece.substr(0, eq), true),
                                decoded(piece.substr(eq + 1), true));
    }
    // std::string's ordering compares bytes as unsigned char.
    std::sort(params.begin(), params.end());
    std::string out;
    for (std::size_t i = 0; i < params.size(); ++i) {
        if (i != 0) out.push_back('&');
        encode_into(out, params[i].first);
        out.push_back('=');
        encode_into(out, params[i].second);
    }
    return out;
}

result verify(request const& req, std::span<access_key const> keys,
              std::chrono::system_clock::time_point now) {
    result r;
    auto const authz = header_values(req, "authorization");
    if (authz.size() != 1) return r;
    auto const fields = parse_authorization(authz.front());
    if (!fields) return r;
    r.access_key = fields->access_key;

    auto const key = std::find_if(keys.begin(), keys.end(), [&](access_key const& k) {
        return k.ak == fields->access_key;
    });
    if (key == keys.end()) {
        r.code = status::unknown_access_key;
        return r;
    }

    auto const names = split_list(fields->signed_headers);
    auto listed = [&](std::string_view n) {
        return std::find(names.begin(), names.end(), n) != names.end();
    };
    if (!listed("host") || !listed("x-sdk-date") ||
        (!key->security_token.empty() && !listed("x-security-token"))) {
        r.code = status::missing_signed_header;
        return r;
    }

    auto const dates = header_values(req, "x-sdk-date");
    std::optional<std::chrono::sys_seconds> date;
    if (dates.size() == 1) date = parse_sdk_date(dates.front());
    if (!date) {
        r.code = status::bad_date;
        return r;
    }
    auto const skew = now - *date;
    if (skew > max_clock_skew || skew < -max_clock_skew) {
        r.code = status::date_out_of_range;
        return r;
    }

    auto const tokens = header_values(req, "x-security-token");
    bool const token_ok =
        key->security_token.empty()
            ? tokens.empty()
            : tokens.size() == 1 && same_secret(tokens.front(), key->security_token);
    if (!token_ok) {
        r.code = status::security_token_mismatch;
        return r;
    }

    auto const q = req.target.find('?');
    std::string_view const path = req.target.substr(0, q);
    std::string_view const query =
        q == std::string_view::npos ? std::string_view() : req.target.substr(q + 1);

    std::string canonical;
    canonical.reserve(512);
    canonical += req.method;
    canonical += '\n';
    canonical += canonical_uri(path);
    canonical += '\n';
    canonical += canonical_query(query);
    canonical += '\n';
    for (auto const name : names) {
        auto values = header_values(req, name);
        if (values.empty()) {
            r.code = status::missing_signed_header;
            return r;
        }
        std::sort(values.begin(), values.end());
        for (auto const value : values) {
            canonical += name;
            canonical += ':';
            canonical += value;
            canonical += '\n';
        }
    }
    canonical += '\n';
    canonical += fields->signed_headers;
    canonical += '\n';
    canonical += sha256_hex(req.body);

    std::string to_sign;
    to_sign.reserve(scheme.size() + 16 + 66);
    to_sign += scheme;
    to_sign += '\n';
    to_sign += dates.front();
    to_sign += '\n';
    to_sign += sha256_hex(canonical);

    std::string const expected = hmac_sha256_hex(key->sk, to_sign);
    r.code = same_secret(expected, fields->signature) ? status::ok : status::signature_mismatch;
    return r;
}

}  // namespace apig::emulator::aksk
