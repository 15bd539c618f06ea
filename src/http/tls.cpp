#include "http/tls.hpp"

#include "error_detail.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/error.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <system_error>
#include <unordered_map>

namespace apig::http {
namespace {

std::string env_or(char const* var, char const* fallback) {
    char const* v = std::getenv(var);
    return v ? std::string(v) : std::string(fallback ? fallback : "");
}

// Where the system trust comes from: what OpenSSL's default paths name (the variables win).
struct system_trust_paths {
    std::string dirs;  // for the hash-directory lookup; empty: none
    std::string file;  // the bundle, read on the first lookup that needs it; empty: none
};

system_trust_paths const& trust_paths() {
    static system_trust_paths const paths{env_or(X509_get_default_cert_dir_env(), X509_get_default_cert_dir()),
                                          env_or(X509_get_default_cert_file_env(), X509_get_default_cert_file())};
    return paths;
}

// The bundle's certificates, read once per process by the first lookup that needs one.
STACK_OF(X509)* bundle_certificates() {
    static STACK_OF(X509)* const certs = [] {
        STACK_OF(X509)* out = nullptr;
        if (X509_STORE* tmp = X509_STORE_new()) {
            if (!trust_paths().file.empty() && X509_STORE_load_file(tmp, trust_paths().file.c_str()) == 1)
                out = X509_STORE_get1_all_certs(tmp);
            X509_STORE_free(tmp);
        }
        ERR_clear_error();  // no bundle: not an error (the caller may give its own CA)
        return out;         // lives as long as the process
    }();
    return certs;
}

// A lookup by subject in the bundle file, read on first use: OpenSSL's file lookup reads
// the whole bundle when a context is set up (20 ms and more), though a chain usually finds
// its CA in the hash directory (or among the caller's own CAs) first. Like the directory
// lookup, it adds what it finds to the store, which holds the reference `ret` points to.
int bundle_by_subject(X509_LOOKUP* lookup, X509_LOOKUP_TYPE type, X509_NAME const* name, X509_OBJECT* ret) {
    if (type != X509_LU_X509 || name == nullptr) return 0;
    STACK_OF(X509)* certs = bundle_certificates();
    X509_STORE* store = X509_LOOKUP_get_store(lookup);
    X509* found = nullptr;
    for (int i = 0; certs != nullptr && i < sk_X509_num(certs); ++i) {
        X509* c = sk_X509_value(certs, i);
        if (X509_NAME_cmp(X509_get_subject_name(c), name) != 0) continue;
        (void)X509_STORE_add_cert(store, c);  // every match: the chain builder picks among them
        if (!found) found = c;
    }
    ERR_clear_error();  // a certificate already in the store is not an error
    if (!found || X509_OBJECT_set1_X509(ret, found) != 1) return 0;
    X509_free(found);  // the store holds it; the caller takes its own reference
    return 1;
}

// Adds OpenSSL's default lookups, lazily: the hash directory first (one file per CA, read
// when a chain needs that CA), then the bundle file (read once per process, on first need).
void add_system_lookups(X509_STORE* store) {
    auto const& p = trust_paths();
    if (!p.dirs.empty())
        if (X509_LOOKUP* l = X509_STORE_add_lookup(store, X509_LOOKUP_hash_dir()))
            (void)X509_LOOKUP_add_dir(l, p.dirs.c_str(), X509_FILETYPE_PEM);
    if (!p.file.empty()) {
        static X509_LOOKUP_METHOD* const method = [] {
            X509_LOOKUP_METHOD* m = X509_LOOKUP_meth_new("apig: CA bundle, read on first use");
            if (m) (void)X509_LOOKUP_meth_set_get_by_subject(m, bundle_by_subject);
            return m;
        }();
        if (method) (void)X509_STORE_add_lookup(store, method);
    }
    ERR_clear_error();
}

// The key of the connection an SSL belongs to (host, port, name), owned by the SSL.
int connection_key_index() {
    static int const index = SSL_get_ex_new_index(
        0, nullptr, nullptr, nullptr,
        [](void*, void* p, CRYPTO_EX_DATA*, int, long, void*) { delete static_cast<std::string*>(p); });
    return index;
}

// A context's session store (null: resumption off).
int session_store_index() {
    static int const index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

std::int64_t now_seconds() { return static_cast<std::int64_t>(std::time(nullptr)); }

// OpenSSL hands over a session it made for a connection (TLS 1.2 at the end of a full
// handshake; TLS 1.3 for each ticket, after the handshake). Returning 1 keeps the reference.
int on_new_session(SSL* ssl, SSL_SESSION* session) {
    auto const* key = static_cast<std::string const*>(SSL_get_ex_data(ssl, connection_key_index()));
    auto* store = static_cast<session_store*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), session_store_index()));
    if (!key || !store) return 0;
    if ((SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER) != 0 && SSL_get_verify_result(ssl) != X509_V_OK) return 0;
    if (SSL_SESSION_is_resumable(session) != 1) return 0;
    store->put(*key, session, now_seconds());
    return 1;
}

