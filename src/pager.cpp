// Walks: the pages of a listing requested ahead (up to `concurrency` at once) and handed out in
// offset order. All state of a walk lives on the client's strand; next() reaches it with an
// asynchronous operation, so the caller may be on any executor. What the server sends is
// checked before any arithmetic; a walk that stalls, passes a limit or its deadline ends with
// a typed error after the pages received before it (the decisions are the plain functions at
// the top and take()).
#include <apig/client.hpp>
#include <apig/pager.hpp>

#include "client_impl.hpp"
#include "error_detail.hpp"
#include "id_set.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <deque>
#include <functional>
#include <limits>

namespace apig {
namespace asio = boost::asio;
using boost::system::error_code;

namespace detail {

using next_signature = void(error_code, std::optional<instance_page>);

// ---- the walk's decisions: plain functions of numbers, no I/O ----------------------------
// Every number here comes from the caller or the server and is checked before arithmetic.
namespace {

constexpr std::int64_t max_offset = std::numeric_limits<std::int64_t>::max();

// `offset + n` (both >= 0), or nullopt when it would pass INT64_MAX (or either is negative).
std::optional<std::int64_t> checked_next_offset(std::int64_t offset, std::int64_t n) noexcept {
    if (offset < 0 || n < 0 || n > max_offset - offset) return std::nullopt;
    return offset + n;
}

// The options' errors, found before any request.
error_info check_options(page_options const& o) {
    if (o.page_size < 1 || o.page_size > 500)
        return invalid_argument("page_options.page_size must be in 1..500 (got " + std::to_string(o.page_size) + ")");
    if (o.concurrency > page_options::max_concurrency)
        return invalid_argument("page_options.concurrency must be at most " +
                                std::to_string(page_options::max_concurrency) + " (got " +
                                std::to_string(o.concurrency) + ")");
    if (o.timeout < std::chrono::milliseconds::zero())
        return invalid_argument("page_options.timeout must be >= 0 (0: no deadline; got " +
                                std::to_string(o.timeout.count()) + " ms)");
    return {};
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
    return make_error(errc::timed_out, "listing pages: timed out (page_options.timeout = " +
                                           std::to_string(timeout.count()) +
                                           " ms, the walk's overall deadline) after " + count_of(pages, "page") +
                                           " and " + count_of(instances, "instance"));
}

}  // namespace

struct walk : std::enable_shared_from_this<walk> {
    // One page request: started, then done, then taken by the caller.
    struct slot {
        std::int64_t offset = 0;
        bool done = false;
        bool abandoned = false;  // cancelled by the walk's deadline
        error_code ec;
        error_info diag;
        instance_page page;
        asio::cancellation_signal cancel;
    };

    walk(std::shared_ptr<client::impl> c, list_request r, page_options o)
        : owner(std::move(c)), request(std::move(r)), opts(std::move(o)), next_offset(request.offset) {
        opts.concurrency = std::max<std::size_t>(1, opts.concurrency);
    }

    // --- on the strand ------------------------------------------------------------------

    void want_next(asio::any_completion_handler<next_signature> h, error_info* err,
                   asio::any_io_executor caller) {
        if (waiter) {  // one next() at a time
            auto e = invalid_argument("page_generator::next called again before the previous call completed");
            if (err) *err = e;
            post_result(std::move(h), std::move(caller), e.code, std::nullopt);
            return;
        }
        waiter = std::move(h);
        waiter_err = err;
        waiter_ex = std::move(caller);
        if (auto s = asio::get_associated_cancellation_slot(*waiter); s.is_connected()) {
            waiter_slot = s;
            s.assign([w = weak_from_this(), strand = owner->strand](asio::cancellation_type) {
                asio::post(strand, [w] {
                    if (auto self = w.lock()) self->abort();
                });
            });
        }
        if (!started) {
            started = true;
            if (auto e = validate_options()) {
                finish_with(std::move(e));
                return;
            }
            start_deadline();
            launch(next_offset);
        }
        deliver();
    }

