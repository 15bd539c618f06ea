// The other side of credential discovery: IAM's KeystoneListProjects on the HTTPS server, the
// ECS metadata service and the CCE pod identity agent on the plain-HTTP metadata listener, and
// the temporary keys they issue, accepted by APIG (and IAM) until they expire. Real sockets on
// 127.0.0.1; the server's clock is an adjustable one, so expiry needs no sleeping.

#include "support.hpp"
#include "aksk_support.hpp"
#include "metadata.hpp"

#include <boost/beast/core/tcp_stream.hpp>

#include <atomic>
#include <stdexcept>

using namespace emulator_test;

namespace {

// The server's clock: fixed_now() plus an offset the test moves.
struct adjustable_clock {
    std::shared_ptr<std::atomic<std::int64_t>> offset_s =
        std::make_shared<std::atomic<std::int64_t>>(0);
    std::function<sys_clock::time_point()> fn() const {
        return [o = offset_s] { return fixed_now() + std::chrono::seconds(o->load()); };
    }
    sys_clock::time_point now() const { return fixed_now() + std::chrono::seconds(offset_s->load()); }
    void advance(std::chrono::seconds s) { offset_s->fetch_add(s.count()); }
};

using response = http::response<http::string_body>;

// A blocking plain-HTTP client on one keep-alive connection to the metadata listener.
struct plain_client {
    asio::io_context ioc;
    asio::ip::tcp::socket socket{ioc};
    boost::beast::flat_buffer buffer;

    explicit plain_client(emu::server const& srv) {
        socket.connect({asio::ip::make_address("127.0.0.1"), srv.metadata_port()});
    }
    response send(http::verb method, std::string const& target,
                  apig::auth::header_list const& headers = {}, std::string body = {}) {
        http::request<http::string_body> req{method, target, 11};
        req.set(http::field::host, "127.0.0.1");
        for (auto const& h : headers) req.insert(h.first, h.second);
        req.body() = std::move(body);
        req.prepare_payload();
        http::write(socket, req);
        response res;
        http::read(socket, buffer, res);
        return res;
    }
    response put_token(std::string const& ttl = "21600") {
        return send(http::verb::put, "/meta-data/latest/api/token",
                    {{"X-Metadata-Token-Ttl-Seconds", ttl}});
    }
    response securitykey(std::string const& token = "") {
        apig::auth::header_list h;
        if (!token.empty()) h.emplace_back("X-Metadata-Token", token);
        return send(http::verb::get, "/openstack/latest/securitykey", h);
    }
    response pod(std::string const& authorization, std::string body = "{}") {
        apig::auth::header_list h{{"Content-Type", "application/json; charset=utf-8"}};
        if (!authorization.empty()) h.emplace_back("Authorization", authorization);
        return send(http::verb::post, "/v1/credentials", h, std::move(body));
    }
};

struct key {
    std::string ak, sk, token, expires;
};

key credential_of(response const& res) {
    auto const c = json::parse(res.body()).at("credential").as_object();
    return {std::string(c.at("access").as_string()), std::string(c.at("secret").as_string()),
            std::string(c.at("securitytoken").as_string()),
            std::string(c.at("expires_at").as_string())};
}

key pod_credentials_of(response const& res) {
    auto const c = json::parse(res.body()).at("credentials").as_object();
    return {std::string(c.at("accessKeyId").as_string()),
            std::string(c.at("secretAccessKey").as_string()),
            std::string(c.at("securityToken").as_string()),
            std::string(c.at("expiration").as_string())};
}

emu::options metadata_options(adjustable_clock const& clock,
                              emu::metadata_token_mode mode = emu::metadata_token_mode::required) {
    auto o = aksk_options();
    o.clock = clock.fn();
    o.metadata.enabled = true;
    o.metadata.token_mode = mode;
    return o;
}

// A signed APIG page request with a key, dated by the server's clock.
response apig_with(test_client& c, key const& k, sys_clock::time_point at) {
    return c.get_with(page("?limit=1"), signed_get(page("?limit=1"), at, k.ak, k.sk, k.token));
}

// A signed IAM request (no X-Project-Id, as the SDKs send it).
apig::auth::header_list iam_signed(std::string const& target, sys_clock::time_point at,
                                   std::string const& ak = test_ak,
                                   std::string const& sk = test_sk,
                                   std::string const& token = "") {
    return apig::auth::sign_request("GET", target, "localhost", at, "", token, ak, sk);
}

std::vector<std::string> project_ids_of(response const& res) {
    std::vector<std::string> out;
    json::value const body = json::parse(res.body());
    for (auto const& p : body.at("projects").as_array())
        out.emplace_back(p.at("id").as_string());
    return out;
}

void check_iam_401(response const& res) {
    CHECK(res.result_int() == 401);
    auto const e = json::parse(res.body()).at("error").as_object();
    CHECK(e.at("code").as_int64() == 401);
    CHECK(e.at("message").as_string() == "The request you have made requires authentication.");
    CHECK(e.at("title").as_string() == "Unauthorized");
}

bool upper_alnum(std::string const& s) {
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    });
}

}  // namespace

