#include "http/pool.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace apig::http {
namespace asio = boost::asio;
using boost::system::error_code;

// A waiting acquire: a timer that never expires by itself, cancelled to wake the waiter.
// `granted` tells a hand-off from a cancellation.
struct pool::waiter {
    explicit waiter(asio::any_io_executor ex) : timer(std::move(ex), asio::steady_timer::time_point::max()) {}
    asio::steady_timer timer;
    bool granted = false;
    std::unique_ptr<connection> conn;
};

lease& lease::operator=(lease&& o) noexcept {
    if (this != &o) {
        release();
        pool_ = std::exchange(o.pool_, nullptr);
        conn_ = std::move(o.conn_);
    }
    return *this;
}

connection& lease::open() {
    discard();
    conn_ = std::make_unique<connection>(pool_->ex_, pool_->ctx_);
    pool_->active_.insert(conn_.get());
    return *conn_;
}

void lease::discard() noexcept {
    if (!conn_) return;
    conn_->close();
    if (pool_) pool_->active_.erase(conn_.get());
    conn_.reset();
}

void lease::release() noexcept {
    if (!pool_) return;
    pool* p = std::exchange(pool_, nullptr);
    if (conn_) p->active_.erase(conn_.get());
    p->give_back(std::move(conn_));
}

pool::pool(asio::any_io_executor ex, asio::ssl::context& ctx, std::size_t max_connections)
    : ex_(std::move(ex)), ctx_(ctx), max_(std::max<std::size_t>(1, max_connections)) {}

pool::~pool() { close(); }

asio::awaitable<std::pair<error_code, lease>> pool::acquire() {
    if (closed_) co_return std::pair{error_code(asio::error::operation_aborted), lease{}};
    if (waiters_.empty() && leased_ < max_) {
        ++leased_;
        std::unique_ptr<connection> c;
        if (!idle_.empty()) {
            c = std::move(idle_.back());
            idle_.pop_back();
            active_.insert(c.get());
        }
        co_return std::pair{error_code{}, lease(this, std::move(c))};
    }
    waiter w(ex_);
    waiters_.push_back(&w);
    co_await w.timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (!w.granted) {  // cancelled, or the pool closed
        std::erase(waiters_, &w);
        co_return std::pair{error_code(asio::error::operation_aborted), lease{}};
    }
    // The slot was handed over by give_back: leased_ already counts it.
    if (w.conn) active_.insert(w.conn.get());
    co_return std::pair{error_code{}, lease(this, std::move(w.conn))};
}

void pool::give_back(std::unique_ptr<connection> c) noexcept {
    if (c && (closed_ || !c->reusable())) {
        c->close();
        c.reset();
    }
    if (!waiters_.empty()) {  // hand the slot straight to the oldest waiter
        waiter* w = waiters_.front();
        waiters_.pop_front();
        w->granted = true;
        w->conn = std::move(c);
        w->timer.cancel();
        return;
    }
    --leased_;
    if (c) idle_.push_back(std::move(c));
}

void pool::close() noexcept {
    closed_ = true;
    for (auto& c : idle_) c->close();
    idle_.clear();
    for (connection* c : active_) c->close();
    for (waiter* w : waiters_) w->timer.cancel();
    waiters_.clear();
}

}  // namespace apig::http
