// Temporary keys: the expiry's time format, and the metadata service's and pod identity
// agent's bodies, hostile ones included; no secret in any error.
#include "auth/temporary_key.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

using namespace apig::auth;
using namespace std::chrono;

namespace {

bool contains(std::string_view hay, std::string_view needle) { return hay.find(needle) != std::string_view::npos; }

system_clock::time_point utc(int y, unsigned mo, unsigned d, int h, int mi, int s) {
    return sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s};
}

constexpr std::string_view ak = "TMPAKEXAMPLE0123456";
constexpr std::string_view sk = "TMPSKsecretexample0123456789abcdef";
constexpr std::string_view token = "gQpjbi1ub3J0aC00SECURITYTOKENexample";

std::string metadata(std::string_view access, std::string_view secret, std::string_view tok,
                     std::string_view expires = "\"2030-01-08T03:50:07.574000Z\"") {
    return std::string(R"({"credential": {"access": )") + std::string(access) + R"(, "secret": )" +
           std::string(secret) + R"(, "securitytoken": )" + std::string(tok) + R"(, "expires_at": )" +
           std::string(expires) + "}}";
}

std::string q(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string good_metadata() { return metadata(q(ak), q(sk), q(token)); }

std::string pod(std::string_view access, std::string_view secret, std::string_view tok,
                std::string_view expires = "\"2030-01-08T03:50:07Z\"") {
    return std::string(R"({"credentials": {"accessKeyId": )") + std::string(access) + R"(, "secretAccessKey": )" +
           std::string(secret) + R"(, "securityToken": )" + std::string(tok) + R"(, "expiration": )" +
           std::string(expires) + "}}";
}

// The error for `body`; fails the test if it parsed, and if any secret shows in the error.
template <class Parse>
std::string error_of(Parse parse, std::string const& body) {
    auto r = parse(body);
    auto const* e = std::get_if<std::string>(&r);
    REQUIRE_MESSAGE(e != nullptr, body);
    CHECK(!e->empty());
    for (std::string_view secret : {ak, sk, token, std::string_view("SECRETVALUE123456")}) {
        INFO(*e);
        CHECK(e->find(secret) == std::string::npos);
    }
    return *e;
}

std::string metadata_error(std::string const& body) { return error_of(parse_metadata_key, body); }
std::string pod_error(std::string const& body) { return error_of(parse_pod_identity_key, body); }

}  // namespace

TEST_CASE("expires_at: IAM's format, with and without fraction and Z") {
    auto const base = utc(2020, 1, 8, 3, 50, 7);
    CHECK(parse_expires_at("2020-01-08T03:50:07.574000Z") == base + microseconds{574000});
    CHECK(parse_expires_at("2020-01-08T03:50:07Z") == base);
    CHECK(parse_expires_at("2020-01-08T03:50:07") == base);
    CHECK(parse_expires_at("2020-01-08T03:50:07.5") == base + milliseconds{500});
    CHECK(parse_expires_at("2020-01-08T03:50:07.123456789Z") == base + nanoseconds{123456789});
    // Digits past the ninth are read and dropped.
    CHECK(parse_expires_at("2020-01-08T03:50:07.1234567891234Z") == base + nanoseconds{123456789});
    CHECK(parse_expires_at("2020-01-08T03:50:07.000Z") == base);
    CHECK(!parse_expires_at("2020-01-08T03:50:07.Z"));
    CHECK(!parse_expires_at("2020-01-08T03:50:07."));
    CHECK(!parse_expires_at("2020-01-08T03:50:07.5x"));
}