    error_info validate_options() const {
        if (auto e = check_options(opts)) return e;
        return validate(request, owner->opts.project_id);
    }

    // page_options::timeout: from now on, the whole walk.
    void start_deadline() {
        if (opts.timeout <= std::chrono::milliseconds::zero()) return;
        deadline.emplace(owner->strand, opts.timeout);
        deadline->async_wait([w = weak_from_this()](error_code ec) {
            if (ec) return;  // cancelled: the walk ended first
            if (auto self = w.lock()) self->deadline_passed();
        });
    }

    // The deadline passed: nothing more is requested, the requests in flight are cancelled,
    // the pages already received are handed out, then the deadline's error.
    void deadline_passed() {
        if (finished) return;
        finished = true;
        passed_deadline = true;
        stop_error = deadline_error(opts.timeout, pages.load(std::memory_order_relaxed),
                                    instances.load(std::memory_order_relaxed));
        for (auto& s : slots) {
            if (s->done) continue;
            s->abandoned = true;
            s->cancel.emit(asio::cancellation_type::terminal);
        }
        deliver();
    }

    bool below_max_pages() const {
        return opts.max_pages == 0 || requests.load(std::memory_order_relaxed) < opts.max_pages;
    }

    void launch(std::int64_t offset) {
        auto s = std::make_shared<slot>();
        s->offset = offset;
        slots.push_back(s);
        list_request r = request;
        r.offset = offset;
        r.limit = opts.page_size;
        ++requests;
        instance_page storage;
        if (!spares.empty()) {
            storage = std::move(spares.back());
            spares.pop_back();
        }
        owner->start(std::move(r), std::move(storage), &s->diag,
                      asio::bind_cancellation_slot(
                          s->cancel.slot(),
                          asio::bind_executor(owner->strand, [self = shared_from_this(), s](error_code ec, instance_page p) {
                              s->done = true;
                              s->ec = ec;
                              s->page = std::move(p);
                              self->deliver();
                          })));
    }

    // Starts requests while fewer than `concurrency` pages are in flight or waiting, the
    // latest total says there is more, and max_pages and the offset range allow. Until the
    // first page has given a total, one at a time.
    void fill() {
        while (!finished && planned_ahead && !offsets_exhausted && slots.size() < opts.concurrency &&
               next_offset < known_total && below_max_pages()) {
            launch(next_offset);
            if (auto n = checked_next_offset(next_offset, opts.page_size)) next_offset = *n;
            else offsets_exhausted = true;  // the page just started is the last one possible
        }
    }

    // Hands the front page to the waiting caller, if both are there.
    void deliver() {
        while (waiter && !slots.empty() && slots.front()->done) {
            auto s = std::move(slots.front());
            slots.pop_front();
            if (s->ec) {
                if (s->abandoned && stop_error) {  // cancelled by the deadline: its error instead
                    finish_with(take_stop_error());
                    return;
                }
                error_info e = std::move(s->diag);
                if (!e.code) e = make_error(s->ec, s->ec.message());
                finish_with(std::move(e));
                return;
            }
            if (auto page = take(*s)) {
                complete(std::move(page));
                return;
            }
        }
        if (waiter && slots.empty() && finished) {
            if (stop_error) finish_with(take_stop_error());
            else complete(std::nullopt);
        }
    }

    // Accounts for a received page, decides how the walk goes on (and whether it must stop),
    // and returns the page unless it has nothing to yield.
    std::optional<instance_page> take(slot& s) {
        instance_page& page = s.page;
        auto const received = static_cast<std::int64_t>(page.instances.size());
        bool const first = !first_taken;
        first_taken = true;
        note_total(page, s.offset);
        auto const end = checked_next_offset(s.offset, received);
        if (!end) {
            stop(offset_overflow_error(s.offset, received, last_total));
        } else if (received == 0 || received < opts.page_size || (last_total && *end >= *last_total)) {
            end_walk();
            if (passed_deadline) stop_error.reset();  // every page came after all
        } else if (!finished) {  // after the deadline or a stop, nothing more is requested
            if (!planned_ahead) {
                next_offset = *end;
                planned_ahead = page.total.has_value();
            }
            go_on();
        }

        if (!opts.keep_duplicates) drop_duplicates(page, s.offset);
        note_stall(s.offset, received, page.instances.empty());
        cap_instances(page);
        if (page.instances.empty() && !first) return std::nullopt;
        ++pages;
        instances += page.instances.size();
        return std::move(page);
    }

