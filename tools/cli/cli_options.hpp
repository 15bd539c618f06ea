#pragma once

// Command-line parsing of apig-instances. Pure logic (no I/O except reading the token file in
// load_token_file), so every rule of the command line can be unit-tested. Which credentials
// are used is decided in auth.hpp.

#include <apig/model.hpp>
#include <apig/proxy.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace apig::cli {

inline constexpr std::string_view program_name = "apig-instances";

/// Page size used by --all when no --limit is given: the API's maximum, so a listing needs
/// as few round trips as possible.
inline constexpr std::int32_t all_default_limit = 500;
/// Page size of --demo when no --limit is given: small enough that the demo shows paging.
inline constexpr std::int32_t demo_default_limit = 100;

/// Output formats of --format.
enum class output_format { table, json, jsonl, csv, none };

/// `table`, `json`, ... -> the format; nullopt for anything else.
std::optional<output_format> parse_format(std::string_view s) noexcept;

/// Everything the command line (and HUAWEICLOUD_SDK_PROJECT_ID) said, checked for syntax and
/// range. No secret is here, only where to read the token from (--token-file; see auth.hpp),
/// so an `options` can be logged or compared in tests without exposing one. Credentials are
/// only ever read from the environment or --token-file: a command-line argument would be
/// visible to every user in the process list.
struct options {
    std::string endpoint;                   ///< --endpoint
    std::string region;                     ///< --region (the endpoint is derived)
    /// --project-id, else HUAWEICLOUD_SDK_PROJECT_ID read under apig::credentials_from's
    /// rules (surrounding whitespace removed; a value with a control character refused).
    std::string project_id;
    std::optional<std::string> token_file;  ///< --token-file
    std::string ca_file;                    ///< --ca-file
    bool insecure = false;                  ///< --insecure
    /// The proxy: the environment's under curl's rules (apig::proxy_from_env, for the
    /// endpoint's scheme), then --proxy URL replacing its URL and user, --no-proxy LIST its
    /// bypass list. May hold the proxy's password (from a URL's user information): never
    /// print it whole.
    apig::proxy_options proxy;
    bool proxy_given = false;     ///< --proxy was given
    bool no_proxy_given = false;  ///< --no-proxy was given
    bool demo = false;                      ///< --demo
    /// --all (also implied by --demo): walk every page from `request.offset`.
    bool all = false;
    /// The first request: offset, limit (resolved to its default when not given) and filters.
    list_request request;
    output_format format = output_format::table;
    /// --quiet: no progress line and no summary on stderr; errors and warnings still print.
    bool quiet = false;
    /// --stats: after the listing, one JSON line on stderr with the counts and the time
    /// (`{"instances":N,"pages":N,"seconds":S,"instances_per_s":R,"complete":true}`), for
    /// scripts and benchmarks; printed even with --quiet, and also after a failure.
    bool stats = false;
    /// --max-attempts: client_options::retry.max_attempts (unset: the library's default).
    std::optional<int> max_attempts;
    /// --timeout, rounded up to whole milliseconds (0 < t <= 86400 s): the whole command's
    /// limit. It becomes client_options::timeouts.total (each call, retries and waits
    /// included) and, with --all, page_options::timeout (the whole walk).
    std::optional<std::chrono::milliseconds> timeout;
    /// --max-connections: client_options::pool.max_connections, 1..pool_options::
    /// max_connections_limit (a larger value is a usage error).
    std::optional<int> max_connections;
    /// --concurrency: page_options::concurrency of the walk, 1..page_options::max_concurrency;
    /// only with --all (or --demo).
    std::optional<int> concurrency;
    /// --rate: client_options::rate_limit.requests_per_second, a number in
    /// [rate_limit_options::min_requests_per_second, max_requests_per_second].
    std::optional<double> rate;
    /// --burst: client_options::rate_limit.burst, 1..rate_limit_options::max_burst; only
    /// with --rate.
    std::optional<int> burst;
};

/// What the command line asks for besides a normal run.
struct show_help {};
struct show_version {};
/// A usage or validation error: exit code 2, no request sent. `message` is one line, without
/// the program name, and never contains a token.
struct usage_error {
    std::string message;
};

using parse_result = std::variant<options, show_help, show_version, usage_error>;

/// Reads an environment variable; nullopt when unset. Injected so tests need no real env.
using env_lookup = std::function<std::optional<std::string>(char const* name)>;

/// The process environment (std::getenv).
env_lookup process_env();

/// Parses the arguments after argv[0]. Accepts `--name value` and `--name=value`; `--help`
/// and `--version` win as soon as they are seen. Checks every value, the required options
/// (unless --demo) and finally the request itself with apig::validate, so that a bad
/// request is reported before any client exists.
parse_result parse_args(std::span<char const* const> args, env_lookup const& env);

/// The usage text printed by --help: every option with a one-line description.
std::string usage_text();

/// The status names --status accepts (every known `apig::status`), comma separated, in
/// code order: "Creating, CreateSuccess, ...".
std::string valid_status_names();

/// The token of --token-file, or why there is none. `error` is empty on success; it names the
/// file but never contains the token.
struct token_result {
    std::string token;
    std::string error;
};

/// The content of the --token-file `path`, with the whitespace around it (leading spaces, the
/// usual final newline) removed. Fails, without waiting, if the file cannot be read, is not a
/// regular file (a FIFO, a device, a directory: a FIFO without a writer would block forever),
/// is empty, too large, or contains control characters (which could split the HTTP header the
/// token is sent in).
token_result load_token_file(std::string const& path);

}  // namespace apig::cli
