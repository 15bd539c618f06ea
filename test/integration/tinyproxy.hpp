#pragma once

// A REAL tinyproxy (Debian's /usr/bin/tinyproxy, 1.11.x) for tests of apig's HTTP CONNECT proxy
// support: each `tinyproxy` object runs its own tinyproxy process on 127.0.0.1 with a generated
// config in a private temporary directory, and stops it (SIGTERM, then SIGKILL) when destroyed.
//
//     apig::test::tinyproxy_options o;
//     o.basic_auth = apig::test::proxy_credentials{"user", "pa.ss"};
//     apig::test::tinyproxy proxy(o);          // listening once constructed
//     // ... point the client at proxy.url() ("http://127.0.0.1:<port>") ...
//     CHECK(proxy.wait_for_connects(1));       // the proxy saw one CONNECT
//     CHECK(proxy.connects() == std::vector<std::string>{"127.0.0.1:<emulator port>"});
//
// What a test author must know:
//  - tinyproxy must be installed (scripts/deps.sh installs it). If it is not, the constructor
//    throws std::runtime_error saying so: the test FAILS, it is never skipped.
//  - What tinyproxy 1.11.1 answers a CONNECT (the status lines are exactly these):
//      tunnel open:                "HTTP/1.0 200 Connection established" (HTTP/1.0, no body)
//      no Proxy-Authorization:     "HTTP/1.0 407 Proxy Authentication Required" with
//                                  `Proxy-Authenticate: Basic realm="Tinyproxy"`
//      WRONG Proxy-Authorization:  "HTTP/1.0 401 Unauthorized" (401, not 407: tinyproxy's
//                                  behaviour; a client must treat both as refused credentials)
//      target in `deny` (or not in `allow_only`): "HTTP/1.1 403 Filtered"
//      port not in `connect_ports`: "HTTP/1.1 403 Access violation"
//      target refuses the TCP connection: "HTTP/1.1 500 Unable to connect"
//    Error answers carry an HTML body and `Connection: close`, and tinyproxy closes after them.
//  - The log (log(), LogLevel Info) has one line per request tinyproxy READ, written before it
//    checks credentials or filters, so connects() lists refused CONNECTs too:
//      CONNECT   Dec 02 16:19:58.466 [18463]: Request (file descriptor 5): CONNECT 127.0.0.1:50053 HTTP/1.1
//    and, for a tunnel it opened,
//      CONNECT   Dec 02 16:19:58.482 [18463]: Established connection to host "127.0.0.1" using file descriptor 6.
//    tinyproxy writes (and fsyncs) each line as it happens; wait for a line with
//    wait_for_log / wait_for_connects (event-driven, with a deadline) rather than assuming it
//    is already there.
//  - BasicAuth user names and passwords can only be made of [A-Za-z0-9._-] (tinyproxy's config
//    grammar rejects anything else); the constructor throws std::invalid_argument otherwise.
//  - Ports: tinyproxy refuses `Port 0` ("You MUST set a Port in the config file"), so the
//    harness binds 127.0.0.1:0 itself with SO_REUSEADDR, reads the port, and KEEPS that socket
//    bound (never listening) while tinyproxy starts on it: Linux lets tinyproxy (which also
//    sets SO_REUSEADDR) bind and listen there, while the kernel never hands the reserved port
//    to anyone else's bind(port 0) in between. The reservation is closed once tinyproxy logs
//    "Accepting connections". Should tinyproxy still fail to bind ("Could not create listening
//    sockets", exit 71), it is started again on a new port (up to 5 times).
//  - Readiness and log waits are event-driven: inotify on the private directory (each line
//    tinyproxy writes is an IN_MODIFY) and a pidfd for the process's exit, under poll() with a
//    deadline. No sleeps. (Without inotify or pidfd they fall back to polling every 20 ms.)
//  - The process gets PR_SET_PDEATHSIG SIGKILL: if the test binary dies (crash, ctest timeout)
//    tinyproxy dies with it. That signal fires when the THREAD that constructed the object
//    exits, so construct it on a thread that outlives it (the test's own thread).
//  - Thread-safety: the const accessors (port, url, log, connects, ...) may be called from any
//    thread. wait_* and stop() must not run concurrently with each other or with destruction.
//  - Linux only (inotify, pidfd, /proc-free); that is where the tests run.

