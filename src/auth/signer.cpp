#include "auth/signer.hpp"

#include "error_detail.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <stdexcept>

namespace apig::auth {
namespace {

constexpr char hex_upper[] = "0123456789ABCDEF";
constexpr char hex_lower[] = "0123456789abcdef";
constexpr std::string_view algorithm = "SDK-HMAC-SHA256";

bool unreserved(unsigned char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

char ascii_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = ascii_lower(c);
    return out;
}

std::string to_hex(unsigned char const* p, std::size_t n) {
    std::string out(n * 2, '\0');
    for (std::size_t i = 0; i < n; ++i) {
        out[2 * i] = hex_lower[p[i] >> 4];
        out[2 * i + 1] = hex_lower[p[i] & 0x0f];
    }
    return out;
}

// OpenSSL failures: a fixed message (never a key or data), and the thread's OpenSSL error
// queue cleared so a stale entry cannot confuse a later TLS call on this thread.
[[noreturn]] void openssl_failure(char const* what) {
    ERR_clear_error();
    throw std::runtime_error(what);
}

// (lowercased name, trimmed value) of the headers that are signed, sorted.
std::vector<std::pair<std::string, std::string_view>> signable(header_list const& headers) {
    std::vector<std::pair<std::string, std::string_view>> out;
    out.reserve(headers.size());
    for (auto const& [name, value] : headers) {
        if (name.find('_') != std::string::npos) continue;  // the SDKs do not sign these
        out.emplace_back(lower(name), trim(value));
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::string_view find_header(header_list const& headers, std::string_view lower_name) {
    for (auto const& [name, value] : headers)
        if (name.size() == lower_name.size() && lower(name) == lower_name) return trim(value);
    return {};
}

bool has_header(header_list const& headers, std::string_view lower_name) {
    return std::any_of(headers.begin(), headers.end(),
                       [&](auto const& h) { return lower(h.first) == lower_name; });
}

}  // namespace

std::string uri_encode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char ch : s) {
        auto const c = static_cast<unsigned char>(ch);
        if (unreserved(c)) {
            out += ch;
        } else {
            out += '%';
            out += hex_upper[c >> 4];
            out += hex_upper[c & 0x0f];
        }
    }
    return out;
}

std::string uri_decode(std::string_view s, bool plus_as_space) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        char const c = s[i];
        if (c == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
            out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
            i += 2;
        } else if (c == '+' && plus_as_space) {
            out += ' ';
        } else {
            out += c;
        }
    }
    return out;
}

std::string canonical_uri(std::string_view path) {
    std::string out;
    out.reserve(path.size() + 1);
    for (;;) {
        auto const slash = path.find('/');
        out += uri_encode(uri_decode(path.substr(0, slash), false));
        if (slash == std::string_view::npos) break;
        out += '/';
        path.remove_prefix(slash + 1);
    }
    if (out.empty() || out.back() != '/') out += '/';
    return out;
}

std::string canonical_query(std::string_view raw_query) {
    std::vector<std::pair<std::string, std::string>> params;
    while (!raw_query.empty()) {
        auto const amp = raw_query.find('&');
        auto const piece = raw_query.substr(0, amp);
        raw_query = amp == std::string_view::npos ? std::string_view{} : raw_query.substr(amp + 1);
        if (piece.empty()) continue;
        auto const eq = piece.find('=');
        if (eq == std::string_view::npos)
            params.emplace_back(uri_decode(piece, true), std::string{});
        else
            params.emplace_back(uri_decode(piece.substr(0, eq), true), uri_decode(piece.substr(eq + 1), true));
    }
    // std::string compares bytes as unsigned char: the bytewise order of the SDKs.
    std::sort(params.begin(), params.end());
    std::string out;
    for (auto const& [k, v] : params) {
        if (!out.empty()) out += '&';
        out += uri_encode(k);
        out += '=';
        out += uri_encode(v);
    }
    return out;
}

std::string canonical_headers(header_list const& headers) {
    std::string out;
    for (auto const& [name, value] : signable(headers)) {
        out += name;
        out += ':';
        out += value;
        out += '\n';
    }
    return out;
}

std::string signed_headers(header_list const& headers) {
    std::string out;
    std::string_view last;
    bool first = true;
    auto const list = signable(headers);
    for (auto const& h : list) {
        if (!first && h.first == last) continue;
        if (!first) out += ';';
        out += h.first;
        last = h.first;
        first = false;
    }
    return out;
}

std::string hex_sha256(std::string_view data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1)
        openssl_failure("apig::auth: SHA-256 failed");
    return to_hex(md, len);
}

