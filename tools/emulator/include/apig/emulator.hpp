#pragma once

// apig's emulator of the ListInstancesV2 API: a real HTTPS server (Beast, OpenSSL) serving
// GET /v2/{project_id}/apigw/instances from a deterministic, seeded dataset. Tests and the
// CLI's --demo run it in-process; tools/emulator/main.cpp wraps it as `apig-emulator`.
//
// For tests of credential discovery end to end it also plays the other side: IAM's
// KeystoneListProjects on the same HTTPS server (options::iam_projects), and, when enabled,
// the ECS metadata service and the CCE pod identity agent on a plain-HTTP listener of their
// own (options::metadata), whose temporary keys the HTTPS side accepts until they expire.
//
// In a user's own tests (CMake: find_package(apig CONFIG REQUIRED COMPONENTS emulator), then
// link apig::emulator beside apig::apig), an emulator on a free port with a fault:
//
//     apig::emulator::options o;              // port 0: a free port; 100 instances
//     o.faults.fail_first_per_page = 1;       // each page's first request gets a 500
//     apig::emulator::server emu(o);          // serving once constructed
//     apig::client_options c;
//     c.endpoint = emu.endpoint();            // https://127.0.0.1:<port>
//     c.project_id = o.project_ids.front();
//     c.credentials = apig::token_credentials{o.token};
//     c.tls.ca_pem = emu.ca_pem();            // trust its throwaway CA; verification stays on
//     // ... list with apig::client, then check emu.requests(), emu.ids() ...
//
// The server runs on its own threads (options::threads), not on the caller's io_context, so
// a test may block on its own io_context.run() while the emulator answers. Every member
// function of `server` is thread-safe. Destroying the server (or stop()) closes every
// connection at once: a client still talking to it sees its connections fail.
//
// It is a test fixture, not a server to expose: it binds 127.0.0.1 by default, and it keeps
// every request in memory (server::requests()) unless options::record_requests is off (as
// the apig-emulator executable turns it off, to stay bounded under load).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace apig::emulator {

/// PEM-encoded TLS material.
struct tls_material {
    std::string ca_cert_pem{};      ///< the CA clients must trust
    std::string server_cert_pem{};  ///< the server's certificate (signed by the CA)
    std::string server_key_pem{};   ///< the server's private key
};

/// What goes into a generated server certificate.
struct cert_options {
    /// subjectAltName DNS entries. Default: localhost.
    std::vector<std::string> dns_names{"localhost"};
    /// subjectAltName IP entries. Default: 127.0.0.1 and ::1.
    std::vector<std::string> ip_addresses{"127.0.0.1", "::1"};
    /// Validity window relative to now (not_before = now + not_before_offset).
    std::chrono::seconds not_before_offset = std::chrono::hours(-1);
    std::chrono::seconds validity = std::chrono::hours(24 * 7);
    /// The server certificate signs itself (issuer == subject, no CA behind it), and
    /// `tls_material::ca_cert_pem` is that certificate: for tests of clients that must refuse
    /// a self-signed certificate. Default: false (a throwaway CA signs it).
    bool self_signed = false;
    /// Put `dns_names` and `ip_addresses` in a subjectAltName extension. false: no
    /// subjectAltName at all, the name only in the subject's CN (the first DNS name, else the
    /// first IP address), for tests of clients that must refuse such a certificate (RFC 6125:
    /// a CN is not checked when no subjectAltName is present in modern clients either).
    /// Default: true.
    bool subject_alt_name = true;
};

/// Makes a throwaway CA and a server certificate signed by it (EC P-256, SHA-256), with
/// OpenSSL. Throws std::runtime_error if OpenSSL fails.
tls_material make_tls_material(cert_options const& opts = {});

/// An AK/SK pair the emulator accepts for SDK-HMAC-SHA256 signed requests (options::access_keys,
/// server::set_access_keys). With a non-empty security_token the key is a temporary one: its
/// requests must carry exactly that `X-Security-Token` header, and sign it.
struct access_key {
    std::string ak{};  ///< non-empty visible ASCII without ',' (what an Authorization can carry)
    std::string sk{};  ///< non-empty; never logged, recorded or returned
    std::string security_token{};  ///< no control characters
};

