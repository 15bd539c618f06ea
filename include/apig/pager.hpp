#pragma once

#include <apig/export.hpp>

// Walking every page (or every instance) of a listing: async generators over offset paging,
// with several pages in flight and results in offset order.
//
// What a walk guarantees over a list that changes while it is walked (offset paging cannot do
// better without a snapshot from the server):
// - Pages are yielded in offset order; within a page, in the server's order.
// - By default no instance id is yielded twice: an instance that moves to a later offset
//   while the walk passes (one was inserted before it) is dropped the second time and
//   counted in `walk_stats::duplicates_dropped`. Ids are remembered as 64-bit hashes, 11 to 16
//   bytes each (12 MB for a million instances); two different ids collide with probability about n^2 / 2^65 (3e-8 for a million),
//   and the later one would then be dropped. `page_options::keep_duplicates` turns this off.
// - An instance that stays where it is while the walk passes it is yielded exactly once.
// - An instance inserted at an offset the walk has already passed, or one that moves from
//   ahead of the cursor to behind it (an earlier instance was deleted), is NOT seen: only a
//   second walk can find it.
// - Every change of `total` between pages is counted (`walk_stats::total_changes`) and
//   reported to `page_options::on_event`; the walk follows the latest total.
//
// What a walk does with a server that lies (every number it sends is checked before use):
// - A server that repeats itself (the same full page over and over, a `total` that says there
//   is more) ends the walk with `errc::walk_stalled` once `page_options::max_stalled_pages`
//   pages in a row brought no new instance.
// - A walk that would need more than `max_pages` requests, yield more than `max_instances`
//   instances, or go past the largest offset (INT64_MAX) ends with
//   `errc::walk_limit_exceeded`; `timeout` bounds the whole walk (`errc::timed_out`).
// - These errors come after every page received before them has been handed out: the pages
//   up to the one that showed the problem (and, at the deadline, every page already
//   received) are yielded first, then next() fails. Requests made ahead are cancelled.
// - Memory is bounded by 2 x `concurrency` (at most `page_options::max_concurrency`) pages,
//   whatever `total` the server claims, plus the ids seen (11 to 16 bytes each, at most
//   `max_instances`).

#include <apig/error.hpp>
#include <apig/model.hpp>

#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace apig {

/// Something a walk noticed about a changing list.
struct walk_event {
    enum class kind {
        total_changed,      ///< `total` differs from the previous page's
        duplicate_dropped,  ///< an instance id already yielded came again
    };
    kind what = kind::total_changed;
    std::int64_t offset = 0;          ///< offset of the page that showed it
    std::int64_t previous_total = 0;  ///< total_changed: before
    std::int64_t total = 0;           ///< total_changed: now
    std::string id{};                 ///< duplicate_dropped: the instance id
};

/// How a walk runs.
struct page_options {
    /// Page size of every request (1..500). Default 500, the maximum: fewest requests.
    /// The walk's request's `list_request::limit` is not a second page size: left at its
    /// default (20) it is ignored, set equal to `page_size` it agrees; any other value fails the
    /// walk's first next() with `errc::invalid_argument` naming both fields, nothing sent (a
    /// walk never guesses which of two page sizes was meant). A limit of 20 cannot be told from
    /// the default: to walk pages of 20, set `page_size = 20`.
    std::int32_t page_size = 500;
    /// The largest `concurrency` accepted.
    static constexpr std::size_t max_concurrency = 64;
    /// Pages requested at once, once the first page has given `total`: 1..max_concurrency
    /// (0 is taken as 1; a larger value fails the walk's first next() with
    /// `errc::invalid_argument`, nothing sent). Default 4. A page that comes in frees its
    /// request's slot at once, so the server always has this many to answer while pages wait
    /// for the caller in offset order. Memory is bounded by twice this many pages (in flight,
    /// and waiting to be taken) plus the one the caller holds, whatever `total` the server
    /// claims: when this many wait for a slow caller, no new request starts. 1 is a plain
    /// sequential walk. Requests also wait for a connection (`pool_options::max_connections`).
    std::size_t concurrency = 4;
    /// Yield an instance id again when it comes again (no dedup, no memory for ids; then
    /// `max_stalled_pages` does not apply). Default false.
    bool keep_duplicates = false;
    /// Called for every walk_event, on the client's strand. Default: none.
    std::function<void(walk_event const&)> on_event{};
    /// The whole walk's deadline, counted from its first next(): when it passes, the requests
    /// in flight are cancelled, the pages already received are handed out, then next() fails
    /// with `errc::timed_out` naming `page_options.timeout`. Default 0: none (each request is
    /// still bounded by `client_options::timeouts`). Negative: `errc::invalid_argument`.
    std::chrono::milliseconds timeout{0};
    /// Page requests a walk may make; a walk that needs more fails with
    /// `errc::walk_limit_exceeded` after the pages received. Default 2,000,000: a list of
    /// 1,000,000 instances still fits at page_size 1 (a real list of APIG instances is a few
    /// hundred). 0: no limit.
    std::uint64_t max_pages = 2'000'000;
    /// Instances a walk may yield; a walk that has more yields exactly this many, then fails
    /// with `errc::walk_limit_exceeded`. Default 10,000,000. 0: no limit.
    std::uint64_t max_instances = 10'000'000;
    /// Pages in a row (in offset order) that may bring no new instance (every instance an id
    /// already yielded) before the walk fails with `errc::walk_stalled`: a server that repeats
    /// itself. Default 8 (inserts at the front of a changing list repeat a few instances a
    /// page, not whole pages). 0: never. Ignored with keep_duplicates.
    std::uint32_t max_stalled_pages = 8;
};

