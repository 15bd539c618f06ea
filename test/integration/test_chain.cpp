// The credentials chain end to end: each source (environment, profile file, the emulator's
// ECS metadata service, its pod identity agent) lists instances; the order and the
// fall-through; every source named when none has credentials; a down or silent metadata
// service; a walk longer than a key's lifetime; no secret in any message.
#include "harness.hpp"

#include "project_discovery.hpp"

#include <apig/credentials_chain.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <doctest/doctest.h>

#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace fs = std::filesystem;
using apig::test::run;
using std::chrono::milliseconds;

namespace {

std::string const project = "73d69ae0cfcf460190522d06b60f05ad";
std::string const ak = "CHAINTESTAK0123456789";
std::string const sk = "chain-test-secret-key-0123456789abcdef";
std::string const pod_token = "chain-test-pod-token-9876543210";

using env_map = std::map<std::string, std::string>;

// A chain over a fake environment; no profile unless the map names one.
apig::chain_options chain_over(env_map env) {
    env.try_emplace("HUAWEICLOUD_SDK_CREDENTIALS_FILE", "/nonexistent/apig-test/credentials");
    apig::chain_options o;
    o.getenv = [env = std::move(env)](std::string_view name) -> std::optional<std::string> {
        auto it = env.find(std::string(name));
        if (it == env.end()) return std::nullopt;
        return it->second;
    };
    return o;
}

// `http://127.0.0.1:<port>`: a port that had no listener a moment ago (connections refused).
std::string closed_port_url() {
    asio::io_context io;
    asio::ip::tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
    auto const port = a.local_endpoint().port();
    a.close();
    return "http://127.0.0.1:" + std::to_string(port);
}

apig::emulator::options emulator_with_metadata() {
    apig::emulator::options o;
    o.instance_count = 45;
    o.access_keys = {{.ak = ak, .sk = sk}};
    o.metadata.enabled = true;
    o.metadata.pod_token = pod_token;
    return o;
}

// A temporary directory removed at the end of the test.
struct temp_dir {
    fs::path path = fs::temp_directory_path() / ("apig-chain-" + std::to_string(::getpid()) + "-" +
                                                 std::to_string(counter()++));
    temp_dir() { fs::create_directories(path); }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    static std::atomic<int>& counter() {
        static std::atomic<int> n{0};
        return n;
    }
    std::string write(std::string const& name, std::string const& text, mode_t mode = 0600) const {
        auto const p = path / name;
        std::ofstream(p) << text;
        ::chmod(p.c_str(), mode);
        return p.string();
    }
};

// Lists the first page with a client of `srv` whose credentials are `chain` and whose
// project comes from wherever the chain says (or the test's `project_id`).
apig::instance_page list_with(apig::emulator::server const& srv, std::shared_ptr<apig::credentials_chain> chain,
                              std::string project_id = project) {
    auto o = apig::test::options_for(srv, std::move(project_id));
    o.credentials = std::shared_ptr<apig::credentials_provider>(chain);
    apig::list_request r;
    r.limit = 10;
    return apig::test::list_once(srv, r, o);
}

std::string resolve_error(std::shared_ptr<apig::credentials_chain> const& chain) {
    asio::io_context io;
    try {
        (void)run(io, chain->resolve());
    } catch (apig::api_error const& e) {
        CHECK(e.code() == apig::errc::credentials_unavailable);
        return e.what();
    }
    FAIL("the chain was expected to find nothing");
    return {};
}

void check_no_secret(std::string const& text, std::vector<std::string> const& more = {}) {
    std::vector<std::string> secrets{ak, sk, pod_token};
    secrets.insert(secrets.end(), more.begin(), more.end());
    for (auto const& s : secrets) {
        CAPTURE(s);
        CHECK(text.find(s) == std::string::npos);
    }
}

}  // namespace

TEST_CASE("chain: the environment comes first, with its project id") {
    apig::emulator::server srv(emulator_with_metadata());
    temp_dir dir;
    auto chain = apig::credentials_from_chain(chain_over(
        {{"HUAWEICLOUD_SDK_AK", ak},
         {"HUAWEICLOUD_SDK_SK", sk},
         {"HUAWEICLOUD_SDK_PROJECT_ID", project},
         {"HUAWEICLOUD_SDK_CREDENTIALS_FILE", dir.write("credentials", "[basic]\nak = OTHERAK000000\nsk = other-sk-000000\n")}}));
    CHECK(chain->source() == apig::credentials_source::environment);  // known without I/O
    CHECK(chain->describe().find("HUAWEICLOUD_SDK_AK") != std::string::npos);
    auto const p = list_with(srv, chain, "");  // the project from HUAWEICLOUD_SDK_PROJECT_ID
    CHECK(p.instances.size() == 10);
    CHECK(srv.requests().back().access_key == ak);
    CHECK(srv.requests().back().project_id == project);
    CHECK(srv.metadata_requests().empty());
}