/// Faults injected into requests that would otherwise succeed, for tests of clients' retry
/// loops, timeouts and connection pools (options::faults, server::set_faults). The default
/// injects nothing.
///
/// Where faults stand: routing (404, 405), authentication (401), server::fail_next, the
/// project checks (403: X-Project-Id, then the project) and the query check (400) come
/// first; faults apply only to authenticated GETs on the instances path that would
/// otherwise be answered 200 (so a fault always replaces a page). close_after_requests is
/// the exception: it counts every request on a connection.
///
/// Order, per eligible request:
///  1. fail_first_per_page: the first K requests for each (project, offset, limit) —
///     offset and limit after clamping, filters ignored — get fail_first_status;
///  2. six independent uniform draws from the connection's RNG, always all six and always
///     in this order: 500, 503, reset, truncate, malformed, jitter. The first of
///     500 / 503 / reset / truncate / malformed whose draw is below its probability wins
///     (so e.g. 503's effective rate is (1 - probability_500) * probability_503), unless
///     step 1 already chose a fault;
///  3. the wait: delay + (jitter draw) * delay_jitter, rounded down to whole milliseconds
///     (uniform in [delay, delay + delay_jitter]), before anything is written, whatever
///     the fault;
///  4. after the response is written, close_after_requests.
///
/// Reproducibility: each connection has its own RNG, seeded from (seed, connection id) and
/// reseeded by set_faults; the same seed, the same connection ids and the same eligible
/// requests in the same order on each connection give the same faults.
struct fault_options {
    /// 500 {"error_code":"APIC.9000","error_msg":"Failed to request internal service"}.
    double probability_500 = 0.0;
    /// 503 APIG.1009 with `Retry-After: <retry_after_seconds>`.
    double probability_503 = 0.0;
    /// Retry-After of injected 503s (probability_503 and fail_first_status 503; not
    /// fail_next). Default 1.
    unsigned retry_after_seconds = 1;
    /// The status line, headers and the first half (rounded down) of the page's body are
    /// written, then the TCP connection is reset (SO_LINGER {1, 0}, close; no close_notify).
    double probability_reset = 0.0;
    /// 200 with the full Content-Length but only the first half (rounded down) of the body,
    /// then a clean close (TLS close_notify, then TCP close).
    double probability_truncate = 0.0;
    /// 200 with a correct Content-Length whose body is the page with the `]` closing the
    /// "instances" array left out: `{"total":N,"size":M,"instances":[...}` (always invalid
    /// JSON, even for an empty page). The connection stays open.
    double probability_malformed_json = 0.0;
    /// Fixed wait before answering (a timer: the server's threads never block).
    std::chrono::milliseconds delay{0};
    /// Uniform random extra wait, 0..delay_jitter (inclusive).
    std::chrono::milliseconds delay_jitter{0};
    /// After the K-th response on a connection has been written, close the connection
    /// (close_notify, then TCP close) although that response said `Connection: keep-alive`,
    /// like a server dropping idle keep-alive connections. Counts every request on the
    /// connection (errors too). 0 = off. Unlike options::max_requests_per_connection, which
    /// announces the close with `Connection: close`.
    std::size_t close_after_requests = 0;
    /// The first K eligible requests for each distinct (project, offset, limit) get
    /// fail_first_status; later ones are answered normally. Counted across connections;
    /// set_faults resets the counts. 0 = off.
    std::size_t fail_first_per_page = 0;
    /// 400..599. 500 -> APIC.9000, 503 -> APIG.1009 with Retry-After, 429, 502, 504 ->
    /// their APIG codes, others APIG.9999.
    unsigned fail_first_status = 500;
    /// Seed of the fault RNG (independent of options::seed, the dataset's).
    std::uint64_t seed = 0;
};