/// Counters of one walk.
struct walk_stats {
    std::uint64_t pages = 0;               ///< pages yielded
    std::uint64_t instances = 0;           ///< instances yielded
    std::uint64_t requests = 0;            ///< page requests started
    std::uint64_t duplicates_dropped = 0;
    std::uint64_t total_changes = 0;
    std::int64_t total = -1;               ///< the latest `total` seen; -1 before the first page
};

namespace detail {
struct walk;
struct generator_access;  // src/page_source.hpp: a generator over a walk not made by a client
}

/// The pages of a listing, in offset order. Move-only; not thread-safe (use it from one
/// coroutine at a time). Destroying it, or breaking out of the loop and letting it go, cancels
/// its requests in flight and returns their pool slots.
///
///     auto pages = client.pages({.status = apig::status::running});
///     while (auto page = co_await pages.next()) { ... }
class APIG_DECL page_generator {
public:
    page_generator(page_generator&&) noexcept;
    page_generator& operator=(page_generator&&) noexcept;
    ~page_generator();

    /// The next page; nullopt when the walk is over. A failed request ends the walk: its
    /// error is thrown here (`api_error`) as the walk's last element, and later calls return
    /// nullopt. So do the walk's own limits (`errc::walk_stalled`, `walk_limit_exceeded`,
    /// `timed_out` for `page_options::timeout`), after the pages received before them, and bad
    /// options (`invalid_argument`, on the first call, nothing sent). Cancelling the awaiting
    /// coroutine ends the walk with `operation_aborted`.
    ///
    /// - Executor: the walk's state lives on the client's strand; the result is posted to the
    ///   awaiting coroutine's executor, so the coroutine never resumes inside the strand nor
    ///   inside this call. (A client without a strand, `thread_safe = false`, whose executor
    ///   the coroutine runs on, hands a page that comes in to a waiting coroutine directly,
    ///   from the request's completion: one scheduler round fewer.)
    /// - Cancellation: terminal only (Asio per-operation cancellation of the awaiting
    ///   coroutine, e.g. `||` with a timer): it cancels every request of the walk in flight,
    ///   closes their connections, and ends the walk. Partial and total cancellation are not
    ///   supported (a walk cannot stop at a point it could resume from).
    /// - Thread-safety: one `next()` at a time per generator (a second one before the first
    ///   completes fails with `invalid_argument`, the walk going on); the generator may be
    ///   used from any thread, one at a time.
    boost::asio::awaitable<std::optional<instance_page>> next();
    /// As above, without exceptions: on failure returns nullopt and fills `err` (cleared
    /// otherwise).
    boost::asio::awaitable<std::optional<instance_page>> next(error_info& err);

    /// Hands back a page the caller is done with: a later request of the walk decodes into
    /// its storage (instance vector and strings, see `client::list_instances(req, recycled)`)
    /// instead of allocating. Optional; at most `page_options::concurrency` pages are kept,
    /// the rest are freed. Returns at once.
    void recycle(instance_page page);

    /// Counters so far (thread-safe read).
    walk_stats stats() const;

private:
    friend class client;
    friend struct detail::generator_access;
    explicit page_generator(std::shared_ptr<detail::walk> w);
    std::shared_ptr<detail::walk> walk_;
};

/// The instances of a listing across its pages, in offset order. Same rules as
/// page_generator.
class APIG_DECL instance_generator {
public:
    /// The next instance; nullopt when the walk is over; throws `api_error` on failure.
    boost::asio::awaitable<std::optional<instance>> next();
    boost::asio::awaitable<std::optional<instance>> next(error_info& err);
    walk_stats stats() const { return pages_.stats(); }

private:
    friend class client;
    explicit instance_generator(page_generator pages) : pages_(std::move(pages)) {}
    page_generator pages_;
    instance_page current_;
    std::size_t index_ = 0;
};

}  // namespace apig
