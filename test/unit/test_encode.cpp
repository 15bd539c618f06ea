// append_instance / append_page, and the encode -> decode round trip.

#include "json/decode.hpp"
#include "json/encode.hpp"

#include <apig/model.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <doctest/doctest.h>

#include <limits>
#include <string>

namespace {

apig::instance full_instance() {
    apig::instance i;
    i.id = "eddc4d25480b4cd6b512f270a1b8b341";
    i.project_id = "73d69ae0cfcf460190522d06b60f05ad";
    i.instance_name = "apig-1";
    i.status = apig::status::running;
    i.instance_status = apig::status::running;
    i.type = "apig";
    i.spec = apig::spec::professional;
    i.create_time = 1585302825070;
    i.enterprise_project_id = "0";
    i.eip_address = "100.95.155.221";
    i.charging_mode = apig::charging_mode::yearly_monthly;
    i.cbc_metadata = "CS2006301043A28NF:00301-734023-0--0";
    i.loadbalancer_provider = apig::loadbalancer_provider::elb;
    i.cbc_operation_locks = std::vector<apig::cbc_operation_lock>{{"TO_PERIOD_LOCK", "o-1"}, {std::nullopt, "o-2"}};
    return i;
}

std::string encode(apig::instance const& i) {
    std::string out;
    apig::json::append_instance(out, i);
    return out;
}

std::string encode(apig::instance_page const& p) {
    std::string out;
    apig::json::append_page(out, p);
    return out;
}

apig::instance_page round_trip(apig::instance_page const& p) {
    std::string body = encode(p);
    apig::instance_page back;
    auto err = apig::json::decode_page(body, back);
    CAPTURE(body);
    CHECK_FALSE(err);
    CHECK(err.message.empty());
    return back;
}

}  // namespace

TEST_CASE("encode: every field, in the API's order, with the API's types") {
    CHECK(encode(full_instance()) ==
          R"({"id":"eddc4d25480b4cd6b512f270a1b8b341","project_id":"73d69ae0cfcf460190522d06b60f05ad",)"
          R"("instance_name":"apig-1","status":"Running","instance_status":6,"type":"apig",)"
          R"("spec":"PROFESSIONAL","create_time":1585302825070,"enterprise_project_id":"0",)"
          R"("eip_address":"100.95.155.221","charging_mode":1,"cbc_metadata":"CS2006301043A28NF:00301-734023-0--0",)"
          R"("loadbalancer_provider":"elb","cbc_operation_locks":[{"lock_scene":"TO_PERIOD_LOCK",)"
          R"("lock_source_id":"o-1"},{"lock_source_id":"o-2"}]})");
}

TEST_CASE("encode: absent fields are omitted, empty ones kept") {
    CHECK(encode(apig::instance{}) == "{}");
    apig::instance i;
    i.instance_name = "";
    i.cbc_operation_locks.emplace();
    CHECK(encode(i) == R"({"instance_name":"","cbc_operation_locks":[]})");
    i.cbc_operation_locks->emplace_back();
    CHECK(encode(i) == R"({"instance_name":"","cbc_operation_locks":[{}]})");

    apig::instance_page p;
    CHECK(encode(p) == R"({"instances":[]})");
    p.total = 0;
    CHECK(encode(p) == R"({"total":0,"instances":[]})");
    p.size = 2;
    p.instances.resize(2);
    p.instances[1].create_time = -1;
    p.request_id = "not-json";  // not part of the body
    CHECK(encode(p) == R"({"total":0,"size":2,"instances":[{},{"create_time":-1}]})");
}

TEST_CASE("encode: appends to what is already there") {
    std::string out = "x";
    apig::json::append_instance(out, apig::instance{});
    apig::json::append_instance(out, apig::instance{});
    CHECK(out == "x{}{}");
}

TEST_CASE("encode: strings are escaped, UTF-8 passes through") {
    apig::instance i;
    i.id = std::string("q\"b\\s/n\nr\rt\tb\bf\f\x01\x1f\x7f", 19);
    i.instance_name = "华为云-网关 é 😀";
    i.type = std::string("nul\0end", 7);
    CHECK(encode(i) == "{\"id\":\"q\\\"b\\\\s/n\\nr\\rt\\tb\\bf\\f\\u0001\\u001f\x7f\","
                       "\"instance_name\":\"华为云-网关 é 😀\",\"type\":\"nul\\u0000end\"}");
    auto v = boost::json::parse(encode(i));  // valid JSON
    CHECK(v.at("id").as_string() == *i.id);
    CHECK(v.at("instance_name").as_string() == *i.instance_name);
    CHECK(v.at("type").as_string().size() == 7);

    apig::instance_page p;
    p.instances.push_back(i);
    CHECK(round_trip(p) == p);
}

TEST_CASE("encode: unknown enum values are written in their wire form and round-trip") {
    apig::instance i;
    i.status = apig::string_enum<apig::status>::from_wire("Hibernating");
    i.instance_status = apig::int_enum<apig::status>::from_wire(99);
    i.spec = apig::string_enum<apig::spec>::from_wire("PLATINUM_X99");
    i.charging_mode = apig::int_enum<apig::charging_mode>::from_wire(7);
    i.loadbalancer_provider = apig::string_enum<apig::loadbalancer_provider>::from_wire("nlb \"new\"");
    CHECK(encode(i) == R"({"status":"Hibernating","instance_status":99,"spec":"PLATINUM_X99","charging_mode":7,)"
                       R"("loadbalancer_provider":"nlb \"new\""})");
    apig::instance_page p;
    p.instances.push_back(i);
    auto back = round_trip(p);
    REQUIRE(back.instances.size() == 1);
    auto const& b = back.instances[0];
    CHECK(b == i);
    CHECK(b.status->is_unknown());
    CHECK(b.status->wire() == "Hibernating");
    CHECK(b.instance_status->code() == 99);
    CHECK(b.spec->wire() == "PLATINUM_X99");
    CHECK(b.charging_mode->code() == 7);
    CHECK(b.loadbalancer_provider->wire() == "nlb \"new\"");
}

TEST_CASE("encode: round trip of full pages, every status and the integer limits") {
    apig::instance_page p;
    p.total = std::numeric_limits<std::int64_t>::max();
    p.size = std::numeric_limits<std::int32_t>::max();
    p.instances.push_back(full_instance());
    p.instances.emplace_back();
    for (int v = 1; v <= 44; ++v) {
        auto st = apig::from_code<apig::status>(v);
        if (!st) continue;
        apig::instance i;
        i.status = *st;
        i.instance_status = *st;
        i.create_time = v % 2 ? std::numeric_limits<std::int64_t>::min() : std::numeric_limits<std::int64_t>::max();
        i.charging_mode = v % 2 ? apig::charging_mode::pay_per_use : apig::charging_mode::yearly_monthly;
        p.instances.push_back(i);
    }
    REQUIRE(p.instances.size() == 2 + 37);
    auto back = round_trip(p);
    CHECK(back == p);
    CHECK(back.instances[2].create_time == std::numeric_limits<std::int64_t>::min());

    // A negative int32 code survives too.
    apig::instance_page q;
    q.instances.emplace_back().instance_status = apig::int_enum<apig::status>::from_wire(
        std::numeric_limits<std::int32_t>::min());
    CHECK(encode(q) == R"({"instances":[{"instance_status":-2147483648}]})");
    CHECK(round_trip(q) == q);

    // Decoding what the encoder wrote and encoding it again gives the same bytes.
    CHECK(encode(back) == encode(p));
}