/// The fault a request was answered with (recorded_request::fault).
enum class fault_kind : std::uint8_t {
    none,
    status_500,    ///< fault_options::probability_500
    status_503,    ///< fault_options::probability_503
    reset,         ///< fault_options::probability_reset
    truncate,      ///< fault_options::probability_truncate
    malformed,     ///< fault_options::probability_malformed_json
    fail_first,    ///< fault_options::fail_first_per_page
    fail_next,     ///< server::fail_next
    closed_after,  ///< a normal response after which close_after_requests closed the
                   ///< connection (a response with another fault keeps that fault's kind)
};

/// "none", "status_500", ... (the enumerator's name).
std::string_view to_string(fault_kind f) noexcept;

/// Where mutation_options inserts and deletes instances.
enum class mutation_position : std::uint8_t {
    front,   ///< at offset 0 (the default)
    random,  ///< each one at a uniformly random offset, drawn from mutation_options::seed
    back,    ///< at the end
};

/// "front", "random", "back".
std::string_view to_string(mutation_position p) noexcept;

/// A list that changes while clients walk it (options::mutation, server::set_mutation), for
/// tests of offset paging's consistency. The default changes nothing.
///
/// When: after every request of a project answered 200 (a page, filtered or not, and also
/// a page that a fault then resets, truncates or malforms), that project's list loses
/// delete_per_request instances (fewer if it has fewer; never below empty), then gains
/// insert_per_request new ones. Errors (401, 403, 400, fail_next, injected 5xx) change
/// nothing. The page answered is the list as it was before; the change is made before the
/// response is written, so a client holding the response sees it in server::ids().
/// Serving a page and changing the list is one step under the list's lock: concurrent
/// requests each see one consistent list, and each request's change follows its page.
///
/// What a sequential offset walk (offset += limit) then sees, with position front:
///  - deletions shift later instances to LOWER offsets: the walk SKIPS
///    delete_per_request instances per page (it never repeats one), and `total` falls;
///  - insertions shift instances to HIGHER offsets: the walk REPEATS insert_per_request
///    instances per page (the last ones of the previous page), `total` grows, and the new
///    instances (behind the walk) are never seen.
/// A walk with several pages in flight can also see duplicates from deletions (a later
/// offset answered before an earlier one). With position back a walk sees neither repeats
/// nor skips, only `total` changing (and, for insertions, the new instances at the end).
///
/// New instances come from the dataset's generator: the k-th instance ever inserted into a
/// project (k = 0, 1, ...) is the instance at index instance_count + k of a longer dataset
/// with the same seed, so its id is unique over the server's life (a deleted id never comes
/// back) and runs with the same options and requests insert the same instances.
/// Once a project's list has changed it is served from a slower representation (pages are
/// copied, O(page size); front and random changes cost O(list size)); a server that never
/// mutates keeps the zero-copy path.
struct mutation_options {
    std::size_t insert_per_request = 0;
    std::size_t delete_per_request = 0;
    mutation_position position = mutation_position::front;
    /// Seed of the random positions (each project has its own stream, from this seed and the
    /// project's index; set_mutation restarts the streams). Unused for front and back.
    std::uint64_t seed = 0;
};

/// What mutation has done to one project's list so far (server::mutations).
struct mutation_stats {
    std::uint64_t inserted = 0;  ///< instances inserted
    std::uint64_t deleted = 0;   ///< instances deleted
    std::uint64_t requests = 0;  ///< 200 answers after which the list changed
};

/// A project IAM lists (options::iam_projects): what KeystoneListProjects answers.
struct iam_project {
    std::string id{};    ///< the project id (any text; JSON-escaped in the answer)
    std::string name{};  ///< the region name, e.g. "cn-north-4" (real IAM also has sub-projects
                         ///< such as "cn-north-4_sub": a different name, never a match)
};

