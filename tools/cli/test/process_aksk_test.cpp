// apig-instances as a process with AK/SK credentials from HUAWEICLOUD_SDK_AK/SK (and the
// security token): the walk is signed, which credentials win and what stderr says, and no
// secret in any output.

#include "process_support.hpp"

using namespace cli_process_test;
using namespace std::chrono_literals;

namespace {

// The emulator's key pair. Distinctive values: none may appear in any output, not even the AK.
constexpr char const* access_key_id = "CLIPROCESSAK8N7M6L5K";
constexpr char const* secret_key = "cli-process-sk-3e2d1c0b";
constexpr char const* temp_access_key_id = "CLIPROCESSTEMPAK4J3H";
constexpr char const* temp_secret_key = "cli-process-temp-sk-9a8b7c";
constexpr char const* security_token = "cli-process-security-token-5f6e7d";

/// A fixture whose emulator also accepts a permanent and a temporary key pair.
struct aksk_fixture : fixture {
    aksk_fixture() {
        server.set_access_keys({{access_key_id, secret_key, ""},
                                {temp_access_key_id, temp_secret_key, security_token}});
    }
    static std::map<std::string, std::string> permanent_env() {
        return {{"HUAWEICLOUD_SDK_AK", access_key_id}, {"HUAWEICLOUD_SDK_SK", secret_key}};
    }
    static std::map<std::string, std::string> temporary_env() {
        return {{"HUAWEICLOUD_SDK_AK", temp_access_key_id},
                {"HUAWEICLOUD_SDK_SK", temp_secret_key},
                {"HUAWEICLOUD_SDK_SECURITY_TOKEN", security_token}};
    }
};

/// No secret of any kind in stdout or stderr (and so nowhere a user or a log could see).
void check_no_secret(run_result const& r, std::vector<std::string> const& more = {}) {
    std::vector<std::string> secrets{secret,        access_key_id,   secret_key,
                                     temp_access_key_id, temp_secret_key, security_token};
    secrets.insert(secrets.end(), more.begin(), more.end());
    for (auto const& s : secrets) {
        CAPTURE(s);
        CHECK_FALSE(contains(r.out, s));
        CHECK_FALSE(contains(r.err, s));
    }
}

/// Every request the server saw was authenticated as `kind` (and, for aksk, with `ak`).
void check_auth(apig::emulator::server const& server, apig::emulator::auth_kind kind,
                std::string const& ak = "") {
    auto const requests = server.requests();
    REQUIRE_FALSE(requests.empty());
    for (auto const& q : requests) {
        CHECK(q.auth == kind);
        if (kind == apig::emulator::auth_kind::aksk) CHECK(q.access_key == ak);
    }
}

}  // namespace

TEST_CASE("process: AK/SK with a security token: the walk succeeds, signed, quietly") {
    aksk_fixture f;
    auto const r = run_cli(f.dir, f.args({"--all", "--limit", "10", "--format", "jsonl"}),
                           aksk_fixture::temporary_env());
    CAPTURE(r.err);
    CHECK(r.exit_code == 0);
    check_jsonl_ids(r.out, f.server.ids());
    // Only a key pair in the environment: nothing to choose, so exactly the summary.
    CHECK(is_summary_line(r.err, "57 of 57 instances, 6 pages, "));
    CHECK(f.server.requests_served() == 6);
    check_auth(f.server, apig::emulator::auth_kind::aksk, temp_access_key_id);
    for (auto const& q : f.server.requests()) CHECK_FALSE(q.had_token);
    check_no_secret(r);
}

TEST_CASE("process: AK/SK without a security token (a permanent key)") {
    aksk_fixture f;
    auto const r = run_cli(f.dir, f.args({"--format", "none"}), aksk_fixture::permanent_env());
    CAPTURE(r.err);
    CHECK(r.exit_code == 0);
    CHECK(is_summary_line(r.err, "20 of 57 instances, 1 page, "));
    check_auth(f.server, apig::emulator::auth_kind::aksk, access_key_id);
    check_no_secret(r);
}

TEST_CASE("process: a key pair and a token: the key pair is used and stderr says so") {
    aksk_fixture f;
    auto env = aksk_fixture::temporary_env();
    env["APIG_AUTH_TOKEN"] = secret;  // valid too: only the recorded requests tell which won
    auto r = run_cli(f.dir, f.args({"--format", "none"}), env);
    CAPTURE(r.err);
    CHECK(r.exit_code == 0);
    auto lines = lines_of(r.err);
    REQUIRE(lines.size() == 3);
    CHECK(lines[0] ==
          "apig-instances: warning: APIG_AUTH_TOKEN is also set and ignored: the key pair "
          "HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK takes precedence");
    CHECK(lines[1] ==
          "apig-instances: using the access key pair from HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK "
          "(with security token); APIG_AUTH_TOKEN ignored");
    CHECK(is_summary_line(lines[2] + "\n", "20 of 57 instances, 1 page, "));
    check_auth(f.server, apig::emulator::auth_kind::aksk, temp_access_key_id);
    check_no_secret(r);

    // --quiet drops the notice (and the summary); the warning stays.
    f.server.reset_stats();
    r = run_cli(f.dir, f.args({"--format", "none", "--quiet"}), env);
    CAPTURE(r.err);
    CHECK(r.exit_code == 0);
    lines = lines_of(r.err);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].starts_with("apig-instances: warning: APIG_AUTH_TOKEN is also set and ignored"));
    check_auth(f.server, apig::emulator::auth_kind::aksk, temp_access_key_id);
    check_no_secret(r);
}

