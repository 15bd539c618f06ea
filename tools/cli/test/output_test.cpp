// Output formats of apig-instances (output.hpp).

#include "output.hpp"

#include "json/decode.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <doctest/doctest.h>

#include <cstdio>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace cli = apig::cli;

apig::instance full_instance() {
    apig::instance i;
    i.id = "eddc4d25480b4cd6b512f270a1b8b341";
    i.project_id = "73d69ae0cfcf460190522d06b60f05ad";
    i.instance_name = "apig-Enterprise_Project_Pay-per-Use";
    i.status = apig::string_enum<apig::status>(apig::status::running);
    i.instance_status = apig::int_enum<apig::status>(apig::status::running);
    i.type = "apig";
    i.spec = apig::string_enum<apig::spec>(apig::spec::professional);
    i.create_time = 1585302825070;
    i.enterprise_project_id = "0";
    i.eip_address = "100.95.155.221";
    i.charging_mode = apig::int_enum<apig::charging_mode>(apig::charging_mode::yearly_monthly);
    i.loadbalancer_provider = apig::string_enum<apig::loadbalancer_provider>(apig::loadbalancer_provider::elb);
    return i;
}

apig::instance_page page_of(std::vector<apig::instance> instances, std::int64_t total) {
    apig::instance_page p;
    p.total = total;
    p.size = static_cast<std::int32_t>(instances.size());
    p.instances = std::move(instances);
    return p;
}

std::vector<std::string> lines_of(std::string const& s) {
    std::vector<std::string> lines;
    std::istringstream in(s);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

std::string write_all(cli::output_format f, std::vector<apig::instance_page> const& pages,
                      bool as_array = false) {
    std::ostringstream out;
    auto w = cli::make_writer(f, out, as_array);
    for (auto const& p : pages) w->write_page(p);
    w->finish();
    return out.str();
}

}  // namespace

TEST_CASE("diagnostic_line: the one filter for stderr") {
    CHECK(cli::diagnostic_line("error", "HTTP 500") == "apig-instances: error: HTTP 500\n");
    CHECK(cli::diagnostic_line("warning", "w") == "apig-instances: warning: w\n");
    CHECK(cli::diagnostic_line("", "using the key pair") == "apig-instances: using the key pair\n");
    std::string const fffd = "\xEF\xBF\xBD";
    // ESC sequences, C0 and C1 controls, bidi overrides and isolates, newlines: one safe line.
    auto const line = cli::diagnostic_line(
        "error", "HTTP 500 x\x1b]0;pwned\x07\x1b[2J\xC2\x9B" "31m\xE2\x80\xAE\xE2\x80\xAA\xE2\x81\xA6\xE2\x81\xA9"
                 "\r\nforged line\xFF");
    CHECK(line == "apig-instances: error: HTTP 500 x" + fffd + "]0;pwned" + fffd + fffd + "[2J" + fffd + "31m" +
                      fffd + fffd + fffd + fffd + fffd + fffd + "forged line" + fffd + "\n");
    for (char const* bidi : {"\xE2\x80\xAA", "\xE2\x80\xAB", "\xE2\x80\xAC", "\xE2\x80\xAD", "\xE2\x80\xAE",
                             "\xE2\x81\xA6", "\xE2\x81\xA7", "\xE2\x81\xA8", "\xE2\x81\xA9"})
        CHECK(cli::diagnostic_line("error", bidi) == "apig-instances: error: " + fffd + "\n");
    // Non-ASCII text is kept.
    CHECK(cli::diagnostic_line("error", "\xE7\xBD\x91\xE5\x85\xB3") ==
          "apig-instances: error: \xE7\xBD\x91\xE5\x85\xB3\n");
    // Bounded.
    auto const long_line = cli::diagnostic_line("error", std::string(100000, 'x'));
    CHECK(long_line.size() < cli::max_diagnostic_width + 64);
    CHECK(long_line.ends_with("x\xE2\x80\xA6\n"));
}

