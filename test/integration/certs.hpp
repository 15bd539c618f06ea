#pragma once

// Test-only TLS material the emulator's make_tls_material cannot make (a self-signed server
// certificate, i.e. one that is its own issuer), and server contexts for scripted TLS
// servers, with OpenSSL's C API. Throws std::runtime_error if OpenSSL fails.

#include <apig/emulator.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ssl/context.hpp>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>
#include <string>

namespace apig::test::certs {

namespace detail {

struct ossl_free {
    void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
    void operator()(X509* p) const noexcept { X509_free(p); }
    void operator()(BIO* p) const noexcept { BIO_free(p); }
    void operator()(X509_EXTENSION* p) const noexcept { X509_EXTENSION_free(p); }
};
template <class T>
using ptr = std::unique_ptr<T, ossl_free>;

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

inline void add_ext(X509* cert, int nid, char const* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    ptr<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
    check(ext != nullptr, "making an extension");
    check(X509_add_ext(cert, ext.get(), -1) == 1, "adding an extension");
}

inline std::string bio_text(BIO* bio) {
    char* data = nullptr;
    long const len = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(len));
}

}  // namespace detail

/// A self-signed server certificate (EC P-256, SHA-256) for 127.0.0.1, ::1 and localhost,
/// valid from an hour ago for a week: issuer == subject, no CA behind it. `ca_cert_pem` is the
/// certificate itself (what a client would have to trust explicitly to accept it).
inline emulator::tls_material self_signed_material() {
    using namespace detail;
    ptr<EVP_PKEY> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    check(key != nullptr, "EC key generation");
    ptr<X509> cert(X509_new());
    check(cert != nullptr, "X509_new");
    check(X509_set_version(cert.get(), X509_VERSION_3) == 1, "X509_set_version");
    check(ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 0x5e1f) == 1, "serial");
    check(X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr, "notBefore");
    check(X509_gmtime_adj(X509_getm_notAfter(cert.get()), 7 * 24 * 3600) != nullptr, "notAfter");
    X509_NAME* name = X509_get_subject_name(cert.get());
    check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                     reinterpret_cast<unsigned char const*>("localhost"), -1, -1, 0) == 1,
          "subject");
    check(X509_set_issuer_name(cert.get(), name) == 1, "issuer");
    check(X509_set_pubkey(cert.get(), key.get()) == 1, "X509_set_pubkey");
    add_ext(cert.get(), NID_basic_constraints, "critical,CA:FALSE");
    add_ext(cert.get(), NID_key_usage, "critical,digitalSignature");
    add_ext(cert.get(), NID_ext_key_usage, "serverAuth");
    add_ext(cert.get(), NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1");
    check(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0, "signing");

    ptr<BIO> cert_bio(BIO_new(BIO_s_mem()));
    check(cert_bio && PEM_write_bio_X509(cert_bio.get(), cert.get()) == 1, "PEM (certificate)");
    ptr<BIO> key_bio(BIO_new(BIO_s_mem()));
    check(key_bio && PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1,
          "PEM (key)");
    std::string const pem = bio_text(cert_bio.get());
    return {.ca_cert_pem = pem, .server_cert_pem = pem, .server_key_pem = bio_text(key_bio.get())};
}

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
