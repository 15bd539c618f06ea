// Walks: the pages of a listing requested ahead (up to `concurrency` at once) and handed out in
// offset order. All state of a walk lives on the client's strand; next() reaches it with an
// asynchronous operation, so the caller may be on any executor.
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
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <deque>
#include <functional>

namespace apig {
namespace asio = boost::asio;
using boost::system::error_code;

namespace detail {

using next_signature = void(error_code, std::optional<instance_page>);

struct walk : std::enable_shared_from_this<walk> {
    // One page request: started, then done, then taken by the caller.
    struct slot {
        std::int64_t offset = 0;
        bool done = false;
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
            launch(next_offset);
        }
        deliver();
    }

    error_info validate_options() const {
        if (opts.page_size < 1 || opts.page_size > 500)
            return invalid_argument("page_options.page_size must be in 1..500 (got " +
                                    std::to_string(opts.page_size) + ")");
        return validate(request, owner->opts.project_id);
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

    // Starts requests while fewer than `concurrency` pages are in flight or waiting, and the
    // latest total says there is more. Until the first page has given a total, one at a time.
    void fill() {
        while (!finished && planned_ahead && slots.size() < opts.concurrency && next_offset < known_total) {
            launch(next_offset);
            next_offset += opts.page_size;
        }
    }

    // Hands the front page to the waiting caller, if both are there.
    void deliver() {
        while (waiter && !slots.empty() && slots.front()->done) {
            auto s = std::move(slots.front());
            slots.pop_front();
            if (s->ec) {
                error_info e = std::move(s->diag);
                if (!e.code) e = make_error(s->ec, s->ec.message());
                finish_with(std::move(e));
                return;
            }
            if (auto page = take(*s)) {
                fill();
                complete(std::move(page));
                return;
            }
            fill();
        }
        if (waiter && slots.empty() && finished) complete(std::nullopt);
    }

    // Accounts for a received page; returns it unless it has nothing to yield.
    std::optional<instance_page> take(slot& s) {
        instance_page& page = s.page;
        auto const received = static_cast<std::int64_t>(page.instances.size());
        bool const first = !first_taken;
        first_taken = true;
        if (page.total) {
            if (last_total && *last_total != *page.total) {
                ++total_changes;
                event({.what = walk_event::kind::total_changed, .offset = s.offset,
                       .previous_total = *last_total, .total = *page.total});
            }
            last_total = page.total;
            known_total = *page.total;
            total.store(*page.total, std::memory_order_relaxed);
        }
        if (!planned_ahead) next_offset = s.offset + received;  // sequential until a total is known
        if (page.total && !planned_ahead) planned_ahead = true;
        if (received == 0 || received < opts.page_size || (page.total && s.offset + received >= *page.total))
            end_walk();
        else if (!planned_ahead)
            launch(next_offset);  // no total: keep walking one page at a time

        if (!opts.keep_duplicates) drop_duplicates(page, s.offset);
        if (page.instances.empty() && !first) return std::nullopt;
        ++pages;
        instances += page.instances.size();
        return std::move(page);
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
    }

    void finish_with(error_info e) {
        end_walk();
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
    bool finished = false;
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
    auto g = pages(std::move(req), std::move(opts));
    std::vector<instance> all;
    while (auto page = co_await g.next()) {
        if (all.empty() && page->total && *page->total > 0)
            all.reserve(static_cast<std::size_t>(std::min<std::int64_t>(*page->total, 1'000'000)));
        for (auto& i : page->instances) all.push_back(std::move(i));
    }
    co_return all;
}

}  // namespace apig
