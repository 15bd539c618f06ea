#pragma once

// One result awaited by many coroutines on any executors and threads: what lets concurrent
// calls (of one client or of several, on different io_contexts) share one lookup. Internal.
//
// A waiter parks on a timer of its own executor; `finish` stores the result and wakes each
// waiter by posting the timer's cancel to that executor, so no I/O object is touched from a
// foreign thread. A waiter whose own coroutine is cancelled (the call's deadline,
// client::cancel) stops waiting at once and gets nullopt; the flight goes on for the others.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace apig::detail {

template <class T>
class shared_flight {
public:
    /// Stores the result (the first call wins) and wakes every waiter. Thread-safe.
    void finish(T result) {
        std::vector<std::shared_ptr<boost::asio::steady_timer>> wake;
        {
            std::lock_guard lock(mutex_);
            if (result_) return;
            result_.emplace(std::move(result));
            wake.swap(waiters_);
        }
        for (auto& t : wake) boost::asio::post(t->get_executor(), [t] { t->cancel(); });
    }

    /// The result, once `finish` gave it; nullopt if the awaiting coroutine was cancelled
    /// first. Thread-safe; several coroutines may wait at once.
    boost::asio::awaitable<std::optional<T>> wait() {
        auto timer = std::make_shared<boost::asio::steady_timer>(co_await boost::asio::this_coro::executor,
                                                                 boost::asio::steady_timer::time_point::max());
        {
            std::lock_guard lock(mutex_);
            if (result_) co_return *result_;
            waiters_.push_back(timer);
        }
        boost::system::error_code ec;
        co_await timer->async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
        std::lock_guard lock(mutex_);
        if (result_) co_return *result_;
        std::erase(waiters_, timer);  // cancelled before the result came
        co_return std::nullopt;
    }

    /// Runs `work` (a function returning `awaitable<T>`) detached on `ex`, not as a child of
    /// any waiter (a cancelled first caller must not end what others wait for), then
    /// `on_result(result)` and `finish(result)`. If `ex` is shut down before the work ends,
    /// the coroutine is destroyed without resuming: `abandoned` is then the result, so that
    /// no waiter waits forever. `work` must not throw (return an error result instead).
    template <class Work, class OnResult>
    static void run_detached(boost::asio::any_io_executor ex, std::shared_ptr<shared_flight> flight, Work work,
                             OnResult on_result, T abandoned) {
        boost::asio::co_spawn(
            std::move(ex),
            [flight, work = std::move(work), on_result = std::move(on_result),
             abandoned = std::move(abandoned)]() mutable -> boost::asio::awaitable<void> {
                struct guard {
                    shared_flight& f;
                    T& abandoned;
                    OnResult& on_result;
                    bool done = false;
                    ~guard() {
                        if (done) return;
                        try {
                            on_result(abandoned);
                            f.finish(std::move(abandoned));
                        } catch (...) {  // out of memory in a destructor: nothing better to do
                        }
                    }
                } g{*flight, abandoned, on_result};
                T result = co_await work();
                g.done = true;
                on_result(result);
                flight->finish(std::move(result));
            },
            boost::asio::detached);
    }

private:
    std::mutex mutex_;
    std::optional<T> result_;
    std::vector<std::shared_ptr<boost::asio::steady_timer>> waiters_;
};

}  // namespace apig::detail
