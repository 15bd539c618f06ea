// apig-instances as a process against the in-process emulator: what only a real server can
// show (exit 3 on 401/403, 4 on a server error or an untrusted certificate, --ca-file,
// --token-file, filters, that a rejected command line sends nothing, streaming, the progress
// line and the summary). AK/SK signing: process_aksk_test.cpp; hostile servers:
// process_hostile_test.cpp.

#include "process_support.hpp"

using namespace cli_process_test;
using namespace std::chrono_literals;

TEST_CASE("process: --all --format jsonl streams every instance in order") {
    fixture f;
    auto const r = run_cli(f.dir, f.args({"--all", "--limit", "7", "--format", "jsonl"}),
                           f.token_env());
    CAPTURE(r.err);
    CHECK(r.exit_code == 0);
    check_jsonl_ids(r.out, f.server.ids());
    CHECK(r.err.starts_with("57 of 57 instances, 9 pages, "));
    CHECK(f.server.requests_served() == 9);
    CHECK_FALSE(contains(r.out + r.err, secret));
}

TEST_CASE("process: one page by default") {
    fixture f;
    auto const r = run_cli(f.dir, f.args({"--format", "csv"}), f.token_env());
    CAPTURE(r.err);
    CHECK(r.exit_code == 0);
    CHECK(lines_of(r.out).size() == 21);  // header + the API's default limit 20
    CHECK(r.err.starts_with("20 of 57 instances, 1 page, "));
}

TEST_CASE("process: --token-file") {
    fixture f;
    auto const token_file = f.dir.path / "token";
    std::ofstream(token_file) << secret << "\n";
    auto const r = run_cli(f.dir, f.args({"--token-file", token_file.string(), "--format", "none"}));
    CAPTURE(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out.empty());
}

TEST_CASE("process: a refused token exits 3 with the API's error, never the token") {
    fixture f;
    auto const r = run_cli(f.dir, f.args({}), f.token_env("wrong-token-value"));
    CAPTURE(r.err);
    CHECK(r.exit_code == 3);
    CHECK(r.out.empty());
    CHECK(r.err.starts_with("apig-instances: error: "));
    CHECK(contains(r.err, "401"));
    CHECK(contains(r.err, "APIC.7102"));
    CHECK(lines_of(r.err).size() == 1);
    CHECK_FALSE(contains(r.err, "wrong-token-value"));
    CHECK_FALSE(contains(r.err, secret));
}

TEST_CASE("process: an unknown project exits 3 (403)") {
    fixture f;
    auto const r = run_cli(f.dir,
                           {"--endpoint", f.server.endpoint(), "--project-id", "other-project",
                            "--ca-file", f.ca_file},
                           f.token_env());
    CAPTURE(r.err);
    CHECK(r.exit_code == 3);
    CHECK(contains(r.err, "403"));
    CHECK(contains(r.err, "APIC.7106"));
}

TEST_CASE("process: a server error exits 4") {
    fixture f;
    f.server.fail_next(100, 500);
    auto const r = run_cli(f.dir, f.args({}), f.token_env());
    CAPTURE(r.err);
    CHECK(r.exit_code == 4);
    CHECK(r.out.empty());
    CHECK(contains(r.err, "500"));
    CHECK(contains(r.err, "APIC.9000"));
}

TEST_CASE("process: an untrusted certificate exits 4; --insecure accepts it with a warning") {
    fixture f;
    std::vector<std::string> const base{"--endpoint", f.server.endpoint(), "--project-id",
                                        f.opts.project_ids.front(), "--format", "none"};
    auto r = run_cli(f.dir, base, f.token_env());
    CAPTURE(r.err);
    CHECK(r.exit_code == 4);
    CHECK(f.server.requests_served() == 0);

    auto insecure = base;
    insecure.push_back("--insecure");
    r = run_cli(f.dir, insecure, f.token_env());
    CAPTURE(r.err);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.err, "warning: --insecure"));
}

