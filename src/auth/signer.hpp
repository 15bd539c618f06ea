#pragma once

// AK/SK request signing (SDK-HMAC-SHA256), as Huawei Cloud's official SDKs do it. Sans-I/O:
// strings in, strings out; the clock is the caller's (a time point is passed in). Internal
// header, not part of the public API.
//
// Canonical request = the six parts joined by '\n':
//   method, canonical_uri(path), canonical_query(query), canonical_headers(headers),
//   signed_headers(headers), hex_sha256(body)
// String to sign   = "SDK-HMAC-SHA256\n" + X-Sdk-Date + "\n" + hex_sha256(canonical request)
// Signature        = hex(HMAC-SHA256(key = SK, data = string to sign)); no key derivation.
// Authorization    = "SDK-HMAC-SHA256 Access=<AK>, SignedHeaders=<list>, Signature=<hex>"
//
// Secret hygiene: the SK is only ever handed to OpenSSL as the HMAC key; it is never copied,
// logged, put in an exception message or in any returned string. The AK appears only in the
// Authorization value (by design). Errors name the offending field, never its value.

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace apig::auth {

/// Header (name, value) pairs, in the order given.
using header_list = std::vector<std::pair<std::string, std::string>>;

// ---- building blocks (pure, each unit-tested) ----------------------------------------------

/// Percent-encodes every byte except the unreserved `A-Z a-z 0-9 - _ . ~` as uppercase `%XX`
/// (space is `%20`, '+' is `%2B`). The SDKs' encoding for the canonical URI and query.
std::string uri_encode(std::string_view s);

/// Percent-decodes `%XX` (either hex case). A '%' not followed by two hex digits is kept as a
/// literal '%'. With `plus_as_space` (query strings), '+' decodes to a space.
std::string uri_decode(std::string_view s, bool plus_as_space);

/// The canonical URI of a path as sent (origin-form path, no query). The path is split on the
/// literal '/' first, then each segment is decoded and re-encoded with `uri_encode`, so an
/// already-encoded path gets the URI the SDKs compute from its decoded segments: `%2F` inside
/// a segment stays one segment (`a%2Fb` -> `a%2Fb`), `%2f` becomes `%2F`, `%7E` becomes `~`,
/// a literal space or non-ASCII byte is encoded, and '+' is a literal plus (`%2B`). Empty
/// segments are kept. A '/' is appended if the result does not end with one ("" -> "/").
std::string canonical_uri(std::string_view path);

/// The canonical query of a raw query string as sent (without the '?'). Split on '&' (empty
/// pieces skipped), each piece split at its first '='; a piece without '=' is `key=`. Keys
/// and values are decoded (form rules: '+' is a space, `%2B` is a plus), sorted by decoded
/// key, then by decoded value within a key (bytewise, as the SDKs sort the unencoded
/// parameters), re-encoded with `uri_encode` and joined with '&'.
std::string canonical_query(std::string_view raw_query);

/// The canonical headers: `lowercase(name):trim(value)\n` per header, sorted by lowercased
/// name then by value (a repeated name gives one line per value). Names containing '_' are
/// left out, as the SDKs do. Trimming removes ASCII whitespace (space, \t, \r, \n, \v, \f)
/// at both ends; inner whitespace is kept.
std::string canonical_headers(header_list const& headers);

/// The signed headers: the lowercased names of `canonical_headers`, each once, sorted,
/// joined by ';'.
std::string signed_headers(header_list const& headers);

/// Lowercase hex SHA-256 (OpenSSL EVP). Throws std::runtime_error if OpenSSL fails.
std::string hex_sha256(std::string_view data);

/// Lowercase hex HMAC-SHA256 (OpenSSL EVP_MAC). Throws std::runtime_error (with a fixed
/// message, never the key) if OpenSSL fails.
std::string hex_hmac_sha256(std::string_view key, std::string_view data);

/// `SDK-HMAC-SHA256\n<date>\n<hex_sha256(canonical_request)>`.
std::string string_to_sign(std::string_view sdk_date, std::string_view canonical_request);

/// The `X-Sdk-Date` value for a time point: UTC `YYYYMMDDTHHMMSSZ`, truncated to the second.
std::string sdk_date(std::chrono::system_clock::time_point tp);

/// True for the ASCII whitespace characters: space, `\t`, `\r`, `\n`, `\v`, `\f`.
bool ascii_space(char c) noexcept;

/// `s` without ASCII whitespace (`ascii_space`) at either end; inner whitespace is kept.
std::string_view trim(std::string_view s) noexcept;

/// True if `v` can be a header value: no control characters (bytes < 0x20 or 0x7F), so no
/// CR/LF header injection.
bool header_value_ok(std::string_view v) noexcept;

// ---- the signer ----------------------------------------------------------------------------

struct signing_input {
    std::string_view method{};  ///< e.g. "GET"
    std::string_view target{};  ///< origin-form `path?query` as sent (already encoded)
    /// The headers as sent, every one of them signed (except names containing '_'). Must
    /// include `X-Sdk-Date` (any case; its first value is the date of the string to sign),
    /// and `Host` if the host is to be signed.
    header_list headers{};
    std::string_view body{};
};

struct signed_headers_out {
    std::string authorization{};       ///< the `Authorization` header value
    std::string signed_header_list{};  ///< e.g. `host;x-project-id;x-sdk-date`
    std::string canonical_request{};
    std::string string_to_sign{};
    std::string signature{};  ///< lowercase hex
};

/// Signs a request. Throws `apig::api_error` (errc::invalid_argument) if no `X-Sdk-Date`
/// header is given or the AK contains a control character; the message names the problem,
/// never a key.
signed_headers_out sign(signing_input const& in, std::string_view ak, std::string_view sk);

/// What the client calls per attempt. Returns the headers to add to the request, in this
/// order: `X-Sdk-Date`, `X-Project-Id` (when `project_id` is not empty), `X-Security-Token`
/// (when `security_token` is not empty), `Authorization`. The signed headers are `host`
/// (= `host`, which must be exactly the Host header the request carries, port included when
/// sent), `x-project-id`, `x-sdk-date` and `x-security-token` (the last only when sent).
/// The Host header itself is not returned: the caller sends it. Throws `apig::api_error`
/// (errc::invalid_argument) naming the field if `host`, `project_id`, `security_token` or
/// `ak` contains a control character.
header_list sign_request(std::string_view method, std::string_view target, std::string_view host,
                         std::chrono::system_clock::time_point date, std::string_view project_id,
                         std::string_view security_token, std::string_view ak,
                         std::string_view sk, std::string_view body = {});

}  // namespace apig::auth