std::string hex_hmac_sha256(std::string_view key, std::string_view data) {
    struct mac_free {
        void operator()(EVP_MAC* m) const noexcept { EVP_MAC_free(m); }
    };
    struct ctx_free {
        void operator()(EVP_MAC_CTX* c) const noexcept { EVP_MAC_CTX_free(c); }
    };
    std::unique_ptr<EVP_MAC, mac_free> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
    if (!mac) openssl_failure("apig::auth: HMAC is not available");
    std::unique_ptr<EVP_MAC_CTX, ctx_free> ctx(EVP_MAC_CTX_new(mac.get()));
    if (!ctx) openssl_failure("apig::auth: HMAC-SHA256 failed");

    char digest[] = "SHA256";
    OSSL_PARAM const params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                 OSSL_PARAM_construct_end()};
    // A null key would mean "keep the previous key" to EVP_MAC_init: an empty key needs a
    // non-null pointer.
    static unsigned char const empty = 0;
    auto const* k = key.empty() ? &empty : reinterpret_cast<unsigned char const*>(key.data());
    unsigned char out[EVP_MAX_MD_SIZE];
    std::size_t len = 0;
    if (EVP_MAC_init(ctx.get(), k, key.size(), params) != 1 ||
        EVP_MAC_update(ctx.get(), reinterpret_cast<unsigned char const*>(data.data()), data.size()) != 1 ||
        EVP_MAC_final(ctx.get(), out, &len, sizeof out) != 1)
        openssl_failure("apig::auth: HMAC-SHA256 failed");
    return to_hex(out, len);
}

std::string string_to_sign(std::string_view sdk_date, std::string_view canonical_request) {
    std::string out;
    out.reserve(algorithm.size() + sdk_date.size() + 66);
    out += algorithm;
    out += '\n';
    out += sdk_date;
    out += '\n';
    out += hex_sha256(canonical_request);
    return out;
}

std::string sdk_date(std::chrono::system_clock::time_point tp) {
    using namespace std::chrono;
    auto const secs = floor<seconds>(tp);
    auto const day = floor<days>(secs);
    year_month_day const ymd{day};
    hh_mm_ss const hms{secs - day};
    char buf[40];
    int const n = std::snprintf(buf, sizeof buf, "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(ymd.year()),
                                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                                static_cast<int>(hms.seconds().count()));
    return std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
}

bool ascii_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && ascii_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && ascii_space(s.back())) s.remove_suffix(1);
    return s;
}

bool header_value_ok(std::string_view v) noexcept {
    return std::none_of(v.begin(), v.end(), [](char ch) {
        auto const c = static_cast<unsigned char>(ch);
        return c < 0x20 || c == 0x7f;
    });
}

signed_headers_out sign(signing_input const& in, std::string_view ak, std::string_view sk) {
    if (!header_value_ok(ak)) throw_invalid_argument("the access key (AK) contains a control character");
    if (!has_header(in.headers, "x-sdk-date"))
        throw_invalid_argument("an X-Sdk-Date header is required to sign a request");

    auto const target = in.target;
    auto const q = target.find('?');
    auto const path = target.substr(0, q);
    auto const query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);

    signed_headers_out out;
    out.signed_header_list = signed_headers(in.headers);

    std::string& cr = out.canonical_request;
    cr += in.method;
    cr += '\n';
    cr += canonical_uri(path);
    cr += '\n';
    cr += canonical_query(query);
    cr += '\n';
    cr += canonical_headers(in.headers);
    cr += '\n';
    cr += out.signed_header_list;
    cr += '\n';
    cr += hex_sha256(in.body);

    out.string_to_sign = string_to_sign(find_header(in.headers, "x-sdk-date"), cr);
    out.signature = hex_hmac_sha256(sk, out.string_to_sign);

    out.authorization.reserve(algorithm.size() + ak.size() + out.signed_header_list.size() + 110);
    out.authorization += algorithm;
    out.authorization += " Access=";
    out.authorization += ak;
    out.authorization += ", SignedHeaders=";
    out.authorization += out.signed_header_list;
    out.authorization += ", Signature=";
    out.authorization += out.signature;
    return out;
}

header_list sign_request(std::string_view method, std::string_view target, std::string_view host,
                         std::chrono::system_clock::time_point date, std::string_view project_id,
                         std::string_view security_token, std::string_view ak, std::string_view sk,
                         std::string_view body) {
    if (!header_value_ok(host)) throw_invalid_argument("the host contains a control character");
    if (!header_value_ok(project_id)) throw_invalid_argument("project_id contains a control character");
    if (!header_value_ok(security_token))
        throw_invalid_argument("the security token contains a control character");

    header_list out;
    out.emplace_back("X-Sdk-Date", sdk_date(date));
    if (!project_id.empty()) out.emplace_back("X-Project-Id", std::string(project_id));
    if (!security_token.empty()) out.emplace_back("X-Security-Token", std::string(security_token));

    signing_input in;
    in.method = method;
    in.target = target;
    in.body = body;
    in.headers.reserve(out.size() + 1);
    in.headers.emplace_back("Host", std::string(host));
    for (auto const& h : out) in.headers.push_back(h);

    out.emplace_back("Authorization", sign(in, ak, sk).authorization);
    return out;
}

}  // namespace apig::auth