TEST_CASE("process: a wrong SK exits 3 with the API's error, and no secret anywhere") {
    aksk_fixture f;
    constexpr char const* wrong_sk = "cli-process-wrong-sk-0f1e2d";
    auto env = aksk_fixture::temporary_env();
    env["HUAWEICLOUD_SDK_SK"] = wrong_sk;
    env["APIG_AUTH_TOKEN"] = secret;  // ignored, so it cannot rescue the call
    auto const r = run_cli(f.dir, f.args({"--all"}), env);
    CAPTURE(r.err);
    CHECK(r.exit_code == 3);
    CHECK(r.out.empty());
    auto const lines = lines_of(r.err);
    REQUIRE_FALSE(lines.empty());
    CHECK(lines.back().starts_with("apig-instances: error: HTTP 401"));
    CHECK(contains(lines.back(), "APIGW.0301"));
    auto const requests = f.server.requests();
    REQUIRE(requests.size() == 1);  // a fixed key pair refused is not retried
    CHECK(requests[0].auth == apig::emulator::auth_kind::aksk);
    CHECK(requests[0].auth_failure == "signature_mismatch");
    check_no_secret(r, {wrong_sk});
}

TEST_CASE("process: a wrong security token exits 3, and no secret anywhere") {
    aksk_fixture f;
    constexpr char const* wrong_token = "cli-process-wrong-security-token-1a";
    auto env = aksk_fixture::temporary_env();
    env["HUAWEICLOUD_SDK_SECURITY_TOKEN"] = wrong_token;
    auto const r = run_cli(f.dir, f.args({}), env);
    CAPTURE(r.err);
    CHECK(r.exit_code == 3);
    CHECK(contains(r.err, "APIGW.0301"));
    auto const requests = f.server.requests();
    REQUIRE(requests.size() == 1);
    CHECK(requests[0].auth_failure == "security_token_mismatch");
    check_no_secret(r, {wrong_token});
}

TEST_CASE("process: half a key pair: a warning names the missing variable") {
    aksk_fixture f;
    // Beside a token: the token is used.
    auto r = run_cli(f.dir, f.args({"--format", "none"}),
                     {{"HUAWEICLOUD_SDK_AK", access_key_id}, {"APIG_AUTH_TOKEN", secret}});
    CAPTURE(r.err);
    CHECK(r.exit_code == 0);
    auto lines = lines_of(r.err);
    REQUIRE(lines.size() == 3);
    CHECK(lines[0] == "apig-instances: warning: HUAWEICLOUD_SDK_AK is set but HUAWEICLOUD_SDK_SK "
                      "is not: the key pair is incomplete and not used; using APIG_AUTH_TOKEN");
    CHECK(lines[1] ==
          "apig-instances: using the token from APIG_AUTH_TOKEN; HUAWEICLOUD_SDK_AK ignored");
    check_auth(f.server, apig::emulator::auth_kind::token);
    check_no_secret(r);

    // Alone: nothing usable, exit 2 after the warning, nothing sent.
    f.server.reset_stats();
    r = run_cli(f.dir, f.args({}), {{"HUAWEICLOUD_SDK_SK", secret_key}});
    CAPTURE(r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    lines = lines_of(r.err);
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].starts_with(
        "apig-instances: warning: HUAWEICLOUD_SDK_SK is set but HUAWEICLOUD_SDK_AK is not"));
    // The chain then looked further (no profile file, a metadata service that refuses, no
    // pod identity) and names every source.
    CHECK(lines[1].starts_with("apig-instances: error: no credentials found: environment: neither "
                               "HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK nor APIG_AUTH_TOKEN is set"));
    CHECK(contains(lines[1], "profile: "));
    CHECK(contains(lines[1], "ECS metadata service: "));
    CHECK(contains(lines[1], "pod identity: HC_CONTAINER_CREDENTIALS_FULL_URI is not set"));
    CHECK(contains(lines[1], "or use --token-file PATH"));
    CHECK(f.server.connections_accepted() == 0);
    check_no_secret(r);
}

TEST_CASE("process: --token-file wins over a key pair in the environment, and says so") {
    aksk_fixture f;
    auto const token_file = f.dir.path / "token";
    std::ofstream(token_file) << secret << "\n";
    auto const r = run_cli(f.dir, f.args({"--token-file", token_file.string(), "--format", "none"}),
                           aksk_fixture::temporary_env());
    CAPTURE(r.err);
    CHECK(r.exit_code == 0);
    auto const lines = lines_of(r.err);
    REQUIRE(lines.size() == 2);
    CHECK(lines[0] == "apig-instances: using the token from --token-file; HUAWEICLOUD_SDK_AK, "
                      "HUAWEICLOUD_SDK_SK, HUAWEICLOUD_SDK_SECURITY_TOKEN ignored (--token-file "
                      "takes precedence over the environment)");
    check_auth(f.server, apig::emulator::auth_kind::token);
    check_no_secret(r);
}
