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
