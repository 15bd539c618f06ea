// credentials_from / credentials_from_env / describe.

#include <apig/environment.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using kind = apig::environment_credentials::kind;
using env_map = std::map<std::string, std::string, std::less<>>;

// Distinctive values, so that a leak into a message is found by a substring search.
constexpr std::string_view ak_value = "AKVALUE7Q2XW9";
constexpr std::string_view sk_value = "SKVALUEsecret0k3Zr8pLm";
constexpr std::string_view sts_value = "STSVALUEgQoRb1w2";
constexpr std::string_view token_value = "TOKENVALUEMIIZ9gYJKoZIhvcNAQcCoIIZ";
constexpr std::string_view project_value = "73d69ae0cfcf460190522d06b60f05ad";

// A lookup over a map that records the names asked for.
struct fake_env {
    env_map vars{};
    std::vector<std::string> asked{};

    apig::environment_credentials read() {
        return apig::credentials_from([this](std::string_view name) -> std::optional<std::string> {
            asked.emplace_back(name);
            auto it = vars.find(name);
            if (it == vars.end()) return std::nullopt;
            return it->second;
        });
    }
};

apig::environment_credentials from(env_map vars) {
    fake_env e{std::move(vars)};
    return e.read();
}

// No returned string (warnings, describe) holds any secret value, nor the access key id, nor
// any of `extra` (e.g. a raw rejected value).
void check_no_secret(apig::environment_credentials const& c, std::vector<std::string> const& extra = {}) {
    std::vector<std::string> texts = c.warnings;
    texts.push_back(apig::describe(c));
    std::vector<std::string> secrets{std::string(ak_value), std::string(sk_value), std::string(sts_value),
                                     std::string(token_value)};
    secrets.insert(secrets.end(), extra.begin(), extra.end());
    for (auto const& t : texts) {
        CAPTURE(t);
        CHECK(t.find('\n') == std::string::npos);
        CHECK(t.find('\r') == std::string::npos);
        for (auto const& s : secrets) {
            CAPTURE(s);
            CHECK(t.find(s) == std::string::npos);
        }
    }
}

bool mentions(std::string const& text, std::string_view what) { return text.find(what) != std::string::npos; }

env_map pair_vars() {
    return {{"HUAWEICLOUD_SDK_AK", std::string(ak_value)}, {"HUAWEICLOUD_SDK_SK", std::string(sk_value)}};
}

}  // namespace