TEST_CASE("process: filters") {
    fixture f;
    auto const ids = f.server.ids();
    auto r = run_cli(f.dir, f.args({"--instance-id", ids[5], "--format", "jsonl"}), f.token_env());
    CAPTURE(r.err);
    CHECK(r.exit_code == 0);
    REQUIRE(lines_of(r.out).size() == 1);
    CHECK(contains(r.out, ids[5]));

    r = run_cli(f.dir, f.args({"--all", "--status", "Running", "--format", "jsonl"}), f.token_env());
    CAPTURE(r.err);
    CHECK(r.exit_code == 0);
    for (auto const& line : lines_of(r.out)) {
        CAPTURE(line);
        CHECK(contains(line, "\"status\":\"Running\""));
    }
    auto const requests = f.server.requests();
    REQUIRE_FALSE(requests.empty());
    CHECK(contains(requests.back().target, "status=Running"));
}

TEST_CASE("process: a rejected command line sends no request") {
    fixture f;
    for (auto const& bad : std::vector<std::vector<std::string>>{
             {"--limit", "0"}, {"--offset", "-1"}, {"--status", "nope"}, {"--timeout", "0"}}) {
        auto const r = run_cli(f.dir, f.args(bad), f.token_env());
    CAPTURE(r.err);
        CHECK(r.exit_code == 2);
    }
    auto const r = run_cli(f.dir, f.args({}));  // no token
    CHECK(r.exit_code == 2);
    CHECK(f.server.connections_accepted() == 0);
    CHECK(f.server.requests_served() == 0);
}

TEST_CASE("process: --timeout limits each request") {
    apig::emulator::options o;
    o.token = secret;
    o.response_delay = std::chrono::seconds(5);
    apig::emulator::server server(o);
    scratch_dir dir;
    auto const ca_file = (dir.path / "ca.pem").string();
    server.write_ca_pem(ca_file);
    auto const start = std::chrono::steady_clock::now();
    auto const r = run_cli(dir,
                           {"--endpoint", server.endpoint(), "--project-id", o.project_ids.front(),
                            "--ca-file", ca_file, "--timeout", "0.3"},
                           {{"APIG_AUTH_TOKEN", secret}});
    CAPTURE(r.err);
    CHECK(r.exit_code == 4);
    CHECK(contains(r.err, "timed out"));
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(4));
}

TEST_CASE("process: a failure mid-listing exits 4 and leaves what was received, valid") {
    fixture f;
    // Slow answers, then every request fails from some point on. Where exactly depends on
    // timing, so only what holds for any cut-off point is checked.
    f.server.set_response_delay(std::chrono::milliseconds(300));
    std::thread breaker([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        f.server.fail_next(1000, 503);
    });
    auto const r = run_cli(f.dir, f.args({"--all", "--limit", "10", "--format", "json"}),
                           f.token_env());
    breaker.join();
    CAPTURE(r.err);
    CHECK(r.exit_code == 4);
    auto const err_lines = lines_of(r.err);
    REQUIRE_FALSE(err_lines.empty());
    CHECK(err_lines.back().starts_with("apig-instances: error: HTTP 503"));
    if (!r.out.empty()) {
        boost::system::error_code ec;
        auto const v = boost::json::parse(r.out, ec);
        CHECK_FALSE(ec);
        CHECK(v.is_array());
        REQUIRE(err_lines.size() == 2);
        CHECK(err_lines[0].ends_with(", incomplete"));
    }
}