// ---- IAM ----------------------------------------------------------------------------------

TEST_CASE("iam: a signed KeystoneListProjects lists exactly the region's projects") {
    auto o = aksk_options();
    o.iam_projects = {{"p-north", "cn-north-4"},
                      {"p-sub", "cn-north-4_sub"},
                      {"p-west-a", "eu-west-0"},
                      {"p-west-b", "eu-west-0"}};
    emu::server srv(o);
    test_client c(srv);

    auto list = [&](std::string const& target) {
        auto res = c.get_with(target, iam_signed(target, fixed_now()));
        REQUIRE(res.result_int() == 200);
        return res;
    };
    auto const one = list("/v3/projects?name=cn-north-4");
    CHECK(project_ids_of(one) == std::vector<std::string>{"p-north"});
    CHECK(project_ids_of(list("/v3/projects?name=eu-west-0")) ==
          std::vector<std::string>{"p-west-a", "p-west-b"});
    CHECK(project_ids_of(list("/v3/projects?name=ap-southeast-1")).empty());
    CHECK(project_ids_of(list("/v3/projects?name=cn-north-4_sub")) ==
          std::vector<std::string>{"p-sub"});
    CHECK(project_ids_of(list("/v3/projects")).size() == 4);

    // The body's shape and the headers.
    auto const body = json::parse(one.body()).as_object();
    auto const p = body.at("projects").as_array().at(0).as_object();
    CHECK(p.at("name").as_string() == "cn-north-4");
    CHECK(p.at("enabled").as_bool());
    CHECK_FALSE(p.at("is_domain").as_bool());
    CHECK(p.at("description").as_string().empty());
    CHECK(p.at("domain_id").as_string().size() == 32);
    CHECK(p.at("parent_id").as_string() == p.at("domain_id").as_string());
    CHECK(p.at("links").at("self").as_string() == srv.endpoint() + "/v3/projects/p-north");
    CHECK(body.at("links").at("self").as_string() ==
          srv.endpoint() + "/v3/projects?name=cn-north-4");
    CHECK(body.at("links").at("previous").is_null());
    CHECK(body.at("links").at("next").is_null());
    CHECK(one["X-IAM-Trace-Id"].size() == 32);
    CHECK(one["X-Request-Id"].size() == 32);

    auto const reqs = srv.requests();
    REQUIRE(reqs.size() == 5);
    CHECK(reqs[0].target == "/v3/projects?name=cn-north-4");
    CHECK(reqs[0].project_id.empty());
    CHECK(reqs[0].auth == emu::auth_kind::aksk);
    CHECK(reqs[0].access_key == test_ak);
    CHECK(reqs[0].status == 200);
    CHECK(reqs[0].offset == -1);
}

TEST_CASE("iam: a bad signature or token gets IAM's 401; the signature covers the query") {
    emu::server srv(aksk_options());
    test_client c(srv);
    std::string const t = "/v3/projects?name=cn-north-4";

    check_iam_401(c.get_with(t, iam_signed(t, fixed_now(), test_ak, "wrong-sk")));
    CHECK(srv.requests().back().auth_failure == "signature_mismatch");
    check_iam_401(c.get_with("/v3/projects?name=eu-west-0", iam_signed(t, fixed_now())));
    CHECK(srv.requests().back().auth_failure == "signature_mismatch");
    check_iam_401(c.get_with(t, iam_signed(t, fixed_now(), "UNKNOWNAK", test_sk)));
    CHECK(srv.requests().back().auth_failure == "unknown_access_key");
    check_iam_401(c.get_with(t, iam_signed(t, fixed_now() + std::chrono::minutes(16))));
    CHECK(srv.requests().back().auth_failure == "date_out_of_range");
    check_iam_401(c.get(t, ""));
    CHECK(srv.requests().back().auth_failure == "missing_token");
    check_iam_401(c.get(t, "wrong-token"));
    CHECK(srv.requests().back().auth_failure == "bad_token");
    // 401s carry the IAM trace header too.
    CHECK(c.get(t, "")["X-IAM-Trace-Id"].size() == 32);

    // A temporary key from options::access_keys, with its security token signed.
    CHECK(c.get_with(t, iam_signed(t, fixed_now(), temp_ak, temp_sk, temp_token)).result_int() ==
          200);
    // The token works too; another method is 405.
    auto const tok = c.get(t);
    CHECK(tok.result_int() == 200);
    CHECK(project_ids_of(tok) == std::vector<std::string>{pid});
    CHECK(srv.requests().back().auth == emu::auth_kind::token);
    auto const post = c.get(t, "emulator-token", http::verb::post);
    CHECK(post.result_int() == 405);
    CHECK(post[http::field::allow] == "GET");
    CHECK(json::parse(post.body()).at("error").at("code").as_int64() == 405);
}

