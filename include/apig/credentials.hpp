#pragma once

#include <string>

namespace apig {

/// An IAM token sent as `X-Auth-Token` (the `X-Subject-Token` value of IAM's get-token call).
/// The token never appears in a message, a log line or `to_string`.
struct token_credentials {
    std::string token{};
};

/// A redacted description, safe to log: `token_credentials{token=<redacted, 1234 bytes>}`.
std::string to_string(token_credentials const& c);

}  // namespace apig
