// Which credentials apig-instances uses (auth.hpp): --token-file, then the key pair, then
// APIG_AUTH_TOKEN; the warnings and the notice, which never show a value.

#include "auth.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include <sys/stat.h>

namespace {

namespace cli = apig::cli;

// Values that must never reach a message: each is distinctive, so a search cannot miss it.
constexpr char const* ak = "AKID4EXAMPLE7Q2W";
constexpr char const* sk = "sk-secret-0a1b2c3d";
constexpr char const* security_token = "sec-token-9z8y7x";
constexpr char const* token = "env-token-5e4d3c";
constexpr char const* file_token = "file-token-6f5e4d";

using env_map = std::map<std::string, std::string>;

/// A fake environment that also records every name asked for.
struct fake_env {
    env_map vars;
    std::vector<std::string> asked{};

    cli::env_lookup lookup() {
        return [this](char const* name) -> std::optional<std::string> {
            asked.emplace_back(name);
            auto const it = vars.find(name);
            if (it == vars.end()) return std::nullopt;
            return it->second;
        };
    }
};

cli::credential_choice choose(env_map vars, std::optional<cli::token_result> file = std::nullopt) {
    fake_env env{std::move(vars)};
    return cli::choose_credentials(file, env.lookup());
}

cli::token_result file_ok(std::string t = file_token) { return {std::move(t), ""}; }

bool contains(std::string const& s, std::string_view part) {
    return s.find(part) != std::string::npos;
}

/// Every message of a choice, joined: what could be printed.
std::string printable(cli::credential_choice const& c) {
    std::string all = c.error + "\n" + c.notice + "\n";
    for (auto const& w : c.warnings) all += w + "\n";
    return all;
}

/// No secret, not even the access key id, in anything that can be printed.
void check_no_secret(cli::credential_choice const& c) {
    auto const text = printable(c);
    CAPTURE(text);
    for (char const* secret : {ak, sk, security_token, token, file_token}) {
        CAPTURE(secret);
        CHECK_FALSE(contains(text, secret));
    }
}

apig::aksk_credentials const& aksk_of(cli::credential_choice const& c) {
    REQUIRE(std::holds_alternative<apig::aksk_credentials>(c.credentials));
    return std::get<apig::aksk_credentials>(c.credentials);
}

apig::token_credentials const& token_of(cli::credential_choice const& c) {
    REQUIRE(std::holds_alternative<apig::token_credentials>(c.credentials));
    return std::get<apig::token_credentials>(c.credentials);
}

}  // namespace

TEST_CASE("credentials: a key pair alone is used quietly") {
    auto c = choose({{"HUAWEICLOUD_SDK_AK", ak}, {"HUAWEICLOUD_SDK_SK", sk}});
    CHECK(c.error.empty());
    CHECK(c.source == cli::credential_source::env_access_key);
    CHECK(aksk_of(c) == apig::aksk_credentials{ak, sk, ""});
    CHECK(c.warnings.empty());
    CHECK(c.notice.empty());  // nothing to choose from: a normal run says nothing

    c = choose({{"HUAWEICLOUD_SDK_AK", ak},
                {"HUAWEICLOUD_SDK_SK", sk},
                {"HUAWEICLOUD_SDK_SECURITY_TOKEN", security_token}});
    CHECK(c.error.empty());
    CHECK(aksk_of(c) == apig::aksk_credentials{ak, sk, security_token});
    CHECK(c.warnings.empty());
    CHECK(c.notice.empty());
    check_no_secret(c);
}

TEST_CASE("credentials: a token alone is used quietly, trimmed like the library does") {
    auto const c = choose({{"APIG_AUTH_TOKEN", std::string(" ") + token + "\n"}});
    CHECK(c.error.empty());
    CHECK(c.source == cli::credential_source::env_token);
    CHECK(token_of(c).token == token);
    CHECK(c.warnings.empty());
    CHECK(c.notice.empty());
}

TEST_CASE("credentials: the key pair wins over APIG_AUTH_TOKEN, and the CLI says so") {
    auto const c = choose({{"HUAWEICLOUD_SDK_AK", ak},
                           {"HUAWEICLOUD_SDK_SK", sk},
                           {"HUAWEICLOUD_SDK_SECURITY_TOKEN", security_token},
                           {"APIG_AUTH_TOKEN", token}});
    CHECK(c.error.empty());
    CHECK(c.source == cli::credential_source::env_access_key);
    CHECK(aksk_of(c) == apig::aksk_credentials{ak, sk, security_token});
    CHECK(c.notice ==
          "using the access key pair from HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK (with security "
          "token); APIG_AUTH_TOKEN ignored");
    REQUIRE(c.warnings.size() == 1);
    CHECK(contains(c.warnings[0], "APIG_AUTH_TOKEN"));
    check_no_secret(c);

    // Without a security token the notice does not claim one.
    auto const permanent =
        choose({{"HUAWEICLOUD_SDK_AK", ak}, {"HUAWEICLOUD_SDK_SK", sk}, {"APIG_AUTH_TOKEN", token}});
    CHECK(permanent.notice ==
          "using the access key pair from HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK; APIG_AUTH_TOKEN "
          "ignored");
}

