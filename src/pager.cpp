// Walks: the plumbing around a walk_plan (walk_plan.hpp), which decides which offsets to
// request and what each page yields. Here: the requests (through a page_source), their
// cancellation, the deadline's timer, and the caller waiting in next(). All state of a walk
// lives on its source's executor (the client's strand); next() reaches it with an asynchronous
// operation, so the caller may be on any executor.
#include <apig/client.hpp>
#include <apig/pager.hpp>

#include "error_detail.hpp"
#include "page_source.hpp"
#include "request.hpp"
#include "walk_plan.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <vector>

namespace apig {
namespace asio = boost::asio;
using boost::system::error_code;

namespace detail {

using next_signature = void(error_code, std::optional<instance_page>);

struct walk : std::enable_shared_from_this<walk> {
    // One page request: its cancellation, and where the call says what failed. Reused by a
    // later request once its own has completed (its signal keeps its handler's memory).
    struct request_io {
        std::int64_t offset = 0;
        error_info diag;
        asio::cancellation_signal cancel;
        bool busy = false;       // its request has not completed yet
        bool cancelled = false;  // ... and was cancelled: the walk ended before it
        std::vector<std::uint64_t> hashes;  // its page's ids' hashes, taken as they are decoded
    };

    walk(page_source s, list_request r, page_options o)
        : source(std::move(s)), request(std::move(r)), plan(request.offset, std::move(o)) {}

    // --- on the source's executor ---------------------------------------------------------

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
            s.assign([w = weak_from_this(), ex = source.executor](asio::cancellation_type) {
                asio::post(ex, [w] {
                    if (auto self = w.lock()) self->abort();
                });
            });
        }
        if (!started) {
            started = true;
            if (auto e = validate_options()) {
                auto failed = plan.fail(std::move(e));
                act();
                fail_waiter(std::move(failed));
                return;
            }
            start_deadline();
            plan.start();
            act();
        }
        resuming = resume_from::next;
        deliver();
        resuming = resume_from::post;
    }

    // The options', then the request's errors, found before any request.
    error_info validate_options() const {
        if (auto e = walk_plan::check(plan.options())) return e;
        if (auto e = validate(request, source.project_id, source.project_discoverable)) return e;
        return walk_plan::check_limit(request, plan.options());
    }

    // page_options::timeout: from now on, the whole walk.
    void start_deadline() {
        auto const timeout = plan.options().timeout;
        if (timeout <= std::chrono::milliseconds::zero()) return;
        deadline.emplace(source.executor, timeout);
        deadline->async_wait([w = weak_from_this()](error_code ec) {
            if (ec) return;  // cancelled: the walk ended first
            if (auto self = w.lock()) self->deadline_passed();
        });
    }

    void deadline_passed() {
        if (plan.finished()) return;
        plan.deadline_passed();
        act();
        deliver();
    }

    // Does what the plan asks: starts the requests it planned, cancels those in flight when the
    // walk ended before them, and stops the deadline once nothing more will be requested.
    void act() {
        while (auto offset = plan.pop_request()) launch(*offset);
        if (plan.take_cancel()) {
            for (auto& r : ios) {
                if (!r->busy || r->cancelled) continue;
                r->cancelled = true;
                r->cancel.emit(asio::cancellation_type::terminal);
            }
        }
        if (plan.finished() && deadline) {
            deadline->cancel();
            deadline.reset();
        }
    }

    void launch(std::int64_t offset) {
        auto const free = std::find_if(ios.begin(), ios.end(), [](auto const& r) { return !r->busy; });
        request_io* io = free != ios.end() ? free->get() : ios.emplace_back(std::make_unique<request_io>()).get();
        io->offset = offset;
        io->diag.clear();
        io->busy = true;
        io->cancelled = false;
        list_request r = request;
        r.offset = offset;
        r.limit = plan.options().page_size;
        // The page's storage is taken when its body begins (refill), not now: by then the caller
        // has handed back the pages before it, and the latest one is still in cache. Each body
        // (a retry's too) starts its ids' hashes afresh.
        source.fetch(std::move(r),
                     [this, io](instance_page& page) {
                         if (page.instances.capacity() == 0) refill(page);
                         io->hashes.clear();
                         if (plan.options().keep_duplicates) return json::instance_sink{};
                         return json::instance_sink{&hash_id, io};
                     },
                     &io->diag,
                     asio::bind_cancellation_slot(
                         io->cancel.slot(),
                         asio::bind_executor(source.executor, [self = shared_from_this(), io](error_code ec, instance_page p) {
                             self->completed(*io, ec, std::move(p));
                         })));
    }

