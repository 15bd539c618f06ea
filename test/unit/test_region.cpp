// apig_regions / endpoint_for_region / closest_regions / region_error.

#include <apig/error.hpp>
#include <apig/region.hpp>

#include <doctest/doctest.h>

#include <cstdlib>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using views = std::vector<std::string_view>;

// The API document's list, in its order, with the endpoint each must map to.
std::vector<std::pair<std::string_view, std::string_view>> const documented = {
    {"cn-north-4", "https://apig.cn-north-4.myhuaweicloud.com"},
    {"cn-north-1", "https://apig.cn-north-1.myhuaweicloud.com"},
    {"cn-east-2", "https://apig.cn-east-2.myhuaweicloud.com"},
    {"cn-east-3", "https://apig.cn-east-3.myhuaweicloud.com"},
    {"cn-south-1", "https://apig.cn-south-1.myhuaweicloud.com"},
    {"ap-southeast-2", "https://apig.ap-southeast-2.myhuaweicloud.com"},
    {"ap-southeast-1", "https://apig.ap-southeast-1.myhuaweicloud.com"},
    {"ap-southeast-3", "https://apig.ap-southeast-3.myhuaweicloud.com"},
    {"ru-northwest-2", "https://apig.ru-northwest-2.myhuaweicloud.com"},
    {"sa-brazil-1", "https://apig.sa-brazil-1.myhuaweicloud.com"},
    {"la-south-2", "https://apig.la-south-2.myhuaweicloud.com"},
    {"la-north-2", "https://apig.la-north-2.myhuaweicloud.com"},
    {"na-mexico-1", "https://apig.na-mexico-1.myhuaweicloud.com"},
    {"af-south-1", "https://apig.af-south-1.myhuaweicloud.com"},
    {"cn-north-9", "https://apig.cn-north-9.myhuaweicloud.com"},
    {"cn-southwest-2", "https://apig.cn-southwest-2.myhuaweicloud.com"},
    {"ap-southeast-4", "https://apig.ap-southeast-4.myhuaweicloud.com"},
    {"tr-west-1", "https://apig.tr-west-1.myhuaweicloud.com"},
    {"cn-north-2", "https://apig.cn-north-2.myhuaweicloud.com"},
    {"eu-west-101", "https://apig.eu-west-101.myhuaweicloud.eu"},
    {"ae-ad-1", "https://apig.ae-ad-1.myhuaweicloud.com"},
    {"me-east-1", "https://apig.me-east-1.myhuaweicloud.com"},
    {"my-kualalumpur-1", "https://apig.my-kualalumpur-1.myhuaweicloud.com"},
    {"eu-west-0", "https://apig.eu-west-0.myhuaweicloud.com"},
    {"ru-moscow-1", "https://apig.ru-moscow-1.myhuaweicloud.com"},
    {"cn-south-4", "https://apig.cn-south-4.myhuaweicloud.com"},
    {"cn-east-5", "https://apig.cn-east-5.myhuaweicloud.com"},
    {"cn-north-12", "https://apig.cn-north-12.myhuaweicloud.com"},
    {"cn-east-4", "https://apig.cn-east-4.myhuaweicloud.com"},
    {"cn-southwest-3", "https://apig.cn-southwest-3.myhuaweicloud.com"},
    {"cn-south-2", "https://apig.cn-south-2.myhuaweicloud.com"},
    {"cn-north-11", "https://apig.cn-north-11.myhuaweicloud.com"},
    {"ap-southeast-5", "https://apig.ap-southeast-5.myhuaweicloud.com"},
    {"af-north-1", "https://apig.af-north-1.myhuaweicloud.com"},
};

}  // namespace