TEST_CASE("expires_at: offsets") {
    auto const base = utc(2020, 1, 8, 3, 50, 7);
    CHECK(parse_expires_at("2020-01-08T03:50:07+00:00") == base);
    CHECK(parse_expires_at("2020-01-08T03:50:07-00:00") == base);
    CHECK(parse_expires_at("2020-01-08T11:50:07+08:00") == base);
    CHECK(parse_expires_at("2020-01-07T22:20:07.250-05:30") == base + milliseconds{250});
    CHECK(parse_expires_at("2020-01-08T03:50:07.5+01:00") == base - hours{1} + milliseconds{500});
    CHECK(!parse_expires_at("2020-01-08T03:50:07+0800"));
    CHECK(!parse_expires_at("2020-01-08T03:50:07+08"));
    CHECK(!parse_expires_at("2020-01-08T03:50:07+24:00"));
    CHECK(!parse_expires_at("2020-01-08T03:50:07+08:60"));
    CHECK(!parse_expires_at("2020-01-08T03:50:07Z+00:00"));
    CHECK(!parse_expires_at("2020-01-08T03:50:07ZZ"));
}

TEST_CASE("expires_at: an offset cannot bring a time before 1970 (fuzz_credential_bodies)") {
    // The year is 1970, but the time is 1969-12-31T23:30:00Z (fuzz/regressions/
    // fuzz_credential_bodies/expires-before-epoch-by-offset).
    CHECK(!parse_expires_at("1970-01-01T00:30:00+01:00"));
    CHECK(!parse_expires_at("1970-01-01T00:00:00.999999999+00:01"));
    CHECK(parse_expires_at("1970-01-01T01:00:00+01:00") == system_clock::time_point{});
    CHECK(parse_expires_at("1969-12-31T23:00:00-01:00") == std::nullopt);  // the year is checked too
    CHECK(parse_expires_at("1970-01-01T00:00:00-01:00") == system_clock::time_point{} + hours{1});
}

TEST_CASE("expires_at: ranges and leap years") {
    CHECK(parse_expires_at("2024-02-29T00:00:00Z") == utc(2024, 2, 29, 0, 0, 0));
    CHECK(!parse_expires_at("2023-02-29T00:00:00Z"));
    CHECK(parse_expires_at("2000-02-29T00:00:00Z"));
    CHECK(!parse_expires_at("2100-02-29T00:00:00Z"));
    CHECK(parse_expires_at("2023-04-30T23:59:59Z"));
    CHECK(!parse_expires_at("2023-04-31T00:00:00Z"));
    CHECK(!parse_expires_at("2023-00-10T00:00:00Z"));
    CHECK(!parse_expires_at("2023-13-10T00:00:00Z"));
    CHECK(!parse_expires_at("2023-01-00T00:00:00Z"));
    CHECK(!parse_expires_at("2023-01-32T00:00:00Z"));
    CHECK(!parse_expires_at("2023-01-10T24:00:00Z"));
    CHECK(!parse_expires_at("2023-01-10T23:60:00Z"));
    CHECK(!parse_expires_at("2023-01-10T23:59:61Z"));
    // A leap second is the next minute's first.
    CHECK(parse_expires_at("2016-12-31T23:59:60Z") == utc(2017, 1, 1, 0, 0, 0));
    CHECK(parse_expires_at("1970-01-01T00:00:00Z") == system_clock::time_point{});
    CHECK(!parse_expires_at("1969-12-31T23:59:59Z"));
}

TEST_CASE("expires_at: huge years, garbage") {
    CHECK(!parse_expires_at("10000-01-01T00:00:00Z"));
    CHECK(!parse_expires_at("99999999999999999999-01-01T00:00:00Z"));
    CHECK(!parse_expires_at("0000-01-01T00:00:00Z"));
    // Past what system_clock can hold: the latest time it can.
    CHECK(parse_expires_at("9999-12-31T23:59:59.999999999Z") == system_clock::time_point::max());
    CHECK(parse_expires_at("2200-06-01T00:00:00Z") == utc(2200, 6, 1, 0, 0, 0));
    for (std::string_view bad : {"", "Z", "2020", "2020-01-08", "2020-01-08T03:50", "2020-01-08 03:50:07Z",
                                 "2020-1-08T03:50:07Z", "2020-01-08t03:50:07Z", " 2020-01-08T03:50:07Z",
                                 "2020-01-08T03:50:07Z ", "2020-01-08T03:50:07z", "+020-01-08T03:50:07Z",
                                 "2020-01-08T03:5a:07Z", "2020/01/08T03:50:07Z", "１９７０-01-01T00:00:00Z"}) {
        INFO(bad);
        CHECK(!parse_expires_at(bad));
    }
    std::string const embedded_nul("2020-01-08T03:50:07Z\0", 21);
    CHECK(!parse_expires_at(embedded_nul));
}