TEST_CASE("credentials: half a key pair is named in a warning; the token is used if set") {
    auto c = choose({{"HUAWEICLOUD_SDK_AK", ak}, {"APIG_AUTH_TOKEN", token}});
    CHECK(c.error.empty());
    CHECK(c.source == cli::credential_source::env_token);
    CHECK(token_of(c).token == token);
    REQUIRE(c.warnings.size() == 1);
    CHECK(contains(c.warnings[0], "HUAWEICLOUD_SDK_SK"));
    CHECK(c.notice == "using the token from APIG_AUTH_TOKEN; HUAWEICLOUD_SDK_AK ignored");
    check_no_secret(c);

    // Without a token there is nothing to use there: the credentials chain looks further
    // (profile, metadata, pod identity), after the warning.
    c = choose({{"HUAWEICLOUD_SDK_SK", sk}});
    CHECK(c.source == cli::credential_source::chain);
    CHECK(c.error.empty());
    REQUIRE(c.chain);
    REQUIRE(c.warnings.size() == 1);
    CHECK(contains(c.warnings[0], "HUAWEICLOUD_SDK_AK"));
    CHECK(c.notice.empty());
    check_no_secret(c);
}

TEST_CASE("credentials: a security token without a key pair is ignored with a warning") {
    auto const c = choose({{"HUAWEICLOUD_SDK_SECURITY_TOKEN", security_token},
                           {"APIG_AUTH_TOKEN", token}});
    CHECK(token_of(c).token == token);
    REQUIRE(c.warnings.size() == 1);
    CHECK(contains(c.warnings[0], "HUAWEICLOUD_SDK_SECURITY_TOKEN"));
    CHECK(c.notice ==
          "using the token from APIG_AUTH_TOKEN; HUAWEICLOUD_SDK_SECURITY_TOKEN ignored");
    check_no_secret(c);
}

TEST_CASE("credentials: a value with a control character is refused, never shown") {
    // A rejected security token: the key pair is used without it, and the notice says so.
    auto c = choose({{"HUAWEICLOUD_SDK_AK", ak},
                     {"HUAWEICLOUD_SDK_SK", sk},
                     {"HUAWEICLOUD_SDK_SECURITY_TOKEN", std::string(security_token) + "\r\nX: y"}});
    CHECK(aksk_of(c) == apig::aksk_credentials{ak, sk, ""});
    REQUIRE(c.warnings.size() == 1);
    CHECK(contains(c.warnings[0], "HUAWEICLOUD_SDK_SECURITY_TOKEN"));
    CHECK(c.notice == "using the access key pair from HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK; "
                      "HUAWEICLOUD_SDK_SECURITY_TOKEN ignored");
    check_no_secret(c);

    // A rejected token and nothing else: nothing from the environment; the chain looks further.
    c = choose({{"APIG_AUTH_TOKEN", std::string(token) + "\nmore"}});
    CHECK(c.source == cli::credential_source::chain);
    CHECK(c.error.empty());
    REQUIRE(c.warnings.size() == 1);
    CHECK(contains(c.warnings[0], "APIG_AUTH_TOKEN"));
    check_no_secret(c);
}

TEST_CASE("credentials: none in the environment hands over to the credentials chain") {
    for (env_map const& vars :
         {env_map{}, env_map{{"APIG_AUTH_TOKEN", ""}}, env_map{{"HUAWEICLOUD_SDK_AK", " \n"}},
          env_map{{"HUAWEICLOUD_SDK_PROJECT_ID", "p1"}}}) {
        auto const c = choose(vars);
        CAPTURE(c.error);
        CHECK(c.source == cli::credential_source::chain);
        CHECK(c.error.empty());
        CHECK(c.warnings.empty());  // blank counts as unset, without a warning
        CHECK(c.notice.empty());
        REQUIRE(c.chain);
        CHECK_FALSE(c.chain->source());  // resolved on the first request, not here
        auto const* p = std::get_if<std::shared_ptr<apig::credentials_provider>>(&c.credentials);
        REQUIRE(p);
        CHECK(p->get() == c.chain.get());
    }
}

TEST_CASE("credentials: the project id is not this function's business") {
    // A bad project id is parse_args' error; no warning about it here.
    fake_env env{{{"APIG_AUTH_TOKEN", token}, {"HUAWEICLOUD_SDK_PROJECT_ID", "p\n1"}}};
    auto const c = cli::choose_credentials(std::nullopt, env.lookup());
    CHECK(c.warnings.empty());
    CHECK(c.notice.empty());
    for (auto const& name : env.asked) CHECK(name != "HUAWEICLOUD_SDK_PROJECT_ID");
}

