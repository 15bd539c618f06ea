// apig-instances as a process against hostile servers: walks that must end (endless totals,
// repeated pages, offsets near INT64_MAX), and server or user text that must not drive the
// terminal or a CSV reader.

#include "process_support.hpp"

#include "../../../test/integration/paging_server.hpp"  // a scripted server answering by offset
#include "../../../test/integration/raw_server.hpp"     // a scripted server answering byte for byte

using namespace cli_process_test;
using namespace std::chrono_literals;

namespace {

using apig::test::paging_server;

/// A paging_server (answers by offset) and the pieces of a command line that reach it with a
/// trusted CA.
struct paging_fixture {
    paging_server server;
    scratch_dir dir;
    std::string ca_file = (dir.path / "ca.pem").string();

    explicit paging_fixture(paging_server::responder answer) : server(std::move(answer)) {
        std::ofstream(ca_file) << server.ca_pem();
    }
    std::vector<std::string> args(std::vector<std::string> more) const {
        std::vector<std::string> a{"--endpoint", server.endpoint(), "--project-id", "p-hostile",
                                   "--ca-file", ca_file};
        a.insert(a.end(), more.begin(), more.end());
        return a;
    }
    /// Runs apig-instances (stdout and stderr to files) and waits at most wait_limit: a run
    /// that never ends is killed and reported as exit code -1.
    run_result run(std::vector<std::string> more) const {
        auto const out_path = dir.path / "stdout";
        auto const err_path = dir.path / "stderr";
        fd_guard out(::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
        fd_guard err(::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
        REQUIRE(out.fd >= 0);
        REQUIRE(err.fd >= 0);
        pid_t const pid = spawn_cli(args(std::move(more)), {{"APIG_AUTH_TOKEN", secret}}, out.fd, err.fd);
        run_result r;
        r.exit_code = wait_exit(pid);
        r.out = slurp(out_path);
        r.err = slurp(err_path);
        return r;
    }
};

}  // namespace

TEST_CASE("process: --timeout ends an endless walk (a total that grows with fresh ids) with exit 4") {
    paging_fixture f([](paging_server::request_info const& r) -> std::optional<std::string> {
        return paging_server::page(r.offset + 2 * r.limit + 1000, paging_server::ids("i-", r.offset, r.limit));
    });
    auto const start = std::chrono::steady_clock::now();
    auto const r = f.run({"--all", "--limit", "10", "--format", "jsonl", "--timeout", "1"});
    CAPTURE(r.err);
    CHECK(r.exit_code == 4);
    CHECK(std::chrono::steady_clock::now() - start < 30s);
    auto const lines = lines_of(r.err);
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].ends_with(", incomplete"));  // the summary: what was written
    CHECK(lines[1].starts_with("apig-instances: error: listing pages: timed out (page_options.timeout = 1000 ms"));
    CHECK(lines[1].ends_with("(--timeout 1000 ms)"));
    // Every page received before the deadline was written, in order, without a gap.
    auto const out = lines_of(r.out);
    CHECK_FALSE(out.empty());
    std::size_t in_order = 0;
    while (in_order < out.size() && contains(out[in_order], "\"id\":\"i-" + std::to_string(in_order) + "\""))
        ++in_order;
    CHECK(in_order == out.size());
    CHECK_FALSE(contains(r.out + r.err, secret));
}