/// How the metadata service treats session tokens (metadata_options::token_mode).
enum class metadata_token_mode : std::uint8_t {
    /// `PUT /meta-data/latest/api/token` issues tokens, and `GET /openstack/latest/securitykey`
    /// needs a valid one in `X-Metadata-Token` (missing, unknown or expired: 401).
    required,
    /// Tokens are issued; securitykey works without one, but a token that is sent must be
    /// valid (unknown or expired: 401).
    optional,
    /// The token PUT answers 404 (a service without tokens); securitykey ignores
    /// X-Metadata-Token.
    unsupported_404,
    /// The token PUT answers 405; securitykey ignores X-Metadata-Token.
    unsupported_405,
};

/// "required", "optional", "unsupported_404", "unsupported_405".
std::string_view to_string(metadata_token_mode m) noexcept;

/// The ECS metadata service (IMDS) and the CCE pod identity agent, on one plain-HTTP listener
/// of their own (options::metadata; server::metadata_endpoint()), as the official SDKs call
/// them. Every key they issue is a new temporary key (random AK of 20 uppercase letters and
/// digits, SK of 40 characters, security token of 128) that the HTTPS side (APIG and IAM)
/// accepts, signed with its X-Security-Token, while `clock()` is before its expiry; after
/// that a signed request gets 401 APIGW.0301 "Incorrect IAM authentication information: the
/// security token has expired" (IAM: its 401 body), recorded as auth_failure "key_expired".
/// Issued keys live beside options::access_keys (set_access_keys leaves them alone); the
/// server forgets a key 10 minutes after it expired, and keeps at most 10000 (the oldest
/// issued go first).
///
/// Endpoints (any other path: 404; a known path with another method: 405 with Allow):
///  - `PUT /meta-data/latest/api/token` with `X-Metadata-Token-Ttl-Seconds: <1..21600>`
///    (decimal): 200, text/plain body = a new session token (64 hex digits) valid for that
///    many seconds of `clock()`. A missing, repeated or bad TTL: 400. token_mode
///    unsupported_404 / unsupported_405: 404 / 405 instead, whatever the headers.
///  - `GET /openstack/latest/securitykey` (with `X-Metadata-Token` as token_mode says; 401
///    otherwise): 200 `{"credential":{"access":..,"secret":..,"securitytoken":..,
///    "expires_at":"2026-12-02T13:50:07.574000Z"}}` (expires_at = clock() + key_lifetime,
///    UTC, 6 fraction digits). With agency_configured false: 401 whose body contains
///    "Please configure Cloud Service Agency first" (after the token check).
///  - `POST /v1/credentials` with `Authorization: <pod_token>` (exactly) and a JSON object
///    body (e.g. `{}`): 200 `{"credentials":{"accessKeyId":..,"secretAccessKey":..,
///    "securityToken":..,"expiration":..},"assumedAgency":{"urn":"","id":""},"audience":"",
///    "podIdentityAssociationId":"","subject":{"namespace":"","serviceAccount":""}}`;
///    a missing or wrong Authorization: 401 `{"error_code":"CCE.01400001","error_msg":
///    "invalid token"}`; a body that is not a JSON object: 400 CCE.01400002.
/// Order: route (404, 405), server::metadata_fail_next, then the endpoint's own checks. Every
/// answer waits `delay` first (a timer: the server's threads never block). Connections are
/// kept alive as HTTP/1.1 asks, closed after options::idle_timeout idle.
struct metadata_options {
    /// Serve the metadata listener. Default false (then server::metadata_endpoint() throws).
    bool enabled = false;
    /// Port to bind on 127.0.0.1; 0 picks a free one (server::metadata_port()). Default 0.
    std::uint16_t port = 0;
    /// Default: required.
    metadata_token_mode token_mode = metadata_token_mode::required;
    /// false: securitykey answers 401 "Please configure Cloud Service Agency first" (the
    /// official SDKs then do not renew their session token). The pod agent is unaffected.
    /// Default true.
    bool agency_configured = true;
    /// Lifetime of each issued key. Default 1 hour. The constructor throws
    /// std::invalid_argument for a lifetime that is not positive.
    std::chrono::seconds key_lifetime = std::chrono::hours(1);
    /// Wait before every metadata answer (server::set_metadata_delay changes it). Default 0.
    /// The constructor throws std::invalid_argument for a negative delay.
    std::chrono::milliseconds delay{0};
    /// The pod agent's Authorization token. Default "emulator-pod-token-0123456789". Never
    /// recorded or logged. The constructor throws std::invalid_argument if it is empty or
    /// has a control character.
    std::string pod_token = "emulator-pod-token-0123456789";
};

