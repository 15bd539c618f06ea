#include "cli_options.hpp"
#include "output.hpp"  // sanitize_for_terminal, truncate_to_width

#include <apig/environment.hpp>
#include <apig/region.hpp>

#include <apig/client.hpp>
#include <apig/options.hpp>
#include <apig/pager.hpp>
#include <apig/retry.hpp>

#include "request.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth/signer.hpp"  // apig::auth::trim

namespace apig::cli {
namespace {

/// The largest token file read. IAM tokens are a few KiB (PKI tokens up to ~30 KiB); anything
/// much larger is the wrong file, and reading it whole would be wasteful.
constexpr std::size_t max_token_bytes = std::size_t{1} << 20;

/// --timeout upper bound; also keeps the conversion to milliseconds far from overflow.
constexpr double max_timeout_seconds = 86400.0;

/// A value from the command line quoted for an error message, exactly as typed but made
/// printable (sanitize_for_terminal: controls, bidi overrides and invalid UTF-8 become U+FFFD)
/// and capped at 64 columns ("…" when cut, on a character boundary), so a stray argument can
/// neither garble the terminal nor flood the message.
std::string quote(std::string_view v) {
    constexpr std::size_t max_width = 64;
    return "'" + truncate_to_width(sanitize_for_terminal(v), max_width) + "'";
}

enum class int_parse { ok, not_a_number, out_of_range };

/// Strict integer parsing: the whole string, decimal, optional leading '-'.
template <class T>
int_parse parse_int(std::string_view s, T& out) noexcept {
    if (s.empty()) return int_parse::not_a_number;
    auto const* first = s.data();
    auto const* last = s.data() + s.size();
    auto const [ptr, ec] = std::from_chars(first, last, out);
    if (ec == std::errc::result_out_of_range) return int_parse::out_of_range;
    if (ec != std::errc{} || ptr != last) return int_parse::not_a_number;
    return int_parse::ok;
}

/// The options that take a value. Everything else starting with "--" is a flag or unknown.
bool takes_value(std::string_view name) noexcept {
    static constexpr std::string_view with_value[] = {
        "--endpoint", "--region",      "--project-id",  "--token-file",      "--ca-file",
        "--offset",   "--limit",       "--instance-id",     "--instance-name",
        "--status",   "--format",      "--max-attempts",    "--timeout",
        "--max-connections", "--concurrency", "--proxy",       "--no-proxy",
        "--rate",     "--burst"};
    return std::find(std::begin(with_value), std::end(with_value), name) != std::end(with_value);
}

bool is_flag(std::string_view name) noexcept {
    return name == "--all" || name == "--insecure" || name == "--demo" || name == "--quiet" ||
           name == "--stats" ||
           name == "--help" || name == "--version" || name == "-h";
}

/// Names under which a user might try to pass a secret directly get a specific explanation
/// instead of "unknown option" (and their value is never read, let alone echoed). nullopt for
/// any other name.
std::optional<std::string> secret_option_refusal(std::string_view name) {
    static constexpr std::string_view token_names[] = {"--token", "--auth-token",
                                                       "--x-auth-token"};
    static constexpr std::string_view key_names[] = {
        "--ak", "--sk", "--access-key", "--secret-key", "--access-key-id", "--secret-access-key"};
    static constexpr std::string_view security_token_names[] = {"--security-token",
                                                                "--securitytoken"};
    auto const in = [&](auto const& names) {
        return std::find(std::begin(names), std::end(names), name) != std::end(names);
    };
    std::string what;
    std::string them = "it";
    std::string instead;
    if (in(token_names)) {
        what = "the token is";
        instead = "set " + std::string(apig::env_auth_token) + " or use --token-file PATH";
    } else if (in(key_names)) {
        what = "access keys are";
        them = "them";
        instead = "set " + std::string(apig::env_access_key) + " and " +
                  std::string(apig::env_secret_key) + " in the environment";
    } else if (in(security_token_names)) {
        what = "the security token is";
        instead = "set " + std::string(apig::env_security_token) + " in the environment, with " +
                  std::string(apig::env_access_key) + " and " + std::string(apig::env_secret_key);
    } else {
        return std::nullopt;
    }
    return std::string(name) + ": " + what +
           " not accepted on the command line (other users can read " + them +
           " from the process list); " + instead;
}

/// A positive int option (--max-attempts, --max-connections, --concurrency), at most `max`
/// when given (the library's bound for the field it sets).
std::optional<std::string> parse_positive(std::string_view name, std::string_view v,
                                          std::optional<int>& out,
                                          std::optional<std::size_t> max = std::nullopt) {
    int n = 0;
    switch (parse_int(v, n)) {
    case int_parse::ok:
        if (n >= 1 && (!max || static_cast<std::size_t>(n) <= *max)) {
            out = n;
            return std::nullopt;
        }
        break;
    case int_parse::out_of_range: break;
    case int_parse::not_a_number:
        return std::string(name) + ": expected an integer, got " + quote(v);
    }
    if (max)
        return std::string(name) + ": must be an integer in 1.." + std::to_string(*max) + ", got " + quote(v);
    return std::string(name) + ": must be an integer >= 1, got " + quote(v);
}

std::optional<std::string> parse_timeout(std::string_view v,
                                         std::optional<std::chrono::milliseconds>& out) {
    double seconds = 0;
    auto const* last = v.data() + v.size();
    auto const [ptr, ec] = std::from_chars(v.data(), last, seconds, std::chars_format::fixed);
    if (v.empty() || ec != std::errc{} || ptr != last || !std::isfinite(seconds))
        return "--timeout: expected a number of seconds (e.g. 30 or 2.5), got " + quote(v);
    if (seconds <= 0 || seconds > max_timeout_seconds)
        return "--timeout: must be > 0 and at most 86400 seconds, got " + quote(v);
    // Rounded up so that a small positive value never becomes a zero (= no) timeout.
    out = std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(seconds * 1000.0)));
    return std::nullopt;
}

