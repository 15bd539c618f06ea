#pragma once

#include <apig/export.hpp>

// The regions where APIG is published and their endpoints: a fixed table from the API
// document, no I/O. A region name is matched exactly (case-sensitive, no trimming): the
// names are lower case, e.g. `cn-north-4`.

#include <apig/error.hpp>

#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace apig {

/// The 34 regions published for APIG, in the order of the API document (`cn-north-4` first,
/// `af-north-1` last). The strings are static: the span and its views stay valid for the
/// whole program.
APIG_DECL std::span<std::string_view const> apig_regions() noexcept;

/// Whether `region` is one of `apig_regions()` (exact, case-sensitive comparison).
APIG_DECL bool is_apig_region(std::string_view region) noexcept;

/// The endpoint of a region, ready for `client_options::endpoint`:
/// `https://apig.{region}.myhuaweicloud.com`, except `eu-west-101`, which is
/// `https://apig.eu-west-101.myhuaweicloud.eu`.
///
/// `std::nullopt` when `region` is not exactly one of `apig_regions()`: the comparison is
/// case-sensitive and surrounding whitespace is not removed (`"CN-NORTH-4"` and
/// `" cn-north-4"` are refused). Use `region_error` to tell the caller why.
APIG_DECL std::optional<std::string> endpoint_for_region(std::string_view region);

/// APIG's endpoints in `region`, as the official SDKs' region chain finds them: the
/// environment variable HUAWEICLOUD_SDK_REGION_APIG_<REGION> (the region upper-cased, '-' as
/// '_': `cn-north-4` -> `HUAWEICLOUD_SDK_REGION_APIG_CN_NORTH_4`), a comma-separated list
/// (each entry trimmed, empty entries dropped), wins over the built-in table, and a region
/// only the environment defines is accepted; else `endpoint_for_region(region)` as a
/// one-element list; else empty. A variable holding no entry (`""`, `" , "`) counts as
/// unset. An empty `region`, or one with a character other than ASCII letters, digits, '-'
/// and '_' (no variable can be named after it, and no region has one), gives an empty list. The entries are returned as written (not
/// checked as URLs). `getenv`: a name in, the value or nullopt out (default: the process
/// environment, read with std::getenv: not safe against a concurrent setenv).
APIG_DECL std::vector<std::string> region_endpoints(std::string_view region,
    std::function<std::optional<std::string>(std::string_view)> const& getenv = {});

/// Up to `max_count` regions whose names are close to `name`, closest first, for "did you
/// mean" messages.
///
/// Closeness is the optimal-string-alignment edit distance (Damerau-Levenshtein where a
/// transposed pair of neighbouring characters counts as one edit), ignoring ASCII case. Only
/// regions within `max(2, name.size() / 3)` edits are returned; ties keep the order of
/// `apig_regions()`. When `name` equals a region but for case, only that region is returned.
/// The result is empty when nothing is close (or `max_count` is 0). The views point into
/// `apig_regions()`.
APIG_DECL std::vector<std::string_view> closest_regions(std::string_view name, std::size_t max_count = 3);

/// The error for a region that `endpoint_for_region` refused: `errc::invalid_argument` with
/// a one-line message such as
///
///     invalid argument: region 'cn-nort-4' is not an APIG region; closest: cn-north-4, cn-north-1, cn-north-9
///     invalid argument: region 'xx' is not an APIG region; see apig_regions()
///
/// listing `closest_regions(name)` (3 at most). In the message, control characters of `name`
/// are shown as `?` and a name longer than 64 bytes is cut to 64 bytes followed by `...`.
/// Other fields of the error_info are left at their defaults.
APIG_DECL error_info region_error(std::string_view name);

}  // namespace apig
