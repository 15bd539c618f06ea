#pragma once

// Which credentials apig-instances uses: a token from --token-file, or whatever the
// environment provides under apig::credentials_from's rules (a key pair from
// HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK, else a token from APIG_AUTH_TOKEN). The decision is a
// pure function of the injected environment and the token file's content, so every rule is
// unit-tested; main.cpp only prints what it returns.

#include "cli_options.hpp"

#include <apig/credentials.hpp>
#include <apig/credentials_chain.hpp>

#include <optional>
#include <string>
#include <vector>

namespace apig::cli {

/// Where the credentials of a run come from.
enum class credential_source {
    /// Nothing usable: `credential_choice::error` says what to set.
    none,
    /// --token-file: an explicit choice, it wins over anything in the environment.
    token_file,
    /// HUAWEICLOUD_SDK_AK + HUAWEICLOUD_SDK_SK (+ HUAWEICLOUD_SDK_SECURITY_TOKEN).
    env_access_key,
    /// APIG_AUTH_TOKEN.
    env_token,
    /// Nothing in the environment: apig::credentials_from_chain (the profile file, the ECS
    /// metadata service, pod identity), resolved on the first request; `chain` is it.
    chain,
};

/// What choose_credentials decided. `credentials` holds secrets: never print it. Every
/// string here names variables or options, never a value (not even the access key id).
struct credential_choice {
    credential_source source = credential_source::none;
    /// What the client is given; meaningful only when `error` is empty.
    apig::client_credentials credentials{};
    /// With `credential_source::chain`: the chain (also in `credentials`), to print which
    /// source it chose.
    std::shared_ptr<apig::credentials_chain> chain{};
    /// A usage error (exit 2, nothing sent): one line, without the program name. Empty on
    /// success.
    std::string error{};
    /// One line each, without the program name: values that were set but not used, and why
    /// (apig::credentials_from's warnings). Printed always, even with --quiet and before an
    /// error.
    std::vector<std::string> warnings{};
    /// Which credentials are used and which credential variables were set but ignored, e.g.
    /// "using the access key pair from HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK (with security
    /// token); APIG_AUTH_TOKEN ignored". Only when there was a choice (a credential variable
    /// set but not used) or a warning; empty for an ordinary run, which stays quiet.
    /// Informational: --quiet suppresses it.
    std::string notice{};
};

/// The decision. `token_file` is the result of load_token_file when --token-file was given
/// (nullopt otherwise); `env` is read only for the four credential variables
/// (HUAWEICLOUD_SDK_PROJECT_ID is parse_args' business):
///
/// - --token-file given: its token, or its error. Credential variables in the environment
///   are ignored; the notice names them. No environment warning is given: nothing from
///   there is used.
/// - Otherwise apig::credentials_from: the key pair wins over APIG_AUTH_TOKEN; half a key
///   pair, a stray security token or a value with a control character is ignored with a
///   warning.
/// - Nothing usable there: apig::credentials_from_chain over `env` (profile file, then the
///   ECS metadata service at APIG_METADATA_ENDPOINT or its default address, then pod
///   identity); its warnings (a profile readable by others) are returned, and it is resolved
///   on the first request, failing with a message that names every source tried.
credential_choice choose_credentials(std::optional<token_result> const& token_file,
                                     env_lookup const& env);

/// choose_credentials with --token-file read (load_token_file) when `opts` has one.
credential_choice load_credentials(options const& opts, env_lookup const& env);

}  // namespace apig::cli
