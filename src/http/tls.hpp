#pragma once

// TLS set-up shared by every connection of a client: the context (trust, protocol floor) and
// the per-connection name checks; and turning OpenSSL failures into apig errors that say why.

#include <apig/error.hpp>
#include <apig/options.hpp>

#include <boost/asio/ssl/context.hpp>

#include <string_view>

namespace apig::http {

/// A client context: TLS 1.2 minimum, peer verification on (unless insecure_skip_verify),
/// the system trust store and/or the configured CA file / PEM. Throws `api_error`
/// (`errc::invalid_argument`) naming the option when a CA cannot be loaded, and without
/// opening it when `tls.ca_file` is missing or not a regular file (a directory, a FIFO, a
/// device: reading one could block forever or never end).
boost::asio::ssl::context make_client_context(tls_options const& opts);

/// Per connection: SNI (for DNS names only, as RFC 6066 asks) and the name the peer
/// certificate must carry (DNS name or IP address) in its subjectAltName, checked by OpenSSL
/// during the handshake; the subject CN is never used (a certificate without subjectAltName
/// fails with "hostname mismatch").
/// Returns false if OpenSSL refused the name.
bool configure_connection(SSL* ssl, std::string_view host, bool verify);

/// Classifies a failed handshake: `errc::tls_verification_failed` with OpenSSL's reason
/// ("certificate has expired", "hostname mismatch", "unable to get local issuer
/// certificate", ...) when the peer certificate was refused, `errc::tls_handshake_failed`
/// otherwise.
error_info handshake_error(SSL* ssl, boost::system::error_code ec, std::string_view host);

}  // namespace apig::http
