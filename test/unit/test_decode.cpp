// page_decoder / decode_page / decode_error_body.

#include "json/decode.hpp"

#include <apig/error.hpp>
#include <apig/model.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

// The example page of the API document, verbatim.
constexpr std::string_view example_page = R"({"total":2,"size":2,"instances":[
 {"cbc_metadata":"CS2006301043A28NF:00301-734023-0--0","charging_mode":1,"create_time":1585302825070,
  "eip_address":"100.95.155.221","enterprise_project_id":"0","id":"eddc4d25480b4cd6b512f270a1b8b341",
  "instance_name":"apig-Enterprise_Project_Pay-per-Use","instance_status":6,
  "project_id":"73d69ae0cfcf460190522d06b60f05ad","spec":"PROFESSIONAL","status":"Running","type":"apig"},
 {"charging_mode":0,"create_time":1594370987422,"eip_address":"100.95.147.95","enterprise_project_id":"0",
  "id":"2e2d613c64094a4a94ad38e7ca30adee","instance_name":"apig-autotest-apitest-nodelete","instance_status":6,
  "project_id":"73d69ae0cfcf460190522d06b60f05ad","spec":"PROFESSIONAL","status":"Running","type":"apig"}]}
)";

// Exercises every code path of the handler: unknown fields of every shape at every level
// (including keys that look like known ones and a long key), locks, escapes, nulls, enums.
constexpr std::string_view rich_page = R"( {"request_info":{"id":"not-an-instance","instances":[1,2,{"x":[]}]},
 "total":3,"size":3,"a_very_long_unknown_key_that_exceeds_any_buffer_0123456789":[[[{"k":"v"}]]],
 "instances":[
  {"id":"i-1","instance_name":"网关-生产\n\"q\"\u00e9\ud83d\ude00","status":"Hibernating","instance_status":77,
   "spec":"PLATINUM_X8","create_time":-9223372036854775808,"charging_mode":9,"loadbalancer_provider":"elb",
   "cbc_operation_locks":[{"lock_scene":"TO_PERIOD_LOCK","lock_source_id":"o-1","extra":{"a":[true,null]}},
                          {"lock_scene":null},{}],
   "unknown_num":1.5e300,"unknown_bool":false,"unknown_null":null,"unknown_str":"\u0000x",
   "type":"apig","eip_address":"","cbc_metadata":null},
  {},
  {"status":"UnRegisterFailed","instance_status":26,"loadbalancer_provider":"nlb","cbc_operation_locks":[],
   "create_time":9223372036854775807,"project_id":"p","enterprise_project_id":"0","spec":"NEW_SPEC"}
 ],
 "trailer":"\ud83d\ude00"} )";

struct result {
    apig::instance_page page;
    apig::error_info err;
};

// `start`: the page decoded into (a reused one, or a fresh one by default).
result decode(std::string_view body, apig::instance_page start = {}) {
    result r{std::move(start), {}};
    r.err = apig::json::decode_page(body, r.page);
    return r;
}

// The error message of a body that must fail with bad_response.
std::string error_of(std::string_view body) {
    auto r = decode(body);
    CHECK(r.err.code == apig::errc::bad_response);
    return r.err.message;
}

// A page with one instance whose members are `members`.
std::string one_instance(std::string_view members) {
    return std::string(R"({"total":1,"size":1,"instances":[{)") + std::string(members) + "}]}";
}

result decode_chunked(std::string_view body, std::mt19937& rng, std::size_t max_chunk,
                      apig::instance_page start = {}) {
    result r{std::move(start), {}};
    apig::json::page_decoder d(r.page);
    std::size_t pos = 0;
    bool ok = true;
    while (pos < body.size() && ok) {
        std::size_t n = std::uniform_int_distribution<std::size_t>(1, max_chunk)(rng);
        n = std::min(n, body.size() - pos);
        ok = d.write(body.substr(pos, n));
        pos += n;
    }
    if (ok) d.finish();
    r.err = d.error();
    return r;
}

}  // namespace

TEST_CASE("decode: the documented example page") {
    auto r = decode(example_page);
    REQUIRE_FALSE(r.err);
    CHECK(r.err.message.empty());
    CHECK(r.page.total == 2);
    CHECK(r.page.size == 2);
    REQUIRE(r.page.instances.size() == 2);

    auto const& a = r.page.instances[0];
    CHECK(a.cbc_metadata == "CS2006301043A28NF:00301-734023-0--0");
    REQUIRE(a.charging_mode);
    CHECK(*a.charging_mode == apig::charging_mode::yearly_monthly);
    CHECK(a.charging_mode->code() == 1);
    CHECK(a.create_time == 1585302825070);
    CHECK(a.eip_address == "100.95.155.221");
    CHECK(a.enterprise_project_id == "0");
    CHECK(a.id == "eddc4d25480b4cd6b512f270a1b8b341");
    CHECK(a.instance_name == "apig-Enterprise_Project_Pay-per-Use");
    REQUIRE(a.instance_status);
    CHECK(*a.instance_status == apig::status::running);
    CHECK(a.instance_status->code() == 6);
    CHECK(a.project_id == "73d69ae0cfcf460190522d06b60f05ad");
    REQUIRE(a.spec);
    CHECK(*a.spec == apig::spec::professional);
    REQUIRE(a.status);
    CHECK(*a.status == apig::status::running);
    CHECK(a.type == "apig");
    CHECK_FALSE(a.loadbalancer_provider);
    CHECK_FALSE(a.cbc_operation_locks);
    REQUIRE(a.created_at());
    CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(a.created_at()->time_since_epoch()).count() ==
          1585302825070);

    auto const& b = r.page.instances[1];
    CHECK_FALSE(b.cbc_metadata);
    REQUIRE(b.charging_mode);
    CHECK(*b.charging_mode == apig::charging_mode::pay_per_use);
    CHECK(b.create_time == 1594370987422);
    CHECK(b.eip_address == "100.95.147.95");
    CHECK(b.id == "2e2d613c64094a4a94ad38e7ca30adee");
    CHECK(b.instance_name == "apig-autotest-apitest-nodelete");
    CHECK(*b.instance_status == apig::status::running);
    CHECK(*b.status == apig::status::running);
    CHECK(*b.spec == apig::spec::professional);
    CHECK(b.type == "apig");
    CHECK(r.page.request_id.empty());
}

