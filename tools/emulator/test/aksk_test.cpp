// AK/SK signing (SDK-HMAC-SHA256) against the emulator: apig's signer (src/auth) signs, the
// emulator's own verifier (tools/emulator/src/verify.*) checks; and the verifier's building
// blocks against the published test vectors.

#include "support.hpp"
#include "aksk_support.hpp"

using namespace emulator_test;

TEST_CASE("aksk: a correctly signed request is answered 200 and recorded without secrets") {
    auto opts = aksk_options();
    opts.project_ids = {pid, "a/b?c#d"};
    emu::server srv(opts);
    test_client c(srv);

    auto res = c.get_with(page("?limit=3"), signed_get(page("?limit=3")));
    CHECK(res.result_int() == 200);
    CHECK(json::parse(res.body()).at("size").as_int64() == 3);
    // A trailing '/', an encoded non-ASCII filter, keys out of order.
    std::string const t2 = std::string("/v2/") + pid +
                           "/apigw/instances/?limit=2&instance_name=%E7%BD%91%E5%85%B3&offset=0";
    CHECK(c.get_with(t2, signed_get(t2)).result_int() == 200);
    // A project id with reserved characters: one encoded segment; X-Project-Id decoded.
    std::string const t3 = "/v2/a%2Fb%3Fc%23d/apigw/instances";
    CHECK(c.get_with(t3, signed_get(t3, fixed_now(), test_ak, test_sk, "", "a/b?c#d"))
              .result_int() == 200);
    // A header that is not signed may be added.
    auto extra = signed_get(page(""));
    extra.emplace_back("X-Extra", "not signed");
    CHECK(c.get_with(page(""), extra).result_int() == 200);

    auto const reqs = srv.requests();
    REQUIRE(reqs.size() == 4);
    for (auto const& r : reqs) {
        CHECK(r.status == 200);
        CHECK(r.auth == emu::auth_kind::aksk);
        CHECK(r.access_key == test_ak);
        CHECK(r.auth_failure.empty());
        CHECK_FALSE(r.had_token);
    }
    CHECK(reqs[2].project_id == "a/b?c#d");
    CHECK(emu::to_string(emu::auth_kind::aksk) == "aksk");
}

TEST_CASE("aksk: wrong SK, unknown AK, a tampered request or a bad header get 401 APIGW.0301") {
    emu::server srv(aksk_options());
    test_client c(srv);
    auto expect_401 = [&](std::string const& target, apig::auth::header_list const& headers,
                          std::string_view reason) {
        auto const res = c.get_with(target, headers);
        CHECK(res.result_int() == 401);
        CHECK(error_code(res) == "APIGW.0301");
        CHECK(error_msg(res) == aksk_fail);
        CHECK(srv.requests().back().auth_failure == reason);
        CHECK(srv.requests().back().auth == emu::auth_kind::aksk);
    };

    expect_401(page(""), signed_get(page(""), fixed_now(), test_ak, "wrong-sk"),
               "signature_mismatch");
    CHECK(srv.requests().back().access_key == test_ak);
    expect_401(page(""), signed_get(page(""), fixed_now(), "UNKNOWNAK", test_sk),
               "unknown_access_key");
    CHECK(srv.requests().back().access_key == "UNKNOWNAK");
    // Sign one target, send another: the query, the path, an encoding that decodes
    // differently ('+' is a space in a query, %2B a plus).
    expect_401(page("?limit=4"), signed_get(page("?limit=3")), "signature_mismatch");
    expect_401(page("?limit=3&offset=1"), signed_get(page("?limit=3")), "signature_mismatch");
    // (".../instances" and ".../instances/" have the same canonical URI, '/' appended: by the
    // algorithm's rule, one signature is good for both.)
    CHECK(c.get_with(page("/"), signed_get(page(""))).result_int() == 200);
    expect_401(page("?instance_name=a%2Bb"), signed_get(page("?instance_name=a+b")),
               "signature_mismatch");
    expect_401("/v2/other/apigw/instances", signed_get(page("")), "signature_mismatch");
    // A signed header changed after signing (the date by one second, still in range).
    auto h = signed_get(page(""));
    REQUIRE(h.front().first == "X-Sdk-Date");
    h.front().second = apig::auth::sdk_date(fixed_now() + std::chrono::seconds(1));
    expect_401(page(""), h, "signature_mismatch");
    // The security token of another key on a permanent key's request.
    expect_401(page(""), signed_get(page(""), fixed_now(), test_ak, test_sk, temp_token),
               "security_token_mismatch");

    // Malformed Authorization values.
    auto with_authorization = [](apig::auth::header_list hs, std::string const& value) {
        hs.back().second = value;
        return hs;
    };
    auto const good = signed_get(page(""));
    std::string const good_auth = good.back().second;
    REQUIRE(good.back().first == "Authorization");
    std::string upper = good_auth;
    for (auto i = upper.size() - 64; i < upper.size(); ++i)
        if (upper[i] >= 'a' && upper[i] <= 'f') upper[i] = static_cast<char>(upper[i] - 32);
    for (std::string const& bad :
         {std::string("Bearer abc"), std::string("SDK-HMAC-SHA256"), upper,
          good_auth.substr(0, good_auth.size() - 1),
          std::string("SDK-HMAC-SHA1") + good_auth.substr(15)}) {
        CAPTURE(bad);
        expect_401(page(""), with_authorization(good, bad), "malformed_authorization");
    }
    // Two Authorization headers.
    auto twice = good;
    twice.push_back(good.back());
    expect_401(page(""), twice, "malformed_authorization");

    // An Authorization header decides alone: a valid token beside it does not help.
    auto with_token = signed_get(page(""), fixed_now(), test_ak, "wrong-sk");
    with_token.emplace_back("X-Auth-Token", "emulator-token");
    expect_401(page(""), with_token, "signature_mismatch");
    CHECK(srv.requests().back().had_token);
    // And the good one still works on the same connection.
    CHECK(c.get_with(page(""), good).result_int() == 200);
}