/// --rate: requests per second, a positive number within the library's bounds.
std::optional<std::string> parse_rate(std::string_view v, std::optional<double>& out) {
    double r = 0;
    auto const* last = v.data() + v.size();
    auto const [ptr, ec] = std::from_chars(v.data(), last, r, std::chars_format::general);
    if (v.empty() || ec != std::errc{} || ptr != last || !std::isfinite(r))
        return "--rate: expected a number of requests per second (e.g. 20 or 0.5), got " + quote(v);
    using limits = apig::rate_limit_options;
    if (!(r >= limits::min_requests_per_second && r <= limits::max_requests_per_second))
        return "--rate: must be at least 0.0001 and at most 1000000 requests per second, got " + quote(v);
    out = r;
    return std::nullopt;
}

/// `d` in seconds for the help text: "120", or "2.5" when not whole.
std::string seconds_text(std::chrono::milliseconds d) {
    if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g", static_cast<double>(d.count()) / 1000.0);
    return buf;
}

/// Stores one option's value into `o`. Returns an error message, or nullopt.
std::optional<std::string> apply_value(options& o, bool& limit_given, std::string_view name,
                                       std::string_view v) {
    // Every string option rejects an empty value: an empty filter or path is always a
    // mistake (usually an unset shell variable), and silently ignoring it would list more
    // than asked.
    if (v.empty()) return std::string(name) + ": the value must not be empty";

    if (name == "--endpoint") o.endpoint.assign(v);
    else if (name == "--region") o.region.assign(v);
    else if (name == "--project-id") o.project_id.assign(v);
    else if (name == "--token-file") o.token_file.emplace(v);
    else if (name == "--ca-file") o.ca_file.assign(v);
    else if (name == "--proxy") {  // not echoed anywhere: the URL may hold a password
        o.proxy.url.assign(v);
        o.proxy_given = true;
    } else if (name == "--no-proxy") {
        o.proxy.no_proxy.assign(v);
        o.no_proxy_given = true;
    }
    else if (name == "--instance-id") o.request.instance_id.emplace(v);
    else if (name == "--instance-name") o.request.instance_name.emplace(v);
    else if (name == "--offset") {
        // The range is checked here, not only by apig::validate later, so that the error
        // quotes what was typed rather than a converted number.
        std::int64_t n = 0;
        switch (parse_int(v, n)) {
        case int_parse::ok:
            if (n >= 0) break;
            [[fallthrough]];
        case int_parse::out_of_range:
            return "--offset: must be an integer in 0.." +
                   std::to_string(std::numeric_limits<std::int64_t>::max()) + ", got " + quote(v);
        case int_parse::not_a_number: return "--offset: expected an integer, got " + quote(v);
        }
        o.request.offset = n;
    } else if (name == "--limit") {
        // In range when apig::validate accepts it (the library's rule); the error quotes what
        // was typed (validate would show a converted number).
        std::int32_t n = 0;
        auto parsed = parse_int(v, n);
        if (parsed == int_parse::ok) {
            list_request probe;
            probe.limit = n;
            if (apig::detail::validate(probe, "p")) parsed = int_parse::out_of_range;
        }
        switch (parsed) {
        case int_parse::ok: break;
        case int_parse::out_of_range:
            return "--limit: must be an integer in 1.." + std::to_string(all_default_limit) + ", got " +
                   quote(v);
        case int_parse::not_a_number: return "--limit: expected an integer, got " + quote(v);
        }
        o.request.limit = n;
        limit_given = true;
    } else if (name == "--status") {
        auto const s = apig::from_string<apig::status>(v);
        if (!s)
            return "--status: unknown status " + quote(v) + "; valid names: " +
                   valid_status_names();
        o.request.status = *s;
    } else if (name == "--format") {
        auto const f = parse_format(v);
        if (!f)
            return "--format: expected one of table, json, jsonl, csv, none; got " + quote(v);
        o.format = *f;
    } else if (name == "--max-attempts")
        return parse_positive(name, v, o.max_attempts,
                              static_cast<std::size_t>(std::numeric_limits<int>::max()));
    else if (name == "--max-connections")
        return parse_positive(name, v, o.max_connections, apig::pool_options::max_connections_limit);
    else if (name == "--concurrency")
        return parse_positive(name, v, o.concurrency, apig::page_options::max_concurrency);
    else if (name == "--timeout") return parse_timeout(v, o.timeout);
    else if (name == "--rate") return parse_rate(v, o.rate);
    else if (name == "--burst") return parse_positive(name, v, o.burst, apig::rate_limit_options::max_burst);
    return std::nullopt;
}