#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace apig::test {

/// `BasicAuth user password`: both non-empty, made of [A-Za-z0-9._-] only.
struct proxy_credentials {
    std::string user{};
    std::string password{};
};

struct tinyproxy_options {
    /// Require Basic proxy authentication with these credentials. Default: none (open proxy).
    std::optional<proxy_credentials> basic_auth{};
    /// CONNECT targets the proxy refuses with "403 Filtered": "host" (any port) or "host:port"
    /// ("[v6]:port" for IPv6), matched exactly and case-insensitively against the request's
    /// target. Implemented with tinyproxy's Filter file (FilterURLs On, FilterType ere).
    std::vector<std::string> deny{};
    /// Non-empty: the ONLY targets the proxy lets through (same syntax as `deny`); every other
    /// one gets "403 Filtered" (FilterDefaultDeny Yes). Cannot be combined with `deny`.
    std::vector<std::string> allow_only{};
    /// Non-empty: CONNECT only to these ports; any other port gets "403 Access violation"
    /// (tinyproxy's ConnectPort). Default: every port.
    std::vector<std::uint16_t> connect_ports{};
    /// tinyproxy's MaxClients (concurrent connections). Default: tinyproxy's own (100).
    std::optional<unsigned> max_clients{};
    /// tinyproxy's Timeout: seconds of inactivity before it closes a connection. Default 60.
    unsigned idle_timeout_seconds = 60;
    /// Extra config lines, appended verbatim (an escape hatch; a line tinyproxy rejects makes
    /// the constructor throw with tinyproxy's message).
    std::vector<std::string> extra_config{};
    /// The tinyproxy executable. Empty: `tinyproxy` found on PATH, else /usr/bin/tinyproxy.
    std::string executable{};
    /// How long to wait for tinyproxy to start listening (per attempt).
    std::chrono::milliseconds start_timeout{10000};
};

/// One running tinyproxy process (see the file comment). Not copyable or movable.
class tinyproxy {
public:
    /// Starts tinyproxy and returns once it accepts connections. Throws std::invalid_argument
    /// for bad options, std::runtime_error if tinyproxy is missing (the message says to run
    /// scripts/deps.sh), rejects the config, exits or does not get ready in time (the message
    /// carries its stderr and log).
    explicit tinyproxy(tinyproxy_options opts = {}) : opts_(std::move(opts)) {
        validate();
        exe_ = find_executable(opts_.executable);
        dir_ = make_private_dir();
        try {
            start();
        } catch (...) {
            stop();
            cleanup();
            throw;
        }
    }

    tinyproxy(tinyproxy const&) = delete;
    tinyproxy& operator=(tinyproxy const&) = delete;

    /// Stops the process (stop()) and removes the private directory with its log.
    ~tinyproxy() {
        stop();
        cleanup();
    }

    std::uint16_t port() const noexcept { return port_; }
    /// "127.0.0.1:<port>".
    std::string authority() const { return "127.0.0.1:" + std::to_string(port_); }
    /// "http://127.0.0.1:<port>".
    std::string url() const { return "http://" + authority(); }
    /// "http://user:password@127.0.0.1:<port>" with basic_auth (the allowed characters need no
    /// percent-encoding), else url().
    std::string url_with_credentials() const {
        if (!opts_.basic_auth) return url();
        return "http://" + opts_.basic_auth->user + ":" + opts_.basic_auth->password + "@" + authority();
    }
    /// The value of a `Proxy-Authorization` header with the right credentials ("Basic ..."),
    /// or "" without basic_auth.
    std::string proxy_authorization() const {
        if (!opts_.basic_auth) return {};
        return "Basic " + base64(opts_.basic_auth->user + ":" + opts_.basic_auth->password);
    }
    /// The process id (for tests that check it is gone after destruction).
    pid_t pid() const noexcept { return pid_; }
    /// The private directory (config, log, stderr); removed by the destructor.
    std::filesystem::path const& directory() const noexcept { return dir_; }

    /// The whole log so far (read from the file; "" before the first line).
    std::string log() const { return read_file(log_path()); }
    /// What tinyproxy wrote to stdout/stderr (startup errors).
    std::string stderr_text() const { return read_file(dir_ / "stderr.txt"); }