TEST_CASE("credentials: --token-file is an explicit choice and wins over the environment") {
    // Alone: quiet.
    auto c = choose({}, file_ok());
    CHECK(c.error.empty());
    CHECK(c.source == cli::credential_source::token_file);
    CHECK(token_of(c).token == file_token);
    CHECK(c.notice.empty());
    CHECK(c.warnings.empty());

    // Over a key pair and a token: the notice names what is ignored.
    c = choose({{"HUAWEICLOUD_SDK_AK", ak},
                {"HUAWEICLOUD_SDK_SK", sk},
                {"HUAWEICLOUD_SDK_SECURITY_TOKEN", security_token},
                {"APIG_AUTH_TOKEN", token}},
               file_ok());
    CHECK(c.source == cli::credential_source::token_file);
    CHECK(token_of(c).token == file_token);
    CHECK(c.notice ==
          "using the token from --token-file; HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK, "
          "HUAWEICLOUD_SDK_SECURITY_TOKEN, APIG_AUTH_TOKEN ignored (--token-file takes "
          "precedence over the environment)");
    // The library's warnings describe a choice among variables that was not made.
    CHECK(c.warnings.empty());
    check_no_secret(c);

    // Half a key pair is merely ignored too.
    c = choose({{"HUAWEICLOUD_SDK_AK", ak}}, file_ok());
    CHECK(c.notice == "using the token from --token-file; HUAWEICLOUD_SDK_AK ignored "
                      "(--token-file takes precedence over the environment)");
    CHECK(c.warnings.empty());
}

TEST_CASE("credentials: a --token-file error is the error, even with credentials in the env") {
    auto const c = choose({{"APIG_AUTH_TOKEN", token}},
                          cli::token_result{"", "cannot read --token-file '/x': No such file"});
    CHECK(c.source == cli::credential_source::none);
    CHECK(c.error == "cannot read --token-file '/x': No such file");
    CHECK(c.notice.empty());
}

TEST_CASE("load_credentials reads --token-file only when given") {
    auto const path = std::filesystem::temp_directory_path() /
                      ("apig-cli-auth-test-" + std::to_string(reinterpret_cast<std::uintptr_t>(&ak)));
    std::ofstream(path, std::ios::binary) << file_token << "\n";
    fake_env env{{{"APIG_AUTH_TOKEN", token}}};

    cli::options o;
    auto c = cli::load_credentials(o, env.lookup());
    CHECK(token_of(c).token == token);

    o.token_file = path.string();
    c = cli::load_credentials(o, env.lookup());
    CHECK(token_of(c).token == file_token);
    CHECK(c.source == cli::credential_source::token_file);

    o.token_file = (path.string() + ".missing");
    c = cli::load_credentials(o, env.lookup());
    CHECK(contains(c.error, "cannot read --token-file"));

    std::error_code ec;
    std::filesystem::remove(path, ec);
}

namespace {

/// A path in the temp directory that does not exist yet, removed (whatever it became) at scope
/// exit.
struct temp_path {
    std::filesystem::path path;
    explicit temp_path(std::string const& tag)
        : path(std::filesystem::temp_directory_path() /
               ("apig-cli-auth-" + tag + "-" + std::to_string(reinterpret_cast<std::uintptr_t>(this)))) {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    ~temp_path() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    temp_path(temp_path const&) = delete;
    temp_path& operator=(temp_path const&) = delete;
};

}  // namespace

// Regression: a token file with leading spaces was sent with them (and its echo, without them,
// was not redacted). The token is trimmed on both ends, like every credential.
TEST_CASE("load_token_file: whitespace on both ends of the token is removed") {
    temp_path f("indented");
    std::ofstream(f.path, std::ios::binary) << "  \t" << file_token << " \r\n\n";
    auto const r = cli::load_token_file(f.path.string());
    CHECK(r.error.empty());
    CHECK(r.token == file_token);
}

// Regression: a token file that is a FIFO with no writer blocked forever in fopen.
TEST_CASE("load_token_file: a FIFO, a directory or a device is refused at once, not read") {
    temp_path fifo("fifo");
    REQUIRE(::mkfifo(fifo.path.c_str(), 0600) == 0);
    auto r = cli::load_token_file(fifo.path.string());  // no writer: must return, not hang
    CHECK(r.token.empty());
    CHECK(r.error == "--token-file '" + fifo.path.string() + "' is a FIFO (named pipe), not a regular file holding the token");

    temp_path dir("dir");
    std::filesystem::create_directory(dir.path);
    r = cli::load_token_file(dir.path.string());
    CHECK(r.error == "--token-file '" + dir.path.string() + "' is a directory, not a regular file holding the token");

    r = cli::load_token_file("/dev/null");
    CHECK(r.error == "--token-file '/dev/null' is a character device, not a regular file holding the token");

    // Through load_credentials too: the error is the usage error.
    cli::options o;
    o.token_file = fifo.path.string();
    fake_env env{{{"APIG_AUTH_TOKEN", token}}};
    auto const c = cli::load_credentials(o, env.lookup());
    CHECK(c.source == cli::credential_source::none);
    CHECK(contains(c.error, "is a FIFO (named pipe)"));
}