TEST_CASE("process: --format jsonl streams: the first page is out while the walk goes on") {
    fixture f;
    // Each answer waits; with --concurrency 1 the second page is requested only after the
    // first arrived, so the process lives at least one delay after writing the first page.
    // Pages of 2 instances (about 1 KB) stay far below a pipe's stdio buffer: only a flush
    // gets the first line out early.
    f.server.set_response_delay(1500ms);
    auto const err_path = f.dir.path / "stderr";
    fd_guard err(::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    REQUIRE(err.fd >= 0);
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    fd_guard read_end(fds[0]), write_end(fds[1]);
    pid_t const pid = spawn_cli(
        f.args({"--all", "--limit", "2", "--concurrency", "1", "--format", "jsonl"}),
        f.token_env(), write_end.fd, err.fd);
    write_end.reset();
    err.reset();

    std::string out;
    bool const got_line =
        read_until(read_end.fd, out, [](std::string const& s) { return s.find('\n') != std::string::npos; });
    int status = 0;
    pid_t const alive = ::waitpid(pid, &status, WNOHANG);
    // Page 1 answered, page 2 requested and waiting: a first line that needed more pages
    // (stuck in a stdio buffer until it filled) would show a later request here.
    auto const served = f.server.requests_served();
    f.server.set_response_delay(0ms);  // the rest may go fast
    CHECK(got_line);
    CHECK(alive == 0);  // the first line came while the process was still listing
    CHECK(served <= 2);
    CAPTURE(out);
    CHECK(lines_of(out).size() < 57);

    read_until(read_end.fd, out, at_eof);
    int const code = alive == 0 ? wait_exit(pid) : (WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    auto const err_text = slurp(err_path);
    CAPTURE(err_text);
    CHECK(code == 0);
    auto const lines = lines_of(out);
    auto const ids = f.server.ids();
    REQUIRE(lines.size() == ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
        CAPTURE(i);
        CHECK(contains(lines[i], "\"id\":\"" + ids[i] + "\""));
    }
    CHECK(is_summary_line(err_text, "57 of 57 instances, 29 pages, "));
}

TEST_CASE("process: no progress bytes when stderr is not a terminal: exactly the summary") {
    fixture f;
    // Long enough for several progress ticks, had they been enabled.
    f.server.set_response_delay(150ms);
    auto const r = run_cli(f.dir, f.args({"--all", "--limit", "10", "--concurrency", "1",
                                          "--format", "none"}),
                           f.token_env());
    CAPTURE(r.err);
    CHECK(r.exit_code == 0);
    CHECK(is_summary_line(r.err, "57 of 57 instances, 6 pages, "));
    CHECK_FALSE(contains(r.err, "\r"));
    CHECK_FALSE(contains(r.err, "\x1b"));
}

TEST_CASE("process: on a terminal, a progress line is drawn in place and cleared") {
    fixture f;
    f.server.set_response_delay(150ms);
    auto const r = run_cli_on_tty(f.dir, f.args({"--all", "--limit", "10", "--concurrency", "1",
                                                 "--format", "jsonl"}),
                                  f.token_env());
    CAPTURE(r.err);
    CHECK(r.exit_code == 0);
    CHECK(lines_of(r.out).size() == 57);  // stdout (a file) gets no progress
    CHECK_FALSE(contains(r.out, "\r"));
    // Progress lines (`\r...\x1b[K`), then the erase (`\r\x1b[K`), then the summary alone.
    CHECK(r.err.starts_with("\r"));
    CHECK(contains(r.err, "/6 pages, "));
    CHECK(contains(r.err, " instances/s\x1b[K"));
    auto const erase = r.err.rfind("\r\x1b[K");
    REQUIRE(erase != std::string::npos);
    CHECK(is_summary_line(r.err.substr(erase + 4), "57 of 57 instances, 6 pages, "));
    CHECK(r.err.find('\n') == r.err.size() - 1);  // the progress never ends a line
}

TEST_CASE("process: --quiet: no progress and no summary, errors still printed") {
    fixture f;
    f.server.set_response_delay(150ms);
    auto r = run_cli_on_tty(f.dir, f.args({"--all", "--limit", "10", "--format", "none",
                                           "--quiet"}),
                            f.token_env());
    CHECK(r.exit_code == 0);
    CHECK(r.err.empty());

    f.server.set_response_delay(0ms);
    r = run_cli(f.dir, f.args({"--all", "--format", "none", "--quiet"}), f.token_env());
    CHECK(r.exit_code == 0);
    CHECK(r.err.empty());

    r = run_cli(f.dir, f.args({"--all", "--quiet"}), f.token_env("wrong-token-value"));
    CHECK(r.exit_code == 3);
    CHECK(r.err.starts_with("apig-instances: error: HTTP 401"));
    CHECK(lines_of(r.err).size() == 1);
}

TEST_CASE("process: --stats prints one JSON line on stderr, also with --quiet and after a failure") {
    fixture f;
    auto r = run_cli(f.dir, f.args({"--all", "--limit", "10", "--format", "none", "--quiet", "--stats"}),
                     f.token_env());
    CAPTURE(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out.empty());
    REQUIRE(lines_of(r.err).size() == 1);
    CHECK(r.err.starts_with(R"({"instances":57,"pages":6,"seconds":)"));
    CHECK(contains(r.err, R"("instances_per_s":)"));
    CHECK(r.err.ends_with(R"("total":57,"retries":0,"duplicates":0,"complete":true})"
                          "\n"));

    // Without --quiet the summary comes first, then the stats line.
    r = run_cli(f.dir, f.args({"--all", "--format", "none", "--stats"}), f.token_env());
    CHECK(r.exit_code == 0);
    auto const lines = lines_of(r.err);
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].starts_with("57 of 57 instances, 1 page, "));
    CHECK(lines[1].starts_with(R"({"instances":57,"pages":1,)"));

    // A failure: the error line, then the stats line saying the listing is incomplete.
    r = run_cli(f.dir, f.args({"--all", "--quiet", "--stats"}), f.token_env("wrong-token-value"));
    CHECK(r.exit_code == 3);
    CHECK(r.err.starts_with("apig-instances: error: HTTP 401"));
    CHECK(r.err.ends_with(R"("complete":false})"
                          "\n"));
    CHECK_FALSE(contains(r.out + r.err, secret));
}