    void note_total(instance_page const& page, std::int64_t offset) {
        if (!page.total) return;
        if (last_total && *last_total != *page.total) {
            ++total_changes;
            event({.what = walk_event::kind::total_changed, .offset = offset,
                   .previous_total = *last_total, .total = *page.total});
        }
        last_total = page.total;
        known_total = *page.total;
        total.store(*page.total, std::memory_order_relaxed);
    }

    // The walk needs the page after the current one: request it (or, planned ahead, fill),
    // unless max_pages forbids; then nothing is in flight and the walk stops.
    void go_on() {
        if (planned_ahead) fill();
        else if (below_max_pages()) launch(next_offset);  // no total: one page at a time
        if (!slots.empty()) return;
        stop(offsets_exhausted ? offset_overflow_error(next_offset, opts.page_size, last_total)
                               : max_pages_error(opts.max_pages, next_offset, last_total));
    }

    // A page that brought instances, none of them new, extends a stall; max_stalled_pages in a
    // row stop the walk (unless it is over anyway).
    void note_stall(std::int64_t offset, std::int64_t received, bool nothing_new) {
        if (opts.keep_duplicates || received == 0) return;
        if (!nothing_new) {
            stalled = 0;
            stall_repeated = 0;
            return;
        }
        if (stalled++ == 0) stall_first = offset;
        stall_repeated += static_cast<std::uint64_t>(received);
        if (opts.max_stalled_pages != 0 && stalled >= opts.max_stalled_pages)
            stop(stalled_error(stalled, stall_first, offset, stall_repeated, last_total));
    }

    // max_instances: the page is cut to what is left; any instance beyond ends the walk (even
    // on its last page: the list has more than the limit).
    void cap_instances(instance_page& page) {
        if (opts.max_instances == 0) return;
        auto const have = instances.load(std::memory_order_relaxed);
        auto const room = opts.max_instances > have ? opts.max_instances - have : 0;
        if (page.instances.size() <= room) return;
        page.instances.resize(static_cast<std::size_t>(room));
        if (!stop_error) stop_error = max_instances_error(opts.max_instances, last_total);
        end_walk();
    }

    // Ends the walk with `e` after the pages taken so far; nothing if it has ended already.
    void stop(error_info e) {
        if (finished) return;
        stop_error = std::move(e);
        end_walk();
    }

    error_info take_stop_error() {
        error_info e = std::move(*stop_error);
        stop_error.reset();
        return e;
    }

    // Drops the instances whose id the walk has yielded before, keeping the order. The page's
    // hashes are computed and their slots prefetched first, so the set's cache misses overlap.
    void drop_duplicates(instance_page& page, std::int64_t offset) {
        hashes.clear();
        for (auto const& i : page.instances) {
            if (!i.id) continue;
            hashes.push_back(detail::id_set::hash(*i.id));
            seen.prefetch(hashes.back());
        }
        auto& all = page.instances;
        std::size_t kept = 0, next_hash = 0;
        for (std::size_t i = 0; i < all.size(); ++i) {
            if (all[i].id && !seen.insert_hash(hashes[next_hash++])) {
                ++duplicates;
                event({.what = walk_event::kind::duplicate_dropped, .offset = offset, .id = *all[i].id});
                continue;
            }
            if (kept != i) all[kept] = std::move(all[i]);
            ++kept;
        }
        all.erase(all.begin() + static_cast<std::ptrdiff_t>(kept), all.end());
    }

