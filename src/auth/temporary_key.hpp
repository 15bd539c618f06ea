#pragma once

// Temporary key pairs as metadata services hand them out, and their expiry: pure parsing of
// hostile bodies (bounded, typed errors that never quote a secret). Internal header.

#include <apig/credentials.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace apig::auth {

/// A temporary AK/SK with its security token, and when it expires.
struct temporary_key {
    aksk_credentials creds{};
    std::chrono::system_clock::time_point expires_at{};
};

/// Parses an ISO 8601 UTC time as IAM writes it: `2020-01-08T03:50:07.574000Z`; the fraction
/// (any number of digits, 0..9 kept) is optional, and so is the `Z` (UTC is assumed); an
/// offset `+00:00` is accepted, another offset is applied. Checks every field's range (month
/// 1..12, day within the month, leap years, hour 0..23, minute 0..59, second 0..60) and the
/// year (1970..9999), and that the time (the offset applied) is not before
/// 1970-01-01T00:00:00Z. nullopt for anything else. A time later than `system_clock` can hold
/// (past 2262 where it counts nanoseconds in 64 bits) is `system_clock::time_point::max()`.
std::optional<std::chrono::system_clock::time_point> parse_expires_at(std::string_view text);

/// The ECS metadata service's `GET /openstack/latest/securitykey` body:
/// `{"credential": {"access": AK, "secret": SK, "securitytoken": TOKEN, "expires_at": TIME}}`
/// (other members ignored). Every field is required, a string, non-empty; the credentials
/// must then pass `auth::problem` (after trimming). The error is a phrase such as
/// "the response is not JSON", "credential.secret is missing", "credential.expires_at
/// '<printable, cut>' is not a time": it names fields, never quotes a secret field's value.
std::variant<temporary_key, std::string> parse_metadata_key(std::string_view body);

/// The pod identity agent's body: `{"credentials": {"accessKeyId", "secretAccessKey",
/// "securityToken", "expiration"}}` (other members ignored); same rules and errors as
/// `parse_metadata_key`, naming these fields.
std::variant<temporary_key, std::string> parse_pod_identity_key(std::string_view body);

}  // namespace apig::auth