/// Checks that need every option: required options, --demo conflicts, defaults, and finally
/// apig::validate on the request.
std::optional<std::string> finish(options& o, bool limit_given, env_lookup const& env) {
    if (o.demo) {
        // The demo brings its own endpoint, project, token and CA; accepting these would
        // suggest they are used.
        std::string conflicts;
        auto note = [&](bool set, std::string_view name) {
            if (!set) return;
            if (!conflicts.empty()) conflicts += ", ";
            conflicts += name;
        };
        note(!o.endpoint.empty(), "--endpoint");
        note(!o.region.empty(), "--region");
        note(!o.project_id.empty(), "--project-id");
        note(o.token_file.has_value(), "--token-file");
        note(!o.ca_file.empty(), "--ca-file");
        note(o.insecure, "--insecure");
        note(o.proxy_given, "--proxy");
        note(o.no_proxy_given, "--no-proxy");
        if (!conflicts.empty())
            return "--demo runs its own server with its own endpoint, project, token and CA; "
                   "it cannot be combined with " + conflicts;
        o.all = true;
        if (!limit_given) o.request.limit = demo_default_limit;
    } else {
        // The project id variable under the library's rules (trimmed; a control character
        // refused with a reason); only that variable is shown to credentials_from.
        std::string project_id_rejected;
        if (o.project_id.empty()) {
            auto e = apig::credentials_from(
                [&](std::string_view name) -> std::optional<std::string> {
                    if (name != apig::env_project_id) return std::nullopt;
                    return env(std::string(name).c_str());
                });
            o.project_id = std::move(e.project_id);
            if (!e.warnings.empty()) project_id_rejected = std::move(e.warnings.front());
        }
        if (!o.endpoint.empty() && !o.region.empty())
            return "give --endpoint or --region, not both";
        // HUAWEICLOUD_SDK_REGION names the region when the command line names no endpoint.
        if (o.endpoint.empty() && o.region.empty())
            if (auto r = env(std::string(apig::env_region).c_str())) o.region = std::string(apig::auth::trim(*r));
        if (!o.region.empty() && apig::region_endpoints(o.region, [&](std::string_view name) {
                                     return env(std::string(name).c_str());
                                 }).empty()) {
            auto const e = apig::region_error(o.region);
            return e.message;
        }
        if (o.endpoint.empty() && o.region.empty())
            return "--endpoint or --region is required (https://host[:port], e.g. "
                   "https://apig.cn-north-4.myhuaweicloud.com, or --region cn-north-4, or set " +
                   std::string(apig::env_region) + ")";
        // The environment's proxy for the endpoint's scheme (a region's is https), then what
        // the command line says instead.
        auto from_env = apig::proxy_from_env(o.endpoint.starts_with("http://") ? "http" : "https",
                                             [&](std::string_view name) { return env(std::string(name).c_str()); });
        if (!o.proxy_given) o.proxy.url = std::move(from_env.url);
        if (!o.no_proxy_given) o.proxy.no_proxy = std::move(from_env.no_proxy);
        if (o.project_id.empty() && !project_id_rejected.empty())
            return "--project-id is required: " + project_id_rejected;
        // Without a project id, the client finds it (the credentials' profile, or IAM project
        // discovery with --region and a key pair) or says why it cannot.
        if (o.all && !limit_given) o.request.limit = all_default_limit;
    }
    // Without --all there is one request: a number of pages in flight would be ignored.
    if (o.burst && !o.rate) return "--burst applies only with --rate (the number of requests that may start at once)";
    if (o.concurrency && !o.all)
        return "--concurrency applies only to --all (without it, one page is listed with one "
               "request)";
    // The demo's project id is the emulator's and always valid; only the request matters.
    auto const info = apig::detail::validate(o.request, o.demo ? std::string_view("demo") : o.project_id,
                                             /*discoverable=*/true);
    if (info) return info.message.empty() ? info.code.message() : info.message;
    return std::nullopt;
}

}  // namespace