TEST_CASE("chain: the profile file, its project id, and a warning for a file others can read") {
    apig::emulator::server srv(emulator_with_metadata());
    temp_dir dir;
    auto const path = dir.write("credentials",
                                "; comment\n[other]\nak = NOTTHISONE0000\n[basic]\nak = " + ak + "\nsk = " + sk +
                                    "\nproject_id = " + project + "\n",
                                0644);
    auto chain = apig::credentials_from_chain(chain_over({{"HUAWEICLOUD_SDK_CREDENTIALS_FILE", path}}));
    CHECK(chain->source() == apig::credentials_source::profile);
    CHECK(chain->describe().find(path) != std::string::npos);
    auto const warnings = chain->warnings();
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0].find("0644") != std::string::npos);
    CHECK(chain->settings().project_id == project);
    auto const p = list_with(srv, chain, "");
    CHECK(p.instances.size() == 10);
    CHECK(srv.requests().back().access_key == ak);
    CHECK(srv.metadata_requests().empty());
    for (auto const& w : warnings) check_no_secret(w);
}

TEST_CASE("chain: HOME's ~/.huaweicloud/credentials when HUAWEICLOUD_SDK_CREDENTIALS_FILE is unset") {
    apig::emulator::server srv(emulator_with_metadata());
    temp_dir home;
    fs::create_directories(home.path / ".huaweicloud");
    home.write(".huaweicloud/credentials", "[basic]\nak=" + ak + "\nsk=" + sk + "\n");
    auto o = chain_over({{"HOME", home.path.string()}});
    auto env = o.getenv;
    o.getenv = [env](std::string_view name) -> std::optional<std::string> {
        if (name == "HUAWEICLOUD_SDK_CREDENTIALS_FILE") return std::nullopt;
        return env(name);
    };
    auto chain = apig::credentials_from_chain(o);
    CHECK(chain->source() == apig::credentials_source::profile);
    CHECK(list_with(srv, chain).instances.size() == 10);
}

TEST_CASE("chain: the ECS metadata service's temporary key, when neither the environment nor a profile has one") {
    apig::emulator::server srv(emulator_with_metadata());
    auto o = chain_over({{"HUAWEICLOUD_SDK_PROJECT_ID", project}});
    o.metadata_endpoint = srv.metadata_endpoint();
    auto chain = apig::credentials_from_chain(o);
    CHECK_FALSE(chain->source());  // not before the first fetch
    auto const p = list_with(srv, chain, "");  // HUAWEICLOUD_SDK_PROJECT_ID serves every source
    CHECK(p.instances.size() == 10);
    CHECK(chain->source() == apig::credentials_source::metadata);
    CHECK(chain->describe().find(srv.metadata_endpoint()) != std::string::npos);
    auto const api = srv.requests().back();
    CHECK(api.auth == apig::emulator::auth_kind::aksk);
    CHECK(api.access_key != ak);
    CHECK(api.status == 200);
    auto const meta = srv.metadata_requests();
    REQUIRE(meta.size() == 2);
    CHECK(meta[0].method == "PUT");
    CHECK(meta[0].target == "/meta-data/latest/api/token");
    CHECK(meta[1].target == "/openstack/latest/securitykey");
    CHECK(meta[1].had_token);
    CHECK(srv.issued_keys() == 1);
}

TEST_CASE("chain: pod identity after a metadata service that is not there") {
    apig::emulator::server srv(emulator_with_metadata());
    temp_dir dir;
    auto o = chain_over({{"HC_CONTAINER_CREDENTIALS_FULL_URI", srv.metadata_endpoint() + "/v1/credentials"},
                         {"HC_CONTAINER_AUTHORIZATION_TOKEN_FILE", dir.write("token", pod_token + "\n")}});
    o.metadata_endpoint = closed_port_url();
    auto chain = apig::credentials_from_chain(o);
    auto const p = list_with(srv, chain);
    CHECK(p.instances.size() == 10);
    CHECK(chain->source() == apig::credentials_source::pod_identity);
    auto const meta = srv.metadata_requests();
    REQUIRE(meta.size() == 1);
    CHECK(meta[0].method == "POST");
    CHECK(meta[0].had_authorization);
    CHECK(srv.requests().back().status == 200);
}

TEST_CASE("chain: the order holds when every source has credentials") {
    apig::emulator::server srv(emulator_with_metadata());
    temp_dir dir;
    auto const pod_env = env_map{{"HC_CONTAINER_CREDENTIALS_FULL_URI", srv.metadata_endpoint() + "/v1/credentials"},
                                 {"HC_CONTAINER_AUTHORIZATION_TOKEN_FILE", dir.write("token", pod_token)}};
    // Metadata before pod identity.
    auto o = chain_over(pod_env);
    o.metadata_endpoint = srv.metadata_endpoint();
    auto chain = apig::credentials_from_chain(o);
    asio::io_context io;
    CHECK(run(io, chain->resolve()) == apig::credentials_source::metadata);
    // A profile before both: nothing is asked of the network.
    auto with_profile = pod_env;
    with_profile["HUAWEICLOUD_SDK_CREDENTIALS_FILE"] = dir.write("credentials", "[basic]\nak=" + ak + "\nsk=" + sk + "\n");
    o = chain_over(with_profile);
    o.metadata_endpoint = srv.metadata_endpoint();
    srv.reset_stats();
    chain = apig::credentials_from_chain(o);
    CHECK(run(io, chain->resolve()) == apig::credentials_source::profile);
    CHECK(srv.metadata_requests().empty());
}

