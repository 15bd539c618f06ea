// Command-line parsing of apig-instances (cli_options.hpp).

#include "cli_options.hpp"

#include <apig/options.hpp>
#include <apig/pager.hpp>
#include <apig/retry.hpp>

#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace cli = apig::cli;

/// A fake environment for parse_args.
cli::env_lookup env_of(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](char const* name) -> std::optional<std::string> {
        auto const it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
    };
}

cli::parse_result parse(std::vector<char const*> args, std::map<std::string, std::string> env = {}) {
    return cli::parse_args(args, env_of(std::move(env)));
}

/// Parses a valid command line (endpoint and project are added) and returns its options.
cli::options parse_ok(std::vector<char const*> args) {
    args.insert(args.begin(), {"--endpoint", "https://example.com", "--project-id", "p1"});
    auto r = parse(args);
    if (auto const* e = std::get_if<cli::usage_error>(&r)) FAIL("unexpected error: " << e->message);
    REQUIRE(std::holds_alternative<cli::options>(r));
    return std::get<cli::options>(r);
}

/// The error message of a command line that must be rejected (endpoint and project added).
std::string parse_error(std::vector<char const*> args) {
    args.insert(args.begin(), {"--endpoint", "https://example.com", "--project-id", "p1"});
    auto r = parse(args);
    REQUIRE(std::holds_alternative<cli::usage_error>(r));
    return std::get<cli::usage_error>(r).message;
}