TEST_CASE("iam: by default every project id is a cn-north-4 project; iam_fail_next") {
    auto o = aksk_options();
    o.project_ids = {"first", "second"};
    emu::server srv(o);
    test_client c(srv);
    CHECK(project_ids_of(c.get("/v3/projects?name=cn-north-4")) ==
          std::vector<std::string>{"first", "second"});
    CHECK(project_ids_of(c.get("/v3/projects?name=cn-north-1")).empty());

    CHECK_THROWS_AS(srv.iam_fail_next(1, 200), std::invalid_argument);
    srv.iam_fail_next(2, 503);
    // Authentication comes first: a 401 does not use up a failure.
    check_iam_401(c.get("/v3/projects", "wrong"));
    for (int i = 0; i < 2; ++i) {
        auto const res = c.get("/v3/projects");
        CHECK(res.result_int() == 503);
        CHECK(json::parse(res.body()).at("error").at("code").as_int64() == 503);
    }
    CHECK(c.get("/v3/projects").result_int() == 200);
    // APIG's fail_next does not touch IAM, nor IAM's APIG.
    srv.fail_next(1, 500);
    CHECK(c.get("/v3/projects").result_int() == 200);
    CHECK(c.get("/v2/first/apigw/instances").result_int() == 500);
}

// ---- the metadata service -----------------------------------------------------------------

TEST_CASE("metadata: required tokens; a securitykey answer is a new temporary key") {
    adjustable_clock clock;
    emu::server srv(metadata_options(clock));
    CHECK(srv.metadata_endpoint() == "http://127.0.0.1:" + std::to_string(srv.metadata_port()));
    CHECK(srv.metadata_port() != srv.port());
    plain_client m(srv);

    auto const none = m.securitykey();
    CHECK(none.result_int() == 401);
    CHECK(none.body().find("Please configure Cloud Service Agency first") == std::string::npos);
    CHECK(m.securitykey("not-a-token").result_int() == 401);

    auto const tok = m.put_token();
    REQUIRE(tok.result_int() == 200);
    std::string const session = tok.body();
    CHECK(session.size() >= 32);
    CHECK(m.put_token().body() != session);  // fresh each time

    auto const first = m.securitykey(session);
    REQUIRE(first.result_int() == 200);
    auto const k = credential_of(first);
    CHECK(k.ak.size() == 20);
    CHECK(upper_alnum(k.ak));
    CHECK(k.sk.size() == 40);
    CHECK(k.token.size() >= 100);
    CHECK(k.expires == "2024-05-01T13:00:00.000000Z");  // fixed_now() + 1 h
    auto const second = credential_of(m.securitykey(session));
    CHECK(second.ak != k.ak);
    CHECK(second.sk != k.sk);
    CHECK(second.token != k.token);
    CHECK(srv.issued_keys() == 2);

    // Recorded without secrets.
    auto const reqs = srv.metadata_requests();
    REQUIRE(reqs.size() == 6);
    CHECK(reqs[0].method == "GET");
    CHECK(reqs[0].target == "/openstack/latest/securitykey");
    CHECK(reqs[0].status == 401);
    CHECK_FALSE(reqs[0].had_token);
    CHECK(reqs[1].had_token);
    CHECK(reqs[2].method == "PUT");
    CHECK(reqs[2].status == 200);
    CHECK_FALSE(reqs[2].issued_key);
    CHECK(reqs[4].issued_key);
    CHECK(reqs[4].connection_id == 1);
    // The HTTPS side's log is separate.
    CHECK(srv.requests().empty());
}

