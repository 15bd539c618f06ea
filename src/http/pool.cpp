#include "http/pool.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace apig::http {
namespace asio = boost::asio;
using boost::system::error_code;

// A queued acquire: a timer that expires at the caller's deadline and is cancelled to wake the
// waiter; `granted` tells a hand-off from a cancellation. It leaves the queue when destroyed,
// also when its coroutine is destroyed without resuming (an io_context torn down).
struct pool::waiter {
    waiter(pool& p, clock::time_point deadline) : owner(p), timer(p.ex_, deadline) {
        owner.waiters_.push_back(this);
    }
    ~waiter() {
        if (!granted) std::erase(owner.waiters_, this);
        else if (!taken) owner.give_back(std::move(conn));  // handed a slot it never used
    }
    waiter(waiter const&) = delete;
    waiter& operator=(waiter const&) = delete;

    pool& owner;
    asio::steady_timer timer;
    bool granted = false;
    bool taken = false;
    std::unique_ptr<connection> conn;
};

lease& lease::operator=(lease&& o) noexcept {
    if (this != &o) {
        release();
        pool_ = std::exchange(o.pool_, nullptr);
        conn_ = std::move(o.conn_);
        reused_ = o.reused_;
    }
    return *this;
}

connection& lease::open() {
    discard();
    conn_ = std::make_unique<connection>(pool_->ex_, pool_->ctx_, pool_->params_.proxy_tls);
    pool_->track_open(conn_.get());
    return *conn_;
}

asio::awaitable<error_info> lease::connect(lease_env const& env) {
    if (conn_ && conn_->reusable()) {  // connected already, or kept alive since its last response
        reused_ = conn_->requests() > 0;
        co_return error_info{};
    }
    reused_ = false;
    auto& c = open();
    auto e = co_await c.connect(env.host, env.limit(step::connect), env.limit(step::handshake));
    if (e) {
        discard();
    } else if (env.host.tls) {
        pool_->counters_.handshakes.fetch_add(1, std::memory_order_relaxed);
        if (c.resumed()) pool_->counters_.resumed_handshakes.fetch_add(1, std::memory_order_relaxed);
    }
    co_return e;
}

asio::awaitable<error_info> lease::exchange(lease_env const& env, std::string_view request, instance_page& page,
                                            std::size_t body_limit, exchange_result& out,
                                            std::span<std::string_view const> secrets) {
    // A kept-alive connection the server closed or wrote to while idle is not used at all (the
    // pool drops it at checkout). If the close arrives after the checkout, the exchange fails
    // before any response byte; the request is then replayed once on a new connection (GET is
    // idempotent). This is not a retry: the request never reached the server.
    for (bool replayed = false;; replayed = true) {
        if (auto e = co_await connect(env)) co_return e;
        out = exchange_result{};
        env.requests.fetch_add(1, std::memory_order_relaxed);
        auto e = co_await conn_->exchange(request, page, body_limit, env.limit(step::exchange), out, secrets, env.refill);
        env.bytes.fetch_add(out.bytes, std::memory_order_relaxed);
        auto& counters = pool_->counters_;
        if (out.closed_behind) counters.discarded.fetch_add(1, std::memory_order_relaxed);
        if (out.unrequested) {
            counters.unrequested.fetch_add(1, std::memory_order_relaxed);
            env.log(log_level::warning, "the server sent more than the response (HTTP " + std::to_string(out.status) +
                                            "); the connection was closed and the extra bytes dropped");
        }
        if (!e) co_return e;
        bool const stale = reused_ && !replayed && !out.got_bytes && e.code != asio::error::operation_aborted &&
                           e.code != errc::timed_out;
        discard();
        if (!stale) co_return e;
        env.replays.fetch_add(1, std::memory_order_relaxed);
        env.log(log_level::debug, "a kept-alive connection was closed by the server; resending on a new one");
    }
}

void lease::discard() noexcept {
    if (!conn_) return;
    conn_->close();
    pool_->forget(conn_.get());
    conn_.reset();
}

void lease::release() noexcept {
    if (!pool_) return;
    pool* p = std::exchange(pool_, nullptr);
    p->give_back(std::move(conn_));
}

pool::pool(asio::any_io_executor ex, asio::ssl::context& ctx, pool_params params,
           pool_counters& counters)
    : ex_(std::move(ex)), ctx_(ctx), params_(params), counters_(counters) {
    params_.max_connections = std::max<std::size_t>(1, params_.max_connections);
}

