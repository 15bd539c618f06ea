#pragma once

// From credentials to the headers of one attempt. Sans-I/O; used by the client before every
// attempt (a provider's credentials may change between attempts, and a signature carries the
// attempt's date).

#include <apig/credentials.hpp>

#include "signer.hpp"

#include <array>
#include <chrono>
#include <string>
#include <string_view>

namespace apig::auth {

/// Why `c` cannot be sent, as a phrase naming the field (never its value), e.g.
/// `the token is empty`, `the AK contains a control character (CR, LF, NUL, ...)`; empty if
/// `c` is usable. An SK may hold any byte (it is only an HMAC key) but not be empty.
std::string problem(credentials const& c);

/// The headers that authenticate one attempt, to add to a request that carries
/// `Host: <host>`: `X-Auth-Token` for a token; `X-Sdk-Date`, `X-Project-Id`,
/// [`X-Security-Token`], `Authorization` for a key pair (signed at `now`). `c` must have no
/// `problem`.
header_list authorization_headers(credentials const& c, std::string_view method,
                                  std::string_view target, std::string_view host,
                                  std::chrono::system_clock::time_point now,
                                  std::string_view project_id);

/// Every secret in `c` (empty views for the fields a kind does not have): what to redact
/// from text a server sent back.
std::array<std::string_view, 4> secrets(credentials const& c) noexcept;

}  // namespace apig::auth
