// apig-emulator: the ListInstancesV2 emulator as a standalone HTTPS server, for trying the
// CLI by hand and for benchmarks. Prints one line with the endpoint (scripts read the port
// from it), then serves until SIGINT or SIGTERM.

#include <apig/emulator.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr std::string_view usage = R"help(usage: apig-emulator [options]

Serves GET /v2/{project_id}/apigw/instances (Huawei Cloud APIG ListInstancesV2) over HTTPS
from a deterministic dataset, until SIGINT or SIGTERM.

  --address ADDR        address to bind (default 127.0.0.1)
  --port N              port to bind; 0 picks a free one (default 0; printed on start)
  --project-id ID       a project to serve; repeatable
                        (default 73d69ae0cfcf460190522d06b60f05ad)
  --token TOKEN         the accepted X-Auth-Token (default: $APIG_EMULATOR_TOKEN, else
                        emulator-token); prefer the variable: arguments are visible to others
  --ak AK --sk SK       an AK/SK pair accepted for SDK-HMAC-SHA256 signed requests; repeat
                        the pair for more keys. $APIG_EMULATOR_AK with $APIG_EMULATOR_SK (and
                        $APIG_EMULATOR_SECURITY_TOKEN) add one more; prefer the variables for
                        the SK. Default: none (signed requests get 401 APIGW.0301)
  --security-token T    makes the preceding --ak a temporary key: its requests must carry
                        (and sign) exactly this X-Security-Token
  --instances N         instances per project (default 100)
  --seed N              dataset seed (default 1)
  --threads N           server threads (default 1)
  --max-tls V           highest TLS version accepted: 1.2 or 1.3 (default 1.3); on exit,
                        the counts of handshakes and resumed handshakes go to stderr
  --no-session-tickets  issue no session tickets (TLS 1.2 resumes by session id)
  --write-ca PATH       write the CA certificate clients must trust (PEM)
  --cert PATH           server certificate chain (PEM) instead of a generated one; needs --key
  --key PATH            server private key (PEM)
  --ca PATH             the CA of --cert (what --write-ca writes)
  --idle-timeout-ms N   close connections idle this long (default 60000)
  --max-requests-per-connection N
                        close a connection after N requests (default 0: no limit)
  --help                show this help

Fault injection (for testing clients). Faults apply to authenticated GETs of the instances
path that would otherwise succeed (200), in this order: --fail-first, then independent
draws for 500, 503, reset, truncate, malformed (the first hit wins), then the delay.
  --p500 P              answer 500 APIC.9000 with probability P (0..1; default 0)
  --p503 P              answer 503 APIG.1009 with Retry-After, probability P
  --retry-after S       the Retry-After of injected 503s, seconds (default 1)
  --preset P            send headers and half the body, then reset the TCP connection
  --ptruncate P         send a 200 with the full Content-Length but half the body, then
                        close the connection cleanly
  --pmalformed P        send a 200 whose body is invalid JSON (the instances array's "]"
                        left out; Content-Length correct)
  --delay-ms N          wait N ms before answering (default 0)
  --delay-jitter-ms N   plus a uniform random 0..N ms (default 0)
  --close-after K       close each connection after its K-th response (any status),
                        without "Connection: close" (default 0: never)
  --fail-first K        answer the first K requests of each (project, offset, limit) with
                        --fail-first-status (default 0: off)
  --fail-first-status S 400..599 (default 500; 503 comes with Retry-After)
  --fault-seed N        seed of the fault draws (default 0); same seed, same faults

A changing list (for testing offset paging's consistency): after every 200 page of a
project, delete K instances of that project's list, then insert K new ones (fresh ids,
never reused). A sequential offset walk then skips an instance per deletion at the front
and repeats one per insertion at the front; `total` follows the list.
  --mutate-insert K     insert K new instances after each page (default 0)
  --mutate-delete K     delete K instances after each page (default 0; stops at empty)
  --mutate-at WHERE     front, random or back (default front)
  --mutate-seed N       seed of the random positions (default 0)