TEST_CASE("process: a server repeating its page exits 4 (walk stalled); the summary counts the duplicates") {
    paging_fixture f([](paging_server::request_info const& r) -> std::optional<std::string> {
        return paging_server::page(1'000'000'000, paging_server::ids("i-", 0, r.limit));
    });
    auto const r = f.run({"--all", "--limit", "5", "--format", "jsonl"});
    CAPTURE(r.err);
    CHECK(r.exit_code == 4);
    CHECK(lines_of(r.out).size() == 5);
    auto const lines = lines_of(r.err);
    REQUIRE(lines.size() == 2);
    CHECK(is_summary_line(lines[0] + "\n", "5 of 1000000000 instances, 1 page, ",
                          ", 40 duplicates dropped, incomplete"));
    CHECK(lines[1].starts_with("apig-instances: error: listing pages: 8 pages in a row (offsets 5 to 40) "
                               "brought no new instance"));
    CHECK(f.server.requests() <= 1 + 8 + 4);
}

TEST_CASE("process: duplicates dropped in a complete walk are counted in the summary") {
    // 10 instances in pages of 5; the second page repeats two of the first (a list that grew
    // at the front while it was walked).
    paging_fixture f([](paging_server::request_info const& r) -> std::optional<std::string> {
        return paging_server::page(10, paging_server::ids("i-", r.offset == 0 ? 0 : 3, 5));
    });
    auto const r = f.run({"--all", "--limit", "5", "--format", "none"});
    CAPTURE(r.err);
    CHECK(r.exit_code == 0);
    CHECK(is_summary_line(r.err, "8 of 10 instances, 2 pages, ", ", 2 duplicates dropped"));
}

TEST_CASE("process: an --offset near INT64_MAX with full pages exits 4, not 2, after the pages received") {
    // Offsets 2^63-8 and 2^63-3 are answered with full pages and total 2^63-1: the second
    // takes the next offset past INT64_MAX. The walk used to wrap to a negative offset and
    // exit 2 ("nothing sent") after printing the pages.
    paging_fixture f([](paging_server::request_info const& r) -> std::optional<std::string> {
        return paging_server::page(std::numeric_limits<std::int64_t>::max(),
                                   paging_server::ids("i-", r.offset, r.limit));
    });
    auto const r = f.run({"--all", "--offset", "9223372036854775799", "--limit", "5", "--format", "jsonl"});
    CAPTURE(r.err);
    CHECK(r.exit_code == 4);
    CHECK(lines_of(r.out).size() == 10);
    CHECK(contains(r.err, "apig-instances: error: listing pages: the page at offset 9223372036854775804 has 5 "
                          "instances, which takes the next offset past 9223372036854775807"));
    for (auto offset : f.server.offsets()) CHECK(offset >= 9223372036854775799);
}

TEST_CASE("process: --concurrency and --max-connections above their bounds exit 2, nothing sent") {
    paging_fixture f([](paging_server::request_info const& r) -> std::optional<std::string> {
        return paging_server::page(std::int64_t{1} << 62, paging_server::ids("i-", r.offset, r.limit));
    });
    auto r = f.run({"--all", "--concurrency", "65"});
    CAPTURE(r.err);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "--concurrency: must be an integer in 1..64, got '65'"));
    r = f.run({"--all", "--concurrency", "2147483647"});
    CHECK(r.exit_code == 2);
    r = f.run({"--max-connections", "257"});
    CAPTURE(r.err);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "--max-connections: must be an integer in 1..256, got '257'"));
    CHECK(f.server.requests() == 0);
}

namespace {

/// Bytes that must never reach stderr: they drive a terminal (ESC, BEL, CR, C1 CSI and NEL),
/// reorder the line (bidi overrides and isolates), or are not text (NUL, invalid UTF-8).
void check_stderr_is_safe(std::string const& err) {
    for (char const c : err) {
        auto const u = static_cast<unsigned char>(c);
        if (u < 0x20 && u != '\n') FAIL("control byte " << int(u) << " on stderr: " << err);
        if (u == 0x7f || u == 0xff) FAIL("byte " << int(u) << " on stderr: " << err);
    }
    for (char const* bad : {"\xC2\x9B", "\xC2\x85", "\xE2\x80\xAA", "\xE2\x80\xAB", "\xE2\x80\xAC", "\xE2\x80\xAD",
                            "\xE2\x80\xAE", "\xE2\x81\xA6", "\xE2\x81\xA7", "\xE2\x81\xA8", "\xE2\x81\xA9"}) {
        CAPTURE(err);
        CHECK_FALSE(contains(err, bad));
    }
    // Every line is the program's: nothing in a message could start a forged one.
    for (auto const& line : lines_of(err)) {
        CAPTURE(line);
        CHECK(line.starts_with("apig-instances: "));
    }
}

// Escape sequences, C0 and C1 controls, bidi overrides and isolates, a forged line, bad UTF-8.
constexpr char const* hostile_text = "\x1b]0;pwned\x07\x1b[2J\xC2\x9B" "31m\xE2\x80\xAEtxt.exe\xE2\x81\xA6x\xE2\x81\xA9"
                                     "\r\napig-instances: all good\xFF\x7f";

}  // namespace

TEST_CASE("process: server text in an error cannot drive the terminal") {
    std::string const body = std::string(R"({"error_code":"APIC.9000","error_msg":")") +
                             "\\u001b]0;pwned\\u0007\\u001b[2J\\u009b31m\\u202etxt.exe\\u2066x\\u2069\\r\\n"
                             "apig-instances: all good\\u0000\\u007f" + R"("})";
    apig::test::raw_server srv({{apig::test::raw_server::response(
        "500 Internal Server Error", body, "Content-Type: application/json\r\nX-Request-Id: r-1\r\n")}});
    scratch_dir dir;
    auto const ca_file = (dir.path / "ca.pem").string();
    std::ofstream(ca_file) << srv.ca_pem();
    auto const r = run_cli(dir, {"--endpoint", srv.endpoint(), "--project-id", "p1", "--ca-file", ca_file,
                                 "--max-attempts", "1"},
                           {{"APIG_AUTH_TOKEN", secret}});
    CAPTURE(r.err);
    CHECK(r.exit_code == 4);
    CHECK(contains(r.err, "apig-instances: error: HTTP 500"));
    CHECK(contains(r.err, "APIC.9000"));
    check_stderr_is_safe(r.err);
    CHECK(lines_of(r.err).size() == 1);
}

