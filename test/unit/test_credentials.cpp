// Credentials types and the per-attempt authorization headers (src/auth/authorize.*).
#include <apig/credentials.hpp>

#include "auth/authorize.hpp"
#include "auth/signer.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <doctest/doctest.h>

#include <thread>

namespace {

std::string const ak = "HPUAEXAMPLEACCESSKEY";
std::string const sk = "example-secret-key-0123456789";
std::string const st = "example-security-token";

}  // namespace

TEST_CASE("credentials: to_string shows kinds and sizes, never a secret") {
    CHECK(apig::to_string(apig::token_credentials{"abc"}) == "token_credentials{token=<redacted, 3 bytes>}");
    CHECK(apig::to_string(apig::token_credentials{}) == "token_credentials{token=<none>}");
    CHECK(apig::to_string(apig::aksk_credentials{.ak = ak, .sk = sk, .security_token = st}) ==
          "aksk_credentials{ak=<redacted, 20 bytes>, sk=<redacted, 29 bytes>, security_token=<redacted, 22 bytes>}");
    CHECK(apig::to_string(apig::credentials{apig::token_credentials{"abc"}}) ==
          "token_credentials{token=<redacted, 3 bytes>}");
    CHECK(apig::to_string(apig::client_credentials{std::make_shared<apig::rotating_credentials>(
              apig::token_credentials{"x"})}) == "credentials_provider");
    CHECK(apig::to_string(apig::client_credentials{std::shared_ptr<apig::credentials_provider>{}}) ==
          "credentials_provider{null}");
}

TEST_CASE("credentials: problem() names the field, never its value") {
    using apig::auth::problem;
    CHECK(problem(apig::token_credentials{"MIIEXAMPLEtoken"}) == "");
    CHECK(problem(apig::token_credentials{}) == "the token is empty");
    CHECK(problem(apig::token_credentials{"a\nb"}) == "the token contains a control character (CR, LF, NUL, ...)");
    CHECK(problem(apig::token_credentials{std::string("a\0b", 3)}).find("control character") != std::string::npos);
    CHECK(problem(apig::aksk_credentials{.ak = ak, .sk = sk}) == "");
    CHECK(problem(apig::aksk_credentials{.ak = ak, .sk = sk, .security_token = st}) == "");
    CHECK(problem(apig::aksk_credentials{.sk = sk}) == "the AK (access key id) is empty");
    CHECK(problem(apig::aksk_credentials{.ak = ak}) == "the SK (secret access key) is empty");
    CHECK(problem(apig::aksk_credentials{.ak = ak + "\x7f", .sk = sk}) ==
          "the AK contains a control character (CR, LF, NUL, ...)");
    CHECK(problem(apig::aksk_credentials{.ak = ak, .sk = sk, .security_token = "x\r\ny"}) ==
          "the security token contains a control character (CR, LF, NUL, ...)");
    // The SK is only an HMAC key, but a control character in it means a wrong value too.
    CHECK(problem(apig::aksk_credentials{.ak = ak, .sk = sk + std::string("\0\n\xff", 3)}) ==
          "the SK contains a control character (CR, LF, NUL, ...)");
}

// Regression: a secret of a few characters (token "0") made redaction rewrite ordinary server
// text (`APIC.7102` -> `APIC.71<redacted>2`); no real credential is that short.
TEST_CASE("credentials: problem() refuses a secret shorter than 8 characters, naming the field") {
    using apig::auth::problem;
    CHECK(problem(apig::token_credentials{"0"}) == "the token is shorter than 8 characters (no real one is)");
    CHECK(problem(apig::token_credentials{"1234567"}) == "the token is shorter than 8 characters (no real one is)");
    CHECK(problem(apig::token_credentials{"12345678"}) == "");
    CHECK(problem(apig::aksk_credentials{.ak = "AKSHORT", .sk = sk}) ==
          "the AK is shorter than 8 characters (no real one is)");
    CHECK(problem(apig::aksk_credentials{.ak = ak, .sk = "sk"}) == "the SK is shorter than 8 characters (no real one is)");
    CHECK(problem(apig::aksk_credentials{.ak = ak, .sk = sk, .security_token = "st"}) ==
          "the security token is shorter than 8 characters (no real one is)");
    // Length after trimming: whitespace does not make a short secret long enough.
    CHECK(problem(apig::token_credentials{"   abc   "}) == "the token is shorter than 8 characters (no real one is)");
    CHECK(problem(apig::token_credentials{"  \n"}) == "the token is empty");
    // Never the value.
    CHECK(problem(apig::aksk_credentials{.ak = "AKSHORT", .sk = sk}).find("AKSHORT") == std::string::npos);
}

TEST_CASE("credentials: problem() accepts whitespace around a secret and refuses it inside") {
    using apig::auth::problem;
    CHECK(problem(apig::token_credentials{"  MIIEXAMPLEtoken \r\n"}) == "");
    CHECK(problem(apig::aksk_credentials{.ak = " " + ak + "\t", .sk = sk + "\n", .security_token = " " + st}) == "");
    CHECK(problem(apig::token_credentials{"MIIEXAMPLE token"}) == "the token contains whitespace");
    CHECK(problem(apig::aksk_credentials{.ak = ak, .sk = "example secret key"}) == "the SK contains whitespace");
    CHECK(problem(apig::aksk_credentials{.ak = "HPUA EXAMPLE", .sk = sk}) == "the AK contains whitespace");
    CHECK(problem(apig::aksk_credentials{.ak = ak, .sk = sk, .security_token = "security token"}) ==
          "the security token contains whitespace");
    CHECK(problem(apig::token_credentials{"MIIEXAMPLE\ttoken"}) ==
          "the token contains a control character (CR, LF, NUL, ...)");
}