TEST_SUITE("region") {

TEST_CASE("region: the 34 documented regions, in the document's order") {
    auto const regions = apig::apig_regions();
    REQUIRE(regions.size() == 34);
    REQUIRE(documented.size() == 34);
    for (std::size_t i = 0; i < regions.size(); ++i) {
        CAPTURE(i);
        CHECK(regions[i] == documented[i].first);
    }
    std::set<std::string_view> const unique(regions.begin(), regions.end());
    CHECK(unique.size() == 34);
    CHECK(regions.front() == "cn-north-4");
    CHECK(regions.back() == "af-north-1");
}

TEST_CASE("region: every region maps to its endpoint, eu-west-101 to .eu") {
    for (auto const& entry : documented) {
        std::string_view const region = entry.first;
        std::string_view const endpoint = entry.second;
        CAPTURE(region);
        CHECK(apig::is_apig_region(region));
        auto const e = apig::endpoint_for_region(region);
        REQUIRE(e.has_value());
        CHECK(*e == endpoint);
    }
    CHECK(apig::endpoint_for_region("eu-west-101") == "https://apig.eu-west-101.myhuaweicloud.eu");
    CHECK(apig::endpoint_for_region("eu-west-0") == "https://apig.eu-west-0.myhuaweicloud.com");
    // Only eu-west-101 is on .eu.
    int on_eu = 0;
    for (auto r : apig::apig_regions())
        if (apig::endpoint_for_region(r)->ends_with(".myhuaweicloud.eu")) ++on_eu;
    CHECK(on_eu == 1);
}

TEST_CASE("region: unknown names give nullopt (exact, case-sensitive, no trimming)") {
    for (std::string_view bad : {"", "cn-nort-4", "CN-NORTH-4", "Cn-north-4", " cn-north-4", "cn-north-4 ",
                                 "cn-north-4\n", "cn-north-44", "cn-north", "eu-west-10", "xx",
                                 "apig.cn-north-4.myhuaweicloud.com", "cn-north-3"}) {
        CAPTURE(bad);
        CHECK_FALSE(apig::is_apig_region(bad));
        CHECK_FALSE(apig::endpoint_for_region(bad).has_value());
    }
    using namespace std::string_view_literals;
    CHECK_FALSE(apig::endpoint_for_region("cn-north-4\0"sv).has_value());
}

TEST_CASE("region: closest regions for typos") {
    // One deletion; then the three other cn-north-N at 2, in list order (1, 9, 2).
    CHECK(apig::closest_regions("cn-nort-4") == views{"cn-north-4", "cn-north-1", "cn-north-9"});
    CHECK(apig::closest_regions("cn-nort-4", 5) ==
          views{"cn-north-4", "cn-north-1", "cn-north-9", "cn-north-2", "cn-south-4"});
    // Differs only in case: that one region alone.
    CHECK(apig::closest_regions("CN-NORTH-4") == views{"cn-north-4"});
    CHECK(apig::closest_regions("Eu-West-101", 10) == views{"eu-west-101"});
    // Every ap-southeast-N is one substitution away: list order decides.
    CHECK(apig::closest_regions("ap-southeast-6") == views{"ap-southeast-2", "ap-southeast-1", "ap-southeast-3"});
    CHECK(apig::closest_regions("ap-southeast-6", 10) ==
          views{"ap-southeast-2", "ap-southeast-1", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5"});
    CHECK(apig::closest_regions("eu-west-10") == views{"eu-west-101", "eu-west-0", "tr-west-1"});
    // A transposition counts as one edit.
    CHECK(apig::closest_regions("cn-nroth-4", 1) == views{"cn-north-4"});
    CHECK(apig::closest_regions("cn-north4", 1) == views{"cn-north-4"});
    CHECK(apig::closest_regions("CN-NORT-4", 1) == views{"cn-north-4"});
    // Nothing close.
    CHECK(apig::closest_regions("xx").empty());
    CHECK(apig::closest_regions("").empty());
    CHECK(apig::closest_regions("north").empty());
    CHECK(apig::closest_regions(std::string(10000, 'a')).empty());
    // max_count
    CHECK(apig::closest_regions("cn-nort-4", 0).empty());
    CHECK(apig::closest_regions("CN-NORTH-4", 0).empty());
    CHECK(apig::closest_regions("cn-nort-4", 1) == views{"cn-north-4"});
}

TEST_CASE("region: closest regions stay within max(2, size / 3) edits") {
    // A short name: 2 edits allowed.
    CHECK(apig::closest_regions("ae-ad") == views{"ae-ad-1"});
    CHECK(apig::closest_regions("ae-a").empty());
    // The views point into apig_regions().
    auto const all = apig::apig_regions();
    for (auto v : apig::closest_regions("cn-east-9", 34)) {
        bool inside = false;
        for (auto const& r : all) inside = inside || v.data() == r.data();
        CHECK(inside);
    }
}

TEST_CASE("region: the error names the region and the closest ones") {
    auto e = apig::region_error("cn-nort-4");
    CHECK(e.code == apig::errc::invalid_argument);
    CHECK(e.code == apig::make_error_code(apig::errc::invalid_argument));
    CHECK(e.message ==
          "invalid argument: region 'cn-nort-4' is not an APIG region; closest: cn-north-4, cn-north-1, cn-north-9");
    CHECK(e.http_status == 0);
    CHECK(e.attempts == 0);
    CHECK(e.api_code.empty());
    CHECK(e.request_id.empty());

    CHECK(apig::region_error("CN-NORTH-4").message ==
          "invalid argument: region 'CN-NORTH-4' is not an APIG region; closest: cn-north-4");
    CHECK(apig::region_error("ap-southeast-6").message ==
          "invalid argument: region 'ap-southeast-6' is not an APIG region; closest: ap-southeast-2, "
          "ap-southeast-1, ap-southeast-3");
    CHECK(apig::region_error("eu-west-10").message ==
          "invalid argument: region 'eu-west-10' is not an APIG region; closest: eu-west-101, eu-west-0, tr-west-1");
    CHECK(apig::region_error("xx").message == "invalid argument: region 'xx' is not an APIG region; see apig_regions()");
    CHECK(apig::region_error("").message == "invalid argument: region '' is not an APIG region; see apig_regions()");
}

TEST_CASE("region: the error message stays one printable line") {
    using namespace std::string_view_literals;
    CHECK(apig::region_error("cn-north-4\r\nX-Evil: 1"sv).message ==
          "invalid argument: region 'cn-north-4??X-Evil: 1' is not an APIG region; see apig_regions()");
    CHECK(apig::region_error("a\0b\x7f"sv).message ==
          "invalid argument: region 'a?b?' is not an APIG region; see apig_regions()");

    std::string const long_name(100, 'z');
    CHECK(apig::region_error(long_name).message ==
          "invalid argument: region '" + std::string(64, 'z') + "...' is not an APIG region; see apig_regions()");

    // The cut does not split a UTF-8 character: 63 ASCII bytes then "é" (2 bytes) across 64.
    std::string const utf8 = std::string(63, 'a') + "\xc3\xa9" + "tail";
    CHECK(apig::region_error(utf8).message ==
          "invalid argument: region '" + std::string(63, 'a') + "...' is not an APIG region; see apig_regions()");
    // Exactly 64 bytes: not cut.
    std::string const exact(64, 'q');
    CHECK(apig::region_error(exact).message ==
          "invalid argument: region '" + exact + "' is not an APIG region; see apig_regions()");
}

}  // TEST_SUITE

// ---- region_endpoints: the environment over the table ----------------------------------

namespace {

struct fake_env {
    std::vector<std::pair<std::string, std::string>> vars{};
    std::vector<std::string> asked{};

    std::function<std::optional<std::string>(std::string_view)> fn() {
        return [this](std::string_view name) -> std::optional<std::string> {
            asked.emplace_back(name);
            for (auto const& v : vars)
                if (v.first == name) return v.second;
            return std::nullopt;
        };
    }
};

using strings = std::vector<std::string>;

}  // namespace

TEST_SUITE("region") {

TEST_CASE("region_endpoints: the table when the environment says nothing") {
    fake_env env;
    CHECK(apig::region_endpoints("cn-north-4", env.fn()) == strings{"https://apig.cn-north-4.myhuaweicloud.com"});
    CHECK(env.asked == strings{"HUAWEICLOUD_SDK_REGION_APIG_CN_NORTH_4"});
    CHECK(apig::region_endpoints("eu-west-101", env.fn()) == strings{"https://apig.eu-west-101.myhuaweicloud.eu"});
    CHECK(env.asked.back() == "HUAWEICLOUD_SDK_REGION_APIG_EU_WEST_101");
    CHECK(apig::region_endpoints("ap-southeast-1", env.fn()) ==
          strings{"https://apig.ap-southeast-1.myhuaweicloud.com"});
    CHECK(env.asked.back() == "HUAWEICLOUD_SDK_REGION_APIG_AP_SOUTHEAST_1");
    CHECK(apig::region_endpoints("xx-nowhere-1", env.fn()).empty());
    CHECK(apig::region_endpoints("CN-NORTH-4", env.fn()).empty());
}

TEST_CASE("region_endpoints: the environment wins, split on commas") {
    fake_env env;
    env.vars.emplace_back("HUAWEICLOUD_SDK_REGION_APIG_CN_NORTH_4", " https://a.example.com , ,https://b.example.com,");
    CHECK(apig::region_endpoints("cn-north-4", env.fn()) == strings{"https://a.example.com", "https://b.example.com"});
    // A region only the environment knows.
    env.vars.emplace_back("HUAWEICLOUD_SDK_REGION_APIG_MY_PRIVATE_1", "https://apig.private.example");
    CHECK(apig::region_endpoints("my-private-1", env.fn()) == strings{"https://apig.private.example"});
    // A variable with no entry counts as unset.
    env.vars.emplace_back("HUAWEICLOUD_SDK_REGION_APIG_CN_EAST_3", " , ");
    CHECK(apig::region_endpoints("cn-east-3", env.fn()) == strings{"https://apig.cn-east-3.myhuaweicloud.com"});
    env.vars.emplace_back("HUAWEICLOUD_SDK_REGION_APIG_XX_EMPTY_1", "");
    CHECK(apig::region_endpoints("xx-empty-1", env.fn()).empty());
}

TEST_CASE("region_endpoints: names no variable can have are not looked up") {
    fake_env env;
    CHECK(apig::region_endpoints("", env.fn()).empty());
    CHECK(apig::region_endpoints("a=b", env.fn()).empty());
    CHECK(apig::region_endpoints(std::string_view("cn-north-4\0x", 12), env.fn()).empty());
    CHECK(apig::region_endpoints(" cn-north-4", env.fn()).empty());
    CHECK(env.asked.empty());
}

TEST_CASE("region_endpoints: the process environment by default") {
    REQUIRE(::setenv("HUAWEICLOUD_SDK_REGION_APIG_APIG_TEST_ONLY_1", "https://x.example.com,https://y.example.com", 1) == 0);
    CHECK(apig::region_endpoints("apig-test-only-1") == strings{"https://x.example.com", "https://y.example.com"});
    REQUIRE(::unsetenv("HUAWEICLOUD_SDK_REGION_APIG_APIG_TEST_ONLY_1") == 0);
    CHECK(apig::region_endpoints("apig-test-only-1").empty());
    CHECK(apig::region_endpoints("cn-north-1") == strings{"https://apig.cn-north-1.myhuaweicloud.com"});
}

}  // TEST_SUITE