TEST_CASE("aksk: host and x-sdk-date must be signed; X-Sdk-Date present and well-formed") {
    emu::server srv(aksk_options());
    test_client c(srv);
    auto reason = [&] { return srv.requests().back().auth_failure; };

    // Signed list without host (only X-Sdk-Date signed: the Go SDK's own test vector's form).
    apig::auth::signing_input in;
    in.method = "GET";
    std::string const target = page("");
    in.target = target;
    in.headers = {{"X-Sdk-Date", apig::auth::sdk_date(fixed_now())}};
    apig::auth::header_list no_host = in.headers;
    no_host.emplace_back("Authorization", apig::auth::sign(in, test_ak, test_sk).authorization);
    auto res = c.get_with(target, no_host);
    CHECK(res.result_int() == 401);
    CHECK(error_msg(res) == aksk_fail);
    CHECK(reason() == "missing_signed_header");

    // A listed header missing from the request.
    auto h = sign_exactly(target, {{"X-Sdk-Date", apig::auth::sdk_date(fixed_now())},
                                   {"X-Something", "v"}});
    h.erase(h.begin() + 1);
    CHECK(c.get_with(target, h).result_int() == 401);
    CHECK(reason() == "missing_signed_header");

    // X-Sdk-Date malformed (signed as such) or absent.
    for (std::string const date : {"2024-05-01T12:00:00Z", "20240501T120000", "20240501t120000z",
                                   "20240230T120000Z", "20240501T240000Z", "20240501T120060Z"}) {
        CAPTURE(date);
        res = c.get_with(target, sign_exactly(target, {{"X-Sdk-Date", date}}));
        CHECK(res.result_int() == 401);
        CHECK(error_code(res) == "APIGW.0301");
        CHECK(error_msg(res) ==
              "Incorrect IAM authentication information: x-sdk-date is missing or malformed");
        CHECK(reason() == "bad_date");
    }
    h = signed_get(target);
    h.erase(h.begin());  // X-Sdk-Date
    CHECK(c.get_with(target, h).result_int() == 401);
    CHECK(reason() == "bad_date");
}