/// One metadata-listener request as the emulator saw it (server::metadata_requests()). Never
/// holds a secret: no session token, authorization or issued key.
struct metadata_request {
    std::chrono::steady_clock::time_point at{};
    std::uint64_t connection_id = 0;  ///< 1, 2, ... per metadata connection accepted
    std::string method{};
    std::string target{};   ///< raw request target as received
    unsigned status = 0;    ///< status answered
    bool had_token = false;          ///< an X-Metadata-Token header was present
    bool had_authorization = false;  ///< an Authorization header was present
    bool issued_key = false;         ///< the answer issued a new temporary key
};

struct options {
    /// Address to bind. Default 127.0.0.1.
    std::string address = "127.0.0.1";
    /// Port to bind; 0 picks a free one (read it back with server::port()).
    std::uint16_t port = 0;
    /// Projects served, each with its own dataset; any other project id gets 403 APIC.7106.
    /// So does a request (token or AK/SK) whose X-Project-Id header, when present, is not
    /// exactly the path's decoded project id (checked after authentication and fail_next).
    std::vector<std::string> project_ids{"73d69ae0cfcf460190522d06b60f05ad"};
    /// The only accepted X-Auth-Token; a missing or different one gets 401 APIC.7102.
    /// Token authentication applies to requests WITHOUT an Authorization header.
    std::string token = "emulator-token";
    /// Keys accepted for AK/SK signing (SDK-HMAC-SHA256). A request with an Authorization
    /// header is authenticated by it alone (any X-Auth-Token is then ignored):
    ///  - the header must be exactly `SDK-HMAC-SHA256 Access=<AK>, SignedHeaders=<list>,
    ///    Signature=<64 lowercase hex>`, the list lowercase, sorted, without repeats;
    ///  - the AK must be one of these keys;
    ///  - the list must include `host` and `x-sdk-date` (and `x-security-token` for a key
    ///    with a security token), and every listed header must be present;
    ///  - X-Sdk-Date (once, UTC `YYYYMMDDTHHMMSSZ`) within 15 minutes of `clock()`, either
    ///    way (exactly 15 minutes passes);
    ///  - X-Security-Token: exactly the key's token for a key with one; absent otherwise;
    ///  - the signature, recomputed from the request as received (method, raw target, the
    ///    listed headers, the body), must match (constant-time comparison).
    /// Failures get 401 APIGW.0301. The message is the gateway's "Incorrect IAM authentication
    /// information: verify aksk signature fail" for every failure except the date, which says
    /// "Incorrect IAM authentication information: x-sdk-date is missing or malformed" or
    /// "Incorrect IAM authentication information: signature expired, x-sdk-date is more than
    /// 15 minutes from the server time, signature time:<X-Sdk-Date>,server time:<now>".
    /// Default: none (every signed request gets 401). The constructor throws
    /// std::invalid_argument for keys set_access_keys would reject.
    std::vector<access_key> access_keys{};
    /// The server's clock for X-Sdk-Date checks, and for the metadata listener's session
    /// tokens and issued keys (their expiry); called on the server's threads, so it must be
    /// thread-safe. An empty function means the system clock.
    std::function<std::chrono::system_clock::time_point()> clock =
        [] { return std::chrono::system_clock::now(); };
    /// Instances per project.
    std::size_t instance_count = 100;
    /// Seed of the dataset; the same seed gives the same instances.
    std::uint64_t seed = 1;
    /// TLS material; when empty, make_tls_material(cert) is used.
    std::optional<tls_material> tls{};
    cert_options cert{};
    /// The highest TLS version the server accepts: 0x0303 (TLS 1.2) or 0x0304 (TLS 1.3), to
    /// test TLS 1.2 session resumption. The constructor throws std::invalid_argument for
    /// another value. Default TLS 1.3. (Sessions are resumable either way: TLS 1.3 tickets;
    /// TLS 1.2 session tickets or ids, from the server's session cache.)
    int max_tls_version = 0x0304;
    /// Issue session tickets. False: none (SSL_OP_NO_TICKET), so TLS 1.2 clients resume by
    /// session id from the server's session cache (and TLS 1.3 ones by OpenSSL's stateful
    /// tickets): the path a server without ticket keys offers. Default true.
    bool session_tickets = true;
    /// Threads running the server. Default 1.
    std::size_t threads = 1;

