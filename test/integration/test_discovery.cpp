// IAM project discovery (a key pair and a region, no project id), the IAM endpoint's sources,
// and region endpoints from the environment, end to end against the emulator's IAM.
#include "harness.hpp"

#include "auth/iam.hpp"
#include "project_discovery.hpp"

#include <apig/region.hpp>

#include <boost/asio/io_context.hpp>

#include <doctest/doctest.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using apig::test::run;

namespace {

std::string const project_a = "73d69ae0cfcf460190522d06b60f05ad";
std::string const project_b = "0b5c2f7e9d1a4c3b8e6f000000000002";
std::string const ak = "HPUAK7QEXAMPLEKEY001";
std::string const sk = "sk/Pz9+0123456789abcdefghijklmnopqrstuvwx";

apig::emulator::options with_iam(std::vector<apig::emulator::iam_project> projects) {
    apig::emulator::options o;
    o.project_ids = {project_a, project_b};
    o.instance_count = 30;
    o.access_keys = {{.ak = ak, .sk = sk}};
    o.iam_projects = std::move(projects);
    return o;
}

// A client of `srv` for region cn-north-4 without a project id, IAM at the emulator, the
// region's endpoint pointed at the emulator through the environment (see region_env).
apig::client_options discovering(apig::emulator::server const& srv) {
    auto o = apig::test::options_for(srv, "");
    o.credentials = apig::aksk_credentials{.ak = ak, .sk = sk};
    o.endpoint = srv.endpoint();
    o.iam_endpoint = srv.endpoint();
    return o;
}

// An environment variable set for one test.
struct scoped_env {
    std::string name;
    scoped_env(std::string n, std::string const& value) : name(std::move(n)) { ::setenv(name.c_str(), value.c_str(), 1); }
    ~scoped_env() { ::unsetenv(name.c_str()); }
    scoped_env(scoped_env const&) = delete;
    scoped_env& operator=(scoped_env const&) = delete;
};

// The region cn-north-4 at the emulator: HUAWEICLOUD_SDK_REGION_APIG_CN_NORTH_4.
scoped_env region_at(apig::emulator::server const& srv, std::string region = "cn-north-4") {
    return scoped_env(apig::auth::region_env_name(region), srv.endpoint());
}

std::size_t iam_requests(apig::emulator::server const& srv) {
    std::size_t n = 0;
    for (auto const& r : srv.requests())
        if (r.target.starts_with("/v3/projects")) ++n;
    return n;
}

apig::list_request page(std::int32_t limit = 10) {
    apig::list_request r;
    r.limit = limit;
    return r;
}

}  // namespace

TEST_CASE("discovery: one project of the region's name is found, signed, and listed") {
    apig::detail::clear_discovery_cache();
    apig::emulator::server srv(with_iam({{project_b, "cn-north-4"}, {project_a, "cn-north-4_sub"}, {project_a, "ap-southeast-1"}}));
    auto env = region_at(srv);
    auto o = discovering(srv);
    o.endpoint.clear();
    o.region = "cn-north-4";
    asio::io_context io;
    apig::client c(io.get_executor(), o);
    CHECK(c.options().endpoint == srv.endpoint());  // from HUAWEICLOUD_SDK_REGION_APIG_CN_NORTH_4
    auto const p = run(io, c.list_instances(page()));
    CHECK(p.instances.size() == 10);
    auto const reqs = srv.requests();
    REQUIRE(reqs.size() == 2);
    CHECK(reqs[0].target == "/v3/projects?name=cn-north-4");
    CHECK(reqs[0].auth == apig::emulator::auth_kind::aksk);
    CHECK(reqs[0].access_key == ak);
    CHECK(reqs[0].status == 200);
    CHECK(reqs[1].project_id == project_b);
    CHECK(reqs[1].status == 200);

    // Cached for the process per (AK, region): another client asks IAM nothing.
    apig::client c2(io.get_executor(), o);
    (void)run(io, c2.list_instances(page()));
    CHECK(iam_requests(srv) == 1);
}