pool::~pool() { close(); }

void pool::track_open(connection* c) {
    active_.insert(c);
    counters_.open.fetch_add(1, std::memory_order_relaxed);
    counters_.created.fetch_add(1, std::memory_order_relaxed);
}

void pool::forget(connection* c) noexcept {
    if (active_.erase(c)) counters_.open.fetch_sub(1, std::memory_order_relaxed);
}

void pool::drop_readable(std::unique_ptr<connection> c) noexcept {
    c->close();
    counters_.open.fetch_sub(1, std::memory_order_relaxed);
    counters_.discarded.fetch_add(1, std::memory_order_relaxed);
}

void pool::close_expired(clock::time_point now) noexcept {
    if (params_.idle_timeout <= clock::duration::zero()) return;
    auto const first_fresh = std::find_if(idle_.begin(), idle_.end(), [&](idle_connection const& i) {
        return now - i.since < params_.idle_timeout;
    });
    for (auto it = idle_.begin(); it != first_fresh; ++it) it->conn->close();
    auto const n = static_cast<std::size_t>(first_fresh - idle_.begin());
    idle_.erase(idle_.begin(), first_fresh);
    counters_.idle.fetch_sub(n, std::memory_order_relaxed);
    counters_.open.fetch_sub(n, std::memory_order_relaxed);
}

asio::awaitable<std::pair<error_code, lease>> pool::acquire(clock::time_point deadline) {
    if (closed_) co_return std::pair{error_code(asio::error::operation_aborted), lease{}};
    if (waiters_.empty() && leased_ < params_.max_connections) {
        ++leased_;
        counters_.in_use.fetch_add(1, std::memory_order_relaxed);
        close_expired(clock::now());
        std::unique_ptr<connection> c;
        while (!c && !idle_.empty()) {  // the most recently used: the likeliest to be still open
            c = std::move(idle_.back().conn);
            idle_.pop_back();
            counters_.idle.fetch_sub(1, std::memory_order_relaxed);
            if (c->readable()) {
                drop_readable(std::move(c));
                continue;
            }
            counters_.reused.fetch_add(1, std::memory_order_relaxed);
            active_.insert(c.get());
        }
        co_return std::pair{error_code{}, lease(this, std::move(c))};
    }
    counters_.waits.fetch_add(1, std::memory_order_relaxed);
    waiter w(*this, deadline);
    auto [ec] = co_await w.timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (!w.granted) co_return std::pair{ec ? ec : error_code(errc::timed_out), lease{}};
    // give_back handed the slot over: leased_, in_use and active_ already count it.
    if (w.conn && w.conn->readable()) {
        active_.erase(w.conn.get());
        drop_readable(std::move(w.conn));
    }
    if (w.conn) counters_.reused.fetch_add(1, std::memory_order_relaxed);
    w.taken = true;
    co_return std::pair{error_code{}, lease(this, std::move(w.conn))};
}

void pool::give_back(std::unique_ptr<connection> c) noexcept {
    if (c) {
        active_.erase(c.get());
        bool const worn_out = params_.max_requests_per_connection != 0 &&
                              c->requests() >= params_.max_requests_per_connection;
        if (closed_ || !c->reusable() || worn_out) {
            c->close();
            c.reset();
            counters_.open.fetch_sub(1, std::memory_order_relaxed);
        }
    }
    if (!waiters_.empty()) {  // hand the slot (and connection) straight to the oldest waiter
        waiter* w = waiters_.front();
        waiters_.pop_front();
        w->granted = true;
        w->conn = std::move(c);
        if (w->conn) active_.insert(w->conn.get());
        w->timer.cancel();
        return;
    }
    --leased_;
    counters_.in_use.fetch_sub(1, std::memory_order_relaxed);
    if (c) {
        idle_.push_back({std::move(c), clock::now()});
        counters_.idle.fetch_add(1, std::memory_order_relaxed);
    }
}

void pool::close() noexcept {
    closed_ = true;
    for (auto& i : idle_) i.conn->close();
    counters_.open.fetch_sub(idle_.size(), std::memory_order_relaxed);
    counters_.idle.fetch_sub(idle_.size(), std::memory_order_relaxed);
    idle_.clear();
    for (connection* c : active_) c->close();
    for (waiter* w : waiters_) w->timer.cancel();
    waiters_.clear();
}

}  // namespace apig::http
