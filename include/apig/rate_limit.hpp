#pragma once

#include <apig/export.hpp>

// A client-side rate limit: at most so many requests a second, which clients may share (a
// tenant's quota).

#include <atomic>
#include <chrono>
#include <cstdint>

namespace apig {

/// How fast requests may start. Every attempt takes a token before it is sent (retries and
/// the resend after a credentials refresh included; the one-time resend of a request that met
/// a kept-alive connection closed by the server is part of its attempt and takes none).
struct rate_limit_options {
    /// Smallest accepted nonzero rate: one request every 10,000 s.
    static constexpr double min_requests_per_second = 1e-4;
    /// Largest accepted rate.
    static constexpr double max_requests_per_second = 1e6;
    /// Largest accepted burst.
    static constexpr std::uint32_t max_burst = 100'000;

    /// Long-run requests per second. Default 0: no limit. Otherwise in
    /// [min_requests_per_second, max_requests_per_second]; NaN, infinite and negative values
    /// are refused.
    double requests_per_second = 0;
    /// Requests that may start at once after a quiet period (the bucket's size). Default 0:
    /// 1, i.e. requests evenly spaced 1/requests_per_second apart. At most max_burst; must be
    /// 0 when requests_per_second is 0.
    std::uint32_t burst = 0;
};

/// A token bucket in the form of the generic cell rate algorithm (GCRA, ITU-T I.371): its
/// state is one "theoretical arrival time", so it is a single atomic, updated lock-free.
/// Guarantee: over any window of length T, at most `burst + requests_per_second * T` of the
/// reserved times fall (the start times, as far as the waits are punctual), and as long as
/// requests are waiting the long-run rate is `requests_per_second` (the interval between
/// requests is rounded up to a whole nanosecond: never faster, slower by at most 1e-9 * rate
/// relatively, e.g. 2e-6 at 2,000/s).
///
/// Thread-safe: one limiter may be shared by clients on any threads and executors
/// (`client_options::shared_rate_limiter`), so that together they stay under one quota. The
/// core is sans-I/O: the time is always passed in, so the limiter can be driven (and tested)
/// with any steady-clock time points.
class APIG_DECL rate_limiter {
public:
    using clock = std::chrono::steady_clock;

    /// A request's place in the schedule.
    struct reservation {
        /// True: a token was taken and the request may start at `time`. False: the token's
        /// time was after the caller's `latest`, and nothing was taken.
        bool granted = false;
        /// When the request may start: `now` if a token was available, else later. When not
        /// granted: when it could have started.
        clock::time_point time{};
        /// The bucket's state this reservation left (what `cancel` checks). Not for callers.
        std::int64_t state = 0;
    };

    /// Throws `api_error` (`errc::invalid_argument`) naming the field if `opts` is unusable
    /// (see rate_limit_options). A limiter with requests_per_second = 0 never waits.
    explicit rate_limiter(rate_limit_options opts = {});

    /// Takes the next token: the request may start at the time returned (`now` if one is
    /// available). A token whose time is after `latest` (e.g. the call's deadline) is not
    /// taken: the answer is not granted, and the schedule is unchanged.
    reservation reserve(clock::time_point now, clock::time_point latest = clock::time_point::max()) noexcept;

    /// Gives back the token of a granted reservation whose request will not be sent (the
    /// caller was cancelled while waiting). Exact when no other reservation has been made
    /// since; otherwise later requests already hold the following places and the token is
    /// not returned (as golang.org/x/time/rate's Reservation.Cancel, which restores only
    /// what later reservations did not take): the limiter is then slower for one interval,
    /// never faster. Returns whether it was given back. `r` is then no longer granted, so a
    /// second call (or one for a reservation never granted) does nothing and returns false.
    bool cancel(reservation& r) noexcept;

    /// Whether the limiter limits anything (requests_per_second > 0).
    bool enabled() const noexcept { return interval_ns_ > 0; }
    /// The options, with `burst` resolved (1 when given as 0 with a rate).
    rate_limit_options const& options() const noexcept { return opts_; }
    /// The spacing of requests at the long-run rate.
    std::chrono::nanoseconds interval() const noexcept { return std::chrono::nanoseconds(interval_ns_); }

private:
    rate_limit_options opts_;
    std::int64_t interval_ns_ = 0;   // 1 / rate, rounded up to a whole nanosecond
    std::int64_t tolerance_ns_ = 0;  // (burst - 1) * interval
    // The theoretical arrival time: the steady time (ns since the clock's epoch) at which the
    // bucket would be full again. A request may start at tat - tolerance.
    std::atomic<std::int64_t> tat_{0};
};

}  // namespace apig
