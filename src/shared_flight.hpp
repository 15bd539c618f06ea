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

private:
    std::mutex mutex_;
    std::optional<T> result_;
    std::vector<std::shared_ptr<boost::asio::steady_timer>> waiters_;
};

}  // namespace apig::detail