TEST_CASE("aksk: X-Sdk-Date within 15 minutes of the server's clock (injected)") {
    emu::server srv(aksk_options());
    test_client c(srv);
    using std::chrono::minutes;
    using std::chrono::seconds;
    for (auto const off : {minutes(-14), minutes(14), minutes(-15), minutes(15), minutes(0)}) {
        CAPTURE(off.count());
        CHECK(c.get_with(page(""), signed_get(page(""), fixed_now() + off)).result_int() == 200);
    }
    for (seconds const off : {seconds(minutes(-16)), seconds(minutes(16)),
                              minutes(15) + seconds(1), -minutes(15) - seconds(1),
                              seconds(minutes(60 * 24 * 365))}) {
        CAPTURE(off.count());
        auto const res = c.get_with(page(""), signed_get(page(""), fixed_now() + off));
        CHECK(res.result_int() == 401);
        CHECK(error_code(res) == "APIGW.0301");
        auto const msg = error_msg(res);
        CHECK(msg.starts_with("Incorrect IAM authentication information: signature expired, "
                              "x-sdk-date is more than 15 minutes from the server time, "
                              "signature time:"));
        CHECK(msg.find(apig::auth::sdk_date(fixed_now() + off)) != std::string::npos);
        CHECK(msg.ends_with(",server time:20240501T120000Z"));
        CHECK(srv.requests().back().auth_failure == "date_out_of_range");
    }
}

TEST_CASE("aksk: a temporary key's security token is required, signed and checked") {
    emu::server srv(aksk_options());
    test_client c(srv);
    auto const target = page("?limit=1");
    auto reason = [&] { return srv.requests().back().auth_failure; };

    CHECK(c.get_with(target, signed_get(target, fixed_now(), temp_ak, temp_sk, temp_token))
              .result_int() == 200);
    CHECK(srv.requests().back().access_key == temp_ak);
    // No token: x-security-token is not among the signed headers.
    auto res = c.get_with(target, signed_get(target, fixed_now(), temp_ak, temp_sk));
    CHECK(res.result_int() == 401);
    CHECK(error_msg(res) == aksk_fail);
    CHECK(reason() == "missing_signed_header");
    // Another token, correctly signed.
    res = c.get_with(target, signed_get(target, fixed_now(), temp_ak, temp_sk, "other-token"));
    CHECK(res.result_int() == 401);
    CHECK(reason() == "security_token_mismatch");
    // The right token sent but not signed.
    auto h = sign_exactly(target, {{"X-Sdk-Date", apig::auth::sdk_date(fixed_now())}}, temp_ak,
                          temp_sk);
    h.emplace_back("X-Security-Token", temp_token);
    CHECK(c.get_with(target, h).result_int() == 401);
    CHECK(reason() == "missing_signed_header");
    // Sent twice (both signed).
    h = sign_exactly(target,
                     {{"X-Sdk-Date", apig::auth::sdk_date(fixed_now())},
                      {"X-Security-Token", temp_token},
                      {"X-Security-Token", temp_token}},
                     temp_ak, temp_sk);
    CHECK(c.get_with(target, h).result_int() == 401);
    CHECK(reason() == "security_token_mismatch");
    // The right token with the wrong SK.
    CHECK(c.get_with(target, signed_get(target, fixed_now(), temp_ak, "x", temp_token))
              .result_int() == 401);
    CHECK(reason() == "signature_mismatch");
}

