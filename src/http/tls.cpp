#include "http/tls.hpp"

#include "error_detail.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/error.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <filesystem>
#include <system_error>

namespace apig::http {
boost::asio::ssl::context make_client_context(tls_options const& opts) {
    namespace ssl = boost::asio::ssl;
    ssl::context ctx(ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
    if (opts.insecure_skip_verify) {
        ctx.set_verify_mode(ssl::verify_none);
        return ctx;
    }
    ctx.set_verify_mode(ssl::verify_peer);
    boost::system::error_code ec;
    if (opts.use_system_trust_store) {
        ctx.set_default_verify_paths(ec);
        // A machine without a CA bundle is not an error if the caller gives its own CA.
    }
    if (!opts.ca_file.empty()) {
        // OpenSSL opens what it is given and reads to the end: a FIFO without a writer would
        // block the constructor forever, a device would never end. Only a regular file is read.
        std::error_code fec;
        auto const st = std::filesystem::status(opts.ca_file, fec);  // follows symlinks
        auto const refuse = [&](std::string const& why) {
            throw_invalid_argument("tls.ca_file: cannot load '" + opts.ca_file + "': " + why);
        };
        if (st.type() == std::filesystem::file_type::not_found) refuse("no such file");
        if (fec) refuse(fec.message());
        if (st.type() == std::filesystem::file_type::directory) refuse("it is a directory, not a PEM file");
        if (st.type() != std::filesystem::file_type::regular)
            refuse("not a regular file (a FIFO, socket or device); give a PEM file");
        ctx.load_verify_file(opts.ca_file, ec);
        if (ec) throw_invalid_argument("tls.ca_file: cannot load '" + opts.ca_file + "': " + ec.message());
    }
    if (!opts.ca_pem.empty()) {
        ctx.add_certificate_authority(boost::asio::buffer(opts.ca_pem), ec);
        if (ec) throw_invalid_argument("tls.ca_pem: not a PEM certificate: " + ec.message());
    }
    return ctx;
}

bool configure_connection(SSL* ssl, std::string_view host, bool verify) {
    std::string const name(host);
    boost::system::error_code ec;
    (void)boost::asio::ip::make_address(name, ec);  // ec set: a DNS name, not an IP literal
    if (ec && SSL_set_tlsext_host_name(ssl, name.c_str()) != 1) return false;
    if (!verify) return true;
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    if (!ec) return X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str()) == 1;
    // A certificate without a subjectAltName is not accepted on its subject CN (RFC 6125
    // section 6.4.4, the CA/Browser Forum baseline requirements; what browsers and Go do).
    X509_VERIFY_PARAM_set_hostflags(param,
                                    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
    return X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size()) == 1;
}

error_info handshake_error(SSL* ssl, boost::system::error_code ec, std::string_view host) {
    std::string const name = printable(host, 256);
    long const verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK)
        return make_error(errc::tls_verification_failed,
                          "TLS certificate verification failed for " + name + ": " +
                              X509_verify_cert_error_string(verify));
    // An error from the TLS protocol itself (an alert such as "protocol version" or
    // "handshake failure", no shared cipher, not TLS at all) is the server's definitive
    // answer: tls_handshake_failed, not retried. The connection breaking during the
    // handshake (reset, EOF, truncation) keeps its transport code and is retried like any
    // other broken connection.
    if (same_category(ec.category(), boost::asio::error::get_ssl_category()))
        return make_error(errc::tls_handshake_failed, "TLS handshake with " + name + " failed: " + ec.message());
    return make_error(ec, "TLS handshake with " + name + ": " +
                              (is_error(ec, boost::asio::ssl::error::stream_truncated) || is_error(ec, boost::asio::error::eof)
                                   ? std::string("the server closed the connection")
                                   : ec.message()));
}

}  // namespace apig::http
