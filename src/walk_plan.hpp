#pragma once

// The plan of a walk (pager.cpp), without I/O: which offsets to request, what each page brings
// to the caller, and when and how the walk ends. Told what each request brought, it answers
// with offsets to request (pop_request), whether the requests in flight must be cancelled
// (take_cancel), and what the waiting caller gets now (next). Plain calls, unit-tested with
// scripted pages (test/unit/test_walk_plan.cpp).
//
// Not thread-safe: one owner drives it (the walk, on the client's strand), except `counters()`,
// whose atomics may be read from any thread.
//
// Every number the server sends is checked before any arithmetic. A walk that stalls, passes a
// limit or its deadline ends with a typed error after the pages received before it (see
// include/apig/pager.hpp for the guarantees).

#include <apig/error.hpp>
#include <apig/model.hpp>
#include <apig/pager.hpp>

#include "id_set.hpp"

#include <boost/circular_buffer.hpp>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace apig::detail {

/// The counters behind `page_generator::stats()`: written by the plan alone (one writer, so
/// its increments are a relaxed load and store), read from any thread.
struct walk_counters {
    std::atomic<std::uint64_t> pages{0}, instances{0}, requests{0}, duplicates{0}, total_changes{0};
    std::atomic<std::int64_t> total{-1};

    walk_stats snapshot() const noexcept;
};

/// What the waiting caller gets now.
struct walk_step {
    enum class kind {
        wait,   ///< nothing yet: the front page is still in flight
        yield,  ///< `page`, the next one in offset order
        end,    ///< the walk is over, without error
        fail,   ///< the walk is over with `error` (its last element)
    };
    kind what = kind::wait;
    instance_page page{};
    error_info error{};
};

class walk_plan {
public:
    /// A walk from `start_offset` on. `opts` is taken as checked by `check` (a concurrency of
    /// 0 is taken as 1).
    walk_plan(std::int64_t start_offset, page_options opts);

    /// The options' errors (`errc::invalid_argument`), found before any request.
    static error_info check(page_options const& opts);
    /// A request's `limit` that contradicts `opts.page_size` (`errc::invalid_argument`): a walk
    /// requests every page with `page_size`, and `limit` may only be left at its default or
    /// equal it.
    static error_info check_limit(list_request const& req, page_options const& opts);

    /// How many ids the set of seen ids makes room for up front, when the first page says
    /// `remaining` instances are left from it on (its total less its offset): the server's
    /// number is not trusted, so at most `max_reserved_ids`, and no more than the walk may yield
    /// (`max_instances`) or request (`max_pages` pages of `page_size`); 0 in either means no limit.
    static std::uint64_t ids_to_reserve(std::int64_t remaining, page_options const& opts) noexcept;
    static constexpr std::uint64_t max_reserved_ids = std::uint64_t{1} << 20;

    /// An instance's id as the set of seen ids keeps it: its hash, never 0 (id_set keeps 0 as
    /// 1); 0 when the instance has no id (never a duplicate).
    static std::uint64_t id_hash(instance const& i) noexcept {
        return i.id ? std::max<std::uint64_t>(1, id_set::hash(*i.id)) : 0;
    }

    /// Requests the first page.
    void start();

    /// The request at `offset` brought `page`. Ignored if that request is no longer awaited
    /// (the walk ended before it).
    /// `hashes` (may be null): the page's ids' `id_hash`es, taken as the decoder went (see
    /// json::instance_sink); swapped in when there is one for each instance, else the ids are
    /// hashed here.
    void received(std::int64_t offset, instance_page page, std::vector<std::uint64_t>* hashes = nullptr);
    /// The request at `offset` failed with `e` (its code set).
    void failed(std::int64_t offset, error_info e);

    /// What a waiting caller gets now; call it only when a caller waits (pages are taken only
    /// as the caller asks; new requests start as pages come in, up to `concurrency` in flight,
    /// until `concurrency` pages wait to be taken: a slow caller holds the walk back).
    walk_step next();

    /// The walk's deadline (`page_options::timeout`) passed: nothing more is requested, the
    /// requests in flight are to be cancelled (take_cancel), the pages already received are
    /// handed out by next(), then the deadline's error. Nothing if the walk has ended.
    void deadline_passed();

    /// Ends the walk with `e` at once (a caller's cancellation, bad options): the requests in
    /// flight are to be cancelled, later next() calls give `end`. Returns `e`.
    error_info fail(error_info e);
    /// Ends the walk (its generator is gone): the requests in flight are to be cancelled.
    void close();

    /// The next offset to request now (each one requested once, in order), or nullopt. Drain
    /// it after every call above, then take_cancel().
    std::optional<std::int64_t> pop_request();
    /// True (once) when every request in flight must be cancelled: the walk ended before them.
    bool take_cancel() noexcept { return std::exchange(cancel_, false); }

    /// Nothing more will be requested.
    bool finished() const noexcept { return finished_; }
    page_options const& options() const noexcept { return opts_; }
    walk_counters const& counters() const noexcept { return counters_; }

private:
    // One page request: started, then done, then taken by the caller.
    struct entry {
        std::int64_t offset = 0;
        bool done = false;
        bool abandoned = false;  // cancelled by the walk's deadline
        bool failed = false;
        error_info error{};
        instance_page page{};
        std::vector<std::uint64_t> hashes{};  // its instances' ids' hashes (0: no id), taken when it came in
    };

    entry* find(std::int64_t offset) noexcept;
    void launch(std::int64_t offset);
    bool below_max_pages() const noexcept;
    void fill();
    std::optional<instance_page> take(entry& s);
    void note_total(instance_page const& page, std::int64_t offset);
    void go_on();
    void note_stall(std::int64_t offset, std::int64_t received, bool nothing_new);
    void cap_instances(instance_page& page);
    void stop(error_info e);
    error_info take_stop_error();
    void hash_ids(entry& s, std::vector<std::uint64_t>* decoded);
    void drop_duplicates(entry& s);
    void event(walk_event const& e) const;
    void end_walk();
    walk_step finish_with(error_info e);

    page_options opts_;
    // Requested and not yet taken, in offset order: at most `concurrency` in flight and as many
    // received (a ring sized for them, so that a request allocates no node; grown if ever full).
    boost::circular_buffer<entry> entries_;
    std::size_t in_flight_ = 0;  // of entries_, not done
    std::vector<std::int64_t> to_request_;  // offsets for pop_request
    std::size_t requested_ = 0;          // of to_request_, popped
    bool cancel_ = false;
    std::int64_t next_offset_;
    std::int64_t known_total_ = 0;
    std::optional<std::int64_t> last_total_;
    bool first_taken_ = false;
    bool planned_ahead_ = false;
    bool finished_ = false;           // nothing more will be requested
    bool offsets_exhausted_ = false;  // next_offset_ would pass INT64_MAX
    bool passed_deadline_ = false;
    // The error that ends the walk once the pages taken before it have been handed out.
    std::optional<error_info> stop_error_;
    std::uint32_t stalled_ = 0;         // pages in a row with nothing new
    std::int64_t stall_first_ = 0;      // offset of the first of them
    std::uint64_t stall_repeated_ = 0;  // instances they repeated
    id_set seen_;
    std::vector<std::vector<std::uint64_t>> spare_hashes_;  // entries' hash vectors, for reuse
    std::vector<std::size_t> duplicate_at_;  // drop_duplicates': where a page's duplicates are
    walk_counters counters_;
};

}  // namespace apig::detail
