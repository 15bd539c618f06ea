#pragma once

// The emulator's server-side verification of AK/SK-signed requests (SDK-HMAC-SHA256), as the
// real gateway does it: the canonical request is recomputed from the request AS RECEIVED and
// the signature compared in constant time.
//
// Deliberately written from the algorithm's description (docs: ListInstancesV2.md, "AK/SK
// signing"), not with the client's signer (src/auth/signer.hpp): the two implementations
// cross-check each other in tools/emulator/test/emulator_test.cpp.
//
// Canonical request = the six parts joined by '\n':
//   method
//   canonical URI    the raw path split on '/', each segment percent-decoded and re-encoded
//                    (every byte except A-Z a-z 0-9 - _ . ~ as uppercase %XX; '+' is a literal
//                    plus), a '/' appended unless the result already ends with one
//   canonical query  the raw query split on '&' (empty pieces dropped), each piece at its
//                    first '=' (none: value ""), keys and values decoded with form rules ('+'
//                    is a space), sorted bytewise by (key, value), re-encoded, joined by '&'
//   canonical headers  for each name of SignedHeaders (in its order): one `name:value\n` per
//                    request header of that name (values trimmed, sorted)
//   signed headers   the SignedHeaders list as received
//   hex SHA-256 of the body
// String to sign = "SDK-HMAC-SHA256\n" + X-Sdk-Date + "\n" + hex SHA-256(canonical request);
// signature = lowercase hex HMAC-SHA256(key = SK, string to sign).
//
// Secret hygiene: the SK is only handed to OpenSSL as the HMAC key; nothing here returns,
// logs or throws it (or the expected signature, or a security token).

#include <apig/emulator.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace apig::emulator::aksk {

/// The largest accepted difference between X-Sdk-Date and the server's clock, either way
/// (a difference of exactly 15 minutes is accepted).
inline constexpr std::chrono::minutes max_clock_skew{15};

/// The outcome of verify(), in the order the checks are made.
enum class status : std::uint8_t {
    ok,
    /// Not exactly one Authorization header, or it is not exactly
    /// `SDK-HMAC-SHA256 Access=<AK>, SignedHeaders=<list>, Signature=<64 lowercase hex>`
    /// (see parse_authorization).
    malformed_authorization,
    /// The AK is not one of the keys.
    unknown_access_key,
    /// SignedHeaders lacks `host` or `x-sdk-date` (or `x-security-token` for a key with a
    /// security token), or names a header the request does not carry.
    missing_signed_header,
    /// X-Sdk-Date is absent, repeated, or not a valid UTC `YYYYMMDDTHHMMSSZ`.
    bad_date,
    /// X-Sdk-Date is more than max_clock_skew away from the server's clock.
    date_out_of_range,
    /// The key has a security token and the request does not carry exactly that
    /// X-Security-Token (once), or the key has none and the request carries one.
    security_token_mismatch,
    /// The recomputed signature differs.
    signature_mismatch,
};

/// "ok", "malformed_authorization", ... (the enumerator's name).
std::string_view to_string(status s) noexcept;

/// The three fields of an Authorization value (views into it).
struct authorization_fields {
    std::string_view access_key{};
    std::string_view signed_headers{};
    std::string_view signature{};
};

/// Parses `SDK-HMAC-SHA256 Access=<AK>, SignedHeaders=<list>, Signature=<hex>` strictly:
/// exactly that text, in that order, single spaces; AK non-empty, visible ASCII without ',';
/// the list non-empty names of `a-z 0-9 -`, joined by ';', strictly ascending (sorted, no
/// repeats), as every official SDK sends it; the signature exactly 64 lowercase hex digits.
std::optional<authorization_fields> parse_authorization(std::string_view value) noexcept;

/// True if `ak` can be an access key the parser accepts (non-empty visible ASCII, no ',').
bool valid_access_key(std::string_view ak) noexcept;

/// A UTC `YYYYMMDDTHHMMSSZ` (a real date; hours 00..23, minutes and seconds 00..59).
std::optional<std::chrono::sys_seconds> parse_sdk_date(std::string_view v) noexcept;

/// `YYYYMMDDTHHMMSSZ` of a time (UTC, truncated to the second): the inverse of parse_sdk_date.
std::string format_sdk_date(std::chrono::system_clock::time_point tp);

/// The canonical URI of a raw origin-form path (no query). See the top of this file.
std::string canonical_uri(std::string_view raw_path);
/// The canonical query of a raw query string (without '?'). See the top of this file.
std::string canonical_query(std::string_view raw_query);

/// A request as received. Header names in any case; values as the HTTP parser gives them.
struct request {
    std::string_view method{};
    std::string_view target{};  ///< raw origin-form target: path, then optionally '?' query
    std::vector<std::pair<std::string_view, std::string_view>> headers{};
    std::string_view body{};
};

struct result {
    status code = status::malformed_authorization;
    /// The AK the Authorization header claims (when it parsed), known or not.
    std::string access_key{};
};

/// Verifies an AK/SK-signed request against `keys` at server time `now`. Throws
/// std::runtime_error (fixed message) only if OpenSSL fails.
result verify(request const& req, std::span<access_key const> keys,
              std::chrono::system_clock::time_point now);

}  // namespace apig::emulator::aksk
