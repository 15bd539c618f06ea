// Validation and target building: checked before any I/O.
#include "request.hpp"

#include <boost/url/parse.hpp>

#include <doctest/doctest.h>

#include <string>

using apig::list_request;

namespace {

std::string const pid = "73d69ae0cfcf460190522d06b60f05ad";

// The decoded path segments and query parameters of a target, as a server sees them.
struct parsed_target {
    std::vector<std::string> segments;
    std::vector<std::pair<std::string, std::string>> params;
};

parsed_target parse(std::string const& target) {
    auto r = boost::urls::parse_origin_form(target);
    REQUIRE(r.has_value());
    parsed_target p;
    for (auto s : r->segments()) p.segments.push_back(s);
    for (auto q : r->params()) p.params.emplace_back(q.key, q.value);
    return p;
}

}  // namespace

TEST_CASE("validate accepts the API's limits") {
    CHECK_FALSE(apig::detail::validate(list_request{}, pid));
    CHECK_FALSE(apig::detail::validate(list_request{.offset = 0, .limit = 1}, pid));
    CHECK_FALSE(apig::detail::validate(list_request{.offset = 1'000'000'000'000, .limit = 500}, pid));
}

TEST_CASE("validate names the field and the allowed range") {
    struct row {
        list_request req;
        std::string project;
        std::string expected;
    };
    for (auto const& r : std::vector<row>{
             {{.limit = 0}, pid, "limit must be in 1..500 (got 0)"},
             {{.limit = 501}, pid, "limit must be in 1..500 (got 501)"},
             {{.limit = -1}, pid, "limit must be in 1..500 (got -1)"},
             {{.offset = -1}, pid, "offset must be >= 0 (got -1)"},
             {{}, "", "project_id must not be empty"},
         }) {
        auto e = apig::detail::validate(r.req, r.project);
        CAPTURE(r.expected);
        REQUIRE(e);
        CHECK(e.code == apig::errc::invalid_argument);
        CHECK(e.message == "invalid argument: " + r.expected);
        CHECK(e.http_status == 0);
    }
}

TEST_CASE("an unknown status filter is sent as given; an empty one is refused") {
    list_request r;
    r.status = apig::string_enum<apig::status>::from_wire("Hibernating");
    CHECK_FALSE(apig::detail::validate(r, pid));
    CHECK(parse(apig::detail::build_target(pid, r)).params.back() ==
          std::pair<std::string, std::string>{"status", "Hibernating"});
    r.status = apig::string_enum<apig::status>::from_wire("");
    auto e = apig::detail::validate(r, pid);
    REQUIRE(e);
    CHECK(e.message.find("status") != std::string::npos);
}

TEST_CASE("target of a plain request") {
    CHECK(apig::detail::build_target(pid, {}) ==
          "/v2/73d69ae0cfcf460190522d06b60f05ad/apigw/instances?offset=0&limit=20");
    CHECK(apig::detail::build_target(pid, {.offset = 9'223'372'036'854'775'807, .limit = 500}) ==
          "/v2/73d69ae0cfcf460190522d06b60f05ad/apigw/instances?offset=9223372036854775807&limit=500");
}

TEST_CASE("the project id is always exactly one literal path segment") {
    for (std::string const& hostile : std::vector<std::string>{"../x", "..", ".", "a/b?c#d", "%2e", "%2E%2E", "a b", "x/../../etc", "?", "#", "/",
          "\xe9\xa1\xb9\xe7\x9b\xae", std::string("nul\0byte", 8)}) {
        CAPTURE(hostile);
        auto const t = apig::detail::build_target(hostile, {});
        auto p = parse(t);
        REQUIRE(p.segments.size() == 4);
        CHECK(p.segments[0] == "v2");
        CHECK(p.segments[1] == hostile);
        CHECK(p.segments[2] == "apigw");
        CHECK(p.segments[3] == "instances");
        // Nothing that a server or proxy would normalise survives unencoded.
        auto const path = t.substr(0, t.find('?'));
        CHECK(path.find("/../") == std::string::npos);
        CHECK(path.find("/./") == std::string::npos);
        CHECK(path.find('#') == std::string::npos);
    }
}

TEST_CASE("every query value is percent-encoded, '+' included") {
    list_request r;
    r.instance_id = "id&limit=1";
    r.instance_name = "a+b c=d/e?f#g%h\xe7\xbd\x91";
    r.status = apig::status::running;
    auto const t = apig::detail::build_target(pid, r);
    CHECK(t.find("instance_id=id%26limit%3D1") != std::string::npos);
    CHECK(t.find("instance_name=a%2Bb%20c%3Dd%2Fe%3Ff%23g%25h%E7%BD%91") != std::string::npos);
    CHECK(t.find("status=Running") != std::string::npos);
    auto p = parse(t);
    REQUIRE(p.params.size() == 5);
    CHECK(p.params[2] == std::pair<std::string, std::string>{"instance_id", "id&limit=1"});
    CHECK(p.params[3].second == *r.instance_name);
    // Only the unreserved characters stay as they are.
    for (char c : t.substr(t.find('?') + 1))
        CHECK((std::isalnum(static_cast<unsigned char>(c)) || std::string_view("-._~%=&").find(c) != std::string_view::npos));
}

TEST_CASE("an empty filter value is sent (it is not the same as no filter)") {
    list_request r;
    r.instance_name = "";
    CHECK(apig::detail::build_target(pid, r).ends_with("&instance_name="));
}

TEST_CASE("a request's own project replaces the client's in the target") {
    list_request r{.offset = 40, .limit = 20};
    r.project_id = "second-project";
    CHECK(apig::detail::effective_project(r, pid) == "second-project");
    CHECK_FALSE(apig::detail::validate(r, pid));
    CHECK(apig::detail::build_target(pid, r) == "/v2/second-project/apigw/instances?offset=40&limit=20");
    // It is encoded as the client's would be: one literal segment.
    r.project_id = "../a/b";
    CHECK(parse(apig::detail::build_target(pid, r)).segments ==
          std::vector<std::string>{"v2", "../a/b", "apigw", "instances"});
    // Without one, the client's project.
    r.project_id.reset();
    CHECK(apig::detail::effective_project(r, pid) == pid);
    CHECK(apig::detail::build_target(pid, r) == "/v2/" + pid + "/apigw/instances?offset=40&limit=20");
}

TEST_CASE("a request's own project is validated like the client's") {
    list_request r;
    r.project_id = "p\r\nX-Injected: 1";
    auto e = apig::detail::validate(r, pid);
    REQUIRE(e);
    CHECK(e.code == apig::errc::invalid_argument);
    CHECK(e.message == "invalid argument: project_id contains a control character (CR, LF, NUL, ...)");
    r.project_id = std::string("a\0b", 3);
    CHECK(apig::detail::validate(r, pid));
    r.project_id = "\x7f";
    CHECK(apig::detail::validate(r, pid));
    // A request with a project of its own needs no client project.
    r.project_id = "p2";
    CHECK_FALSE(apig::detail::validate(r, ""));
    // Neither: refused before any I/O.
    r.project_id.reset();
    CHECK(apig::detail::validate(r, "").message == "invalid argument: project_id must not be empty");
    // An empty one is not "the client's": it is refused too.
    r.project_id = "";
    CHECK(apig::detail::validate(r, pid).message == "invalid argument: project_id must not be empty");
}
