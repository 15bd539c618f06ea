// Output formats of apig-instances (output.hpp).

#include "output.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <doctest/doctest.h>

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
    CHECK(cli::csv_field("two\nlines") == "\"two\nlines\"");
    CHECK(cli::csv_field("cr\r") == "\"cr\r\"");
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
