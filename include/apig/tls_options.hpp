#pragma once

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
    /// Resume TLS sessions on new connections to the same host, port and name (TLS 1.3
    /// tickets, TLS 1.2 session ids; never 0-RTT early data): a resumed handshake skips the
    /// certificate exchange and its checks, saving most of the handshake's CPU. Only sessions
    /// of verified handshakes with that name are offered; each TLS 1.3 ticket is used once.
    /// Default: true.
    bool session_resumption = true;
};

}  // namespace apig