bool contains(std::string const& s, std::string_view part) {
    return s.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("parse_args: defaults") {
    auto const o = parse_ok({});
    CHECK(o.endpoint == "https://example.com");
    CHECK(o.project_id == "p1");
    CHECK(o.request.offset == 0);
    CHECK(o.request.limit == 20);
    CHECK_FALSE(o.all);
    CHECK_FALSE(o.demo);
    CHECK_FALSE(o.insecure);
    CHECK(o.format == cli::output_format::table);
    CHECK_FALSE(o.token_file);
    CHECK_FALSE(o.timeout);
    CHECK_FALSE(o.max_attempts);
    CHECK_FALSE(o.max_connections);
    CHECK_FALSE(o.concurrency);
    CHECK_FALSE(o.quiet);
    CHECK_FALSE(o.stats);
}

TEST_CASE("parse_args: every option, both spellings") {
    auto const o = parse_ok({"--offset", "40", "--limit=50", "--instance-id", "abc",
                             "--instance-name=my name", "--status", "Running", "--format=csv",
                             "--ca-file", "/tmp/ca.pem", "--token-file", "/tmp/t",
                             "--max-attempts", "3", "--timeout", "2.5", "--max-connections",
                             "4", "--concurrency=8", "--insecure", "--all", "--quiet", "--stats"});
    CHECK(o.request.offset == 40);
    CHECK(o.request.limit == 50);
    CHECK(o.request.instance_id == "abc");
    CHECK(o.request.instance_name == "my name");
    REQUIRE(o.request.status);
    CHECK(*o.request.status == apig::status::running);
    CHECK(o.format == cli::output_format::csv);
    CHECK(o.ca_file == "/tmp/ca.pem");
    CHECK(o.token_file == "/tmp/t");
    CHECK(o.max_attempts == 3);
    CHECK(o.timeout == std::chrono::milliseconds(2500));
    CHECK(o.max_connections == 4);
    CHECK(o.concurrency == 8);
    CHECK(o.insecure);
    CHECK(o.all);
    CHECK(o.quiet);
    CHECK(o.stats);
}

TEST_CASE("parse_args: --concurrency only with --all (or --demo)") {
    CHECK(parse_ok({"--all", "--concurrency", "1"}).concurrency == 1);
    CHECK(contains(parse_error({"--concurrency", "2"}), "--concurrency applies only to --all"));
    auto const r = parse({"--demo", "--concurrency", "2"});
    REQUIRE(std::holds_alternative<cli::options>(r));
    CHECK(std::get<cli::options>(r).concurrency == 2);
    CHECK(contains(parse_error({"--quiet=yes"}), "--quiet does not take a value"));
    CHECK(contains(parse_error({"--stats=json"}), "--stats does not take a value"));
}

TEST_CASE("parse_args: --all without --limit uses 500, with --limit keeps it") {
    CHECK(parse_ok({"--all"}).request.limit == 500);
    CHECK(parse_ok({"--all", "--limit", "30"}).request.limit == 30);
    CHECK(parse_ok({"--limit", "30", "--all"}).request.limit == 30);
}

TEST_CASE("parse_args: --help and --version") {
    CHECK(std::holds_alternative<cli::show_help>(parse({"--help"})));
    CHECK(std::holds_alternative<cli::show_help>(parse({"-h"})));
    CHECK(std::holds_alternative<cli::show_version>(parse({"--version"})));
    // They need nothing else and win over a later error.
    CHECK(std::holds_alternative<cli::show_help>(parse({"--help", "--bogus"})));
}

TEST_CASE("parse_args: the project id comes from the environment unless given") {
    auto r = parse({"--endpoint", "https://example.com"}, {{"HUAWEICLOUD_SDK_PROJECT_ID", "envp"}});
    REQUIRE(std::holds_alternative<cli::options>(r));
    CHECK(std::get<cli::options>(r).project_id == "envp");

    r = parse({"--endpoint", "https://example.com", "--project-id", "argp"},
              {{"HUAWEICLOUD_SDK_PROJECT_ID", "envp"}});
    REQUIRE(std::holds_alternative<cli::options>(r));
    CHECK(std::get<cli::options>(r).project_id == "argp");
}

TEST_CASE("parse_args: required options") {
    auto r = parse({"--project-id", "p"});
    REQUIRE(std::holds_alternative<cli::usage_error>(r));
    CHECK(contains(std::get<cli::usage_error>(r).message, "--endpoint or --region is required"));

    // No project id is not a usage error: the client finds it (a profile's, or IAM project
    // discovery with a region and a key pair) or says why it cannot.
    r = parse({"--endpoint", "https://example.com"});
    REQUIRE(std::holds_alternative<cli::options>(r));
    CHECK(std::get<cli::options>(r).project_id.empty());
}

TEST_CASE("parse_args: HUAWEICLOUD_SDK_REGION names the region; the environment may define one") {
    auto r = parse({}, {{"HUAWEICLOUD_SDK_REGION", " cn-north-4\n"}});
    REQUIRE(std::holds_alternative<cli::options>(r));
    CHECK(std::get<cli::options>(r).region == "cn-north-4");

    // --endpoint wins: the variable is not read.
    r = parse({"--endpoint", "https://example.com"}, {{"HUAWEICLOUD_SDK_REGION", "cn-north-4"}});
    REQUIRE(std::holds_alternative<cli::options>(r));
    CHECK(std::get<cli::options>(r).region.empty());

    // A region only HUAWEICLOUD_SDK_REGION_APIG_<REGION> defines is accepted; without it, not.
    r = parse({"--region", "xx-test-1"});
    REQUIRE(std::holds_alternative<cli::usage_error>(r));
    CHECK(contains(std::get<cli::usage_error>(r).message, "is not an APIG region"));
    r = parse({"--region", "xx-test-1"}, {{"HUAWEICLOUD_SDK_REGION_APIG_XX_TEST_1", "https://127.0.0.1:9"}});
    REQUIRE(std::holds_alternative<cli::options>(r));
    CHECK(std::get<cli::options>(r).region == "xx-test-1");
}

TEST_CASE("parse_args: bad numbers") {
    CHECK(parse_error({"--limit", "abc"}) == "--limit: expected an integer, got 'abc'");
    CHECK(contains(parse_error({"--limit", "12x"}), "expected an integer"));
    CHECK(contains(parse_error({"--limit", "+5"}), "expected an integer"));
    CHECK(contains(parse_error({"--limit", " 5"}), "expected an integer"));
    CHECK(contains(parse_error({"--offset", "1.5"}), "--offset: expected an integer"));
    CHECK(contains(parse_error({"--offset", "99999999999999999999"}), "--offset: must be an integer in 0.."));
    CHECK(contains(parse_error({"--max-attempts", "0"}), "--max-attempts: must be an integer in 1.."));
    CHECK(contains(parse_error({"--max-attempts", "x"}), "--max-attempts: expected an integer"));
    CHECK(contains(parse_error({"--max-connections", "-1"}), "--max-connections"));
    CHECK(contains(parse_error({"--concurrency", "0"}), "--concurrency"));
}

TEST_CASE("parse_args: the limit range comes from apig::validate") {
    // Whatever words validate uses, they name the field and the maximum.
    for (char const* bad : {"0", "-1", "501", "99999999999999999999", "-99999999999999999999"}) {
        CAPTURE(bad);
        auto const msg = parse_error({"--limit", bad});
        CHECK(contains(msg, "limit"));
        CHECK(contains(msg, "500"));
    }
    CHECK(parse_ok({"--limit", "1"}).request.limit == 1);
    CHECK(parse_ok({"--limit", "500"}).request.limit == 500);
    CHECK(contains(parse_error({"--offset", "-1"}), "offset"));
}

TEST_CASE("parse_args: a numeric option's error quotes what was typed, never a converted value") {
    // Out of the range: the typed text, not the number it would have been clamped to
    // (`--limit 99999999999999999999` used to say `got 2147483647`).
    for (char const* typed : {"99999999999999999999", "-99999999999999999999", "5000000000", "2147483648",
                              "0501", "-0", "0", "501", "-1"}) {
        CAPTURE(typed);
        CHECK(parse_error({"--limit", typed}) == "--limit: must be an integer in 1..500, got '" + std::string(typed) + "'");
    }
    CHECK(parse_ok({"--limit", "0500"}).request.limit == 500);
    for (char const* typed : {"-1", "-01", "-9223372036854775808", "9223372036854775808", "99999999999999999999",
                              "-99999999999999999999"}) {
        CAPTURE(typed);
        CHECK(parse_error({"--offset", typed}) ==
              "--offset: must be an integer in 0..9223372036854775807, got '" + std::string(typed) + "'");
    }
    CHECK(parse_ok({"--offset", "9223372036854775807"}).request.offset == 9223372036854775807);
    for (char const* typed : {"0", "-1", "2147483648", "99999999999999999999", "-99999999999999999999"}) {
        CAPTURE(typed);
        CHECK(parse_error({"--max-attempts", typed}) ==
              "--max-attempts: must be an integer in 1..2147483647, got '" + std::string(typed) + "'");
    }
    CHECK(parse_ok({"--max-attempts", "2147483647"}).max_attempts == 2147483647);
    CHECK(parse_error({"--timeout", "99999999999999999999999"}) ==
          "--timeout: must be > 0 and at most 86400 seconds, got '99999999999999999999999'");
    CHECK(parse_error({"--timeout", "-0"}) == "--timeout: must be > 0 and at most 86400 seconds, got '-0'");
    CHECK(parse_error({"--timeout", "1e400"}) ==
          "--timeout: expected a number of seconds (e.g. 30 or 2.5), got '1e400'");
    CHECK(parse_error({"--timeout=1e-400"}) ==
          "--timeout: expected a number of seconds (e.g. 30 or 2.5), got '1e-400'");
}

TEST_CASE("parse_args: a quoted value is printable and bounded") {
    std::string const fffd = "\xEF\xBF\xBD";
    // Bidi override, C1 CSI, ESC, BEL, invalid UTF-8: each becomes U+FFFD; the rest stays.
    for (auto const& each :
         std::vector<std::pair<std::string, std::string>>{{"\xE2\x80\xAE" "5", fffd + "5"},
                                                          {"\xE2\x81\xA6" "5", fffd + "5"},
                                                          {"\xC2\x9B" "31m", fffd + "31m"},
                                                          {"\x1b[2J", fffd + "[2J"},
                                                          {"5\a", "5" + fffd},
                                                          {"\xFF" "5", fffd + "5"}}) {
        // Not a structured binding: clang 14 cannot capture one (CAPTURE is a lambda).
        std::string const& typed = each.first;
        std::string const& shown = each.second;
        CAPTURE(typed);
        for (char const* option : {"--limit", "--offset", "--max-attempts", "--timeout"})
            CHECK(contains(parse_error({option, typed.c_str()}), "got '" + shown + "'"));
    }
    // 1000 digits: the message stays short, cut on a character boundary with an ellipsis.
    std::string const digits(1000, '9');
    auto const msg = parse_error({"--limit", digits.c_str()});
    CHECK(msg == "--limit: must be an integer in 1..500, got '" + std::string(63, '9') + "\xE2\x80\xA6'");
    // A non-ASCII value is cut between characters, never inside one.
    std::string wide;
    for (int i = 0; i < 100; ++i) wide += "\xC3\xA9";  // é
    auto const cut = parse_error({"--limit", wide.c_str()});
    CHECK(cut.find(fffd) == std::string::npos);
}

TEST_CASE("parse_args: --timeout") {
    CHECK(parse_ok({"--timeout", "30"}).timeout == std::chrono::seconds(30));
    CHECK(parse_ok({"--timeout", "0.0001"}).timeout == std::chrono::milliseconds(1));
    CHECK(parse_ok({"--timeout", "86400"}).timeout == std::chrono::hours(24));
    for (char const* bad : {"0", "-1", "abc", "inf", "nan", "1e3", "86401", "1s"}) {
        CAPTURE(bad);
        CHECK(contains(parse_error({"--timeout", bad}), "--timeout"));
    }
}

TEST_CASE("parse_args: --status accepts exactly the known names") {
    CHECK(*parse_ok({"--status", "UnRegisterFailed"}).request.status ==
          apig::status::unregister_failed);
    CHECK(*parse_ok({"--status", "ResizeTimeout"}).request.status == apig::status::resize_timeout);
    auto const msg = parse_error({"--status", "running"});
    CHECK(contains(msg, "unknown status 'running'"));
    CHECK(contains(msg, "Running"));
    CHECK(contains(msg, "Creating"));
}

TEST_CASE("valid_status_names lists every status in code order") {
    auto const names = cli::valid_status_names();
    CHECK(names.starts_with("Creating, CreateSuccess, CreateFail, "));
    CHECK(names.ends_with("Resizing, ResizeFailed, ResizeTimeout"));
    CHECK(contains(names, "UnRegisterFailed"));
}

TEST_CASE("parse_args: --format") {
    CHECK(parse_ok({"--format", "json"}).format == cli::output_format::json);
    CHECK(parse_ok({"--format", "jsonl"}).format == cli::output_format::jsonl);
    CHECK(parse_ok({"--format", "none"}).format == cli::output_format::none);
    CHECK(parse_ok({"--format", "table"}).format == cli::output_format::table);
    CHECK(contains(parse_error({"--format", "xml"}), "table, json, jsonl, csv, none"));
}

TEST_CASE("parse_args: malformed command lines") {
    CHECK(parse_error({"--limit"}) == "--limit requires a value (see --help)");
    // A following option is not taken as a value.
    CHECK(parse_error({"--instance-id", "--all"}) == "--instance-id requires a value (see --help)");
    CHECK(contains(parse_error({"--instance-id", ""}), "must not be empty"));
    CHECK(contains(parse_error({"--instance-id="}), "must not be empty"));
    CHECK(parse_error({"--bogus"}) == "unknown option '--bogus' (see --help)");
    CHECK(contains(parse_error({"--all=yes"}), "--all does not take a value"));
    CHECK(contains(parse_error({"-x"}), "unexpected argument"));
    CHECK(contains(parse_error({"--", "x"}), "unexpected argument"));
}

TEST_CASE("parse_args: a token on the command line is refused and never echoed") {
    for (char const* opt : {"--token=s3cret", "--auth-token=s3cret"}) {
        auto const msg = parse_error({opt});
        CHECK(contains(msg, "not accepted on the command line"));
        CHECK_FALSE(contains(msg, "s3cret"));
    }
    auto msg = parse_error({"--token", "s3cret"});
    CHECK_FALSE(contains(msg, "s3cret"));
    // Neither an unknown option with a value nor a positional argument is echoed whole.
    msg = parse_error({"--tokn=s3cret"});
    CHECK(contains(msg, "'--tokn'"));
    CHECK_FALSE(contains(msg, "s3cret"));
    msg = parse_error({"s3cret"});
    CHECK_FALSE(contains(msg, "s3cret"));
}

TEST_CASE("parse_args: access keys and security tokens on the command line are refused") {
    for (char const* opt : {"--ak", "--sk", "--access-key", "--secret-key", "--access-key-id",
                            "--secret-access-key"}) {
        CAPTURE(opt);
        auto msg = parse_error({opt, "s3cret"});
        CHECK(msg.starts_with(std::string(opt) + ": access keys are not accepted on the command "
                                                 "line"));
        CHECK(contains(msg, "HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK"));
        CHECK_FALSE(contains(msg, "s3cret"));
        msg = parse_error({(std::string(opt) + "=s3cret").c_str()});
        CHECK(contains(msg, "not accepted on the command line"));
        CHECK_FALSE(contains(msg, "s3cret"));
    }
    for (char const* opt : {"--security-token", "--securitytoken"}) {
        CAPTURE(opt);
        auto const msg = parse_error({opt, "s3cret"});
        CHECK(contains(msg, "the security token is not accepted on the command line"));
        CHECK(contains(msg, "HUAWEICLOUD_SDK_SECURITY_TOKEN"));
        CHECK_FALSE(contains(msg, "s3cret"));
    }
    // Refused even where the rest of the line is fine, and even with --demo.
    auto const r = parse({"--demo", "--sk=s3cret"});
    REQUIRE(std::holds_alternative<cli::usage_error>(r));
    CHECK_FALSE(contains(std::get<cli::usage_error>(r).message, "s3cret"));
}

TEST_CASE("parse_args: HUAWEICLOUD_SDK_PROJECT_ID follows the library's rules") {
    auto r = parse({"--endpoint", "https://example.com"},
                   {{"HUAWEICLOUD_SDK_PROJECT_ID", " envp\n"}});
    REQUIRE(std::holds_alternative<cli::options>(r));
    CHECK(std::get<cli::options>(r).project_id == "envp");

    r = parse({"--endpoint", "https://example.com"}, {{"HUAWEICLOUD_SDK_PROJECT_ID", "en\nvp"}});
    REQUIRE(std::holds_alternative<cli::usage_error>(r));
    auto const msg = std::get<cli::usage_error>(r).message;
    CHECK(msg.starts_with("--project-id is required: HUAWEICLOUD_SDK_PROJECT_ID"));
    CHECK(contains(msg, "control character"));
    CHECK_FALSE(contains(msg, "en"
                              "\nvp"));

    // --project-id makes the variable irrelevant.
    r = parse({"--endpoint", "https://example.com", "--project-id", "argp"},
              {{"HUAWEICLOUD_SDK_PROJECT_ID", "en\nvp"}});
    REQUIRE(std::holds_alternative<cli::options>(r));
    CHECK(std::get<cli::options>(r).project_id == "argp");
}

TEST_CASE("parse_args: echoed values are sanitized") {
    auto const msg = parse_error({"--limit", "a\x1b[31mb"});
    CHECK_FALSE(contains(msg, "\x1b"));
}

TEST_CASE("parse_args: --demo") {
    auto r = parse({"--demo"});
    REQUIRE(std::holds_alternative<cli::options>(r));
    auto o = std::get<cli::options>(r);
    CHECK(o.demo);
    CHECK(o.all);
    CHECK(o.request.limit == 100);

    r = parse({"--demo", "--limit", "7", "--format", "none"});
    REQUIRE(std::holds_alternative<cli::options>(r));
    CHECK(std::get<cli::options>(r).request.limit == 7);

    r = parse({"--demo", "--endpoint", "https://x", "--insecure"});
    REQUIRE(std::holds_alternative<cli::usage_error>(r));
    CHECK(contains(std::get<cli::usage_error>(r).message, "--endpoint, --insecure"));

    r = parse({"--demo", "--limit", "0"});
    REQUIRE(std::holds_alternative<cli::usage_error>(r));
}

TEST_CASE("usage_text names every option") {
    auto const text = cli::usage_text();
    for (char const* opt : {"--endpoint", "--project-id", "--token-file", "--ca-file", "--insecure",
                            "--offset", "--limit", "--all", "--instance-id", "--instance-name",
                            "--status", "--max-attempts", "--timeout", "--max-connections",
                            "--concurrency", "--rate", "--burst", "--format", "--quiet", "--stats", "--demo", "--help",
                            "--version",
                            "APIG_AUTH_TOKEN", "HUAWEICLOUD_SDK_PROJECT_ID",
                            "HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK",
                            "HUAWEICLOUD_SDK_SECURITY_TOKEN", "Precedence"}) {
        CAPTURE(opt);
        CHECK(contains(text, opt));
    }
}

TEST_CASE("usage_text: every option is in use, defaults are the library's") {
    auto const text = cli::usage_text();
    CHECK_FALSE(contains(text, "not used yet"));
    CHECK(contains(text, "(default " + std::to_string(apig::page_options{}.concurrency) + ")"));
    CHECK(contains(text, "(default " + std::to_string(apig::pool_options{}.max_connections) + ")"));
    CHECK(contains(text, "(default " + std::to_string(apig::retry_policy{}.max_attempts) + ")"));
    CHECK(contains(text, "(default " +
                             std::to_string(apig::timeout_options{}.total.count() / 1000) + ")"));
    // Fits an 80-column terminal.
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        CAPTURE(line);
        CHECK(line.size() <= 80);
    }
}


