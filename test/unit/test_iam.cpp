// IAM: the endpoint table, configured endpoints, KeystoneListProjects' target and answer,
// APIG region endpoints from the environment.
#include "auth/iam.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace apig::auth;

namespace {

bool contains(std::string_view hay, std::string_view needle) { return hay.find(needle) != std::string_view::npos; }

std::string projects_error(std::string const& body) {
    auto r = parse_projects(body);
    auto const* e = std::get_if<std::string>(&r);
    REQUIRE_MESSAGE(e != nullptr, body);
    return *e;
}

std::vector<iam_project> projects(std::string const& body) {
    auto r = parse_projects(body);
    auto const* e = std::get_if<std::string>(&r);
    INFO((e ? *e : std::string()));
    REQUIRE(e == nullptr);
    return std::get<std::vector<iam_project>>(r);
}

}  // namespace

TEST_CASE("iam: the official SDKs' endpoint table") {
    // Every region of the Go SDK's core/auth/internal/iam_endpoint.go.
    for (std::string_view r : {"cn-north-2", "cn-north-4", "cn-north-1", "cn-east-2", "cn-east-3", "cn-south-1",
                               "cn-south-2", "cn-southwest-2", "ap-southeast-1", "ap-southeast-2",
                               "ap-southeast-3", "af-south-1", "sa-brazil-1", "la-south-2", "na-mexico-1",
                               "la-north-2", "cn-north-9", "eu-west-0", "my-kualalumpur-1", "ru-moscow-1",
                               "me-east-1", "ap-southeast-4", "ae-ad-1", "cn-east-4", "cn-east-5", "tr-west-1"}) {
        CAPTURE(r);
        CHECK(iam_endpoint_for_region(r) == "https://iam." + std::string(r) + ".myhuaweicloud.com");
    }
    CHECK(iam_endpoint_for_region("cn-north-4") == "https://iam.cn-north-4.myhuaweicloud.com");
}

TEST_CASE("iam: regions outside the table get the default endpoint") {
    for (std::string_view r : {"eu-west-101", "cn-north-12", "ap-southeast-5", "CN-NORTH-4", " cn-north-4", "",
                               "cn-north-4 ", "xx"}) {
        CAPTURE(r);
        CHECK(iam_endpoint_for_region(r) == default_iam_endpoint);
    }
    CHECK(default_iam_endpoint == "https://iam.myhuaweicloud.com");
}

TEST_CASE("iam: normalized_iam_endpoint") {
    CHECK(normalized_iam_endpoint("iam.example.com") == "https://iam.example.com");
    CHECK(normalized_iam_endpoint("https://iam.example.com") == "https://iam.example.com");
    CHECK(normalized_iam_endpoint("https://iam.example.com/") == "https://iam.example.com");
    CHECK(normalized_iam_endpoint("iam.example.com:8443/") == "https://iam.example.com:8443");
    CHECK(normalized_iam_endpoint("  https://iam.example.com//\n") == "https://iam.example.com");
    CHECK(normalized_iam_endpoint("\thttp://127.0.0.1:8080 ") == "http://127.0.0.1:8080");
    CHECK(normalized_iam_endpoint("https://iam.example.com/base/") == "https://iam.example.com/base");
    CHECK(normalized_iam_endpoint("") == "");
    CHECK(normalized_iam_endpoint(" \t ") == "");
}

TEST_CASE("iam: projects_target encodes the region as the signer does") {
    CHECK(projects_target("cn-north-4") == "/v3/projects?name=cn-north-4");
    CHECK(projects_target("my region+1&x=y") == "/v3/projects?name=my%20region%2B1%26x%3Dy");
    CHECK(projects_target("a_b.c~d/é") == "/v3/projects?name=a_b.c~d%2F%C3%A9");
    CHECK(projects_target("") == "/v3/projects?name=");
}

TEST_CASE("iam: parse_projects with 0, 1, 2 projects") {
    CHECK(projects(R"({"projects": [], "links": {"self": "x"}})").empty());
    auto one = projects(R"({"projects": [{"id": "0123abc", "name": "cn-north-4", "enabled": true,
                            "domain_id": "d", "links": {}}], "links": null})");
    REQUIRE(one.size() == 1);
    CHECK(one[0].id == "0123abc");
    CHECK(one[0].name == "cn-north-4");
    auto two = projects(R"({"projects": [{"id": "p1", "name": "cn-north-4"}, {"id": "p2", "name": ""}]})");
    REQUIRE(two.size() == 2);
    CHECK(two[0].id == "p1");
    CHECK(two[1].id == "p2");
    CHECK(two[1].name.empty());
}

