// One call: carries out what the call's state machine (call_fsm.hpp) asks for — credentials,
// attempts, a refresh after a 401, waits — with the counters, the attempt hook and the log.
// Open to cancellation throughout.
#include "call_fsm.hpp"
#include "client_impl.hpp"
#include "error_detail.hpp"
#include "project_discovery.hpp"
#include "retry_detail.hpp"
#include "auth/authorize.hpp"
#include "auth/iam.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace apig {
using detail_client::call_state;
using detail_client::attempt_result;
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


// How a wait ended with `failure`: its error code, else (a seam threw something else) aborted.
error_code sleep_error(std::exception_ptr failure) {
    error_code ec = asio::error::operation_aborted;
    try {
        std::rethrow_exception(failure);
    } catch (boost::system::system_error const& e) {
        ec = e.code();
    } catch (...) {
    }
    return ec;
}

}  // namespace

asio::awaitable<std::variant<credentials, error_info>> client::impl::current_credentials() const {
    if (!provider) co_return fixed;
    credentials c;
    std::exception_ptr failure;
    try {
        credentials got = co_await provider->fetch();
        c = auth::trimmed(std::move(got));
    } catch (...) {
        failure = std::current_exception();
    }
    if (failure) {
        if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none)
            co_return make_error(asio::error::operation_aborted, "cancelled while getting the credentials");
        co_return make_error(errc::credentials_unavailable,
                             "the credentials provider's fetch() threw: " + redacted_what(failure, nullptr));
    }
    if (auto why = auth::problem(c); !why.empty())
        co_return make_error(errc::credentials_unavailable,
                             "the credentials provider handed out unusable credentials: " + why);
    co_return c;
}

asio::awaitable<std::variant<std::string, error_info>> client::impl::find_project() {
    credentials_settings settings;
    credentials c = fixed;
    if (provider) {
        auto got = co_await current_credentials();
        if (auto* e = std::get_if<error_info>(&got)) co_return std::move(*e);
        c = std::get<credentials>(std::move(got));
        try {
            settings = provider->settings();
        } catch (...) {
            co_return make_error(errc::credentials_unavailable,
                                 "the credentials provider's settings() threw: " +
                                     redacted_what(std::current_exception(), &c));
        }
        if (!settings.project_id.empty()) {
            if (!auth::header_value_ok(settings.project_id))
                co_return make_error(errc::credentials_unavailable,
                                     "the credentials provider's project id contains a control character");
            co_return std::move(settings.project_id);
        }
    }
    auto const* key = std::get_if<aksk_credentials>(&c);
    if (!key || opts.region.empty())
        co_return invalid_argument(
            std::string("no project id: set client_options::project_id or list_request::project_id") +
            (opts.region.empty() ? " (or set region, to discover it with a key pair)"
                                 : " (discovery needs a key pair; these credentials are a token)"));
    std::string iam = opts.iam_endpoint;
    std::string origin = "iam_endpoint";
    if (iam.empty() && !iam_endpoint_env.empty()) {
        iam = iam_endpoint_env;
        origin = "HUAWEICLOUD_SDK_IAM_ENDPOINT";
    }
    if (iam.empty() && !settings.iam_endpoint.empty()) {
        iam = auth::normalized_iam_endpoint(settings.iam_endpoint);
        origin = "the credentials' iam_endpoint";
    }
    if (iam.empty()) iam = auth::iam_endpoint_for_region(opts.region);
    bool const https = iam.starts_with("https://");
    if (!https && !(opts.allow_insecure_http && iam.starts_with("http://")))
        co_return invalid_argument(origin + " '" + printable(iam, 256) +
                                   "': IAM must be https:// (http:// only with allow_insecure_http)");
    // Named first: g++ 12 destroys a braced temporary inside co_await twice.
    detail::discovery_request lookup{.iam_endpoint = std::move(iam),
                                     .region = opts.region,
                                     .creds = *key,
                                     .tls = &ctx,
                                     .verify = !opts.tls.insecure_skip_verify,
                                     .timeout = opts.timeouts.attempt,
                                     .clock = [self = shared_from_this()] { return self->now(); },
                                     .keep_alive = shared_from_this(),
                                     .proxy = proxy,
                                     .proxy_tls = proxy_ctx.get()};
    co_return co_await detail::discover_project(std::move(lookup));
}