// A context and the store of its sessions, kept together.
struct shared_context {
    boost::asio::ssl::context ctx;
    session_store sessions;
    explicit shared_context(boost::asio::ssl::context c) : ctx(std::move(c)) {}
};

}  // namespace

X509_STORE* system_trust_store() {
    static X509_STORE* const store = [] {
        X509_STORE* s = X509_STORE_new();
        if (!s) throw std::bad_alloc();
        add_system_lookups(s);
        return s;  // lives as long as the process (contexts hold references of their own)
    }();
    return store;
}

std::string context_key(tls_options const& opts, file_identity const& id) {
    if (opts.insecure_skip_verify) return opts.session_resumption ? "insecure|r" : "insecure|-";
    std::string k;
    k += opts.use_system_trust_store ? 's' : '-';
    k += opts.session_resumption ? 'r' : '-';
    k += '|';
    k += std::to_string(opts.ca_file.size()) + ':' + opts.ca_file;
    if (!opts.ca_file.empty())
        k += '|' + std::to_string(id.device) + ':' + std::to_string(id.inode) + ':' + std::to_string(id.size) + ':' +
             std::to_string(id.mtime_ns);
    k += '|' + std::to_string(opts.ca_pem.size()) + ':' + opts.ca_pem;
    return k;
}

session_store::~session_store() {
    for (auto& [key, e] : entries_)
        for (SSL_SESSION* s : e.sessions) SSL_SESSION_free(s);
}

void session_store::drop_stale(entry& e, std::int64_t now) {
    std::erase_if(e.sessions, [now](SSL_SESSION* s) {
        bool const stale = SSL_SESSION_is_resumable(s) != 1 ||
                           static_cast<std::int64_t>(SSL_SESSION_get_time(s)) +
                                   static_cast<std::int64_t>(SSL_SESSION_get_timeout(s)) <=
                               now;
        if (stale) SSL_SESSION_free(s);
        return stale;
    });
}

void session_store::put(std::string const& key, SSL_SESSION* s, std::int64_t now) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(key);
    if (it == entries_.end()) {
        if (entries_.size() >= max_keys) {
            auto lru = std::min_element(entries_.begin(), entries_.end(),
                                        [](auto const& a, auto const& b) { return a.second.used < b.second.used; });
            for (SSL_SESSION* old : lru->second.sessions) SSL_SESSION_free(old);
            entries_.erase(lru);
        }
        it = entries_.emplace(key, entry{}).first;
    }
    auto& e = it->second;
    e.used = ++clock_;
    drop_stale(e, now);
    e.sessions.push_back(s);
    while (e.sessions.size() > per_key) {
        SSL_SESSION_free(e.sessions.front());
        e.sessions.pop_front();
    }
}

SSL_SESSION* session_store::take(std::string const& key, std::int64_t now) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return nullptr;
    auto& e = it->second;
    e.used = ++clock_;
    drop_stale(e, now);
    if (e.sessions.empty()) return nullptr;
    SSL_SESSION* s = e.sessions.back();  // the newest: the longest left to live
    if (SSL_SESSION_get_protocol_version(s) >= TLS1_3_VERSION) {
        e.sessions.pop_back();  // a ticket is used once
        return s;
    }
    SSL_SESSION_up_ref(s);  // a TLS 1.2 session id may be offered again
    return s;
}