TEST_CASE("format_utc") {
    CHECK(cli::format_utc(0, false) == "1970-01-01T00:00:00Z");
    CHECK(cli::format_utc(1585302825070, false) == "2020-03-27T09:53:45Z");
    CHECK(cli::format_utc(1585302825070, true) == "2020-03-27T09:53:45.070Z");
    CHECK(cli::format_utc(951782400000, false) == "2000-02-29T00:00:00Z");  // leap day
    CHECK(cli::format_utc(-1, true) == "1969-12-31T23:59:59.999Z");
    CHECK(cli::format_utc(253402300799999, true) == "9999-12-31T23:59:59.999Z");
    // No plain ISO-8601 form: the raw number instead of a wrong date.
    CHECK(cli::format_utc(253402300800000, false) == "253402300800000");
    CHECK(cli::format_utc(-62167219200001, false) == "-62167219200001");
    CHECK(cli::format_utc(std::numeric_limits<std::int64_t>::max(), false) ==
          std::to_string(std::numeric_limits<std::int64_t>::max()));
    CHECK(cli::format_utc(std::numeric_limits<std::int64_t>::min(), false) ==
          std::to_string(std::numeric_limits<std::int64_t>::min()));
}

TEST_CASE("display_width") {
    CHECK(cli::display_width("") == 0);
    CHECK(cli::display_width("abc") == 3);
    CHECK(cli::display_width("h\xC3\xA9llo") == 5);               // é: 2 bytes, 1 column
    CHECK(cli::display_width("\xE4\xB8\xAD\xE6\x96\x87") == 4);   // 中文: wide
    CHECK(cli::display_width("e\xCC\x81") == 1);                  // e + combining acute
    CHECK(cli::display_width("\xF0\x9F\x98\x80") == 2);           // 😀
    CHECK(cli::display_width("\xF0\x9F\x9A\x80") == 2);           // 🚀
    CHECK(cli::display_width("\xFF\xFE") == 2);                   // invalid bytes: 1 each
    CHECK(cli::display_width("\xE4\xB8") == 2);                   // truncated sequence
}