TEST_CASE("process: retries are counted in the summary; --max-attempts 1 retries nothing") {
    fixture f;
    apig::emulator::fault_options faults;
    faults.fail_first_per_page = 1;  // every page fails once, then succeeds
    faults.fail_first_status = 500;  // no Retry-After: the client's short backoff
    f.server.set_faults(faults);
    auto r = run_cli(f.dir, f.args({"--all", "--limit", "7", "--format", "jsonl"}), f.token_env());
    CAPTURE(r.err);
    CHECK(r.exit_code == 0);
    CHECK(lines_of(r.out).size() == 57);
    CHECK(is_summary_line(r.err, "57 of 57 instances, 9 pages, ", ", 9 retries"));

    f.server.set_faults(faults);  // the counts start again
    f.server.reset_stats();
    r = run_cli(f.dir, f.args({"--all", "--limit", "7", "--max-attempts", "1"}), f.token_env());
    CAPTURE(r.err);
    CHECK(r.exit_code == 4);
    CHECK(r.out.empty());
    CHECK(r.err.starts_with("apig-instances: error: HTTP 500"));
    CHECK(f.server.requests_served() == 1);
}

TEST_CASE("process: --concurrency and --max-connections reach the walk and the pool") {
    fixture f;
    // Slow answers keep requests at the server long enough to be counted together.
    f.server.set_response_delay(100ms);
    auto const walk = [&](std::vector<std::string> more) {
        f.server.reset_stats();
        std::vector<std::string> a{"--all", "--limit", "5", "--format", "none"};
        a.insert(a.end(), more.begin(), more.end());
        auto const r = run_cli(f.dir, f.args(a), f.token_env());
        CAPTURE(r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.err.starts_with("57 of 57 instances, 12 pages, "));
    };
    walk({"--concurrency", "1"});
    CHECK(f.server.max_in_flight() == 1);

    walk({"--concurrency", "4"});
    CHECK(f.server.max_in_flight() > 1);
    CHECK(f.server.max_in_flight() <= 4);

    walk({"--concurrency", "4", "--max-connections", "1"});
    CHECK(f.server.max_in_flight() == 1);
    CHECK(f.server.connections_accepted() == 1);
}

TEST_CASE("process: --rate spaces the walk's requests, --burst lets that many go at once") {
    fixture f;
    auto const walk = [&](std::vector<std::string> more) {
        f.server.reset_stats();
        std::vector<std::string> a{"--all", "--limit", "5", "--concurrency", "4", "--format", "none"};
        a.insert(a.end(), more.begin(), more.end());
        auto const start = std::chrono::steady_clock::now();
        auto const r = run_cli(f.dir, f.args(a), f.token_env());
        CAPTURE(r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.err.starts_with("57 of 57 instances, 12 pages, "));
        REQUIRE(f.server.requests_served() == 12);
        // The last request's place: (12 - burst) intervals after the first request could go.
        auto last = start;
        for (auto const& q : f.server.requests()) last = std::max(last, q.at);
        return last - start;
    };
    CHECK(walk({"--rate", "40"}) >= 11 * 25ms);
    CHECK(walk({"--rate", "40", "--burst", "6"}) >= 6 * 25ms);
}