    /// The target ("host:port") of every CONNECT request tinyproxy has read so far, in order,
    /// whether it then let it through or refused it (credentials, filters, ConnectPort).
    std::vector<std::string> connects() const {
        std::vector<std::string> out;
        for (auto const& line : complete_lines(log())) {
            static constexpr std::string_view marker = "]: Request (file descriptor ";
            auto const at = line.find(marker);
            if (at == std::string::npos) continue;
            auto const colon = line.find("): ", at + marker.size());
            if (colon == std::string::npos) continue;
            std::string_view req(line);
            req.remove_prefix(colon + 3);
            if (!req.starts_with("CONNECT ")) continue;
            req.remove_prefix(8);
            out.emplace_back(req.substr(0, req.find(' ')));
        }
        return out;
    }

    /// The host of every tunnel tinyproxy opened to its target ("Established connection to
    /// host ..."), in order. (tinyproxy logs no port there.)
    std::vector<std::string> established() const {
        std::vector<std::string> out;
        for (auto const& line : complete_lines(log())) {
            static constexpr std::string_view marker = "]: Established connection to host \"";
            auto const at = line.find(marker);
            if (at == std::string::npos) continue;
            auto const begin = at + marker.size();
            auto const end = line.find('"', begin);
            if (end != std::string::npos) out.push_back(line.substr(begin, end - begin));
        }
        return out;
    }

    /// Waits until `pred(log())` is true; false if `timeout` passes or tinyproxy exits first.
    /// Event-driven (inotify + pidfd under poll), no sleeps.
    bool wait_until(std::function<bool(std::string const& log)> const& pred,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
        return wait_event([&] { return pred(log()); }, std::chrono::steady_clock::now() + timeout);
    }
    /// Waits until the log contains `needle`.
    bool wait_for_log(std::string_view needle, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
        return wait_until([needle](std::string const& l) { return l.find(needle) != std::string::npos; }, timeout);
    }
    /// Waits until connects() has at least `n` entries.
    bool wait_for_connects(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
        return wait_until([this, n](std::string const&) { return connects().size() >= n; }, timeout);
    }

    /// true while the process has not exited.
    bool running() { return !reap(false); }

    /// Stops tinyproxy: SIGTERM, up to 5 s for it to exit, then SIGKILL; always reaps it.
    /// Idempotent. The log stays readable until destruction.
    void stop() noexcept {
        if (pid_ > 0 && !reaped_) {
            ::kill(pid_, SIGTERM);  // not reaped yet: pid_ cannot have been reused
            wait_event([] { return false; }, std::chrono::steady_clock::now() + std::chrono::seconds(5));
            if (!reaped_) {
                ::kill(pid_, SIGKILL);
                reap(true);
            }
        }
        close_fd(pidfd_);
    }

private:
    static constexpr int max_attempts = 5;
    static constexpr int exit_bind_failed = 71;  // tinyproxy: "Could not create listening sockets."

    // ---- options and set-up ----

