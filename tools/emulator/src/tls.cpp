// Throwaway TLS material for the emulator: a self-signed CA and a server certificate signed
// by it, made with the OpenSSL 3 API. Nothing is written to disk; tests trust the CA's PEM.

#include <apig/emulator.hpp>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>
#include <string>

namespace apig::emulator {
namespace {

// unique_ptr deleters for the OpenSSL objects used here.
struct openssl_free {
    void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
    void operator()(X509* p) const noexcept { X509_free(p); }
    void operator()(BIO* p) const noexcept { BIO_free(p); }
    void operator()(BIGNUM* p) const noexcept { BN_free(p); }
    void operator()(X509_EXTENSION* p) const noexcept { X509_EXTENSION_free(p); }
    void operator()(GENERAL_NAMES* p) const noexcept { GENERAL_NAMES_free(p); }
    void operator()(GENERAL_NAME* p) const noexcept { GENERAL_NAME_free(p); }
    void operator()(ASN1_OCTET_STRING* p) const noexcept { ASN1_OCTET_STRING_free(p); }
};
template <class T>
using ossl_ptr = std::unique_ptr<T, openssl_free>;

[[noreturn]] void fail(char const* what) {
    // Include OpenSSL's own reason: "failed" alone is useless when a distro disables a curve.
    std::string msg = std::string("apig-emulator: ") + what;
    if (unsigned long const e = ERR_get_error(); e != 0) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        msg += ": ";
        msg += buf;
    }
    ERR_clear_error();
    throw std::runtime_error(msg);
}

void check(int ok, char const* what) {
    if (ok != 1) fail(what);
}

ossl_ptr<EVP_PKEY> make_p256_key() {
    ossl_ptr<EVP_PKEY> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    if (!key) fail("EC P-256 key generation failed");
    return key;
}

void set_random_serial(X509* cert) {
    // 128 random bits, top bit cleared so the DER INTEGER stays positive and at most 16
    // bytes: random serials keep browsers' and OpenSSL's caches from confusing two runs.
    unsigned char bytes[16];
    check(RAND_bytes(bytes, sizeof bytes), "RAND_bytes failed");
    bytes[0] &= 0x7f;
    bytes[0] |= 0x01 << 6;  // non-zero leading byte: always 16 bytes long
    ossl_ptr<BIGNUM> bn(BN_bin2bn(bytes, sizeof bytes, nullptr));
    if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) == nullptr)
        fail("setting the serial number failed");
}

void set_validity(X509* cert, cert_options const& opts) {
    long const from = static_cast<long>(opts.not_before_offset.count());
    long const to = static_cast<long>((opts.not_before_offset + opts.validity).count());
    if (X509_gmtime_adj(X509_getm_notBefore(cert), from) == nullptr ||
        X509_gmtime_adj(X509_getm_notAfter(cert), to) == nullptr)
        fail("setting the validity failed");
}

void set_name(X509_NAME* name, char const* common_name) {
    auto const* cn = reinterpret_cast<unsigned char const*>(common_name);
    auto const* org = reinterpret_cast<unsigned char const*>("apig emulator");
    check(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, org, -1, -1, 0),
          "setting the organisation failed");
    check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, cn, -1, -1, 0),
          "setting the common name failed");
}

// Adds an extension written in OpenSSL's config syntax (e.g. "critical,CA:TRUE").
void add_ext(X509* cert, X509* issuer, int nid, char const* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    ossl_ptr<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
    if (!ext) fail("making a certificate extension failed");
    check(X509_add_ext(cert, ext.get(), -1), "adding a certificate extension failed");
}