TEST_CASE("discovery: no project of that name fails, naming the region; nothing is cached") {
    apig::detail::clear_discovery_cache();
    apig::emulator::server srv(with_iam({{project_a, "ap-southeast-1"}}));
    auto env = region_at(srv);
    auto o = discovering(srv);
    o.endpoint.clear();
    o.region = "cn-north-4";
    auto e = apig::test::list_error(o, page());
    CHECK(e.code() == apig::errc::invalid_argument);
    std::string const msg = e.what();
    CHECK(msg.find("cn-north-4") != std::string::npos);
    CHECK(msg.find("no project") != std::string::npos);
    CHECK(msg.find(sk) == std::string::npos);
    (void)apig::test::list_error(o, page());
    CHECK(iam_requests(srv) == 2);  // a failure is asked again
}

TEST_CASE("discovery: two projects of that name fail, naming both") {
    apig::detail::clear_discovery_cache();
    apig::emulator::server srv(with_iam({{project_a, "cn-north-4"}, {project_b, "cn-north-4"}}));
    auto env = region_at(srv);
    auto o = discovering(srv);
    o.endpoint.clear();
    o.region = "cn-north-4";
    auto e = apig::test::list_error(o, page());
    CHECK(e.code() == apig::errc::invalid_argument);
    std::string const msg = e.what();
    CHECK(msg.find(project_a) != std::string::npos);
    CHECK(msg.find(project_b) != std::string::npos);
    CHECK(msg.find("2 projects") != std::string::npos);
    CHECK(iam_requests(srv) == 1);
    CHECK(srv.requests().size() == 1);  // the API was never asked
}

TEST_CASE("discovery: concurrent first calls of clients on two threads share one IAM request") {
    apig::detail::clear_discovery_cache();
    auto eo = with_iam({{project_a, "cn-north-4"}});
    eo.response_delay = std::chrono::milliseconds(50);  // the lookup is still in flight when the others ask
    apig::emulator::server srv(eo);
    auto env = region_at(srv);
    auto o = discovering(srv);
    o.endpoint.clear();
    o.region = "cn-north-4";
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int t = 0; t < 2; ++t)
        threads.emplace_back([&] {
            asio::io_context io;
            std::vector<std::unique_ptr<apig::client>> clients;
            for (int i = 0; i < 3; ++i) clients.push_back(std::make_unique<apig::client>(io.get_executor(), o));
            for (auto& c : clients)
                asio::co_spawn(io, c->list_instances(page(5)), [&](std::exception_ptr e, apig::instance_page p) {
                    if (!e && p.instances.size() == 5) ++ok;
                });
            io.run();
        });
    for (auto& t : threads) t.join();
    CHECK(ok == 6);
    CHECK(iam_requests(srv) == 1);
}

TEST_CASE("discovery: the IAM endpoint comes from the option, else HUAWEICLOUD_SDK_IAM_ENDPOINT, else the provider") {
    apig::detail::clear_discovery_cache();
    apig::emulator::server srv(with_iam({{project_a, "cn-north-4"}}));
    apig::emulator::server other(with_iam({{project_b, "cn-north-4"}}));
    auto env = region_at(srv);
    auto o = discovering(srv);
    o.endpoint.clear();
    o.region = "cn-north-4";
    o.tls.ca_pem += other.ca_pem();

    SUBCASE("the option wins over the environment") {
        scoped_env iam("HUAWEICLOUD_SDK_IAM_ENDPOINT", other.endpoint());
        (void)apig::test::list_once(srv, page(), o);
        CHECK(iam_requests(srv) == 1);
        CHECK(iam_requests(other) == 0);
    }
    SUBCASE("the environment, without a scheme, gets https://") {
        std::string host_port = other.endpoint().substr(std::string("https://").size());
        scoped_env iam("HUAWEICLOUD_SDK_IAM_ENDPOINT", host_port);
        o.iam_endpoint.clear();
        // other's IAM says project_b; the API at srv serves it too.
        auto const p = apig::test::list_once(srv, page(), o);
        CHECK(p.instances.size() == 10);
        CHECK(iam_requests(other) == 1);
        CHECK(srv.requests().back().project_id == project_b);
    }
    SUBCASE("a provider's iam_endpoint when neither is set") {
        struct provider : apig::credentials_provider {
            std::string iam;
            apig::credentials current() override { return apig::aksk_credentials{.ak = ak, .sk = sk}; }
            apig::credentials_settings settings() override { return {.iam_endpoint = iam}; }
        };
        auto p = std::make_shared<provider>();
        p->iam = other.endpoint();
        o.iam_endpoint.clear();
        o.credentials = std::shared_ptr<apig::credentials_provider>(p);
        (void)apig::test::list_once(srv, page(), o);
        CHECK(iam_requests(other) == 1);
        CHECK(srv.requests().back().project_id == project_b);
    }
}

