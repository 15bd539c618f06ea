#pragma once

// The emulator's fault injection (fault_options, server::fail_next): the configuration every
// connection reads, the fail_first counts, and each connection's own RNG.
//
// Thread-safety: one fault_injector is shared by every connection. Its configuration, the
// generation that tells connections to reseed, and the fail_first counts are behind its one
// mutex; `active_` (the fast path's only check when no fault is configured) and fail_next's
// count are lone atomics. A fault_context belongs to one connection (one strand), so drawing
// from it needs no lock.

#include <apig/emulator.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>

namespace apig::emulator::detail {

/// A connection's view of the faults: the configuration its current request started with and
/// its own RNG (splitmix64).
struct fault_context {
    fault_options o;
    std::uint64_t generation = std::numeric_limits<std::uint64_t>::max();
    std::uint64_t state = 0;

    void reseed(std::uint64_t seed, std::uint64_t connection_id) noexcept;
    /// Uniform in [0, 1).
    double uniform() noexcept;
};

/// What fault_injector::draw decided for one request that would be answered 200.
struct fault_draw {
    unsigned status = 0;  ///< the injected status, or 0 to serve the page
    fault_kind fault = fault_kind::none;  ///< reset, truncate and malformed come with status 0
    std::chrono::milliseconds delay{0};  ///< fault_options::delay + jitter
};

/// Whether `f` injects anything at all.
bool is_active(fault_options const& f) noexcept;

/// Throws std::invalid_argument (as server::set_faults documents) if `f` is out of range.
void validate(fault_options const& f);

class fault_injector {
public:
    /// Validates, then replaces the faults: every connection reseeds on its next request and
    /// the fail_first counts start again.
    void set(fault_options const& f);
    fault_options get() const;

    /// Loads the current faults into a connection's context (reseeding its RNG if they
    /// changed); nullptr when no fault is configured.
    fault_context* load(std::optional<fault_context>& fc, std::uint64_t connection_id);

    /// Steps 1-3 of fault_options' order for a request that would be answered 200: the
    /// fail_first count of (project, offset, limit), then the six draws from `fc`.
    fault_draw draw(fault_context& fc, std::string const& project, std::int64_t offset,
                    std::int64_t limit);

    /// server::fail_next: the next `count` authenticated requests get `status`.
    void fail_next(std::size_t count, unsigned status) noexcept;
    /// Takes one of fail_next's failures: its status, or nothing when none is left.
    std::optional<unsigned> take_failure() noexcept;

private:
    std::atomic<bool> active_{false};
    mutable std::mutex mu_;  // guards cfg_, generation_, fail_first_counts_
    fault_options cfg_;
    std::uint64_t generation_ = 0;
    // fail_first_per_page: eligible requests seen per (project, offset, limit), saturating at
    // fail_first_per_page.
    std::map<std::tuple<std::string, std::int64_t, std::int64_t>, std::size_t, std::less<>>
        fail_first_counts_;
    // fail_next's failures, packed as (count << 16) | status so that taking one is a single
    // compare-and-swap on the request path.
    std::atomic<std::uint64_t> failures_{0};
};

}  // namespace apig::emulator::detail
