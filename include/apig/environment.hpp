#pragma once

#include <apig/export.hpp>

// Credentials and project id from environment variables, under the names of Huawei Cloud's
// official SDKs (plus APIG_AUTH_TOKEN for an IAM token). The rules live in a pure function
// that takes a lookup, so they are testable without touching the process environment.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace apig {

/// Access key id (official SDK name).
inline constexpr std::string_view env_access_key = "HUAWEICLOUD_SDK_AK";
/// Secret access key (official SDK name).
inline constexpr std::string_view env_secret_key = "HUAWEICLOUD_SDK_SK";
/// Security token of a temporary access key (official SDK name).
inline constexpr std::string_view env_security_token = "HUAWEICLOUD_SDK_SECURITY_TOKEN";
/// Project id (official SDK name).
inline constexpr std::string_view env_project_id = "HUAWEICLOUD_SDK_PROJECT_ID";
/// IAM token sent as `X-Auth-Token` (apig's own name; the SDKs have none).
inline constexpr std::string_view env_auth_token = "APIG_AUTH_TOKEN";
/// The profile file (official SDK name); default `~/.huaweicloud/credentials`.
inline constexpr std::string_view env_credentials_file = "HUAWEICLOUD_SDK_CREDENTIALS_FILE";
/// IAM's endpoint for project discovery (official SDK name).
inline constexpr std::string_view env_iam_endpoint = "HUAWEICLOUD_SDK_IAM_ENDPOINT";
/// The region, for `apig-instances` when no endpoint or region is given on its command line.
inline constexpr std::string_view env_region = "HUAWEICLOUD_SDK_REGION";
/// The pod identity agent's URL (official SDK name).
inline constexpr std::string_view env_pod_identity_uri = "HC_CONTAINER_CREDENTIALS_FULL_URI";
/// The file holding the pod identity agent's authorization token (official SDK name).
inline constexpr std::string_view env_pod_identity_token_file = "HC_CONTAINER_AUTHORIZATION_TOKEN_FILE";
/// The ECS metadata service's base URL for `apig-instances` (apig's own name, for tests);
/// default `http://169.254.169.254`.
inline constexpr std::string_view env_metadata_endpoint = "APIG_METADATA_ENDPOINT";

/// What the environment provides. Only the chosen credentials are filled: a value that was
/// set but not used (a token beside a key pair, half a key pair, a security token without a
/// key pair, a rejected value) is left empty here and named in `warnings`.
///
/// Holds secrets: do not log it; `describe` gives a safe summary.
struct environment_credentials {
    /// Access key id; set when `chosen == kind::access_key`.
    std::string ak{};
    /// Secret access key; set when `chosen == kind::access_key`.
    std::string sk{};
    /// Security token of a temporary key pair; may be set when `chosen == kind::access_key`.
    std::string security_token{};
    /// IAM token; set when `chosen == kind::token`.
    std::string token{};
    /// The project id, whatever the credentials (empty when not set).
    std::string project_id{};

    enum class kind {
        /// No usable credentials.
        none,
        /// `token` from APIG_AUTH_TOKEN.
        token,
        /// `ak`/`sk` (and maybe `security_token`) from the HUAWEICLOUD_SDK_* variables.
        access_key,
    };
    kind chosen = kind::none;

    /// One line each, for a person: what was ignored and why. They name variables, never a
    /// value.
    std::vector<std::string> warnings{};
};

/// Reads the variables through `getenv` (a name in, the value or `std::nullopt` out) and
/// applies these rules:
///
/// - Each value has surrounding ASCII whitespace removed (spaces, tabs, CR, LF: e.g. the
///   newline of `$(cat file)`); an empty value then counts as unset, without a warning.
/// - A value that still contains a control character (CR, LF, NUL, tab or any other byte
///   below 0x20, or 0x7F) is rejected: treated as unset, with a warning naming the variable.
///   Such a value would break or smuggle an HTTP header.
/// - HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK both set: `kind::access_key`, with
///   HUAWEICLOUD_SDK_SECURITY_TOKEN if set. If APIG_AUTH_TOKEN is also set, the key pair
///   wins and a warning says the token was ignored.
/// - Only one of the two set: a warning names the missing (or rejected) one and the key pair
///   is not used; APIG_AUTH_TOKEN is used if set.
/// - Otherwise APIG_AUTH_TOKEN if set: `kind::token`; else `kind::none`.
/// - HUAWEICLOUD_SDK_SECURITY_TOKEN without a usable key pair: ignored, with a warning.
/// - HUAWEICLOUD_SDK_PROJECT_ID is read with the same trimming and rejection.
///
/// A secret shorter than 8 characters or with a space inside is returned as read; the client
/// refuses it (`errc::invalid_argument`, naming the field; see credentials.hpp).
///
/// `getenv` is called once for each of the five names.
APIG_DECL environment_credentials credentials_from(
    std::function<std::optional<std::string>(std::string_view)> const& getenv);

/// `credentials_from` over the process environment (`std::getenv`). Like `std::getenv`, not
/// safe while another thread modifies the environment.
APIG_DECL environment_credentials credentials_from_env();

/// A one-line summary without any secret (nor the access key id), e.g.
/// `access key from HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK (with security token)`,
/// `token from APIG_AUTH_TOKEN` or `no credentials in the environment`, followed by
/// `; project id from HUAWEICLOUD_SDK_PROJECT_ID` when a project id was read.
APIG_DECL std::string describe(environment_credentials const& c);

}  // namespace apig
