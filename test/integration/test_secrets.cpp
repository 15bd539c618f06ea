// Secret hygiene: failing calls of every kind, with the log sink and the attempt hook
// capturing everything; the token never appears in any message, field or log line.
#include "harness.hpp"
#include "raw_server.hpp"
#include "retry_detail.hpp"  // test seams

#include <apig/credentials_chain.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>

#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

namespace asio = boost::asio;
using apig::test::options_for;
using apig::test::raw_server;
using std::chrono::milliseconds;

namespace {

std::string const secret = "S3cr3t-t0k3n-value-that-must-never-leak";

// Everything a failing call produced that a service could print.
struct captured {
    std::string text;
    void add(apig::error_info const& e) {
        text += e.message + '\n' + e.api_code + '\n' + e.api_message + '\n' + e.request_id + '\n' +
                e.code.message() + '\n';
    }
    void hook(apig::client_options& o) {
        o.log_min_level = apig::log_level::trace;
        o.log = [this](apig::log_level, std::string_view line) { text.append(line).append("\n"); };
        o.on_attempt = [this](apig::attempt_info const& a) {
            text.append(a.target).append("\n");
            if (a.error) add(*a.error);
        };
    }
};

void fail_once(apig::client_options o, captured& cap, apig::list_request req = {}) {
    cap.hook(o);
    apig::detail::seams(o.retry).sleep = [](milliseconds) -> asio::awaitable<void> { co_return; };
    asio::io_context io;
    try {
        apig::client c(io.get_executor(), o);
        try {
            apig::test::run(io, c.list_instances(req));
        } catch (apig::api_error const& e) {
            cap.add(e.info());
            cap.text += e.what();
        }
    } catch (apig::api_error const& e) {  // refused options
        cap.add(e.info());
        cap.text += e.what();
    }
}

}  // namespace

