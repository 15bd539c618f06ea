#pragma once

// What the process tests of apig-instances share: running the binary as a child process (with
// exactly the apig variables given, on pipes or a pseudo-terminal, every wait bounded), reading
// its output, and a fixture with an in-process emulator and a trusted CA.

#include <apig/emulator.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
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

extern "C" char** environ;

namespace cli_process_test {

namespace fs = std::filesystem;

inline constexpr char const* secret = "cli-process-secret-4c3b2a";

struct run_result {
    int exit_code = -1;
    std::string out;
    std::string err;
};

inline std::string shell_quote(std::string_view s) {
    std::string q = "'";
    for (char const c : s) {
        if (c == '\'') q += "'\\''";
        else q += c;
    }
    q += '\'';
    return q;
}

inline std::string slurp(fs::path const& p) {
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
inline constexpr char const* apig_variables[] = {
    "APIG_AUTH_TOKEN",      "HUAWEICLOUD_SDK_PROJECT_ID",        "HUAWEICLOUD_SDK_AK",
    "HUAWEICLOUD_SDK_SK",   "HUAWEICLOUD_SDK_SECURITY_TOKEN",    "HUAWEICLOUD_SDK_CREDENTIALS_FILE",
    "HUAWEICLOUD_SDK_IAM_ENDPOINT", "HUAWEICLOUD_SDK_REGION",    "APIG_METADATA_ENDPOINT",
    "HC_CONTAINER_CREDENTIALS_FULL_URI", "HC_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "https_proxy", "HTTPS_PROXY", "http_proxy", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"};

/// `http://127.0.0.1:<port>` for a port that was free a moment ago and has no listener: a
/// connection there is refused at once.
inline std::string closed_port_url() {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    auto const port = a.local_endpoint().port();
    a.close();
    return "http://127.0.0.1:" + std::to_string(port);
}

/// What a test's environment gets unless it says otherwise: no profile file (a path that does
/// not exist) and a metadata service that refuses connections, so that the credentials chain
/// of a run without credentials ends at once, whatever the machine has.
inline std::map<std::string, std::string> with_chain_defaults(std::map<std::string, std::string> env) {
    env.try_emplace("HUAWEICLOUD_SDK_CREDENTIALS_FILE", "/nonexistent/apig-test/credentials");
    env.try_emplace("APIG_METADATA_ENDPOINT", closed_port_url());
    return env;
}

/// Runs apig-instances with `args` and exactly the given apig variables in its environment
/// (the user's apig_variables are removed).
inline run_result run_cli(scratch_dir const& dir, std::vector<std::string> const& args,
                   std::map<std::string, std::string> const& env = {}) {
    std::string cmd = "env";
    for (char const* name : apig_variables) cmd += std::string(" -u ") + name;
    for (auto const& [k, v] : with_chain_defaults(env)) cmd += " " + k + "=" + shell_quote(v);
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

inline std::vector<std::string> lines_of(std::string const& s) {
    std::vector<std::string> lines;
    std::istringstream in(s);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

inline bool contains(std::string const& s, std::string_view part) {
    return s.find(part) != std::string::npos;
}

/// `out` is one JSON line per instance, holding the ids `ids` in that order.
inline void check_jsonl_ids(std::string const& out, std::vector<std::string> const& ids) {
    auto const lines = lines_of(out);
    REQUIRE(lines.size() == ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
        CAPTURE(i);
        CHECK(contains(lines[i], "\"id\":\"" + ids[i] + "\""));
    }
}

/// Bounds every wait on a child or a pipe: generous, so a loaded machine never fails a test,
/// yet a hang ends the test instead of ctest's timeout.
inline constexpr auto wait_limit = std::chrono::seconds(60);

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
inline pid_t spawn_cli(std::vector<std::string> const& args, std::map<std::string, std::string> const& env,
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
    for (auto const& [k, v] : with_chain_defaults(env)) strings.push_back(k + "=" + v);
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
inline int wait_exit(pid_t pid) {
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
inline bool read_until(int fd, std::string& out, std::function<bool(std::string const&)> const& done) {
    auto const deadline = std::chrono::steady_clock::now() + wait_limit;
    while (!done(out)) {
        auto const left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left <= std::chrono::milliseconds::zero()) return false;
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

inline bool at_eof(std::string const&) { return false; }

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
inline run_result run_cli_on_tty(scratch_dir const& dir, std::vector<std::string> const& args,
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
inline bool is_summary_line(std::string const& err, std::string_view prefix, std::string_view suffix = "") {
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

}  // namespace cli_process_test
