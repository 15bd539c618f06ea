// apig-instances as a process against the in-process emulator: what only a real server can
// show (exit 3 on 401/403, 4 on a server error or an untrusted certificate, --ca-file,
// --token-file, AK/SK signing and which credentials win, filters, and that a rejected command
// line sends nothing).

#include "../../../test/integration/paging_server.hpp"  // a scripted server answering by offset
#include "../../../test/integration/raw_server.hpp"     // a scripted server answering byte for byte

#include <apig/emulator.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <doctest/doctest.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <filesystem>
#include <fstream>
#include <limits>
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
using namespace std::chrono_literals;

extern "C" char** environ;

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

/// The variables apig-instances reads: the user's are removed, so only a test's count.
constexpr char const* apig_variables[] = {"APIG_AUTH_TOKEN", "HUAWEICLOUD_SDK_PROJECT_ID",
                                          "HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK",
                                          "HUAWEICLOUD_SDK_SECURITY_TOKEN"};

/// Runs apig-instances with `args` and exactly the given apig variables in its environment
/// (the user's apig_variables are removed).
run_result run_cli(scratch_dir const& dir, std::vector<std::string> const& args,
                   std::map<std::string, std::string> const& env = {}) {
    std::string cmd = "env";
    for (char const* name : apig_variables) cmd += std::string(" -u ") + name;
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

/// Bounds every wait on a child or a pipe: generous, so a loaded machine never fails a test,
/// yet a hang ends the test instead of ctest's timeout.
constexpr auto wait_limit = 60s;

/// A file descriptor closed at scope exit.
struct fd_guard {
    int fd = -1;
    explicit fd_guard(int f = -1) : fd(f) {}
    ~fd_guard() { reset(); }
    fd_guard(fd_guard const&) = delete;
    fd_guard& operator=(fd_guard const&) = delete;
    void reset() {
        if (fd >= 0) ::close(fd);
        fd = -1;
    }
};

/// apig-instances started with fork/exec, stdout and stderr on the given descriptors, the
/// environment of this process minus the apig variables plus `env`. Everything the child
/// needs is built before fork (the emulator's threads run in this process).
pid_t spawn_cli(std::vector<std::string> const& args, std::map<std::string, std::string> const& env,
                int stdout_fd, int stderr_fd) {
    std::vector<std::string> strings{APIG_INSTANCES_EXE};
    strings.insert(strings.end(), args.begin(), args.end());
    std::size_t const argc = strings.size();
    for (char** e = environ; *e; ++e) {
        std::string_view const v(*e);
        bool const apig_variable = std::any_of(
            std::begin(apig_variables), std::end(apig_variables),
            [&](char const* name) { return v.starts_with(std::string(name) + "="); });
        if (!apig_variable) strings.emplace_back(v);
    }
    for (auto const& [k, v] : env) strings.push_back(k + "=" + v);
    std::vector<char*> argv, envp;
    for (std::size_t i = 0; i < strings.size(); ++i)
        (i < argc ? argv : envp).push_back(strings[i].data());
    argv.push_back(nullptr);
    envp.push_back(nullptr);
    pid_t const pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        // Only async-signal-safe calls from here on.
        if (::dup2(stdout_fd, STDOUT_FILENO) < 0 || ::dup2(stderr_fd, STDERR_FILENO) < 0) ::_exit(127);
        ::execve(argv[0], argv.data(), envp.data());
        ::_exit(127);
    }
    return pid;
}

/// Waits for the child (bounded by wait_limit) and returns its exit code; -1 if it did not
/// exit normally or in time (it is then killed).
int wait_exit(pid_t pid) {
    auto const deadline = std::chrono::steady_clock::now() + wait_limit;
    int status = 0;
    while (true) {
        pid_t const r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        if (r < 0 && errno != EINTR) return -1;
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            return -1;
        }
        ::poll(nullptr, 0, 10);  // not a wait for a server: only paces this loop
    }
}

/// Reads `fd` into `out` until `done(out)`, end of file (or EIO: a pty without a slave), or
/// wait_limit. Returns whether `done` was reached.
bool read_until(int fd, std::string& out, std::function<bool(std::string const&)> const& done) {
    auto const deadline = std::chrono::steady_clock::now() + wait_limit;
    while (!done(out)) {
        auto const left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left <= 0ms) return false;
        pollfd p{fd, POLLIN, 0};
        int const n = ::poll(&p, 1, static_cast<int>(left.count()));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        char buf[4096];
        ssize_t const got = ::read(fd, buf, sizeof buf);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return done(out);  // EOF, or EIO once a pty's slave is closed
        out.append(buf, static_cast<std::size_t>(got));
    }
    return true;
}