TEST_CASE("decode: a rich page with locks, unknown fields, escapes and unknown enums") {
    auto r = decode(rich_page);
    REQUIRE_FALSE(r.err);
    CHECK(r.page.total == 3);
    CHECK(r.page.size == 3);
    REQUIRE(r.page.instances.size() == 3);

    auto const& a = r.page.instances[0];
    CHECK(a.id == "i-1");
    CHECK(a.instance_name == "网关-生产\n\"q\"\xC3\xA9\xF0\x9F\x98\x80");
    REQUIRE(a.status);
    CHECK(a.status->is_unknown());
    CHECK(a.status->wire() == "Hibernating");
    REQUIRE(a.instance_status);
    CHECK(a.instance_status->is_unknown());
    CHECK(a.instance_status->code() == 77);
    CHECK(*a.spec == apig::spec::platinum_x8);
    CHECK(a.create_time == std::numeric_limits<std::int64_t>::min());
    CHECK(a.charging_mode->is_unknown());
    CHECK(a.charging_mode->code() == 9);
    CHECK(*a.loadbalancer_provider == apig::loadbalancer_provider::elb);
    REQUIRE(a.cbc_operation_locks);
    REQUIRE(a.cbc_operation_locks->size() == 3);
    CHECK((*a.cbc_operation_locks)[0] == apig::cbc_operation_lock{"TO_PERIOD_LOCK", "o-1"});
    CHECK((*a.cbc_operation_locks)[1] == apig::cbc_operation_lock{});
    CHECK((*a.cbc_operation_locks)[2] == apig::cbc_operation_lock{});
    CHECK(a.type == "apig");
    REQUIRE(a.eip_address);
    CHECK(a.eip_address->empty());
    CHECK_FALSE(a.cbc_metadata);
    CHECK_FALSE(a.project_id);

    CHECK(r.page.instances[1] == apig::instance{});

    auto const& c = r.page.instances[2];
    CHECK(*c.status == apig::status::unregister_failed);
    CHECK(*c.instance_status == apig::status::unregister_failed);
    CHECK(c.loadbalancer_provider->is_unknown());
    CHECK(c.loadbalancer_provider->wire() == "nlb");
    REQUIRE(c.cbc_operation_locks);
    CHECK(c.cbc_operation_locks->empty());
    CHECK(c.create_time == std::numeric_limits<std::int64_t>::max());
    CHECK(c.spec->is_unknown());
    CHECK(c.spec->wire() == "NEW_SPEC");
    CHECK_FALSE(c.id);
}

TEST_CASE("decode: chunked feeding gives the same result as one piece") {
    for (auto body : {example_page, rich_page}) {
        auto whole = decode(body);
        REQUIRE_FALSE(whole.err);

        SUBCASE("byte by byte") {
            result r;
            apig::json::page_decoder d(r.page);
            for (char c : body) REQUIRE(d.write(std::string_view(&c, 1)));
            REQUIRE(d.finish());
            CHECK_FALSE(d.error());
            CHECK(r.page == whole.page);
        }
        SUBCASE("random splits") {
            std::mt19937 rng(12345);
            for (int round = 0; round < 200; ++round) {
                auto r = decode_chunked(body, rng, 1 + static_cast<std::size_t>(round % 40));
                CAPTURE(round);
                REQUIRE_FALSE(r.err);
                CHECK(r.page == whole.page);
            }
        }
    }
}

TEST_CASE("decode: chunked errors report the same path and byte offset") {
    std::string bad = one_instance(R"("id":"x","unknown":{"a":[1,{"b":2}]},"create_time":"soon")");
    std::string const expected = "bad response: instances[0].create_time: expected an integer, got a string";
    CHECK(error_of(bad) == expected);
    std::mt19937 rng(7);
    for (int round = 0; round < 50; ++round) {
        auto r = decode_chunked(bad, rng, 5);
        CHECK(r.err.code == apig::errc::bad_response);
        CHECK(r.err.message == expected);
    }
    std::string const truncated = std::string(example_page.substr(0, 300));
    auto const whole = decode(truncated).err.message;
    CHECK(whole == "bad response: invalid JSON at byte 300: incomplete JSON");
    for (int round = 0; round < 50; ++round) CHECK(decode_chunked(truncated, rng, 17).err.message == whole);
}