    void event(walk_event const& e) {
        if (!opts.on_event) return;
        try {
            opts.on_event(e);
        } catch (...) {  // a callback that throws must not break the walk
        }
    }

    // No page after the current ones: cancel what was requested beyond the end.
    void end_walk() {
        finished = true;
        for (auto& s : slots) s->cancel.emit(asio::cancellation_type::terminal);
        slots.clear();
        if (deadline) deadline->cancel();
    }

    void finish_with(error_info e) {
        end_walk();
        stop_error.reset();
        if (waiter_err) *waiter_err = e;
        complete_error(e.code);
    }

    void abort() {  // the caller cancelled its next()
        if (!waiter) return;
        finish_with(make_error(asio::error::operation_aborted, "listing pages: cancelled"));
    }

    void keep_spare(instance_page page) {
        if (!finished && spares.size() < opts.concurrency) spares.push_back(std::move(page));
    }

    void close() {  // the generator was destroyed
        end_walk();
        spares.clear();
        if (waiter) complete_error(asio::error::operation_aborted);
    }

    void complete(std::optional<instance_page> page) {
        if (waiter_err) waiter_err->clear();
        finish_waiter({}, std::move(page));
    }
    void complete_error(error_code ec) { finish_waiter(ec, std::nullopt); }

    void finish_waiter(error_code ec, std::optional<instance_page> page) {
        if (waiter_slot.is_connected()) waiter_slot.clear();
        waiter_slot = {};
        waiter_err = nullptr;
        auto h = std::move(*waiter);
        waiter.reset();
        post_result(std::move(h), std::move(waiter_ex), ec, std::move(page));
    }

    // The caller's coroutine resumes on its own executor, never inside the strand.
    static void post_result(asio::any_completion_handler<next_signature> h, asio::any_io_executor caller,
                            error_code ec, std::optional<instance_page> page) {
        asio::post(caller, [h = std::move(h), ec, page = std::move(page)]() mutable {
            std::move(h)(ec, std::move(page));
        });
    }

    std::shared_ptr<client::impl> owner;
    list_request request;
    page_options opts;
    std::deque<std::shared_ptr<slot>> slots;
    std::int64_t next_offset;
    std::int64_t known_total = 0;
    std::optional<std::int64_t> last_total;
    bool started = false;
    bool first_taken = false;
    bool planned_ahead = false;
    bool finished = false;          // nothing more will be requested
    bool offsets_exhausted = false;  // next_offset would pass INT64_MAX
    bool passed_deadline = false;
    // The error that ends the walk once the pages taken before it have been handed out.
    std::optional<error_info> stop_error;
    std::uint32_t stalled = 0;        // pages in a row with nothing new
    std::int64_t stall_first = 0;     // offset of the first of them
    std::uint64_t stall_repeated = 0;  // instances they repeated
    std::optional<asio::steady_timer> deadline;  // page_options::timeout
    std::optional<asio::any_completion_handler<next_signature>> waiter;
    error_info* waiter_err = nullptr;
    asio::any_io_executor waiter_ex;
    asio::cancellation_slot waiter_slot;
    detail::id_set seen;
    std::vector<std::uint64_t> hashes;  // drop_duplicates' scratch
    std::vector<instance_page> spares;  // pages handed back by the caller, for later requests

