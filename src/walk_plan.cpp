// The walk's decisions, without I/O (see walk_plan.hpp).
#include "walk_plan.hpp"

#include "error_detail.hpp"

#include <algorithm>
#include <chrono>
#include <limits>
#include <string>

namespace apig::detail {

namespace {

constexpr std::int64_t max_offset = std::numeric_limits<std::int64_t>::max();

// `offset + n` (both >= 0), or nullopt when it would pass INT64_MAX (or either is negative).
std::optional<std::int64_t> checked_next_offset(std::int64_t offset, std::int64_t n) noexcept {
    if (offset < 0 || n < 0 || n > max_offset - offset) return std::nullopt;
    return offset + n;
}

// "; the latest total is N" / "; the server sent no total".
std::string total_text(std::optional<std::int64_t> total) {
    return total ? "; the latest total is " + std::to_string(*total) : std::string("; the server sent no total");
}

error_info stalled_error(std::uint32_t pages, std::int64_t first_offset, std::int64_t last_offset,
                         std::uint64_t repeated, std::optional<std::int64_t> total) {
    return make_error(errc::walk_stalled,
                      "listing pages: " + std::to_string(pages) + " pages in a row (offsets " +
                          std::to_string(first_offset) + " to " + std::to_string(last_offset) +
                          ") brought no new instance, only " + std::to_string(repeated) +
                          " already yielded (page_options.max_stalled_pages = " + std::to_string(pages) +
                          ")" + total_text(total) + "; the server repeats itself, the walk stops");
}

error_info offset_overflow_error(std::int64_t offset, std::int64_t received, std::optional<std::int64_t> total) {
    return make_error(errc::walk_limit_exceeded,
                      "listing pages: the page at offset " + std::to_string(offset) + " has " +
                          std::to_string(received) + " instances, which takes the next offset past " +
                          std::to_string(max_offset) + ", the largest offset" + total_text(total) +
                          "; the walk stops");
}

error_info max_pages_error(std::uint64_t max_pages, std::int64_t next_offset, std::optional<std::int64_t> total) {
    return make_error(errc::walk_limit_exceeded,
                      "listing pages: the walk needs more than page_options.max_pages = " +
                          std::to_string(max_pages) + " pages (the next one at offset " +
                          std::to_string(next_offset) + total_text(total) + "); the walk stops");
}

error_info max_instances_error(std::uint64_t max_instances, std::optional<std::int64_t> total) {
    return make_error(errc::walk_limit_exceeded,
                      "listing pages: the walk has more than page_options.max_instances = " +
                          std::to_string(max_instances) + " instances" + total_text(total) +
                          "; the walk stops after that many");
}

// "1 page", "2 pages".
std::string count_of(std::uint64_t n, char const* what) {
    return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
}

error_info deadline_error(std::chrono::milliseconds timeout, std::uint64_t pages, std::uint64_t instances) {
    return make_error(errc::timed_out, "listing pages: timed out (page_options.timeout = " + ms_text(timeout) +
                                           ", the walk's overall deadline) after " + count_of(pages, "page") +
                                           " and " + count_of(instances, "instance"));
}

constexpr auto relaxed = std::memory_order_relaxed;

// Adds to a counter that only the plan writes (others only read it): a load and a store, not
// a locked read-modify-write, which costs ~20 cycles on x86 at every page.
template <class T>
void bump(std::atomic<T>& counter, T n = 1) noexcept {
    counter.store(counter.load(relaxed) + n, relaxed);
}

}  // namespace

walk_stats walk_counters::snapshot() const noexcept {
    return {.pages = pages.load(relaxed),
            .instances = instances.load(relaxed),
            .requests = requests.load(relaxed),
            .duplicates_dropped = duplicates.load(relaxed),
            .total_changes = total_changes.load(relaxed),
            .total = total.load(relaxed)};
}

walk_plan::walk_plan(std::int64_t start_offset, page_options opts)
    : opts_(std::move(opts)), next_offset_(start_offset) {
    opts_.concurrency = std::max<std::size_t>(1, opts_.concurrency);
    // (check() bounds it before a walk starts; a plan made with more just starts smaller.)
    entries_.set_capacity(2 * std::min(opts_.concurrency, page_options::max_concurrency));
}

error_info walk_plan::check(page_options const& o) {
    if (o.page_size < 1 || o.page_size > 500)
        return invalid_argument("page_options.page_size must be in 1..500 (got " + std::to_string(o.page_size) + ")");
    if (o.concurrency > page_options::max_concurrency)
        return invalid_argument("page_options.concurrency must be at most " +
                                std::to_string(page_options::max_concurrency) + " (got " +
                                std::to_string(o.concurrency) + ")");
    if (o.timeout < std::chrono::milliseconds::zero())
        return invalid_argument("page_options.timeout must be >= 0 (0: no deadline; got " +
                                ms_text(o.timeout) + ")");
    return {};
}

error_info walk_plan::check_limit(list_request const& req, page_options const& o) {
    auto const unset = list_request{}.limit;
    if (req.limit == unset || req.limit == o.page_size) return {};
    return invalid_argument("list_request.limit (" + std::to_string(req.limit) + ") differs from page_options.page_size (" +
                            std::to_string(o.page_size) +
                            "): a walk requests every page with page_options.page_size; set the page size there "
                            "and leave list_request.limit at its default (" +
                            std::to_string(unset) + ") or equal to it");
}

void walk_plan::start() { launch(next_offset_); }

walk_plan::entry* walk_plan::find(std::int64_t offset) noexcept {
    // Offsets in flight are strictly increasing and few (at most 2 x `concurrency` entries).
    for (auto& e : entries_)
        if (e.offset == offset && !e.done) return &e;
    return nullptr;
}

void walk_plan::received(std::int64_t offset, instance_page page, std::vector<std::uint64_t>* hashes) {
    if (auto* e = find(offset)) {
        e->done = true;
        --in_flight_;
        e->page = std::move(page);
        if (!opts_.keep_duplicates) hash_ids(*e, hashes);
        fill();  // its slot in flight is free, whether or not the caller takes the page yet
    }
}

void walk_plan::failed(std::int64_t offset, error_info err) {
    if (auto* e = find(offset)) {
        e->done = true;
        --in_flight_;
        e->failed = true;
        e->error = std::move(err);
    }
}

std::optional<std::int64_t> walk_plan::pop_request() {
    if (requested_ < to_request_.size()) return to_request_[requested_++];
    to_request_.clear();
    requested_ = 0;
    return std::nullopt;
}

walk_step walk_plan::next() {
    while (!entries_.empty() && entries_.front().done) {
        entry s = std::move(entries_.front());
        entries_.pop_front();
        if (s.failed) {
            if (s.abandoned && stop_error_) return finish_with(take_stop_error());  // cancelled by the deadline
            return finish_with(std::move(s.error));
        }
        if (auto page = take(s)) return {.what = walk_step::kind::yield, .page = std::move(*page)};
    }
    if (entries_.empty() && finished_) {
        if (stop_error_) return finish_with(take_stop_error());
        return {.what = walk_step::kind::end};
    }
    return {};
}

void walk_plan::deadline_passed() {
    if (finished_) return;
    finished_ = true;
    passed_deadline_ = true;
    stop_error_ = deadline_error(opts_.timeout, counters_.pages.load(relaxed), counters_.instances.load(relaxed));
    for (auto& s : entries_) {
        if (s.done) continue;
        s.abandoned = true;
        cancel_ = true;
    }
}

error_info walk_plan::fail(error_info e) {
    end_walk();
    stop_error_.reset();
    return e;
}

void walk_plan::close() { end_walk(); }

bool walk_plan::below_max_pages() const noexcept {
    return opts_.max_pages == 0 || counters_.requests.load(relaxed) < opts_.max_pages;
}

void walk_plan::launch(std::int64_t offset) {
    if (entries_.full()) entries_.set_capacity(entries_.capacity() * 2);
    entries_.push_back({.offset = offset});
    ++in_flight_;
    to_request_.push_back(offset);
    bump(counters_.requests);
}

// Starts requests while fewer than `concurrency` are in flight and fewer than `concurrency`
// pages wait to be taken besides, the latest total says there is more, and max_pages and the
// offset range allow. Until the first page has given a total, one at a time.
//
// A page that came in frees its slot in flight at once, taken or not: pages come back out of
// order (C connections, a server's own scheduling), and a walk that waited for the caller to
// take the front page kept only the front page's request in flight while the pages behind it
// waited, so the server idled (bench/run: 11,000 epoll_waits and timer re-arms a 10,000 pages
// at C = 16, where C loops needed 2,100). A slow caller still holds the walk back: once C pages
// wait, nothing more is requested.
void walk_plan::fill() {
    while (!finished_ && planned_ahead_ && !offsets_exhausted_ && in_flight_ < opts_.concurrency &&
           entries_.size() < 2 * opts_.concurrency && next_offset_ < known_total_ && below_max_pages()) {
        launch(next_offset_);
        if (auto n = checked_next_offset(next_offset_, opts_.page_size)) next_offset_ = *n;
        else offsets_exhausted_ = true;  // the page just started is the last one possible
    }
}

// Accounts for a received page, decides how the walk goes on (and whether it must stop), and
// returns the page unless it has nothing to yield.
std::optional<instance_page> walk_plan::take(entry& s) {
    instance_page& page = s.page;
    auto const received = static_cast<std::int64_t>(page.instances.size());
    bool const first = !first_taken_;
    first_taken_ = true;
    note_total(page, s.offset);
    auto const end = checked_next_offset(s.offset, received);
    if (!end) {
        stop(offset_overflow_error(s.offset, received, last_total_));
    } else if (received == 0 || received < opts_.page_size || (last_total_ && *end >= *last_total_)) {
        end_walk();
        if (passed_deadline_) stop_error_.reset();  // every page came after all
    } else if (!finished_) {  // after the deadline or a stop, nothing more is requested
        if (!planned_ahead_) {
            next_offset_ = *end;
            planned_ahead_ = page.total.has_value();
        }
        go_on();
    }

    if (!opts_.keep_duplicates) {
        if (first && page.total) seen_.reserve(static_cast<std::size_t>(ids_to_reserve(*page.total - s.offset, opts_)));
        drop_duplicates(s);
    }
    note_stall(s.offset, received, page.instances.empty());
    cap_instances(page);
    if (page.instances.empty() && !first) return std::nullopt;
    bump(counters_.pages);
    bump(counters_.instances, std::uint64_t{page.instances.size()});
    return std::move(page);
}

// What the set of seen ids is told to expect when the first page comes: it makes room up to
// that in steps as ids come (id_set::reserve), never growing piecemeal in between.
std::uint64_t walk_plan::ids_to_reserve(std::int64_t remaining, page_options const& o) noexcept {
    if (remaining <= 0) return 0;
    std::uint64_t n = std::min(static_cast<std::uint64_t>(remaining), max_reserved_ids);
    if (o.max_instances != 0) n = std::min(n, o.max_instances);
    if (o.max_pages != 0 && o.max_pages <= max_reserved_ids)  // else the product is past the cap
        n = std::min(n, o.max_pages * static_cast<std::uint64_t>(std::max(o.page_size, 1)));
    return n;
}

void walk_plan::note_total(instance_page const& page, std::int64_t offset) {
    if (!page.total) return;
    if (last_total_ && *last_total_ != *page.total) {
        bump(counters_.total_changes);
        event({.what = walk_event::kind::total_changed, .offset = offset, .previous_total = *last_total_,
               .total = *page.total});
    }
    last_total_ = page.total;
    known_total_ = *page.total;
    counters_.total.store(*page.total, relaxed);
}

// The walk needs the page after the current one: request it (or, planned ahead, fill), unless
// max_pages forbids; then nothing is in flight and the walk stops.
void walk_plan::go_on() {
    if (planned_ahead_) fill();
    else if (below_max_pages()) launch(next_offset_);  // no total: one page at a time
    if (!entries_.empty()) return;
    stop(offsets_exhausted_ ? offset_overflow_error(next_offset_, opts_.page_size, last_total_)
                            : max_pages_error(opts_.max_pages, next_offset_, last_total_));
}

// A page that brought instances, none of them new, extends a stall; max_stalled_pages in a row
// stop the walk (unless it is over anyway).
void walk_plan::note_stall(std::int64_t offset, std::int64_t received, bool nothing_new) {
    if (opts_.keep_duplicates || received == 0) return;
    if (!nothing_new) {
        stalled_ = 0;
        stall_repeated_ = 0;
        return;
    }
    if (stalled_++ == 0) stall_first_ = offset;
    stall_repeated_ += static_cast<std::uint64_t>(received);
    if (opts_.max_stalled_pages != 0 && stalled_ >= opts_.max_stalled_pages)
        stop(stalled_error(stalled_, stall_first_, offset, stall_repeated_, last_total_));
}

// max_instances: the page is cut to what is left; any instance beyond ends the walk (even on
// its last page: the list has more than the limit).
void walk_plan::cap_instances(instance_page& page) {
    if (opts_.max_instances == 0) return;
    auto const have = counters_.instances.load(relaxed);
    auto const room = opts_.max_instances > have ? opts_.max_instances - have : 0;
    if (page.instances.size() <= room) return;
    page.instances.resize(static_cast<std::size_t>(room));
    if (!stop_error_) stop_error_ = max_instances_error(opts_.max_instances, last_total_);
    end_walk();
}

// Ends the walk with `e` after the pages taken so far; nothing if it has ended already.
void walk_plan::stop(error_info e) {
    if (finished_) return;
    stop_error_ = std::move(e);
    end_walk();
}

error_info walk_plan::take_stop_error() {
    error_info e = std::move(*stop_error_);
    stop_error_.reset();
    return e;
}

// The page's ids' hashes, one for each instance (0: it has no id), taken as it comes in: the
// decoder's (`decoded`, hashed as each instance ended, its id still in cache), or else hashed
// now, while the page just decoded is still partly in cache, where by the time the page is
// taken (after the pages ahead of it) it may not be. Their places in the set are prefetched
// meanwhile, so the set's cache misses overlap.
void walk_plan::hash_ids(entry& s, std::vector<std::uint64_t>* decoded) {
    if (!spare_hashes_.empty()) {
        s.hashes = std::move(spare_hashes_.back());
        spare_hashes_.pop_back();
    }
    if (decoded && decoded->size() == s.page.instances.size()) {
        s.hashes.swap(*decoded);  // (the request keeps a vector with room for its next page)
    } else {
        s.hashes.clear();
        for (auto const& i : s.page.instances) s.hashes.push_back(id_hash(i));
    }
    for (auto h : s.hashes)
        if (h != 0) seen_.prefetch(h);
}

// Drops the instances whose id the walk has yielded before, keeping the order. The set is
// asked from the hashes alone (hash_ids prefetched their places as the page came in); the
// instances, 500 structs of a page that may have waited out of cache, are gone through again
// only when there is a duplicate to drop.
void walk_plan::drop_duplicates(entry& s) {
    auto const& hashes = s.hashes;
    duplicate_at_.clear();
    for (std::size_t i = 0; i < hashes.size(); ++i)
        if (hashes[i] != 0 && !seen_.insert_hash(hashes[i])) duplicate_at_.push_back(i);
    if (!duplicate_at_.empty()) {
        auto& all = s.page.instances;
        std::size_t kept = 0, next_duplicate = 0;
        for (std::size_t i = 0; i < all.size(); ++i) {
            if (next_duplicate < duplicate_at_.size() && duplicate_at_[next_duplicate] == i) {
                ++next_duplicate;
                bump(counters_.duplicates);
                event({.what = walk_event::kind::duplicate_dropped, .offset = s.offset, .id = *all[i].id});
                continue;
            }
            if (kept != i) all[kept] = std::move(all[i]);
            ++kept;
        }
        all.erase(all.begin() + static_cast<std::ptrdiff_t>(kept), all.end());
    }
    if (spare_hashes_.size() < 2 * opts_.concurrency) spare_hashes_.push_back(std::move(s.hashes));
}

void walk_plan::event(walk_event const& e) const {
    if (!opts_.on_event) return;
    try {
        opts_.on_event(e);
    } catch (...) {  // a callback that throws must not break the walk
    }
}

// No page after the current ones: what was requested beyond the end is to be cancelled.
void walk_plan::end_walk() {
    finished_ = true;
    for (auto const& s : entries_)
        if (!s.done) cancel_ = true;
    entries_.clear();
    in_flight_ = 0;
}

walk_step walk_plan::finish_with(error_info e) {
    end_walk();
    stop_error_.reset();
    return {.what = walk_step::kind::fail, .error = std::move(e)};
}

}  // namespace apig::detail
