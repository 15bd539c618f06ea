// apig-instances through a proxy: the environment's (HTTPS_PROXY, NO_PROXY: curl's rules, on by
// default), or --proxy / --no-proxy; the real proxy is tinyproxy (test/integration/tinyproxy.hpp).

#include "process_support.hpp"
#include "tinyproxy.hpp"

using namespace cli_process_test;

namespace {

std::string const proxy_password = "cli-proxy-pa55word";

std::string target_of(fixture const& f) { return "127.0.0.1:" + std::to_string(f.server.port()); }

}  // namespace

TEST_CASE("process: HTTPS_PROXY in the environment: the listing goes through tinyproxy") {
    fixture f;
    apig::test::tinyproxy proxy;
    auto env = f.token_env();
    env["HTTPS_PROXY"] = proxy.url();
    auto const r = run_cli(f.dir, f.args({"--all", "--limit", "10", "--format", "jsonl"}), env);
    CAPTURE(r.err);
    CHECK(r.exit_code == 0);
    CHECK(lines_of(r.out).size() == 57);
    auto const connects = proxy.connects();
    CHECK(connects.size() == f.server.connections_accepted());
    for (auto const& c : connects) CHECK(c == target_of(f));

    SUBCASE("NO_PROXY names the endpoint: reached directly") {
        env["NO_PROXY"] = "127.0.0.1";
        auto const r2 = run_cli(f.dir, f.args({"--format", "none"}), env);
        CHECK(r2.exit_code == 0);
        CHECK(proxy.connects().size() == connects.size());
    }
    SUBCASE("--no-proxy on the command line does the same") {
        auto const r2 = run_cli(f.dir, f.args({"--format", "none", "--no-proxy", "localhost,127.0.0.0/8"}), env);
        CHECK(r2.exit_code == 0);
        CHECK(proxy.connects().size() == connects.size());
    }
}

TEST_CASE("process: --proxy with credentials; wrong ones are refused without showing them") {
    fixture f;
    apig::test::tinyproxy proxy({.basic_auth = apig::test::proxy_credentials{.user = "bob", .password = proxy_password}});
    auto env = f.token_env();
    env["HTTPS_PROXY"] = "http://127.0.0.1:1";  // --proxy wins
    auto const ok = run_cli(f.dir, f.args({"--format", "none", "--proxy", proxy.url_with_credentials()}), env);
    CAPTURE(ok.err);
    CHECK(ok.exit_code == 0);
    CHECK(proxy.connects().size() == 1);

    auto const wrong_url = "http://bob:" + proxy_password + "-x@" + proxy.authority();
    auto const bad = run_cli(f.dir, f.args({"--format", "none", "--proxy", wrong_url}), env);
    CAPTURE(bad.err);
    CHECK(bad.exit_code == 4);
    CHECK(contains(bad.err, "proxy " + proxy.authority() + " refused CONNECT to " + target_of(f)));
    CHECK_FALSE(contains(bad.err, proxy_password));
    CHECK_FALSE(contains(bad.out, proxy_password));
}

TEST_CASE("process: a proxy that is down is named, and --demo takes no proxy") {
    fixture f;
    auto const down = closed_port_url();
    auto const r = run_cli(f.dir, f.args({"--format", "none", "--max-attempts", "1", "--proxy", down}), f.token_env());
    CHECK(r.exit_code == 4);
    CHECK(contains(r.err, "connecting to proxy " + down.substr(7)));
    CHECK(f.server.connections_accepted() == 0);

    auto const demo = run_cli(f.dir, {"--demo", "--proxy", down}, {});
    CHECK(demo.exit_code == 2);
    CHECK(contains(demo.err, "--proxy"));
}