TEST_CASE("discovery: a provider's project id is used without asking IAM") {
    apig::detail::clear_discovery_cache();
    apig::emulator::server srv(with_iam({{project_a, "cn-north-4"}}));
    struct provider : apig::credentials_provider {
        apig::credentials current() override { return apig::aksk_credentials{.ak = ak, .sk = sk}; }
        apig::credentials_settings settings() override { return {.project_id = project_b}; }
    };
    auto o = discovering(srv);
    o.credentials = std::shared_ptr<apig::credentials_provider>(std::make_shared<provider>());
    (void)apig::test::list_once(srv, page(), o);
    CHECK(iam_requests(srv) == 0);
    CHECK(srv.requests().back().project_id == project_b);
}

TEST_CASE("discovery: what cannot be discovered is refused with the reason") {
    apig::detail::clear_discovery_cache();
    apig::emulator::server srv(with_iam({{project_a, "cn-north-4"}}));
    SUBCASE("a token without a project id: refused by the constructor") {
        auto o = apig::test::options_for(srv, "");
        asio::io_context io;
        try {
            apig::client c(io.get_executor(), o);
            FAIL("constructed");
        } catch (apig::api_error const& e) {
            CHECK(e.code() == apig::errc::invalid_argument);
            CHECK(std::string(e.what()).find("project_id") != std::string::npos);
        }
    }
    SUBCASE("a key pair with an endpoint and no region") {
        auto o = discovering(srv);
        asio::io_context io;
        CHECK_THROWS_AS(apig::client(io.get_executor(), o), apig::api_error);
    }
    SUBCASE("IAM refuses the signature: the 401 is IAM's, named") {
        auto env = region_at(srv);
        auto o = discovering(srv);
        o.endpoint.clear();
        o.region = "cn-north-4";
        o.credentials = apig::aksk_credentials{.ak = ak, .sk = "another-secret-key-0123456789"};
        auto e = apig::test::list_error(o, page());
        CHECK(e.code() == apig::errc::unauthorized);
        std::string const msg = e.what();
        CHECK(msg.find("IAM project discovery") != std::string::npos);
        CHECK(msg.find("another-secret") == std::string::npos);
    }
    SUBCASE("an http:// IAM without allow_insecure_http") {
        auto env = region_at(srv);
        auto o = discovering(srv);
        o.endpoint.clear();
        o.region = "cn-north-4";
        o.iam_endpoint = "http://127.0.0.1:1";
        asio::io_context io;
        CHECK_THROWS_AS(apig::client(io.get_executor(), o), apig::api_error);
    }
}

TEST_CASE("region endpoints: the environment's list wins, a region only it defines is accepted") {
    apig::emulator::server srv(with_iam({{project_a, "xx-test-9"}}));
    scoped_env env(apig::auth::region_env_name("xx-test-9"), " " + srv.endpoint() + " , https://backup.example:8443,");
    CHECK(apig::region_endpoints("xx-test-9") ==
          std::vector<std::string>{srv.endpoint(), "https://backup.example:8443"});
    auto o = apig::test::options_for(srv);
    o.endpoint.clear();
    o.region = "xx-test-9";
    std::vector<std::string> lines;
    o.log = [&](apig::log_level, std::string_view line) { lines.emplace_back(line); };
    asio::io_context io;
    apig::client c(io.get_executor(), o);
    CHECK(c.options().endpoint == srv.endpoint());
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].find("https://backup.example:8443") != std::string::npos);
    CHECK(run(io, c.list_instances(page())).instances.size() == 10);
    // Without the variable the region is unknown again.
    ::unsetenv(env.name.c_str());
    CHECK(apig::region_endpoints("xx-test-9").empty());
    CHECK_THROWS_AS(apig::client(io.get_executor(), o), apig::api_error);
}