    void completed(request_io& io, error_code ec, instance_page page) {
        io.busy = false;  // (a cancelled one's offset is no longer awaited: the plan ignores it)
        if (ec) {
            error_info e = std::move(io.diag);
            if (!e.code) e = make_error(ec, ec.message());
            plan.failed(io.offset, std::move(e));
        } else {
            plan.received(io.offset, std::move(page), &io.hashes);
        }
        act();  // the slot it held in flight goes to the next page now, taken or not
        resuming = resume_from::completion;
        deliver();
        resuming = resume_from::post;
    }

    // Hands the waiting caller what the plan has for it, if anything yet.
    void deliver() {
        if (!waiter) return;
        auto step = plan.next();
        act();
        switch (step.what) {
        case walk_step::kind::wait: return;
        case walk_step::kind::yield: complete(std::move(step.page)); return;
        case walk_step::kind::end: complete(std::nullopt); return;
        case walk_step::kind::fail: fail_waiter(std::move(step.error)); return;
        }
    }

    void abort() {  // the caller cancelled its next()
        if (!waiter) return;
        auto e = plan.fail(make_error(asio::error::operation_aborted, "listing pages: cancelled"));
        act();
        fail_waiter(std::move(e));
    }

    // The decoder's instance_sink: the id's hash, as the instance's object ends (0: no id).
    // Should an index ever skip one, nothing more is added: the hashes then fall short of the
    // page, and the plan hashes its ids itself.
    static void hash_id(void* ctx, std::size_t index, instance const& i) {
        auto& h = static_cast<request_io*>(ctx)->hashes;
        if (index < h.size()) [[unlikely]] h.resize(index);  // a second `instances` array began
        if (index == h.size()) h.push_back(walk_plan::id_hash(i));
    }

    // A request's page storage, as its body begins (on the source's executor; the walk is
    // alive: the request's handler holds it): the page handed back last.
    void refill(instance_page& page) {
        if (spares.empty()) return;
        page = std::move(spares.back());
        spares.pop_back();
    }

    void keep_spare(instance_page page) {
        if (!plan.finished() && spares.size() < plan.options().concurrency) spares.push_back(std::move(page));
    }

    void close() {  // the generator was destroyed
        plan.close();
        act();
        spares.clear();
        if (waiter) complete_error(asio::error::operation_aborted);
    }

    void fail_waiter(error_info e) {
        if (waiter_err) *waiter_err = e;
        complete_error(e.code);
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
        // A caller on the walk's own executor (a client without a strand, the caller on its
        // thread) is resumed at once, not a scheduler round later: handed over through posts,
        // one page a round, pages that waited for the caller kept it behind and the server
        // idle (at 20 instances a page, C = 16: 4 connections busy of 16, an epoll_wait and a
        // timer re-arm a page). From a request's completion nothing of the walk's is below on
        // the stack; from inside the caller's own next() (a page was waiting) the caller
        // resumes on top of that call, so the nesting is bounded: every `max_nested`-th page
        // in a row goes through a post. Anything else (another executor, a strand the caller
        // is not on, a close, an abort, the deadline) always goes through a post.
        if (waiter_ex == source.executor &&
            (resuming == resume_from::completion || (resuming == resume_from::next && nested < max_nested))) {
            bool const from_next = resuming == resume_from::next;
            resuming = resume_from::post;  // what the caller does now is not this deliver()'s
            waiter_ex = {};
            if (from_next) ++nested;
            auto self = shared_from_this();  // the caller may drop the generator meanwhile
            std::move(h)(ec, std::move(page));
            if (from_next) --nested;
            return;
        }
        post_result(std::move(h), std::move(waiter_ex), ec, std::move(page));
    }

