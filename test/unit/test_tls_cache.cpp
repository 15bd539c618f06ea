// The TLS context cache's key and the session store: sans-I/O (no socket, no handshake).
#include "http/tls.hpp"

#include <openssl/ssl.h>

#include <doctest/doctest.h>

#include <ctime>

using apig::tls_options;
using apig::http::context_key;
using apig::http::file_identity;
using apig::http::session_store;

namespace {

// A resumable session: an id, a protocol version, a start time and a lifetime.
SSL_SESSION* session(int version, std::int64_t start, long lifetime, unsigned char id = 1) {
    SSL_SESSION* s = SSL_SESSION_new();
    REQUIRE(s != nullptr);
    unsigned char sid[32] = {id};
    REQUIRE(SSL_SESSION_set1_id(s, sid, sizeof sid) == 1);
    REQUIRE(SSL_SESSION_set_protocol_version(s, version) == 1);
    REQUIRE(SSL_SESSION_set_time(s, static_cast<long>(start)) != 0);
    REQUIRE(SSL_SESSION_set_timeout(s, lifetime) != 0);
    REQUIRE(SSL_SESSION_is_resumable(s) == 1);
    return s;
}

constexpr std::int64_t t0 = 1'700'000'000;

}  // namespace

TEST_CASE("context key: the options that shape a context, and only those") {
    tls_options a;
    file_identity const none;
    CHECK(context_key(a, none) == context_key(tls_options{}, none));

    tls_options named = a;
    named.server_name = "api.example.com";  // per connection, not part of the context
    CHECK(context_key(named, none) == context_key(a, none));

    auto differs = [&](auto change) {
        tls_options b = a;
        change(b);
        return context_key(b, none) != context_key(a, none);
    };
    CHECK(differs([](tls_options& o) { o.use_system_trust_store = false; }));
    CHECK(differs([](tls_options& o) { o.ca_file = "/tmp/ca.pem"; }));
    CHECK(differs([](tls_options& o) { o.ca_pem = "-----BEGIN CERTIFICATE-----"; }));
    CHECK(differs([](tls_options& o) { o.insecure_skip_verify = true; }));
    CHECK(differs([](tls_options& o) { o.session_resumption = false; }));

    // A file and a PEM with the same text are different things.
    tls_options f = a, p = a;
    f.ca_file = "x";
    p.ca_pem = "x";
    CHECK(context_key(f, none) != context_key(p, none));
}

TEST_CASE("context key: an edited CA file (size, mtime, inode) is another context") {
    tls_options o;
    o.ca_file = "/etc/ca.pem";
    file_identity const id{.device = 1, .inode = 2, .size = 3, .mtime_ns = 4};
    auto with = [&](auto change) {
        file_identity j = id;
        change(j);
        return context_key(o, j);
    };
    CHECK(context_key(o, id) == context_key(o, id));
    CHECK(with([](file_identity& j) { j.size = 30; }) != context_key(o, id));
    CHECK(with([](file_identity& j) { j.mtime_ns = 40; }) != context_key(o, id));
    CHECK(with([](file_identity& j) { j.inode = 20; }) != context_key(o, id));
    CHECK(with([](file_identity& j) { j.device = 10; }) != context_key(o, id));
}

TEST_CASE("context key: insecure_skip_verify ignores the trust settings") {
    tls_options a, b;
    a.insecure_skip_verify = b.insecure_skip_verify = true;
    b.ca_pem = "anything";
    b.use_system_trust_store = false;
    CHECK(context_key(a, {}) == context_key(b, {}));
    b.session_resumption = false;
    CHECK(context_key(a, {}) != context_key(b, {}));
}

TEST_CASE("session store: a TLS 1.3 ticket is taken once; a TLS 1.2 session stays") {
    session_store store;
    store.put("k13", session(TLS1_3_VERSION, t0, 300), t0);
    SSL_SESSION* s = store.take("k13", t0 + 1);
    CHECK(s != nullptr);
    SSL_SESSION_free(s);
    CHECK(store.size("k13") == 0);
    CHECK(store.take("k13", t0 + 1) == nullptr);

    store.put("k12", session(TLS1_2_VERSION, t0, 300), t0);
    SSL_SESSION* a = store.take("k12", t0 + 1);
    SSL_SESSION* b = store.take("k12", t0 + 2);
    CHECK(a != nullptr);
    CHECK(a == b);
    CHECK(store.size("k12") == 1);
    SSL_SESSION_free(a);
    SSL_SESSION_free(b);
}

TEST_CASE("session store: keys are separate; the newest session is offered first") {
    session_store store;
    SSL_SESSION* older = session(TLS1_3_VERSION, t0, 300, 1);
    SSL_SESSION* newer = session(TLS1_3_VERSION, t0 + 5, 300, 2);
    store.put("a", older, t0);
    store.put("a", newer, t0 + 5);
    CHECK(store.take("b", t0 + 6) == nullptr);
    SSL_SESSION* first = store.take("a", t0 + 6);
    CHECK(first == newer);
    SSL_SESSION* second = store.take("a", t0 + 6);
    CHECK(second == older);
    SSL_SESSION_free(first);
    SSL_SESSION_free(second);
}

TEST_CASE("session store: bounded per key, keeping the newest") {
    session_store store;
    for (unsigned char i = 0; i < session_store::per_key + 3; ++i)
        store.put("k", session(TLS1_3_VERSION, t0 + i, 300, i), t0 + i);
    CHECK(store.size("k") == session_store::per_key);
    SSL_SESSION* s = store.take("k", t0 + 10);
    REQUIRE(s != nullptr);
    CHECK(SSL_SESSION_get_time(s) == static_cast<long>(t0 + session_store::per_key + 2));
    SSL_SESSION_free(s);
}

TEST_CASE("session store: bounded in keys, the least recently used goes") {
    session_store store;
    for (std::size_t i = 0; i < session_store::max_keys; ++i)
        store.put("k" + std::to_string(i), session(TLS1_2_VERSION, t0, 300), t0);
    SSL_SESSION_free(store.take("k0", t0));  // k0 used again: k1 is now the oldest
    store.put("new", session(TLS1_2_VERSION, t0, 300), t0);
    CHECK(store.size("k0") == 1);
    CHECK(store.size("k1") == 0);
    CHECK(store.size("new") == 1);
}

TEST_CASE("session store: expired and non-resumable sessions are dropped, never offered") {
    session_store store;
    store.put("k", session(TLS1_3_VERSION, t0, 100), t0);
    CHECK(store.take("k", t0 + 100) == nullptr);  // lived exactly its lifetime: gone
    CHECK(store.size("k") == 0);

    SSL_SESSION* dead = session(TLS1_2_VERSION, t0, 300);
    store.put("k", dead, t0);
    unsigned char const none[1] = {0};
    REQUIRE(SSL_SESSION_set1_id(dead, none, 0) == 1);  // no id, no ticket: not resumable
    CHECK(store.take("k", t0 + 1) == nullptr);
    CHECK(store.size("k") == 0);
}