namespace {

/// A file in the temp directory, removed at scope exit.
struct temp_file {
    std::filesystem::path path;
    explicit temp_file(std::string const& content) {
        path = std::filesystem::temp_directory_path() /
               ("apig-cli-test-" + std::to_string(reinterpret_cast<std::uintptr_t>(this)));
        std::ofstream(path, std::ios::binary) << content;
    }
    ~temp_file() {
        std::error_code ec;
        std::filesystem::remove(path, ec);
    }
    temp_file(temp_file const&) = delete;
    temp_file& operator=(temp_file const&) = delete;
};

}  // namespace

TEST_CASE("load_token_file") {
    temp_file f("file-token \r\n\n");
    auto r = cli::load_token_file(f.path.string());
    CHECK(r.error.empty());
    CHECK(r.token == "file-token");

    temp_file empty("\n");
    r = cli::load_token_file(empty.path.string());
    CHECK(contains(r.error, "is empty"));

    temp_file two_lines("line1\nline2\n");
    r = cli::load_token_file(two_lines.path.string());
    CHECK(contains(r.error, "control characters"));
    CHECK_FALSE(contains(r.error, "line1"));

    r = cli::load_token_file("/nonexistent/apig-token");
    CHECK(contains(r.error, "cannot read --token-file '/nonexistent/apig-token'"));

    temp_file huge(std::string((std::size_t{1} << 20) + 1, 'a'));
    r = cli::load_token_file(huge.path.string());
    CHECK(contains(r.error, "larger than 1 MiB"));
}

