#pragma once

// The emulator's dataset: each project's instances, generated deterministically from the seed
// and serialised to JSON once, at start-up. Serving a page never serialises again: an
// unfiltered page is one contiguous slice of `blob`, a filtered page concatenates slices.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace apig::emulator::detail {

// MurmurHash3's 64-bit finaliser: a bijection on 64-bit values, so distinct inputs give
// distinct outputs (used for the unique half of each id and for request ids) and well-mixed
// bits.
constexpr std::uint64_t fmix64(std::uint64_t k) noexcept {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
}

/// Writes `v` as 16 lowercase hex digits to out[0..16).
inline void put_hex64(char* out, std::uint64_t v) noexcept {
    constexpr char digits[] = "0123456789abcdef";
    for (int i = 15; i >= 0; --i) {
        out[i] = digits[v & 0xf];
        v >>= 4;
    }
}

/// A status the emulator knows: its name (`status`) and its code (`instance_status`).
struct status_def {
    std::string_view name;
    int code;
};

/// The 37 documented statuses, then the one "from the future" (Hibernating, 99) that a few
/// instances carry so clients' handling of unknown values gets exercised.
std::span<status_def const> status_table() noexcept;
/// Index into status_table() of a status name (exact, case-sensitive), or -1.
int find_status(std::string_view name) noexcept;

/// The 15 documented specs, then the future one (PLATINUM_X16).
std::span<std::string_view const> spec_table() noexcept;

struct project_dataset {
    std::string project_id;
    /// Every instance's JSON text, in dataset order, separated by ',' (no brackets), so the
    /// instances [first, last) are the single slice blob[offsets[first], offsets[last] - 1).
    std::string blob;
    /// size() + 1 entries: offsets[i] is where instance i starts in blob; the last entry is
    /// blob.size() + 1 (as if a ',' followed the last instance).
    std::vector<std::size_t> offsets;
    /// 32 hex characters per instance, back to back (kept apart from the JSON for filtering).
    std::string ids;
    /// Each instance's (decoded) name, back to back; name i is
    /// names[name_offsets[i], name_offsets[i + 1]).
    std::string names;
    std::vector<std::size_t> name_offsets;
    /// Each instance's index into status_table().
    std::vector<std::uint8_t> statuses;

    std::size_t size() const noexcept { return statuses.size(); }
    std::string_view json(std::size_t i) const noexcept {
        return std::string_view(blob).substr(offsets[i], offsets[i + 1] - offsets[i] - 1);
    }
    /// Instances [first, last) as they appear in a JSON array, comma-separated; empty if
    /// first == last.
    std::string_view slice(std::size_t first, std::size_t last) const noexcept {
        if (first >= last) return {};
        return std::string_view(blob).substr(offsets[first], offsets[last] - offsets[first] - 1);
    }
    std::string_view id(std::size_t i) const noexcept {
        return std::string_view(ids).substr(i * 32, 32);
    }
    std::string_view name(std::size_t i) const noexcept {
        return std::string_view(names).substr(name_offsets[i],
                                              name_offsets[i + 1] - name_offsets[i]);
    }
};

/// One instance on its own (the mutation mode's inserted instances).
struct instance_record {
    std::string json;  ///< its JSON text
    std::string id;    ///< 32 hex characters
    std::string name;  ///< decoded instance_name
    std::uint8_t status = 0;  ///< index into status_table()
};

/// Instance `index` of a project exactly as make_dataset(project_id, project_index, seed, n)
/// builds it for any n > index. Ids are unique per (seed, project_index) over every index
/// (the first half of an id is a bijection of the index), so indices >= the dataset's count
/// give new instances whose ids no dataset instance (and no other new one) has.
instance_record make_instance(std::string_view project_id, std::size_t project_index,
                              std::uint64_t seed, std::size_t index);

/// Builds `count` instances of a project. The same (seed, project_index, count) always gives
/// the same dataset, and instance i does not depend on count (a longer dataset extends a
/// shorter one). Large datasets are built on several threads.
project_dataset make_dataset(std::string project_id, std::size_t project_index,
                             std::uint64_t seed, std::size_t count);

}  // namespace apig::emulator::detail