TEST_CASE("iam: parse_projects accepts 1000 projects, not 1001") {
    auto body = [](int n) {
        std::string b = R"({"projects": [)";
        for (int i = 0; i < n; ++i) {
            if (i != 0) b += ',';
            b += R"({"id": "p)" + std::to_string(i) + R"(", "name": "r"})";
        }
        return b + "]}";
    };
    auto const many = projects(body(1000));
    REQUIRE(many.size() == 1000);
    CHECK(many[999].id == "p999");
    CHECK(projects_error(body(1001)) == "projects has 1001 entries, more than 1000");
}

TEST_CASE("iam: parse_projects refuses wrong shapes, naming the field") {
    CHECK(projects_error("{}") == "projects is missing");
    CHECK(projects_error(R"({"projects": {}})") == "projects is an object, not an array");
    CHECK(projects_error(R"({"projects": null})") == "projects is null, not an array");
    CHECK(projects_error("[]") == "the response is an array, not an object");
    CHECK(projects_error(R"({"projects": [1]})") == "projects[0] is a number, not an object");
    CHECK(projects_error(R"({"projects": [{"id": "a", "name": "b"}, {"name": "b"}]})") == "projects[1].id is missing");
    CHECK(projects_error(R"({"projects": [{"id": "a", "name": "b"}, {"id": "a", "name": "b"}, {"id": 3, "name": "b"}]})") ==
          "projects[2].id is not a string");
    CHECK(projects_error(R"({"projects": [{"id": "", "name": "b"}]})") == "projects[0].id is empty");
    CHECK(projects_error(R"({"projects": [{"id": "a"}]})") == "projects[0].name is missing");
    CHECK(projects_error(R"({"projects": [{"id": "a", "name": null}]})") == "projects[0].name is not a string");
    CHECK(projects_error(R"({"projects": [{"id": "a\u0000b", "name": "n"}]})") ==
          "projects[0].id contains a control character");
    CHECK(projects_error(R"({"projects": [{"id": "a\nb", "name": "n"}]})") ==
          "projects[0].id contains a control character");
    CHECK(projects_error(R"({"projects": [{"id": ")" + std::string(129, 'a') + R"(", "name": "n"}]})") ==
          "projects[0].id is longer than 128 bytes");
    CHECK(projects(R"({"projects": [{"id": ")" + std::string(128, 'a') + R"(", "name": "n"}]})").size() == 1);
    CHECK(projects_error(R"({"projects": [{"id": "a", "id": "b", "name": "n"}]})") ==
          "the response has projects[0].id twice");
    CHECK(contains(projects_error("<html>"), "the response is not JSON"));
    CHECK(contains(projects_error(R"({"projects": [)"), "the response is not JSON"));
    std::string deep(40, '[');
    CHECK(projects_error(deep) == "the response is nested more than 16 levels deep");
}

TEST_CASE("iam: region_env_name") {
    CHECK(region_env_name("cn-north-4") == "HUAWEICLOUD_SDK_REGION_APIG_CN_NORTH_4");
    CHECK(region_env_name("ap-southeast-1") == "HUAWEICLOUD_SDK_REGION_APIG_AP_SOUTHEAST_1");
    CHECK(region_env_name("eu-west-101") == "HUAWEICLOUD_SDK_REGION_APIG_EU_WEST_101");
    CHECK(region_env_name("My-Region") == "HUAWEICLOUD_SDK_REGION_APIG_MY_REGION");
}

TEST_CASE("iam: split_endpoints") {
    using list = std::vector<std::string>;
    CHECK(split_endpoints("https://a.example.com") == list{"https://a.example.com"});
    CHECK(split_endpoints(" https://a , https://b,https://c ") == list{"https://a", "https://b", "https://c"});
    CHECK(split_endpoints(",, https://a,,\t, https://b ,") == list{"https://a", "https://b"});
    CHECK(split_endpoints("").empty());
    CHECK(split_endpoints(" , ,").empty());
    CHECK(split_endpoints("a b, c") == list{"a b", "c"});
}
