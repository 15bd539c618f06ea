#pragma once

// IAM as the official SDKs use it to discover a project (KeystoneListProjects,
// `GET /v3/projects?name=<region>`, signed with the key pair), and region endpoints from the
// environment. Pure functions. Internal header.

#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace apig::auth {

/// The official SDKs' default IAM endpoint: `https://iam.myhuaweicloud.com`.
inline constexpr std::string_view default_iam_endpoint = "https://iam.myhuaweicloud.com";

/// The IAM endpoint of a region as the official SDKs' table has it
/// (`https://iam.<region>.myhuaweicloud.com` for the regions in that table), else
/// `default_iam_endpoint`.
std::string iam_endpoint_for_region(std::string_view region);

/// A configured IAM endpoint (option, HUAWEICLOUD_SDK_IAM_ENDPOINT, profile) as the official
/// SDKs read it: trimmed; `https://` prepended when it has no scheme (`iam.example.com` ->
/// `https://iam.example.com`); a trailing '/' removed.
std::string normalized_iam_endpoint(std::string_view configured);

/// The request target of KeystoneListProjects for `region`: `/v3/projects?name=<region,
/// percent-encoded as the signer encodes a query value>`.
std::string projects_target(std::string_view region);

/// One project of the answer.
struct iam_project {
    std::string id{};
    std::string name{};
};

/// Parses KeystoneListProjects' body: `{"projects": [{"id": ..., "name": ..., ...}, ...],
/// "links": ...}` (other members ignored). Every project needs a non-empty string `id`
/// without control characters (at most 128 bytes) and a string `name`; at most 1000 projects.
/// The error is a phrase: "the response is not JSON", "projects is missing", "projects[2].id
/// is not a string", ...
std::variant<std::vector<iam_project>, std::string> parse_projects(std::string_view body);

/// The environment variable that overrides APIG's endpoints in `region`, as the official
/// region provider names it: `HUAWEICLOUD_SDK_REGION_APIG_<REGION>`, the region upper-cased
/// with '-' replaced by '_' (`cn-north-4` -> `HUAWEICLOUD_SDK_REGION_APIG_CN_NORTH_4`).
std::string region_env_name(std::string_view region);

/// The endpoints in such a variable's value: split on ',', each trimmed, empty pieces
/// dropped, in order.
std::vector<std::string> split_endpoints(std::string_view value);

}  // namespace apig::auth
