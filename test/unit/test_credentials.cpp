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
    CHECK(problem(apig::token_credentials{"t"}) == "");
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
    // The SK is only an HMAC key: any byte is fine.
    CHECK(problem(apig::aksk_credentials{.ak = ak, .sk = std::string("\0\n\xff", 3)}) == "");
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