std::optional<output_format> parse_format(std::string_view s) noexcept {
    if (s == "table") return output_format::table;
    if (s == "json") return output_format::json;
    if (s == "jsonl") return output_format::jsonl;
    if (s == "csv") return output_format::csv;
    if (s == "none") return output_format::none;
    return std::nullopt;
}

env_lookup process_env() {
    return [](char const* name) -> std::optional<std::string> {
        if (char const* v = std::getenv(name)) return std::string(v);
        return std::nullopt;
    };
}

std::string valid_status_names() {
    std::string out;
    auto const last = static_cast<int>(apig::status::resize_timeout);
    for (int i = 1; i <= last; ++i) {
        auto const name = apig::to_string(static_cast<apig::status>(i));
        if (name.empty()) continue;
        if (!out.empty()) out += ", ";
        out += name;
    }
    return out;
}

parse_result parse_args(std::span<char const* const> args, env_lookup const& env) {
    options o;
    bool limit_given = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string_view arg = args[i] ? std::string_view(args[i]) : std::string_view();
        if (arg == "--") {
            if (i + 1 < args.size())
                return usage_error{"unexpected argument after '--' (this command takes no "
                                   "positional arguments)"};
            break;
        }
        if (!arg.starts_with("--") && arg != "-h") {
            // Not echoed: a stray positional argument may well be a pasted token.
            return usage_error{"unexpected argument #" + std::to_string(i + 1) +
                               " (options start with --; see --help)"};
        }
        std::string_view name = arg;
        std::optional<std::string_view> attached;
        if (auto const eq = arg.find('='); eq != std::string_view::npos) {
            name = arg.substr(0, eq);
            attached = arg.substr(eq + 1);
        }
        if (auto refusal = secret_option_refusal(name)) return usage_error{std::move(*refusal)};
        if (is_flag(name)) {
            if (attached) return usage_error{std::string(name) + " does not take a value"};
            if (name == "--help" || name == "-h") return show_help{};
            if (name == "--version") return show_version{};
            if (name == "--all") o.all = true;
            else if (name == "--insecure") o.insecure = true;
            else if (name == "--demo") o.demo = true;
            else if (name == "--quiet") o.quiet = true;
            else if (name == "--stats") o.stats = true;
            continue;
        }
        if (!takes_value(name))
            // Only the name is echoed: the part after '=' could be a secret.
            return usage_error{"unknown option " + quote(name) + " (see --help)"};
        std::string_view value;
        if (attached) {
            value = *attached;
        } else {
            // A following option is not taken as the value: `--endpoint --project-id x`
            // is a missing value, not an endpoint named "--project-id".
            if (i + 1 >= args.size() || args[i + 1] == nullptr ||
                std::string_view(args[i + 1]).starts_with("--"))
                return usage_error{std::string(name) + " requires a value (see --help)"};
            value = args[++i];
        }
        if (auto err = apply_value(o, limit_given, name, value)) return usage_error{std::move(*err)};
    }
    if (auto err = finish(o, limit_given, env)) return usage_error{std::move(*err)};
    return o;
}