TEST_CASE("decode: every status name and code, every spec") {
    struct s {
        std::string_view name;
        int code;
    };
    s const statuses[] = {
        {"Creating", 1},          {"CreateSuccess", 2},     {"CreateFail", 3},        {"Initing", 4},
        {"Registering", 5},       {"Running", 6},           {"InitingFailed", 7},     {"RegisterFailed", 8},
        {"Installing", 10},       {"InstallFailed", 11},    {"Updating", 12},         {"UpdateFailed", 13},
        {"Rollbacking", 20},      {"RollbackSuccess", 21},  {"RollbackFailed", 22},   {"Deleting", 23},
        {"DeleteFailed", 24},     {"Unregistering", 25},    {"UnRegisterFailed", 26}, {"CreateTimeout", 27},
        {"InitTimeout", 28},      {"RegisterTimeout", 29},  {"InstallTimeout", 30},   {"UpdateTimeout", 31},
        {"RollbackTimeout", 32},  {"DeleteTimeout", 33},    {"UnregisterTimeout", 34}, {"Starting", 35},
        {"Freezing", 36},         {"Frozen", 37},           {"Restarting", 38},       {"RestartFail", 39},
        {"Unhealthy", 40},        {"RestartTimeout", 41},   {"Resizing", 42},         {"ResizeFailed", 43},
        {"ResizeTimeout", 44},
    };
    static_assert(std::size(statuses) == 37);
    for (auto const& st : statuses) {
        CAPTURE(st.name);
        auto r = decode(one_instance(R"("status":")" + std::string(st.name) + R"(","instance_status":)" +
                                     std::to_string(st.code)));
        REQUIRE_FALSE(r.err);
        auto const& i = r.page.instances.at(0);
        REQUIRE(i.status);
        REQUIRE(i.instance_status);
        CHECK_FALSE(i.status->is_unknown());
        CHECK_FALSE(i.instance_status->is_unknown());
        CHECK(i.status->value() == i.instance_status->value());
        CHECK(apig::to_string(i.status->value()) == st.name);
        CHECK(apig::to_code(i.instance_status->value()) == st.code);
    }
    std::string_view const specs[] = {"BASIC",        "PROFESSIONAL",      "ENTERPRISE",      "PLATINUM",
                                      "BASIC_IPV6",   "PROFESSIONAL_IPV6", "ENTERPRISE_IPV6", "PLATINUM_IPV6",
                                      "PLATINUM_X2",  "PLATINUM_X3",       "PLATINUM_X4",     "PLATINUM_X5",
                                      "PLATINUM_X6",  "PLATINUM_X7",       "PLATINUM_X8"};
    for (auto name : specs) {
        CAPTURE(name);
        auto r = decode(one_instance(R"("spec":")" + std::string(name) + "\""));
        REQUIRE_FALSE(r.err);
        auto const& sp = r.page.instances.at(0).spec;
        REQUIRE(sp);
        CHECK_FALSE(sp->is_unknown());
        CHECK(apig::to_string(sp->value()) == name);
    }
    for (auto lb : {"lvs", "elb"}) {
        auto r = decode(one_instance(R"("loadbalancer_provider":")" + std::string(lb) + "\""));
        REQUIRE_FALSE(r.err);
        CHECK(apig::to_string(r.page.instances.at(0).loadbalancer_provider->value()) == lb);
    }
}

TEST_CASE("decode: unknown fields of any shape are ignored") {
    auto r = decode(R"({"x":{"total":-5,"instances":{"id":1}},"instances":[{"id":"a",)"
                    R"("nested":{"id":"b","status":7,"deep":[[{"create_time":"x"}],[]]},)"
                    R"("list":[{"id":"c"},"s",1,-1,1.5,true,null,[]],"cbc_operation_locks":[{"lock_scene":"L",)"
                    R"("more":[{"lock_scene":1}]}]}],"y":[],"z":"","w":18446744073709551616,"v":-1})");
    REQUIRE_FALSE(r.err);
    CHECK_FALSE(r.page.total);
    CHECK_FALSE(r.page.size);
    REQUIRE(r.page.instances.size() == 1);
    apig::instance expected;
    expected.id = "a";
    expected.cbc_operation_locks = std::vector<apig::cbc_operation_lock>{{"L", std::nullopt}};
    CHECK(r.page.instances[0] == expected);

    // Names of known fields at the wrong level are unknown there.
    auto r2 = decode(R"({"id":"root-id","lock_scene":3,"instances":[{"size":"x","total":"y","lock_scene":true}]})");
    REQUIRE_FALSE(r2.err);
    CHECK(r2.page.instances.at(0) == apig::instance{});

    // Prefixes and case variants of known names are unknown.
    auto r3 = decode(one_instance(R"("ids":1,"i":2,"Id":3,"ID":4,"statuses":5,"create_time_ms":"x")"));
    REQUIRE_FALSE(r3.err);
    CHECK(r3.page.instances.at(0) == apig::instance{});
}