TEST_CASE("metadata key: a valid body") {
    auto r = parse_metadata_key(good_metadata());
    auto const* k = std::get_if<temporary_key>(&r);
    REQUIRE(k != nullptr);
    CHECK(k->creds.ak == ak);
    CHECK(k->creds.sk == sk);
    CHECK(k->creds.security_token == token);
    CHECK(k->expires_at == utc(2030, 1, 8, 3, 50, 7) + microseconds{574000});
}

TEST_CASE("metadata key: other members are ignored, the secrets are trimmed") {
    auto const body = R"({"x": [1, {"y": null}], "credential": {"other": 1, "access": "  )" + std::string(ak) +
                      R"(\n", "secret": ")" + std::string(sk) + R"(\t", "securitytoken": ")" + std::string(token) +
                      R"(", "expires_at": "2030-01-08T03:50:07Z"}})";
    auto r = parse_metadata_key(body);
    auto const* k = std::get_if<temporary_key>(&r);
    REQUIRE(k != nullptr);
    CHECK(k->creds.ak == ak);
    CHECK(k->creds.sk == sk);
}

TEST_CASE("metadata key: each field missing, wrong type, or empty") {
    std::vector<std::string> const names{"access", "secret", "securitytoken", "expires_at"};
    for (std::size_t i = 0; i < names.size(); ++i) {
        std::vector<std::string> fields{q(ak), q(sk), q(token), "\"2030-01-08T03:50:07Z\""};
        auto with = [&](std::string v) {
            auto f = fields;
            f[i] = std::move(v);
            return metadata(f[0], f[1], f[2], f[3]);
        };
        CAPTURE(names[i]);
        for (auto const& value_kind : std::vector<std::pair<std::string, std::string>>{
                 {"1", "a number"},
                 {"1e999999", "a number"},
                 {"123456789012345678901234567890", "a number"},
                 {"true", "a boolean"},
                 {"null", "null"},
                 {"[\"" + std::string(sk) + "\"]", "an array"},
                 {"{\"v\": \"" + std::string(sk) + "\"}", "an object"}}) {
            auto const e = metadata_error(with(value_kind.first));
            CHECK(e == "credential." + names[i] + " is " + value_kind.second + ", not a string");
        }
        CHECK(metadata_error(with("\"\"")) == "credential." + names[i] + " is empty");
        // Missing: rename the key.
        auto body = metadata(fields[0], fields[1], fields[2], fields[3]);
        auto const at = body.find("\"" + names[i] + "\"");
        REQUIRE(at != std::string::npos);
        body.insert(at + 1, "not_");
        CHECK(metadata_error(body) == "credential." + names[i] + " is missing");
    }
}

TEST_CASE("metadata key: the envelope") {
    CHECK(metadata_error("{}") == "credential is missing");
    CHECK(metadata_error(R"({"credentials": {}})") == "credential is missing");
    CHECK(metadata_error(R"({"credential": "x"})") == "credential is a string, not an object");
    CHECK(metadata_error(R"({"credential": []})") == "credential is an array, not an object");
    CHECK(metadata_error("[]") == "the response is an array, not an object");
    CHECK(metadata_error("42") == "the response is a number, not an object");
    CHECK(metadata_error("null") == "the response is null, not an object");
}

