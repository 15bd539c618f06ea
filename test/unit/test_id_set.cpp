// The walk's set of yielded ids (src/id_set.hpp).
#include "id_set.hpp"

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <unordered_set>

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
    CHECK(s.bytes() >= 8'000'000);
    CHECK(s.bytes() >= 10'600'000);  // never fuller than 3/4 (a fuller table probes far longer)
    CHECK(s.bytes() < 16'000'000);   // never emptier than 1/2 once grown
}

TEST_CASE("id_set: reserve(n) makes room for n ids, so adding them never grows a table") {
    apig::detail::id_set s;
    s.reserve(300'000);
    auto const reserved = s.bytes();
    CHECK(reserved <= 300'000 * 12);  // 3/4 full at n: ~10.7 bytes an id, plus the spread per table
    std::mt19937_64 rng(7);
    for (int i = 0; i < 300'000; ++i) REQUIRE(s.insert_hash(rng() | 1));
    CHECK(s.bytes() == reserved);  // no table grew
    CHECK(s.size() == 300'000);
    // Ids that were there before a reserve stay: reserving rehashes, it does not forget.
    apig::detail::id_set t;
    for (int i = 0; i < 1000; ++i) REQUIRE(t.insert("inst-" + std::to_string(i)));
    t.reserve(100'000);
    for (int i = 0; i < 1000; ++i) REQUIRE_FALSE(t.insert("inst-" + std::to_string(i)));
    CHECK(t.insert("inst-1000"));
    t.reserve(10);  // smaller than what it holds: nothing changes
    CHECK(t.size() == 1001);
}