bool at_eof(std::string const&) { return false; }

/// A pseudo-terminal in raw mode (no \n -> \r\n translation), 120 columns wide: the slave
/// becomes a child's stderr, the test reads what a user would see from the master.
struct pty {
    fd_guard master;
    fd_guard slave;
    pty() {
        master.fd = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        REQUIRE(master.fd >= 0);
        REQUIRE(::grantpt(master.fd) == 0);
        REQUIRE(::unlockpt(master.fd) == 0);
        char const* name = ::ptsname(master.fd);
        REQUIRE(name != nullptr);
        slave.fd = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
        REQUIRE(slave.fd >= 0);
        termios t{};
        REQUIRE(::tcgetattr(slave.fd, &t) == 0);
        ::cfmakeraw(&t);
        REQUIRE(::tcsetattr(slave.fd, TCSANOW, &t) == 0);
        winsize ws{};
        ws.ws_row = 24;
        ws.ws_col = 120;
        REQUIRE(::ioctl(slave.fd, TIOCSWINSZ, &ws) == 0);
    }
};

/// Runs apig-instances with stderr on a terminal (stdout to a file) and returns what the
/// terminal showed.
run_result run_cli_on_tty(scratch_dir const& dir, std::vector<std::string> const& args,
                          std::map<std::string, std::string> const& env) {
    pty term;
    auto const out_path = dir.path / "stdout";
    fd_guard out(::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    REQUIRE(out.fd >= 0);
    pid_t const pid = spawn_cli(args, env, out.fd, term.slave.fd);
    term.slave.reset();  // the child holds the only slave: EIO on the master once it exits
    out.reset();
    run_result r;
    read_until(term.master.fd, r.err, at_eof);
    r.exit_code = wait_exit(pid);
    r.out = slurp(out_path);
    return r;
}

/// The summary line as a regular expression would check it, without a regex: `prefix`, a
/// time `N.NNN s`, then exactly `suffix` and a newline; nothing else.
bool is_summary_line(std::string const& err, std::string_view prefix, std::string_view suffix = "") {
    if (!err.starts_with(prefix)) return false;
    std::string_view rest(err);
    rest.remove_prefix(prefix.size());
    std::size_t i = 0;
    while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9') ++i;
    if (i == 0 || rest.substr(i, 1) != ".") return false;
    rest.remove_prefix(i + 1);
    if (rest.size() < 3 || rest.substr(3, 2) != " s") return false;
    for (std::size_t k = 0; k < 3; ++k)
        if (rest[k] < '0' || rest[k] > '9') return false;
    rest.remove_prefix(5);
    return rest == std::string(suffix) + "\n";
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

// ---- AK/SK: credentials from HUAWEICLOUD_SDK_AK/SK (and the security token) ----------------

namespace {

// The emulator's key pair. Distinctive values: none may appear in any output, not even the AK.
constexpr char const* access_key_id = "CLIPROCESSAK8N7M6L5K";
constexpr char const* secret_key = "cli-process-sk-3e2d1c0b";
constexpr char const* temp_access_key_id = "CLIPROCESSTEMPAK4J3H";
constexpr char const* temp_secret_key = "cli-process-temp-sk-9a8b7c";
constexpr char const* security_token = "cli-process-security-token-5f6e7d";

/// A fixture whose emulator also accepts a permanent and a temporary key pair.
struct aksk_fixture : fixture {
    aksk_fixture() {
        server.set_access_keys({{access_key_id, secret_key, ""},
                                {temp_access_key_id, temp_secret_key, security_token}});
    }
    static std::map<std::string, std::string> permanent_env() {
        return {{"HUAWEICLOUD_SDK_AK", access_key_id}, {"HUAWEICLOUD_SDK_SK", secret_key}};
    }
    static std::map<std::string, std::string> temporary_env() {
        return {{"HUAWEICLOUD_SDK_AK", temp_access_key_id},
                {"HUAWEICLOUD_SDK_SK", temp_secret_key},
                {"HUAWEICLOUD_SDK_SECURITY_TOKEN", security_token}};
    }
};

/// No secret of any kind in stdout or stderr (and so nowhere a user or a log could see).
void check_no_secret(run_result const& r, std::vector<std::string> const& more = {}) {
    std::vector<std::string> secrets{secret,        access_key_id,   secret_key,
                                     temp_access_key_id, temp_secret_key, security_token};
    secrets.insert(secrets.end(), more.begin(), more.end());
    for (auto const& s : secrets) {
        CAPTURE(s);
        CHECK_FALSE(contains(r.out, s));
        CHECK_FALSE(contains(r.err, s));
    }
}

/// Every request the server saw was authenticated as `kind` (and, for aksk, with `ak`).
void check_auth(apig::emulator::server const& server, apig::emulator::auth_kind kind,
                std::string const& ak = "") {
    auto const requests = server.requests();
    REQUIRE_FALSE(requests.empty());
    for (auto const& q : requests) {
        CHECK(q.auth == kind);
        if (kind == apig::emulator::auth_kind::aksk) CHECK(q.access_key == ak);
    }
}

}  // namespace

TEST_CASE("process: AK/SK with a security token: the walk succeeds, signed, quietly") {
    aksk_fixture f;
    auto const r = run_cli(f.dir, f.args({"--all", "--limit", "10", "--format", "jsonl"}),
                           aksk_fixture::temporary_env());
    CAPTURE(r.err);
    CHECK(r.exit_code == 0);
    auto const lines = lines_of(r.out);
    auto const ids = f.server.ids();
    REQUIRE(lines.size() == ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
        CAPTURE(i);
        CHECK(contains(lines[i], "\"id\":\"" + ids[i] + "\""));
    }
    // Only a key pair in the environment: nothing to choose, so exactly the summary.
    CHECK(is_summary_line(r.err, "57 of 57 instances, 6 pages, "));
    CHECK(f.server.requests_served() == 6);
    check_auth(f.server, apig::emulator::auth_kind::aksk, temp_access_key_id);
    for (auto const& q : f.server.requests()) CHECK_FALSE(q.had_token);
    check_no_secret(r);
}

TEST_CASE("process: AK/SK without a security token (a permanent key)") {
    aksk_fixture f;
    auto const r = run_cli(f.dir, f.args({"--format", "none"}), aksk_fixture::permanent_env());
    CAPTURE(r.err);
    CHECK(r.exit_code == 0);
    CHECK(is_summary_line(r.err, "20 of 57 instances, 1 page, "));
    check_auth(f.server, apig::emulator::auth_kind::aksk, access_key_id);
    check_no_secret(r);
}

TEST_CASE("process: a key pair and a token: the key pair is used and stderr says so") {
    aksk_fixture f;
    auto env = aksk_fixture::temporary_env();
    env["APIG_AUTH_TOKEN"] = secret;  // valid too: only the recorded requests tell which won
    auto r = run_cli(f.dir, f.args({"--format", "none"}), env);
    CAPTURE(r.err);
    CHECK(r.exit_code == 0);
    auto lines = lines_of(r.err);
    REQUIRE(lines.size() == 3);
    CHECK(lines[0] ==
          "apig-instances: warning: APIG_AUTH_TOKEN is also set and ignored: the key pair "
          "HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK takes precedence");
    CHECK(lines[1] ==
          "apig-instances: using the access key pair from HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK "
          "(with security token); APIG_AUTH_TOKEN ignored");
    CHECK(is_summary_line(lines[2] + "\n", "20 of 57 instances, 1 page, "));
    check_auth(f.server, apig::emulator::auth_kind::aksk, temp_access_key_id);
    check_no_secret(r);

    // --quiet drops the notice (and the summary); the warning stays.
    f.server.reset_stats();
    r = run_cli(f.dir, f.args({"--format", "none", "--quiet"}), env);
    CAPTURE(r.err);
    CHECK(r.exit_code == 0);
    lines = lines_of(r.err);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].starts_with("apig-instances: warning: APIG_AUTH_TOKEN is also set and ignored"));
    check_auth(f.server, apig::emulator::auth_kind::aksk, temp_access_key_id);
    check_no_secret(r);
}

