#pragma once

// A bounded set of keep-alive connections with FIFO waiters (the model is Boost.MySQL's
// connection_pool). A caller takes a lease for each attempt; the lease gives back its
// connection (if still reusable) or just its slot when destroyed.
//
// The connection's whole lifecycle is here: the pool drops idle connections that expired or
// that the server wrote to or closed; a lease connects (or reuses), exchanges, replays a
// request once when a kept-alive connection turns out to be stale, and discards what failed.
// Its user only maps what an exchange returned.
//
// Not thread-safe by itself: every member, and every lease, is used on the client's strand.
// The counters it updates are atomics, read from any thread by client::stats().

#include "http/connection.hpp"

#include <apig/observability.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace apig::http {

/// Counters shared by the pool and the client (all monotonic but the three gauges).
struct pool_counters {
    std::atomic<std::size_t> open{0};     ///< gauge: connections open (idle or in use)
    std::atomic<std::size_t> idle{0};     ///< gauge: open connections waiting in the pool
    std::atomic<std::size_t> in_use{0};   ///< gauge: slots held by leases
    std::atomic<std::uint64_t> created{0};
    std::atomic<std::uint64_t> reused{0};
    std::atomic<std::uint64_t> waits{0};  ///< acquires that had to queue
    /// Kept-alive connections dropped because the server closed or wrote to them outside a
    /// response: found readable at checkout, or closed by the server right behind a response.
    std::atomic<std::uint64_t> discarded{0};
    std::atomic<std::uint64_t> unrequested{0};  ///< connections closed for bytes after a response
    std::atomic<std::uint64_t> handshakes{0};   ///< TLS handshakes completed with the target
    std::atomic<std::uint64_t> resumed_handshakes{0};  ///< of which resumed a session
};

class pool;

/// The steps of an attempt that have a time limit of their own.
enum class step { connect, handshake, exchange };

/// What a lease's connect and exchange need from their caller (the client): where to
/// connect, each step's time limit, and where to count and log what happens. Used on the
/// strand only; it must outlive the operation it is passed to.
struct lease_env {
    target_host const& host;
    /// The limit of `step`, starting now (asked when the step starts: a replay's steps start
    /// later): the earlier of the step's own limit and the call's deadline, named.
    std::function<step_limit(step)> limit;
    std::atomic<std::uint64_t>& requests;  ///< requests sent (each exchange, replays too)
    std::atomic<std::uint64_t>& replays;   ///< requests resent after a stale kept-alive connection
    std::atomic<std::uint64_t>& bytes;     ///< response bytes read
    std::function<void(log_level, std::string const&)> log;
    /// Gives the page its storage when a 200 body begins (see page_refill); may be null.
    page_refill const* refill = nullptr;
};

/// The right to run one attempt: a slot of the pool, holding a connection or not yet.
class lease {
public:
    lease() = default;
    lease(lease&& o) noexcept
        : pool_(std::exchange(o.pool_, nullptr)), conn_(std::move(o.conn_)), reused_(o.reused_) {}
    lease& operator=(lease&& o) noexcept;
    ~lease() { release(); }

    /// The connection, or null when none is held (see `connect`).
    connection* get() const noexcept { return conn_.get(); }

    /// Makes the lease hold a connected, usable connection: the one it holds if still
    /// reusable (connected, or kept alive since its last response), else a new one, connected (resolve, TCP, TLS)
    /// by the limits of `step::connect` and `step::handshake` (counted in
    /// `pool_counters::created`). A failed connect leaves no connection held (the slot stays
    /// held) and returns the connection's error; per-operation cancellation reaches every step.
    boost::asio::awaitable<error_info> connect(lease_env const& env);