TEST_CASE("aksk: token auth unchanged; set_access_keys at run time; X-Project-Id") {
    emu::server srv({.instance_count = 5});  // no keys, the system clock
    test_client c(srv);
    auto const now = sys_clock::now();

    // Token authentication as before, now recorded.
    CHECK(c.get(page("")).result_int() == 200);
    CHECK(srv.requests().back().auth == emu::auth_kind::token);
    CHECK(srv.requests().back().access_key.empty());
    CHECK(c.get(page(""), "").result_int() == 401);
    CHECK(srv.requests().back().auth == emu::auth_kind::none);
    CHECK(srv.requests().back().auth_failure == "missing_token");
    auto res = c.get(page(""), "wrong");
    CHECK(error_code(res) == "APIC.7102");
    CHECK(srv.requests().back().auth == emu::auth_kind::token);
    CHECK(srv.requests().back().auth_failure == "bad_token");

    // No keys yet: every signed request is an unknown AK.
    res = c.get_with(page(""), signed_get(page(""), now));
    CHECK(res.result_int() == 401);
    CHECK(error_code(res) == "APIGW.0301");
    CHECK(srv.requests().back().auth_failure == "unknown_access_key");

    srv.set_access_keys({{test_ak, test_sk, ""}});
    CHECK(c.get_with(page(""), signed_get(page(""), sys_clock::now())).result_int() == 200);
    srv.set_access_keys({{"ANOTHERAK", test_sk, ""}});
    CHECK(c.get_with(page(""), signed_get(page(""), sys_clock::now())).result_int() == 401);
    CHECK(c.get_with(page(""), signed_get(page(""), sys_clock::now(), "ANOTHERAK"))
              .result_int() == 200);

    // Invalid keys are refused whole, naming the index only.
    auto const refused = [&](std::vector<emu::access_key> keys) {
        try {
            srv.set_access_keys(std::move(keys));
        } catch (std::invalid_argument const& e) {
            return std::string(e.what()).find(test_sk) == std::string::npos;
        }
        return false;
    };
    CHECK(refused({{"", test_sk, ""}}));
    CHECK(refused({{"A,B", test_sk, ""}}));
    CHECK(refused({{"A B", test_sk, ""}}));
    CHECK(refused({{"A", "", ""}}));
    CHECK(refused({{"A", test_sk, ""}, {"A", test_sk, ""}}));
    CHECK(refused({{"A", test_sk, "tok\r\nX: y"}}));
    CHECK_THROWS_AS(emu::server({.access_keys = {{"", "x", ""}}}), std::invalid_argument);
    // The last good keys are still in place.
    CHECK(c.get_with(page(""), signed_get(page(""), sys_clock::now(), "ANOTHERAK"))
              .result_int() == 200);

    // X-Project-Id, when present, must name the path's project (403 APIC.7106), whatever the
    // authentication; it is checked after authentication.
    srv.set_access_keys({{test_ak, test_sk, ""}});
    res = c.get_with(page(""),
                     signed_get(page(""), sys_clock::now(), test_ak, test_sk, "", "other"));
    CHECK(res.result_int() == 403);
    CHECK(error_code(res) == "APIC.7106");
    CHECK(srv.requests().back().auth_failure.empty());
    CHECK(c.get_with(page(""), {{"X-Auth-Token", "emulator-token"}, {"X-Project-Id", "other"}})
              .result_int() == 403);
    CHECK(c.get_with(page(""), {{"X-Auth-Token", "emulator-token"}, {"X-Project-Id", pid}})
              .result_int() == 200);
    CHECK(c.get_with(page(""), {{"X-Auth-Token", "bad"}, {"X-Project-Id", "other"}})
              .result_int() == 401);
}

