// apig-instances as a process with credentials it has to find: only a key pair and a region
// (the project discovered on IAM, the region's and IAM's endpoints from the environment), a
// profile file, the ECS metadata service. It names the source on stderr, never a value.

#include "process_support.hpp"

#include <sys/stat.h>

using namespace cli_process_test;

namespace {

constexpr char const* access_key_id = "CLICHAINAK0A1B2C3D4E";
constexpr char const* secret_key = "cli-chain-sk-7f6e5d4c3b2a";

/// An emulator that accepts the key pair, whose IAM serves the first project as cn-north-4, and
/// that runs a metadata service.
struct chain_fixture : fixture {
    chain_fixture() { server.set_access_keys({{access_key_id, secret_key, ""}}); }
    /// cn-north-4's APIG endpoint and IAM both at the emulator.
    std::map<std::string, std::string> region_env() const {
        return {{"HUAWEICLOUD_SDK_REGION_APIG_CN_NORTH_4", server.endpoint()},
                {"HUAWEICLOUD_SDK_IAM_ENDPOINT", server.endpoint()}};
    }
};

void check_no_secret(run_result const& r) {
    for (std::string s : {access_key_id, secret_key, secret}) {
        CAPTURE(s);
        CHECK_FALSE(contains(r.out, s));
        CHECK_FALSE(contains(r.err, s));
    }
}

}  // namespace

TEST_CASE("process: --region with only a key pair in the environment lists without --project-id") {
    chain_fixture f;
    auto env = f.region_env();
    env["HUAWEICLOUD_SDK_AK"] = access_key_id;
    env["HUAWEICLOUD_SDK_SK"] = secret_key;
    auto const r = run_cli(f.dir, {"--region", "cn-north-4", "--ca-file", f.ca_file, "--format", "jsonl", "--all"}, env);
    CAPTURE(r.err);
    CHECK(r.exit_code == 0);
    CHECK(lines_of(r.out).size() == 57);
    auto const reqs = f.server.requests();
    REQUIRE(reqs.size() >= 2);
    CHECK(reqs.front().target == "/v3/projects?name=cn-north-4");  // discovered first
    for (std::size_t i = 1; i < reqs.size(); ++i) {
        CHECK(reqs[i].project_id == f.opts.project_ids.front());
        CHECK(reqs[i].access_key == access_key_id);
    }
    check_no_secret(r);

    // HUAWEICLOUD_SDK_REGION names the region when the command line does not.
    f.server.reset_stats();
    env["HUAWEICLOUD_SDK_REGION"] = "cn-north-4";
    auto const r2 = run_cli(f.dir, {"--ca-file", f.ca_file, "--format", "none"}, env);
    CAPTURE(r2.err);
    CHECK(r2.exit_code == 0);
    CHECK(f.server.requests().size() == 2);  // a new process: IAM again, then the page
}

TEST_CASE("process: a profile file's key pair and project id, named on stderr") {
    chain_fixture f;
    auto const profile = f.dir.path / "credentials";
    std::ofstream(profile) << "[basic]\nak = " << access_key_id << "\nsk = " << secret_key
                           << "\nproject_id = " << f.opts.project_ids.front() << "\n";
    ::chmod(profile.c_str(), 0600);
    auto const r = run_cli(f.dir, {"--endpoint", f.server.endpoint(), "--ca-file", f.ca_file, "--format", "none"},
                           {{"HUAWEICLOUD_SDK_CREDENTIALS_FILE", profile.string()}});
    CAPTURE(r.err);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.err, "apig-instances: credentials: profile " + profile.string() + " [basic]"));
    CHECK(f.server.requests().back().access_key == access_key_id);
    check_no_secret(r);
}

TEST_CASE("process: the ECS metadata service's key from APIG_METADATA_ENDPOINT") {
    apig::emulator::options eo;
    eo.token = secret;
    eo.instance_count = 12;
    eo.metadata.enabled = true;
    apig::emulator::server server(eo);
    scratch_dir dir;
    auto const ca = (dir.path / "ca.pem").string();
    server.write_ca_pem(ca);
    auto const r = run_cli(dir,
                           {"--endpoint", server.endpoint(), "--project-id", eo.project_ids.front(), "--ca-file", ca,
                            "--format", "jsonl"},
                           {{"APIG_METADATA_ENDPOINT", server.metadata_endpoint()}});
    CAPTURE(r.err);
    CHECK(r.exit_code == 0);
    CHECK(lines_of(r.out).size() == 12);
    CHECK(contains(r.err, "apig-instances: credentials: ECS metadata service " + server.metadata_endpoint()));
    CHECK(server.issued_keys() == 1);
    CHECK(server.requests().back().auth == apig::emulator::auth_kind::aksk);
}
