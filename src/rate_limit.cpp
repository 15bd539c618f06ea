// The rate limiter: GCRA (a token bucket kept as one theoretical arrival time) on steady time
// points passed in by the caller, and the validation of its options.
#include <apig/rate_limit.hpp>

#include "error_detail.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

namespace apig {

namespace {

using std::chrono::nanoseconds;
using clock_type = rate_limiter::clock;

std::int64_t ns_of(clock_type::time_point t) noexcept {
    return std::chrono::duration_cast<nanoseconds>(t.time_since_epoch()).count();
}

clock_type::time_point time_of(std::int64_t ns) noexcept {
    return clock_type::time_point(std::chrono::duration_cast<clock_type::duration>(nanoseconds(ns)));
}

std::string number_text(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

rate_limit_options checked(rate_limit_options o) {
    double const r = o.requests_per_second;
    if (r == 0) {
        if (o.burst != 0)
            throw_invalid_argument("rate_limit.burst (" + std::to_string(o.burst) +
                                           ") needs rate_limit.requests_per_second > 0");
        return o;
    }
    if (!(r >= rate_limit_options::min_requests_per_second && r <= rate_limit_options::max_requests_per_second))
        throw_invalid_argument("rate_limit.requests_per_second must be 0 (no limit) or a number in [" +
                                       number_text(rate_limit_options::min_requests_per_second) + ", " +
                                       number_text(rate_limit_options::max_requests_per_second) + "] (got " +
                                       number_text(r) + ")");
    if (o.burst > rate_limit_options::max_burst)
        throw_invalid_argument("rate_limit.burst must be at most " +
                                       std::to_string(rate_limit_options::max_burst) + " (got " +
                                       std::to_string(o.burst) + "; 0: 1)");
    if (o.burst == 0) o.burst = 1;
    return o;
}

}  // namespace

rate_limiter::rate_limiter(rate_limit_options opts) : opts_(checked(opts)) {
    if (opts_.requests_per_second == 0) return;
    // Within the bounds checked, 1e3 ns <= interval <= 1e13 ns and the tolerance at most
    // 1e5 * 1e13 = 1e18 ns: no overflow near any steady time of a running process.
    // Rounded up: the rate is never above the target (and below it by at most 1 ns per
    // interval, a relative 1e-9 * rate: 1e-6 at 1,000/s), so the window bound holds exactly.
    interval_ns_ = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(1e9 / opts_.requests_per_second)));
    tolerance_ns_ = static_cast<std::int64_t>(opts_.burst - 1) * interval_ns_;
}

rate_limiter::reservation rate_limiter::reserve(clock::time_point now, clock::time_point latest) noexcept {
    if (!enabled()) return {.granted = now <= latest, .time = now};
    std::int64_t const t = ns_of(now);
    std::int64_t const last = latest == clock::time_point::max() ? std::numeric_limits<std::int64_t>::max()
                                                                 : ns_of(latest);
    std::int64_t cur = tat_.load(std::memory_order_relaxed);
    for (;;) {
        // A request may start once the bucket holds a token: at tat - tolerance. Taking it
        // moves the theoretical arrival time one interval on from max(tat, now).
        std::int64_t const start = std::max(t, cur - tolerance_ns_);
        if (start > last) return {.granted = false, .time = time_of(start)};
        std::int64_t const next = std::max(cur, t) + interval_ns_;
        if (tat_.compare_exchange_weak(cur, next, std::memory_order_relaxed, std::memory_order_relaxed))
            return {.granted = true, .time = time_of(start), .state = next};
    }
}

bool rate_limiter::cancel(reservation& r) noexcept {
    if (!r.granted || !enabled()) {
        r.granted = false;
        return false;
    }
    r.granted = false;
    // Only the latest reservation can be undone exactly: it restores max(tat before, its
    // now), never earlier than the state it found.
    std::int64_t expected = r.state;
    return tat_.compare_exchange_strong(expected, r.state - interval_ns_, std::memory_order_relaxed,
                                        std::memory_order_relaxed);
}

}  // namespace apig