TEST_CASE("parse_args: --concurrency and --max-connections have the library's upper bounds") {
    auto const conc_max = std::to_string(apig::page_options::max_concurrency);
    auto const conn_max = std::to_string(apig::pool_options::max_connections_limit);
    CHECK(parse_ok({"--all", "--concurrency", conc_max.c_str()}).concurrency ==
          static_cast<int>(apig::page_options::max_concurrency));
    CHECK(parse_ok({"--max-connections", conn_max.c_str()}).max_connections ==
          static_cast<int>(apig::pool_options::max_connections_limit));
    CHECK(parse_error({"--all", "--concurrency", "65"}) == "--concurrency: must be an integer in 1..64, got '65'");
    CHECK(parse_error({"--all", "--concurrency", "2147483647"}) ==
          "--concurrency: must be an integer in 1..64, got '2147483647'");
    CHECK(parse_error({"--all", "--concurrency", "99999999999"}) ==
          "--concurrency: must be an integer in 1..64, got '99999999999'");
    CHECK(parse_error({"--max-connections", "257"}) == "--max-connections: must be an integer in 1..256, got '257'");
    CHECK(parse_error({"--max-connections", "100000"}) ==
          "--max-connections: must be an integer in 1..256, got '100000'");
}

TEST_CASE("usage_text: --timeout bounds the whole command; the bounds of --concurrency and --max-connections") {
    auto const text = cli::usage_text();
    CHECK(contains(text, "--timeout SECONDS      limit of the whole command, with --all the whole walk"));
    CHECK(contains(text, "--max-connections N    connections open at once, 1..256"));
    CHECK(contains(text, "--concurrency N        with --all: pages requested at once, 1..64"));
}

