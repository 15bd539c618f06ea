// One client, several projects: list_request::project_id replaces the client's project in the
// target and in the signature, for single calls and for walks.
#include "harness.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <vector>

namespace asio = boost::asio;
using apig::test::run;

namespace {

std::string const project_a = "73d69ae0cfcf460190522d06b60f05ad";
std::string const project_b = "0b5c2f7e9d1a4c3b8e6f000000000002";
std::string const ak = "HPUAK7QEXAMPLEKEY001";
std::string const sk = "sk/Pz9+0123456789abcdefghijklmnopqrstuvwx";

// An emulator serving both projects, with a key pair; every request is recorded.
apig::emulator::options two_projects(std::size_t instances) {
    apig::emulator::options o;
    o.project_ids = {project_a, project_b};
    o.instance_count = instances;
    o.access_keys = {{.ak = ak, .sk = sk}};
    return o;
}

apig::list_request for_project(std::optional<std::string> project, std::int32_t limit = 20) {
    apig::list_request r;
    r.limit = limit;
    r.project_id = std::move(project);
    return r;
}

std::vector<std::string> ids_of(apig::instance_page const& p) {
    std::vector<std::string> ids;
    for (auto const& i : p.instances) ids.push_back(i.id.value_or(""));
    return ids;
}

}  // namespace

TEST_CASE("projects: a request's project is the one listed, signed for it") {
    apig::emulator::server srv(two_projects(30));
    auto o = apig::test::options_for(srv, project_a);
    o.credentials = apig::aksk_credentials{.ak = ak, .sk = sk};
    asio::io_context io;
    apig::client c(io.get_executor(), o);

    auto const from_b = run(io, c.list_instances(for_project(project_b, 5)));
    auto const from_a = run(io, c.list_instances(for_project(std::nullopt, 5)));
    auto const from_a_named = run(io, c.list_instances(for_project(project_a, 5)));

    auto const reqs = srv.requests();
    REQUIRE(reqs.size() == 3);
    CHECK(reqs[0].target == "/v2/" + project_b + "/apigw/instances?offset=0&limit=5");
    CHECK(reqs[0].project_id == project_b);
    CHECK(reqs[1].project_id == project_a);
    CHECK(reqs[2].project_id == project_a);
    for (auto const& r : reqs) {
        // The emulator verifies the signature and that X-Project-Id names the path's project.
        CHECK(r.auth == apig::emulator::auth_kind::aksk);
        CHECK(r.auth_failure == "");
        CHECK(r.status == 200);
    }
    // Each project has its own dataset: B's page is not A's.
    CHECK(from_b.instances.size() == 5);
    CHECK(ids_of(from_a) == ids_of(from_a_named));
    CHECK(ids_of(from_b) != ids_of(from_a));
}

TEST_CASE("projects: with a token, the path names the request's project") {
    apig::emulator::server srv(two_projects(10));
    asio::io_context io;
    apig::client c(io.get_executor(), apig::test::options_for(srv, project_a));
    auto const page = run(io, c.list_instances(for_project(project_b)));
    CHECK(page.instances.size() == 10);
    auto const reqs = srv.requests();
    REQUIRE(reqs.size() == 1);
    CHECK(reqs[0].project_id == project_b);
    CHECK(reqs[0].auth == apig::emulator::auth_kind::token);
    // A project the server does not serve is the server's 403, as for the client's own.
    auto const e = apig::test::list_error(apig::test::options_for(srv, project_a), for_project("other-project"));
    CHECK(e.code() == apig::errc::forbidden);
}

TEST_CASE("projects: a walk lists the request's project on every page") {
    apig::emulator::server srv(two_projects(45));
    auto o = apig::test::options_for(srv, project_a);
    o.credentials = apig::aksk_credentials{.ak = ak, .sk = sk};
    asio::io_context io;
    apig::client c(io.get_executor(), o);
    auto const all = run(io, c.list_all(for_project(project_b), {.page_size = 10, .concurrency = 3}));
    CHECK(all.size() == 45);
    auto const reqs = srv.requests();
    CHECK(reqs.size() == 5);
    for (auto const& r : reqs) {
        CHECK(r.project_id == project_b);
        CHECK(r.status == 200);
    }
    // The same instances as a client of project B lists.
    apig::client cb(io.get_executor(), [&] {
        auto ob = o;
        ob.project_id = project_b;
        return ob;
    }());
    auto const direct = run(io, cb.list_all({}, {.page_size = 45}));
    REQUIRE(direct.size() == all.size());
    for (std::size_t i = 0; i < all.size(); ++i) CHECK(all[i].id == direct[i].id);
}

TEST_CASE("projects: a bad request project fails before any I/O") {
    apig::emulator::server srv(two_projects(5));
    asio::io_context io;
    apig::client c(io.get_executor(), apig::test::options_for(srv, project_a));
    for (std::string const& bad : {std::string("p\r\nX-Injected: 1"), std::string("p\0q", 3), std::string("\t")}) {
        CAPTURE(bad.size());
        try {
            run(io, c.list_instances(for_project(bad)));
            FAIL("the call succeeded");
        } catch (apig::api_error const& e) {
            CHECK(e.code() == apig::errc::invalid_argument);
            CHECK(std::string(e.what()).find("project_id contains a control character") != std::string::npos);
            CHECK(e.info().attempts == 0);
        }
        // A walk checks it before its first request too.
        try {
            run(io, c.list_all(for_project(bad)));
            FAIL("the walk succeeded");
        } catch (apig::api_error const& e) {
            CHECK(e.code() == apig::errc::invalid_argument);
        }
    }
    CHECK(srv.requests().empty());
}
