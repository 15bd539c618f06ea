// One call's retry loop, sans-I/O: credentials, the retry budget, backoff, the deadline and
// every message the loop adds.
#include "call_fsm.hpp"

#include "error_detail.hpp"
#include "retry_detail.hpp"

#include <boost/asio/error.hpp>

#include <algorithm>
#include <utility>

namespace apig::detail {

namespace {

using std::chrono::milliseconds;

std::string attempts_text(int n) { return std::to_string(n) + (n == 1 ? " attempt" : " attempts"); }

}  // namespace

call_step call_fsm::start(steady::time_point now) {
    deadline_ = env_.total > milliseconds::zero() ? now + env_.total : steady::time_point::max();
    return next_attempt(now);
}

call_step call_fsm::next_attempt(steady::time_point now) {
    if (pinned_) return attempt_with(*pinned_, now);
    return {.what = call_step::kind::get_credentials};
}

call_step call_fsm::attempt_with(credentials const& c, steady::time_point now) {
    sent_ = &c;
    if (!env_.limiter) return attempt_step(c);
    // A token at the deadline itself would leave the attempt no time: as for a backoff wait,
    // only one strictly before it is taken.
    auto const latest = deadline_ == steady::time_point::max() ? deadline_ : deadline_ - steady::duration(1);
    token_ = env_.limiter->reserve(now, latest);
    auto const wait = std::chrono::ceil<milliseconds>(token_.time - now);
    if (!token_.granted) {
        // The token would come after the deadline: fail now, rather than wait to fail. A
        // retry that never happens gives its budget tokens back, as decide() does when the
        // backoff wait is what runs past the deadline.
        if (retry_cost_ != 0) {
            env_.budget.on_success(retry_cost_);
            spent_ -= retry_cost_;
            retry_cost_ = 0;
        }
        std::string const what = "the rate limit (" + env_.limiter_name + ") would hold attempt " +
                                 std::to_string(n_) + " for " + ms_text(wait) + ", past the call's overall deadline (" +
                                 env_.deadline_name + ")";
        call_step s{.what = call_step::kind::fail};
        if (n_ > 1) {
            s.error = error_;
            s.error.message += "; then " + what + " (" + attempts_text(n_ - 1) + ")";
            s.error.code = errc::timed_out;
        } else {
            s.error = make_error(errc::timed_out, what);
        }
        s.error.attempts = n_ - 1;
        s.log = call_step::log_line{log_level::warning, s.error.message};
        return s;
    }
    if (token_.time <= now) return attempt_step(c);
    return {.what = call_step::kind::rate_wait, .attempt = n_, .wait = wait, .until = token_.time};
}

call_step call_fsm::on_rate_waited(boost::system::error_code ec) {
    if (!ec) return attempt_step(*sent_);
    env_.limiter->cancel(token_);
    call_step s{.what = call_step::kind::fail,
                .error = make_error(ec, "waiting for the rate limit (" + env_.limiter_name + ") before attempt " +
                                            std::to_string(n_) +
                                            (ec == boost::asio::error::operation_aborted ? ": cancelled"
                                                                                         : ": " + ec.message()))};
    s.error.attempts = n_ - 1;
    s.error.http_status = n_ > 1 ? error_.http_status : 0;
    return s;
}

call_step call_fsm::attempt_step(credentials const& c) {
    retry_cost_ = 0;  // the retry's tokens are spent: it is sent
    // The attempt that follows a credentials refresh is counted as a refresh, not a retry.
    return {.what = call_step::kind::attempt,
            .creds = &c,
            .attempt = n_,
            .counts_as_retry = n_ > 1 && !std::exchange(after_refresh_, false)};
}

call_step call_fsm::on_credentials(credentials_or_error c, steady::time_point now) {
    if (auto* e = std::get_if<error_info>(&c)) {
        e->attempts = n_ - 1;
        call_step s{.what = call_step::kind::fail, .error = std::move(*e)};
        s.log = call_step::log_line{log_level::error, s.error.message};
        return s;
    }
    used_ = std::get<credentials>(std::move(c));
    return attempt_with(used_, now);
}

call_step call_fsm::on_success() {
    env_.budget.on_success(spent_);
    return {.what = call_step::kind::done, .attempt = n_};
}

call_step call_fsm::on_failure(error_info e, std::string_view retry_after, steady::time_point now) {
    error_ = std::move(e);
    error_.attempts = n_;
    why_.clear();
    retry_after_.assign(retry_after);
    if (error_.code == errc::unauthorized && env_.refreshable) {
        if (refreshed_) {
            why_ = " (refused with the credentials provider's fresh credentials too)";
        } else {
            refreshed_ = true;
            return {.what = call_step::kind::refresh_credentials, .creds = sent_, .attempt = n_};
        }
    }
    return decide(now);
}

call_step call_fsm::on_refreshed(refresh_result fresh, bool cancelled, steady::time_point now) {
    if (cancelled) {
        call_step s{.what = call_step::kind::fail,
                    .error = make_error(boost::asio::error::operation_aborted,
                                        "cancelled while the credentials provider refreshed the credentials")};
        s.error.attempts = n_;
        return s;
    }
    if (auto* c = std::get_if<credentials>(&fresh)) {
        pinned_ = std::move(*c);
        after_refresh_ = true;
        call_step::log_line line{log_level::info,
                                 "attempt " + std::to_string(n_) + " failed: " + error_.message +
                                     "; retrying once with the credentials provider's fresh credentials"};
        ++n_;
        call_step s = attempt_with(*pinned_, now);
        s.counts_as_refresh = true;
        s.report = call_step::report_of_attempt{retry_action::refresh_credentials, milliseconds::zero(), &error_};
        if (s.what != call_step::kind::fail) s.log = std::move(line);  // else the failure's own line
        return s;
    }
    if (auto* fe = std::get_if<error_info>(&fresh))
        why_ = "; then asking for fresh credentials failed: " + fe->message;
    else
        why_ = " (the credentials provider has none newer)";
    return decide(now);
}

milliseconds call_fsm::backoff() const {
    auto const& p = env_.policy;
    if (p.honour_retry_after && !retry_after_.empty()) {
        if (auto d = parse_retry_after(retry_after_, env_.wall_clock())) return std::min(*d, p.max_backoff);
    }
    return backoff_delay(p, n_, env_.random());
}

call_step call_fsm::decide(steady::time_point now) {
    int const n = n_;
    error_info& e = error_;
    bool retry = false;
    switch (classify(env_.policy, e)) {
    case retry_verdict::cancelled: break;
    case retry_verdict::not_retryable:
        if (n > 1 && why_.empty()) why_ = " (attempt " + std::to_string(n) + ", not retryable)";
        break;
    case retry_verdict::retry: {
        if (n >= env_.policy.max_attempts) {
            if (n > 1) why_ = " (gave up after " + std::to_string(n) + " attempts)";
            break;
        }
        bool const after_timeout = e.code == errc::timed_out;
        if (!env_.budget.try_acquire(after_timeout)) {
            why_ = " (not retried: the client's retry budget is exhausted; " + attempts_text(n) + ")";
            break;
        }
        auto const& costs = env_.budget.options();
        auto const cost = after_timeout ? costs.timeout_cost : costs.retry_cost;
        auto const wait = backoff();
        if (now + wait >= deadline_) {
            env_.budget.on_success(cost);  // the retry never happens: give its tokens back
            if (e.code == errc::timed_out && e.message.find(env_.deadline_name) != std::string::npos) {
                // The attempt itself was cut short by the overall deadline and says so:
                // naming the deadline again would only repeat it.
                if (n > 1) why_ = " (after " + std::to_string(n) + " attempts)";
                break;
            }
            e.message += "; then the call's overall deadline (timeouts.total = " + ms_text(env_.total) +
                         ") left no time for the " + ms_text(wait) + " wait before attempt " +
                         std::to_string(n + 1) + " (" + attempts_text(n) + ")";
            e.code = errc::timed_out;
            break;
        }
        spent_ += cost;
        retry_cost_ = cost;
        wait_ = wait;
        retry = true;
        break;
    }
    }
    if (!retry) {
        call_step s{.what = call_step::kind::fail, .error = e};
        s.report = call_step::report_of_attempt{retry_action::give_up, milliseconds::zero(), &error_};
        s.error.message += why_;
        s.log = call_step::log_line{log_level::warning, s.error.message};
        return s;
    }
    call_step s{.what = call_step::kind::wait, .attempt = n, .wait = wait_};
    s.report = call_step::report_of_attempt{retry_action::retry, wait_, &error_};
    s.log = call_step::log_line{log_level::info,
                                "attempt " + std::to_string(n) + " failed: " + e.message + "; retrying in " + ms_text(wait_)};
    return s;
}

call_step call_fsm::on_waited(boost::system::error_code ec, steady::time_point now) {
    if (!ec) {
        ++n_;
        return next_attempt(now);
    }
    call_step s{.what = call_step::kind::fail,
                .error = make_error(ec, "waiting " + ms_text(wait_) + " before attempt " + std::to_string(n_ + 1) +
                                            (ec == boost::asio::error::operation_aborted ? ": cancelled"
                                                                                         : ": " + ec.message()))};
    s.error.attempts = n_;
    s.error.http_status = error_.http_status;
    return s;
}

}  // namespace apig::detail
