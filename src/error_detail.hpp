#pragma once

// Building error_info values: sans-I/O, unit-tested.

#include <apig/error.hpp>

#include <span>
#include <string>
#include <string_view>

namespace apig {

/// An error_info with a code and a message.
error_info make_error(boost::system::error_code code, std::string message);

/// `errc::invalid_argument` with the message `invalid argument: <what>`.
error_info invalid_argument(std::string what);

/// Throws `api_error(invalid_argument(what))`: for constructors that validate options.
[[noreturn]] void throw_invalid_argument(std::string what);

/// The error for a response with `status` != 200: errc from the status, the API's error code
/// and message from the body (either shape), and a one-line message such as
/// `HTTP 403 APIC.7106: No permissions to request for the method (request id 5f1c...)`.
/// Every `secrets` value is redacted from what the server sent (a server may echo the token).
error_info error_from_response(unsigned status, std::string_view reason, std::string_view body,
                               std::string_view request_id,
                               std::span<std::string_view const> secrets = {});

/// `s` for a one-line message: control characters as `control`, at most `max_bytes` bytes
/// (cut on a UTF-8 character boundary) followed by "..." when cut.
std::string printable(std::string_view s, std::size_t max_bytes, char control = '?');

/// Appends ` (request id X)` to the message when a request id is known, and sets
/// `e.request_id`; the id (server-sent) is made printable and has `secrets` redacted.
void add_request_id(error_info& e, std::string_view request_id, std::span<std::string_view const> secrets = {});

/// Replaces every occurrence of `secret` in `text` by `<redacted>` (a server may echo what it
/// was sent). Empty secrets are ignored.
void redact(std::string& text, std::string_view secret);

}  // namespace apig
