#pragma once

// TLS set-up shared by every connection of a client: the context (trust, protocol floor) and
// the per-connection name checks; and turning OpenSSL failures into apig errors that say why.

#include <apig/error.hpp>
#include <apig/options.hpp>

#include <boost/asio/ssl/context.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace apig::http {

/// The process-wide system trust store, made once on first use and shared (by reference
/// count) by every context that trusts the system store and nothing else. What OpenSSL's
/// default paths name, honouring SSL_CERT_DIR and SSL_CERT_FILE, but read lazily: the
/// certificate directory by subject hash (OpenSSL's hash-directory lookup: a CA's file is
/// read when a chain needs that CA), then the bundle file, read once per process by the first
/// chain whose CA is not found otherwise (and shared by every store). Contexts that also trust
/// a CA file or PEM get a store of their own with the same two lookups, so their CAs never
/// enter this one. Thread-safe. Never null.
X509_STORE* system_trust_store();

/// The file identity that makes an edited CA file a different context (see context_key).
struct file_identity {
    std::uint64_t device = 0, inode = 0, size = 0;
    std::int64_t mtime_ns = 0;
};

/// The cache key of a context: the options that shape it (trust, verification, the CA file
/// and its identity, the CA PEM, resumption). server_name is not part of it (a per-connection
/// setting). Sans-I/O.
std::string context_key(tls_options const& opts, file_identity const& ca_file_id);

/// Resumable sessions of one context, by (host, port, TLS name). Bounded: `per_key` sessions
/// per key (the newest), `max_keys` keys. TLS 1.3 tickets are single-use (RFC 8446 appendix
/// C.4): `take` removes them; a TLS 1.2 session may be offered again and stays. Sessions
/// expired at `now` (seconds since the epoch, as SSL_SESSION_get_time) or not resumable are
/// dropped. Thread-safe (connections of clients on different threads share a context).
class session_store {
public:
    static constexpr std::size_t per_key = 4;
    static constexpr std::size_t max_keys = 256;

    session_store() = default;
    session_store(session_store const&) = delete;
    session_store& operator=(session_store const&) = delete;
    ~session_store();

    /// Takes ownership of `s` (one reference).
    void put(std::string const& key, SSL_SESSION* s, std::int64_t now);
    /// A session to offer for `key`, with one reference for the caller; null: none.
    SSL_SESSION* take(std::string const& key, std::int64_t now);
    /// Sessions held for `key`.
    std::size_t size(std::string const& key) const;

private:
    struct entry {
        std::deque<SSL_SESSION*> sessions;  // oldest first
        std::uint64_t used = 0;             // for evicting the least recently used key
    };
    void drop_stale(entry& e, std::int64_t now);
    mutable std::mutex mutex_;
    std::map<std::string, entry, std::less<>> entries_;
    std::uint64_t clock_ = 0;
};

/// A client context shared by every caller with equal options (see context_key): a
/// process-wide cache of weakly held contexts, so the 2nd... client with the same options
/// costs a lookup. Errors as make_client_context (the CA file is checked on every call, and
/// an edited one, by path, device, inode, size and mtime, makes a new context). Thread-safe.
std::shared_ptr<boost::asio::ssl::context> shared_client_context(tls_options const& opts);

/// Per connection, after configure_connection: offers a stored session for (host, port,
/// name) when the context resumes sessions (tls_options::session_resumption), and files the
/// sessions this connection receives under that key (TLS 1.3 tickets arrive after the
/// handshake, with the first read). Only sessions of verified handshakes are kept.
void prepare_resumption(SSL* ssl, std::string_view host, std::string_view port, std::string_view name);

/// Whether the handshake on `ssl` resumed a session.
bool session_resumed(SSL const* ssl) noexcept;

/// Before a connection's socket is closed without a close_notify (this client's choice, not a
/// failure: TLS 1.1 and later let such a session be resumed): marks the SSL as shut down, as
/// OpenSSL would otherwise mark its session not resumable when the SSL is freed, and that
/// session may be in the context's session store. A fatal alert has made it unusable already.
void keep_session_resumable(SSL* ssl) noexcept;

/// A new client context (not cached; see shared_client_context): TLS 1.2 minimum, peer verification on (unless insecure_skip_verify),
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