    static bool token_ok(std::string const& s) {
        return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
            return std::isalnum(c) || c == '.' || c == '_' || c == '-';
        });
    }

    static void check_target(std::string const& t, char const* field) {
        bool const ok = !t.empty() && std::all_of(t.begin(), t.end(), [](unsigned char c) {
            return c > 0x20 && c < 0x7f && c != '"';
        });
        if (!ok)
            throw std::invalid_argument(std::string("tinyproxy_options::") + field +
                                        ": an entry is empty or has a space, quote or control character");
    }

    void validate() const {
        if (opts_.basic_auth && (!token_ok(opts_.basic_auth->user) || !token_ok(opts_.basic_auth->password)))
            throw std::invalid_argument(
                "tinyproxy_options::basic_auth: user and password must be non-empty and made of "
                "[A-Za-z0-9._-] only (tinyproxy's BasicAuth grammar)");
        if (!opts_.deny.empty() && !opts_.allow_only.empty())
            throw std::invalid_argument("tinyproxy_options: deny and allow_only cannot be combined");
        for (auto const& t : opts_.deny) check_target(t, "deny");
        for (auto const& t : opts_.allow_only) check_target(t, "allow_only");
        for (auto p : opts_.connect_ports)
            if (p == 0) throw std::invalid_argument("tinyproxy_options::connect_ports: port 0");
        for (auto const& l : opts_.extra_config)
            if (l.find('\n') != std::string::npos || l.find('\r') != std::string::npos)
                throw std::invalid_argument("tinyproxy_options::extra_config: a line has a line break");
        if (opts_.idle_timeout_seconds == 0)
            throw std::invalid_argument("tinyproxy_options::idle_timeout_seconds: 0");
    }

    static std::string find_executable(std::string const& configured) {
        auto executable = [](std::string const& p) { return !p.empty() && ::access(p.c_str(), X_OK) == 0; };
        if (!configured.empty()) {
            if (executable(configured)) return configured;
            throw std::runtime_error("tinyproxy not found at " + configured + " (tinyproxy_options::executable): " + install_hint());
        }
        if (char const* path = std::getenv("PATH")) {
            std::string_view rest(path);
            while (!rest.empty()) {
                auto const colon = rest.find(':');
                std::string dir(rest.substr(0, colon));
                rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
                if (dir.empty()) continue;
                if (auto candidate = dir + "/tinyproxy"; executable(candidate)) return candidate;
            }
        }
        if (executable("/usr/bin/tinyproxy")) return "/usr/bin/tinyproxy";
        throw std::runtime_error("tinyproxy not found (looked on PATH and at /usr/bin/tinyproxy): " + install_hint());
    }

    static std::string install_hint() {
        return "the proxy tests run the real tinyproxy; install it with scripts/deps.sh (as root; "
               "Debian package `tinyproxy`)";
    }

    static std::filesystem::path make_private_dir() {
        std::error_code ec;
        auto base = std::filesystem::temp_directory_path(ec);
        if (ec) base = "/tmp";
        std::string templ = (base / "apig-tinyproxy-XXXXXX").string();
        if (::mkdtemp(templ.data()) == nullptr)
            throw std::runtime_error("tinyproxy harness: mkdtemp(" + templ + "): " + std::strerror(errno));
        return templ;
    }

    std::filesystem::path log_path() const { return dir_ / "tinyproxy.log"; }

    // One ERE per target: "host" matches any port, "host:port" that port only; an optional
    // scheme and path so a plain-HTTP absolute URL to the same place matches too.
    static std::string filter_regex(std::string const& target) {
        std::string host = target, port;
        if (auto const colon = target.rfind(':'); colon != std::string::npos && colon + 1 < target.size() &&
            std::all_of(target.begin() + static_cast<std::ptrdiff_t>(colon) + 1, target.end(),
                        [](unsigned char c) { return std::isdigit(c); }) &&
            (target.front() != '[' || target[colon - 1] == ']') &&
            (target.front() == '[' || target.find(':') == colon)) {
            host = target.substr(0, colon);
            port = target.substr(colon + 1);
        }
        std::string re = "^([a-z]+://)?";
        for (char c : host) {
            if (std::strchr(".[]()*+?{}|^$\\", c) != nullptr) re += '\\';
            re += c;
        }
        re += port.empty() ? std::string("(:[0-9]+)?") : ":" + port;
        re += "(/|$)";
        return re;
    }

    void write_config(std::uint16_t port) const {
        std::ostringstream c;
        c << "# generated by test/integration/tinyproxy.hpp\n"
          << "Port " << port << "\n"
          << "Listen 127.0.0.1\n"
          << "Timeout " << opts_.idle_timeout_seconds << "\n"
          << "LogFile \"" << log_path().string() << "\"\n"
          << "LogLevel Info\n";
        if (opts_.max_clients) c << "MaxClients " << *opts_.max_clients << "\n";
        if (opts_.basic_auth) c << "BasicAuth " << opts_.basic_auth->user << " " << opts_.basic_auth->password << "\n";
        for (auto p : opts_.connect_ports) c << "ConnectPort " << p << "\n";
        auto const& targets = opts_.deny.empty() ? opts_.allow_only : opts_.deny;
        if (!targets.empty()) {
            std::ofstream f(dir_ / "filter", std::ios::trunc);
            for (auto const& t : targets) f << filter_regex(t) << "\n";
            if (!f) throw std::runtime_error("tinyproxy harness: cannot write the filter file");
            c << "Filter \"" << (dir_ / "filter").string() << "\"\n"
              << "FilterURLs On\n"
              << "FilterType ere\n";
            if (!opts_.allow_only.empty()) c << "FilterDefaultDeny Yes\n";
        }
        for (auto const& l : opts_.extra_config) c << l << "\n";
        std::ofstream f(dir_ / "tinyproxy.conf", std::ios::trunc);
        f << c.str();
        if (!f) throw std::runtime_error("tinyproxy harness: cannot write the config file");
    }

    // ---- process ----

    // Binds 127.0.0.1:0 with SO_REUSEADDR (never listens) and returns the fd and port.
    static std::pair<int, std::uint16_t> reserve_port() {
        int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) throw std::runtime_error(std::string("tinyproxy harness: socket: ") + std::strerror(errno));
        int one = 1;
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = 0;
        socklen_t len = sizeof a;
        if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
            int const e = errno;
            ::close(fd);
            throw std::runtime_error(std::string("tinyproxy harness: reserving a port: ") + std::strerror(e));
        }
        return {fd, ntohs(a.sin_port)};
    }

    void start() {
        inotify_fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (inotify_fd_ >= 0 &&
            ::inotify_add_watch(inotify_fd_, dir_.c_str(), IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO) < 0)
            close_fd(inotify_fd_);

        std::string failures;
        for (int attempt = 1; attempt <= max_attempts; ++attempt) {
            auto [reservation, port] = reserve_port();
            try {
                write_config(port);
                std::filesystem::remove(log_path());
                spawn();
            } catch (...) {
                ::close(reservation);
                throw;
            }
            bool const ready = wait_event([this] { return log().find("Accepting connections") != std::string::npos; },
                                          std::chrono::steady_clock::now() + opts_.start_timeout);
            ::close(reservation);
            if (ready) {
                port_ = port;
                return;
            }
            std::string const why = describe_failure();
            if (!reaped_) {  // timed out while still running
                stop();
                throw std::runtime_error("tinyproxy did not start listening on 127.0.0.1:" + std::to_string(port) +
                                         " within " + std::to_string(opts_.start_timeout.count()) + " ms" + why);
            }
            close_fd(pidfd_);
            if (!(WIFEXITED(status_) && WEXITSTATUS(status_) == exit_bind_failed))
                throw std::runtime_error("tinyproxy failed to start" + why);
            failures += "\n  port " + std::to_string(port) + ":" + why;
        }
        throw std::runtime_error("tinyproxy could not bind a port in " + std::to_string(max_attempts) +
                                 " attempts:" + failures);
    }

    std::string describe_failure() const {
        std::string s;
        if (reaped_) {
            if (WIFEXITED(status_)) s += " (exit status " + std::to_string(WEXITSTATUS(status_)) + ")";
            else if (WIFSIGNALED(status_)) s += " (killed by signal " + std::to_string(WTERMSIG(status_)) + ")";
            if (WIFEXITED(status_) && WEXITSTATUS(status_) == 127) s += " (exec of " + exe_ + " failed)";
        }
        auto cut = [](std::string t) {
            if (t.size() > 2000) t = "..." + t.substr(t.size() - 2000);
            return t;
        };
        if (auto e = stderr_text(); !e.empty()) s += "; stderr: " + cut(e);
        if (auto l = log(); !l.empty()) s += "; log: " + cut(l);
        return s;
    }

    void spawn() {
        // Everything the child needs is prepared before fork: it only makes async-signal-safe
        // calls (the test binary has other threads).
        std::string const conf = (dir_ / "tinyproxy.conf").string();
        std::string const err = (dir_ / "stderr.txt").string();
        std::vector<char*> argv{const_cast<char*>(exe_.c_str()), const_cast<char*>("-d"),
                                const_cast<char*>("-c"), const_cast<char*>(conf.c_str()), nullptr};
        pid_t const parent = ::getpid();
        reaped_ = false;
        status_ = 0;
        pid_t const pid = ::fork();
        if (pid < 0) throw std::runtime_error(std::string("tinyproxy harness: fork: ") + std::strerror(errno));
        if (pid == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (::getppid() != parent) ::_exit(126);  // the parent died already
            sigset_t none;
            sigemptyset(&none);
            ::sigprocmask(SIG_SETMASK, &none, nullptr);
            int const in = ::open("/dev/null", O_RDONLY);
            int const out = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            if (in < 0 || out < 0) ::_exit(125);
            ::dup2(in, 0);
            ::dup2(out, 1);
            ::dup2(out, 2);
            // Close everything else (the test's sockets, the port reservation) in tinyproxy.
#ifdef SYS_close_range
            if (::syscall(SYS_close_range, 3U, ~0U, 0U) != 0)
#endif
                for (int fd = 3; fd < 65536; ++fd) ::close(fd);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        pid_ = pid;
#ifdef SYS_pidfd_open
        pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#endif
    }

    // Reaps the child if it has exited (blocking: waits for it). Returns true once reaped.
    bool reap(bool blocking) noexcept {
        if (reaped_ || pid_ <= 0) return true;
        int st = 0;
        pid_t r;
        do r = ::waitpid(pid_, &st, blocking ? 0 : WNOHANG);
        while (r < 0 && errno == EINTR);
        if (r == pid_ || (r < 0 && errno == ECHILD)) {
            reaped_ = true;
            status_ = st;
        }
        return reaped_;
    }

    // Waits until done(), the child's exit, or the deadline; returns done() at the end.
    template <class Done>
    bool wait_event(Done&& done, std::chrono::steady_clock::time_point deadline) noexcept {
        for (;;) {
            try {
                if (done()) return true;
            } catch (...) {
                return false;
            }
            if (reap(false)) {
                try {
                    return done();  // a last look: the process may have written it before exiting
                } catch (...) {
                    return false;
                }
            }
            auto const now = std::chrono::steady_clock::now();
            if (now >= deadline) return false;
            auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
            pollfd fds[2];
            nfds_t n = 0;
            if (inotify_fd_ >= 0) fds[n++] = pollfd{inotify_fd_, POLLIN, 0};
            if (pidfd_ >= 0) fds[n++] = pollfd{pidfd_, POLLIN, 0};
            if (inotify_fd_ < 0 || pidfd_ < 0) left = std::min<decltype(left)>(left, 20);  // fallback: poll
            ::poll(fds, n, static_cast<int>(std::min<decltype(left)>(left, 60000)));
            if (inotify_fd_ >= 0) {  // drain; the loop re-reads the log anyway
                alignas(inotify_event) char buf[4096];
                while (::read(inotify_fd_, buf, sizeof buf) > 0) {}
            }
        }
    }

    // ---- files ----

    static std::string read_file(std::filesystem::path const& p) {
        std::ifstream f(p, std::ios::binary);
        if (!f) return {};
        return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    }

    // The lines ending in '\n' (a line still being written is left out).
    static std::vector<std::string> complete_lines(std::string const& text) {
        std::vector<std::string> out;
        std::size_t begin = 0;
        for (std::size_t nl; (nl = text.find('\n', begin)) != std::string::npos; begin = nl + 1)
            out.push_back(text.substr(begin, nl - begin));
        return out;
    }

    static std::string base64(std::string_view in) {
        static constexpr char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        std::string out;
        std::size_t i = 0;
        for (; i + 2 < in.size(); i += 3) {
            unsigned const v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8 | (unsigned char)in[i + 2];
            out += {tbl[v >> 18], tbl[(v >> 12) & 63], tbl[(v >> 6) & 63], tbl[v & 63]};
        }
        if (i + 1 == in.size()) {
            unsigned const v = (unsigned char)in[i] << 16;
            out += {tbl[v >> 18], tbl[(v >> 12) & 63], '=', '='};
        } else if (i + 2 == in.size()) {
            unsigned const v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8;
            out += {tbl[v >> 18], tbl[(v >> 12) & 63], tbl[(v >> 6) & 63], '='};
        }
        return out;
    }

    static void close_fd(int& fd) noexcept {
        if (fd >= 0) ::close(fd);
        fd = -1;
    }

    void cleanup() noexcept {
        close_fd(inotify_fd_);
        close_fd(pidfd_);
        if (!dir_.empty()) {
            std::error_code ec;
            std::filesystem::remove_all(dir_, ec);
        }
    }

    tinyproxy_options opts_;
    std::string exe_;
    std::filesystem::path dir_;
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
    int pidfd_ = -1;
    int inotify_fd_ = -1;
    bool reaped_ = false;
    int status_ = 0;
};

}  // namespace apig::test
