#pragma once

// From credentials to the headers of one attempt. Sans-I/O; used by the client before every
// attempt (a provider's credentials may change between attempts, and a signature carries the
// attempt's date).

#include <apig/credentials.hpp>

#include "signer.hpp"

#include <array>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace apig::auth {

/// The length of the shortest secret accepted: no real token, AK, SK or security token is
/// shorter, and redaction (`secret_set`) works on runs of this length.
inline constexpr std::size_t min_secret_size = 8;

/// Why `c` cannot be sent, as a phrase naming the field (never its value); empty if `c` is
/// usable. Each secret (token, AK, SK, and the security token when there is one) is judged
/// without the whitespace around it (`trimmed` removes it before use) and must then be at
/// least `min_secret_size` bytes, with no control character (`the token contains a control
/// character (CR, LF, NUL, ...)`) nor whitespace inside (`the SK contains whitespace`):
/// `the token is empty`, `the AK is shorter than 8 characters`, ...
std::string problem(credentials const& c);

/// `c` with the whitespace around each secret removed (`trim`): what is checked, sent and
/// redacted. A token read from a file keeps no newline, and its echo is found without it.
credentials trimmed(credentials c);

/// The headers that authenticate one attempt, to add to a request that carries
/// `Host: <host>`: `X-Auth-Token` for a token; `X-Sdk-Date`, `X-Project-Id`,
/// [`X-Security-Token`], `Authorization` for a key pair (signed at `now`). `c` must be
/// `trimmed` and have no `problem`.
header_list authorization_headers(credentials const& c, std::string_view method,
                                  std::string_view target, std::string_view host,
                                  std::chrono::system_clock::time_point now,
                                  std::string_view project_id);

/// Every secret in `c` (empty views for the fields a kind does not have): what to redact
/// from text a server sent back.
std::array<std::string_view, 4> secrets(credentials const& c) noexcept;

/// The secrets of one attempt: those of `c` and, for a key pair, the `Signature=` value of the
/// `Authorization` header in `request` (the attempt's request bytes, which the views point
/// into). A signature is not a key, but with the request's date it would let anyone replay the
/// request for 15 minutes. The rest of the Authorization value (the algorithm, the AK, the
/// signed header names) is either redacted as the AK or is not secret.
std::array<std::string_view, 4> attempt_secrets(credentials const& c, std::string_view request) noexcept;

}  // namespace apig::auth