    // The caller's coroutine resumes on its own executor, never inside the strand.
    static void post_result(asio::any_completion_handler<next_signature> h, asio::any_io_executor caller,
                            error_code ec, std::optional<instance_page> page) {
        asio::post(caller, [h = std::move(h), ec, page = std::move(page)]() mutable {
            std::move(h)(ec, std::move(page));
        });
    }

    page_source source;
    list_request request;
    walk_plan plan;
    // Every request_io of the walk (its requests' handlers point into them; they go with the
    // walk, which each handler holds alive): at most `concurrency` busy at once.
    std::vector<std::unique_ptr<request_io>> ios;
    bool started = false;
    std::optional<asio::steady_timer> deadline;  // page_options::timeout
    std::optional<asio::any_completion_handler<next_signature>> waiter;
    error_info* waiter_err = nullptr;
    asio::any_io_executor waiter_ex;
    asio::cancellation_slot waiter_slot;
    std::vector<instance_page> spares;  // pages handed back by the caller, for later requests
    // Where deliver() was called from, for finish_waiter: a request's completion, the
    // caller's own next(), or anything else (close, abort, the deadline: always a post).
    enum class resume_from { post, completion, next } resuming = resume_from::post;
    // Callers resumed inline from inside their own next(), one within the other (see
    // finish_waiter): bounded, as each holds a little of the thread's stack.
    int nested = 0;
    static constexpr int max_nested = 8;
};

std::shared_ptr<walk> make_walk(page_source source, list_request req, page_options opts) {
    return std::make_shared<walk>(std::move(source), std::move(req), std::move(opts));
}

struct initiate_next {
    template <class Handler>
    void operator()(Handler&& handler, std::shared_ptr<walk> w, error_info* err, asio::any_io_executor caller) const {
        auto ex = w->source.executor;
        asio::dispatch(ex, [w = std::move(w), err, caller = std::move(caller),
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
    if (walk_) asio::dispatch(walk_->source.executor, [w = walk_] { w->close(); });
}

namespace detail {
// The walk's next() operation, awaited by either page_generator::next. The state goes in as
// initiation arguments (stored by value with the operation), not as lambda captures.
static auto async_next(std::shared_ptr<walk> const& w, error_info& err, asio::any_io_executor caller) {
    auto token = asio::as_tuple(asio::use_awaitable);
    return asio::async_initiate<decltype(token), next_signature>(initiate_next{}, token, w, &err, std::move(caller));
}

static void note_next_error(error_code ec, error_info& err) {
    if (ec && !err.code) err = make_error(ec, ec == asio::error::operation_aborted ? "listing pages: cancelled" : ec.message());
}
}  // namespace detail

// Each form awaits the operation itself, not the other: one coroutine frame a page, not two.
asio::awaitable<std::optional<instance_page>> page_generator::next(error_info& err) {
    auto caller = co_await asio::this_coro::executor;
    auto [ec, page] = co_await detail::async_next(walk_, err, std::move(caller));
    detail::note_next_error(ec, err);
    co_return std::move(page);
}

asio::awaitable<std::optional<instance_page>> page_generator::next() {
    error_info err;
    auto caller = co_await asio::this_coro::executor;
    auto [ec, page] = co_await detail::async_next(walk_, err, std::move(caller));
    detail::note_next_error(ec, err);
    if (err) throw api_error(std::move(err));
    co_return std::move(page);
}

void page_generator::recycle(instance_page page) {
    if (!walk_) return;  // moved from
    asio::dispatch(walk_->source.executor,
                   [w = walk_, page = std::move(page)]() mutable { w->keep_spare(std::move(page)); });
}

walk_stats page_generator::stats() const { return walk_->plan.counters().snapshot(); }

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