TEST_CASE("chain: nothing anywhere names every source and why; secrets of broken sources stay out") {
    apig::emulator::server srv(emulator_with_metadata());
    temp_dir dir;
    // A profile with an AK but no SK, a metadata service without an agency, a pod agent that
    // refuses the token in the file.
    auto o = chain_over({{"HUAWEICLOUD_SDK_CREDENTIALS_FILE", dir.write("credentials", "[basic]\nak = " + ak + "\n")},
                         {"HC_CONTAINER_CREDENTIALS_FULL_URI", srv.metadata_endpoint() + "/v1/credentials"},
                         {"HC_CONTAINER_AUTHORIZATION_TOKEN_FILE", dir.write("token", "wrong-pod-token-1234567")},
                         {"HUAWEICLOUD_SDK_SK", sk}});
    o.metadata_endpoint = closed_port_url();
    auto chain = apig::credentials_from_chain(o);
    std::string const msg = resolve_error(chain);
    CAPTURE(msg);
    CHECK(msg.find("no credentials found") != std::string::npos);
    CHECK(msg.find("environment: neither HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK nor APIG_AUTH_TOKEN") != std::string::npos);
    CHECK(msg.find("profile: ") != std::string::npos);
    CHECK(msg.find("has no sk") != std::string::npos);
    CHECK(msg.find("ECS metadata service: ") != std::string::npos);
    CHECK(msg.find("pod identity: ") != std::string::npos);
    CHECK(msg.find("401") != std::string::npos);
    check_no_secret(msg, {"wrong-pod-token-1234567"});
    for (auto const& w : chain->warnings()) check_no_secret(w);
    // Not kept: once the pod agent accepts, the next resolve finds it.
    dir.write("token", pod_token);
    asio::io_context io;
    CHECK(run(io, chain->resolve()) == apig::credentials_source::pod_identity);
}

TEST_CASE("chain: a metadata service that is down answers at once; a silent one within its timeout") {
    apig::emulator::server srv(emulator_with_metadata());
    SUBCASE("down: connection refused") {
        auto o = chain_over({});
        o.metadata_endpoint = closed_port_url();
        auto const start = std::chrono::steady_clock::now();
        std::string const msg = resolve_error(apig::credentials_from_chain(o));
        CHECK(msg.find("refused") != std::string::npos);
        CHECK(std::chrono::steady_clock::now() - start < o.key.timeout);  // no timeout was waited for
    }
    SUBCASE("silent: every request is cut at key.timeout") {
        srv.set_metadata_delay(std::chrono::seconds(30));
        auto o = chain_over({});
        o.metadata_endpoint = srv.metadata_endpoint();
        o.key.timeout = milliseconds(300);
        auto const start = std::chrono::steady_clock::now();
        std::string const msg = resolve_error(apig::credentials_from_chain(o));
        CAPTURE(msg);
        CHECK(msg.find("did not answer within 300 ms") != std::string::npos);
        // The documented bound: at most 4 requests of key.timeout each.
        CHECK(std::chrono::steady_clock::now() - start < 4 * o.key.timeout + std::chrono::seconds(2));
    }
}

TEST_CASE("chain: a walk longer than a 2-second key lifetime refreshes without a failed request") {
    auto eo = emulator_with_metadata();
    eo.metadata.key_lifetime = std::chrono::seconds(2);
    eo.instance_count = 60;
    eo.response_delay = milliseconds(70);  // 60 pages of 1, one at a time: over 4 s
    apig::emulator::server srv(eo);
    auto o = chain_over({});
    o.metadata_endpoint = srv.metadata_endpoint();
    o.key.refresh_margin = std::chrono::seconds(1);
    auto chain = apig::credentials_from_chain(o);
    auto co = apig::test::options_for(srv);
    co.credentials = std::shared_ptr<apig::credentials_provider>(chain);
    asio::io_context io;
    apig::client c(io.get_executor(), co);
    apig::list_request r;
    r.limit = 1;
    apig::page_options po;
    po.concurrency = 1;
    po.page_size = 1;
    std::size_t instances = 0;
    run(io, [&]() -> asio::awaitable<void> {
        auto pages = c.pages(r, po);
        while (auto p = co_await pages.next()) instances += p->instances.size();
    }());
    CHECK(instances == 60);
    auto const reqs = srv.requests();
    CHECK(reqs.size() == 60);
    for (auto const& q : reqs) {
        CAPTURE(q.auth_failure);
        CHECK(q.status == 200);
    }
    CHECK(srv.issued_keys() >= 2);                    // the key was renewed during the walk
    CHECK(c.stats().credential_refreshes == 0);       // never after a 401
}