IAM and the metadata service (the other side of credential discovery):
  --iam-project ID=REGION
                        a project IAM lists for GET /v3/projects?name=REGION (signed like
                        the instances path, or the token); repeatable. Default: each
                        --project-id, named cn-north-4
  --metadata            serve the ECS metadata service and the pod identity agent over
                        plain HTTP on 127.0.0.1 (printed on start); every key they issue
                        is a temporary key the server accepts until it expires
  --metadata-port N     its port (default 0: a free one)
  --metadata-token-mode M
                        required (default), optional, 404 or 405: whether
                        /openstack/latest/securitykey needs an X-Metadata-Token from
                        PUT /meta-data/latest/api/token, or that PUT answers 404 / 405
  --key-lifetime S      lifetime of each issued key, seconds (default 3600)
  --metadata-delay-ms N wait N ms before each metadata answer (default 0)
  --pod-token TOKEN     the pod identity agent's Authorization for POST /v1/credentials
                        (default: $APIG_EMULATOR_POD_TOKEN, else
                        emulator-pod-token-0123456789); prefer the variable
  --no-agency           securitykey answers 401 "Please configure Cloud Service Agency
                        first"

Authentication: a request with an Authorization header is checked as AK/SK signing alone
(X-Sdk-Date within 15 minutes of the server's clock; host and x-sdk-date signed); any other
request needs the X-Auth-Token. An X-Project-Id header must match the path's project (403).

Prints "apig-emulator listening on https://ADDR:PORT (...)" once listening; with --metadata,
"metadata: http://127.0.0.1:PORT" comes just before it (the listening line is the last).
)help";

struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::uint64_t to_number(std::string_view flag, std::string_view text, std::uint64_t max) {
    std::uint64_t v = 0;
    auto const r = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || r.ec != std::errc{} || r.ptr != text.data() + text.size() || v > max)
        throw usage_error(std::string(flag) + ": not a number in range: " + std::string(text));
    return v;
}

double to_probability(std::string_view flag, std::string_view text) {
    double v = 0;
    auto const r = std::from_chars(text.data(), text.data() + text.size(), v);
    // Written so that NaN fails too.
    if (text.empty() || r.ec != std::errc{} || r.ptr != text.data() + text.size() ||
        !(v >= 0.0 && v <= 1.0))
        throw usage_error(std::string(flag) + ": not a probability in [0, 1]: " +
                          std::string(text));
    return v;
}