TEST_CASE("metadata key: not JSON") {
    for (std::string body : {std::string(""), std::string("<html>"), std::string("{"),
                             std::string(R"({"credential": {"access": ")") + std::string(sk),
                             good_metadata() + "x", good_metadata() + "{}", std::string("{'a': 1}"),
                             std::string("{\"a\": 1,}"), std::string("{\"a\": 1} // c"),
                             std::string(R"({"credential": {"secret": "\u12"}})")}) {
        CAPTURE(body);
        CHECK(contains(metadata_error(body), "the response is not JSON"));
    }
    // Whitespace after the document is fine.
    CHECK(std::holds_alternative<temporary_key>(parse_metadata_key(good_metadata() + " \r\n\t")));
}

TEST_CASE("metadata key: nesting too deep") {
    std::string deep;
    for (int i = 0; i < 17; ++i) deep += "[";
    for (int i = 0; i < 17; ++i) deep += "]";
    CHECK(metadata_error(deep) == "the response is nested more than 16 levels deep");
    std::string very(100000, '[');
    CHECK(metadata_error(very) == "the response is nested more than 16 levels deep");
    std::string inside = R"({"credential": {"access": ")" + std::string(ak) + R"(", "x": )";
    for (int i = 0; i < 20; ++i) inside += "{\"a\":";
    inside += "1";
    for (int i = 0; i < 20; ++i) inside += "}";
    inside += "}}";
    CHECK(metadata_error(inside) == "the response is nested more than 16 levels deep");
    // 16 levels are fine.
    std::string sixteen(16, '[');
    sixteen += std::string(16, ']');
    CHECK(metadata_error(sixteen) == "the response is an array, not an object");
    std::string ok = R"({"pad": )";
    for (int i = 0; i < 15; ++i) ok += "[";
    for (int i = 0; i < 15; ++i) ok += "]";
    ok += R"(, "credential": {"access": ")" + std::string(ak) + R"(", "secret": ")" + std::string(sk) +
          R"(", "securitytoken": ")" + std::string(token) + R"(", "expires_at": "2030-01-08T03:50:07Z"}})";
    CHECK(std::holds_alternative<temporary_key>(parse_metadata_key(ok)));
}

TEST_CASE("metadata key: a key given twice is refused, naming its path") {
    auto const dup_secret = R"({"credential": {"access": ")" + std::string(ak) + R"(", "secret": ")" +
                            std::string(sk) + R"(", "secret": "SECRETVALUE123456", "securitytoken": ")" +
                            std::string(token) + R"(", "expires_at": "2030-01-08T03:50:07Z"}})";
    CHECK(metadata_error(dup_secret) == "the response has credential.secret twice");
    CHECK(metadata_error(good_metadata().substr(0, good_metadata().size() - 1) + R"(, "credential": {}})") ==
          "the response has credential twice");
    CHECK(metadata_error(R"({"a": [0, {"b": 1, "b": 2}]})") == "the response has a[1].b twice");
    // The path is made printable and cut as a whole (fuzz_credential_bodies: 16 levels of long
    // keys made a 1.1 KB message; fuzz/regressions/fuzz_credential_bodies/duplicate-key-deep-long-path).
    std::string deep = "{";
    for (int i = 0; i < 15; ++i) deep += "\"" + std::string(70, 'K') + std::to_string(i) + "\": {";
    deep += "\"k\\u0007\": 1, \"k\\u0007\": 2" + std::string(16, '}');
    auto const deep_error = metadata_error(deep);
    CHECK(deep_error.size() == std::string("the response has ").size() + 256 + 3 + std::string(" twice").size());
    CHECK(deep_error.rfind("the response has " + std::string(70, 'K') + "0." + std::string(70, 'K') + "1.", 0) == 0);
    CHECK(deep_error.find("....") == std::string::npos);
    std::string shallow = R"({"a": {"k\u0007": 1, "k\u0007": 2}})";
    CHECK(metadata_error(shallow) == "the response has a.k? twice");
    // The same key in different objects is not a repeat.
    auto const siblings = R"({"a": {"access": 1}, "b": [{"access": 2}, {"access": 3}], "credential": {"access": ")" +
                          std::string(ak) + R"(", "secret": ")" + std::string(sk) + R"(", "securitytoken": ")" +
                          std::string(token) + R"(", "expires_at": "2030-01-08T03:50:07Z"}})";
    CHECK(std::holds_alternative<temporary_key>(parse_metadata_key(siblings)));
}

