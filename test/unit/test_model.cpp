// Enum tables of the model: names and codes exactly as in the API document.

#include <apig/model.hpp>

#include <doctest/doctest.h>

#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

struct status_case {
    apig::status value;
    std::string_view name;
    std::int32_t code;
};

// Copied from the API document (ListInstancesV2.md), in its order.
std::vector<status_case> const all_statuses = {
    {apig::status::creating, "Creating", 1},
    {apig::status::create_success, "CreateSuccess", 2},
    {apig::status::create_fail, "CreateFail", 3},
    {apig::status::initing, "Initing", 4},
    {apig::status::registering, "Registering", 5},
    {apig::status::running, "Running", 6},
    {apig::status::initing_failed, "InitingFailed", 7},
    {apig::status::register_failed, "RegisterFailed", 8},
    {apig::status::installing, "Installing", 10},
    {apig::status::install_failed, "InstallFailed", 11},
    {apig::status::updating, "Updating", 12},
    {apig::status::update_failed, "UpdateFailed", 13},
    {apig::status::rollbacking, "Rollbacking", 20},
    {apig::status::rollback_success, "RollbackSuccess", 21},
    {apig::status::rollback_failed, "RollbackFailed", 22},
    {apig::status::deleting, "Deleting", 23},
    {apig::status::delete_failed, "DeleteFailed", 24},
    {apig::status::unregistering, "Unregistering", 25},
    {apig::status::unregister_failed, "UnRegisterFailed", 26},
    {apig::status::create_timeout, "CreateTimeout", 27},
    {apig::status::init_timeout, "InitTimeout", 28},
    {apig::status::register_timeout, "RegisterTimeout", 29},
    {apig::status::install_timeout, "InstallTimeout", 30},
    {apig::status::update_timeout, "UpdateTimeout", 31},
    {apig::status::rollback_timeout, "RollbackTimeout", 32},
    {apig::status::delete_timeout, "DeleteTimeout", 33},
    {apig::status::unregister_timeout, "UnregisterTimeout", 34},
    {apig::status::starting, "Starting", 35},
    {apig::status::freezing, "Freezing", 36},
    {apig::status::frozen, "Frozen", 37},
    {apig::status::restarting, "Restarting", 38},
    {apig::status::restart_fail, "RestartFail", 39},
    {apig::status::unhealthy, "Unhealthy", 40},
    {apig::status::restart_timeout, "RestartTimeout", 41},
    {apig::status::resizing, "Resizing", 42},
    {apig::status::resize_failed, "ResizeFailed", 43},
    {apig::status::resize_timeout, "ResizeTimeout", 44},
};

std::vector<std::pair<apig::spec, std::string_view>> const all_specs = {
    {apig::spec::basic, "BASIC"},
    {apig::spec::professional, "PROFESSIONAL"},
    {apig::spec::enterprise, "ENTERPRISE"},
    {apig::spec::platinum, "PLATINUM"},
    {apig::spec::basic_ipv6, "BASIC_IPV6"},
    {apig::spec::professional_ipv6, "PROFESSIONAL_IPV6"},
    {apig::spec::enterprise_ipv6, "ENTERPRISE_IPV6"},
    {apig::spec::platinum_ipv6, "PLATINUM_IPV6"},
    {apig::spec::platinum_x2, "PLATINUM_X2"},
    {apig::spec::platinum_x3, "PLATINUM_X3"},
    {apig::spec::platinum_x4, "PLATINUM_X4"},
    {apig::spec::platinum_x5, "PLATINUM_X5"},
    {apig::spec::platinum_x6, "PLATINUM_X6"},
    {apig::spec::platinum_x7, "PLATINUM_X7"},
    {apig::spec::platinum_x8, "PLATINUM_X8"},
};

}  // namespace

TEST_CASE("model: every status has its documented name and code") {
    REQUIRE(all_statuses.size() == 37);
    std::set<std::string_view> names;
    std::set<std::int32_t> codes;
    for (auto const& c : all_statuses) {
        CAPTURE(c.name);
        CHECK(apig::to_string(c.value) == c.name);
        CHECK(apig::from_string<apig::status>(c.name) == c.value);
        CHECK(apig::to_code(c.value) == c.code);
        CHECK(apig::from_code<apig::status>(c.code) == c.value);
        names.insert(c.name);
        codes.insert(c.code);
    }
    CHECK(names.size() == 37);
    CHECK(codes.size() == 37);
}