TEST_CASE("no failure of any kind shows the token") {
    captured cap;
    apig::emulator::server srv({.token = secret, .instance_count = 5});

    auto o = options_for(srv);
    o.credentials = apig::token_credentials{secret};
    auto wrong = o;
    wrong.credentials = apig::token_credentials{secret + "-wrong"};

    fail_once(wrong, cap);                                        // 401
    auto forbidden = o;
    forbidden.project_id = "not-served";
    fail_once(forbidden, cap);                                    // 403
    srv.fail_next(10, 500);
    fail_once(o, cap);                                            // 500, retried, gave up
    srv.fail_next(10, 503);
    fail_once(o, cap);                                            // 503
    fail_once(o, cap, {.limit = 0});                              // invalid argument
    auto bad_ca = o;
    bad_ca.tls.ca_pem = apig::emulator::make_tls_material().ca_cert_pem;
    fail_once(bad_ca, cap);                                       // TLS verification
    auto slow = o;
    slow.timeouts.attempt = milliseconds(50);
    slow.retry.max_attempts = 2;
    srv.set_response_delay(milliseconds(500));
    fail_once(slow, cap);                                         // timeouts
    srv.set_response_delay(milliseconds(0));
    auto injected = o;
    injected.credentials = apig::token_credentials{secret + "\r\nX-Evil: 1"};
    fail_once(injected, cap);                                     // header injection refused
    auto refused = o;
    refused.endpoint = "https://127.0.0.1:1";
    refused.retry.max_attempts = 2;
    fail_once(refused, cap);                                      // connection refused

    // A server that echoes the token in its error body and reason phrase.
    raw_server echo({{raw_server::response("401 " + secret,
                                           R"({"error_code":")" + secret + R"(","error_msg":"bad )" + secret + R"("})"),
                      false}});
    apig::client_options eo{.endpoint = echo.endpoint(), .project_id = "p", .credentials = apig::token_credentials{secret}};
    eo.tls.ca_pem = echo.ca_pem();
    fail_once(eo, cap);
    // A 200 whose body is broken and contains the token.
    raw_server broken({{raw_server::response("200 OK", R"({"total":")" + secret), false}});
    apig::client_options bo{.endpoint = broken.endpoint(), .project_id = "p", .credentials = apig::token_credentials{secret}};
    bo.tls.ca_pem = broken.ca_pem();
    bo.retry.max_attempts = 1;
    fail_once(bo, cap);

    CHECK(cap.text.size() > 1000);  // the failures really produced text
    CHECK(cap.text.find("HTTP 401") != std::string::npos);
    CHECK(cap.text.find("HTTP 403") != std::string::npos);
    CHECK(cap.text.find("timed out") != std::string::npos);
    CHECK(cap.text.find(secret) == std::string::npos);
    CHECK(apig::to_string(apig::token_credentials{secret}).find(secret) == std::string::npos);
    // No request the emulator recorded kept the token either.
    for (auto const& r : srv.requests()) CHECK(r.target.find(secret) == std::string::npos);
}

TEST_CASE("no failure of any kind shows the AK, the SK or the security token") {
    std::string const ak = "HPUAK3YS3CR3TACCESS9";
    std::string const sk = "SK-s3cr3t-never-to-be-seen-0123456789abcd";
    std::string const st = "ST-s3cr3t-security-token-never-seen-0987";
    captured cap;
    apig::emulator::options eopts;
    eopts.instance_count = 5;
    eopts.access_keys = {{.ak = ak, .sk = sk, .security_token = st}};
    apig::emulator::server srv(eopts);
    auto o = options_for(srv);
    o.credentials = apig::aksk_credentials{.ak = ak, .sk = sk, .security_token = st};
    auto with_key = [&](apig::aksk_credentials k) {
        auto c = o;
        c.credentials = std::move(k);
        return c;
    };

    fail_once(with_key({.ak = ak, .sk = sk + "x", .security_token = st}), cap);  // signature mismatch
    fail_once(with_key({.ak = ak, .sk = sk, .security_token = st + "x"}), cap);  // security token mismatch
    fail_once(with_key({.ak = ak + "X", .sk = sk, .security_token = st}), cap);  // unknown AK
    auto skewed = o;
    skewed.clock = [] { return std::chrono::system_clock::now() + std::chrono::hours(1); };
    fail_once(skewed, cap);  // date out of range
    auto forbidden = o;
    forbidden.project_id = "not-served";
    fail_once(forbidden, cap);  // 403
    srv.fail_next(10, 503);
    fail_once(o, cap);  // 503, retried, gave up
    fail_once(o, cap, {.limit = 501});  // invalid argument
    fail_once(with_key({.ak = ak + "\n", .sk = sk, .security_token = st}), cap);  // refused options
    fail_once(with_key({.ak = ak, .sk = sk, .security_token = st + "\r\nX-Evil: 1"}), cap);
    fail_once(with_key({.ak = ak, .sk = "", .security_token = st}), cap);
    auto bad_ca = o;
    bad_ca.tls.ca_pem = apig::emulator::make_tls_material().ca_cert_pem;
    fail_once(bad_ca, cap);  // TLS verification

    // A provider whose refresh fails quoting the key it was asked to replace.
    struct leaky_provider : apig::credentials_provider {
        apig::aksk_credentials key;
        apig::credentials current() override { return key; }
        asio::awaitable<apig::credentials> refresh(apig::credentials const&) override {
            throw std::runtime_error("cannot rotate " + key.ak + ":" + key.sk + " (" + key.security_token + ")");
            co_return key;
        }
    };
    auto leaky = std::make_shared<leaky_provider>();
    leaky->key = {.ak = ak, .sk = sk + "old", .security_token = st};
    auto po = o;
    po.credentials = leaky;
    fail_once(po, cap);

    // A server that echoes the Authorization header, the security token and the SK.
    std::string const echoed = "Access=" + ak + " sk=" + sk + " st=" + st;
    raw_server echo({{raw_server::response("401 " + echoed, R"({"error_code":")" + ak +
                                                                R"(","error_msg":")" + echoed + R"("})"),
                      false}});
    apig::client_options eo{.endpoint = echo.endpoint(), .project_id = "p",
                            .credentials = apig::aksk_credentials{.ak = ak, .sk = sk, .security_token = st}};
    eo.tls.ca_pem = echo.ca_pem();
    fail_once(eo, cap);

    CHECK(cap.text.size() > 1000);
    CHECK(cap.text.find("APIGW.0301") != std::string::npos);
    CHECK(cap.text.find("HTTP 403") != std::string::npos);
    CHECK(cap.text.find("cannot rotate <redacted>") != std::string::npos);
    for (auto const& s : {ak, sk, st}) {
        CAPTURE(s);
        CHECK(cap.text.find(s) == std::string::npos);
        CHECK(apig::to_string(apig::aksk_credentials{.ak = ak, .sk = sk, .security_token = st}).find(s) ==
              std::string::npos);
        for (auto const& r : srv.requests()) CHECK(r.target.find(s) == std::string::npos);
    }
    CHECK(apig::to_string(apig::client_credentials{apig::aksk_credentials{.ak = ak, .sk = sk}}) ==
          "aksk_credentials{ak=<redacted, 20 bytes>, sk=<redacted, 41 bytes>, security_token=<none>}");
}

// ---- whitespace around a secret, short secrets, provider text -----------

namespace {

/// The first 8-byte run of `secret` in `text`, or "" if none: what must never be shown.
std::string leaked_run(std::string_view text, std::string_view secret) {
    for (std::size_t i = 0; i + 8 <= secret.size(); ++i)
        if (text.find(secret.substr(i, 8)) != std::string_view::npos) return std::string(secret.substr(i, 8));
    return {};
}

}  // namespace

// A token with leading spaces was sent with them, and a server's echo of it (without them) was
// not found by the redaction.
TEST_CASE("a token with whitespace around it is sent trimmed, and its echo is redacted") {
    raw_server echo({{raw_server::response("401 Unauthorized " + secret.substr(0, 20),
                                           R"({"error_code":"APIC.7102","error_msg":"token )" + secret + R"( expired"})",
                                           "X-Request-Id: req-7102\r\n"),
                      false}});
    apig::client_options o{.endpoint = echo.endpoint(), .project_id = "p",
                           .credentials = apig::token_credentials{"   " + secret + "\n"}};
    o.tls.ca_pem = echo.ca_pem();
    captured cap;
    fail_once(o, cap);
    REQUIRE(echo.received().size() == 1);
    CHECK(echo.received()[0].find("\r\nX-Auth-Token: " + secret + "\r\n") != std::string::npos);
    CAPTURE(cap.text);
    CHECK(leaked_run(cap.text, secret).empty());
    // The API's code and the request id are kept exactly; the message that held the token goes whole.
    CHECK(cap.text.find("HTTP 401 APIC.7102: <redacted> (request id req-7102)") != std::string::npos);
}

TEST_CASE("a provider's credentials with whitespace around them are trimmed, not refused") {
    apig::emulator::server srv({.instance_count = 3});
    auto o = options_for(srv);
    o.credentials = std::make_shared<apig::rotating_credentials>(apig::token_credentials{" emulator-token\r\n"});
    auto const page = apig::test::list_once(srv, {}, o);
    CHECK(page.instances.size() == 3);
    REQUIRE(srv.requests().size() == 1);
    CHECK(srv.requests()[0].status == 200);
}

// No real credential is shorter than 8 characters; redacting one that short rewrote ordinary
// text (token "0": `APIC.7102` -> `APIC.71<redacted>2`).
TEST_CASE("a secret shorter than 8 characters or with whitespace inside is refused, naming the field") {
    apig::emulator::server srv({.instance_count = 3});
    auto refused = [&](apig::client_credentials c, std::string const& what) {
        auto o = options_for(srv);
        o.credentials = std::move(c);
        asio::io_context io;
        try {
            apig::client client(io.get_executor(), o);
            FAIL("the constructor accepted " << what);
        } catch (apig::api_error const& e) {
            CHECK(e.code() == apig::errc::invalid_argument);
            CHECK(std::string(e.what()) == "invalid argument: credentials: " + what);
        }
    };
    refused(apig::token_credentials{"0"}, "the token is shorter than 8 characters (no real one is)");
    refused(apig::token_credentials{"emulator token"}, "the token contains whitespace");
    refused(apig::aksk_credentials{.ak = "AK12345", .sk = "SK0123456789abcdef"},
            "the AK is shorter than 8 characters (no real one is)");
    refused(apig::aksk_credentials{.ak = "HPUAK3YS3CR3TACCESS9", .sk = "SK0123456789abcdef", .security_token = "st"},
            "the security token is shorter than 8 characters (no real one is)");
    // From a provider: the call fails with credentials_unavailable, nothing is sent.
    auto o = options_for(srv);
    o.credentials = std::make_shared<apig::rotating_credentials>(apig::token_credentials{"0"});
    auto const e = apig::test::list_error(o);
    CHECK(e.code() == apig::errc::credentials_unavailable);
    CHECK(std::string(e.what()).find("unusable credentials: the token is shorter than 8 characters") != std::string::npos);
    CHECK(srv.requests().empty());
}

// A provider's exception text went into the message as thrown: only a whole secret was
// redacted, and line breaks or terminal escapes stayed.
TEST_CASE("a provider's exception text is one line and keeps no run of the secrets") {
    std::string const ak = "HPUAK3YS3CR3TACCESS9";
    std::string const sk = "SK-s3cr3t-never-to-be-seen-0123456789abcd";
    apig::emulator::options eopts;
    eopts.instance_count = 3;
    eopts.access_keys = {{.ak = ak, .sk = sk}};
    apig::emulator::server srv(eopts);
    struct leaky_provider : apig::credentials_provider {
        apig::aksk_credentials key;
        apig::credentials current() override { return key; }
        asio::awaitable<apig::credentials> refresh(apig::credentials const&) override {
            throw std::runtime_error("IAM said:\n\x1b[31m key " + key.sk.substr(3, 20) + "\x1b[0m was revoked\r\n(" +
                                     key.ak.substr(0, 12) + ")");
            co_return key;
        }
    };
    auto leaky = std::make_shared<leaky_provider>();
    leaky->key = {.ak = ak, .sk = sk + "old"};  // refused by the emulator: a 401, then refresh()
    auto o = options_for(srv);
    o.credentials = leaky;
    captured cap;
    fail_once(o, cap);
    CAPTURE(cap.text);
    CHECK(cap.text.find("the credentials provider's refresh() threw: IAM said:   key <redacted>  was revoked  (<redacted>)") !=
          std::string::npos);
    CHECK(leaked_run(cap.text, sk).empty());
    CHECK(leaked_run(cap.text, ak).empty());
    CHECK(cap.text.find('\x1b') == std::string::npos);
}

TEST_CASE("no failure of credential discovery shows a key, a session token or a pod token") {
    std::string const ak = "HPUAKD1SC0V3RYS3CR3T";
    std::string const sk = "SK-discovery-s3cr3t-never-seen-0123456789";
    std::string const pod = "pod-s3cr3t-token-never-to-be-seen-42";
    apig::emulator::options eo;
    eo.instance_count = 5;
    eo.access_keys = {{.ak = ak, .sk = sk}};
    eo.metadata.enabled = true;
    eo.metadata.pod_token = pod;
    eo.iam_projects = {{"73d69ae0cfcf460190522d06b60f05ad", "cn-north-4"}, {"0b5c2f7e9d1a4c3b8e6f000000000002", "cn-north-4"}};
    apig::emulator::server srv(eo);
    auto const dir = std::filesystem::temp_directory_path() / ("apig-secrets-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto const write = [&](std::string const& name, std::string const& text) {
        std::ofstream(dir / name) << text;
        return (dir / name).string();
    };
    captured cap;
    auto const chain_with = [&](std::map<std::string, std::string> env) {
        apig::chain_options c;
        env.try_emplace("HUAWEICLOUD_SDK_CREDENTIALS_FILE", (dir / "absent").string());
        c.getenv = [env](std::string_view n) -> std::optional<std::string> {
            auto it = env.find(std::string(n));
            return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
        };
        c.metadata_endpoint = srv.metadata_endpoint();
        c.key.log = [&](apig::log_level, std::string_view line) { cap.text.append(line).append("\n"); };
        return apig::credentials_from_chain(std::move(c));
    };
    auto const with_chain = [&](std::shared_ptr<apig::credentials_chain> chain) {
        auto o = options_for(srv);
        o.credentials = std::shared_ptr<apig::credentials_provider>(chain);
        o.retry.max_attempts = 1;
        for (auto const& w : chain->warnings()) cap.text += w + "\n";
        return o;
    };

    srv.metadata_fail_next(1, 500);  // the metadata service fails, then the pod agent refuses
    fail_once(with_chain(chain_with({{"HC_CONTAINER_CREDENTIALS_FULL_URI", srv.metadata_endpoint() + "/v1/credentials"},
                                     {"HC_CONTAINER_AUTHORIZATION_TOKEN_FILE", write("pod", pod + "-wrong")}})),
              cap);
    // A profile with the key pair and a broken line; then one the server refuses.
    fail_once(with_chain(chain_with({{"HUAWEICLOUD_SDK_CREDENTIALS_FILE",
                                      write("broken", "[basic]\nak = " + ak + "\nsk " + sk + "\n")}})),
              cap);
    fail_once(with_chain(chain_with(
                  {{"HUAWEICLOUD_SDK_CREDENTIALS_FILE", write("wrong", "[basic]\nak = " + ak + "\nsk = " + sk + "x\n")}})),
              cap);
    // Discovery: IAM refuses the signature, then answers two projects.
    auto d = options_for(srv, "");
    d.endpoint.clear();
    d.region = "xx-secrets-1";
    ::setenv("HUAWEICLOUD_SDK_REGION_APIG_XX_SECRETS_1", srv.endpoint().c_str(), 1);
    d.iam_endpoint = srv.endpoint();
    d.credentials = apig::aksk_credentials{.ak = ak, .sk = sk + "x"};
    fail_once(d, cap);
    d.credentials = apig::aksk_credentials{.ak = ak, .sk = sk};
    d.region = "cn-north-4";
    ::setenv("HUAWEICLOUD_SDK_REGION_APIG_CN_NORTH_4", srv.endpoint().c_str(), 1);
    fail_once(d, cap);
    ::unsetenv("HUAWEICLOUD_SDK_REGION_APIG_XX_SECRETS_1");
    ::unsetenv("HUAWEICLOUD_SDK_REGION_APIG_CN_NORTH_4");
    // A metadata key that works, with its log line, then expires on the server's side.
    fail_once(with_chain(chain_with({})), cap);  // succeeds: its log line is captured

    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    CHECK(cap.text.find("no credentials found") != std::string::npos);
    CHECK(cap.text.find("HTTP 401") != std::string::npos);
    CHECK(cap.text.find("2 projects") != std::string::npos);
    CHECK(cap.text.find("fetched a temporary key") != std::string::npos);
    for (std::string const& s : {ak, sk, pod}) {
        CAPTURE(s);
        CHECK(cap.text.find(s) == std::string::npos);
        CHECK(cap.text.find(s.substr(0, 12)) == std::string::npos);
    }
}
