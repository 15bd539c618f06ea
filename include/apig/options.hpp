#pragma once

#include <apig/credentials.hpp>

#include <chrono>
#include <cstddef>
#include <string>

namespace apig {

/// How the client checks the server. Verification is on unless `insecure_skip_verify` is set.
struct tls_options {
    /// Trust the system's CA store (OpenSSL's default paths). Default: true.
    bool use_system_trust_store = true;
    /// A PEM file of extra trusted CAs. Default: none.
    std::string ca_file{};
    /// PEM text of extra trusted CAs (e.g. a private CA). Default: none.
    std::string ca_pem{};
    /// Name sent as SNI and checked against the certificate. Default: the endpoint's host.
    std::string server_name{};
    /// Accept any certificate and host name. Only for tests against a server you control;
    /// never the default. Default: false.
    bool insecure_skip_verify = false;
};

/// Everything a client needs. Validated by the client's constructor: a bad value throws
/// `apig::api_error` with `errc::invalid_argument` naming the field.
struct client_options {
    /// `https://host[:port]`; no path, query or user info. Required.
    std::string endpoint{};
    /// The tenant's project id; sent as one percent-encoded path segment. Required.
    std::string project_id{};
    /// How requests are authenticated.
    token_credentials credentials{};
    tls_options tls{};
    /// Largest response body accepted; a larger one fails with `errc::response_too_large`.
    /// Default: 64 MiB.
    std::size_t max_body_bytes = std::size_t{64} << 20;
    /// Limit for one request: connect, handshake, write, and reading the whole response.
    /// Expiry fails the call with `errc::timed_out`. Default: 30 s.
    std::chrono::milliseconds request_timeout = std::chrono::seconds(30);
};

}  // namespace apig
