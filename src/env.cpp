// Credentials from environment variables. Warnings are built from variable names and fixed
// text only: no value ever reaches a returned string except the credentials themselves.
#include <apig/environment.hpp>

#include "auth/signer.hpp"

#include <cstdlib>

namespace apig {
namespace {

// One variable after trimming and checking.
struct value {
    std::string text{};
    bool rejected = false;

    bool usable() const noexcept { return !text.empty(); }
};

value read(std::function<std::optional<std::string>(std::string_view)> const& getenv,
           std::string_view name, std::vector<std::string>& warnings) {
    value v;
    std::optional<std::string> raw = getenv(name);
    if (!raw) return v;
    std::string_view const t = auth::trim(*raw);  // the same trim as the client's
    if (!auth::header_value_ok(t)) {
        v.rejected = true;
        std::string w(name);
        w += " is ignored: its value contains a control character (CR, LF, NUL or another), "
             "which cannot be sent in a header";
        warnings.push_back(std::move(w));
        return v;
    }
    v.text.assign(t);
    return v;
}

std::string missing(std::string_view present, std::string_view absent, bool rejected) {
    std::string w(present);
    w += " is set but ";
    w += absent;
    w += rejected ? " was rejected" : " is not";
    w += ": the key pair is incomplete and not used";
    return w;
}

}  // namespace

environment_credentials credentials_from(
    std::function<std::optional<std::string>(std::string_view)> const& getenv) {
    environment_credentials c;
    auto& warnings = c.warnings;
    value ak = read(getenv, env_access_key, warnings);
    value sk = read(getenv, env_secret_key, warnings);
    value security_token = read(getenv, env_security_token, warnings);
    value token = read(getenv, env_auth_token, warnings);
    value project_id = read(getenv, env_project_id, warnings);

    c.project_id = std::move(project_id.text);

    if (ak.usable() && sk.usable()) {
        c.chosen = environment_credentials::kind::access_key;
        c.ak = std::move(ak.text);
        c.sk = std::move(sk.text);
        c.security_token = std::move(security_token.text);
        if (token.usable()) {
            std::string w(env_auth_token);
            w += " is also set and ignored: the key pair ";
            w += env_access_key;
            w += '/';
            w += env_secret_key;
            w += " takes precedence";
            warnings.push_back(std::move(w));
        }
        return c;
    }

    if (ak.usable() != sk.usable()) {
        std::string w = ak.usable() ? missing(env_access_key, env_secret_key, sk.rejected)
                                    : missing(env_secret_key, env_access_key, ak.rejected);
        if (token.usable()) {
            w += "; using ";
            w += env_auth_token;
        }
        warnings.push_back(std::move(w));
    }
    if (security_token.usable()) {
        std::string w(env_security_token);
        w += " is set but ignored: it is used only with ";
        w += env_access_key;
        w += '/';
        w += env_secret_key;
        warnings.push_back(std::move(w));
    }
    if (token.usable()) {
        c.chosen = environment_credentials::kind::token;
        c.token = std::move(token.text);
    }
    return c;
}

environment_credentials credentials_from_env() {
    return credentials_from([](std::string_view name) -> std::optional<std::string> {
        char const* v = std::getenv(std::string(name).c_str());
        if (v == nullptr) return std::nullopt;
        return std::string(v);
    });
}

std::string describe(environment_credentials const& c) {
    std::string out;
    switch (c.chosen) {
    case environment_credentials::kind::access_key:
        out = "access key from ";
        out += env_access_key;
        out += '/';
        out += env_secret_key;
        if (!c.security_token.empty()) out += " (with security token)";
        break;
    case environment_credentials::kind::token:
        out = "token from ";
        out += env_auth_token;
        break;
    case environment_credentials::kind::none:
        out = "no credentials in the environment";
        break;
    }
    if (!c.project_id.empty()) {
        out += "; project id from ";
        out += env_project_id;
    }
    return out;
}

}  // namespace apig
