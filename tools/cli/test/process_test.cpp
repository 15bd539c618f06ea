// apig-instances as a process against the in-process emulator: what only a real server can
// show (exit 3 on 401/403, 4 on a server error or an untrusted certificate, --ca-file,
// --token-file, filters, and that a rejected command line sends nothing).

#include <apig/emulator.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#ifndef APIG_INSTANCES_EXE
#error "APIG_INSTANCES_EXE must be the path of the apig-instances binary"
#endif

namespace {

namespace fs = std::filesystem;

constexpr char const* secret = "cli-process-secret-4c3b2a";

struct run_result {
    int exit_code = -1;
    std::string out;
    std::string err;
};

std::string shell_quote(std::string_view s) {
    std::string q = "'";
    for (char const c : s) {
        if (c == '\'') q += "'\\''";
        else q += c;
    }
    q += '\'';
    return q;
}

std::string slurp(fs::path const& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

/// A scratch directory for one test, removed at scope exit.
struct scratch_dir {
    fs::path path;
    scratch_dir() {
        static std::atomic<int> counter{0};
        path = fs::temp_directory_path() /
               ("apig-cli-process-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
        fs::create_directories(path);
    }
    ~scratch_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    scratch_dir(scratch_dir const&) = delete;
    scratch_dir& operator=(scratch_dir const&) = delete;
};

/// Runs apig-instances with `args` and exactly the given apig variables in its environment
/// (the user's APIG_AUTH_TOKEN / HUAWEICLOUD_SDK_PROJECT_ID are removed).
run_result run_cli(scratch_dir const& dir, std::vector<std::string> const& args,
                   std::map<std::string, std::string> const& env = {}) {
    std::string cmd = "env -u APIG_AUTH_TOKEN -u HUAWEICLOUD_SDK_PROJECT_ID";
    for (auto const& [k, v] : env) cmd += " " + k + "=" + shell_quote(v);
    cmd += " " + shell_quote(APIG_INSTANCES_EXE);
    for (auto const& a : args) cmd += " " + shell_quote(a);
    auto const out = dir.path / "stdout";
    auto const err = dir.path / "stderr";
    cmd += " >" + shell_quote(out.string()) + " 2>" + shell_quote(err.string());
    int const status = std::system(cmd.c_str());
    run_result r;
    if (status != -1 && WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
}

std::vector<std::string> lines_of(std::string const& s) {
    std::vector<std::string> lines;
    std::istringstream in(s);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

bool contains(std::string const& s, std::string_view part) {
    return s.find(part) != std::string::npos;
}

/// An emulator and the pieces of a command line that reach it with a trusted CA.
struct fixture {
    apig::emulator::options opts = [] {
        apig::emulator::options o;
        o.token = secret;
        o.instance_count = 57;
        return o;
    }();
    apig::emulator::server server{opts};
    scratch_dir dir;
    std::string ca_file = (dir.path / "ca.pem").string();

    fixture() { server.write_ca_pem(ca_file); }

    std::vector<std::string> args(std::vector<std::string> more) const {
        std::vector<std::string> a{"--endpoint", server.endpoint(), "--project-id",
                                   opts.project_ids.front(), "--ca-file", ca_file};
        a.insert(a.end(), more.begin(), more.end());
        return a;
    }
    std::map<std::string, std::string> token_env(std::string token = secret) const {
        return {{"APIG_AUTH_TOKEN", std::move(token)}};
    }
};

}  // namespace

TEST_CASE("process: --all --format jsonl streams every instance in order") {
    fixture f;
    auto const r = run_cli(f.dir, f.args({"--all", "--limit", "7", "--format", "jsonl"}),
                           f.token_env());
    CAPTURE(r.err);
    CHECK(r.exit_code == 0);
    auto const lines = lines_of(r.out);
    auto const ids = f.server.ids();
    REQUIRE(lines.size() == ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
        CAPTURE(i);
        CHECK(contains(lines[i], "\"id\":\"" + ids[i] + "\""));
    }
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