std::string usage_text() {
    std::string s;
    s += "Usage: apig-instances (--endpoint URL | --region NAME) [--project-id ID] [opts]\n";
    s += "       apig-instances --demo [options]\n";
    s += "\n";
    s += "Lists Huawei Cloud API Gateway dedicated instances (ListInstancesV2).\n";
    s += "\n";
    s += "Credentials (never accepted on the command line, never printed):\n";
    s += "  HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK\n";
    s += "                         an access key pair: requests are signed\n";
    s += "                         (SDK-HMAC-SHA256); the SK is never sent\n";
    s += "  HUAWEICLOUD_SDK_SECURITY_TOKEN\n";
    s += "                         with the pair, for a temporary access key\n";
    s += "  APIG_AUTH_TOKEN        an IAM token, sent as X-Auth-Token\n";
    s += "  --token-file PATH      the IAM token in a file (see below)\n";
    s += "Precedence: --token-file, then the key pair, then APIG_AUTH_TOKEN. Values\n";
    s += "that are set but not used (half a key pair, a token beside a key pair, ...)\n";
    s += "get a warning and a line saying which credentials are used.\n";
    s += "Without any of them, the official SDKs' chain is tried, in order, and the one\n";
    s += "used is named on stderr (never a value):\n";
    s += "  the profile file      HUAWEICLOUD_SDK_CREDENTIALS_FILE, else\n";
    s += "                         ~/.huaweicloud/credentials: INI section [basic] with\n";
    s += "                         ak, sk, security_token, project_id, iam_endpoint\n";
    s += "  ECS metadata          the server's agency keys (temporary, refreshed);\n";
    s += "                         APIG_METADATA_ENDPOINT (default http://169.254.169.254)\n";
    s += "  pod identity          HC_CONTAINER_CREDENTIALS_FULL_URI and\n";
    s += "                         HC_CONTAINER_AUTHORIZATION_TOKEN_FILE (CCE)\n";
    s += "\n";
    s += "Project and region:\n";
    s += "  Without --project-id (or HUAWEICLOUD_SDK_PROJECT_ID), the profile's\n";
    s += "  project_id is used, else with --region and a key pair it is found on IAM\n";
    s += "  (GET /v3/projects?name=REGION; HUAWEICLOUD_SDK_IAM_ENDPOINT overrides IAM).\n";
    s += "  HUAWEICLOUD_SDK_REGION names the region when no --endpoint/--region is given;\n";
    s += "  HUAWEICLOUD_SDK_REGION_APIG_<REGION> (e.g. _CN_NORTH_4) overrides a region's\n";
    s += "  endpoint (a comma-separated list: the first is used).\n";
    s += "\n";
    s += "Connection:\n";
    s += "  --endpoint URL         API endpoint, https://host[:port]\n";
    s += "                         (e.g. https://apig.cn-north-4.myhuaweicloud.com)\n";
    s += "  --region NAME          or an APIG region, e.g. cn-north-4 (endpoint derived)\n";
    s += "  --project-id ID        project id (default: $HUAWEICLOUD_SDK_PROJECT_ID, else\n";
    s += "                         found: see Project and region)\n";
    s += "  --token-file PATH      read the IAM token from PATH (trailing whitespace\n";
    s += "                         removed); wins over credentials in the environment\n";
    s += "  --ca-file PEM          also trust the CA certificates in this PEM file\n";
    s += "  --insecure             do not verify the server's certificate (testing only)\n";
    s += "  --proxy URL            tunnel through this proxy (HTTP CONNECT): http:// or\n";
    s += "                         https://[user:password@]host[:port] (default port 1080,\n";
    s += "                         443 for https); default: https_proxy, HTTPS_PROXY,\n";
    s += "                         all_proxy, ALL_PROXY (curl's rules; http_proxy for an\n";
    s += "                         http:// endpoint)\n";
    s += "  --no-proxy LIST        hosts reached directly: comma-separated names (and\n";
    s += "                         their subdomains), IP addresses, CIDR ranges, or *\n";
    s += "                         for all\n";
    s += "                         (default: no_proxy, NO_PROXY)\n";
    s += "  --timeout SECONDS      limit of the whole command, with --all the whole walk\n";
    s += "                         (every request, retry and wait) included; > 0, may be\n";
    s += "                         fractional. Without it, each request has its own\n";
    s += "                         limit (default " + seconds_text(apig::timeout_options{}.total) +
         ") and a walk has none\n";
    s += "  --max-attempts N       attempts per request, the first included, >= 1; 1 means\n";
    s += "                         no retry (default " +
         std::to_string(apig::retry_policy{}.max_attempts) + ")\n";
    s += "  --max-connections N    connections open at once, 1.." +
         std::to_string(apig::pool_options::max_connections_limit) + " (default " +
         std::to_string(apig::pool_options{}.max_connections) + ")\n";
    s += "  --concurrency N        with --all: pages requested at once, 1.." +
         std::to_string(apig::page_options::max_concurrency) + " (default " +
         std::to_string(apig::page_options{}.concurrency) + ")\n";
    s += "  --rate N               start at most N requests a second (retries included),\n";
    s += "                         a number in 0.0001..1000000 (default: no limit)\n";
    s += "  --burst N              with --rate: requests that may start at once after a\n";
    s += "                         quiet spell, 1.." + std::to_string(apig::rate_limit_options::max_burst) +
         " (default 1: evenly spaced)\n";
    s += "\n";
    s += "Selection:\n";
    s += "  --offset N             index of the first instance (default 0)\n";
    s += "  --limit N              page size, 1..500 (default 20; 500 with --all)\n";
    s += "  --all                  list every page from --offset on (pages are\n";
    s += "                         requested ahead, see --concurrency, and written\n";
    s += "                         in order as they arrive)\n";
    s += "  --instance-id ID       only the instance with this id\n";
    s += "  --instance-name NAME   only instances with this name\n";
    s += "  --status NAME          only instances in this state (Running, Frozen, ...)\n";
    s += "\n";
    s += "Output (data on stdout; a summary line and errors on stderr; while listing,\n";
    s += "a progress line when stderr is a terminal):\n";
    s += "  --format FORMAT        table (default), json, jsonl, csv or none:\n";
    s += "                           table  aligned columns (ID NAME STATUS SPEC CREATED\n";
    s += "                                  EIP), printed once all pages arrived\n";
    s += "                           json   the page object; with --all a JSON array of\n";
    s += "                                  page objects, one per line\n";
    s += "                           jsonl  one instance per line, as the API sends it,\n";
    s += "                                  written as each page arrives\n";
    s += "                           csv    header row, RFC 4180 quoting, times in UTC\n";
    s += "                           none   decode everything, print only the summary\n";
    s += "  --quiet                no progress line, no summary and no line saying which\n";
    s += "                         credentials are used; errors and warnings are still\n";
    s += "                         printed\n";
    s += "  --stats                after the listing, one JSON line on stderr: instances,\n";
    s += "                         pages, seconds, instances_per_s, complete (also with\n";
    s += "                         --quiet); for scripts and benchmarks\n";
    s += "\n";
    s += "Other:\n";
    s += "  --demo                 list 250 instances from a built-in emulator over real,\n";
    s += "                         verified TLS (needs no endpoint, project or\n";
    s += "                         credentials); implies --all, 100 per page unless\n";
    s += "                         --limit is given\n";
    s += "  --help, -h             print this help and exit\n";
    s += "  --version              print the version and exit\n";
    s += "\n";
    s += "Exit status: 0 success, 2 usage or validation error (nothing sent),\n";
    s += "3 authentication or permission refused (HTTP 401/403), 4 any other failure.\n";
    return s;
}