TEST_CASE("metadata key: expires_at that is not a time is quoted, printable and cut") {
    CHECK(metadata_error(metadata(q(ak), q(sk), q(token), "\"tomorrow\"")) ==
          "credential.expires_at 'tomorrow' is not a time");
    auto const e = metadata_error(metadata(q(ak), q(sk), q(token), "\"2030\\u001b[31m" + std::string(100, 'x') + "\""));
    CHECK(contains(e, "credential.expires_at '2030?"));
    CHECK(contains(e, "...' is not a time"));
    CHECK(e.size() < 140);
}

TEST_CASE("metadata key: unusable credentials are named by auth::problem, never shown") {
    CHECK(metadata_error(metadata(q("short"), q(sk), q(token))) ==
          "the temporary key is unusable: the AK is shorter than 8 characters (no real one is)");
    CHECK(metadata_error(metadata(q(ak), q("tiny"), q(token))) ==
          "the temporary key is unusable: the SK is shorter than 8 characters (no real one is)");
    CHECK(metadata_error(metadata(q(ak), q(sk), q("tok"))) ==
          "the temporary key is unusable: the security token is shorter than 8 characters (no real one is)");
    CHECK(metadata_error(metadata(q(ak), q("   "), q(token))) ==
          "the temporary key is unusable: the SK (secret access key) is empty");
    CHECK(metadata_error(metadata(q(ak), q("TMPSKsecret exam"), q(token))) ==
          "the temporary key is unusable: the SK contains whitespace");
    CHECK(metadata_error(metadata(q(ak), q(sk), q("gQpjbi1ub3J0\\u0000aC00SECURITYTOKENexample"))) ==
          "the temporary key is unusable: the security token contains a control character (CR, LF, NUL, ...)");
}

TEST_CASE("pod identity key: a valid body and its field names in errors") {
    auto r = parse_pod_identity_key(pod(q(ak), q(sk), q(token)));
    auto const* k = std::get_if<temporary_key>(&r);
    REQUIRE(k != nullptr);
    CHECK(k->creds.ak == ak);
    CHECK(k->creds.sk == sk);
    CHECK(k->creds.security_token == token);
    CHECK(k->expires_at == utc(2030, 1, 8, 3, 50, 7));

    CHECK(pod_error(good_metadata()) == "credentials is missing");
    CHECK(pod_error(pod("1", q(sk), q(token))) == "credentials.accessKeyId is a number, not a string");
    CHECK(pod_error(pod(q(ak), "null", q(token))) == "credentials.secretAccessKey is null, not a string");
    CHECK(pod_error(pod(q(ak), q(sk), "\"\"")) == "credentials.securityToken is empty");
    CHECK(pod_error(pod(q(ak), q(sk), q(token), "\"never\"")) == "credentials.expiration 'never' is not a time");
    CHECK(pod_error(R"({"credentials": {"accessKeyId": ")" + std::string(ak) + R"("}})") ==
          "credentials.secretAccessKey is missing");
    CHECK(pod_error(pod(q(ak), q("short"), q(token))) ==
          "the temporary key is unusable: the SK is shorter than 8 characters (no real one is)");
    CHECK(contains(pod_error("not json"), "the response is not JSON"));
}
