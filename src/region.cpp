// APIG regions, their endpoints and "did you mean" suggestions.
#include <apig/region.hpp>

#include "auth/iam.hpp"
#include "auth/profile.hpp"
#include "error_detail.hpp"

#include <algorithm>
#include <array>
#include <numeric>

namespace apig {
namespace {

// The API document's list, in its order.
constexpr std::array<std::string_view, 34> regions{
    "cn-north-4",     "cn-north-1",     "cn-east-2",        "cn-east-3",      "cn-south-1",
    "ap-southeast-2", "ap-southeast-1", "ap-southeast-3",   "ru-northwest-2", "sa-brazil-1",
    "la-south-2",     "la-north-2",     "na-mexico-1",      "af-south-1",     "cn-north-9",
    "cn-southwest-2", "ap-southeast-4", "tr-west-1",        "cn-north-2",     "eu-west-101",
    "ae-ad-1",        "me-east-1",      "my-kualalumpur-1", "eu-west-0",      "ru-moscow-1",
    "cn-south-4",     "cn-east-5",      "cn-north-12",      "cn-east-4",      "cn-southwest-3",
    "cn-south-2",     "cn-north-11",    "ap-southeast-5",   "af-north-1",
};

constexpr char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

constexpr bool iequal(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return lower(x) == lower(y);
           });
}

// Optimal string alignment distance, ASCII case ignored. `b` is a region name (short), so the
// three rows are small whatever the length of `a`.
std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> before(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
    std::iota(prev.begin(), prev.end(), std::size_t{0});
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t const cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
            if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
                lower(a[i - 2]) == lower(b[j - 1]))
                cur[j] = std::min(cur[j], before[j - 2] + 1);
        }
        std::swap(before, prev);
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

}  // namespace

std::span<std::string_view const> apig_regions() noexcept { return regions; }

bool is_apig_region(std::string_view region) noexcept {
    return std::find(regions.begin(), regions.end(), region) != regions.end();
}

std::optional<std::string> endpoint_for_region(std::string_view region) {
    if (!is_apig_region(region)) return std::nullopt;
    std::string out = "https://apig.";
    out += region;
    out += region == "eu-west-101" ? ".myhuaweicloud.eu" : ".myhuaweicloud.com";
    return out;
}

std::vector<std::string> region_endpoints(std::string_view region,
                                          std::function<std::optional<std::string>(std::string_view)> const& getenv) {
    if (region.empty()) return {};
    // Only a name that makes a plain variable name is looked up ('=' or NUL would not).
    bool const plain = std::all_of(region.begin(), region.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    });
    if (!plain) return {};
    auto const name = auth::region_env_name(region);
    auto const value = getenv ? getenv(name) : auth::process_getenv()(name);
    if (value) {
        auto list = auth::split_endpoints(*value);
        if (!list.empty()) return list;
    }
    if (auto endpoint = endpoint_for_region(region)) return {std::move(*endpoint)};
    return {};
}

std::vector<std::string_view> closest_regions(std::string_view name, std::size_t max_count) {
    std::vector<std::string_view> out;
    if (max_count == 0) return out;
    for (std::string_view r : regions) {
        if (iequal(name, r)) {
            out.push_back(r);
            return out;
        }
    }
    std::size_t const limit = std::max<std::size_t>(2, name.size() / 3);
    struct candidate {
        std::size_t distance{};
        std::size_t index{};
    };
    std::vector<candidate> found;
    for (std::size_t i = 0; i < regions.size(); ++i) {
        std::string_view const r = regions[i];
        // The distance is at least the difference in length: skip the work when that is too far.
        std::size_t const gap = name.size() > r.size() ? name.size() - r.size() : r.size() - name.size();
        if (gap > limit) continue;
        std::size_t const d = edit_distance(name, r);
        if (d <= limit) found.push_back({d, i});
    }
    std::stable_sort(found.begin(), found.end(),
                     [](candidate const& a, candidate const& b) { return a.distance < b.distance; });
    for (std::size_t i = 0; i < found.size() && i < max_count; ++i) out.push_back(regions[found[i].index]);
    return out;
}

error_info region_error(std::string_view name) {
    std::string what = "region '" + printable(name, 64) + "' is not an APIG region; ";
    auto const close = closest_regions(name);
    if (close.empty()) {
        what += "see apig_regions()";
    } else {
        what += "closest: ";
        for (std::size_t i = 0; i < close.size(); ++i) {
            if (i != 0) what += ", ";
            what += close[i];
        }
    }
    return invalid_argument(std::move(what));
}

}  // namespace apig