    // ---- knobs for tests of clients' edge cases (defaults behave like a normal server) ----

    /// A connection idle this long between requests (or this slow sending one, or in the TLS
    /// handshake) is closed without a response. Short values let tests exercise a client
    /// reusing a connection the server has already closed. Default 60 s.
    std::chrono::milliseconds idle_timeout = std::chrono::seconds(60);
    /// After this many requests on one connection the server answers with
    /// `Connection: close` and closes it; 0 means no limit. Default 0.
    std::size_t max_requests_per_connection = 0;
    /// Wait this long before answering each request, whatever its status (see also
    /// server::set_response_delay). Adds to fault_options::delay. Default 0.
    std::chrono::milliseconds response_delay{0};
    /// Injected faults (see fault_options; server::set_faults changes them later). The
    /// constructor throws std::invalid_argument if they are out of range.
    fault_options faults{};
    /// A list changing between requests (see mutation_options; server::set_mutation
    /// changes it later). Default: off.
    mutation_options mutation{};
    /// Keep every request for server::requests(). A long-running emulator under load (the
    /// executable) turns this off so memory stays bounded (server::metadata_requests() too).
    /// Default true.
    bool record_requests = true;

    // ---- the other side of credential discovery ----

    /// Projects IAM lists on the HTTPS server: `GET /v3/projects[?name=<region>]`
    /// (KeystoneListProjects, as the official SDKs call it to find a region's project).
    /// Authenticated exactly as the APIG path is (AK/SK signing over the method, path and
    /// query, with options::access_keys or a key the metadata listener issued; or an
    /// X-Auth-Token equal to options::token), but no X-Project-Id is needed (one that is
    /// sent is only signed, never compared). Answer 200 with `X-IAM-Trace-Id` and
    /// `X-Request-Id` headers and `{"projects":[{"id","name","domain_id","enabled":true,
    /// "description":"","parent_id","is_domain":false,"links":{"self"}}...],"links":{"self",
    /// "previous":null,"next":null}}`: the projects whose name equals the first `name`
    /// parameter exactly (percent-decoded; so "cn-north-4_sub" never matches "cn-north-4"),
    /// in this order, duplicates kept (several projects may share a region, to test
    /// ambiguity); every project without `name`. A failed authentication: 401
    /// `{"error":{"code":401,"message":"The request you have made requires authentication.",
    /// "title":"Unauthorized"}}`; another method: 405; server::iam_fail_next: its status
    /// with that body shape. IAM requests are recorded in server::requests() (project_id "",
    /// offset and limit -1; the target tells them apart), count in requests_served(), wait
    /// response_delay, and get no faults, fail_next or mutation (those are APIG's).
    /// Default (empty): one project per entry of project_ids, each named "cn-north-4", so a
    /// default emulator discovers cn-north-4 -> project_ids.front() only if it has one
    /// project; to list no project for a region, name the projects after other regions.
    std::vector<iam_project> iam_projects{};
    /// The metadata service and pod identity agent (see metadata_options). Default: off.
    metadata_options metadata{};
};

/// How a request was authenticated (recorded_request::auth).
enum class auth_kind : std::uint8_t {
    none,   ///< neither header, or answered before authentication (400, 404, 405)
    token,  ///< X-Auth-Token (and no Authorization header)
    aksk,   ///< an Authorization header (AK/SK signing), whatever its scheme
};

