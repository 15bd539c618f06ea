#pragma once

#include <apig/credentials.hpp>
#include <apig/observability.hpp>
#include <apig/proxy.hpp>
#include <apig/rate_limit.hpp>
#include <apig/retry.hpp>
#include <apig/tls_options.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace apig {

/// The client's connections. Like Boost.MySQL's pool_params: each default is what a service
/// would pick without measuring.
struct pool_options {
    /// The largest `max_connections` accepted.
    static constexpr std::size_t max_connections_limit = 256;
    /// Connections open at once, at most; further calls wait (FIFO) for one. Default 8.
    /// 1..max_connections_limit: 0 or more fails the client's constructor with
    /// `errc::invalid_argument` naming the field, the bound and the value.
    std::size_t max_connections = 8;
    /// An idle connection is closed after this long. Default 50 s (servers and load
    /// balancers commonly drop idle keep-alive connections after 60 s; closing first avoids
    /// sending on a connection the server is closing). Zero: never.
    std::chrono::milliseconds idle_timeout = std::chrono::seconds(50);
    /// A connection is closed after carrying this many requests. Default 0: no limit.
    std::uint64_t max_requests_per_connection = 0;
};

/// Time limits. Each expiry fails with `errc::timed_out` and a message naming the limit.
struct timeout_options {
    /// Resolving the host and establishing TCP. Default 10 s.
    std::chrono::milliseconds connect = std::chrono::seconds(10);
    /// The TLS handshake. Default 10 s.
    std::chrono::milliseconds handshake = std::chrono::seconds(10);
    /// One attempt: from writing the request to reading the whole response. Default 30 s.
    std::chrono::milliseconds attempt = std::chrono::seconds(30);
    /// The whole call: waiting for a connection, every attempt and every backoff wait.
    /// Default 120 s. Zero: no overall limit.
    std::chrono::milliseconds total = std::chrono::seconds(120);
};