TEST_CASE("process: a wrong SK exits 3 with the API's error, and no secret anywhere") {
    aksk_fixture f;
    constexpr char const* wrong_sk = "cli-process-wrong-sk-0f1e2d";
    auto env = aksk_fixture::temporary_env();
    env["HUAWEICLOUD_SDK_SK"] = wrong_sk;
    env["APIG_AUTH_TOKEN"] = secret;  // ignored, so it cannot rescue the call
    auto const r = run_cli(f.dir, f.args({"--all"}), env);
    CAPTURE(r.err);
    CHECK(r.exit_code == 3);
    CHECK(r.out.empty());
    auto const lines = lines_of(r.err);
    REQUIRE_FALSE(lines.empty());
    CHECK(lines.back().starts_with("apig-instances: error: HTTP 401"));
    CHECK(contains(lines.back(), "APIGW.0301"));
    auto const requests = f.server.requests();
    REQUIRE(requests.size() == 1);  // a fixed key pair refused is not retried
    CHECK(requests[0].auth == apig::emulator::auth_kind::aksk);
    CHECK(requests[0].auth_failure == "signature_mismatch");
    check_no_secret(r, {wrong_sk});
}

TEST_CASE("process: a wrong security token exits 3, and no secret anywhere") {
    aksk_fixture f;
    constexpr char const* wrong_token = "cli-process-wrong-security-token-1a";
    auto env = aksk_fixture::temporary_env();
    env["HUAWEICLOUD_SDK_SECURITY_TOKEN"] = wrong_token;
    auto const r = run_cli(f.dir, f.args({}), env);
    CAPTURE(r.err);
    CHECK(r.exit_code == 3);
    CHECK(contains(r.err, "APIGW.0301"));
    auto const requests = f.server.requests();
    REQUIRE(requests.size() == 1);
    CHECK(requests[0].auth_failure == "security_token_mismatch");
    check_no_secret(r, {wrong_token});
}