    /// Connects (as `connect`), sends `request` and reads its response (as
    /// connection::exchange, by the limit of `step::exchange`, into `page` and `out`). Every
    /// request sent counts in `env.requests` and the bytes read in `env.bytes`; a response
    /// followed by a server's close counts in `pool_counters::discarded`, one followed by
    /// other bytes in `pool_counters::unrequested` (and a warning is logged).
    ///
    /// A failed exchange discards the connection. The one exception to returning its error:
    /// a kept-alive connection (reused) that failed before any byte of the answer arrived,
    /// neither cancelled nor timed out, was closed by the server while idle; the request never
    /// reached it, so it is resent once on a new connection (`env.replays`, a debug line). Not
    /// a retry: that request is the same attempt. `out` describes the last exchange.
    boost::asio::awaitable<error_info> exchange(lease_env const& env, std::string_view request,
                                                instance_page& page, std::size_t body_limit,
                                                exchange_result& out,
                                                std::span<std::string_view const> secrets);

    /// Closes and drops the held connection; the slot stays held.
    void discard() noexcept;
    /// The connection the last `connect` handed out had carried requests before (it came
    /// from the idle set).
    bool reused() const noexcept { return reused_; }
    explicit operator bool() const noexcept { return pool_ != nullptr; }

private:
    friend class pool;
    lease(pool* p, std::unique_ptr<connection> c) : pool_(p), conn_(std::move(c)) {}
    void release() noexcept;
    // Replaces the held connection (if any, closed) with a new, unconnected one.
    connection& open();

    pool* pool_ = nullptr;
    std::unique_ptr<connection> conn_;
    bool reused_ = false;
};

struct pool_params {
    std::size_t max_connections = 8;
    std::chrono::milliseconds idle_timeout{};  ///< zero: never
    std::uint64_t max_requests_per_connection = 0;  ///< zero: no limit
    /// The https:// proxy's TLS context (see connection's constructor), or null. Must
    /// outlive the pool.
    boost::asio::ssl::context* proxy_tls = nullptr;
};

class pool {
public:
    using clock = std::chrono::steady_clock;

    pool(boost::asio::any_io_executor ex, boost::asio::ssl::context& ctx, pool_params params,
         pool_counters& counters);
    ~pool();
    pool(pool const&) = delete;
    pool& operator=(pool const&) = delete;

    /// Takes a slot, waiting (FIFO) while all `max_connections` are in use, until `deadline`.
    /// The most recently used idle connection comes with it, if any (`lease::connect` then
    /// hands it out, or a new one); idle connections past
    /// `idle_timeout` are closed on the way, and so is a kept-alive connection found readable
    /// (`connection::readable()`: the server wrote, closed or reset it since its last
    /// response), counted in `pool_counters::discarded`: what arrived on it would be read as
    /// the answer to the next request. Errors: `errc::timed_out` at the deadline;
    /// `operation_aborted` on per-operation cancellation of the wait or `close()`.
    boost::asio::awaitable<std::pair<boost::system::error_code, lease>> acquire(clock::time_point deadline);

    /// Closes every connection, idle and in use (their operations end with
    /// operation_aborted), and fails every waiter. Later acquires fail.
    void close() noexcept;

private:
    friend class lease;
    struct waiter;
    struct idle_connection {
        std::unique_ptr<connection> conn;
        clock::time_point since;
    };

    void give_back(std::unique_ptr<connection> c) noexcept;
    // Closes a connection found readable at checkout (no longer idle nor active).
    void drop_readable(std::unique_ptr<connection> c) noexcept;
    void close_expired(clock::time_point now) noexcept;
    void track_open(connection* c);
    void forget(connection* c) noexcept;

    boost::asio::any_io_executor ex_;
    boost::asio::ssl::context& ctx_;
    pool_params params_;
    pool_counters& counters_;
    std::size_t leased_ = 0;
    bool closed_ = false;
    std::vector<idle_connection> idle_;         // oldest first
    std::unordered_set<connection*> active_;   // connections held by leases
    std::deque<waiter*> waiters_;
};

}  // namespace apig::http