/// "none", "token", "aksk".
std::string_view to_string(auth_kind a) noexcept;

/// One request as the emulator saw it (kept for tests). Never holds a secret: no token,
/// signature, security token or SK.
struct recorded_request {
    std::chrono::steady_clock::time_point at{};
    std::uint64_t connection_id = 0;  ///< 1 for the first accepted connection, then 2, ...
    std::string method{};
    std::string target{};               ///< raw request target as received
    std::string project_id{};  ///< the decoded project-id path segment ("" if no match, and
                               ///< for IAM's /v3/projects)
    unsigned status = 0;              ///< status answered
    std::string user_agent{};
    std::string accept{};
    bool had_token = false;           ///< an X-Auth-Token header was present (value not kept)
    auth_kind auth = auth_kind::none;  ///< the scheme the request was judged by
    /// aksk: the AK of the Authorization header (known or not; "" if it did not parse).
    std::string access_key{};
    /// Why authentication failed ("" if it passed or was not attempted): for aksk the
    /// verifier's reason ("malformed_authorization", "unknown_access_key",
    /// "missing_signed_header", "bad_date", "date_out_of_range", "security_token_mismatch",
    /// "signature_mismatch", and "key_expired" for a key the metadata listener issued whose
    /// expiry has passed); for tokens "missing_token" or "bad_token".
    std::string auth_failure{};
    fault_kind fault = fault_kind::none;  ///< the fault injected into the answer
    /// The paging parameters as served (after clamping: offset >= 0, 1 <= limit <= 500);
    /// -1 when the request was answered before the query was read (404, 405, 401,
    /// fail_next, 403, and 400 for a bad target).
    std::int64_t offset = -1;
    std::int64_t limit = -1;
};

class server {
public:
    /// Builds the dataset and TLS context, binds and starts serving. Throws on failure.
    explicit server(options opts = {});
    /// Stops and joins the server's threads; open connections are closed.
    ~server();
    server(server const&) = delete;
    server& operator=(server const&) = delete;

    std::uint16_t port() const noexcept;
    /// `https://127.0.0.1:<port>`: the bound address (IPv6 in brackets); a wildcard address
    /// (0.0.0.0, ::) gives the loopback address of its family.
    std::string endpoint() const;
    /// The CA certificate clients must trust (PEM).
    std::string const& ca_pem() const noexcept;
    /// Writes ca_pem() to a file. Throws std::runtime_error on failure.
    void write_ca_pem(std::string const& path) const;

    /// Connections accepted and requests answered so far (since reset_stats()). A request
    /// counts as answered (and is recorded) as soon as its answer is decided: before any
    /// delay and before the write.
    std::size_t connections_accepted() const;
    std::size_t requests_served() const;
    /// TLS handshakes completed, and of those, the ones that resumed a session (the client
    /// offered a ticket or session id the server accepted), since reset_stats().
    std::size_t handshakes() const;
    std::size_t resumed_handshakes() const;
    /// Every request answered so far, in order.
    std::vector<recorded_request> requests() const;

    /// Requests in flight: read completely and not yet written — being handled or waiting
    /// in a delay. A request leaves just before its response is written, so once a client
    /// has a response, that request no longer counts. max_in_flight(): the high-water mark.
    std::size_t in_flight() const;
    std::size_t max_in_flight() const;
    /// Connections open: accepted (counted from accept, before the TLS handshake) and not
    /// yet closed by either side as far as the server knows (it learns of a client's close
    /// on its next read, which is immediate for an idle connection). A connection leaves
    /// when the server starts closing it. max_connections_open(): the high-water mark.
    std::size_t connections_open() const;
    std::size_t max_connections_open() const;
    /// Zeroes connections_accepted(), requests_served(), handshakes() and
    /// resumed_handshakes(), clears requests(), and sets
    /// the high-water marks to the current values. Connection ids keep counting; faults
    /// (and fail_first counts) are untouched.
    void reset_stats();

    /// The next `count` requests (after authentication) are answered with `status` and an
    /// API error body (500 -> APIC.9000 "Failed to request internal service"; no
    /// Retry-After). Takes precedence over fault_options.
    void fail_next(std::size_t count, unsigned status = 500);

