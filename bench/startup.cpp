// apig-startup: what a client costs to construct, and what a new connection's TLS handshake
// costs the client, full and resumed. Prints one JSON line.
//
//  - Construction: the 1st client, then clients 2..N (all kept alive, as a service holding a
//    client per project would), with the system trust store on and --ca as an extra CA, as a
//    real service configures it: microseconds of wall time each (the 1st, and the median and
//    max of the others).
//  - Handshakes, against a running emulator (--endpoint, --ca): M calls, each on a new
//    connection (pool.max_requests_per_connection = 1), with tls.session_resumption off and
//    then on, and M calls on one kept-alive connection: the client's CPU time (user + system,
//    getrusage) per call. The handshake's own CPU is the difference from the kept-alive
//    call's; `resumed` counts the resumed handshakes (client_stats).
//
// The token comes from $APIG_AUTH_TOKEN, else $APIG_EMULATOR_TOKEN, else "emulator-token".

#include <apig/client.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace asio = boost::asio;

namespace {

constexpr std::string_view usage = R"(usage: apig-startup --endpoint https://127.0.0.1:PORT --ca CA.pem [options]
  --clients N       clients to construct (default 100)
  --connections M   new connections per handshake measurement (default 200)
  --project-id ID   (default 73d69ae0cfcf460190522d06b60f05ad)
The token: $APIG_AUTH_TOKEN, else $APIG_EMULATOR_TOKEN, else "emulator-token".
)";

struct config {
    std::string endpoint, ca, project_id = "73d69ae0cfcf460190522d06b60f05ad";
    std::size_t clients = 100, connections = 200;
};

std::size_t to_number(std::string_view flag, std::string_view text) {
    std::size_t v = 0;
    auto const r = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || r.ec != std::errc{} || r.ptr != text.data() + text.size() || v == 0)
        throw std::invalid_argument(std::string(flag) + ": not a positive number: " + std::string(text));
    return v;
}

config parse(int argc, char** argv) {
    config c;
    std::vector<std::string_view> args(argv + 1, argv + argc);
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string_view const a = args[i];
        auto next = [&]() -> std::string_view {
            if (i + 1 >= args.size()) throw std::invalid_argument(std::string(a) + " needs a value");
            return args[++i];
        };
        if (a == "--help" || a == "-h") {
            std::fputs(usage.data(), stdout);
            std::exit(0);
        } else if (a == "--endpoint") {
            c.endpoint = next();
        } else if (a == "--ca") {
            c.ca = next();
        } else if (a == "--clients") {
            c.clients = to_number(a, next());
        } else if (a == "--connections") {
            c.connections = to_number(a, next());
        } else if (a == "--project-id") {
            c.project_id = next();
        } else {
            throw std::invalid_argument("unknown option: " + std::string(a));
        }
    }
    if (c.endpoint.empty() || c.ca.empty()) throw std::invalid_argument("--endpoint and --ca are required");
    return c;
}

std::string token_from_env() {
    for (char const* name : {"APIG_AUTH_TOKEN", "APIG_EMULATOR_TOKEN"})
        if (char const* v = std::getenv(name); v != nullptr && *v != '\0') return v;
    return "emulator-token";
}

double cpu_us() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    auto tv = [](timeval t) { return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_usec); };
    return tv(ru.ru_utime) + tv(ru.ru_stime);
}

struct calls_result {
    double cpu_us_per_call = 0;
    std::uint64_t handshakes = 0, resumed = 0;
};

// `n` calls of one instance each, one after the other, on a client made from `o`.
calls_result run_calls(apig::client_options o, std::size_t n) {
    asio::io_context io(1);
    apig::client c(io.get_executor(), std::move(o));
    auto const one = [&] {
        auto f = asio::co_spawn(io, c.list_instances({.offset = 0, .limit = 1}), asio::use_future);
        io.restart();
        io.run();
        (void)f.get();
    };
    one();  // warm-up (and, with resumption on, the first full handshake)
    auto const before = c.stats();
    double const start = cpu_us();
    for (std::size_t i = 0; i < n; ++i) one();
    double const spent = cpu_us() - start;
    auto const after = c.stats();
    return {spent / static_cast<double>(n), after.handshakes - before.handshakes,
            after.resumed_handshakes - before.resumed_handshakes};
}

}  // namespace

int main(int argc, char** argv) {
    config cfg;
    try {
        cfg = parse(argc, argv);
    } catch (std::exception const& e) {
        std::fprintf(stderr, "apig-startup: %s\n(see --help)\n", e.what());
        return 2;
    }
    try {
        apig::client_options o;
        o.endpoint = cfg.endpoint;
        o.project_id = cfg.project_id;
        o.credentials = apig::token_credentials{token_from_env()};
        o.tls.use_system_trust_store = true;  // as a real service: the system store...
        o.tls.ca_file = cfg.ca;               // ...and the emulator's CA as an extra one

        // Construction.
        asio::io_context io(1);
        std::vector<std::unique_ptr<apig::client>> clients;
        std::vector<double> us;
        for (std::size_t i = 0; i < cfg.clients; ++i) {
            auto const t0 = std::chrono::steady_clock::now();
            clients.push_back(std::make_unique<apig::client>(io.get_executor(), o));
            auto const t1 = std::chrono::steady_clock::now();
            us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
        }
        double const first = us.front();
        std::vector<double> rest(us.begin() + 1, us.end());
        std::sort(rest.begin(), rest.end());
        double const median = rest.empty() ? 0.0 : rest[rest.size() / 2];
        double const max = rest.empty() ? 0.0 : rest.back();

        // Handshakes.
        auto fresh = o;
        fresh.pool.max_requests_per_connection = 1;
        auto full_o = fresh;
        full_o.tls.session_resumption = false;
        auto const keepalive = run_calls(o, cfg.connections);
        auto const full = run_calls(full_o, cfg.connections);
        auto const resumed = run_calls(fresh, cfg.connections);

        std::printf(
            "{\"tool\":\"apig-startup\",\"clients\":%zu,\"first_client_us\":%.0f,\"next_clients_median_us\":%.1f,"
            "\"next_clients_max_us\":%.1f,\"connections\":%zu,\"keepalive_call_cpu_us\":%.1f,"
            "\"full_conn_call_cpu_us\":%.1f,\"resumed_conn_call_cpu_us\":%.1f,"
            "\"full_handshake_cpu_us\":%.1f,\"resumed_handshake_cpu_us\":%.1f,"
            "\"full_handshakes\":%llu,\"full_resumed\":%llu,\"resumption_handshakes\":%llu,\"resumed\":%llu}\n",
            cfg.clients, first, median, max, cfg.connections, keepalive.cpu_us_per_call, full.cpu_us_per_call,
            resumed.cpu_us_per_call, full.cpu_us_per_call - keepalive.cpu_us_per_call,
            resumed.cpu_us_per_call - keepalive.cpu_us_per_call, static_cast<unsigned long long>(full.handshakes),
            static_cast<unsigned long long>(full.resumed), static_cast<unsigned long long>(resumed.handshakes),
            static_cast<unsigned long long>(resumed.resumed));
        return 0;
    } catch (std::exception const& e) {
        std::fprintf(stderr, "apig-startup: %s\n", e.what());
        return 1;
    }
}