TEST_CASE("process: user text in an error or a warning cannot drive the terminal") {
    fixture f;
    std::string const hostile = hostile_text;
    // A value of every numeric option, an unknown option's name, a bad --format, a CA file
    // that does not exist, an endpoint the library refuses.
    for (auto const& args : std::vector<std::vector<std::string>>{
             f.args({"--limit", hostile}),
             f.args({"--offset", hostile}),
             f.args({"--max-attempts", hostile}),
             f.args({"--timeout", hostile}),
             f.args({"--format", hostile}),
             f.args({"--status", hostile}),
             f.args({"--no-such-option" + hostile}),
             {"--endpoint", "https://" + hostile, "--project-id", "p1"},
             {"--endpoint", f.server.endpoint(), "--project-id", "p1", "--ca-file", (f.dir.path / hostile).string()},
         }) {
        auto const r = run_cli(f.dir, args, f.token_env());
        CAPTURE(r.err);
        CHECK((r.exit_code == 2 || r.exit_code == 4));
        CHECK(contains(r.err, "apig-instances: error: "));
        check_stderr_is_safe(r.err);
    }
    // A warning too (--insecure), followed by an error with user text.
    auto const r = run_cli(f.dir, {"--endpoint", "https://" + hostile, "--project-id", "p1", "--insecure"},
                           f.token_env());
    CAPTURE(r.err);
    CHECK(contains(r.err, "apig-instances: warning: --insecure"));
    check_stderr_is_safe(r.err);
    CHECK(f.server.requests_served() == 0);
}

TEST_CASE("process: --limit out of range quotes what was typed") {
    fixture f;
    auto const r = run_cli(f.dir, f.args({"--limit", "99999999999999999999"}), f.token_env());
    CAPTURE(r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err == "apig-instances: error: --limit: must be an integer in 1..500, got '99999999999999999999'\n");
    CHECK(f.server.requests_served() == 0);
}

TEST_CASE("process: --format csv: a hostile server's cells are quoted, escaped and neutralised") {
    // The page as a hostile server sends it: every control character the decoder accepts, a
    // bidi override, and cells a spreadsheet would run as formulas.
    std::string const instance =
        R"({"id":"=cmd|' /C calc'!A0","instance_name":"a\u0000b\u001bc\u0007d\re\nf\u202eg","status":"@x",)"
        R"("instance_status":-1,"spec":"+x","type":"\t=1","create_time":-9223372036854775808,)"
        R"("eip_address":"-1+1","charging_mode":-5,"enterprise_project_id":"\u0085","loadbalancer_provider":"=1"})";
    std::string const body = R"({"total":1,"size":1,"instances":[)" + instance + "]}";
    apig::test::raw_server srv({{apig::test::raw_server::response(
        "200 OK", body, "Content-Type: application/json\r\nX-Request-Id: r-2\r\n")}});
    scratch_dir dir;
    auto const ca_file = (dir.path / "ca.pem").string();
    std::ofstream(ca_file) << srv.ca_pem();
    auto const r = run_cli(dir, {"--endpoint", srv.endpoint(), "--project-id", "p1", "--ca-file", ca_file,
                                 "--format", "csv", "--quiet"},
                           {{"APIG_AUTH_TOKEN", secret}});
    CAPTURE(r.err);
    CHECK(r.exit_code == 0);
    std::string const fffd = "\xEF\xBF\xBD";
    auto const lines = lines_of(r.out);
    REQUIRE(lines.size() == 2);
    CHECK(lines[1] == "\"'=cmd|' /C calc'!A0\",a" + fffd + "b" + fffd + "c" + fffd + "d" + fffd + "e" + fffd + "f" +
                          fffd + "g,\"'@x\",-1,\"'+x\",\"'" + fffd + "=1\",-9223372036854775808,\"'-1+1\",-5," + fffd +
                          ",\"'=1\"");
    for (char const bad : {'\0', '\x1b', '\x07', '\r', '\t'}) CHECK(r.out.find(bad) == std::string::npos);
    CHECK_FALSE(contains(r.out, "\xE2\x80\xAE"));
}