TEST_CASE("metadata: the TTL header is checked, and a session token lives that long") {
    adjustable_clock clock;
    emu::server srv(metadata_options(clock));
    plain_client m(srv);
    for (std::string const bad : {"0", "21601", "abc", "-1", "+5", "6 0", "1e3", "", "99999999"})
        CHECK_MESSAGE(m.put_token(bad).result_int() == 400, bad);
    // Missing, and repeated.
    CHECK(m.send(http::verb::put, "/meta-data/latest/api/token").result_int() == 400);
    CHECK(m.send(http::verb::put, "/meta-data/latest/api/token",
                 {{"X-Metadata-Token-Ttl-Seconds", "60"}, {"X-Metadata-Token-Ttl-Seconds", "60"}})
              .result_int() == 400);
    CHECK(m.put_token("21600").result_int() == 200);

    std::string const session = m.put_token("60").body();
    CHECK(m.securitykey(session).result_int() == 200);
    clock.advance(std::chrono::seconds(59));
    CHECK(m.securitykey(session).result_int() == 200);
    clock.advance(std::chrono::seconds(1));
    CHECK(m.securitykey(session).result_int() == 401);
    CHECK(m.securitykey(m.put_token("1").body()).result_int() == 200);
}

TEST_CASE("metadata: optional tokens, and a service without them (404, 405)") {
    adjustable_clock clock;
    {
        emu::server srv(metadata_options(clock, emu::metadata_token_mode::optional));
        plain_client m(srv);
        CHECK(m.securitykey().result_int() == 200);
        CHECK(m.securitykey("unknown").result_int() == 401);
        CHECK(m.securitykey(m.put_token().body()).result_int() == 200);
    }
    for (auto const& mode_status :
         {std::pair{emu::metadata_token_mode::unsupported_404, 404u},
          std::pair{emu::metadata_token_mode::unsupported_405, 405u}}) {
        unsigned const status = mode_status.second;
        emu::server srv(metadata_options(clock, mode_status.first));
        plain_client m(srv);
        CHECK(m.put_token().result_int() == status);
        CHECK(m.securitykey().result_int() == 200);
        CHECK(m.securitykey("ignored").result_int() == 200);
        CHECK(srv.issued_keys() == 2);
    }
    CHECK(emu::to_string(emu::metadata_token_mode::unsupported_405) == "unsupported_405");
}

TEST_CASE("metadata: without an agency, securitykey says so; the pod agent still works") {
    adjustable_clock clock;
    auto o = metadata_options(clock);
    o.metadata.agency_configured = false;
    emu::server srv(o);
    plain_client m(srv);
    auto const res = m.securitykey(m.put_token().body());
    CHECK(res.result_int() == 401);
    CHECK(res.body().find("Please configure Cloud Service Agency first") != std::string::npos);
    // The token is checked first: without one, the 401 is the token's.
    CHECK(m.securitykey().body().find("Please configure") == std::string::npos);
    CHECK(srv.issued_keys() == 0);
    CHECK(m.pod("emulator-pod-token-0123456789").result_int() == 200);
}

