#pragma once

// The client's shared state, used by client.cpp (one call) and pager.cpp (walks). Everything
// but the atomics and the constants is touched on `strand` only.

#include <apig/client.hpp>
#include <apig/version.hpp>

#include "http/connection.hpp"
#include "http/pool.hpp"
#include "call_fsm.hpp"
#include "request.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <random>
#include <unordered_set>
#include <variant>

namespace apig {
namespace detail_client {

namespace asio = boost::asio;
using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;


// One call's cancellation: the client's cancel() and the caller's slot both emit here.
struct call_state {
    boost::asio::cancellation_signal signal;
    http::page_refill refill;  // a walk's: the page's storage, given when its body begins
};

// What one attempt produced.
struct attempt_result {
    instance_page page;
    error_info error;
    http::exchange_result out;
    bool reused = false;
    steady::duration latency{};
};

}  // namespace detail_client

struct client::impl : std::enable_shared_from_this<client::impl> {
    using milliseconds = std::chrono::milliseconds;
    using steady = std::chrono::steady_clock;

    impl(boost::asio::any_io_executor e, client_options o);

    // `storage`: a page whose storage the response is decoded into (see list_instances).
    boost::asio::awaitable<instance_page> run(list_request req, instance_page storage, error_info& diag,
                                              detail_client::call_state& call);
    // `refill` (may be null): gives `storage` its buffers when a 200 body begins, if it has none.
    boost::asio::awaitable<detail_client::attempt_result> attempt(std::string const& msg,
                                                                  steady::time_point deadline,
                                                                  credentials const& used,
                                                                  instance_page storage,
                                                                  http::page_refill const* refill);
    // The credentials for the next attempt: the fixed ones, or the provider's fetch().
    // A provider that throws or hands out unusable credentials gives an error instead.
    boost::asio::awaitable<std::variant<credentials, error_info>> current_credentials() const;
    // The project of a call whose request and options name none: the provider's settings,
    // else IAM project discovery (a key pair and a region), else an error.
    boost::asio::awaitable<std::variant<std::string, error_info>> find_project();
    // After a 401 with `rejected`: the provider's newer credentials (its current() if another
    // call already moved on, else refresh()), or an error; nullopt when there is nothing newer
    // (or the credentials are fixed).
    boost::asio::awaitable<std::variant<std::monostate, credentials, error_info>> fresh_credentials(
        credentials const& rejected);
    // The bytes of one attempt's request: `GET target`, the fixed headers and the
    // credentials' headers (signed now for `project_id`, for a key pair).
    std::string authorized(std::string_view target, credentials const& c, std::string_view project_id) const;
    std::chrono::system_clock::time_point now() const;
    // Waits `d` (the test seam's sleep, if any): an error code if cancelled.
    boost::asio::awaitable<boost::system::error_code> sleep(milliseconds d);
    // Waits until `until` (the test seam's sleep of `d`, if any): an error code if cancelled.
    boost::asio::awaitable<boost::system::error_code> sleep_until(steady::time_point until, milliseconds d);

    // The earlier of a step's own limit and the call's deadline, named for the message.
    http::step_limit limit(milliseconds step, char const* name, steady::time_point deadline) const;
    void report(attempt_info const& a) const;
    void log(log_level level, std::string const& line) const;
    /// Starts one call (list_instances) on the strand; the handler runs on its own executor.
    /// `refill`: see http::page_refill (a walk's requests; empty for list_instances).
    void start(list_request req, instance_page storage, error_info* diag,
               boost::asio::any_completion_handler<client::list_signature> handler,
               http::page_refill refill = {});
    void shutdown() {
        pool.close();
        for (detail_client::call_state* c : calls) c->signal.emit(boost::asio::cancellation_type::terminal);
    }

    boost::asio::any_io_executor ex;
    // Where all of the client's state is touched: a strand of `ex`, or `ex` itself when
    // client_options::thread_safe is false (the caller runs the executor on one thread).
    boost::asio::any_io_executor strand;
    client_options opts;
    // The proxy (client_options::proxy) for the API and IAM, each unless no_proxy names its
    // host; null: none.
    std::shared_ptr<http::proxy_route const> proxy;
    http::target_host host;
    // The TLS context, shared with every client (and IAM lookup) of equal TLS options.
    std::shared_ptr<boost::asio::ssl::context> shared_ctx;
    boost::asio::ssl::context& ctx;
    std::shared_ptr<boost::asio::ssl::context> proxy_ctx;  // an https:// proxy's (see proxy_options::tls)
    http::pool_counters counters;
    std::atomic<std::uint64_t> requests{0}, retries{0}, replays{0}, bytes{0}, refreshes{0};
    std::atomic<std::uint64_t> rate_limited{0}, rate_wait_us{0};
    std::shared_ptr<credentials_provider> provider;  // null: `fixed` is used
    credentials fixed;
    http::pool pool;
    std::shared_ptr<retry_budget> budget;  // the client's own, or shared with other clients
    std::shared_ptr<rate_limiter> limiter;  // the client's own, or shared; null: no rate limit
    std::mt19937_64 rng;
    detail::call_env call_env;  // what each call's state machine consults
    std::string request_headers;  // Host, User-Agent, Accept, the extra headers: the same for every request
    std::unordered_set<detail_client::call_state*> calls;  // calls in flight (strand only)
    bool project_discoverable = false;  // no project_id: each call finds it (find_project)
    std::string iam_endpoint_env;       // HUAWEICLOUD_SDK_IAM_ENDPOINT at construction, normalized
};

}  // namespace apig
