// id_set micro-benchmark: what the walk's duplicate check (src/id_set.hpp, walk_plan's
// drop_duplicates) costs a page, as the walk uses it: a page's 500 ids hashed, their places
// prefetched, then inserted; a million distinct ids (32 hex digits, as the API's), reserve()d
// from the total as the walk does (room made in steps as the set fills: timed with the pages).
//
//   BM_id_set_page/0: nothing else between pages (the set's best case);
//   BM_id_set_page/1: 8 MB of other memory touched between pages (untimed), as the decoder
//                     and TLS do in a real walk, so the set's lines have left the caches.
// Timed: the prefetch and insert loops only (the hashing is reported apart, BM_id_set_hash).
//
//   build/<dir>/bench/micro/apig_bench_id_set [--benchmark_repetitions=5 ...]

#include "id_set.hpp"  // src

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace {

constexpr std::size_t ids_in_walk = 1'000'000;
constexpr std::size_t page = 500;

std::vector<std::string> const& ids() {
    static std::vector<std::string> const all = [] {
        std::mt19937_64 rng(42);
        std::vector<std::string> v(ids_in_walk);
        for (auto& s : v) {
            char b[33];
            std::snprintf(b, sizeof b, "%016llx%016llx", static_cast<unsigned long long>(rng()),
                          static_cast<unsigned long long>(rng()));
            s = b;
        }
        return v;
    }();
    return all;
}

void BM_id_set_page(benchmark::State& state) {
    auto const& all = ids();
    std::vector<char> other(state.range(0) != 0 ? std::size_t{8} << 20 : 0);
    std::vector<std::uint64_t> hashes;
    hashes.reserve(page);
    std::uint64_t pages = 0;
    for (auto _ : state) {
        apig::detail::id_set set;
        set.reserve(all.size());
        double seconds = 0;
        for (std::size_t first = 0; first < all.size(); first += page) {
            for (std::size_t k = 0; k < other.size(); k += 64) other[k] = static_cast<char>(other[k] + 1);
            hashes.clear();
            for (std::size_t i = first; i < first + page; ++i) hashes.push_back(apig::detail::id_set::hash(all[i]));
            auto const t0 = std::chrono::steady_clock::now();
            for (auto h : hashes) set.prefetch(h);
            std::size_t fresh = 0;
            for (auto h : hashes) fresh += set.insert_hash(h);
            seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            if (fresh != page) state.SkipWithError("a distinct id was taken for a duplicate");
            ++pages;
        }
        benchmark::DoNotOptimize(other.data());
        state.SetIterationTime(seconds);
    }
    // Seconds a page (printed with an SI prefix: "3.7u" is 3.7 µs).
    state.counters["s_per_page"] =
        benchmark::Counter(static_cast<double>(pages), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_id_set_page)->Arg(0)->Arg(1)->UseManualTime()->Unit(benchmark::kMillisecond);

void BM_id_set_hash(benchmark::State& state) {
    auto const& all = ids();
    std::size_t i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(apig::detail::id_set::hash(all[i]));
        i = i + 1 == all.size() ? 0 : i + 1;
    }
}
BENCHMARK(BM_id_set_hash);

}  // namespace

BENCHMARK_MAIN();