TEST_CASE("metadata: an issued key works on APIG and IAM until it expires, then key_expired") {
    adjustable_clock clock;
    auto o = metadata_options(clock);
    o.metadata.key_lifetime = std::chrono::minutes(30);
    emu::server srv(o);
    plain_client m(srv);
    test_client c(srv);
    auto const k = credential_of(m.securitykey(m.put_token().body()));
    CHECK(k.expires == "2024-05-01T12:30:00.000000Z");

    auto const ok = apig_with(c, k, clock.now());
    CHECK(ok.result_int() == 200);
    CHECK(srv.requests().back().access_key == k.ak);
    std::string const iam = "/v3/projects?name=cn-north-4";
    CHECK(c.get_with(iam, iam_signed(iam, clock.now(), k.ak, k.sk, k.token)).result_int() == 200);
    // Its security token is required and signed; a wrong SK fails as for any key.
    CHECK(apig_with(c, {k.ak, k.sk, "", ""}, clock.now()).result_int() == 401);
    CHECK(srv.requests().back().auth_failure == "missing_signed_header");
    CHECK(apig_with(c, {k.ak, "wrong", k.token, ""}, clock.now()).result_int() == 401);
    CHECK(srv.requests().back().auth_failure == "signature_mismatch");

    clock.advance(std::chrono::minutes(30) - std::chrono::seconds(1));
    CHECK(apig_with(c, k, clock.now()).result_int() == 200);
    clock.advance(std::chrono::seconds(1));
    auto const expired = apig_with(c, k, clock.now());
    CHECK(expired.result_int() == 401);
    CHECK(error_code(expired) == "APIGW.0301");
    CHECK(error_msg(expired) ==
          "Incorrect IAM authentication information: the security token has expired");
    CHECK(srv.requests().back().auth_failure == "key_expired");
    check_iam_401(c.get_with(iam, iam_signed(iam, clock.now(), k.ak, k.sk, k.token)));
    CHECK(srv.requests().back().auth_failure == "key_expired");

    // A new key works; options::access_keys still do, and set_access_keys leaves issued keys.
    auto const k2 = credential_of(m.securitykey(m.put_token().body()));
    srv.set_access_keys({});
    CHECK(apig_with(c, k2, clock.now()).result_int() == 200);

    // Ten minutes past its expiry a key is forgotten (when the next one is issued).
    clock.advance(std::chrono::minutes(30) + std::chrono::minutes(10) + std::chrono::seconds(1));
    CHECK(m.securitykey(m.put_token().body()).result_int() == 200);
    CHECK(apig_with(c, k, clock.now()).result_int() == 401);
    CHECK(srv.requests().back().auth_failure == "unknown_access_key");
}

TEST_CASE("metadata: expire_session_tokens makes a client renew its token once") {
    adjustable_clock clock;
    emu::server srv(metadata_options(clock));
    plain_client m(srv);
    std::string const session = m.put_token().body();
    CHECK(m.securitykey(session).result_int() == 200);
    srv.expire_session_tokens();
    CHECK(m.securitykey(session).result_int() == 401);
    std::string const renewed = m.put_token().body();
    CHECK(m.securitykey(renewed).result_int() == 200);
    CHECK(m.securitykey(renewed).result_int() == 200);
}

TEST_CASE("metadata: the delay is honoured; metadata_fail_next") {
    adjustable_clock clock;
    auto o = metadata_options(clock);
    o.metadata.delay = std::chrono::milliseconds(150);
    emu::server srv(o);
    plain_client m(srv);
    auto const t0 = std::chrono::steady_clock::now();
    CHECK(m.put_token().result_int() == 200);
    CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(150));
    srv.set_metadata_delay(std::chrono::milliseconds(0));
    CHECK_THROWS_AS(srv.set_metadata_delay(std::chrono::milliseconds(-1)), std::invalid_argument);

    CHECK_THROWS_AS(srv.metadata_fail_next(1, 399), std::invalid_argument);
    srv.metadata_fail_next(2, 503);
    // Routing first: a 404 does not use up a failure.
    CHECK(m.send(http::verb::get, "/nowhere").result_int() == 404);
    auto const f1 = m.put_token();
    CHECK(f1.result_int() == 503);
    CHECK(json::parse(f1.body()).at("error_code").as_string() == "EMULATOR.FAIL_NEXT");
    CHECK(m.pod("emulator-pod-token-0123456789").result_int() == 503);
    std::string const session = m.put_token().body();
    CHECK(m.securitykey(session).result_int() == 200);
    CHECK(srv.issued_keys() == 1);
}

TEST_CASE("metadata: wrong methods get 405 with Allow, other paths 404") {
    adjustable_clock clock;
    emu::server srv(metadata_options(clock));
    plain_client m(srv);
    auto const a = m.send(http::verb::get, "/meta-data/latest/api/token");
    CHECK(a.result_int() == 405);
    CHECK(a[http::field::allow] == "PUT");
    auto const b = m.send(http::verb::put, "/openstack/latest/securitykey");
    CHECK(b.result_int() == 405);
    CHECK(b[http::field::allow] == "GET");
    auto const c = m.send(http::verb::get, "/v1/credentials");
    CHECK(c.result_int() == 405);
    CHECK(c[http::field::allow] == "POST");
    CHECK(m.send(http::verb::get, "/openstack/latest/securitykey/extra").result_int() == 404);
    CHECK(m.send(http::verb::get, "/").result_int() == 404);
    // The metadata paths are not on the HTTPS server, nor IAM's on the metadata listener.
    test_client https(srv);
    CHECK(https.get("/openstack/latest/securitykey").result_int() == 404);
    CHECK(m.send(http::verb::get, "/v3/projects").result_int() == 404);
}