TEST_CASE("model: status spellings, unused codes and unknown") {
    // The documented spelling differs between these two.
    CHECK(apig::to_string(apig::status::unregister_failed) == "UnRegisterFailed");
    CHECK(apig::to_string(apig::status::unregister_timeout) == "UnregisterTimeout");
    CHECK_FALSE(apig::from_string<apig::status>("UnregisterFailed"));
    // Exact, case-sensitive.
    CHECK_FALSE(apig::from_string<apig::status>("running"));
    CHECK_FALSE(apig::from_string<apig::status>("RUNNING"));
    CHECK_FALSE(apig::from_string<apig::status>("Running "));
    CHECK_FALSE(apig::from_string<apig::status>(""));
    for (std::int64_t code : {0LL, 9LL, 14LL, 15LL, 16LL, 17LL, 18LL, 19LL, 45LL, -1LL, 4294967302LL}) {
        CAPTURE(code);
        CHECK_FALSE(apig::from_code<apig::status>(code));
    }
    CHECK(apig::to_string(apig::status::unknown).empty());
    CHECK(apig::to_code(apig::status::unknown) == -1);
}

TEST_CASE("model: every spec has its documented name") {
    REQUIRE(all_specs.size() == 15);
    for (auto const& entry : all_specs) {
        auto const& [v, name] = entry;
        CAPTURE(entry.second);
        CHECK(apig::to_string(v) == name);
        CHECK(apig::from_string<apig::spec>(name) == v);
    }
    CHECK(apig::to_string(apig::spec::unknown).empty());
    CHECK_FALSE(apig::from_string<apig::spec>("PLATINUM_X9"));
    CHECK_FALSE(apig::from_string<apig::spec>("basic"));
}

TEST_CASE("model: charging_mode and loadbalancer_provider") {
    CHECK(apig::to_string(apig::charging_mode::pay_per_use) == "pay_per_use");
    CHECK(apig::to_string(apig::charging_mode::yearly_monthly) == "yearly_monthly");
    CHECK(apig::to_string(apig::charging_mode::unknown).empty());
    CHECK(apig::from_string<apig::charging_mode>("pay_per_use") == apig::charging_mode::pay_per_use);
    CHECK(apig::from_string<apig::charging_mode>("yearly_monthly") == apig::charging_mode::yearly_monthly);
    CHECK_FALSE(apig::from_string<apig::charging_mode>("0"));
    CHECK(apig::to_code(apig::charging_mode::pay_per_use) == 0);
    CHECK(apig::to_code(apig::charging_mode::yearly_monthly) == 1);
    CHECK(apig::to_code(apig::charging_mode::unknown) == -1);
    CHECK(apig::from_code<apig::charging_mode>(0) == apig::charging_mode::pay_per_use);
    CHECK(apig::from_code<apig::charging_mode>(1) == apig::charging_mode::yearly_monthly);
    CHECK_FALSE(apig::from_code<apig::charging_mode>(2));
    CHECK_FALSE(apig::from_code<apig::charging_mode>(-1));

    CHECK(apig::to_string(apig::loadbalancer_provider::lvs) == "lvs");
    CHECK(apig::to_string(apig::loadbalancer_provider::elb) == "elb");
    CHECK(apig::to_string(apig::loadbalancer_provider::unknown).empty());
    CHECK(apig::from_string<apig::loadbalancer_provider>("lvs") == apig::loadbalancer_provider::lvs);
    CHECK(apig::from_string<apig::loadbalancer_provider>("elb") == apig::loadbalancer_provider::elb);
    CHECK_FALSE(apig::from_string<apig::loadbalancer_provider>("ELB"));
}

TEST_CASE("model: string_enum and int_enum keep unknown wire values") {
    auto known = apig::string_enum<apig::status>::from_wire("Frozen");
    CHECK_FALSE(known.is_unknown());
    CHECK(known.value() == apig::status::frozen);
    CHECK(known == apig::status::frozen);
    CHECK(known.wire() == "Frozen");

    auto odd = apig::string_enum<apig::status>::from_wire("Hibernating");
    CHECK(odd.is_unknown());
    CHECK(odd.wire() == "Hibernating");
    CHECK_FALSE(odd == apig::status::unknown);  // unknown never compares equal to a value
    CHECK(odd == apig::string_enum<apig::status>::from_wire("Hibernating"));
    CHECK_FALSE(odd == known);

    apig::string_enum<apig::spec> s = apig::spec::platinum_x8;
    CHECK(s.wire() == "PLATINUM_X8");

    auto code = apig::int_enum<apig::status>::from_wire(99);
    CHECK(code.is_unknown());
    CHECK(code.code() == 99);
    apig::int_enum<apig::status> running = apig::status::running;
    CHECK(running.code() == 6);
    CHECK(running == apig::int_enum<apig::status>::from_wire(6));
    CHECK(apig::int_enum<apig::charging_mode>::from_wire(1) == apig::charging_mode::yearly_monthly);
}