TEST_CASE("sanitize_for_terminal") {
    CHECK(cli::sanitize_for_terminal("plain") == "plain");
    CHECK(cli::sanitize_for_terminal("\xE4\xB8\xAD") == "\xE4\xB8\xAD");
    CHECK(cli::sanitize_for_terminal("a\x1b[31mb") == "a\xEF\xBF\xBD[31mb");
    CHECK(cli::sanitize_for_terminal("a\nb\tc") == "a\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c");
    CHECK(cli::sanitize_for_terminal("\xC2\x9B") == "\xEF\xBF\xBD");              // C1 CSI
    CHECK(cli::sanitize_for_terminal("\xE2\x80\xAE") == "\xEF\xBF\xBD");          // RLO
    CHECK(cli::sanitize_for_terminal("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong
    CHECK(cli::sanitize_for_terminal("\xED\xA0\x80") ==
          "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
}

TEST_CASE("truncate_to_width") {
    CHECK(cli::truncate_to_width("abcdef", 6) == "abcdef");
    CHECK(cli::truncate_to_width("abcdefg", 6) == "abcde\xE2\x80\xA6");
    CHECK(cli::display_width(cli::truncate_to_width("abcdefg", 6)) == 6);
    // A wide character that does not fit is dropped whole.
    auto const cut = cli::truncate_to_width("ab\xE4\xB8\xAD\xE6\x96\x87", 4);
    CHECK(cut == "ab\xE2\x80\xA6");
    CHECK(cli::display_width(cut) <= 4);
}

TEST_CASE("csv_field quotes as RFC 4180 says") {
    CHECK(cli::csv_field("plain") == "plain");
    CHECK(cli::csv_field("") == "");
    CHECK(cli::csv_field("a,b") == "\"a,b\"");
    CHECK(cli::csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
    // CR and LF are control characters: replaced (see below), so nothing is left to quote.
    CHECK(cli::csv_field("two\nlines") == "two\xEF\xBF\xBDlines");
    CHECK(cli::csv_field("cr\r") == "cr\xEF\xBF\xBD");
}

TEST_CASE("csv_field: control and bidi characters are replaced, never written raw") {
    std::string const fffd = "\xEF\xBF\xBD";
    CHECK(cli::csv_field(std::string("a\0b", 3)) == "a" + fffd + "b");     // NUL
    CHECK(cli::csv_field("a\x1b[31mb") == "a" + fffd + "[31mb");             // ESC
    CHECK(cli::csv_field("bell\a") == "bell" + fffd);                        // BEL
    CHECK(cli::csv_field("a\rb") == "a" + fffd + "b");                       // CR
    CHECK(cli::csv_field("a\x7f" "b") == "a" + fffd + "b");                  // DEL
    CHECK(cli::csv_field("a\xC2\x9B" "b") == "a" + fffd + "b");              // C1 CSI
    CHECK(cli::csv_field("exe.\xE2\x80\xAEgpj") == "exe." + fffd + "gpj");  // U+202E
    CHECK(cli::csv_field("\xE2\x81\xA6x\xE2\x81\xA9") == fffd + "x" + fffd);  // U+2066, U+2069
    CHECK(cli::csv_field("\xFF") == fffd);                                   // invalid UTF-8
    CHECK(cli::csv_field("\xE7\xBD\x91\xE5\x85\xB3") == "\xE7\xBD\x91\xE5\x85\xB3");  // text stays
    // Replaced, then quoted as needed.
    CHECK(cli::csv_field("a,\nb") == "\"a," + fffd + "b\"");
}

TEST_CASE("csv_field: a cell a spreadsheet would run as a formula is neutralised (OWASP)") {
    CHECK(cli::csv_field("=cmd|' /C calc'!A0") == "\"'=cmd|' /C calc'!A0\"");
    CHECK(cli::csv_field("=HYPERLINK(\"http://x\",\"y\")") == "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
    CHECK(cli::csv_field("+1") == "\"'+1\"");
    CHECK(cli::csv_field("-1") == "\"'-1\"");  // server text, even when it looks like a number
    CHECK(cli::csv_field("-2+3+cmd|' /C calc'!A0") == "\"'-2+3+cmd|' /C calc'!A0\"");
    CHECK(cli::csv_field("@SUM(1,2)") == "\"'@SUM(1,2)\"");
    CHECK(cli::csv_field("=") == "\"'=\"");
    // A leading tab or CR is replaced, and the cell still gets its quote.
    CHECK(cli::csv_field("\t=1+1") == "\"'\xEF\xBF\xBD=1+1\"");
    CHECK(cli::csv_field("\r=1+1") == "\"'\xEF\xBF\xBD=1+1\"");
    // Only the first character counts.
    CHECK(cli::csv_field("a=b") == "a=b");
    CHECK(cli::csv_field("1-2") == "1-2");
    CHECK(cli::csv_field("x@y") == "x@y");
}

TEST_CASE("csv_row: numbers the CLI formats stay numbers, also when negative") {
    // Documented choice (README, --format csv): instance_status, charging_mode and create_time
    // are written by the CLI from integers, so they cannot hold a formula and keep their sign.
    apig::instance odd;
    odd.instance_status = apig::int_enum<apig::status>::from_wire(-1);
    odd.charging_mode = apig::int_enum<apig::charging_mode>::from_wire(-5);
    odd.create_time = std::numeric_limits<std::int64_t>::min();  // no ISO-8601 form: the number
    odd.enterprise_project_id = "-1";                            // text from the server: neutralised
    CHECK(cli::csv_row(odd) == ",,,-1,,,-9223372036854775808,,-5,\"'-1\",");
    apig::instance before_1970;
    before_1970.create_time = -1;
    CHECK(cli::csv_row(before_1970) == ",,,,,,1969-12-31T23:59:59.999Z,,,,");
}

TEST_CASE("csv writer: a hostile instance cannot break rows or run a formula") {
    apig::instance evil;
    evil.id = std::string("=cmd|' /C calc'!A0\0", 19);
    evil.instance_name = "line1\r\nline2\x1b]0;pwned\x07\xE2\x80\xAE";
    evil.status = apig::string_enum<apig::status>::from_wire("@x");
    evil.spec = apig::string_enum<apig::spec>::from_wire("+x");
    evil.type = "\t=1";
    evil.eip_address = "-1+1";
    evil.enterprise_project_id = "\xC2\x85";  // NEL (C1)
    evil.loadbalancer_provider = apig::string_enum<apig::loadbalancer_provider>::from_wire("=1");
    auto const out = write_all(cli::output_format::csv, {page_of({evil, full_instance()}, 2)});
    // Three lines: the header and two rows, nothing else ends a line.
    CHECK(lines_of(out).size() == 3);
    for (char const bad : {'\0', '\x1b', '\a', '\r', '\t'}) CHECK(out.find(bad) == std::string::npos);
    CHECK(out.find("\xE2\x80\xAE") == std::string::npos);
    CHECK(out.find("\xC2\x85") == std::string::npos);
    // Every cell of the hostile row that starts with a formula character is quoted with a '.
    auto const row = lines_of(out)[1];
    CHECK(row.starts_with("\"'=cmd|' /C calc'!A0\xEF\xBF\xBD\","));
    for (char const* cell : {"\"'@x\"", "\"'+x\"", "\"'\xEF\xBF\xBD=1\"", "\"'-1+1\"", "\"'=1\""})
        CHECK(row.find(cell) != std::string::npos);
}

TEST_CASE("csv_row: every column, absent fields empty") {
    CHECK(cli::csv_row(full_instance()) ==
          "eddc4d25480b4cd6b512f270a1b8b341,apig-Enterprise_Project_Pay-per-Use,Running,6,"
          "PROFESSIONAL,apig,2020-03-27T09:53:45.070Z,100.95.155.221,1,0,elb");
    CHECK(cli::csv_row(apig::instance{}) == ",,,,,,,,,,");
    apig::instance odd;
    odd.instance_name = "a,\"b\"";
    odd.status = apig::string_enum<apig::status>::from_wire("Hibernating");
    odd.instance_status = apig::int_enum<apig::status>::from_wire(99);
    CHECK(cli::csv_row(odd) == ",\"a,\"\"b\"\"\",Hibernating,99,,,,,,,");
}

TEST_CASE("csv writer: header once, then rows") {
    auto const out = write_all(cli::output_format::csv,
                               {page_of({full_instance()}, 2), page_of({full_instance()}, 2)});
    auto const lines = lines_of(out);
    REQUIRE(lines.size() == 3);
    CHECK(lines[0] == cli::csv_header());
    CHECK(lines[0] ==
          "id,instance_name,status,instance_status,spec,type,create_time,eip_address,"
          "charging_mode,enterprise_project_id,loadbalancer_provider");
    // An empty listing is still a CSV file with its header.
    CHECK(write_all(cli::output_format::csv, {}) == cli::csv_header() + "\n");
}

TEST_CASE("table writer: aligned columns, - for absent, long names cut") {
    auto a = full_instance();
    apig::instance b;
    b.id = "x";
    b.instance_name = std::string(60, 'n');
    b.instance_status = apig::int_enum<apig::status>(apig::status::frozen);  // no status name
    apig::instance c;
    c.id = "y";
    c.instance_name = "\xE4\xB8\xAD\xE6\x96\x87";  // two wide characters
    c.instance_status = apig::int_enum<apig::status>::from_wire(99);
    auto const lines = lines_of(write_all(cli::output_format::table, {page_of({a, b, c}, 3)}));
    REQUIRE(lines.size() == 4);
    CHECK(lines[0].starts_with("ID"));
    // Every column starts at the same display column on every line.
    auto const name_col = lines[0].find("NAME");
    auto const status_col = lines[0].find("STATUS");
    CHECK(lines[1].find("apig-Enterprise") == name_col);
    CHECK(lines[1].find("Running") == status_col);
    CHECK(lines[1].find("PROFESSIONAL") == lines[0].find("SPEC"));
    CHECK(lines[1].find("2020-03-27T09:53:45Z") == lines[0].find("CREATED"));
    CHECK(lines[1].ends_with("100.95.155.221"));
    CHECK(lines[2].find("Frozen") != std::string::npos);  // from instance_status
    CHECK(lines[2].find("\xE2\x80\xA6") != std::string::npos);
    CHECK(lines[2].find(std::string(41, 'n')) == std::string::npos);
    CHECK(lines[2].ends_with("-"));
    CHECK(lines[3].find(" 99 ") != std::string::npos);  // unknown code shown as a number
    // Display widths of the prefix before STATUS are equal on every line (wide chars count 2).
    auto const width_before_status = [&](std::string const& line, std::string_view status) {
        return cli::display_width(line.substr(0, line.find(status)));
    };
    CHECK(width_before_status(lines[3], " 99 ") + 1 == cli::display_width(lines[0].substr(0, status_col)));
    CHECK_FALSE(lines[0].ends_with(" "));
}

TEST_CASE("table writer: header only for an empty listing") {
    auto const lines = lines_of(write_all(cli::output_format::table, {}));
    REQUIRE(lines.size() == 1);
    CHECK(lines[0] == "ID  NAME  STATUS  SPEC  CREATED  EIP");
}

TEST_CASE("table writer: server data cannot inject terminal escapes") {
    apig::instance evil;
    evil.id = "id";
    evil.instance_name = "x\x1b]0;pwned\x07";
    auto const out = write_all(cli::output_format::table, {page_of({evil}, 1)});
    CHECK(out.find('\x1b') == std::string::npos);
    CHECK(out.find('\x07') == std::string::npos);
}

TEST_CASE("json and jsonl writers: exact values, control characters escaped, always valid JSON") {
    // Every string field of a decoded page holds every C0 control, DEL, C1, bidi overrides,
    // U+2028/9, quotes, backslashes and astral characters: the decoder accepts all of them.
    std::string nasty;
    for (int c = 0; c < 0x20; ++c) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        nasty += buf;
    }
    nasty += "\x7f\\u0085\xC2\x9B\\u202e\xE2\x81\xA6\xE2\x80\xA8\\u2029\\\"\\\\/\\ud83d\\ude00=cmd|x";
    std::string instance = "{";
    for (char const* f : {"id", "project_id", "instance_name", "status", "type", "spec", "enterprise_project_id",
                          "eip_address", "cbc_metadata", "loadbalancer_provider"})
        instance += "\"" + std::string(f) + "\":\"" + nasty + "\",";
    instance += "\"create_time\":-9223372036854775808,\"instance_status\":-2147483648,\"charging_mode\":2147483647,"
                "\"cbc_operation_locks\":[{\"lock_scene\":\"" + nasty + "\",\"lock_source_id\":\"" + nasty + "\"}]}";
    std::string const body = "{\"total\":9223372036854775807,\"size\":1,\"instances\":[" + instance + "]}";
    apig::instance_page page;
    REQUIRE_FALSE(apig::json::decode_page(body, page));
    REQUIRE(page.instances.size() == 1);
    auto const parsed_body = boost::json::parse(body);
    auto const& parsed_id = parsed_body.as_object().at("instances").as_array()[0].as_object().at("id").as_string();
    std::string const expected(parsed_id.data(), parsed_id.size());
    REQUIRE(expected.size() > 40);

    auto const check_instance = [&](boost::json::object const& o) {
        for (char const* f : {"id", "project_id", "instance_name", "status", "type", "spec", "enterprise_project_id",
                              "eip_address", "cbc_metadata", "loadbalancer_provider"}) {
            CAPTURE(f);
            auto const& v = o.at(f).as_string();
            CHECK(std::string_view(v.data(), v.size()) == std::string_view(expected));
        }
        CHECK(o.at("create_time").as_int64() == std::numeric_limits<std::int64_t>::min());
        CHECK(o.at("instance_status").as_int64() == std::numeric_limits<std::int32_t>::min());
        auto const& lock = o.at("cbc_operation_locks").as_array()[0].as_object();
        CHECK(std::string_view(lock.at("lock_source_id").as_string().data(),
                               lock.at("lock_source_id").as_string().size()) == std::string_view(expected));
    };
    auto const no_raw_controls = [](std::string const& out) {
        for (char const c : out) {
            auto const u = static_cast<unsigned char>(c);
            if (u < 0x20 && u != '\n') FAIL("raw control byte " << int(u) << " in the output");
        }
    };
    auto const jsonl = write_all(cli::output_format::jsonl, {page});
    no_raw_controls(jsonl);
    auto const lines = lines_of(jsonl);
    REQUIRE(lines.size() == 1);
    check_instance(boost::json::parse(lines[0]).as_object());

    for (bool as_array : {false, true}) {
        auto const json = write_all(cli::output_format::json, {page, page}, as_array);
        no_raw_controls(json);
        if (!as_array) {
            // Two page objects, one a line (a JSON Lines stream of pages).
            for (auto const& line : lines_of(json)) {
                auto const v = boost::json::parse(line).as_object();
                CHECK(v.at("total").as_int64() == std::numeric_limits<std::int64_t>::max());
                check_instance(v.at("instances").as_array()[0].as_object());
            }
        } else {
            auto const arr = boost::json::parse(json).as_array();
            REQUIRE(arr.size() == 2);
            for (auto const& p : arr) check_instance(p.as_object().at("instances").as_array()[0].as_object());
        }
    }
}

TEST_CASE("jsonl writer: one instance object per line") {
    auto const out = write_all(cli::output_format::jsonl,
                               {page_of({full_instance(), apig::instance{}}, 3),
                                page_of({full_instance()}, 3)});
    auto const lines = lines_of(out);
    REQUIRE(lines.size() == 3);
    auto const first = boost::json::parse(lines[0]).as_object();
    CHECK(first.at("id").as_string() == "eddc4d25480b4cd6b512f270a1b8b341");
    CHECK(first.at("instance_status").as_int64() == 6);
    CHECK(first.at("create_time").as_int64() == 1585302825070);
    CHECK(boost::json::parse(lines[1]).as_object().empty());  // absent fields are absent
}

TEST_CASE("json writer: one page object, or an array of pages") {
    auto const single = write_all(cli::output_format::json, {page_of({full_instance()}, 1)});
    CHECK(single.ends_with("}\n"));
    auto const v = boost::json::parse(single);
    CHECK(v.as_object().at("total").as_int64() == 1);
    CHECK(v.as_object().at("instances").as_array().size() == 1);

    auto const multi = write_all(cli::output_format::json,
                                 {page_of({full_instance()}, 2), page_of({full_instance()}, 2)},
                                 true);
    auto const arr = boost::json::parse(multi).as_array();
    REQUIRE(arr.size() == 2);
    CHECK(arr[1].as_object().at("instances").as_array().size() == 1);
    CHECK(lines_of(multi).size() == 4);  // "[", a page per line, "]"

    CHECK(write_all(cli::output_format::json, {}, true) == "[]\n");
}

TEST_CASE("none writer prints nothing") {
    CHECK(write_all(cli::output_format::none, {page_of({full_instance()}, 1)}).empty());
}

TEST_CASE("format_stats_json: one JSON object a script can read") {
    cli::listing_stats s;
    s.instances = 1000;
    s.pages = 2;
    s.seconds = 0.5;
    s.total = 1000;
    CHECK(cli::format_stats_json(s) ==
          R"({"instances":1000,"pages":2,"seconds":0.500000,"instances_per_s":2000.0,"total":1000,)"
          R"("retries":0,"duplicates":0,"complete":true})");
    s.total.reset();
    s.retries = 3;
    s.duplicates = 4;
    s.complete = false;
    CHECK(cli::format_stats_json(s) ==
          R"({"instances":1000,"pages":2,"seconds":0.500000,"instances_per_s":2000.0,"total":null,)"
          R"("retries":3,"duplicates":4,"complete":false})");
    s = {};  // no time passed: no division by zero
    CHECK(cli::format_stats_json(s) ==
          R"({"instances":0,"pages":0,"seconds":0.000000,"instances_per_s":0.0,"total":null,)"
          R"("retries":0,"duplicates":0,"complete":true})");
}

TEST_CASE("format_summary") {
    cli::listing_stats s;
    s.instances = 42;
    s.pages = 1;
    s.seconds = 0.1234;
    CHECK(cli::format_summary(s) == "42 instances, 1 page, 0.123 s");
    s.total = 10001;
    s.pages = 3;
    CHECK(cli::format_summary(s) == "42 of 10001 instances, 3 pages, 0.123 s");
    s.instances = 1;
    s.total = 1;
    s.pages = 1;
    CHECK(cli::format_summary(s) == "1 of 1 instance, 1 page, 0.123 s");
    s.complete = false;
    CHECK(cli::format_summary(s) == "1 of 1 instance, 1 page, 0.123 s, incomplete");
    s.retries = 1;
    CHECK(cli::format_summary(s) == "1 of 1 instance, 1 page, 0.123 s, 1 retry, incomplete");
    s.retries = 7;
    s.complete = true;
    CHECK(cli::format_summary(s) == "1 of 1 instance, 1 page, 0.123 s, 7 retries");
    s = {};
    CHECK(cli::format_summary(s) == "0 instances, 0 pages, 0.000 s");
}

TEST_CASE("format_progress") {
    cli::progress_stats p;
    CHECK(cli::format_progress(p) == "0 pages, 0 instances");
    p.pages = 3;
    p.expected_pages = 20;
    p.instances = 1500;
    p.total = 10000;
    p.seconds = 0.5;
    CHECK(cli::format_progress(p) == "3/20 pages, 1500 of 10000 instances, 3000 instances/s");
    p.retries = 2;
    CHECK(cli::format_progress(p) ==
          "3/20 pages, 1500 of 10000 instances, 3000 instances/s, 2 retries");
    p.retries = 1;
    CHECK(cli::format_progress(p).ends_with(", 1 retry"));

    // Before the first page: no total, no expected count yet.
    cli::progress_stats first;
    first.seconds = 0.25;
    first.retries = 3;
    CHECK(cli::format_progress(first) == "0 pages, 0 instances, 0 instances/s, 3 retries");

    // A list that grew during the walk: never "21/20".
    p.retries = 0;
    p.pages = 21;
    CHECK(cli::format_progress(p).starts_with("21/21 pages, "));

    // Singulars, as in the summary.
    cli::progress_stats one;
    one.pages = 1;
    one.expected_pages = 1;
    one.instances = 1;
    one.total = 1;
    one.seconds = 2;
    CHECK(cli::format_progress(one) == "1/1 page, 1 of 1 instance, 0 instances/s");
    one.seconds = 0.5;
    CHECK(cli::format_progress(one) == "1/1 page, 1 of 1 instance, 2 instances/s");
}

TEST_CASE("format_progress is one plain line: nothing that could move the cursor") {
    cli::progress_stats p;
    p.pages = std::numeric_limits<std::uint64_t>::max();
    p.expected_pages = std::numeric_limits<std::uint64_t>::max();
    p.instances = std::numeric_limits<std::uint64_t>::max();
    p.total = std::numeric_limits<std::int64_t>::min();
    p.seconds = 1e-9;
    p.retries = std::numeric_limits<std::uint64_t>::max();
    auto const line = cli::format_progress(p);
    for (char const c : line) {
        CAPTURE(line);
        CHECK(c >= 0x20);
        CHECK(c < 0x7f);
    }
}

TEST_CASE("progress_line: rewritten in place, cleared at the end, cut to the terminal") {
    std::ostringstream out;
    cli::progress_line line(out, 20);
    line.clear();
    CHECK(out.str().empty());  // nothing drawn, nothing to clear
    line.draw("1/3 pages");
    CHECK(out.str() == "\r1/3 pages\x1b[K");
    line.draw("2/3 pages, 200 of 250 instances");
    CHECK(out.str() == "\r1/3 pages\x1b[K\r2/3 pages, 200 of 2\x1b[K");  // 19 columns
    line.clear();
    CHECK(out.str().ends_with("\x1b[K\r\x1b[K"));
    auto const before = out.str();
    line.clear();
    CHECK(out.str() == before);  // cleared once

    std::ostringstream wide;
    cli::progress_line unknown(wide);  // width unknown: not cut
    unknown.draw(std::string(300, 'x'));
    CHECK(wide.str() == "\r" + std::string(300, 'x') + "\x1b[K");
}
