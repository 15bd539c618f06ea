// The walk's set of yielded ids (src/id_set.hpp).
#include "id_set.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

TEST_CASE("id_set: each id is new once, whatever the growth") {
    apig::detail::id_set s;
    for (int i = 0; i < 200'000; ++i) REQUIRE(s.insert("inst-" + std::to_string(i)));
    for (int i = 0; i < 200'000; i += 7) REQUIRE_FALSE(s.insert("inst-" + std::to_string(i)));
    CHECK(s.size() == 200'000);
    CHECK(s.insert("inst-200000"));
}

TEST_CASE("id_set: agrees with std::unordered_set on random hashes, 0 and colliding slots included") {
    apig::detail::id_set s;
    std::unordered_set<std::uint64_t> ref;
    std::mt19937_64 rng(42);
    for (int i = 0; i < 300'000; ++i) {
        // Few distinct values in the low bits and all 64 tables: many probes wrap and collide.
        std::uint64_t h = i % 5 == 0 ? rng() % 1'000 : (rng() & 0xFC00'0000'0000'0FFFull);
        std::uint64_t const stored = h == 0 ? 1 : h;  // 0 is stored as 1
        bool const fresh = ref.insert(stored).second;
        REQUIRE(s.insert_hash(h) == fresh);
    }
    CHECK(s.size() == ref.size());
}

TEST_CASE("id_set: 11 to 16 bytes an id, a million ids under 16 MB") {
    apig::detail::id_set s;
    for (std::uint64_t i = 1; i <= 1'000'000; ++i) s.insert_hash(i * 0x9E37'79B9'7F4A'7C15ull);
    CHECK(s.size() == 1'000'000);
    CHECK(s.bytes() >= 10'000'000);  // the hashes (8 MB) and a filter of at least 16 bits an id
    CHECK(s.bytes() < 16'000'000);
}

TEST_CASE("id_set: every id stays through the filter's rebuilds and the partitions' splits") {
    // Grown from nothing: 64 ids, then the filter rebuilt at 1.5x and P doubled at 1,024 ids a
    // partition, many times over; each id is then a duplicate (a filter hit, then the scan).
    apig::detail::id_set s;
    std::mt19937_64 rng(11);
    std::vector<std::uint64_t> all(100'000);
    for (auto& h : all) {
        h = rng() | 1;
        REQUIRE(s.insert_hash(h));
    }
    for (auto h : all) REQUIRE_FALSE(s.insert_hash(h));
    CHECK(s.size() == all.size());
    // Hashes that share their top bits all land in one partition: still exact.
    apig::detail::id_set t;
    for (std::uint64_t i = 1; i <= 5'000; ++i) REQUIRE(t.insert_hash(i));
    for (std::uint64_t i = 1; i <= 5'000; ++i) REQUIRE_FALSE(t.insert_hash(i));
}

TEST_CASE("id_set: an id's hash is the same each time within a process, and ids' hashes differ") {
    using apig::detail::id_set;
    CHECK(id_set::hash("inst-1") == id_set::hash(std::string("inst-") + "1"));
    std::unordered_set<std::uint64_t> seen;
    for (int i = 0; i < 10'000; ++i) seen.insert(id_set::hash("inst-" + std::to_string(i)));
    CHECK(seen.size() == 10'000);
}

TEST_CASE("id_set: reserve(n) makes room for n ids in steps, each made in one go, so the set never grows in between") {
    apig::detail::id_set s;
    s.reserve(300'000);
    CHECK(s.room() == 65'536);  // the first step only: a walk that stops early pays for no more
    auto const first = s.bytes();
    CHECK(first <= 65'536 * 14);  // 8 bytes an id, the spread per partition, 2 for the filter
    std::mt19937_64 rng(7);
    std::size_t last_bytes = first, last_room = s.room(), steps = 0;
    for (int i = 0; i < 300'000; ++i) {
        REQUIRE(s.insert_hash(rng() | 1));
        if (s.room() != last_room) {  // a step: four times what the set held, up to n
            ++steps;
            CHECK(s.room() == std::min<std::size_t>(300'000, 4 * (s.size() - 1)));
            last_room = s.room();
        } else {
            CHECK(s.bytes() == last_bytes);  // between steps nothing grows: no partition, split or filter
        }
        last_bytes = s.bytes();
    }
    CHECK(steps == 2);  // 65,536 -> 262,144 -> 300,000
    CHECK(s.room() == 300'000);
    CHECK(s.bytes() <= 300'000 * 14);
    CHECK(s.size() == 300'000);
    // Ids that were there before a reserve stay: reserving splits and refilters, it does not forget.
    apig::detail::id_set t;
    for (int i = 0; i < 1000; ++i) REQUIRE(t.insert("inst-" + std::to_string(i)));
    t.reserve(100'000);
    for (int i = 0; i < 1000; ++i) REQUIRE_FALSE(t.insert("inst-" + std::to_string(i)));
    CHECK(t.insert("inst-1000"));
    t.reserve(10);  // smaller than what it holds: nothing changes
    CHECK(t.size() == 1001);
    // Nothing to make room for, before any id: nothing happens (no partition to divide among).
    apig::detail::id_set empty;
    empty.reserve(0);
    CHECK(empty.bytes() == 0);
    CHECK(empty.insert("inst-0"));
}

TEST_CASE("id_set: the hash reads every byte of ids of every length, and only the id's bytes") {
    using apig::detail::id_set;
    // Every length from 0 to 80 (each branch: short, 4..7, 8..16, blocks and a tail), and each
    // of those ids with one bit of one byte flipped: all different.
    std::unordered_set<std::uint64_t> seen;
    std::size_t made = 0;
    std::string const base = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    for (std::size_t n = 0; n <= 80; ++n) {
        std::string id = base.substr(0, n);
        seen.insert(id_set::hash(id));
        ++made;
        for (std::size_t i = 0; i < n; ++i) {
            std::string v = id;
            v[i] = static_cast<char>(v[i] ^ 0x01);
            seen.insert(id_set::hash(v));
            ++made;
        }
    }
    CHECK(seen.size() == made);
    // Bytes around the view are not read: the same id inside other text hashes the same.
    std::string const padded = "xxxx" + base.substr(0, 36) + "yyyy";
    CHECK(id_set::hash(std::string_view(padded).substr(4, 36)) == id_set::hash(base.substr(0, 36)));
    CHECK(id_set::hash("") != id_set::hash(std::string_view("\0", 1)));
    // The API's ids (32 hex digits): a million of them, no two hashes alike, and the top bits
    // (the partition) spread evenly: each of 256 buckets within 10% of its share.
    std::unordered_set<std::uint64_t> ids;
    std::vector<std::size_t> buckets(256);
    char hex[33];
    for (std::uint32_t i = 0; i < 1'000'000; ++i) {
        std::snprintf(hex, sizeof hex, "%08x%08x%08x%08x", i * 2654435761u, i, ~i, i ^ 0x5bd1e995u);
        auto const h = id_set::hash(std::string_view(hex, 32));
        ids.insert(h);
        ++buckets[h >> 56];
    }
    CHECK(ids.size() == 1'000'000);
    auto const [lo, hi] = std::minmax_element(buckets.begin(), buckets.end());
    CHECK(*lo > 3'906 * 9 / 10);
    CHECK(*hi < 3'906 * 11 / 10);
}