    std::atomic<std::uint64_t> pages{0}, instances{0}, requests{0}, duplicates{0}, total_changes{0};
    std::atomic<std::int64_t> total{-1};
};

struct initiate_next {
    template <class Handler>
    void operator()(Handler&& handler, std::shared_ptr<walk> w, error_info* err, asio::any_io_executor caller) const {
        auto& strand = w->owner->strand;
        asio::dispatch(strand, [w = std::move(w), err, caller = std::move(caller),
                                h = asio::any_completion_handler<next_signature>(std::forward<Handler>(handler))]() mutable {
            w->want_next(std::move(h), err, std::move(caller));
        });
    }
};

}  // namespace detail

page_generator::page_generator(std::shared_ptr<detail::walk> w) : walk_(std::move(w)) {}
page_generator::page_generator(page_generator&&) noexcept = default;
page_generator& page_generator::operator=(page_generator&& o) noexcept {
    if (this != &o) {
        page_generator old(std::move(*this));
        walk_ = std::move(o.walk_);
    }
    return *this;
}

page_generator::~page_generator() {
    if (walk_) asio::dispatch(walk_->owner->strand, [w = walk_] { w->close(); });
}

asio::awaitable<std::optional<instance_page>> page_generator::next(error_info& err) {
    auto caller = co_await asio::this_coro::executor;
    // The state goes in as initiation arguments (stored by value with the operation), not as
    // lambda captures.
    auto token = asio::as_tuple(asio::use_awaitable);
    auto [ec, page] = co_await asio::async_initiate<decltype(token), detail::next_signature>(
        detail::initiate_next{}, token, walk_, &err, caller);
    if (ec && !err.code) err = make_error(ec, ec == asio::error::operation_aborted ? "listing pages: cancelled" : ec.message());
    co_return std::move(page);
}

asio::awaitable<std::optional<instance_page>> page_generator::next() {
    error_info err;
    auto page = co_await next(err);
    if (err) throw api_error(std::move(err));
    co_return page;
}

void page_generator::recycle(instance_page page) {
    if (!walk_) return;  // moved from
    asio::dispatch(walk_->owner->strand,
                   [w = walk_, page = std::move(page)]() mutable { w->keep_spare(std::move(page)); });
}

walk_stats page_generator::stats() const {
    constexpr auto relaxed = std::memory_order_relaxed;
    auto const& w = *walk_;
    return {.pages = w.pages.load(relaxed),
            .instances = w.instances.load(relaxed),
            .requests = w.requests.load(relaxed),
            .duplicates_dropped = w.duplicates.load(relaxed),
            .total_changes = w.total_changes.load(relaxed),
            .total = w.total.load(relaxed)};
}

asio::awaitable<std::optional<instance>> instance_generator::next(error_info& err) {
    for (;;) {
        if (index_ < current_.instances.size()) co_return std::move(current_.instances[index_++]);
        // The instances were moved out, but the vector's capacity is worth keeping.
        if (current_.instances.capacity() != 0) pages_.recycle(std::move(current_));
        auto page = co_await pages_.next(err);
        if (!page) co_return std::nullopt;
        current_ = std::move(*page);
        index_ = 0;
    }
}

asio::awaitable<std::optional<instance>> instance_generator::next() {
    error_info err;
    auto i = co_await next(err);
    if (err) throw api_error(std::move(err));
    co_return i;
}

page_generator client::pages(list_request req, page_options opts) {
    return page_generator(std::make_shared<detail::walk>(impl_, std::move(req), std::move(opts)));
}

instance_generator client::instances(list_request req, page_options opts) {
    return instance_generator(pages(std::move(req), std::move(opts)));
}

asio::awaitable<std::vector<instance>> client::list_all(list_request req, page_options opts) {
    // Reserved from `total`, but never more than the walk's pages in flight could hold: a
    // server's claim alone must not allocate (a larger list grows the vector as it comes).
    auto const reserve_cap = static_cast<std::int64_t>(std::clamp<std::size_t>(opts.concurrency, 1, page_options::max_concurrency)) *
                             std::clamp<std::int32_t>(opts.page_size, 1, 500);
    auto g = pages(std::move(req), std::move(opts));
    std::vector<instance> all;
    while (auto page = co_await g.next()) {
        if (all.empty() && page->total && *page->total > 0)
            all.reserve(static_cast<std::size_t>(std::min<std::int64_t>(*page->total, reserve_cap)));
        for (auto& i : page->instances) all.push_back(std::move(i));
    }
    co_return all;
}

}  // namespace apig