asio::awaitable<std::variant<std::monostate, credentials, error_info>> client::impl::fresh_credentials(
    credentials const& rejected) {
    if (!provider) co_return std::monostate{};
    auto now_current = co_await current_credentials();
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


asio::awaitable<error_code> client::impl::sleep(milliseconds d) { return sleep_until(steady::now() + d, d); }

asio::awaitable<error_code> client::impl::sleep_until(steady::time_point until, milliseconds d) {
    std::exception_ptr failure;
    try {
        if (auto const* s = detail::seams_of(opts.retry); s && s->sleep) {
            co_await s->sleep(d);
        } else {
            asio::steady_timer t(strand, until);  // to the nanosecond: a high rate's spacing is below 1 ms
            co_await t.async_wait(asio::use_awaitable);
        }
    } catch (...) {
        failure = std::current_exception();
    }
    co_return failure ? sleep_error(failure) : error_code{};
}


asio::awaitable<instance_page> client::impl::run(list_request req, instance_page storage, error_info& diag,
                                                 call_state& call) {
    calls.insert(&call);
    struct unregister {
        impl& self;
        call_state* c;
        ~unregister() { self.calls.erase(c); }
    } guard{*this, &call};

    if (auto e = detail::validate(req, opts.project_id, project_discoverable)) {
        diag = std::move(e);
        co_return instance_page{};
    }
    std::string_view project = detail::effective_project(req, opts.project_id);
    std::string found_project;  // when neither the request nor the options name one
    if (project.empty()) {
        auto found = co_await find_project();
        if (auto* e = std::get_if<error_info>(&found)) {
            diag = std::move(*e);
            co_return instance_page{};
        }
        found_project = std::get<std::string>(std::move(found));
        project = found_project;
    }
    std::string const target = detail::build_target(project, req);
    using kind = detail::call_step::kind;
    detail::call_fsm fsm(call_env);
    attempt_info info;  // of the last attempt, reported when the loop knows what follows it
    for (auto step = fsm.start(steady::now());;) {
        if (step.counts_as_refresh) refreshes.fetch_add(1, std::memory_order_relaxed);
        if (step.report) {
            info.error = step.report->error;
            info.action = step.report->action;
            info.backoff = step.report->backoff;
            report(info);
        }
        if (step.log) log(step.log->level, step.log->text);
        switch (step.what) {
        case kind::get_credentials: {
            if (!provider) {  // no coroutine frame for fixed credentials: this is every call's path
                step = fsm.on_credentials(fixed, steady::now());
                break;
            }
            auto c = co_await current_credentials();
            step = fsm.on_credentials(std::move(c), steady::now());
            break;
        }
        case kind::attempt: {
            if (step.counts_as_retry) retries.fetch_add(1, std::memory_order_relaxed);
            std::string const msg = authorized(target, *step.creds, project);
            attempt_result r = co_await attempt(msg, fsm.deadline(), *step.creds, std::move(storage),
                                                call.refill ? &call.refill : nullptr);
            info = {.target = target,
                    .attempt = step.attempt,
                    .http_status = r.out.status,
                    .latency = std::chrono::duration_cast<std::chrono::microseconds>(r.latency),
                    .bytes = r.out.bytes,
                    .reused_connection = r.reused};
            if (!r.error) {
                fsm.on_success();
                report(info);
                r.page.request_id = std::move(r.out.request_id);
                co_return std::move(r.page);
            }
            storage = std::move(r.page);  // for the next attempt
            step = fsm.on_failure(std::move(r.error), r.out.retry_after, steady::now());
            break;
        }
        case kind::refresh_credentials: {
            auto fresh = co_await fresh_credentials(*step.creds);
            bool const cancelled =
                (co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none;
            step = fsm.on_refreshed(std::move(fresh), cancelled, steady::now());
            break;
        }
        case kind::wait: {
            error_code const ec = co_await sleep(step.wait);
            step = fsm.on_waited(ec, steady::now());
            break;
        }
        case kind::rate_wait: {
            auto const began = steady::now();
            error_code const ec = co_await sleep_until(step.until, step.wait);
            rate_limited.fetch_add(1, std::memory_order_relaxed);
            rate_wait_us.fetch_add(
                std::chrono::duration_cast<std::chrono::microseconds>(steady::now() - began).count(),
                std::memory_order_relaxed);
            step = fsm.on_rate_waited(ec);
            break;
        }
        case kind::fail:
            diag = std::move(step.error);
            co_return instance_page{};
        case kind::done: co_return instance_page{};  // never asked for: success returns above
        }
    }
}

}  // namespace apig