TEST_CASE("decode: absent fields, empty strings and nulls are distinct") {
    auto r = decode(one_instance(R"("id":"","instance_name":null,"project_id":"")"));
    REQUIRE_FALSE(r.err);
    auto const& i = r.page.instances.at(0);
    REQUIRE(i.id);
    CHECK(i.id->empty());
    CHECK(i.project_id == std::string());
    CHECK_FALSE(i.instance_name);
    CHECK_FALSE(i.type);

    auto n = decode(R"({"total":null,"size":null,"instances":[{"id":null,"project_id":null,"instance_name":null,)"
                    R"("status":null,"instance_status":null,"type":null,"spec":null,"create_time":null,)"
                    R"("enterprise_project_id":null,"eip_address":null,"charging_mode":null,"cbc_metadata":null,)"
                    R"("loadbalancer_provider":null,"cbc_operation_locks":null}]})");
    REQUIRE_FALSE(n.err);
    CHECK_FALSE(n.page.total);
    CHECK_FALSE(n.page.size);
    REQUIRE(n.page.instances.size() == 1);
    CHECK(n.page.instances[0] == apig::instance{});

    auto empty = decode(R"({"total":0,"size":0,"instances":null})");
    REQUIRE_FALSE(empty.err);
    CHECK(empty.page.total == 0);
    CHECK(empty.page.size == 0);
    CHECK(empty.page.instances.empty());

    auto bare = decode("{}");
    REQUIRE_FALSE(bare.err);
    CHECK_FALSE(bare.page.total);
    CHECK_FALSE(bare.page.size);
    CHECK(bare.page.instances.empty());

    auto locks = decode(one_instance(R"("cbc_operation_locks":[{"lock_scene":"","lock_source_id":null}])"));
    REQUIRE_FALSE(locks.err);
    auto const& l = locks.page.instances.at(0).cbc_operation_locks.value().at(0);
    CHECK(l.lock_scene == std::string());
    CHECK_FALSE(l.lock_source_id);
}

TEST_CASE("decode: duplicate keys, the last one wins") {
    auto r = decode(R"({"total":1,"total":2,"instances":[{"id":"a"}],"instances":[{"id":"b","id":"c"},)"
                    R"({"id":"d","id":null,"status":"Running","status":"Frozen","create_time":1,"create_time":null}]})");
    REQUIRE_FALSE(r.err);
    CHECK(r.page.total == 2);
    REQUIRE(r.page.instances.size() == 2);
    CHECK(r.page.instances[0].id == "c");
    CHECK_FALSE(r.page.instances[1].id);
    CHECK(*r.page.instances[1].status == apig::status::frozen);
    CHECK_FALSE(r.page.instances[1].create_time);

    auto n = decode(R"({"instances":[{"id":"a"}],"instances":null})");
    REQUIRE_FALSE(n.err);
    CHECK(n.page.instances.empty());
}