TEST_SUITE("environment") {

TEST_CASE("environment: the official variable names") {
    CHECK(apig::env_access_key == "HUAWEICLOUD_SDK_AK");
    CHECK(apig::env_secret_key == "HUAWEICLOUD_SDK_SK");
    CHECK(apig::env_security_token == "HUAWEICLOUD_SDK_SECURITY_TOKEN");
    CHECK(apig::env_project_id == "HUAWEICLOUD_SDK_PROJECT_ID");
    CHECK(apig::env_auth_token == "APIG_AUTH_TOKEN");

    fake_env e;
    (void)e.read();
    std::vector<std::string> asked = e.asked;
    std::sort(asked.begin(), asked.end());
    CHECK(asked == std::vector<std::string>{"APIG_AUTH_TOKEN", "HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_PROJECT_ID",
                                            "HUAWEICLOUD_SDK_SECURITY_TOKEN", "HUAWEICLOUD_SDK_SK"});
}

TEST_CASE("environment: nothing set") {
    auto const c = from({});
    CHECK(c.chosen == kind::none);
    CHECK(c.ak.empty());
    CHECK(c.sk.empty());
    CHECK(c.security_token.empty());
    CHECK(c.token.empty());
    CHECK(c.project_id.empty());
    CHECK(c.warnings.empty());
    CHECK(apig::describe(c) == "no credentials in the environment");

    // Unrelated variables and the SDK's other names are not read.
    auto const d = from({{"HUAWEICLOUD_SDK_REGION", "cn-north-4"}, {"X_AUTH_TOKEN", std::string(token_value)}});
    CHECK(d.chosen == kind::none);
    CHECK(d.warnings.empty());
}

TEST_CASE("environment: token only") {
    auto const c = from({{"APIG_AUTH_TOKEN", std::string(token_value)}});
    CHECK(c.chosen == kind::token);
    CHECK(c.token == token_value);
    CHECK(c.ak.empty());
    CHECK(c.sk.empty());
    CHECK(c.warnings.empty());
    CHECK(apig::describe(c) == "token from APIG_AUTH_TOKEN");
    check_no_secret(c);
}

TEST_CASE("environment: key pair only, with and without security token") {
    auto const c = from(pair_vars());
    CHECK(c.chosen == kind::access_key);
    CHECK(c.ak == ak_value);
    CHECK(c.sk == sk_value);
    CHECK(c.security_token.empty());
    CHECK(c.token.empty());
    CHECK(c.warnings.empty());
    CHECK(apig::describe(c) == "access key from HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK");
    check_no_secret(c);

    auto vars = pair_vars();
    vars["HUAWEICLOUD_SDK_SECURITY_TOKEN"] = sts_value;
    auto const t = from(vars);
    CHECK(t.chosen == kind::access_key);
    CHECK(t.security_token == sts_value);
    CHECK(t.warnings.empty());
    CHECK(apig::describe(t) == "access key from HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK (with security token)");
    check_no_secret(t);
}

TEST_CASE("environment: key pair and token, the pair wins with a warning") {
    auto vars = pair_vars();
    vars["APIG_AUTH_TOKEN"] = token_value;
    auto const c = from(vars);
    CHECK(c.chosen == kind::access_key);
    CHECK(c.ak == ak_value);
    CHECK(c.sk == sk_value);
    CHECK(c.token.empty());
    REQUIRE(c.warnings.size() == 1);
    CHECK(c.warnings[0] ==
          "APIG_AUTH_TOKEN is also set and ignored: the key pair HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK takes "
          "precedence");
    CHECK(apig::describe(c) == "access key from HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK");
    check_no_secret(c);
}

TEST_CASE("environment: AK without SK") {
    auto const c = from({{"HUAWEICLOUD_SDK_AK", std::string(ak_value)}});
    CHECK(c.chosen == kind::none);
    CHECK(c.ak.empty());
    REQUIRE(c.warnings.size() == 1);
    CHECK(c.warnings[0] ==
          "HUAWEICLOUD_SDK_AK is set but HUAWEICLOUD_SDK_SK is not: the key pair is incomplete and not used");
    CHECK(apig::describe(c) == "no credentials in the environment");
    check_no_secret(c);

    // Falls back to the token.
    auto const t = from({{"HUAWEICLOUD_SDK_AK", std::string(ak_value)}, {"APIG_AUTH_TOKEN", std::string(token_value)}});
    CHECK(t.chosen == kind::token);
    CHECK(t.token == token_value);
    CHECK(t.ak.empty());
    REQUIRE(t.warnings.size() == 1);
    CHECK(t.warnings[0] ==
          "HUAWEICLOUD_SDK_AK is set but HUAWEICLOUD_SDK_SK is not: the key pair is incomplete and not used; "
          "using APIG_AUTH_TOKEN");
    CHECK(apig::describe(t) == "token from APIG_AUTH_TOKEN");
    check_no_secret(t);
}

TEST_CASE("environment: SK without AK") {
    auto const c = from({{"HUAWEICLOUD_SDK_SK", std::string(sk_value)}});
    CHECK(c.chosen == kind::none);
    CHECK(c.sk.empty());
    REQUIRE(c.warnings.size() == 1);
    CHECK(c.warnings[0] ==
          "HUAWEICLOUD_SDK_SK is set but HUAWEICLOUD_SDK_AK is not: the key pair is incomplete and not used");
    check_no_secret(c);

    auto const t = from({{"HUAWEICLOUD_SDK_SK", std::string(sk_value)}, {"APIG_AUTH_TOKEN", std::string(token_value)}});
    CHECK(t.chosen == kind::token);
    CHECK(t.token == token_value);
    REQUIRE(t.warnings.size() == 1);
    CHECK(mentions(t.warnings[0], "HUAWEICLOUD_SDK_AK is not"));
    CHECK(mentions(t.warnings[0], "using APIG_AUTH_TOKEN"));
    check_no_secret(t);
}

TEST_CASE("environment: security token without a key pair is ignored") {
    auto const c = from({{"HUAWEICLOUD_SDK_SECURITY_TOKEN", std::string(sts_value)}});
    CHECK(c.chosen == kind::none);
    CHECK(c.security_token.empty());
    REQUIRE(c.warnings.size() == 1);
    CHECK(c.warnings[0] ==
          "HUAWEICLOUD_SDK_SECURITY_TOKEN is set but ignored: it is used only with "
          "HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK");
    check_no_secret(c);

    // With a token: the token is used, the security token still ignored.
    auto const t = from({{"HUAWEICLOUD_SDK_SECURITY_TOKEN", std::string(sts_value)},
                         {"APIG_AUTH_TOKEN", std::string(token_value)}});
    CHECK(t.chosen == kind::token);
    CHECK(t.security_token.empty());
    REQUIRE(t.warnings.size() == 1);
    CHECK(mentions(t.warnings[0], "HUAWEICLOUD_SDK_SECURITY_TOKEN is set but ignored"));
    check_no_secret(t);

    // With half a pair: two warnings.
    auto const h = from({{"HUAWEICLOUD_SDK_SECURITY_TOKEN", std::string(sts_value)},
                         {"HUAWEICLOUD_SDK_AK", std::string(ak_value)}});
    CHECK(h.chosen == kind::none);
    REQUIRE(h.warnings.size() == 2);
    CHECK(mentions(h.warnings[0], "HUAWEICLOUD_SDK_SK is not"));
    CHECK(mentions(h.warnings[1], "HUAWEICLOUD_SDK_SECURITY_TOKEN is set but ignored"));
    check_no_secret(h);
}

TEST_CASE("environment: surrounding whitespace is trimmed") {
    auto const c = from({{"HUAWEICLOUD_SDK_AK", " " + std::string(ak_value) + "\n"},
                         {"HUAWEICLOUD_SDK_SK", std::string(sk_value) + "\r\n"},
                         {"HUAWEICLOUD_SDK_SECURITY_TOKEN", "\t" + std::string(sts_value) + "  \n\n"},
                         {"HUAWEICLOUD_SDK_PROJECT_ID", std::string(project_value) + "\n"}});
    CHECK(c.chosen == kind::access_key);
    CHECK(c.ak == ak_value);
    CHECK(c.sk == sk_value);
    CHECK(c.security_token == sts_value);
    CHECK(c.project_id == project_value);
    CHECK(c.warnings.empty());
    check_no_secret(c);

    auto const t = from({{"APIG_AUTH_TOKEN", std::string(token_value) + "\n"}});
    CHECK(t.chosen == kind::token);
    CHECK(t.token == token_value);
    CHECK(t.warnings.empty());
}

TEST_CASE("environment: empty and blank values count as unset, silently") {
    auto const c = from({{"HUAWEICLOUD_SDK_AK", ""},
                         {"HUAWEICLOUD_SDK_SK", " \n"},
                         {"HUAWEICLOUD_SDK_SECURITY_TOKEN", ""},
                         {"HUAWEICLOUD_SDK_PROJECT_ID", "\t"},
                         {"APIG_AUTH_TOKEN", std::string(token_value)}});
    CHECK(c.chosen == kind::token);
    CHECK(c.project_id.empty());
    CHECK(c.warnings.empty());

    // An empty SK beside a set AK: the pair is incomplete.
    auto const h = from({{"HUAWEICLOUD_SDK_AK", std::string(ak_value)}, {"HUAWEICLOUD_SDK_SK", ""}});
    CHECK(h.chosen == kind::none);
    REQUIRE(h.warnings.size() == 1);
    CHECK(mentions(h.warnings[0], "HUAWEICLOUD_SDK_SK is not"));

    // An empty token beside a pair: no warning.
    auto vars = pair_vars();
    vars["APIG_AUTH_TOKEN"] = "\n";
    auto const p = from(vars);
    CHECK(p.chosen == kind::access_key);
    CHECK(p.warnings.empty());
}

TEST_CASE("environment: values with CR, LF, NUL or other control characters are rejected") {
    using namespace std::string_literals;
    std::vector<std::string> const bad_tokens{
        std::string(token_value) + "\r\nX-Evil: 1",
        "abc\ndef"s,
        "abc\rdef"s,
        "abc\0def"s,
        "abc\tdef"s,
        "abc\x01"s + "def",
        "abc\x7f"s + "def",
    };
    for (auto const& bad : bad_tokens) {
        CAPTURE(bad);
        auto const c = from({{"APIG_AUTH_TOKEN", bad}});
        CHECK(c.chosen == kind::none);
        CHECK(c.token.empty());
        REQUIRE(c.warnings.size() == 1);
        CHECK(c.warnings[0] ==
              "APIG_AUTH_TOKEN is ignored: its value contains a control character (CR, LF, NUL or another), which "
              "cannot be sent in a header");
        check_no_secret(c, {bad, "abc", "def"});
    }

    // A rejected SK: the pair is incomplete, the token is used.
    auto vars = pair_vars();
    vars["HUAWEICLOUD_SDK_SK"] = std::string(sk_value) + "\nX";
    vars["APIG_AUTH_TOKEN"] = token_value;
    auto const c = from(vars);
    CHECK(c.chosen == kind::token);
    CHECK(c.token == token_value);
    CHECK(c.ak.empty());
    CHECK(c.sk.empty());
    REQUIRE(c.warnings.size() == 2);
    CHECK(mentions(c.warnings[0], "HUAWEICLOUD_SDK_SK is ignored: its value contains a control character"));
    CHECK(c.warnings[1] ==
          "HUAWEICLOUD_SDK_AK is set but HUAWEICLOUD_SDK_SK was rejected: the key pair is incomplete and not used; "
          "using APIG_AUTH_TOKEN");
    check_no_secret(c);

    // A rejected AK.
    auto const a = from({{"HUAWEICLOUD_SDK_AK", std::string(ak_value) + "\r\n\r\nX"},
                         {"HUAWEICLOUD_SDK_SK", std::string(sk_value)}});
    CHECK(a.chosen == kind::none);
    REQUIRE(a.warnings.size() == 2);
    CHECK(mentions(a.warnings[0], "HUAWEICLOUD_SDK_AK is ignored"));
    CHECK(mentions(a.warnings[1], "HUAWEICLOUD_SDK_SK is set but HUAWEICLOUD_SDK_AK was rejected"));
    check_no_secret(a);

    // A rejected security token: the pair is used without it.
    auto s_vars = pair_vars();
    s_vars["HUAWEICLOUD_SDK_SECURITY_TOKEN"] = std::string(sts_value) + "\0x"s;
    auto const s = from(s_vars);
    CHECK(s.chosen == kind::access_key);
    CHECK(s.security_token.empty());
    REQUIRE(s.warnings.size() == 1);
    CHECK(mentions(s.warnings[0], "HUAWEICLOUD_SDK_SECURITY_TOKEN is ignored"));
    check_no_secret(s);

    // A rejected project id.
    auto const p = from({{"HUAWEICLOUD_SDK_PROJECT_ID", "abc\ndef"}});
    CHECK(p.project_id.empty());
    REQUIRE(p.warnings.size() == 1);
    CHECK(mentions(p.warnings[0], "HUAWEICLOUD_SDK_PROJECT_ID is ignored"));
    CHECK(apig::describe(p) == "no credentials in the environment");
}

TEST_CASE("environment: the project id is read whatever the credentials") {
    auto const n = from({{"HUAWEICLOUD_SDK_PROJECT_ID", std::string(project_value)}});
    CHECK(n.chosen == kind::none);
    CHECK(n.project_id == project_value);
    CHECK(n.warnings.empty());
    CHECK(apig::describe(n) == "no credentials in the environment; project id from HUAWEICLOUD_SDK_PROJECT_ID");

    auto const t = from({{"HUAWEICLOUD_SDK_PROJECT_ID", std::string(project_value)},
                         {"APIG_AUTH_TOKEN", std::string(token_value)}});
    CHECK(t.project_id == project_value);
    CHECK(apig::describe(t) == "token from APIG_AUTH_TOKEN; project id from HUAWEICLOUD_SDK_PROJECT_ID");

    auto vars = pair_vars();
    vars["HUAWEICLOUD_SDK_PROJECT_ID"] = project_value;
    vars["HUAWEICLOUD_SDK_SECURITY_TOKEN"] = sts_value;
    auto const p = from(vars);
    CHECK(p.project_id == project_value);
    CHECK(apig::describe(p) ==
          "access key from HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK (with security token); project id from "
          "HUAWEICLOUD_SDK_PROJECT_ID");
}

TEST_CASE("environment: no returned string holds a secret, in every combination") {
    // Each of the five variables: unset, set, or set with a header-breaking suffix.
    std::vector<std::string> const names{"HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_SECURITY_TOKEN",
                                         "APIG_AUTH_TOKEN", "HUAWEICLOUD_SDK_PROJECT_ID"};
    std::vector<std::string> const values{std::string(ak_value), std::string(sk_value), std::string(sts_value),
                                          std::string(token_value), std::string(project_value)};
    int combinations = 0;
    for (int mask = 0; mask < 243; ++mask) {  // 3^5
        env_map vars;
        int m = mask;
        for (std::size_t i = 0; i < names.size(); ++i, m /= 3) {
            if (m % 3 == 1) vars[names[i]] = values[i];
            if (m % 3 == 2) vars[names[i]] = values[i] + "\r\nX-Injected: 1";
        }
        CAPTURE(mask);
        auto const c = from(vars);
        check_no_secret(c);
        // The chosen kind follows the rules.
        bool const ak = vars.contains("HUAWEICLOUD_SDK_AK") && mask % 3 == 1;
        bool const sk = vars.contains("HUAWEICLOUD_SDK_SK") && mask / 3 % 3 == 1;
        bool const token = mask / 27 % 3 == 1;
        CHECK(c.chosen == (ak && sk ? kind::access_key : token ? kind::token : kind::none));
        // Every kept value is free of control characters.
        for (auto const* s : {&c.ak, &c.sk, &c.security_token, &c.token, &c.project_id})
            CHECK(s->find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos);
        ++combinations;
    }
    CHECK(combinations == 243);
}

TEST_CASE("environment: credentials_from_env reads the process environment through std::getenv") {
    // Reads only: the process environment is neither set nor cleared here.
    auto const real = apig::credentials_from_env();
    auto const same = apig::credentials_from([](std::string_view name) -> std::optional<std::string> {
        char const* v = std::getenv(std::string(name).c_str());
        return v ? std::optional<std::string>(v) : std::nullopt;
    });
    CHECK(real.chosen == same.chosen);
    CHECK(real.warnings == same.warnings);
    CHECK(apig::describe(real) == apig::describe(same));
}

}  // TEST_SUITE