TEST_CASE("aksk verifier: the published test vectors and its building blocks") {
    // Vector 3 (Huawei's signing documentation); the AK is not part of the signature.
    aksk::request r;
    r.method = "GET";
    r.target = "/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs?limit=2&marker=13551d6b-755d-4757-b956-"
               "536f674975c0";
    std::vector<emu::access_key> const keys3 = {
        {"AK3", "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc", ""}};
    std::string const auth3 =
        "SDK-HMAC-SHA256 Access=AK3, SignedHeaders=content-type;host;x-sdk-date, "
        "Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe";
    r.headers = {{"content-type", "application/json"},
                 {"host", "service.region.example.com"},
                 {"x-sdk-date", "20191115T033655Z"},
                 {"Authorization", auth3}};
    auto const t3 = *aksk::parse_sdk_date("20191115T033655Z");
    CHECK(aksk::verify(r, keys3, t3).code == aksk::status::ok);
    CHECK(aksk::verify(r, keys3, t3 + std::chrono::minutes(16)).code ==
          aksk::status::date_out_of_range);

    // Vector 4 (the Python SDK's signer test).
    std::vector<emu::access_key> const keys4 = {{"AccessKey", "SecretKey", ""}};
    r.target = "/resources?size=1";
    r.headers = {{"Host", "service.endpoint.myhuaweicloud.com"},
                 {"X-Sdk-Date", "20200608T023900Z"},
                 {"Authorization",
                  "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=host;x-sdk-date, "
                  "Signature=cfb4171acec81de07d50e53d57eb77edd537414d66ddb1d7d780f128e12cd842"}};
    auto const t4 = *aksk::parse_sdk_date("20200608T023900Z");
    auto const ok4 = aksk::verify(r, keys4, t4);
    CHECK(ok4.code == aksk::status::ok);
    CHECK(ok4.access_key == "AccessKey");
    r.target = "/resources?size=2";
    CHECK(aksk::verify(r, keys4, t4).code == aksk::status::signature_mismatch);

    // Vector 1 (Go SDK) signs x-sdk-date only: refused by policy (host must be signed).
    r.target = "/path?limit=1";
    r.headers = {{"Host", "example.huaweicloud.com"},
                 {"X-Sdk-Date", "20060102T150405Z"},
                 {"TEST_UNDERSCORE", "TEST_VALUE"},
                 {"Authorization",
                  "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, "
                  "Signature=5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624"}};
    CHECK(aksk::verify(r, keys4, *aksk::parse_sdk_date("20060102T150405Z")).code ==
          aksk::status::missing_signed_header);

    // parse_authorization is strict.
    auto const f = aksk::parse_authorization(auth3);
    REQUIRE(f.has_value());
    CHECK(f->access_key == "AK3");
    CHECK(f->signed_headers == "content-type;host;x-sdk-date");
    std::string const sig(64, 'a');
    for (std::string const& bad : {
             "SDK-HMAC-SHA256 Access=A, SignedHeaders=host;x-sdk-date, Signature=" + sig + " ",
             "SDK-HMAC-SHA256  Access=A, SignedHeaders=host;x-sdk-date, Signature=" + sig,
             "SDK-HMAC-SHA256 Access=A,SignedHeaders=host;x-sdk-date, Signature=" + sig,
             "SDK-HMAC-SHA256 Access=, SignedHeaders=host;x-sdk-date, Signature=" + sig,
             "SDK-HMAC-SHA256 SignedHeaders=host;x-sdk-date, Access=A, Signature=" + sig,
             "SDK-HMAC-SHA256 Access=A, SignedHeaders=x-sdk-date;host, Signature=" + sig,
             "SDK-HMAC-SHA256 Access=A, SignedHeaders=host;host;x-sdk-date, Signature=" + sig,
             "SDK-HMAC-SHA256 Access=A, SignedHeaders=Host;x-sdk-date, Signature=" + sig,
             "SDK-HMAC-SHA256 Access=A, SignedHeaders=host;;x-sdk-date, Signature=" + sig,
             "SDK-HMAC-SHA256 Access=A, SignedHeaders=, Signature=" + sig,
             "SDK-HMAC-SHA256 Access=A, SignedHeaders=host;x_sdk_date, Signature=" + sig,
             "SDK-HMAC-SHA256 Access=A, SignedHeaders=host;x-sdk-date, Signature=" + sig + "0",
             "SDK-HMAC-SHA256 Access=A, SignedHeaders=host;x-sdk-date, Signature=" +
                 sig.substr(1) + "g",
             "sdk-hmac-sha256 Access=A, SignedHeaders=host;x-sdk-date, Signature=" + sig}) {
        CAPTURE(bad);
        CHECK_FALSE(aksk::parse_authorization(bad).has_value());
    }
    CHECK(aksk::parse_authorization(
              "SDK-HMAC-SHA256 Access=A, SignedHeaders=host;x-sdk-date, Signature=" + sig)
              .has_value());

    // Dates.
    CHECK(aksk::parse_sdk_date("20240229T235959Z").has_value());
    CHECK_FALSE(aksk::parse_sdk_date("20230229T000000Z").has_value());
    CHECK_FALSE(aksk::parse_sdk_date("20240101T000000+").has_value());
    CHECK_FALSE(aksk::parse_sdk_date("2024010lT000000Z").has_value());
    CHECK(aksk::format_sdk_date(fixed_now()) == "20240501T120000Z");
    CHECK(aksk::format_sdk_date(fixed_now() + std::chrono::milliseconds(999)) ==
          "20240501T120000Z");
    CHECK(*aksk::parse_sdk_date("20240501T120000Z") == fixed_now());
    CHECK(aksk::format_sdk_date(fixed_now()) == apig::auth::sdk_date(fixed_now()));

    // Canonical URI and query: the doc's rules.
    CHECK(aksk::canonical_uri("") == "/");
    CHECK(aksk::canonical_uri("/v2/p/apigw/instances") == "/v2/p/apigw/instances/");
    CHECK(aksk::canonical_uri("/v2/a%2fb/x/") == "/v2/a%2Fb/x/");
    CHECK(aksk::canonical_uri("/a+b/%7E/%zz//") == "/a%2Bb/~/%25zz//");
    CHECK(aksk::canonical_query("") == "");
    CHECK(aksk::canonical_query("b=2&a=1&&a=0&c") == "a=0&a=1&b=2&c=");
    CHECK(aksk::canonical_query("k=a+b%2Bc&k2=x=y") == "k=a%20b%2Bc&k2=x%3Dy");
    CHECK(aksk::canonical_query("n=%E7%BD%91") == "n=%E7%BD%91");
    CHECK(aksk::to_string(aksk::status::date_out_of_range) == "date_out_of_range");
}
