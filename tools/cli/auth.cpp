#include "auth.hpp"

#include <apig/environment.hpp>

#include <algorithm>
#include <array>
#include <initializer_list>
#include <string_view>
#include <utility>

namespace apig::cli {
namespace {

/// The credential variables, in the order the notice lists them.
constexpr std::array<std::string_view, 4> credential_variables{
    apig::env_access_key, apig::env_secret_key, apig::env_security_token, apig::env_auth_token};

/// Set in the sense of apig::credentials_from: a value with something besides whitespace
/// (an empty or blank value counts as unset there, without a warning).
bool is_set(env_lookup const& env, std::string_view name) {
    auto const v = env(std::string(name).c_str());
    if (!v) return false;
    for (char const c : *v)
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '\v' && c != '\f') return true;
    return false;
}

/// "; A, B ignored" for the credential variables set but not in `used`; "" if none.
std::string ignored_suffix(env_lookup const& env, std::initializer_list<std::string_view> used) {
    std::string names;
    for (auto const name : credential_variables) {
        if (std::find(used.begin(), used.end(), name) != used.end()) continue;
        if (!is_set(env, name)) continue;
        if (!names.empty()) names += ", ";
        names += name;
    }
    return names.empty() ? std::string() : "; " + names + " ignored";
}

}  // namespace

credential_choice choose_credentials(std::optional<token_result> const& token_file,
                                     env_lookup const& env) {
    credential_choice c;
    if (token_file) {
        if (!token_file->error.empty()) {
            c.error = token_file->error;
            return c;
        }
        c.source = credential_source::token_file;
        c.credentials = apig::token_credentials{token_file->token};
        if (auto const ignored = ignored_suffix(env, {}); !ignored.empty())
            c.notice = "using the token from --token-file" + ignored +
                       " (--token-file takes precedence over the environment)";
        return c;
    }

    // Only the credential variables: the project id is read (with the same rules) by
    // parse_args, and a warning about it belongs there.
    auto const e = apig::credentials_from([&](std::string_view name) -> std::optional<std::string> {
        if (name == apig::env_project_id) return std::nullopt;
        return env(std::string(name).c_str());
    });
    c.warnings = e.warnings;
    switch (e.chosen) {
    case apig::environment_credentials::kind::access_key: {
        c.source = credential_source::env_access_key;
        c.credentials = apig::aksk_credentials{e.ak, e.sk, e.security_token};
        bool const with_token = !e.security_token.empty();
        std::string used = "using the access key pair from ";
        used += apig::env_access_key;
        used += '/';
        used += apig::env_secret_key;
        if (with_token) used += " (with security token)";
        auto const ignored =
            with_token ? ignored_suffix(env, {apig::env_access_key, apig::env_secret_key,
                                              apig::env_security_token})
                       : ignored_suffix(env, {apig::env_access_key, apig::env_secret_key});
        if (!ignored.empty() || !c.warnings.empty()) c.notice = used + ignored;
        break;
    }
    case apig::environment_credentials::kind::token: {
        c.source = credential_source::env_token;
        c.credentials = apig::token_credentials{e.token};
        auto const ignored = ignored_suffix(env, {apig::env_auth_token});
        if (!ignored.empty() || !c.warnings.empty())
            c.notice = "using the token from " + std::string(apig::env_auth_token) + ignored;
        break;
    }
    case apig::environment_credentials::kind::none: {
        apig::chain_options o;
        o.getenv = [env](std::string_view name) { return env(std::string(name).c_str()); };
        if (auto m = env(std::string(apig::env_metadata_endpoint).c_str()); m && !m->empty())
            o.metadata_endpoint = *m;
        try {
            c.chain = apig::credentials_from_chain(std::move(o));
        } catch (apig::api_error const& e) {
            c.error = e.info().message;
            break;
        }
        for (auto const& w : c.chain->warnings())
            if (std::find(c.warnings.begin(), c.warnings.end(), w) == c.warnings.end()) c.warnings.push_back(w);
        c.source = credential_source::chain;
        c.credentials = std::shared_ptr<apig::credentials_provider>(c.chain);
        break;
    }
    }
    return c;
}

credential_choice load_credentials(options const& opts, env_lookup const& env) {
    std::optional<token_result> file;
    if (opts.token_file) file = load_token_file(*opts.token_file);
    return choose_credentials(file, env);
}

}  // namespace apig::cli
