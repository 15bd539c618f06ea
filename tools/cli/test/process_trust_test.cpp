// The system trust store as a process meets it (read once per process, so each case is its
// own apig-instances run): OpenSSL's default paths, with SSL_CERT_FILE and SSL_CERT_DIR,
// read lazily (src/http/tls.cpp). No --ca-file: the emulator's CA is trusted only through
// the system store, by the bundle file or by the hashed directory.
#include "process_support.hpp"

#include <doctest/doctest.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <fstream>
#include <memory>

using namespace cli_process_test;

namespace {

// The arguments of a one-page run trusting only the system store.
std::vector<std::string> system_trust_args(fixture const& f) {
    return {"--endpoint", f.server.endpoint(), "--project-id", f.opts.project_ids.front(), "--format", "none"};
}

// A bundle of many CAs, as a system's is: Debian's, when the machine has it (else none),
// then `extra` (a PEM) if given.
fs::path write_bundle(scratch_dir const& dir, std::string const& name, std::string const& extra) {
    auto const path = dir.path / name;
    std::ofstream out(path);
    if (fs::exists("/etc/ssl/certs/ca-certificates.crt")) out << slurp("/etc/ssl/certs/ca-certificates.crt");
    out << extra;
    return path;
}

// The name OpenSSL's hash-directory lookup looks for: the subject name hash, ".0".
std::string hashed_name(std::string const& pem) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
    std::unique_ptr<X509, decltype(&X509_free)> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr),
                                                     X509_free);
    REQUIRE(cert);
    char name[32];
    std::snprintf(name, sizeof name, "%08lx.0", X509_subject_name_hash(cert.get()));
    return name;
}

}  // namespace

TEST_CASE("process: trust from SSL_CERT_FILE's bundle alone (the directory lacks the CA)") {
    fixture f;
    auto const empty_dir = f.dir.path / "no-certs";
    fs::create_directory(empty_dir);
    auto const bundle = write_bundle(f.dir, "bundle.pem", slurp(f.ca_file));
    auto env = f.token_env();
    env["SSL_CERT_FILE"] = bundle.string();
    env["SSL_CERT_DIR"] = empty_dir.string();
    auto const r = run_cli(f.dir, system_trust_args(f), env);
    CAPTURE(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.err.starts_with("20 of 57 instances, 1 page, "));
}

TEST_CASE("process: trust from SSL_CERT_DIR's hashed names alone (no bundle file)") {
    fixture f;
    auto const dir = f.dir.path / "hashed";
    fs::create_directory(dir);
    std::string const ca = slurp(f.ca_file);
    std::ofstream(dir / hashed_name(ca)) << ca;
    auto env = f.token_env();
    env["SSL_CERT_FILE"] = (f.dir.path / "no-such-bundle.pem").string();
    env["SSL_CERT_DIR"] = dir.string();
    auto const r = run_cli(f.dir, system_trust_args(f), env);
    CAPTURE(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.err.starts_with("20 of 57 instances, 1 page, "));
}

TEST_CASE("process: a CA in neither the bundle nor the directory is refused, naming why") {
    fixture f;
    auto const empty_dir = f.dir.path / "no-certs";
    fs::create_directory(empty_dir);
    auto const bundle = write_bundle(f.dir, "bundle.pem", "");
    auto env = f.token_env();
    env["SSL_CERT_FILE"] = bundle.string();
    env["SSL_CERT_DIR"] = empty_dir.string();
    auto const r = run_cli(f.dir, system_trust_args(f), env);
    CAPTURE(r.err);
    CHECK(r.exit_code == 4);
    CHECK(contains(r.err, "TLS certificate verification failed"));
    CHECK(contains(r.err, "unable to get local issuer certificate"));
    CHECK(f.server.requests_served() == 0);
}
