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
};

}  // namespace apig
