#pragma once

// A temporary key shared by every caller, with at most one fetch in flight: what
// metadata_credentials and pod_identity_credentials are made of. Internal header.

#include "auth/temporary_key.hpp"

#include <apig/credentials.hpp>
#include <apig/error.hpp>
#include <apig/temporary_credentials.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <exception>
#include <list>
#include <mutex>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>

namespace apig::auth {

/// What one fetch gives: a key, or why there is none (an error_info whose code is
/// errc::credentials_unavailable and whose message holds no secret).
using fetch_result = std::variant<temporary_key, error_info>;

/// The fetch itself: runs on the executor it is given; never runs twice at once (so state it
/// keeps between fetches, such as a session token, needs no lock of its own: each fetch
/// happens after the previous one ended). Its time is bounded by its requests' timeouts.
using key_fetcher = std::function<boost::asio::awaitable<fetch_result>(boost::asio::any_io_executor)>;

/// A duration as log lines and messages write it: "59 min" (from 2 minutes on), else "30 s".
std::string remaining_text(std::chrono::system_clock::duration d);

/// The cached key and the one fetch in flight. Every member is thread-safe; callers on any
/// executors and threads may share one (through the shared_ptr it must be held by: a fetch
/// in flight keeps it alive).
///
/// - `fetch()`: a key with more than `refresh_margin` left is returned at once. A valid key
///   within the margin is returned at once too, after starting a fetch in the background
///   (unless one is in flight, or the last one failed less than `retry_interval` ago). With
///   no valid key, the caller waits for the fetch in flight (starting one if none is).
/// - A waiting caller that is cancelled (its coroutine's cancellation slot: terminal, partial
///   or total) stops waiting at once with `asio::error::operation_aborted`; the fetch goes on
///   for the others and fills the cache.
/// - A fetch that fails completes its waiters with `api_error` (credentials_unavailable);
///   the cached key, if any, is kept.
/// - A fetch is spawned on the executor of the call that starts it, detached from that
///   call's cancellation. If that executor is shut down before the fetch ends, its waiters
///   fail with operation_aborted and the next call starts a new fetch.
class expiring_key : public std::enable_shared_from_this<expiring_key> {
public:
    /// `source` is named in log lines: "the metadata service".
    expiring_key(temporary_key_options const& options, std::string source, key_fetcher fetcher);
    ~expiring_key();
    expiring_key(expiring_key const&) = delete;
    expiring_key& operator=(expiring_key const&) = delete;

    boost::asio::awaitable<credentials> fetch();
    /// A new key now (joining a fetch in flight) unless the cached key differs from `rejected`.
    boost::asio::awaitable<credentials> refresh(credentials const& rejected);
    /// The cached key while it is valid; else throws api_error (credentials_unavailable).
    credentials current();

    std::optional<std::chrono::system_clock::time_point> expires_at() const;
    std::uint64_t fetches() const noexcept { return fetches_.load(std::memory_order_relaxed); }

private:
    /// A caller waiting for the fetch in flight: its completion handler (type-erased here,
    /// concrete in the .cpp), which keeps its executor running until it is completed.
    struct waiter {
        virtual ~waiter() = default;
        /// Posts the completion to the handler's executor (there: detaches its cancellation
        /// handler, then completes it with `c`, or with an api_error made of `error`). Each
        /// waiter gets its own exception object, made and released on its own thread.
        virtual void complete(std::optional<error_info> error, credentials c) = 0;
        std::uint64_t id = 0;
    };
    template <class Handler>
    struct waiter_for;

    std::chrono::system_clock::time_point now() const;
    /// The valid cached key (mutex held).
    bool usable(std::chrono::system_clock::time_point now) const;
    /// Marks a fetch in flight (mutex held); the caller spawns it after unlocking.
    void start_locked() { in_flight_ = true; }
    void spawn(boost::asio::any_io_executor ex);
    static boost::asio::awaitable<void> run_fetch(std::shared_ptr<expiring_key> self);
    /// Ends the fetch in flight: caches a key or records the failure, completes every waiter.
    void finish(fetch_result r);
    /// Removes waiter `id` (cancelled) and completes it with operation_aborted.
    void cancel_waiter(std::uint64_t id);
    /// Waits for the fetch in flight (`force`: start one even if the key is valid).
    boost::asio::awaitable<credentials> wait(bool force, std::optional<credentials> rejected);

    temporary_key_options const options_;
    std::string const source_;
    key_fetcher const fetcher_;

    mutable std::mutex mutex_;
    std::optional<temporary_key> key_;
    bool in_flight_ = false;
    std::uint64_t next_waiter_ = 0;
    std::list<std::unique_ptr<waiter>> waiters_;
    std::optional<std::chrono::system_clock::time_point> last_failure_;
    std::atomic<std::uint64_t> fetches_{0};
};

}  // namespace apig::auth