std::string read_file(std::string const& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

int main(int argc, char** argv) {
    apig::emulator::options opts;
    // An executable may run for hours under a benchmark: keep memory bounded.
    opts.record_requests = false;
    if (char const* env = std::getenv("APIG_EMULATOR_TOKEN"); env != nullptr && *env != '\0')
        opts.token = env;
    if (char const* env = std::getenv("APIG_EMULATOR_POD_TOKEN"); env != nullptr && *env != '\0')
        opts.metadata.pod_token = env;
    auto env_value = [](char const* name) {
        char const* v = std::getenv(name);
        return std::string(v != nullptr ? v : "");
    };
    // AK/SK pairs; a key's SK and security token follow its AK.
    std::vector<apig::emulator::access_key> keys;
    bool have_sk = true;     // the last --ak has its --sk
    bool have_token = true;  // the last --ak has its --security-token
    std::vector<std::string> projects;
    std::string write_ca, cert_path, key_path, ca_path;

    try {
        std::vector<std::string_view> args(argv + 1, argv + argc);
        for (std::size_t i = 0; i < args.size(); ++i) {
            std::string_view arg = args[i];
            if (arg == "--help" || arg == "-h") {
                std::cout << usage;
                return 0;
            }
            // --flag VALUE and --flag=VALUE
            std::string_view value;
            bool has_inline = false;
            if (auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
                value = arg.substr(eq + 1);
                arg = arg.substr(0, eq);
                has_inline = true;
            }
            auto next = [&]() -> std::string_view {
                if (has_inline) return value;
                if (i + 1 >= args.size()) throw usage_error(std::string(arg) + " needs a value");
                return args[++i];
            };
            if (arg == "--address") {
                opts.address = next();
            } else if (arg == "--port") {
                opts.port = static_cast<std::uint16_t>(to_number(arg, next(), 65535));
            } else if (arg == "--project-id") {
                projects.emplace_back(next());
            } else if (arg == "--token") {
                opts.token = next();
            } else if (arg == "--ak") {
                if (!have_sk) throw usage_error("--ak: the previous --ak has no --sk");
                keys.push_back({.ak = std::string(next())});
                have_sk = false;
                have_token = false;
            } else if (arg == "--sk") {
                if (keys.empty() || have_sk) throw usage_error("--sk must follow an --ak");
                keys.back().sk = next();
                have_sk = true;
            } else if (arg == "--security-token") {
                if (keys.empty() || have_token)
                    throw usage_error("--security-token must follow an --ak (once per key)");
                keys.back().security_token = next();
                have_token = true;
            } else if (arg == "--instances") {
                opts.instance_count = static_cast<std::size_t>(
                    to_number(arg, next(), std::uint64_t{1} << 32));
            } else if (arg == "--seed") {
                opts.seed = to_number(arg, next(), std::numeric_limits<std::uint64_t>::max());
            } else if (arg == "--threads") {
                opts.threads = static_cast<std::size_t>(to_number(arg, next(), 256));
                if (opts.threads == 0) throw usage_error("--threads: must be at least 1");
            } else if (arg == "--max-tls") {
                std::string const v(next());
                if (v == "1.2") opts.max_tls_version = 0x0303;
                else if (v == "1.3") opts.max_tls_version = 0x0304;
                else throw usage_error("--max-tls: must be 1.2 or 1.3");
            } else if (arg == "--no-session-tickets") {
                opts.session_tickets = false;
            } else if (arg == "--write-ca") {
                write_ca = next();
            } else if (arg == "--cert") {
                cert_path = next();
            } else if (arg == "--key") {
                key_path = next();
            } else if (arg == "--ca") {
                ca_path = next();
            } else if (arg == "--idle-timeout-ms") {
                opts.idle_timeout = std::chrono::milliseconds(
                    to_number(arg, next(), std::uint64_t{1} << 40));
            } else if (arg == "--max-requests-per-connection") {
                opts.max_requests_per_connection = static_cast<std::size_t>(
                    to_number(arg, next(), std::numeric_limits<std::uint32_t>::max()));
            } else if (arg == "--p500") {
                opts.faults.probability_500 = to_probability(arg, next());
            } else if (arg == "--p503") {
                opts.faults.probability_503 = to_probability(arg, next());
            } else if (arg == "--retry-after") {
                opts.faults.retry_after_seconds =
                    static_cast<unsigned>(to_number(arg, next(), 86400 * 365));
            } else if (arg == "--preset") {
                opts.faults.probability_reset = to_probability(arg, next());
            } else if (arg == "--ptruncate") {
                opts.faults.probability_truncate = to_probability(arg, next());
            } else if (arg == "--pmalformed") {
                opts.faults.probability_malformed_json = to_probability(arg, next());
            } else if (arg == "--delay-ms") {
                opts.faults.delay = std::chrono::milliseconds(
                    to_number(arg, next(), std::uint64_t{1} << 40));
            } else if (arg == "--delay-jitter-ms") {
                opts.faults.delay_jitter = std::chrono::milliseconds(
                    to_number(arg, next(), std::uint64_t{1} << 40));
            } else if (arg == "--close-after") {
                opts.faults.close_after_requests = static_cast<std::size_t>(
                    to_number(arg, next(), std::numeric_limits<std::uint32_t>::max()));
            } else if (arg == "--fail-first") {
                opts.faults.fail_first_per_page = static_cast<std::size_t>(
                    to_number(arg, next(), std::numeric_limits<std::uint32_t>::max()));
            } else if (arg == "--fail-first-status") {
                opts.faults.fail_first_status = static_cast<unsigned>(to_number(arg, next(), 599));
                if (opts.faults.fail_first_status < 400)
                    throw usage_error("--fail-first-status: must be in 400..599");
            } else if (arg == "--fault-seed") {
                opts.faults.seed =
                    to_number(arg, next(), std::numeric_limits<std::uint64_t>::max());
            } else if (arg == "--mutate-insert") {
                opts.mutation.insert_per_request = static_cast<std::size_t>(
                    to_number(arg, next(), std::numeric_limits<std::uint32_t>::max()));
            } else if (arg == "--mutate-delete") {
                opts.mutation.delete_per_request = static_cast<std::size_t>(
                    to_number(arg, next(), std::numeric_limits<std::uint32_t>::max()));
            } else if (arg == "--mutate-at") {
                std::string_view const where = next();
                if (where == "front")
                    opts.mutation.position = apig::emulator::mutation_position::front;
                else if (where == "random")
                    opts.mutation.position = apig::emulator::mutation_position::random;
                else if (where == "back")
                    opts.mutation.position = apig::emulator::mutation_position::back;
                else
                    throw usage_error("--mutate-at: front, random or back, not " +
                                      std::string(where));
            } else if (arg == "--mutate-seed") {
                opts.mutation.seed =
                    to_number(arg, next(), std::numeric_limits<std::uint64_t>::max());
            } else if (arg == "--iam-project") {
                std::string_view const v = next();
                auto const eq = v.find('=');
                if (eq == std::string_view::npos || eq == 0 || eq + 1 == v.size())
                    throw usage_error("--iam-project: expected ID=REGION, not " +
                                      std::string(v));
                opts.iam_projects.push_back(
                    {std::string(v.substr(0, eq)), std::string(v.substr(eq + 1))});
            } else if (arg == "--metadata") {
                if (has_inline) throw usage_error("--metadata takes no value");
                opts.metadata.enabled = true;
            } else if (arg == "--metadata-port") {
                opts.metadata.port = static_cast<std::uint16_t>(to_number(arg, next(), 65535));
            } else if (arg == "--metadata-token-mode") {
                std::string_view const mode = next();
                using apig::emulator::metadata_token_mode;
                if (mode == "required")
                    opts.metadata.token_mode = metadata_token_mode::required;
                else if (mode == "optional")
                    opts.metadata.token_mode = metadata_token_mode::optional;
                else if (mode == "404")
                    opts.metadata.token_mode = metadata_token_mode::unsupported_404;
                else if (mode == "405")
                    opts.metadata.token_mode = metadata_token_mode::unsupported_405;
                else
                    throw usage_error("--metadata-token-mode: required, optional, 404 or 405, "
                                      "not " + std::string(mode));
            } else if (arg == "--key-lifetime") {
                opts.metadata.key_lifetime =
                    std::chrono::seconds(to_number(arg, next(), std::uint64_t{1} << 32));
                if (opts.metadata.key_lifetime.count() == 0)
                    throw usage_error("--key-lifetime: must be at least 1");
            } else if (arg == "--metadata-delay-ms") {
                opts.metadata.delay = std::chrono::milliseconds(
                    to_number(arg, next(), std::uint64_t{1} << 40));
            } else if (arg == "--pod-token") {
                opts.metadata.pod_token = next();
            } else if (arg == "--no-agency") {
                if (has_inline) throw usage_error("--no-agency takes no value");
                opts.metadata.agency_configured = false;
            } else {
                throw usage_error("unknown option: " + std::string(arg));
            }
        }
        if (!projects.empty()) opts.project_ids = projects;
        if (!have_sk) throw usage_error("--ak: missing its --sk");
        std::string const env_ak = env_value("APIG_EMULATOR_AK");
        std::string const env_sk = env_value("APIG_EMULATOR_SK");
        if (env_ak.empty() != env_sk.empty())
            throw usage_error("APIG_EMULATOR_AK and APIG_EMULATOR_SK go together");
        if (!env_ak.empty())
            keys.push_back({.ak = env_ak,
                            .sk = env_sk,
                            .security_token = env_value("APIG_EMULATOR_SECURITY_TOKEN")});
        opts.access_keys = std::move(keys);
        if (opts.token.empty()) throw usage_error("--token: must not be empty");
        if (opts.metadata.pod_token.empty())
            throw usage_error("--pod-token: must not be empty");
        if (cert_path.empty() != key_path.empty())
            throw usage_error("--cert and --key go together");
        if (!ca_path.empty() && cert_path.empty())
            throw usage_error("--ca needs --cert and --key");
    } catch (usage_error const& e) {
        std::cerr << "apig-emulator: " << e.what() << "\n(see --help)\n";
        return 2;
    }

    try {
        if (!cert_path.empty()) {
            apig::emulator::tls_material tls;
            tls.server_cert_pem = read_file(cert_path);
            tls.server_key_pem = read_file(key_path);
            if (!ca_path.empty()) tls.ca_cert_pem = read_file(ca_path);
            opts.tls = std::move(tls);
        }

        // Signals are hooked before the server starts, so a SIGTERM sent as soon as the
        // port is printed is never lost.
        boost::asio::io_context main_ioc;
        boost::asio::signal_set signals(main_ioc, SIGINT, SIGTERM);

        apig::emulator::server srv(opts);
        if (!write_ca.empty()) {
            if (srv.ca_pem().empty())
                throw std::runtime_error("--write-ca: no CA certificate (use --ca with --cert)");
            srv.write_ca_pem(write_ca);
        }

        if (opts.metadata.enabled) {
            std::cout << "metadata: " << srv.metadata_endpoint() << " (token mode "
                      << apig::emulator::to_string(opts.metadata.token_mode) << ", keys for "
                      << opts.metadata.key_lifetime.count() << " s"
                      << (opts.metadata.agency_configured ? "" : ", no agency") << ")\n";
        }
        std::cout << "apig-emulator listening on " << srv.endpoint() << " (";
        if (opts.project_ids.size() == 1) {
            std::cout << "project " << opts.project_ids.front() << ", " << opts.instance_count
                      << " instances)";
        } else {
            std::cout << "projects";
            char const* sep = " ";
            for (auto const& p : opts.project_ids) {
                std::cout << sep << p;
                sep = ", ";
            }
            std::cout << ", " << opts.instance_count << " instances each)";
        }
        if (auto const& m = opts.mutation; m.insert_per_request != 0 || m.delete_per_request != 0)
            std::cout << "; after each page: -" << m.delete_per_request << " +"
                      << m.insert_per_request << " at "
                      << apig::emulator::to_string(m.position);
        if (!opts.access_keys.empty())
            std::cout << "; " << opts.access_keys.size() << " AK/SK key"
                      << (opts.access_keys.size() == 1 ? "" : "s");
        std::cout << std::endl;  // flush: scripts wait for this line

        signals.async_wait([&](boost::system::error_code const&, int) { srv.stop(); });
        main_ioc.run();
        std::cerr << "apig-emulator: " << srv.connections_accepted() << " connections, "
                  << srv.handshakes() << " TLS handshakes (" << srv.resumed_handshakes()
                  << " resumed), " << srv.requests_served() << " requests\n";
        return 0;
    } catch (std::exception const& e) {
        std::cerr << "apig-emulator: " << e.what() << '\n';
        return 1;
    }
}