    /// Replaces options::access_keys for requests authenticated from now on. Throws
    /// std::invalid_argument (naming the index, never a secret) for an AK that is empty, has
    /// a character other than visible ASCII or a ',', or is repeated; an empty SK; or a
    /// security token with a control character.
    void set_access_keys(std::vector<access_key> keys);

    /// Changes options::response_delay for requests answered from now on.
    void set_response_delay(std::chrono::milliseconds delay);

    /// Replaces the faults for requests read from now on (a request already being answered
    /// keeps the ones it started with); reseeds every connection's RNG and resets the
    /// fail_first counts. Throws std::invalid_argument if a probability is not in [0, 1],
    /// fail_first_status is not in 400..599, or a delay is negative.
    void set_faults(fault_options const& faults);
    fault_options faults() const;

    /// Replaces the mutation options for requests answered from now on and restarts the
    /// random-position streams from the new seed. The lists stay as they are (turning
    /// mutation off freezes them; it does not restore the dataset), and so do the counters
    /// and the sequence of new ids. Throws std::invalid_argument for a position that is not
    /// an enumerator (the constructor too, for options::mutation).
    void set_mutation(mutation_options const& mutation);
    mutation_options mutation() const;
    /// What mutation has done to a project's list (default: the first) since the start
    /// (reset_stats() leaves it alone). Throws std::out_of_range for a bad index.
    mutation_stats mutations(std::size_t project_index = 0) const;

    /// A project's list (default: the first) as the emulator serves it NOW: each instance's
    /// JSON text, in list order. Without mutation that is the dataset; with mutation, the
    /// current list after every change made so far (a consistent snapshot). Throws
    /// std::out_of_range for a bad index.
    std::vector<std::string> instances_json(std::size_t project_index = 0) const;
    /// The instance ids of a project's current list, in list order (same rules).
    std::vector<std::string> ids(std::size_t project_index = 0) const;

    // ---- IAM and the metadata listener (options::iam_projects, options::metadata) ----

    /// The next `count` IAM requests (after authentication) are answered with `status`
    /// (400..599) and an IAM error body. Independent of fail_next. Throws
    /// std::invalid_argument for another status.
    void iam_fail_next(std::size_t count, unsigned status = 500);

    /// `http://127.0.0.1:<port>` of the metadata listener. Throws std::logic_error when
    /// options::metadata.enabled is false.
    std::string metadata_endpoint() const;
    /// The metadata listener's port; 0 when it is disabled.
    std::uint16_t metadata_port() const noexcept;
    /// Every metadata-listener request answered so far, in order (when
    /// options::record_requests; reset_stats() clears them).
    std::vector<metadata_request> metadata_requests() const;
    /// Temporary keys issued so far (securitykey and pod credentials answered 200), since the
    /// start (reset_stats() leaves it alone).
    std::size_t issued_keys() const;
    /// The next `count` metadata-listener requests (after routing) are answered with
    /// `status` (400..599) and a JSON body `{"error_code":"EMULATOR.FAIL_NEXT","error_msg":
    /// "injected failure"}`. Throws std::invalid_argument for another status.
    void metadata_fail_next(std::size_t count, unsigned status = 500);
    /// Makes every session token issued so far invalid: a client's next securitykey with
    /// one gets 401 and must renew its token. Issued keys stay valid.
    void expire_session_tokens();
    /// Changes metadata_options::delay for metadata requests answered from now on. Throws
    /// std::invalid_argument for a negative delay.
    void set_metadata_delay(std::chrono::milliseconds delay);

    /// Stops serving: closes the listening sockets (the metadata listener's too) and every
    /// open connection (abruptly, even mid-request) and joins the server's threads.
    /// Idempotent; the destructor calls it. Other members keep working afterwards (counters, requests(), the dataset).
    void stop();

private:
    struct impl;
    std::unique_ptr<impl> impl_{};
};

}  // namespace apig::emulator
