#pragma once

// The instance ids a walk has yielded, for "no id twice" (walk_plan.cpp). Sans-I/O, unit-tested.
//
// An id is kept as its 64-bit hash (8 bytes, not a node and a string): two different ids
// collide with probability ~n^2 / 2^65 (3e-8 for a million ids), and the cost of a collision
// is one instance wrongly taken for a duplicate, counted in walk_stats::duplicates_dropped.
//
// Nearly every id a walk adds is new, and a set of a million (~12 MB) is far out of cache, so
// the question "seen before?" must be answered without touching the big part. Two parts:
//   - the filter: a Bloom filter of 16 to 24 bits an id, 5 bits in one 64-bit word per hash
//     (2 to 3 bytes an id: ~2.5 MB for a million, mostly cache-resident). A hash whose 5 bits
//     are not all set is new, for sure: almost every insert stops here;
//   - the hashes, exactly: appended to one of P partitions (vectors) chosen by the hash's top
//     bits, P grown so that a partition holds ~512 to 1,024 of them. An append writes near the
//     partition's end, which the previous append to it had brought in. Only when the filter
//     says "maybe" (~0.1-0.3% of new ids, and every real duplicate) is the partition scanned.
//     Fewer, longer partitions (1,024 rather than 256 before P doubles) keep the partitions'
//     headers and ends, which every append touches, in fewer cache lines, for a scan of at most
//     8 KB on a "maybe": a page of 500 ids in 7.2 µs instead of 8.7 with 8 MB touched between
//     pages (bench/micro, medians of 3), and in a walk 380 fewer misses a page of a 1 MiB
//     cache (cachegrind, limit 500, C = 4).
// So an insert costs a cache-resident filter word and an append, not a random miss into 12 MB:
// a page of 500 new ids cost ~4 µs instead of ~8.5 (the linear-probing table of 8-byte hashes
// it replaced, prefetched a page ahead), ~5 instead of ~11.5 with 8 MB of other memory touched
// between pages (bench/micro/id_set_bench.cpp, a million ids, room made up front). With the
// room made in steps as the set fills (reserve), ~7 µs either way.
//
// Memory: 8 bytes an id in the partitions (vectors grown by half: up to 12), plus the filter;
// 11 to 16 bytes an id. Growing never copies the whole set at once: a partition grows on its
// own, a split makes two of one at a time, and the filter is rebuilt alone (old one freed first).
//
// A hostile server cannot aim ids at one partition (whose scans would then grow with the
// set): `hash` is keyed with random words drawn once per process, every input word masked
// with one before it is multiplied, so which partition and filter bits an id gets, and which
// ids collide, cannot be known from outside. A collision all the same only makes its ids
// "duplicates": dropped, counted, and bounded by the walk's max_stalled_pages.

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <random>
#include <string_view>
#include <vector>

namespace apig::detail {

class id_set {
public:
    /// Adds the id; false if it (or an id with the same hash) was there already.
    bool insert(std::string_view id) { return insert_hash(hash(id)); }

