#pragma once

// TLS server contexts for scripted TLS servers (the certificates come from the emulator's
// make_tls_material), with OpenSSL's C API where Asio has no call. Throws std::runtime_error
// if OpenSSL fails.

#include <apig/emulator.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ssl/context.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <stdexcept>
#include <string>

namespace apig::test::certs {

namespace detail {

inline void check(bool ok, char const* what) {
    if (ok) return;
    std::string msg = std::string("certs.hpp: ") + what;
    if (unsigned long const e = ERR_get_error(); e != 0) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        msg += ": ";
        msg += buf;
    }
    ERR_clear_error();
    throw std::runtime_error(msg);
}

}  // namespace detail

/// A TLS server context presenting `m`'s certificate and key (TLS 1.2 and 1.3, OpenSSL's
/// defaults otherwise).
inline boost::asio::ssl::context server_context(emulator::tls_material const& m) {
    boost::asio::ssl::context ctx(boost::asio::ssl::context::tls_server);
    ctx.use_certificate_chain(boost::asio::buffer(m.server_cert_pem));
    ctx.use_private_key(boost::asio::buffer(m.server_key_pem), boost::asio::ssl::context::pem);
    return ctx;
}

/// A TLS server context that offers only TLS 1.0 and 1.1 (OpenSSL 3 needs security level 0
/// for them, and for their SHA-1 based ciphers).
inline boost::asio::ssl::context legacy_server_context(emulator::tls_material const& m) {
    auto ctx = server_context(m);
    SSL_CTX_set_security_level(ctx.native_handle(), 0);
    detail::check(SSL_CTX_set_cipher_list(ctx.native_handle(), "DEFAULT:@SECLEVEL=0") == 1, "cipher list");
    detail::check(SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_VERSION) == 1, "min version");
    detail::check(SSL_CTX_set_max_proto_version(ctx.native_handle(), TLS1_1_VERSION) == 1, "max version");
    return ctx;
}

}  // namespace apig::test::certs
