#pragma once

#include <apig/export.hpp>

// Providers of temporary key pairs that come with an expiry: the ECS metadata service (an
// agency bound to the server) and the pod identity agent (CCE). Both match Huawei Cloud's
// official SDKs' requests, and improve on them where those block a thread or hide an error:
//
// - Nothing blocks: the first `fetch()` (or one after the key expired) suspends the calling
//   coroutine on its own executor while the key is fetched; a key within `refresh_margin` of
//   its expiry is refreshed in the background of the call that notices it (that call, and
//   every other, goes on with the current key). Concurrent calls, from any number of clients
//   and threads, share one fetch.
// - Every failure is an `api_error` with `errc::credentials_unavailable` whose message says
//   which request failed and why (the status, the service's error text made printable and
//   cut, "timed out after 3 s", "connection refused"), never a secret.
// - A failed background refresh keeps the current key while it is valid; the next call after
//   `retry_interval` tries again.
//
// Thread-safety: one provider may be shared by clients on any executors and threads.

#include <apig/credentials.hpp>
#include <apig/observability.hpp>
#include <apig/options.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace apig {

/// What a temporary-key provider shares.
struct temporary_key_options {
    /// A key is refreshed when less than this remains before it expires. Default 40 minutes,
    /// the official SDKs' threshold. A key whose whole lifetime is shorter is refreshed on
    /// every call (in the background while it is valid).
    std::chrono::seconds refresh_margin = std::chrono::minutes(40);
    /// Each HTTP request's time limit (connect, write, read). Default 3 s for the metadata
    /// service (the official SDKs' value).
    std::chrono::milliseconds timeout = std::chrono::seconds(3);
    /// After a failed background refresh, the next one starts no sooner than this. Default 10 s.
    std::chrono::milliseconds retry_interval = std::chrono::seconds(10);
    /// A larger response body is refused. Default 64 KiB.
    std::size_t max_response_bytes = std::size_t{64} << 10;
    /// The wall clock against which expiry is judged. Default: system_clock::now.
    std::function<std::chrono::system_clock::time_point()> clock{};
    /// Receives one line per fetch and per failure (never a secret). Called on the thread
    /// that runs the fetch: the executor of the call that started it, which for a provider
    /// shared by clients on several threads may be any of theirs, so the sink must then be
    /// thread-safe. Default: none.
    log_sink log{};
};

/// What both providers below are: a temporary key cached for every caller, with at most one
/// fetch in flight (see the top of this header for when a fetch happens and who waits).
class APIG_DECL temporary_key_provider : public credentials_provider {
public:
    ~temporary_key_provider() override;

    /// The cached key; throws `api_error` (credentials_unavailable) when none was fetched yet
    /// or it expired (use `fetch()`).
    credentials current() override;
    boost::asio::awaitable<credentials> fetch() override;
    /// After a 401: fetches a new key now (shared with concurrent refreshes) unless the cached
    /// one already differs from `rejected`.
    boost::asio::awaitable<credentials> refresh(credentials const& rejected) override;

    /// When the cached key expires; nullopt before the first fetch.
    std::optional<std::chrono::system_clock::time_point> expires_at() const;
    /// Keys fetched so far (successful fetches).
    std::uint64_t fetches() const noexcept;

    struct state;

protected:
    explicit temporary_key_provider(std::shared_ptr<state> s);

private:
    std::shared_ptr<state> state_;
};

/// The ECS metadata service's temporary keys, as the official SDKs get them:
///
/// 1. `PUT <endpoint>/meta-data/latest/api/token` with `X-Metadata-Token-Ttl-Seconds: 21600`:
///    a 200's body is the session token, kept for later fetches; a 404 or 405 means the
///    service has no tokens (the next request goes without one, and the token call is not
///    tried again for 24 hours); anything else fails the fetch.
/// 2. `GET <endpoint>/openstack/latest/securitykey` with `X-Metadata-Token` (when there is a
///    token). A 401 whose body does not say the agency is missing ("Please configure Cloud
///    Service Agency first") renews the token once and repeats the request.
/// 3. A 200 body `{"credential": {"access", "secret", "securitytoken", "expires_at"}}`.
class APIG_DECL metadata_credentials : public temporary_key_provider {
public:
    struct options {
        /// The service's base URL: `http://host[:port]`. Default `http://169.254.169.254`.
        std::string endpoint = "http://169.254.169.254";
        temporary_key_options key{};
    };

    /// Throws `api_error` (`errc::invalid_argument`) for an endpoint that is not
    /// `http://host[:port]`, or options out of range (a zero timeout).
    explicit metadata_credentials(options o);
    metadata_credentials() : metadata_credentials(options{}) {}
};

/// The pod identity agent's temporary keys (CCE), as the official Python and Java SDKs get
/// them: `POST <uri>` with body `{}`, `Content-Type: application/json; charset=utf-8` and
/// `Authorization: <the token file's content, trimmed>` (the file is read again for every
/// fetch: the platform rotates it); a 200 body `{"credentials": {"accessKeyId",
/// "secretAccessKey", "securityToken", "expiration"}}`.
class APIG_DECL pod_identity_credentials : public temporary_key_provider {
public:
    struct options {
        /// HC_CONTAINER_CREDENTIALS_FULL_URI: `http://` or `https://` URL. Required.
        std::string uri{};
        /// HC_CONTAINER_AUTHORIZATION_TOKEN_FILE: the file holding the authorization token.
        /// Required.
        std::string token_file{};
        /// For an `https://` uri: how the agent is verified (verification on by default).
        tls_options tls{};
        temporary_key_options key{.timeout = std::chrono::seconds(10)};
    };

    /// Throws `api_error` (`errc::invalid_argument`) for a missing or malformed uri or token
    /// file name.
    explicit pod_identity_credentials(options o);
};

}  // namespace apig