/// Everything a client needs. Validated by the client's constructor: a bad value throws
/// `apig::api_error` with `errc::invalid_argument` naming the field.
struct client_options {
    /// `https://host[:port]`; no path, query or user info. Required unless `region` is set.
    /// `http://` is refused unless `allow_insecure_http` is set.
    std::string endpoint{};
    /// An APIG region (see apig_regions() in region.hpp), e.g. "cn-north-4": the endpoint is
    /// then `https://apig.<region>.myhuaweicloud.com` (eu-west-101: `.myhuaweicloud.eu`),
    /// unless the environment overrides it as the official SDKs' region provider reads it:
    /// HUAWEICLOUD_SDK_REGION_APIG_<REGION> (upper case, '-' as '_'), a comma-separated list
    /// of endpoints, wins over the table, and a region only the environment defines is
    /// accepted (see `region_endpoints`). The first endpoint of the list is used; the others
    /// are named in a log line at construction and otherwise unused. Set `endpoint` or
    /// `region`, not both. An unknown name is `errc::invalid_argument` naming the closest
    /// known regions.
    std::string region{};
    /// The tenant's project id; sent as one percent-encoded path segment (and, signed with a
    /// key pair, as X-Project-Id). When empty, each call finds it, in this order:
    ///  1. the credentials provider's `settings().project_id` (e.g. a profile file's, or
    ///     HUAWEICLOUD_SDK_PROJECT_ID through `credentials_from_chain`);
    ///  2. with `region` set and a key pair (fixed or from a provider): IAM project discovery,
    ///     as the official SDKs do it: a signed `GET /v3/projects?name=<region>` on IAM (see
    ///     `iam_endpoint`). Exactly one project: it is used, and cached for the process per
    ///     (AK, region), so concurrent first calls of every client share one lookup; none or
    ///     several: the call fails with `errc::invalid_argument` naming what IAM answered.
    ///     Each lookup is bounded by `timeouts.attempt` and the call's cancellation.
    /// Without a provider, and without `region` and a key pair, it is required.
    std::string project_id{};
    /// IAM, for project discovery: `https://host[:port]` (a value without a scheme gets
    /// `https://`, as the official SDKs do). Empty (the default): HUAWEICLOUD_SDK_IAM_ENDPOINT
    /// (read when the client is constructed), else the provider's `settings().iam_endpoint`
    /// (a profile's `iam_endpoint`), else the official SDKs' endpoint for the region
    /// (`https://iam.<region>.myhuaweicloud.com`, or `https://iam.myhuaweicloud.com`). IAM is
    /// verified with `tls` like the API endpoint; `http://` needs `allow_insecure_http`.
    std::string iam_endpoint{};
    /// How requests are authenticated: a `token_credentials`, an `aksk_credentials` or a
    /// `std::shared_ptr<credentials_provider>` (see credentials.hpp). Required: the default,
    /// an empty token, is refused. Fixed values are checked by the constructor (non-empty,
    /// no control characters); a provider's are checked before each attempt.
    client_credentials credentials{};
    tls_options tls{};
    /// A forward proxy for the API's connections (and IAM project discovery's): each
    /// connection is a `CONNECT host:port` tunnel through it, opened once per connection (and
    /// kept alive with it), with `Proxy-Authorization: Basic` when a user is set; the API's
    /// TLS runs inside the tunnel, checked against the endpoint's name (`tls`), never the
    /// proxy's. Reaching the proxy (resolve, TCP, an https:// proxy's TLS handshake) and its
    /// answer to CONNECT are bounded by `timeouts.connect`; the API's handshake by
    /// `timeouts.handshake`. A refusal is `errc::proxy_error` (502, 503 and 504 retried like
    /// the API's). An endpoint whose host `proxy.no_proxy` names is reached directly. An
    /// http:// endpoint (`allow_insecure_http`) is never sent through a proxy: the
    /// constructor refuses it unless `no_proxy` names it. Default: none; `proxy_from_env()`
    /// gives what curl would use. The proxy's credentials are secrets: never logged, never
    /// in a message.
    proxy_options proxy{};
    /// Accept an `http://` endpoint: plain TCP, the token or signature readable by anyone on
    /// the path. Only for a test server or a local proxy you control. Default: false.
    bool allow_insecure_http = false;
    /// Largest response body accepted; a larger one fails with `errc::response_too_large`.
    /// Default: 64 MiB.
    std::size_t max_body_bytes = std::size_t{64} << 20;
    pool_options pool{};
    timeout_options timeouts{};
    retry_policy retry{};
    /// The client's own retry budget, made at construction. Not used when
    /// `shared_retry_budget` is set.
    retry_budget_options retry_budget{};
    /// A retry budget shared with other clients (which hold it too): their retries together
    /// draw on its tokens and their successes refill it, so a failing backend sees at most
    /// about capacity / retry_cost extra requests from all of them, however many clients a
    /// service makes. Thread-safe (lock-free atomics): the clients may run on any threads and
    /// executors. Its own options apply, `retry_budget` is ignored, and `client_stats::
    /// retry_tokens` is what is left of it. Default: none (each client has its own).
    std::shared_ptr<apig::retry_budget> shared_retry_budget{};
    /// The client's own rate limit (see rate_limit.hpp): every attempt, retries included,
    /// takes a token before it is sent, waiting for it if need be. The wait holds no
    /// connection nor pool slot, counts against `timeouts.total` (a token that would come
    /// at or after the call's deadline fails the call at once with `errc::timed_out`, taking
    /// nothing), and ends with `operation_aborted` on cancellation, giving the token back.
    /// Default: off. Not used when `shared_rate_limiter` is set.
    rate_limit_options rate_limit{};
    /// A rate limiter shared with other clients (a tenant's quota): together their attempts
    /// start at most as fast as its options say. Thread-safe (one lock-free atomic): the
    /// clients may run on any threads and executors. Overrides `rate_limit`. Default: none.
    std::shared_ptr<apig::rate_limiter> shared_rate_limiter{};
    /// Called after every attempt (metrics, tracing). Default: none.
    attempt_hook on_attempt{};
    /// Receives log lines at or above `log_min_level`. Default: none (the library is silent).
    log_sink log{};
    log_level log_min_level = log_level::info;
    /// True (the default): the client keeps its state on a strand of its executor, so it may
    /// run on a multi-threaded io_context and be called from any thread. False: no strand;
    /// the caller promises that the executor runs on one thread and that the client (its
    /// calls, walks, cancel() and destructor) is used from that thread only. Saves the
    /// strand's locking and the allocations of a type-erased strand on every I/O operation
    /// (about 10% of the client's CPU per request on small pages). The model is Boost.MySQL's
    /// `pool_params::thread_safe`.
    bool thread_safe = true;
    /// The wall clock: the `X-Sdk-Date` of each signed attempt and the reference for
    /// HTTP-date `Retry-After` values. Default: `std::chrono::system_clock::now`. Tests set it
    /// to sign at a fixed time; a service may set it to correct a skewed host clock (the
    /// server refuses dates more than 15 minutes off with a 401).
    std::function<std::chrono::system_clock::time_point()> clock{};
    /// Appended to the User-Agent header after a space (`apig-cpp/<version> <suffix>`), e.g.
    /// "billing-sync/2.3", so that the server's logs tell the calling service apart. Default:
    /// none. No control character (CR, LF, NUL, ...).
    std::string user_agent_suffix{};
    /// Headers added to every request, in this order, after the client's own (e.g. a
    /// tracing tag a gateway or proxy in front of the API expects). A name must be an HTTP
    /// token (letters, digits, ``!#$%&'*+-.^_`|~``); a value must have no control character.
    /// A header the client sets or that frames the message is refused, in any case: Host,
    /// User-Agent (see `user_agent_suffix`), Accept, Accept-Encoding, Authorization,
    /// X-Auth-Token, X-Sdk-Date, X-Security-Token, X-Project-Id, Content-Length,
    /// Transfer-Encoding, Connection, Keep-Alive, Proxy-Connection, TE, Trailer, Upgrade,
    /// Expect. They are not signed (AK/SK signing covers `host`, `x-project-id`, `x-sdk-date`
    /// and `x-security-token`, as the API documents), so something on the path can change
    /// them without breaking the signature. A value is sent as is: keep secrets out of it
    /// (unlike the credentials, it is not redacted from error messages a server echoes).
    /// Default: none.
    std::vector<std::pair<std::string, std::string>> extra_headers{};
};

}  // namespace apig
