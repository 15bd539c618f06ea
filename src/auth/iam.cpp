// IAM's endpoints, KeystoneListProjects' request target and answer, region endpoints from the
// environment.
#include "iam.hpp"

#include "json_body.hpp"
#include "signer.hpp"

#include <boost/json/value.hpp>

#include <algorithm>
#include <array>

namespace apig::auth {
namespace {

// The regions of the official SDKs' IAM endpoint table (core/auth/internal/iam_endpoint.go of
// huaweicloud-sdk-go-v3), each at `https://iam.<region>.myhuaweicloud.com`.
constexpr std::array<std::string_view, 26> iam_regions{
    "cn-north-2",     "cn-north-4",     "cn-north-1",     "cn-east-2",        "cn-east-3",
    "cn-south-1",     "cn-south-2",     "cn-southwest-2", "ap-southeast-1",   "ap-southeast-2",
    "ap-southeast-3", "af-south-1",     "sa-brazil-1",    "la-south-2",       "na-mexico-1",
    "la-north-2",     "cn-north-9",     "eu-west-0",      "my-kualalumpur-1", "ru-moscow-1",
    "me-east-1",      "ap-southeast-4", "ae-ad-1",        "cn-east-4",        "cn-east-5",
    "tr-west-1",
};

constexpr std::size_t max_projects = 1000;
constexpr std::size_t max_project_id = 128;

bool control(char c) noexcept {
    auto const u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
}

std::string project_field(std::size_t i, std::string_view name) {
    return "projects[" + std::to_string(i) + "]." + std::string(name);
}

}  // namespace

std::string iam_endpoint_for_region(std::string_view region) {
    if (std::find(iam_regions.begin(), iam_regions.end(), region) == iam_regions.end())
        return std::string(default_iam_endpoint);
    return "https://iam." + std::string(region) + ".myhuaweicloud.com";
}

std::string normalized_iam_endpoint(std::string_view configured) {
    std::string_view const t = trim(configured);
    if (t.empty()) return {};
    std::string out = t.find("://") == std::string_view::npos ? "https://" + std::string(t) : std::string(t);
    std::size_t const host = out.find("://") + 3;
    while (out.size() > host && out.back() == '/') out.pop_back();
    return out;
}

std::string projects_target(std::string_view region) { return "/v3/projects?name=" + uri_encode(region); }

std::variant<std::vector<iam_project>, std::string> parse_projects(std::string_view body) {
    auto parsed = parse_body(body);
    if (auto const* why = std::get_if<std::string>(&parsed)) return *why;
    auto const& root = std::get<boost::json::value>(parsed);
    auto const* top = root.if_object();
    if (top == nullptr) return "the response is " + std::string(kind_name(root)) + ", not an object";
    auto const* list_value = top->if_contains("projects");
    if (list_value == nullptr) return std::string("projects is missing");
    auto const* list = list_value->if_array();
    if (list == nullptr) return "projects is " + std::string(kind_name(*list_value)) + ", not an array";
    if (list->size() > max_projects)
        return "projects has " + std::to_string(list->size()) + " entries, more than " +
               std::to_string(max_projects);

    std::vector<iam_project> out;
    out.reserve(list->size());
    for (std::size_t i = 0; i < list->size(); ++i) {
        auto const& entry = (*list)[i];
        auto const* o = entry.if_object();
        if (o == nullptr)
            return "projects[" + std::to_string(i) + "] is " + std::string(kind_name(entry)) + ", not an object";
        auto const* id = o->if_contains("id");
        if (id == nullptr) return project_field(i, "id") + " is missing";
        if (!id->is_string()) return project_field(i, "id") + " is not a string";
        auto const& id_text = id->get_string();
        if (id_text.empty()) return project_field(i, "id") + " is empty";
        if (id_text.size() > max_project_id)
            return project_field(i, "id") + " is longer than " + std::to_string(max_project_id) + " bytes";
        if (std::any_of(id_text.begin(), id_text.end(), control))
            return project_field(i, "id") + " contains a control character";
        auto const* name = o->if_contains("name");
        if (name == nullptr) return project_field(i, "name") + " is missing";
        if (!name->is_string()) return project_field(i, "name") + " is not a string";
        auto const& name_text = name->get_string();
        out.push_back({std::string(id_text.data(), id_text.size()), std::string(name_text.data(), name_text.size())});
    }
    return out;
}

std::string region_env_name(std::string_view region) {
    std::string out = "HUAWEICLOUD_SDK_REGION_APIG_";
    for (char c : region) {
        if (c == '-') c = '_';
        else if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        out += c;
    }
    return out;
}

std::vector<std::string> split_endpoints(std::string_view value) {
    std::vector<std::string> out;
    while (true) {
        std::size_t const comma = value.find(',');
        std::string_view const piece = trim(value.substr(0, comma));
        if (!piece.empty()) out.emplace_back(piece);
        if (comma == std::string_view::npos) break;
        value.remove_prefix(comma + 1);
    }
    return out;
}

}  // namespace apig::auth