TEST_CASE("process: half a key pair: a warning names the missing variable") {
    aksk_fixture f;
    // Beside a token: the token is used.
    auto r = run_cli(f.dir, f.args({"--format", "none"}),
                     {{"HUAWEICLOUD_SDK_AK", access_key_id}, {"APIG_AUTH_TOKEN", secret}});
    CAPTURE(r.err);
    CHECK(r.exit_code == 0);
    auto lines = lines_of(r.err);
    REQUIRE(lines.size() == 3);
    CHECK(lines[0] == "apig-instances: warning: HUAWEICLOUD_SDK_AK is set but HUAWEICLOUD_SDK_SK "
                      "is not: the key pair is incomplete and not used; using APIG_AUTH_TOKEN");
    CHECK(lines[1] ==
          "apig-instances: using the token from APIG_AUTH_TOKEN; HUAWEICLOUD_SDK_AK ignored");
    check_auth(f.server, apig::emulator::auth_kind::token);
    check_no_secret(r);

    // Alone: nothing usable, exit 2 after the warning, nothing sent.
    f.server.reset_stats();
    r = run_cli(f.dir, f.args({}), {{"HUAWEICLOUD_SDK_SK", secret_key}});
    CAPTURE(r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    lines = lines_of(r.err);
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].starts_with(
        "apig-instances: warning: HUAWEICLOUD_SDK_SK is set but HUAWEICLOUD_SDK_AK is not"));
    CHECK(lines[1].starts_with("apig-instances: error: no credentials: set APIG_AUTH_TOKEN, or "
                               "HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK"));
    CHECK(f.server.connections_accepted() == 0);
    check_no_secret(r);
}

TEST_CASE("process: --token-file wins over a key pair in the environment, and says so") {
    aksk_fixture f;
    auto const token_file = f.dir.path / "token";
    std::ofstream(token_file) << secret << "\n";
    auto const r = run_cli(f.dir, f.args({"--token-file", token_file.string(), "--format", "none"}),
                           aksk_fixture::temporary_env());
    CAPTURE(r.err);
    CHECK(r.exit_code == 0);
    auto const lines = lines_of(r.err);
    REQUIRE(lines.size() == 2);
    CHECK(lines[0] == "apig-instances: using the token from --token-file; HUAWEICLOUD_SDK_AK, "
                      "HUAWEICLOUD_SDK_SK, HUAWEICLOUD_SDK_SECURITY_TOKEN ignored (--token-file "
                      "takes precedence over the environment)");
    check_auth(f.server, apig::emulator::auth_kind::token);
    check_no_secret(r);
}

// ---- hostile servers: walks that must end (issue 12, classes 3, 4, 6) ----------------------


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