TEST_CASE("credentials: trimmed() removes the whitespace around every secret, nothing inside") {
    using apig::auth::trimmed;
    CHECK(trimmed(apig::token_credentials{"  MIIEXAMPLEtoken\r\n"}) ==
          apig::credentials{apig::token_credentials{"MIIEXAMPLEtoken"}});
    CHECK(trimmed(apig::aksk_credentials{.ak = " " + ak + "\t", .sk = "\v" + sk + "\f", .security_token = st + " \n"}) ==
          apig::credentials{apig::aksk_credentials{.ak = ak, .sk = sk, .security_token = st}});
    CHECK(trimmed(apig::token_credentials{"in side"}) == apig::credentials{apig::token_credentials{"in side"}});
    CHECK(trimmed(apig::aksk_credentials{.ak = ak, .sk = sk}) == apig::credentials{apig::aksk_credentials{.ak = ak, .sk = sk}});
}

TEST_CASE("credentials: a token becomes X-Auth-Token; a key pair is signed at the given time") {
    auto const when = std::chrono::system_clock::from_time_t(1'700'000'000);  // 2023-11-14T22:13:20Z
    auto const tok = apig::auth::authorization_headers(apig::token_credentials{"tk"}, "GET", "/v2/p/apigw/instances",
                                                       "h:1", when, "p");
    CHECK(tok == apig::auth::header_list{{"X-Auth-Token", "tk"}});

    std::string const target = "/v2/p/apigw/instances?offset=0&limit=20";
    auto const key = apig::aksk_credentials{.ak = ak, .sk = sk, .security_token = st};
    auto const h = apig::auth::authorization_headers(key, "GET", target, "h:1", when, "p");
    CHECK(h == apig::auth::sign_request("GET", target, "h:1", when, "p", st, ak, sk));
    REQUIRE(h.size() == 4);
    CHECK(h[0] == std::pair<std::string, std::string>{"X-Sdk-Date", "20231114T221320Z"});
    CHECK(h[1] == std::pair<std::string, std::string>{"X-Project-Id", "p"});
    CHECK(h[2] == std::pair<std::string, std::string>{"X-Security-Token", st});
    CHECK(h[3].first == "Authorization");
    // A second later: another date, another signature.
    auto const later = apig::auth::authorization_headers(key, "GET", target, "h:1", when + std::chrono::seconds(1), "p");
    CHECK(later[0].second == "20231114T221321Z");
    CHECK(later[3].second != h[3].second);
}

TEST_CASE("credentials: secrets() lists what to redact") {
    apig::credentials const token = apig::token_credentials{"tk"};
    auto const t = apig::auth::secrets(token);
    CHECK(t[0] == "tk");
    CHECK(t[1].empty());
    apig::credentials const key = apig::aksk_credentials{.ak = ak, .sk = sk, .security_token = st};
    auto const k = apig::auth::secrets(key);
    CHECK(k[0] == ak);
    CHECK(k[1] == sk);
    CHECK(k[2] == st);
}

TEST_CASE("credentials: attempt_secrets() adds the attempt's signature, found in its request bytes") {
    auto const when = std::chrono::system_clock::from_time_t(1'700'000'000);
    std::string const target = "/v2/p/apigw/instances?offset=0&limit=20";
    apig::credentials const key = apig::aksk_credentials{.ak = ak, .sk = sk, .security_token = st};
    std::string request = "GET " + target + " HTTP/1.1\r\nHost: h:1\r\n";
    std::string signature;
    for (auto const& [name, value] : apig::auth::authorization_headers(key, "GET", target, "h:1", when, "p")) {
        request += name + ": " + value + "\r\n";
        if (name == "Authorization") signature = value.substr(value.find("Signature=") + 10);
    }
    request += "\r\n";
    REQUIRE(signature.size() == 64);
    auto const s = apig::auth::attempt_secrets(key, request);
    CHECK(s[0] == ak);
    CHECK(s[1] == sk);
    CHECK(s[2] == st);
    CHECK(s[3] == signature);
    // No Authorization header (or a token): only the credentials' own secrets.
    CHECK(apig::auth::attempt_secrets(key, "GET / HTTP/1.1\r\n\r\n")[3].empty());
    apig::credentials const token = apig::token_credentials{"token-0123456789"};
    CHECK(apig::auth::attempt_secrets(token, request)[3].empty());
}

TEST_CASE("credentials: rotating_credentials hands out what was set last; refresh() defaults to current()") {
    auto rot = std::make_shared<apig::rotating_credentials>(apig::token_credentials{"one"});
    CHECK(rot->current() == apig::credentials{apig::token_credentials{"one"}});
    rot->set(apig::aksk_credentials{.ak = ak, .sk = sk});
    CHECK(rot->current() == apig::credentials{apig::aksk_credentials{.ak = ak, .sk = sk}});

    boost::asio::io_context io;
    auto fut = boost::asio::co_spawn(io, rot->refresh(apig::token_credentials{"one"}), boost::asio::use_future);
    io.run();
    CHECK(fut.get() == apig::credentials{apig::aksk_credentials{.ak = ak, .sk = sk}});

    // set() from one thread while another reads: every read is one of the values set.
    std::thread writer([&] {
        for (int i = 0; i < 2'000; ++i) rot->set(apig::token_credentials{i % 2 ? "odd" : "even"});
    });
    int seen = 0;
    for (int i = 0; i < 2'000; ++i) {
        auto const c = rot->current();
        auto const* t = std::get_if<apig::token_credentials>(&c);
        if (t) {
            CHECK((t->token == "odd" || t->token == "even"));
            ++seen;
        }
    }
    writer.join();
    CHECK(std::get<apig::token_credentials>(rot->current()).token == "odd");
    (void)seen;
}
