// AK/SK signing (SDK-HMAC-SHA256): the four published vectors, the canonical parts, the date,
// sign_request and secret hygiene.
#include "auth/signer.hpp"

#include <apig/error.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <string>

using namespace apig::auth;
using namespace std::chrono;

namespace {

constexpr std::string_view empty_body_hash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

system_clock::time_point utc(int y, unsigned mo, unsigned d, int h, int mi, int s) {
    return sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s};
}

bool contains(std::string_view hay, std::string_view needle) { return hay.find(needle) != std::string_view::npos; }

// The header value of `name` in a list, or nullptr.
std::string const* find(header_list const& hs, std::string_view name) {
    for (auto const& [n, v] : hs)
        if (n == name) return &v;
    return nullptr;
}

// Runs `f`, expects an api_error with errc::invalid_argument, returns its message.
template <class F>
std::string invalid_argument_message(F&& f) {
    try {
        f();
    } catch (apig::api_error const& e) {
        CHECK(e.code() == apig::errc::invalid_argument);
        return e.what();
    }
    FAIL("no api_error thrown");
    return {};
}

}  // namespace

TEST_SUITE("signer") {

// ---- the published vectors -------------------------------------------------------------

TEST_CASE("vector 1 (Go SDK): GET, only x-sdk-date signed, the underscore header is not") {
    signing_input in;
    in.method = "GET";
    in.target = "/path?limit=1";
    in.headers = {{"X-Sdk-Date", "20060102T150405Z"}, {"TEST_UNDERSCORE", "TEST_VALUE"}};
    auto const out = sign(in, "AccessKey", "SecretKey");
    CHECK(out.signature == "5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624");
    CHECK(out.signed_header_list == "x-sdk-date");
    CHECK_FALSE(contains(out.canonical_request, "test_underscore"));
    CHECK_FALSE(contains(out.canonical_request, "TEST_VALUE"));
    CHECK(out.canonical_request ==
          "GET\n/path/\nlimit=1\nx-sdk-date:20060102T150405Z\n\nx-sdk-date\n" + std::string(empty_body_hash));
    CHECK(out.authorization ==
          "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, "
          "Signature=5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624");
    // Were the underscore header signed, the signature would differ.
    CHECK(canonical_headers(in.headers) == "x-sdk-date:20060102T150405Z\n");
}

TEST_CASE("vector 2 (Go SDK): POST with a body ending in a newline") {
    std::string const body = "{\"Name\":\"test\",\"Id\":1}\n";
    signing_input in;
    in.method = "POST";
    in.target = "/path?key=value";
    in.headers = {{"X-Sdk-Date", "20060102T150405Z"}};
    in.body = body;
    auto const out = sign(in, "AccessKey", "SecretKey");
    CHECK(out.signature == "cecc2af119b18ab70b4d094c0750f3b42c02f254903179a0fc2cc72fc9db4f59");
    CHECK(hex_sha256(body) == "a29d7b4c5efd1a22011d69fd7b7aee76fe51e4083c609244228de258afd61289");
    CHECK(out.canonical_request.ends_with("\na29d7b4c5efd1a22011d69fd7b7aee76fe51e4083c609244228de258afd61289"));
    // The newline is part of the body: without it the hash and the signature change.
    in.body = std::string_view(body).substr(0, body.size() - 1);
    CHECK(sign(in, "AccessKey", "SecretKey").signature != out.signature);
}

TEST_CASE("vector 3 (signing documentation): three signed headers, canonical-request hash") {
    signing_input in;
    in.method = "GET";
    in.target = "/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs?limit=2&marker=13551d6b-755d-4757-b956-536f674975c0";
    in.headers = {{"content-type", "application/json"},
                  {"host", "service.region.example.com"},
                  {"x-sdk-date", "20191115T033655Z"}};
    auto const out = sign(in, "AK-unused-by-the-signature", "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc");
    CHECK(out.signed_header_list == "content-type;host;x-sdk-date");
    CHECK(hex_sha256(out.canonical_request) == "b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a");
    CHECK(out.string_to_sign ==
          "SDK-HMAC-SHA256\n20191115T033655Z\nb25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a");
    CHECK(out.signature == "7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe");
}

TEST_CASE("vector 4 (Python SDK): Host and X-Sdk-Date, mixed-case names") {
    signing_input in;
    in.method = "GET";
    in.target = "/resources?size=1";
    in.headers = {{"Host", "service.endpoint.myhuaweicloud.com"}, {"X-Sdk-Date", "20200608T023900Z"}};
    auto const out = sign(in, "AccessKey", "SecretKey");
    CHECK(out.signed_header_list == "host;x-sdk-date");
    CHECK(out.signature == "cfb4171acec81de07d50e53d57eb77edd537414d66ddb1d7d780f128e12cd842");
    CHECK(out.authorization ==
          "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=host;x-sdk-date, "
          "Signature=cfb4171acec81de07d50e53d57eb77edd537414d66ddb1d7d780f128e12cd842");
    // Header order does not matter.
    in.headers = {{"X-Sdk-Date", "20200608T023900Z"}, {"Host", "service.endpoint.myhuaweicloud.com"}};
    CHECK(sign(in, "AccessKey", "SecretKey").signature == out.signature);
}

// ---- hashing ---------------------------------------------------------------------------

TEST_CASE("hex_sha256 and hex_hmac_sha256 match published vectors") {
    CHECK(hex_sha256("") == empty_body_hash);
    CHECK(hex_sha256("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    // RFC 4231 test cases 2 and 6 (a key longer than the block size is hashed first).
    CHECK(hex_hmac_sha256("Jefe", "what do ya want for nothing?") ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    CHECK(hex_hmac_sha256(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First") ==
          "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    // An empty key is a valid (zero) HMAC key, not "reuse the previous key".
    CHECK(hex_hmac_sha256("", "") == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST_CASE("string_to_sign: algorithm, date, hash of the canonical request") {
    CHECK(string_to_sign("20060102T150405Z", "") == "SDK-HMAC-SHA256\n20060102T150405Z\n" + std::string(empty_body_hash));
    CHECK(string_to_sign("20060102T150405Z", "abc") ==
          "SDK-HMAC-SHA256\n20060102T150405Z\nba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// ---- canonical URI ---------------------------------------------------------------------

TEST_CASE("canonical_uri appends a slash and keeps segments") {
    CHECK(canonical_uri("") == "/");
    CHECK(canonical_uri("/") == "/");
    CHECK(canonical_uri("/path") == "/path/");
    CHECK(canonical_uri("/path/") == "/path/");
    CHECK(canonical_uri("/v2/73d69ae0cfcf460190522d06b60f05ad/apigw/instances") ==
          "/v2/73d69ae0cfcf460190522d06b60f05ad/apigw/instances/");
    CHECK(canonical_uri("/a//b") == "/a//b/");  // empty segments are kept
}

TEST_CASE("canonical_uri decodes each segment, then encodes all but unreserved bytes") {
    // An encoded '/' inside a segment stays inside it (split first, decode after).
    CHECK(canonical_uri("/v2/a%2Fb/x") == "/v2/a%2Fb/x/");
    CHECK(canonical_uri("/v2/a%2fb") == "/v2/a%2Fb/");  // uppercase hex on output
    // Spaces, encoded or not, become %20; '+' in a path is a literal plus.
    CHECK(canonical_uri("/a%20b") == "/a%20b/");
    CHECK(canonical_uri("/a b") == "/a%20b/");
    CHECK(canonical_uri("/a+b") == "/a%2Bb/");
    CHECK(canonical_uri("/a%2Bb") == "/a%2Bb/");
    // Non-ASCII UTF-8 bytes, encoded or raw.
    CHECK(canonical_uri("/caf%C3%A9") == "/caf%C3%A9/");
    CHECK(canonical_uri("/caf\xC3\xA9") == "/caf%C3%A9/");
    // Unreserved characters that were encoded are decoded; reserved ones are encoded.
    CHECK(canonical_uri("/%7E%41-_.~") == "/~A-_.~/");
    CHECK(canonical_uri("/a:b@c!$&'()*,;=") == "/a%3Ab%40c%21%24%26%27%28%29%2A%2C%3B%3D/");
    // An encoded percent sign is not decoded twice; a stray '%' is a literal percent.
    CHECK(canonical_uri("/100%2541") == "/100%2541/");
    CHECK(canonical_uri("/50%") == "/50%25/");
    CHECK(canonical_uri("/%zz") == "/%25zz/");
    // Dot segments are not normalised (the client encodes them, the SDKs sign them as dots).
    CHECK(canonical_uri("/v2/%2E%2E/x") == "/v2/../x/");
}

TEST_CASE("uri_encode and uri_decode") {
    CHECK(uri_encode("AZaz09-_.~") == "AZaz09-_.~");
    CHECK(uri_encode(" +/?#%") == "%20%2B%2F%3F%23%25");
    CHECK(uri_encode(std::string("\0\xff", 2)) == "%00%FF");
    CHECK(uri_decode("a+b%20c", true) == "a b c");
    CHECK(uri_decode("a+b%20c", false) == "a+b c");
    CHECK(uri_decode("%2b%2B", true) == "++");
    CHECK(uri_decode("%", true) == "%");
    CHECK(uri_decode("%4", true) == "%4");
    CHECK(uri_decode("%G1", true) == "%G1");
}

// ---- canonical query -------------------------------------------------------------------

TEST_CASE("canonical_query sorts by key, then by value within a key") {
    CHECK(canonical_query("") == "");
    CHECK(canonical_query("limit=1") == "limit=1");
    CHECK(canonical_query("offset=0&limit=20&instance_name=gw") == "instance_name=gw&limit=20&offset=0");
    // Repeated keys: sorted by value (bytewise: "10" before "2"), the empty value first.
    CHECK(canonical_query("a=2&b=0&a=10&a=1&a=") == "a=&a=1&a=10&a=2&b=0");
}

TEST_CASE("canonical_query: empty values, keys without '=', empty pieces") {
    CHECK(canonical_query("flag") == "flag=");
    CHECK(canonical_query("k=") == "k=");
    CHECK(canonical_query("b&a=1") == "a=1&b=");
    CHECK(canonical_query("&&a=1&") == "a=1");
    CHECK(canonical_query("k=a=b") == "k=a%3Db");  // only the first '=' separates
}

TEST_CASE("canonical_query decodes and re-encodes keys and values") {
    // Spaces: '+' (form encoding) and %20 are both a space, signed as %20.
    CHECK(canonical_query("q=a+b") == "q=a%20b");
    CHECK(canonical_query("q=a%20b") == "q=a%20b");
    CHECK(canonical_query("q=a b") == "q=a%20b");
    // An encoded plus stays an encoded plus.
    CHECK(canonical_query("q=a%2Bb") == "q=a%2Bb");
    CHECK(canonical_query("q=a%2bb") == "q=a%2Bb");
    // Reserved characters, already encoded (lowercase hex too), come out encoded, uppercase.
    CHECK(canonical_query("r=%21%2a%27%28%29%3B%3A%40%26%3D%24%2C%2F%3F%23%5B%5D") ==
          "r=%21%2A%27%28%29%3B%3A%40%26%3D%24%2C%2F%3F%23%5B%5D");
    // ...and raw reserved characters are encoded.
    CHECK(canonical_query("r=/?:@!$'()*,;") == "r=%2F%3F%3A%40%21%24%27%28%29%2A%2C%3B");
    // Unreserved characters that were encoded are decoded.
    CHECK(canonical_query("%7Ek=%41%2D") == "~k=A-");
    // Non-ASCII UTF-8, encoded or raw.
    CHECK(canonical_query("name=caf%C3%A9") == "name=caf%C3%A9");
    CHECK(canonical_query("name=caf\xC3\xA9") == "name=caf%C3%A9");
    // Keys are decoded too.
    CHECK(canonical_query("my%20key=1") == "my%20key=1");
    // A stray '%' is a literal percent.
    CHECK(canonical_query("p=100%") == "p=100%25");
}

TEST_CASE("canonical_query sorts the decoded bytes, not the encoded text") {
    // Decoded, '.' (0x2E) < '/' (0x2F); encoded, "a%2Fb" would sort before "a.b".
    CHECK(canonical_query("a%2Fb=1&a.b=2") == "a.b=2&a%2Fb=1");
    // Decoded, '~' (0x7E) < 0xC3 (bytes compared unsigned); encoded, '%' would sort first.
    CHECK(canonical_query("%C3%A9=1&~=2") == "~=2&%C3%A9=1");
    CHECK(canonical_query("k=%C3%A9&k=~") == "k=~&k=%C3%A9");
}

// ---- canonical headers -----------------------------------------------------------------

TEST_CASE("canonical_headers and signed_headers: lowercase, trimmed, sorted, no underscores") {
    header_list const hs = {{"X-Sdk-Date", "  20060102T150405Z\t"},
                            {"Host", "example.com"},
                            {"X_Custom", "left out"},
                            {"Content-Type", " application/json;  charset=utf-8 "},
                            {"x-project-id", "p1"}};
    CHECK(canonical_headers(hs) ==
          "content-type:application/json;  charset=utf-8\n"
          "host:example.com\n"
          "x-project-id:p1\n"
          "x-sdk-date:20060102T150405Z\n");
    CHECK(signed_headers(hs) == "content-type;host;x-project-id;x-sdk-date");
    CHECK(canonical_headers({}) == "");
    CHECK(signed_headers({}) == "");
    CHECK(signed_headers({{"A_B", "1"}}) == "");
}

TEST_CASE("canonical_headers: a repeated name gives one line per value, signed once") {
    header_list const hs = {{"X-A", "2"}, {"x-a", "1"}, {"X-B", ""}};
    CHECK(canonical_headers(hs) == "x-a:1\nx-a:2\nx-b:\n");
    CHECK(signed_headers(hs) == "x-a;x-b");
}

// ---- the date --------------------------------------------------------------------------

TEST_CASE("sdk_date: UTC YYYYMMDDTHHMMSSZ, truncated to the second") {
    CHECK(sdk_date(utc(2006, 1, 2, 15, 4, 5)) == "20060102T150405Z");
    CHECK(sdk_date(system_clock::time_point{}) == "19700101T000000Z");
    // Leap day, and a date past 2038 (32-bit time_t overflow).
    CHECK(sdk_date(utc(2040, 2, 29, 23, 59, 59)) == "20400229T235959Z");
    CHECK(sdk_date(utc(2038, 1, 19, 3, 14, 8)) == "20380119T031408Z");
    CHECK(sdk_date(utc(2099, 12, 31, 0, 0, 0)) == "20991231T000000Z");
    // Sub-second parts are dropped, never rounded up into the next second.
    CHECK(sdk_date(utc(1999, 12, 31, 23, 59, 59) + milliseconds{999}) == "19991231T235959Z");
    // Before the epoch, flooring (not truncation towards zero).
    CHECK(sdk_date(system_clock::time_point{} - milliseconds{1}) == "19691231T235959Z");
}

// ---- sign and sign_request -------------------------------------------------------------

TEST_CASE("sign requires an X-Sdk-Date header, in any case") {
    signing_input in;
    in.method = "GET";
    in.target = "/path";
    in.headers = {{"Host", "example.com"}};
    auto const msg = invalid_argument_message([&] { (void)sign(in, "MyAccessKeyId", "MySecretKey123"); });
    CHECK(contains(msg, "X-Sdk-Date"));
    CHECK_FALSE(contains(msg, "MyAccessKeyId"));
    CHECK_FALSE(contains(msg, "MySecretKey123"));
    in.headers.emplace_back("x-SDK-date", "20060102T150405Z");
    CHECK(sign(in, "ak", "sk").string_to_sign.starts_with("SDK-HMAC-SHA256\n20060102T150405Z\n"));
}

TEST_CASE("sign: a target without a query has an empty canonical query line") {
    signing_input in;
    in.method = "GET";
    in.target = "/path";
    in.headers = {{"X-Sdk-Date", "20060102T150405Z"}};
    CHECK(sign(in, "ak", "sk").canonical_request ==
          "GET\n/path/\n\nx-sdk-date:20060102T150405Z\n\nx-sdk-date\n" + std::string(empty_body_hash));
}

TEST_CASE("sign_request: the headers to add and an independently computed signature") {
    std::string const pid = "73d69ae0cfcf460190522d06b60f05ad";
    std::string const target = "/v2/" + pid + "/apigw/instances?offset=0&limit=20&instance_name=my%20gw";
    std::string const host = "apig.cn-north-4.myhuaweicloud.com";
    auto const when = utc(2024, 2, 29, 12, 34, 56);

    SUBCASE("without a security token") {
        auto const hs = sign_request("GET", target, host, when, pid, "", "AKEXAMPLE", "SKEXAMPLE-secret-value");
        REQUIRE(hs.size() == 3);
        CHECK(hs[0] == std::pair<std::string, std::string>{"X-Sdk-Date", "20240229T123456Z"});
        CHECK(hs[1] == std::pair<std::string, std::string>{"X-Project-Id", pid});
        CHECK(hs[2].first == "Authorization");
        CHECK(find(hs, "X-Security-Token") == nullptr);
        CHECK(hs[2].second ==
              "SDK-HMAC-SHA256 Access=AKEXAMPLE, SignedHeaders=host;x-project-id;x-sdk-date, "
              "Signature=6e8a33b4528aa683bf6bd84cd9ee1cc8f7b827116fcda37a0fa99faec396bc3d");
    }
    SUBCASE("with a security token: sent and signed") {
        auto const hs =
            sign_request("GET", target, host, when, pid, "tok/en+1=", "AKEXAMPLE", "SKEXAMPLE-secret-value");
        REQUIRE(hs.size() == 4);
        CHECK(hs[0].first == "X-Sdk-Date");
        CHECK(hs[1].first == "X-Project-Id");
        CHECK(hs[2] == std::pair<std::string, std::string>{"X-Security-Token", "tok/en+1="});
        CHECK(hs[3].second ==
              "SDK-HMAC-SHA256 Access=AKEXAMPLE, SignedHeaders=host;x-project-id;x-sdk-date;x-security-token, "
              "Signature=b15810267c67bfc8234156cbfdd6f51ed66b80ddaf1a808d85299fbc423bb381");
    }
    SUBCASE("matches sign() over the same headers") {
        auto const hs = sign_request("GET", target, host, when, pid, "tok", "AK", "SK", "body");
        signing_input in;
        in.method = "GET";
        in.target = target;
        in.body = "body";
        in.headers = {{"host", host}, {"x-sdk-date", "20240229T123456Z"}, {"x-project-id", pid}, {"x-security-token", "tok"}};
        REQUIRE(find(hs, "Authorization") != nullptr);
        CHECK(*find(hs, "Authorization") == sign(in, "AK", "SK").authorization);
    }
    SUBCASE("without a project id, no X-Project-Id") {
        auto const hs = sign_request("GET", target, host, when, "", "", "AK", "SK");
        CHECK(find(hs, "X-Project-Id") == nullptr);
        REQUIRE(find(hs, "Authorization") != nullptr);
        CHECK(contains(*find(hs, "Authorization"), "SignedHeaders=host;x-sdk-date,"));
    }
}

TEST_CASE("sign_request: every signed input changes the signature") {
    std::string const target = "/v2/p/apigw/instances?offset=0&limit=20";
    auto const when = utc(2024, 2, 29, 12, 34, 56);
    auto auth = [](header_list const& hs) { return *find(hs, "Authorization"); };
    auto const base = auth(sign_request("GET", target, "h.example.com", when, "p", "", "AK", "SK"));
    CHECK(auth(sign_request("GET", target, "h.example.com", when + seconds{1}, "p", "", "AK", "SK")) != base);
    CHECK(auth(sign_request("GET", target, "h.example.com", utc(2024, 3, 1, 12, 34, 56), "p", "", "AK", "SK")) != base);
    CHECK(auth(sign_request("GET", target, "h.example.com:8443", when, "p", "", "AK", "SK")) != base);
    CHECK(auth(sign_request("GET", target, "h.example.com", when, "q", "", "AK", "SK")) != base);
    CHECK(auth(sign_request("GET", target, "h.example.com", when, "p", "t", "AK", "SK")) != base);
    CHECK(auth(sign_request("GET", target, "h.example.com", when, "p", "", "AK", "SK2")) != base);
    CHECK(auth(sign_request("POST", target, "h.example.com", when, "p", "", "AK", "SK")) != base);
    CHECK(auth(sign_request("GET", target + "&status=RUNNING", "h.example.com", when, "p", "", "AK", "SK")) != base);
    CHECK(auth(sign_request("GET", target, "h.example.com", when, "p", "", "AK", "SK", "x")) != base);
    // Sub-second differences are not part of the date, so not of the signature.
    CHECK(auth(sign_request("GET", target, "h.example.com", when + milliseconds{500}, "p", "", "AK", "SK")) == base);
}

TEST_CASE("sign_request rejects control characters (header injection), naming only the field") {
    auto const when = utc(2024, 2, 29, 12, 34, 56);
    std::string const ak = "AK\r\nX-Evil: 1";
    std::string const tok = "SessTok42\nXYZ";
    auto m = invalid_argument_message([&] { (void)sign_request("GET", "/", "h", when, "p", "", ak, "SecretSK"); });
    CHECK(contains(m, "access key"));
    CHECK_FALSE(contains(m, "X-Evil"));
    CHECK_FALSE(contains(m, "SecretSK"));
    m = invalid_argument_message([&] { (void)sign_request("GET", "/", "h", when, "p", tok, "AK", "SecretSK"); });
    CHECK(contains(m, "security token"));
    CHECK_FALSE(contains(m, "SessTok42"));
    m = invalid_argument_message([&] { (void)sign_request("GET", "/", "h", when, "p\r\n", "", "AK", "SK"); });
    CHECK(contains(m, "project_id"));
    m = invalid_argument_message([&] { (void)sign_request("GET", "/", "h\n", when, "p", "", "AK", "SK"); });
    CHECK(contains(m, "host"));
    CHECK(header_value_ok("SDK-HMAC-SHA256 Access=a, b\xC3\xA9"));
    CHECK_FALSE(header_value_ok(std::string("a\0b", 3)));
    CHECK_FALSE(header_value_ok("a\x7f"));
    CHECK_FALSE(header_value_ok("a\tb"));
}

TEST_CASE("the SK never appears in any output; the AK only in Authorization") {
    std::string const ak = "AKIDQWERTY0123456789";
    std::string const sk = "zX9-the-very-secret-key-value-0123456789";
    auto const when = utc(2030, 6, 15, 8, 0, 0);
    auto const hs = sign_request("GET", "/v2/p/apigw/instances?limit=20", "h.example.com", when, "p", "token-1", ak, sk);
    for (auto const& [name, value] : hs) {
        CHECK_FALSE(contains(name, sk));
        CHECK_FALSE(contains(value, sk));
        if (name != "Authorization") CHECK_FALSE(contains(value, ak));
    }
    signing_input in;
    in.method = "GET";
    in.target = "/path?limit=1";
    in.headers = {{"Host", "h"}, {"X-Sdk-Date", "20300615T080000Z"}};
    auto const out = sign(in, ak, sk);
    for (auto const* s : {&out.authorization, &out.signed_header_list, &out.canonical_request, &out.string_to_sign,
                          &out.signature})
        CHECK_FALSE(contains(*s, sk));
    CHECK(contains(out.authorization, "Access=" + ak + ","));
    CHECK_FALSE(contains(out.canonical_request, ak));
    CHECK_FALSE(contains(out.string_to_sign, ak));
}

}  // TEST_SUITE("signer")
