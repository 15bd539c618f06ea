// The shared temporary key with one fetch in flight (see expiring_key.hpp).
#include "auth/expiring_key.hpp"

#include "error_detail.hpp"

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace apig::auth {
namespace asio = boost::asio;
using clock_type = std::chrono::system_clock;

std::string remaining_text(clock_type::duration d) {
    auto const s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
    if (s >= 120) return std::to_string(s / 60) + " min";
    return std::to_string(s) + " s";
}

expiring_key::expiring_key(temporary_key_options const& options, std::string source, key_fetcher fetcher)
    : options_(options), source_(std::move(source)), fetcher_(std::move(fetcher)) {}

expiring_key::~expiring_key() = default;

clock_type::time_point expiring_key::now() const { return options_.clock ? options_.clock() : clock_type::now(); }

bool expiring_key::usable(clock_type::time_point t) const { return key_ && key_->expires_at > t; }

void expiring_key::spawn(asio::any_io_executor ex) {
    asio::co_spawn(std::move(ex), run_fetch(shared_from_this()), asio::detached);
}

asio::awaitable<void> expiring_key::run_fetch(std::shared_ptr<expiring_key> self) {
    // A fetch whose executor is shut down before it ends is destroyed without resuming: its
    // waiters must not wait forever, and the next call must be able to start a new one.
    struct guard {
        expiring_key& key;
        bool done = false;
        ~guard() {
            if (done) return;
            try {
                key.finish(make_error(asio::error::operation_aborted,
                                      "fetching a temporary key from " + key.source_ +
                                          ": abandoned (its executor was shut down)"));
            } catch (...) {  // out of memory in a destructor: nothing better to do
            }
        }
    } g{*self};
    fetch_result r;
    try {
        auto ex = co_await asio::this_coro::executor;
        r = co_await self->fetcher_(std::move(ex));
    } catch (std::bad_alloc const&) {
        r = make_error(errc::credentials_unavailable, "fetching a temporary key from " + self->source_ + ": out of memory");
    } catch (std::exception const& e) {
        r = make_error(errc::credentials_unavailable,
                       "fetching a temporary key from " + self->source_ + ": " + printable(e.what(), 256));
    }
    g.done = true;
    self->finish(std::move(r));
}

template <class Handler>
struct expiring_key::waiter_for final : expiring_key::waiter {
    using work_type = std::decay_t<decltype(asio::prefer(
        asio::get_associated_executor(std::declval<Handler&>(), std::declval<asio::any_io_executor const&>()),
        asio::execution::outstanding_work.tracked))>;

    waiter_for(Handler h, asio::any_io_executor const& fallback)
        : handler(std::move(h)),
          work(asio::prefer(asio::get_associated_executor(handler, fallback), asio::execution::outstanding_work.tracked)) {}

    void complete(std::optional<error_info> error, credentials c) override {
        auto ex = work;
        asio::post(std::move(ex), [h = std::move(handler), error = std::move(error), c = std::move(c)]() mutable {
            // On the waiter's executor, where its cancellation signal is emitted: detach the
            // cancellation handler before completing.
            auto slot = asio::get_associated_cancellation_slot(h);
            if (slot.is_connected()) slot.clear();
            std::exception_ptr ep;
            if (error) ep = std::make_exception_ptr(api_error(std::move(*error)));
            std::move(h)(std::move(ep), std::move(c));
        });
    }

    Handler handler;
    work_type work;
};

void expiring_key::finish(fetch_result r) {
    auto const t = now();
    bool const aborted = std::holds_alternative<error_info>(r) &&
                         std::get<error_info>(r).code == asio::error::operation_aborted;
    if (auto* k = std::get_if<temporary_key>(&r); k && k->expires_at <= t) {
        r = make_error(errc::credentials_unavailable,
                       source_ + " handed out a key that has already expired (" +
                           remaining_text(t - k->expires_at) +
                           " before this host's clock): check the clock, or the service");
    }

    std::list<std::unique_ptr<waiter>> done;
    std::optional<error_info> failure;
    credentials creds;
    std::string line;
    log_level level = log_level::info;
    {
        std::lock_guard lock(mutex_);
        in_flight_ = false;
        done.swap(waiters_);
        if (auto* k = std::get_if<temporary_key>(&r)) {
            key_ = std::move(*k);
            last_failure_.reset();
            fetches_.fetch_add(1, std::memory_order_relaxed);
            creds = key_->creds;
            line = "fetched a temporary key from " + source_ + " (expires in " +
                   remaining_text(key_->expires_at - t) + ")";
        } else {
            auto& e = std::get<error_info>(r);
            if (!aborted) last_failure_ = t;
            failure = e;
            level = log_level::warning;
            line = e.message;
            if (usable(t))
                line += " (the current key is kept: it expires in " + remaining_text(key_->expires_at - t) + ")";
        }
    }
    if (options_.log) {
        try {
            options_.log(level, line);
        } catch (...) {  // a sink that throws must not leave the waiters waiting
        }
    }
    for (auto& w : done) w->complete(failure, creds);
}

void expiring_key::cancel_waiter(std::uint64_t id) {
    std::unique_ptr<waiter> w;
    {
        std::lock_guard lock(mutex_);
        for (auto it = waiters_.begin(); it != waiters_.end(); ++it) {
            if ((*it)->id != id) continue;
            w = std::move(*it);
            waiters_.erase(it);
            break;
        }
    }
    if (!w) return;  // completed already: its completion is on its way
    w->complete(make_error(asio::error::operation_aborted, "waiting for a temporary key from " + source_ + ": cancelled"),
                credentials{});
}

asio::awaitable<credentials> expiring_key::wait(bool force, std::optional<credentials> rejected) {
    auto ex = co_await asio::this_coro::executor;
    auto self = shared_from_this();
    auto init = [self, ex, force, rejected = std::move(rejected)](auto handler) {
        auto slot = asio::get_associated_cancellation_slot(handler);
        std::unique_ptr<waiter> w = std::make_unique<waiter_for<decltype(handler)>>(std::move(handler), ex);
        bool start = false;
        std::optional<credentials> ready;
        std::uint64_t id = 0;
        {
            std::lock_guard lock(self->mutex_);
            auto const t = self->now();
            if (self->usable(t) && (!force || (rejected && credentials(self->key_->creds) != *rejected))) {
                ready = self->key_->creds;  // arrived since the caller looked
            } else {
                start = !self->in_flight_;
                if (start) self->start_locked();
                id = w->id = self->next_waiter_++;
                self->waiters_.push_back(std::move(w));
            }
        }
        if (ready) {
            w->complete(std::nullopt, std::move(*ready));
            return;
        }
        // On the waiter's thread (initiation runs in the awaiting coroutine), as the slot
        // requires; a completion posted meanwhile runs after this, on the same executor.
        if (slot.is_connected()) {
            std::weak_ptr<expiring_key> weak = self;
            slot.assign([weak, id](asio::cancellation_type) {
                if (auto s = weak.lock()) s->cancel_waiter(id);
            });
        }
        if (start) self->spawn(ex);
    };
    co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(std::exception_ptr, credentials)>(
        std::move(init), asio::use_awaitable);
}

asio::awaitable<credentials> expiring_key::fetch() {
    std::optional<credentials> ready;
    bool background = false;
    {
        std::lock_guard lock(mutex_);
        auto const t = now();
        if (usable(t)) {
            ready = key_->creds;
            if (key_->expires_at - t <= options_.refresh_margin && !in_flight_ &&
                (!last_failure_ || t - *last_failure_ >= options_.retry_interval)) {
                start_locked();
                background = true;
            }
        }
    }
    if (ready) {
        if (background) spawn(co_await asio::this_coro::executor);
        co_return std::move(*ready);
    }
    co_return co_await wait(false, std::nullopt);
}

asio::awaitable<credentials> expiring_key::refresh(credentials const& rejected) {
    {
        std::lock_guard lock(mutex_);
        if (usable(now()) && credentials(key_->creds) != rejected) co_return key_->creds;
    }
    co_return co_await wait(true, rejected);
}

credentials expiring_key::current() {
    std::lock_guard lock(mutex_);
    if (usable(now())) return key_->creds;
    throw api_error(make_error(errc::credentials_unavailable,
                               key_ ? "the temporary key from " + source_ + " expired: use fetch() for a new one"
                                    : "no key fetched yet from " + source_ + ": use fetch()"));
}

std::optional<clock_type::time_point> expiring_key::expires_at() const {
    std::lock_guard lock(mutex_);
    if (!key_) return std::nullopt;
    return key_->expires_at;
}

}  // namespace apig::auth