    /// The hash of an id, as `insert` adds it (with `insert_hash`). Keyed with secret words
    /// drawn once per process (see above), and cheap for the API's 32-character ids: two
    /// 16-byte blocks, each folded in with one 64x64->128-bit multiply of key-masked halves.
    static std::uint64_t hash(std::string_view id) noexcept {
#if defined(__SIZEOF_INT128__)
        auto const& k = process_keys();
        auto const* p = reinterpret_cast<unsigned char const*>(id.data());
        std::size_t const n = id.size();
        std::uint64_t acc = k[0] ^ (n * 0x9E37'79B9'7F4A'7C15ull);
        std::uint64_t a = 0, b = 0;
        if (n > 16) {
            std::size_t left = n;
            for (; left > 16; left -= 16, p += 16) acc = fold(load64(p) ^ k[1], load64(p + 8) ^ acc);
            a = load64(p + left - 16);  // the last 16 bytes (overlapping the block before)
            b = load64(p + left - 8);
        } else if (n >= 8) {
            a = load64(p);
            b = load64(p + n - 8);
        } else if (n >= 4) {
            a = load32(p);
            b = load32(p + n - 4);
        } else if (n > 0) {
            a = (std::uint64_t{p[0]} << 16) | (std::uint64_t{p[n / 2]} << 8) | p[n - 1];
        }
        return fold(fold(a ^ k[1], b ^ acc ^ k[2]), k[3]);
#else
        // MurmurHash3's 64-bit finalizer (a bijection) over std::hash's value, keyed.
        std::uint64_t x = std::hash<std::string_view>{}(id) ^ process_keys()[0];
        x = (x ^ (x >> 33)) * 0xFF51'AFD7'ED55'8CCDull;
        x = (x ^ (x >> 33)) * 0xC4CE'B9FE'1A85'EC53ull;
        return x ^ (x >> 33);
#endif
    }

    /// Fetches the filter word and the partition end `h` will touch: a page's hashes
    /// prefetched first overlap their cache misses. Always inlined: g++ 12 takes a call to it
    /// for a pure function (a prefetch changes no memory) and deletes the call where it was not
    /// inlined early.
    [[gnu::always_inline]] void prefetch(std::uint64_t h) const noexcept {
        if (filter_.empty()) return;
        __builtin_prefetch(&filter_[word(h)]);
        auto const& p = parts_[part(h)];
        __builtin_prefetch(p.data() + p.size());
    }

    /// Adds a hash (exposed for tests of collisions and growth).
    bool insert_hash(std::uint64_t h) {
        if (h == 0) h = 1;  // as the ids' hashes are stored: 0 is 1
        if (size_ >= grow_at_) grow();
        std::uint64_t& w = filter_[word(h)];
        std::uint64_t const m = mask(h);
        bool const maybe = (w & m) == m;
        auto& p = parts_[part(h)];
        if (maybe && std::find(p.begin(), p.end(), h) != p.end()) return false;
        w |= m;
        if (p.size() == p.capacity()) p.reserve(p.size() + p.size() / 2 + 4);
        p.push_back(h);
        ++size_;
        return true;
    }

    /// Expects up to `n` ids in all: room is made for them ahead of need, in steps (for 65,536
    /// ids, then four times what the set holds each time the room is full, up to `n`), each
    /// made in one go, so that between steps adding ids rebuilds no filter, splits nothing and
    /// rarely grows a partition. The walk calls it with the list's `total` (capped by the
    /// caller: the server's number is not trusted), so memory follows the ids that came, not
    /// the total claimed. All the room at once cost a walk that stops early (a break,
    /// max_pages, the bench's 220,000 ids of a million) more in first touches of memory it
    /// never used than its inserts: in a fresh process (medians of 7), 220,000 ids took 4.3 ms
    /// in steps, 10.7 all at once; a whole million 18.4 and 16.3. Where the memory is warm (a
    /// process walking again) the steps' copying costs ~3 µs a page of 500 (bench/micro).
    void reserve(std::size_t n) {
        if (n <= expected_) return;
        expected_ = n;
        if (size_ >= room_) make_room(next_room());
        update_grow_at();
    }

    /// Room made so far (ids), and the partitions (P): what reserve() settles, for tests.
    std::size_t room() const noexcept { return room_; }
    std::size_t partitions() const noexcept { return parts_.size(); }

    /// Ids added.
    std::size_t size() const noexcept { return size_; }

    /// Bytes held by the filter and the partitions.
    std::size_t bytes() const noexcept {
        std::size_t n = filter_.capacity() * sizeof(std::uint64_t) + parts_.capacity() * sizeof(parts_[0]);
        for (auto const& p : parts_) n += p.capacity() * sizeof(std::uint64_t);
        return n;
    }

private:
    static constexpr std::size_t part_share = 1024;  // hashes a partition holds before P doubles (see above)
    static constexpr int filter_bits_per_id = 16;  // at filter_ids_; 24 right after a rebuild
    static constexpr int mask_bits = 5;
    static constexpr int max_part_bits = 24;  // 16M partitions: past that, partitions just grow
    static constexpr std::size_t first_room = 65'536;  // reserve()'s first step
    static constexpr std::size_t room_step = 4;         // and each next one's factor

    // What insert_hash does when the set reaches grow_at_ (one comparison on its way): the next
    // step of room, a bigger filter, a split, whichever is due; then when to come back.
    [[gnu::noinline]] void grow() {
        if (size_ >= room_ && room_ < expected_) make_room(next_room());
        if (size_ >= filter_ids_) rebuild_filter(std::max<std::size_t>(64, size_ + size_ / 2));
        if (parts_.empty()) parts_.resize(1);
        else if (size_ >= parts_.size() * part_share && part_bits_ < max_part_bits) split(1, 0);
        update_grow_at();
    }
    void update_grow_at() noexcept {
        grow_at_ = filter_ids_;
        if (room_ < expected_) grow_at_ = std::min(grow_at_, room_);
        if (part_bits_ < max_part_bits) grow_at_ = std::min(grow_at_, parts_.size() * part_share);
    }

    // The next step's room: the first, or four times what the set holds, up to expected_.
    std::size_t next_room() const noexcept { return std::min(expected_, std::max(first_room, size_ * room_step)); }

    // Room for `n` ids: the filter, the partitions' count, and each partition's storage, each
    // partition moved once (split as far as needed in one pass, straight into its room).
    void make_room(std::size_t n) {
        room_ = n;
        if (n > filter_ids_) rebuild_filter(n);
        if (parts_.empty()) parts_.resize(1);
        int k = 0;
        while (n > (parts_.size() << k) * part_share && part_bits_ + k < max_part_bits) ++k;
        // Hashes pick a partition at random: each gets n/P give or take a binomial spread, and
        // is sized for five standard deviations over its share.
        std::size_t const share = n / (parts_.size() << k);
        std::size_t const each = share + 5 * static_cast<std::size_t>(std::sqrt(static_cast<double>(share))) + 4;
        if (k > 0) split(k, each);
        else
            for (auto& p : parts_) p.reserve(each);
    }

    // Four secret words, drawn once per process (splitmix64 steps from one random seed).
    static std::array<std::uint64_t, 4> const& process_keys() noexcept {
        static std::array<std::uint64_t, 4> const keys = []() noexcept {
            std::uint64_t seed;
            try {
                std::random_device rd;
                seed = (std::uint64_t{rd()} << 32) ^ rd();
            } catch (...) {  // no entropy source: the clock, which a server does not see either
                seed = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
            }
            std::array<std::uint64_t, 4> k{};
            for (auto& w : k) {
                std::uint64_t z = (seed += 0x9E37'79B9'7F4A'7C15ull);
                z = (z ^ (z >> 30)) * 0xBF58'476D'1CE4'E5B9ull;
                z = (z ^ (z >> 27)) * 0x94D0'49BB'1331'11EBull;
                w = (z ^ (z >> 31)) | 1;  // odd: never a zero factor
            }
            return k;
        }();
        return keys;
    }

#if defined(__SIZEOF_INT128__)
    // The 128-bit product's halves, xored: every bit of the result depends on every bit of both.
    static std::uint64_t fold(std::uint64_t x, std::uint64_t y) noexcept {
        __extension__ using u128 = unsigned __int128;
        u128 const r = static_cast<u128>(x) * y;
        return static_cast<std::uint64_t>(r) ^ static_cast<std::uint64_t>(r >> 64);
    }
    static std::uint64_t load64(unsigned char const* p) noexcept {
        std::uint64_t v;
        std::memcpy(&v, p, sizeof v);
        return v;
    }
    static std::uint64_t load32(unsigned char const* p) noexcept {
        std::uint32_t v;
        std::memcpy(&v, p, sizeof v);
        return v;
    }
#endif

    // The filter word: the hash's low 32 bits scaled to the word count (multiply and shift).
    std::size_t word(std::uint64_t h) const noexcept {
        return static_cast<std::size_t>(((h & 0xFFFF'FFFFu) * filter_.size()) >> 32);
    }
    // The bits set in the word: 5 of 64, from the top 30 bits of the hash times an odd
    // constant (a remix: the hash's own top bits also choose the partition).
    static std::uint64_t mask(std::uint64_t h) noexcept {
        std::uint64_t x = h * 0x9E37'79B9'7F4A'7C15ull;
        std::uint64_t m = 0;
        for (int i = 0; i < mask_bits; ++i, x <<= 6) m |= std::uint64_t{1} << (x >> 58);
        return m;
    }
    // The hash's top part_bits_ bits (none while P is 1: no branch, and no shift by 64).
    std::size_t part(std::uint64_t h) const noexcept { return static_cast<std::size_t>((h >> 1) >> (63 - part_bits_)); }

    // A filter for `ids` ids at 16 bits each, refilled from the partitions (the old one is
    // freed first: the set never holds two filters).
    void rebuild_filter(std::size_t ids) {
        filter_ = {};
        filter_.assign(std::max<std::size_t>(1, ids * filter_bits_per_id / 64), 0);
        filter_ids_ = ids;
        for (auto const& p : parts_)
            for (auto h : p) filter_[word(h)] |= mask(h);
    }

    // Multiplies P by 2^k: partition i becomes i*2^k .. i*2^k + 2^k - 1 (by the hash's next k
    // bits), one at a time, each new one with room for `room` hashes or a fair share of its
    // old one's and a quarter more, whichever is more.
    void split(int k, std::size_t room) {
        std::size_t const ways = std::size_t{1} << k;
        std::vector<std::vector<std::uint64_t>> next(parts_.size() * ways);
        part_bits_ += k;
        for (std::size_t i = 0; i < parts_.size(); ++i) {
            auto& from = parts_[i];
            std::size_t const fair = from.size() / ways + from.size() / (4 * ways) + 4;
            for (std::size_t j = 0; j < ways; ++j) next[i * ways + j].reserve(std::max(room, fair));
            for (auto h : from) next[part(h)].push_back(h);
            from = {};
        }
        parts_ = std::move(next);
    }

    std::vector<std::uint64_t> filter_;
    std::size_t filter_ids_ = 0;  // ids the filter was sized for
    std::size_t expected_ = 0;    // reserve()'s n: room is made up to it, in steps
    std::size_t room_ = 0;        // ids room was made for (make_room)
    std::size_t grow_at_ = 0;     // the size at which insert_hash calls grow()
    std::vector<std::vector<std::uint64_t>> parts_;
    int part_bits_ = 0;  // P = 2^part_bits_ (once the first hash came)
    std::size_t size_ = 0;
};

}  // namespace apig::detail