// subjectAltName built from GENERAL_NAMEs rather than a config string, so a name containing
// ',' or ':' (IPv6) cannot be misparsed, and a bad IP address is reported as such.
void add_san(X509* cert, cert_options const& opts) {
    ossl_ptr<GENERAL_NAMES> names(GENERAL_NAMES_new());
    if (!names) fail("out of memory");
    for (auto const& dns : opts.dns_names) {
        ossl_ptr<GENERAL_NAME> gn(GENERAL_NAME_new());
        ASN1_IA5STRING* s = ASN1_IA5STRING_new();
        if (!gn || s == nullptr ||
            ASN1_STRING_set(s, dns.data(), static_cast<int>(dns.size())) != 1) {
            ASN1_IA5STRING_free(s);
            fail("making a DNS subjectAltName failed");
        }
        GENERAL_NAME_set0_value(gn.get(), GEN_DNS, s);
        if (sk_GENERAL_NAME_push(names.get(), gn.get()) == 0) fail("out of memory");
        gn.release();  // owned by `names` now
    }
    for (auto const& ip : opts.ip_addresses) {
        ossl_ptr<ASN1_OCTET_STRING> octets(a2i_IPADDRESS(ip.c_str()));
        if (!octets) throw std::runtime_error("apig-emulator: not an IP address: " + ip);
        ossl_ptr<GENERAL_NAME> gn(GENERAL_NAME_new());
        if (!gn) fail("out of memory");
        GENERAL_NAME_set0_value(gn.get(), GEN_IPADD, octets.release());
        if (sk_GENERAL_NAME_push(names.get(), gn.get()) == 0) fail("out of memory");
        gn.release();
    }
    if (sk_GENERAL_NAME_num(names.get()) > 0)
        check(X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0,
                                X509V3_ADD_DEFAULT),
              "adding subjectAltName failed");
}

std::string to_pem(X509* cert) {
    ossl_ptr<BIO> bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) fail("PEM-encoding a certificate failed");
    char* data = nullptr;
    long const len = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(len));
}

std::string to_pem(EVP_PKEY* key) {
    ossl_ptr<BIO> bio(BIO_new(BIO_s_mem()));
    // PKCS#8, unencrypted: the key is throwaway and lives only in memory.
    if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr,
                                         nullptr) != 1)
        fail("PEM-encoding a private key failed");
    char* data = nullptr;
    long const len = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(len));
}

}  // namespace

tls_material make_tls_material(cert_options const& opts) {
    // The CA (none for a self-signed certificate).
    ossl_ptr<EVP_PKEY> ca_key;
    ossl_ptr<X509> ca;
    if (!opts.self_signed) {
        ca_key = make_p256_key();
        ca.reset(X509_new());
        if (!ca) fail("out of memory");
        check(X509_set_version(ca.get(), X509_VERSION_3), "X509_set_version failed");
        set_random_serial(ca.get());
        set_validity(ca.get(), opts);
        set_name(X509_get_subject_name(ca.get()), "apig emulator throwaway CA");
        check(X509_set_issuer_name(ca.get(), X509_get_subject_name(ca.get())),
              "setting the issuer failed");
        check(X509_set_pubkey(ca.get(), ca_key.get()), "X509_set_pubkey failed");
        add_ext(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
        add_ext(ca.get(), ca.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
        add_ext(ca.get(), ca.get(), NID_subject_key_identifier, "hash");
        if (X509_sign(ca.get(), ca_key.get(), EVP_sha256()) <= 0) fail("signing the CA failed");
    }

    // The server certificate.
    ossl_ptr<EVP_PKEY> key = make_p256_key();
    ossl_ptr<X509> cert(X509_new());
    if (!cert) fail("out of memory");
    check(X509_set_version(cert.get(), X509_VERSION_3), "X509_set_version failed");
    set_random_serial(cert.get());
    set_validity(cert.get(), opts);
    std::string const cn = opts.dns_names.empty()
                               ? (opts.ip_addresses.empty() ? "apig-emulator"
                                                            : opts.ip_addresses.front())
                               : opts.dns_names.front();
    set_name(X509_get_subject_name(cert.get()), cn.c_str());
    X509* const issuer = opts.self_signed ? cert.get() : ca.get();
    EVP_PKEY* const signer = opts.self_signed ? key.get() : ca_key.get();
    check(X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer)), "setting the issuer failed");
    check(X509_set_pubkey(cert.get(), key.get()), "X509_set_pubkey failed");
    add_ext(cert.get(), issuer, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(cert.get(), issuer, NID_key_usage, "critical,digitalSignature");
    add_ext(cert.get(), issuer, NID_ext_key_usage, "serverAuth");
    add_ext(cert.get(), issuer, NID_subject_key_identifier, "hash");
    if (!opts.self_signed) add_ext(cert.get(), issuer, NID_authority_key_identifier, "keyid:always");
    if (opts.subject_alt_name) add_san(cert.get(), opts);
    if (X509_sign(cert.get(), signer, EVP_sha256()) <= 0) fail("signing the server certificate failed");

    std::string cert_pem = to_pem(cert.get());
    std::string ca_pem = opts.self_signed ? cert_pem : to_pem(ca.get());
    return tls_material{std::move(ca_pem), std::move(cert_pem), to_pem(key.get())};
}

}  // namespace apig::emulator