TEST_CASE("decode: non-ASCII and escaped strings") {
    auto r = decode(one_instance(R"("instance_name":"华为云-网关","id":"a\nb\"c\\d\/e\u00e9\ud83d\ude00\u0001\t")"));
    REQUIRE_FALSE(r.err);
    auto const& i = r.page.instances.at(0);
    CHECK(i.instance_name == "\xE5\x8D\x8E\xE4\xB8\xBA\xE4\xBA\x91-\xE7\xBD\x91\xE5\x85\xB3");
    CHECK(i.id == std::string("a\nb\"c\\d/e\xC3\xA9\xF0\x9F\x98\x80\x01\t"));

    // An escaped enum name still matches.
    auto e = decode(one_instance(R"("status":"Runn\u0069ng")"));
    REQUIRE_FALSE(e.err);
    CHECK(*e.page.instances.at(0).status == apig::status::running);
}

TEST_CASE("decode: integer limits") {
    SUBCASE("int64 create_time") {
        auto max = decode(one_instance(R"("create_time":9223372036854775807)"));
        REQUIRE_FALSE(max.err);
        CHECK(max.page.instances[0].create_time == std::numeric_limits<std::int64_t>::max());
        auto min = decode(one_instance(R"("create_time":-9223372036854775808)"));
        REQUIRE_FALSE(min.err);
        CHECK(min.page.instances[0].create_time == std::numeric_limits<std::int64_t>::min());

        CHECK(error_of(one_instance(R"("create_time":9223372036854775808)")) ==
              "bad response: instances[0].create_time: integer out of int64 range");
        CHECK(error_of(one_instance(R"("create_time":18446744073709551615)")) ==
              "bad response: instances[0].create_time: integer out of int64 range");
        CHECK(error_of(one_instance(R"("create_time":-9223372036854775809)")) ==
              "bad response: instances[0].create_time: integer out of int64 range");
        CHECK(error_of(one_instance(R"("create_time":100000000000000000000)")) ==
              "bad response: instances[0].create_time: integer out of int64 range");
    }
    SUBCASE("total") {
        auto r = decode(R"({"total":9223372036854775807})");
        REQUIRE_FALSE(r.err);
        CHECK(r.page.total == std::numeric_limits<std::int64_t>::max());
        CHECK(error_of(R"({"total":9223372036854775808})") == "bad response: total: integer out of int64 range");
        CHECK(error_of(R"({"total":-1})") == "bad response: total: must not be negative");
    }
    SUBCASE("int32 instance_status") {
        auto max = decode(one_instance(R"("instance_status":2147483647)"));
        REQUIRE_FALSE(max.err);
        CHECK(max.page.instances[0].instance_status->code() == 2147483647);
        CHECK(max.page.instances[0].instance_status->is_unknown());
        auto min = decode(one_instance(R"("instance_status":-2147483648)"));
        REQUIRE_FALSE(min.err);
        CHECK(min.page.instances[0].instance_status->code() == std::numeric_limits<std::int32_t>::min());
        CHECK(error_of(one_instance(R"("instance_status":2147483648)")) ==
              "bad response: instances[0].instance_status: integer out of int32 range");
        CHECK(error_of(one_instance(R"("instance_status":-2147483649)")) ==
              "bad response: instances[0].instance_status: integer out of int32 range");
        CHECK(error_of(one_instance(R"("charging_mode":9223372036854775808)")) ==
              "bad response: instances[0].charging_mode: integer out of int32 range");
    }
    SUBCASE("size") {
        auto r = decode(R"({"size":2147483647})");
        REQUIRE_FALSE(r.err);
        CHECK(r.page.size == 2147483647);
        CHECK(error_of(R"({"size":-1})") == "bad response: size: must not be negative");
        CHECK(error_of(R"({"size":2147483648})") == "bad response: size: integer out of int32 range");
    }
    SUBCASE("doubles are never integers") {
        CHECK(error_of(one_instance(R"("instance_status":1.5)")) ==
              "bad response: instances[0].instance_status: expected an integer, got a floating-point number");
        CHECK(error_of(one_instance(R"("instance_status":6.0)")) ==
              "bad response: instances[0].instance_status: expected an integer, got a floating-point number");
        CHECK(error_of(one_instance(R"("create_time":1e3)")) ==
              "bad response: instances[0].create_time: expected an integer, got a floating-point number");
        CHECK(error_of(R"({"size":-0.0})") == "bad response: size: expected an integer, got a floating-point number");
    }
}

TEST_CASE("decode: a number that is not an integer is named for what it is, every field, every spelling") {
    // Each integer field, at its JSON path, in a body of its own.
    struct int_field {
        char const* name;
        char const* path;
        char const* range;  // the integer error of the field's type
    };
    int_field const fields[] = {
        {"size", "size", "integer out of int32 range"},
        {"total", "total", "integer out of int64 range"},
        {"instance_status", "instances[0].instance_status", "integer out of int32 range"},
        {"charging_mode", "instances[0].charging_mode", "integer out of int32 range"},
        {"create_time", "instances[0].create_time", "integer out of int64 range"},
    };
    auto const body = [](int_field const& f, std::string const& number) {
        std::string const member = "\"" + std::string(f.name) + "\":" + number;
        if (std::string_view(f.name) == "size" || std::string_view(f.name) == "total") return "{" + member + "}";
        return one_instance(member);
    };
    // The same message whole and fed byte by byte (the number then arrives in pieces).
    auto const check_error = [&](int_field const& f, std::string const& number, std::string const& what) {
        CAPTURE(f.name);
        CAPTURE(number);
        std::string const b = body(f, number);
        std::string const expected = "bad response: " + std::string(f.path) + ": " + what;
        CHECK(error_of(b) == expected);
        result r;
        apig::json::page_decoder d(r.page);
        bool ok = true;
        for (char c : b)
            if (ok) ok = d.write(std::string_view(&c, 1));
        if (ok) d.finish();
        CHECK(d.error().message == expected);
    };
    std::string const floating = "expected an integer, got a floating-point number";
    std::string const too_big = floating + " beyond the range of a double";
    std::string const digits_400(400, '9');
    for (auto const& f : fields) {
        // A fraction or an exponent: floating-point, whatever the value (1e19 is beyond int64
        // too, but what is wrong first is that it is not written as an integer).
        for (char const* n : {"1.5", "6.0", "-0.0", "1e3", "1E3", "1e+3", "5e-1", "0.5e1", "2.5E+3", "1e19", "-1e19",
                              "1e-400", "9223372036854775807.0", "1.7976931348623157e308"})
            check_error(f, n, floating);
        // Beyond the range of a double: 1e400 used to be called an "integer out of range".
        for (char const* n : {"1e400", "-1e400", "1E400", "1e+400", "0.1e310", "123456789.0e400"})
            check_error(f, n, too_big);
        // Digits only, beyond int64 and uint64: an integer, out of the field's range.
        for (std::string const& n : {std::string("18446744073709551616"), std::string("-9223372036854775809"),
                                     std::string("100000000000000000000"), digits_400, "-" + digits_400})
            check_error(f, n, f.range);
        // An exponent Boost.JSON's parser refuses is invalid JSON, named by the parser.
        auto const overflow = error_of(body(f, "1e99999999999"));
        CHECK(overflow.find("invalid JSON at byte") != std::string::npos);
        CHECK(overflow.find("exponent overflow") != std::string::npos);
        // -0 is written as an integer: 0.
        auto const zero = decode(body(f, "-0"));
        CHECK_FALSE(zero.err);
    }
    // A number nobody asked for is skipped, whatever it is written like.
    CHECK_FALSE(decode(one_instance(R"("unknown":1e400,"id":"x")")).err);
    CHECK_FALSE(decode(R"({"unknown":[-1e400,18446744073709551616,1.5],"total":1})").err);
    // After a skipped floating-point number split across chunks, an integer field still decodes.
    {
        std::string const b = R"({"unknown":1.5e300,"total":12})";
        result r;
        apig::json::page_decoder d(r.page);
        for (char c : b) REQUIRE(d.write(std::string_view(&c, 1)));
        REQUIRE(d.finish());
        CHECK(r.page.total == 12);
    }
}

TEST_CASE("decode: wrong types name the JSON path") {
    std::string four = R"({"instances":[{},{},{},{"id":"x","create_time":"2020-01-01"}]})";
    CHECK(error_of(four) == "bad response: instances[3].create_time: expected an integer, got a string");
    CHECK(error_of(R"({"total":"2"})") == "bad response: total: expected an integer, got a string");
    CHECK(error_of(R"({"size":true})") == "bad response: size: expected an integer, got a boolean");
    CHECK(error_of(R"({"instances":{}})") == "bad response: instances: expected an array, got an object");
    CHECK(error_of(R"({"instances":"none"})") == "bad response: instances: expected an array, got a string");
    CHECK(error_of(R"({"instances":[{},"x"]})") == "bad response: instances[1]: expected an object, got a string");
    CHECK(error_of(R"({"instances":[null]})") == "bad response: instances[0]: expected an object, got null");
    CHECK(error_of(R"({"instances":[[]]})") == "bad response: instances[0]: expected an object, got an array");
    CHECK(error_of(R"({"instances":[7]})") == "bad response: instances[0]: expected an object, got a number");
    CHECK(error_of(one_instance(R"("id":5)")) == "bad response: instances[0].id: expected a string, got a number");
    CHECK(error_of(one_instance(R"("id":{"a":1})")) ==
          "bad response: instances[0].id: expected a string, got an object");
    CHECK(error_of(one_instance(R"("status":6)")) ==
          "bad response: instances[0].status: expected a string, got a number");
    CHECK(error_of(one_instance(R"("spec":["BASIC"])")) ==
          "bad response: instances[0].spec: expected a string, got an array");
    CHECK(error_of(one_instance(R"("instance_status":"Running")")) ==
          "bad response: instances[0].instance_status: expected an integer, got a string");
    CHECK(error_of(one_instance(R"("charging_mode":false)")) ==
          "bad response: instances[0].charging_mode: expected an integer, got a boolean");
    CHECK(error_of(one_instance(R"("cbc_operation_locks":{})")) ==
          "bad response: instances[0].cbc_operation_locks: expected an array, got an object");
    CHECK(error_of(one_instance(R"("cbc_operation_locks":[{},"x"])")) ==
          "bad response: instances[0].cbc_operation_locks[1]: expected an object, got a string");
    CHECK(error_of(R"({"instances":[{},{"cbc_operation_locks":[{"lock_scene":"A"},{"lock_scene":1}]}]})") ==
          "bad response: instances[1].cbc_operation_locks[1].lock_scene: expected a string, got a number");
    CHECK(error_of(one_instance(R"("cbc_operation_locks":[{"lock_source_id":[]}])")) ==
          "bad response: instances[0].cbc_operation_locks[0].lock_source_id: expected a string, got an array");
    // The first wrong value stops decoding.
    CHECK(error_of(one_instance(R"("id":1,"create_time":"x")")) ==
          "bad response: instances[0].id: expected a string, got a number");
}

TEST_CASE("decode: the root must be an object") {
    CHECK(error_of("[]") == "bad response: $: expected an object, got an array");
    CHECK(error_of("null") == "bad response: $: expected an object, got null");
    CHECK(error_of(R"("page")") == "bad response: $: expected an object, got a string");
    CHECK(error_of("42") == "bad response: $: expected an object, got a number");
    CHECK(error_of("true") == "bad response: $: expected an object, got a boolean");
}

TEST_CASE("decode: invalid JSON is bad_response with the byte offset, never a crash") {
    CHECK(error_of("") == "bad response: invalid JSON at byte 0: incomplete JSON");
    CHECK(error_of("   ") == "bad response: invalid JSON at byte 3: incomplete JSON");
    CHECK(error_of(R"({"total":1)") == "bad response: invalid JSON at byte 10: incomplete JSON");
    CHECK(error_of(R"({"total":1,"instances":[{"id":"ab)") ==
          "bad response: invalid JSON at byte 33: incomplete JSON");
    CHECK(error_of("<html><body>502 Bad Gateway</body></html>").rfind("bad response: invalid JSON at byte 0: ", 0) ==
          0);
    CHECK(error_of(R"({"total":1}x)") ==
          "bad response: invalid JSON at byte 11: unexpected data after the JSON document");
    CHECK(error_of(R"({"total":1} {})") ==
          "bad response: invalid JSON at byte 12: unexpected data after the JSON document");
    CHECK(error_of(R"({"total":1,})").rfind("bad response: invalid JSON at byte 11: ", 0) == 0);
    CHECK(error_of(R"({"total":01})").rfind("bad response: invalid JSON at byte ", 0) == 0);
    CHECK(error_of(std::string_view("{\"total\":1}\0", 12)).rfind("bad response: invalid JSON at byte", 0) == 0);

    // Invalid UTF-8: in a known field, an unknown field and a key.
    CHECK(error_of(one_instance("\"id\":\"a\xff\"")).rfind("bad response: invalid JSON at byte 41: ", 0) == 0);
    CHECK(error_of(one_instance("\"x\":\"\xc3\x28\"")).rfind("bad response: invalid JSON at byte ", 0) == 0);
    CHECK(error_of("{\"\xed\xa0\x80\":1}").rfind("bad response: invalid JSON at byte ", 0) == 0);
    // A lone surrogate escape.
    CHECK(error_of(one_instance(R"("id":"\ud800x")")).rfind("bad response: invalid JSON at byte ", 0) == 0);

    // Deep nesting, at the root, under an unknown field and under instances.
    for (std::string prefix : {"", R"({"x":)", R"({"instances":[{"x":)"}) {
        std::string deep = prefix + std::string(10000, '[') + std::string(10000, ']');
        auto m = error_of(deep);
        CHECK(m.rfind("bad response: ", 0) == 0);
        std::string deep_obj = prefix;
        for (int i = 0; i < 10000; ++i) deep_obj += R"({"a":)";
        CHECK(error_of(deep_obj).rfind("bad response: ", 0) == 0);
    }
    // 64 levels is fine.
    std::string ok = R"({"x":)" + std::string(62, '[') + std::string(62, ']') + "}";
    CHECK_FALSE(decode(ok).err);
    std::string too_deep = R"({"x":)" + std::string(64, '[') + std::string(64, ']') + "}";
    CHECK(error_of(too_deep).rfind("bad response: invalid JSON at byte ", 0) == 0);
}

TEST_CASE("decode: page_decoder state after errors and reuse of a page") {
    apig::instance_page page;
    page.request_id = "req-1";
    page.total = 99;
    page.instances.resize(5);
    {
        apig::json::page_decoder d(page);
        CHECK(page.instances.size() == 5);  // overwritten as the body arrives, not dropped up front
        CHECK_FALSE(page.total);
        CHECK(page.request_id == "req-1");  // ...but keeps the request id
        CHECK_FALSE(d.error());
        CHECK(d.write(R"({"size":)"));
        CHECK_FALSE(d.write(R"("x",)"));
        CHECK(d.error().code == apig::errc::bad_response);
        CHECK(d.error().message == "bad response: size: expected an integer, got a string");
        CHECK_FALSE(d.write("}"));  // later writes are ignored
        CHECK_FALSE(d.finish());
        CHECK(d.error().message == "bad response: size: expected an integer, got a string");
    }
    {
        apig::json::page_decoder d(page);
        CHECK(d.write(R"({"total":1})"));
        CHECK(d.write("  \n"));  // trailing whitespace in another chunk is fine
        CHECK(d.write(""));
        CHECK(d.finish());
        CHECK(d.finish());
        CHECK_FALSE(d.error());
        CHECK(page.total == 1);
    }
    {
        apig::json::page_decoder d(page);
        CHECK(d.write(R"({"total":1})"));
        CHECK_FALSE(d.write(" x"));
        CHECK(d.error().message == "bad response: invalid JSON at byte 12: unexpected data after the JSON document");
    }
    {
        apig::json::page_decoder d(page);
        CHECK(d.finish() == false);
        CHECK(d.error().message == "bad response: invalid JSON at byte 0: incomplete JSON");
    }
}

TEST_CASE("decode: a large page") {
    std::string body = R"({"total":1000,"size":500,"instances":[)";
    for (int i = 0; i < 500; ++i) {
        if (i) body += ',';
        body += R"({"id":"id-)" + std::to_string(i) + R"(","instance_status":6,"status":"Running",)"
                R"("create_time":)" + std::to_string(1585302825070LL + i) +
                R"(,"cbc_operation_locks":[{"lock_scene":"SPEC_CHG_LOCK","lock_source_id":"s"}]})";
    }
    body += "]}";
    auto r = decode(body);
    REQUIRE_FALSE(r.err);
    REQUIRE(r.page.instances.size() == 500);
    CHECK(r.page.instances[499].id == "id-499");
    CHECK(r.page.instances[499].create_time == 1585302825070LL + 499);
    CHECK(r.page.instances[250].cbc_operation_locks->at(0).lock_scene == "SPEC_CHG_LOCK");
    std::mt19937 rng(99);
    auto c = decode_chunked(body, rng, 4096);
    REQUIRE_FALSE(c.err);
    CHECK(c.page == r.page);
}

TEST_CASE("decode_error_body: both shapes and garbage") {
    std::string code = "keep", msg = "keep";
    REQUIRE(apig::json::decode_error_body(
        R"({"error_code":"APIC.7102","error_msg":"Incorrect token or token resolution failed","request_id":"r"})",
        code, msg));
    CHECK(code == "APIC.7102");
    CHECK(msg == "Incorrect token or token resolution failed");

    REQUIRE(apig::json::decode_error_body(R"({"code":"APIGW.0301","message":"verify aksk signature fail","x":[1]})",
                                          code, msg));
    CHECK(code == "APIGW.0301");
    CHECK(msg == "verify aksk signature fail");

    REQUIRE(apig::json::decode_error_body(R"({"code":401,"message":"Unauthorized"})", code, msg));
    CHECK(code == "401");
    CHECK(msg == "Unauthorized");

    REQUIRE(apig::json::decode_error_body(R"({"error_code":-7,"error_msg":"网关错误"})", code, msg));
    CHECK(code == "-7");
    CHECK(msg == "网关错误");

    REQUIRE(apig::json::decode_error_body(R"({"error_msg":"only a message"})", code, msg));
    CHECK(code.empty());
    CHECK(msg == "only a message");

    for (std::string_view garbage :
         {std::string_view(""), std::string_view("<html>500</html>"), std::string_view("[1,2]"),
          std::string_view(R"("APIC.9000")"), std::string_view(R"({"error_code":"A")"),
          std::string_view(R"({"status":500,"detail":"x"})"), std::string_view(R"({"code":null,"message":{}})"),
          std::string_view("{\"error_code\":\"\xff\"}"), std::string_view("null")}) {
        CAPTURE(garbage);
        std::string c = "untouched", m = "untouched";
        CHECK_FALSE(apig::json::decode_error_body(garbage, c, m));
        CHECK(c == "untouched");
        CHECK(m == "untouched");
    }
    std::string deep(100000, '[');
    std::string c = "untouched", m = "untouched";
    CHECK_FALSE(apig::json::decode_error_body(deep, c, m));
    CHECK(c == "untouched");
}

TEST_CASE("decode: a reused page decodes as a fresh one does, and keeps its storage") {
    // Every body decoded into a page that held each other body first: the result must equal a
    // fresh decode, whole and in pieces (fields the new body lacks are absent again, extra
    // instances dropped, a missing or null `instances` empties the page).
    std::vector<std::string> const bodies = {
        std::string(example_page),
        std::string(rich_page),
        one_instance(R"("id":"only-id")"),
        R"({"total":0,"size":0,"instances":[]})",
        R"({"total":7})",
        R"({"instances":null,"total":1})",
        R"({"instances":[{"id":"a"},{"id":"b"}],"instances":[{"type":"c"}]})",
        one_instance(R"("cbc_operation_locks":[{"lock_scene":"S"}],"id":null,"type":"apig")"),
    };
    std::mt19937 rng(7);
    for (auto const& before : bodies) {
        for (auto const& body : bodies) {
            CAPTURE(before);
            CAPTURE(body);
            auto const fresh = decode(body);
            REQUIRE_FALSE(fresh.err);
            auto const held = decode(before);
            REQUIRE_FALSE(held.err);
            auto const whole = decode(body, held.page);
            CHECK_FALSE(whole.err);
            CHECK(whole.page == fresh.page);
            auto const pieces = decode_chunked(body, rng, 9, held.page);
            CHECK_FALSE(pieces.err);
            CHECK(pieces.page == fresh.page);
        }
    }

    // The point of reuse: a string that fits keeps its heap block, and the vector its capacity.
    apig::instance_page page;
    REQUIRE_FALSE(apig::json::decode_page(example_page, page));
    char const* id_storage = page.instances[0].id->data();
    auto const capacity = page.instances.capacity();
    std::string next(example_page);
    next.replace(next.find("eddc4d25480b4cd6b512f270a1b8b341"), 32, "0123456789abcdef0123456789abcdef");
    REQUIRE_FALSE(apig::json::decode_page(next, page));
    CHECK(*page.instances[0].id == "0123456789abcdef0123456789abcdef");
    CHECK(page.instances[0].id->data() == id_storage);
    CHECK(page.instances.capacity() == capacity);
}

TEST_CASE("decode: the instance sink is told of each whole instance as its object ends, in order, from 0 again for a second `instances`") {
    struct seen_t {
        std::vector<std::string> calls;
        apig::instance_page const* page = nullptr;
    } seen;
    apig::instance_page page;
    page.instances.resize(3);  // a reused page: its instances are overwritten, and the sink sees them
    page.instances[0].id = "old";
    seen.page = &page;
    apig::json::instance_sink const sink{[](void* ctx, std::size_t index, apig::instance const& i) {
                                             auto& s = *static_cast<seen_t*>(ctx);
                                             // The instance handed over is the page's own, at its index.
                                             CHECK(&s.page->instances[index] == &i);
                                             s.calls.push_back(std::to_string(index) + ":" + i.id.value_or("-") + "/" +
                                                               i.instance_name.value_or("-"));
                                         },
                                         &seen};
    apig::json::page_decoder d(page, sink);
    // The id after the name (the instance is whole when told), an instance without an id, a
    // nested array inside one (its objects are not instances), then a second `instances` key.
    std::string const body =
        R"({"instances":[{"instance_name":"x","id":"a"},{"instance_name":"y"},)"
        R"({"id":"b","cbc_operation_locks":[{"lock_name":"l"}],"unknown":{"nested":{}}}],"total":2,)"
        R"("instances":[{"id":"c"}]})";
    std::mt19937 rng(5);
    std::size_t pos = 0;
    while (pos < body.size()) {  // in small pieces: an object ends wherever a read ends
        auto const n = std::min(body.size() - pos, std::uniform_int_distribution<std::size_t>(1, 7)(rng));
        REQUIRE(d.write(std::string_view(body).substr(pos, n)));
        pos += n;
    }
    REQUIRE(d.finish());
    CHECK(seen.calls == std::vector<std::string>{"0:a/x", "1:-/y", "2:b/-", "0:c/-"});
    REQUIRE(page.instances.size() == 1);
    CHECK(page.instances[0].id == "c");
}
