#pragma once

// A bounded set of keep-alive connections with FIFO waiters. The client takes a lease for
// each request; the lease gives back its connection (if still reusable) or its slot when it
// is destroyed. Not thread-safe: used from the client's executor only.

#include "http/connection.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

#include <cstddef>
#include <deque>
#include <memory>
#include <unordered_set>
#include <vector>

namespace apig::http {

class pool;

/// The right to run one request: a slot of the pool, holding a connection or not yet (the
/// holder connects one). Returns the slot, and the connection if reusable, when destroyed.
class lease {
public:
    lease() = default;
    lease(lease&& o) noexcept : pool_(std::exchange(o.pool_, nullptr)), conn_(std::move(o.conn_)) {}
    lease& operator=(lease&& o) noexcept;
    ~lease() { release(); }

    /// The connection; null when the holder must open one (see `open`).
    connection* get() const noexcept { return conn_.get(); }
    /// Replaces the held connection (closed or none) with a new, unconnected one.
    connection& open();
    /// Closes and drops the held connection; the slot stays held.
    void discard() noexcept;
    /// Whether the held connection had carried requests before this lease.
    bool reused() const noexcept { return conn_ && conn_->requests() > 0; }
    explicit operator bool() const noexcept { return pool_ != nullptr; }

private:
    friend class pool;
    lease(pool* p, std::unique_ptr<connection> c) : pool_(p), conn_(std::move(c)) {}
    void release() noexcept;

    pool* pool_ = nullptr;
    std::unique_ptr<connection> conn_;
};

class pool {
public:
    pool(boost::asio::any_io_executor ex, boost::asio::ssl::context& ctx,
         std::size_t max_connections);
    ~pool();

    /// Waits (FIFO) for a free slot. Per-operation cancellation of the wait completes it with
    /// operation_aborted; `close()` does too.
    boost::asio::awaitable<std::pair<boost::system::error_code, lease>> acquire();

    /// Closes every connection, idle and in use (their operations end with
    /// operation_aborted), and fails every waiter. Later acquires fail.
    void close() noexcept;

    std::size_t idle() const noexcept { return idle_.size(); }
    std::size_t in_use() const noexcept { return leased_; }

private:
    friend class lease;
    struct waiter;

    void give_back(std::unique_ptr<connection> c) noexcept;

    boost::asio::any_io_executor ex_;
    boost::asio::ssl::context& ctx_;
    std::size_t max_;
    std::size_t leased_ = 0;
    bool closed_ = false;
    std::vector<std::unique_ptr<connection>> idle_;
    std::unordered_set<connection*> active_;  // connections held by leases
    std::deque<waiter*> waiters_;
};

}  // namespace apig::http