TEST_CASE("parse_args: the proxy comes from the environment (curl's rules) unless --proxy / --no-proxy say") {
    auto const proxy_of = [](std::vector<char const*> args, std::map<std::string, std::string> env) {
        args.insert(args.begin(), {"--project-id", "p1"});
        auto r = parse(args, std::move(env));
        REQUIRE(std::holds_alternative<cli::options>(r));
        return std::get<cli::options>(r).proxy;
    };
    std::map<std::string, std::string> const env{{"HTTPS_PROXY", "http://upper:3128"},
                                                 {"https_proxy", "http://lower:3128"},
                                                 {"http_proxy", "http://plain:3128"},
                                                 {"HTTP_PROXY", "http://never:3128"},
                                                 {"NO_PROXY", ".internal"}};
    auto p = proxy_of({"--endpoint", "https://example.com"}, env);
    CHECK(p.url == "http://lower:3128");
    CHECK(p.no_proxy == ".internal");
    CHECK(proxy_of({"--region", "cn-north-4"}, env).url == "http://lower:3128");  // a region is https
    CHECK(proxy_of({"--endpoint", "http://example.com"}, env).url == "http://plain:3128");
    CHECK(proxy_of({"--endpoint", "https://example.com"}, {{"ALL_PROXY", "proxy.corp:8080"}}).url ==
          "http://proxy.corp:8080");
    CHECK(proxy_of({"--endpoint", "https://example.com"}, {}).url.empty());

    p = proxy_of({"--endpoint", "https://example.com", "--proxy", "https://mine:443", "--no-proxy", "*"}, env);
    CHECK(p.url == "https://mine:443");
    CHECK(p.no_proxy == "*");
    CHECK(contains(parse_error({"--proxy", ""}), "--proxy: the value must not be empty"));
}