TEST_CASE("metadata: disabled by default; options are checked") {
    emu::server srv;
    CHECK(srv.metadata_port() == 0);
    CHECK_THROWS_AS((void)srv.metadata_endpoint(), std::logic_error);
    CHECK(srv.issued_keys() == 0);

    emu::options o;
    o.metadata.enabled = true;
    o.metadata.key_lifetime = std::chrono::seconds(0);
    CHECK_THROWS_AS(emu::server{o}, std::invalid_argument);
    o.metadata.key_lifetime = std::chrono::seconds(1);
    o.metadata.pod_token = "";
    CHECK_THROWS_AS(emu::server{o}, std::invalid_argument);
    o.metadata.pod_token = "bad\ntoken";
    CHECK_THROWS_AS(emu::server{o}, std::invalid_argument);
}

// ---- the pod identity agent ---------------------------------------------------------------

TEST_CASE("pod: the right Authorization gets a key that works on APIG; a wrong one 401") {
    adjustable_clock clock;
    auto o = metadata_options(clock);
    o.metadata.pod_token = "my-pod-token";
    o.metadata.key_lifetime = std::chrono::hours(2);
    emu::server srv(o);
    plain_client m(srv);
    test_client c(srv);

    auto const res = m.pod("my-pod-token");
    REQUIRE(res.result_int() == 200);
    auto const body = json::parse(res.body()).as_object();
    CHECK(body.at("assumedAgency").at("urn").as_string().empty());
    CHECK(body.at("assumedAgency").at("id").as_string().empty());
    CHECK(body.at("audience").as_string().empty());
    CHECK(body.at("podIdentityAssociationId").as_string().empty());
    CHECK(body.at("subject").at("namespace").as_string().empty());
    CHECK(body.at("subject").at("serviceAccount").as_string().empty());
    auto const k = pod_credentials_of(res);
    CHECK(k.ak.size() == 20);
    CHECK(k.sk.size() == 40);
    CHECK(k.token.size() >= 100);
    CHECK(k.expires == "2024-05-01T14:00:00.000000Z");
    CHECK(apig_with(c, k, clock.now()).result_int() == 200);
    clock.advance(std::chrono::hours(2));
    CHECK(apig_with(c, k, clock.now()).result_int() == 401);
    CHECK(srv.requests().back().auth_failure == "key_expired");

    for (std::string const bad : {"", "wrong", "my-pod-token2", "Bearer my-pod-token", "emulator-pod-token-0123456789"}) {
        auto const r = m.pod(bad);
        CHECK(r.result_int() == 401);
        CHECK(json::parse(r.body()).at("error_code").as_string() == "CCE.01400001");
        CHECK(json::parse(r.body()).at("error_msg").as_string() == "invalid token");
    }
    CHECK(m.pod("my-pod-token", "not json").result_int() == 400);
    CHECK(m.pod("my-pod-token", "[]").result_int() == 400);
    CHECK(srv.issued_keys() == 1);

    auto const reqs = srv.metadata_requests();
    REQUIRE(!reqs.empty());
    CHECK(reqs.front().had_authorization);
    CHECK(reqs.front().issued_key);
    CHECK(reqs.front().method == "POST");
    CHECK_FALSE(reqs[1].had_authorization);  // the "" case
}

// ---- sans-I/O pieces ----------------------------------------------------------------------

TEST_CASE("metadata: expiry format and TTL parsing") {
    using namespace std::chrono;
    namespace d = emu::detail;
    sys_clock::time_point const t =
        sys_days{year{2026} / December / 2} + hours{13} + minutes{50} + seconds{7} +
        microseconds{574000} + nanoseconds{999};
    CHECK(d::format_expiry(t) == "2026-12-02T13:50:07.574000Z");
    CHECK(d::format_expiry(sys_days{year{2024} / January / 1}) == "2024-01-01T00:00:00.000000Z");
    CHECK(d::parse_ttl("1") == 1u);
    CHECK(d::parse_ttl("21600") == 21600u);
    CHECK_FALSE(d::parse_ttl("0"));
    CHECK_FALSE(d::parse_ttl("21601"));
    CHECK_FALSE(d::parse_ttl("00000021600"));
    CHECK_FALSE(d::parse_ttl(""));
    auto const s = d::random_text(1000, "ab");
    CHECK(s.size() == 1000);
    CHECK(s.find_first_not_of("ab") == std::string::npos);
    CHECK(s.find('a') != std::string::npos);
    CHECK(s.find('b') != std::string::npos);
}