std::size_t session_store::size(std::string const& key) const {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(key);
    return it == entries_.end() ? 0 : it->second.sessions.size();
}

void prepare_resumption(SSL* ssl, std::string_view host, std::string_view port, std::string_view name) {
    auto* store = static_cast<session_store*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), session_store_index()));
    if (!store) return;
    std::string key;
    key.append(name).append(1, '\0').append(host).append(1, '\0').append(port);
    if (SSL_SESSION* s = store->take(key, now_seconds())) {
        (void)SSL_set_session(ssl, s);  // takes its own reference
        SSL_SESSION_free(s);
    }
    auto* owned = new std::string(std::move(key));
    if (SSL_set_ex_data(ssl, connection_key_index(), owned) != 1) delete owned;
}

bool session_resumed(SSL const* ssl) noexcept { return SSL_session_reused(ssl) == 1; }

void keep_session_resumable(SSL* ssl) noexcept { SSL_set_shutdown(ssl, SSL_get_shutdown(ssl) | SSL_SENT_SHUTDOWN); }

boost::asio::ssl::context make_client_context(tls_options const& opts) {
    namespace ssl = boost::asio::ssl;
    ssl::context ctx(ssl::context::tls_client);
    SSL_CTX* native = ctx.native_handle();
    SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
    if (!opts.session_resumption) {
        SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_OFF);
        SSL_CTX_set_options(native, SSL_OP_NO_TICKET);
    }
    if (opts.insecure_skip_verify) {
        ctx.set_verify_mode(ssl::verify_none);
        return ctx;
    }
    ctx.set_verify_mode(ssl::verify_peer);
    boost::system::error_code ec;
    bool const extra = !opts.ca_file.empty() || !opts.ca_pem.empty();
    if (opts.use_system_trust_store && !extra) {
        SSL_CTX_set1_cert_store(native, system_trust_store());  // shared, by reference count
    } else if (opts.use_system_trust_store) {
        // The extra CAs go into a store of this context's own, never into the shared one.
        // Its lookups cost nothing until used; the bundle, if read, is read once per process.
        if (X509_STORE* own = X509_STORE_new()) {
            add_system_lookups(own);
            SSL_CTX_set_cert_store(native, own);
        }
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

std::shared_ptr<boost::asio::ssl::context> shared_client_context(tls_options const& opts) {
    file_identity id;
    if (!opts.insecure_skip_verify && !opts.ca_file.empty()) {
        struct ::stat st {};
        if (::stat(opts.ca_file.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
            id.device = static_cast<std::uint64_t>(st.st_dev);
            id.inode = static_cast<std::uint64_t>(st.st_ino);
            id.size = static_cast<std::uint64_t>(st.st_size);
            id.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
        } else {
            (void)make_client_context(opts);  // throws the error naming what is wrong
        }
    }
    auto const key = context_key(opts, id);
    static std::mutex mutex;
    static std::unordered_map<std::string, std::weak_ptr<shared_context>> cache;
    {
        std::lock_guard lock(mutex);
        if (auto it = cache.find(key); it != cache.end())
            if (auto held = it->second.lock()) return {held, &held->ctx};
    }
    // Built outside the lock (it may read files); a concurrent twin may be built too: the
    // last one stored wins, both work.
    auto made = std::make_shared<shared_context>(make_client_context(opts));
    if (opts.session_resumption) {
        SSL_CTX* native = made->ctx.native_handle();
        SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
        SSL_CTX_sess_set_new_cb(native, on_new_session);
        SSL_CTX_set_ex_data(native, session_store_index(), &made->sessions);
    }
    std::lock_guard lock(mutex);
    std::erase_if(cache, [](auto const& kv) { return kv.second.expired(); });
    cache[key] = made;
    return {made, &made->ctx};
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