TEST_CASE("parse_args: --rate and --burst") {
    auto o = parse_ok({"--rate", "20"});
    CHECK(o.rate == 20.0);
    CHECK_FALSE(o.burst);
    o = parse_ok({"--rate=0.5", "--burst=10"});
    CHECK(o.rate == 0.5);
    CHECK(o.burst == 10);
    CHECK(parse_ok({"--rate", "1e3"}).rate == 1000.0);
    CHECK_FALSE(parse_ok({}).rate);
    for (char const* bad : {"0", "-1", "abc", "", "nan", "inf", "1e7", "0.00001", "5x"}) {
        CAPTURE(bad);
        CHECK(contains(parse_error({"--rate", bad}), "--rate: "));
    }
    CHECK(contains(parse_error({"--rate", "0"}), "must be at least 0.0001 and at most 1000000"));
    CHECK(contains(parse_error({"--rate", "x"}), "expected a number of requests per second"));
    CHECK(contains(parse_error({"--burst", "5"}), "--burst applies only with --rate"));
    CHECK(contains(parse_error({"--rate", "5", "--burst", "0"}), "--burst: must be an integer in 1..100000"));
    CHECK(contains(parse_error({"--rate", "5", "--burst", "100001"}), "--burst: must be an integer in 1..100000"));
    CHECK(contains(parse_error({"--rate", "5", "--burst", "two"}), "--burst: expected an integer"));
    CHECK(contains(parse_error({"--rate"}), "--rate"));
}

TEST_CASE("usage_text: --rate and --burst with their bounds and defaults") {
    auto const text = cli::usage_text();
    CHECK(contains(text, "--rate N"));
    CHECK(contains(text, "0.0001..1000000 (default: no limit)"));
    CHECK(contains(text, "1.." + std::to_string(apig::rate_limit_options::max_burst) + " (default 1"));
}
