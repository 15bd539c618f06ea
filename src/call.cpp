// One call: the retry loop around attempts, with credentials, backoff, the retry budget and the
// call's deadline, open to cancellation throughout.
#include <apig/client.hpp>
#include <apig/region.hpp>
#include <apig/version.hpp>

#include "client_impl.hpp"
#include "error_detail.hpp"
#include "http/connection.hpp"
#include "http/pool.hpp"
#include "http/tls.hpp"
#include "auth/authorize.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/url/parse.hpp>

#include <random>
#include <unordered_set>

namespace apig {
using detail_client::call_state;
using detail_client::attempt_result;
using detail_client::ms_text;
namespace asio = boost::asio;
using boost::system::error_code;
using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;


namespace {

// Text a provider's exception carried, with the credentials it may have quoted redacted, made
// printable and cut (server_text: a provider may quote what IAM answered).
std::string redacted_what(std::exception_ptr ep, credentials const* last) {
    std::string text;
    try {
        std::rethrow_exception(ep);
    } catch (std::exception const& e) {
        text = e.what();
    } catch (...) {
        text = "an exception that is not a std::exception";
    }
    std::array<std::string_view, 4> secrets{};
    if (last) secrets = auth::secrets(*last);
    return server_text(text, 512, secrets);
}


}  // namespace

std::variant<credentials, error_info> client::impl::current_credentials() const {
    if (!provider) return fixed;
    credentials c;
    try {
        c = auth::trimmed(provider->current());
    } catch (...) {
        return make_error(errc::credentials_unavailable,
                          "the credentials provider's current() threw: " +
                              redacted_what(std::current_exception(), nullptr));
    }
    if (auto why = auth::problem(c); !why.empty())
        return make_error(errc::credentials_unavailable, "the credentials provider handed out unusable credentials: " + why);
    return c;
}

asio::awaitable<std::variant<std::monostate, credentials, error_info>> client::impl::fresh_credentials(
    credentials const& rejected) {
    if (!provider) co_return std::monostate{};
    auto now_current = current_credentials();
    if (auto* e = std::get_if<error_info>(&now_current)) co_return std::move(*e);
    credentials fresh = std::get<credentials>(std::move(now_current));
    if (fresh == rejected) {  // nobody moved on yet: ask for newer ones
        std::exception_ptr failure;
        try {
            fresh = auth::trimmed(co_await provider->refresh(rejected));
        } catch (...) {
            failure = std::current_exception();
        }
        if (failure)
            co_return make_error(errc::credentials_unavailable,
                                 "the credentials provider's refresh() threw: " + redacted_what(failure, &rejected));
        if (auto why = auth::problem(fresh); !why.empty())
            co_return make_error(errc::credentials_unavailable,
                                 "the credentials provider's refresh() handed out unusable credentials: " + why);
    }
    if (fresh == rejected) co_return std::monostate{};
    co_return fresh;
}


milliseconds client::impl::backoff_for(int attempt, std::string_view retry_after) {
    if (opts.retry.honour_retry_after && !retry_after.empty()) {
        if (auto d = parse_retry_after(retry_after, now()))
            return std::min(*d, opts.retry.max_backoff);
    }
    double const r = opts.retry.random ? opts.retry.random()
                                       : std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    return backoff_delay(opts.retry, attempt, r);
}

asio::awaitable<error_info> client::impl::sleep(milliseconds d, int next_attempt) {
    std::exception_ptr failure;
    try {
        if (opts.retry.sleep) {
            co_await opts.retry.sleep(d);
        } else {
            asio::steady_timer t(strand, d);
            co_await t.async_wait(asio::use_awaitable);
        }
    } catch (...) {
        failure = std::current_exception();
    }
    if (!failure) co_return error_info{};
    error_code ec = asio::error::operation_aborted;
    try {
        std::rethrow_exception(failure);
    } catch (boost::system::system_error const& e) {
        ec = e.code();
    } catch (...) {
    }
    co_return make_error(ec, "waiting " + ms_text(d) + " before attempt " + std::to_string(next_attempt) +
                                 (ec == asio::error::operation_aborted ? ": cancelled" : ": " + ec.message()));
}


asio::awaitable<instance_page> client::impl::run(list_request req, instance_page storage, error_info& diag,
                                                 call_state& call) {
    calls.insert(&call);
    struct unregister {
        impl& self;
        call_state* c;
        ~unregister() { self.calls.erase(c); }
    } guard{*this, &call};

    if (auto e = detail::validate(req, opts.project_id)) {
        diag = std::move(e);
        co_return instance_page{};
    }
    std::string const target = detail::build_target(opts.project_id, req);
    auto const deadline = opts.timeouts.total > milliseconds::zero() ? steady::now() + opts.timeouts.total
                                                                     : steady::time_point::max();
    std::uint32_t spent = 0;  // retry tokens this call took
    // After a 401, the provider's fresh credentials serve the rest of the call (once a call).
    std::optional<credentials> pinned;
    bool refreshed = false, after_refresh = false;
    for (int n = 1;; ++n) {
        credentials used;
        if (pinned) {
            used = *pinned;
        } else {
            auto c = current_credentials();
            if (auto* ce = std::get_if<error_info>(&c)) {
                ce->attempts = n - 1;
                log(log_level::error, ce->message);
                diag = std::move(*ce);
                co_return instance_page{};
            }
            used = std::get<credentials>(std::move(c));
        }
        // The attempt that follows a credentials refresh is counted as a refresh, not a retry.
        if (n > 1 && !std::exchange(after_refresh, false)) retries.fetch_add(1, std::memory_order_relaxed);
        std::string const msg = authorized(target, used, detail::effective_project(req, opts.project_id));
        attempt_result r = co_await attempt(msg, deadline, used, std::move(storage));
        attempt_info info{.target = target,
                          .attempt = n,
                          .http_status = r.out.status,
                          .latency = std::chrono::duration_cast<std::chrono::microseconds>(r.latency),
                          .bytes = r.out.bytes,
                          .reused_connection = r.reused};
        if (!r.error) {
            budget.on_success(spent);
            report(info);
            r.page.request_id = std::move(r.out.request_id);
            co_return std::move(r.page);
        }

        storage = std::move(r.page);  // for the next attempt
        error_info& e = r.error;
        e.attempts = n;
        info.error = &e;
        info.action = retry_action::give_up;
        std::string why;  // why the loop stops here, appended to the message
        if (e.code == errc::unauthorized && provider) {
            if (refreshed) {
                why = " (refused with the credentials provider's fresh credentials too)";
            } else {
                refreshed = true;
                auto fresh = co_await fresh_credentials(used);
                if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none) {
                    diag = make_error(asio::error::operation_aborted,
                                      "cancelled while the credentials provider refreshed the credentials");
                    diag.attempts = n;
                    co_return instance_page{};
                }
                if (auto* c = std::get_if<credentials>(&fresh)) {
                    pinned = std::move(*c);
                    after_refresh = true;
                    refreshes.fetch_add(1, std::memory_order_relaxed);
                    info.action = retry_action::refresh_credentials;
                    report(info);
                    log(log_level::info, "attempt " + std::to_string(n) + " failed: " + e.message +
                                             "; retrying once with the credentials provider's fresh credentials");
                    continue;
                }
                if (auto* fe = std::get_if<error_info>(&fresh))
                    why = "; then asking for fresh credentials failed: " + fe->message;
                else
                    why = " (the credentials provider has none newer)";
            }
        }
        switch (classify(opts.retry, e)) {
        case retry_verdict::cancelled: break;
        case retry_verdict::not_retryable:
            if (n > 1 && why.empty()) why = " (attempt " + std::to_string(n) + ", not retryable)";
            break;
        case retry_verdict::retry: {
            if (n >= opts.retry.max_attempts) {
                if (n > 1) why = " (gave up after " + std::to_string(n) + " attempts)";
                break;
            }
            bool const after_timeout = e.code == errc::timed_out;
            if (!budget.try_acquire(after_timeout)) {
                why = " (not retried: the client's retry budget is exhausted; " + std::to_string(n) +
                      (n == 1 ? " attempt)" : " attempts)");
                break;
            }
            auto const cost = after_timeout ? opts.retry_budget.timeout_cost : opts.retry_budget.retry_cost;
            auto const wait = backoff_for(n, r.out.retry_after);
            if (steady::now() + wait >= deadline) {
                budget.on_success(cost);  // the retry never happens: give its tokens back
                if (e.code == errc::timed_out && e.message.find(deadline_name()) != std::string::npos) {
                    // The attempt itself was cut short by the overall deadline and says so:
                    // naming the deadline again would only repeat it.
                    if (n > 1) why = " (after " + std::to_string(n) + " attempts)";
                    break;
                }
                e.message += "; then the call's overall deadline (timeouts.total = " + ms_text(opts.timeouts.total) +
                             ") left no time for the " + ms_text(wait) + " wait before attempt " +
                             std::to_string(n + 1) + " (" + std::to_string(n) + (n == 1 ? " attempt)" : " attempts)");
                e.code = errc::timed_out;
                break;
            }
            spent += cost;
            info.action = retry_action::retry;
            info.backoff = wait;
            break;
        }
        }
        report(info);
        if (info.action == retry_action::give_up) {
            e.message += why;
            log(log_level::warning, e.message);
            diag = std::move(e);
            co_return instance_page{};
        }
        log(log_level::info, "attempt " + std::to_string(n) + " failed: " + e.message + "; retrying in " +
                                 ms_text(info.backoff));
        if (auto se = co_await sleep(info.backoff, n + 1)) {
            se.attempts = n;
            se.http_status = e.http_status;
            diag = std::move(se);
            co_return instance_page{};
        }
    }
}

}  // namespace apig
