#pragma once

// The instance ids a walk has yielded, for "no id twice" (walk_plan.cpp). Sans-I/O, unit-tested.
//
// An id is kept as its 64-bit hash (8 bytes, not a node and a string): two different ids
// collide with probability ~n^2 / 2^65 (3e-8 for a million ids), and the cost of a collision
// is one instance wrongly taken for a duplicate, counted in walk_stats::duplicates_dropped.
//
// A walk of a million instances must stay small, so the hashes live in 64 open-addressing
// tables chosen by the hash's top bits, each grown on its own by half its size at 3/4 full:
// 11 to 16 bytes an id (12 for a million), and growing one table never holds more than 1/64 of
// the set twice (one big table would briefly need old + new, 3x). Not fuller: with linear
// probing an insert of a new id scans ~(1 + 1/(1-load)^2)/2 slots, 32 at 7/8 and 8.5 at 3/4,
// and the set is the walk's largest cost per instance (7/8 cost the walk ~7% of its
// throughput at page size 500 for ~15% less memory).

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

namespace apig::detail {

class id_set {
public:
    /// Adds the id; false if it (or an id with the same hash) was there already.
    bool insert(std::string_view id) { return insert_hash(hash(id)); }

    /// The hash of an id, as `insert` adds it (with `insert_hash`).
    static std::uint64_t hash(std::string_view id) noexcept { return std::hash<std::string_view>{}(id); }

    /// Fetches the cache line where `h` would go. A set of a million ids is ~12 MB, so each
    /// insert is a cache miss: a page's hashes prefetched first overlap their misses (the
    /// walk's dedup went from ~15% of a 500-instance page's CPU to a few %).
    void prefetch(std::uint64_t h) const noexcept {
        auto const& t = tables_[h >> (64 - table_bits)];
        if (!t.slots.empty()) __builtin_prefetch(t.slots.data() + start(h, t.slots.size()));
    }

    /// Adds a hash (exposed for tests of collisions and growth).
    bool insert_hash(std::uint64_t h) {
        if (h == 0) h = 1;  // 0 marks an empty slot
        auto& t = tables_[h >> (64 - table_bits)];
        if ((t.size + 1) * 4 > t.slots.size() * 3) grow(t);  // 3/4 full: see above
        return place(t.slots, h, t.size);
    }

    /// Makes room for `n` ids in all, so that adding them does not grow (and rehash) a table on
    /// the way. Hashes pick a table at random, so a table gets n/64 ids give or take a binomial
    /// spread: each is sized for six standard deviations over its share. The walk calls it with
    /// the list's `total`, capped by the caller: the server's number is not trusted.
    void reserve(std::size_t n) {
        std::size_t const share = n / tables_.size();
        std::size_t const per_table = share + 6 * static_cast<std::size_t>(std::sqrt(static_cast<double>(share))) + 16;
        std::size_t const slots = per_table + per_table / 3 + 1;  // <= 3/4 full at n
        for (auto& t : tables_)
            if (t.slots.size() < slots) rehash(t, slots);
    }
    /// Ids added.
    std::size_t size() const noexcept {
        std::size_t n = 0;
        for (auto const& t : tables_) n += t.size;
        return n;
    }

    /// Bytes held by the tables.
    std::size_t bytes() const noexcept {
        std::size_t n = 0;
        for (auto const& t : tables_) n += t.slots.capacity() * sizeof(std::uint64_t);
        return n;
    }

private:
    static constexpr int table_bits = 6;

    struct table {
        std::vector<std::uint64_t> slots;
        std::size_t size = 0;
    };

    // Where probing starts: the hash's bits below the table bits, scaled to the capacity by a
    // multiply and shift (a 64-bit division per insert cost more than the probe itself).
    static std::size_t start(std::uint64_t h, std::size_t n) noexcept {
        __extension__ typedef unsigned __int128 u128;
        return static_cast<std::size_t>((static_cast<u128>(h << table_bits) * n) >> 64);
    }

    // Linear probing from start(h, capacity).
    static bool place(std::vector<std::uint64_t>& slots, std::uint64_t h, std::size_t& size) {
        std::size_t const n = slots.size();
        for (std::size_t i = start(h, n);; i = i + 1 == n ? 0 : i + 1) {
            if (slots[i] == h) return false;
            if (slots[i] == 0) {
                slots[i] = h;
                ++size;
                return true;
            }
        }
    }

    static void grow(table& t) { rehash(t, t.slots.empty() ? 16 : t.slots.size() + t.slots.size() / 2); }
    static void rehash(table& t, std::size_t n) {
        std::vector<std::uint64_t> old = std::move(t.slots);
        t.slots.assign(n, 0);
        t.size = 0;
        for (auto h : old)
            if (h != 0) place(t.slots, h, t.size);
    }

    std::array<table, std::size_t{1} << table_bits> tables_{};
};

}  // namespace apig::detail