namespace {

/// What a file that is not a regular one is, for the message.
char const* file_kind(mode_t mode) noexcept {
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
    if (S_ISSOCK(mode)) return "a socket";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    return "not a regular file";
}

}  // namespace

token_result load_token_file(std::string const& path) {
    token_result r;
    std::string const source = "--token-file " + quote(path);
    std::string raw;
    // O_NONBLOCK: opening a FIFO without a writer must not wait for one. Only a regular file
    // is read: a FIFO or a device could block forever or never end.
    int const fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        int const err = errno;  // before anything else can change it
        r.error = "cannot read " + source + ": " + std::strerror(err);
        return r;
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        r.error = source + " is " + file_kind(st.st_mode) + ", not a regular file holding the token";
        ::close(fd);
        return r;
    }
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(::fdopen(fd, "rb"), &std::fclose);
    if (!f) {
        int const err = errno;
        ::close(fd);
        r.error = "cannot read " + source + ": " + std::strerror(err);
        return r;
    }
    char buf[4096];
    while (true) {
        auto const n = std::fread(buf, 1, sizeof buf, f.get());
        raw.append(buf, n);
        if (raw.size() > max_token_bytes) {
            r.error = source + " is larger than 1 MiB; is it the right file?";
            return r;
        }
        if (n < sizeof buf) break;
    }
    if (std::ferror(f.get())) {
        int const err = errno;
        r.error = "cannot read " + source + ": " + std::strerror(err);
        return r;
    }
    // Whitespace around the token (an indented line, the final newline) is not part of it:
    // the same trim as the library's (apig::auth::trim).
    auto const token = apig::auth::trim(raw);
    if (token.empty()) {
        r.error = source + " is empty";
        return r;
    }
    // CR/LF in a header value would let the token inject headers; any control character
    // means the wrong file. The token itself is never echoed.
    if (std::any_of(token.begin(), token.end(), [](char c) {
            auto const u = static_cast<unsigned char>(c);
            return u < 0x20 || u == 0x7f;
        })) {
        r.error = "the token from " + source + " contains control characters";
        return r;
    }
    r.token.assign(token);
    return r;
}

}  // namespace apig::cli
