// The client: options checked once; then per call, on the client's strand: validate, build the
// target, and the retry loop around attempts (take a connection, send, read and decode, map
// errors), bounded by the call's deadline and open to cancellation throughout.
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
namespace asio = boost::asio;
using boost::system::error_code;
using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;

namespace {

// The token or key pair of options that hold no provider, trimmed.
credentials fixed_credentials(client_credentials const& c) {
    if (auto const* t = std::get_if<token_credentials>(&c)) return auth::trimmed(*t);
    return auth::trimmed(std::get<aksk_credentials>(c));
}

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

std::string ms_text(milliseconds d) { return std::to_string(d.count()) + " ms"; }

// `https://host[:port]` → where to connect. Anything else is refused with the reason.
http::target_host parse_endpoint(std::string const& endpoint, tls_options const& tls, bool allow_http) {
    if (endpoint.empty()) throw_invalid_argument("endpoint must be set (https://host[:port])");
    // The caller's text, as it may reach a log or a terminal: no control or bidi character.
    std::string const shown = printable(endpoint, 256);
    auto r = boost::urls::parse_absolute_uri(endpoint);
    if (!r)
        throw_invalid_argument("endpoint '" + shown +
                               "' is not an absolute URL (https://host[:port] expected)");
    auto const& u = *r;
    bool const plain = u.scheme_id() == boost::urls::scheme::http;
    if (plain && !allow_http)
        throw_invalid_argument("endpoint '" + shown +
                               "': http:// sends the credentials in clear text; use https:// (or set "
                               "allow_insecure_http for a test server you control)");
    if (!plain && u.scheme_id() != boost::urls::scheme::https)
        throw_invalid_argument("endpoint '" + shown + "': the scheme must be https");
    if (u.has_userinfo()) throw_invalid_argument("endpoint: user info is not allowed");
    if (u.has_query() || u.has_fragment())
        throw_invalid_argument("endpoint '" + shown + "': a query or fragment is not allowed");
    if (!u.encoded_path().empty() && u.encoded_path() != "/")
        throw_invalid_argument("endpoint '" + shown + "': a path is not allowed (https://host[:port])");
    http::target_host t;
    switch (u.host_type()) {
    case boost::urls::host_type::name: t.host = u.host_name(); break;
    case boost::urls::host_type::ipv4:
    case boost::urls::host_type::ipv6: t.host = u.host_address(); break;
    default: throw_invalid_argument("endpoint '" + shown + "': a host name or IP address is required");
    }
    if (t.host.empty()) throw_invalid_argument("endpoint '" + shown + "': the host is empty");
    if (u.has_port() && u.port_number() == 0)
        throw_invalid_argument("endpoint '" + shown + "': the port must be 1..65535");
    t.port = u.has_port() ? std::string(u.port()) : plain ? "80" : "443";
    t.tls = !plain;
    t.host_header = std::string(u.encoded_host_and_port());
    t.tls_name = tls.server_name;
    t.verify = !tls.insecure_skip_verify;
    return t;
}

client_options checked(client_options o) {
    if (!o.region.empty()) {
        if (!o.endpoint.empty()) throw_invalid_argument("set endpoint or region, not both");
        auto e = endpoint_for_region(o.region);
        if (!e) throw api_error(region_error(o.region));
        o.endpoint = std::move(*e);
    }
    if (o.project_id.empty()) throw_invalid_argument("project_id must not be empty");
    if (!auth::header_value_ok(o.project_id))
        throw_invalid_argument("project_id contains a control character (CR, LF, NUL, ...)");
    if (auto const* p = std::get_if<std::shared_ptr<credentials_provider>>(&o.credentials)) {
        if (!*p) throw_invalid_argument("credentials: the credentials provider is null");
    } else if (auto why = auth::problem(fixed_credentials(o.credentials)); !why.empty()) {
        throw_invalid_argument("credentials: " + why);
    }
    if (!auth::header_value_ok(o.tls.server_name))
        throw_invalid_argument("tls.server_name contains a control character (CR, LF, NUL, ...)");
    if (o.max_body_bytes == 0) throw_invalid_argument("max_body_bytes must be > 0");
    if (o.pool.max_connections == 0) throw_invalid_argument("pool.max_connections must be >= 1");
    if (o.pool.max_connections > pool_options::max_connections_limit)
        throw_invalid_argument("pool.max_connections must be at most " +
                               std::to_string(pool_options::max_connections_limit) + " (got " +
                               std::to_string(o.pool.max_connections) + ")");
    auto const positive = [](milliseconds d, char const* name) {
        if (d <= milliseconds::zero()) throw_invalid_argument(std::string(name) + " must be > 0");
    };
    positive(o.timeouts.connect, "timeouts.connect");
    positive(o.timeouts.handshake, "timeouts.handshake");
    positive(o.timeouts.attempt, "timeouts.attempt");
    if (o.timeouts.total < milliseconds::zero())
        throw_invalid_argument("timeouts.total must be >= 0 (0: no overall deadline)");
    if (o.retry.max_attempts < 1)
        throw_invalid_argument("retry.max_attempts must be >= 1 (got " + std::to_string(o.retry.max_attempts) + ")");
    if (!(o.retry.multiplier >= 1.0)) throw_invalid_argument("retry.multiplier must be >= 1");
    if (o.retry.initial_backoff < milliseconds::zero() || o.retry.max_backoff < milliseconds::zero())
        throw_invalid_argument("retry backoffs must be >= 0");
    return o;
}

}  // namespace


client::impl::impl(asio::any_io_executor e, client_options o)
    : ex(std::move(e)),
      strand(o.thread_safe ? asio::any_io_executor(asio::make_strand(ex)) : ex),
      opts(std::move(o)),
      host(parse_endpoint(opts.endpoint, opts.tls, opts.allow_insecure_http)),
      ctx(http::make_client_context(opts.tls)),
      pool(strand, ctx,
           {opts.pool.max_connections, opts.pool.idle_timeout, opts.pool.max_requests_per_connection},
           counters),
      budget(opts.retry_budget),
      rng(std::random_device{}()) {
    if (auto const* p = std::get_if<std::shared_ptr<credentials_provider>>(&opts.credentials))
        provider = *p;
    else
        fixed = fixed_credentials(opts.credentials);
    // Every value here was validated (no CR, LF or other control character): the request is
    // written as bytes, without a serializer.
    request_headers = "Host: " + host.host_header + "\r\nUser-Agent: apig-cpp/" APIG_VERSION_STRING
                      "\r\nAccept: application/json\r\n";
}

std::chrono::system_clock::time_point client::impl::now() const {
    return opts.clock ? opts.clock() : std::chrono::system_clock::now();
}

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

std::string client::impl::authorized(std::string_view target, credentials const& c) const {
    std::string msg;
    msg.reserve(512);
    msg.append("GET ").append(target).append(" HTTP/1.1\r\n").append(request_headers);
    for (auto& [name, value] :
         auth::authorization_headers(c, "GET", target, host.host_header, now(), opts.project_id))
        msg.append(name).append(": ").append(value).append("\r\n");
    msg.append("\r\n");
    return msg;
}

http::step_limit client::impl::limit(milliseconds step, char const* name, steady::time_point deadline) const {
    auto const own = steady::now() + step;
    if (deadline < own) return {deadline, deadline_name()};
    return {own, std::string(name) + " = " + ms_text(step)};
}

std::string client::impl::deadline_name() const {
    return "timeouts.total = " + ms_text(opts.timeouts.total) + ", the call's overall deadline";
}

void client::impl::log(log_level level, std::string const& line) const {
    if (!opts.log || level < opts.log_min_level) return;
    try {
        opts.log(level, line);
    } catch (...) {  // a sink that throws must not break the call
    }
}

void client::impl::report(attempt_info const& a) const {
    if (!opts.on_attempt) return;
    try {
        opts.on_attempt(a);
    } catch (...) {
        log(log_level::error, "the attempt hook threw an exception; ignored");
    }
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

asio::awaitable<attempt_result> client::impl::attempt(std::string const& msg, steady::time_point deadline,
                                                      credentials const& used, instance_page storage) {
    attempt_result r;
    r.page = std::move(storage);
    auto [aec, lease] = co_await pool.acquire(deadline);
    if (aec) {
        r.error = aec == errc::timed_out
                      ? make_error(errc::timed_out, "waiting for a free connection (pool.max_connections = " +
                                                        std::to_string(opts.pool.max_connections) +
                                                        "): timed out (" + deadline_name() + ")")
                      : make_error(aec, "waiting for a connection: cancelled");
        co_return r;
    }
    auto const start = steady::now();
    auto const secrets = auth::attempt_secrets(used, msg);
    // A kept-alive connection the server closed or wrote to while idle is not used at all (the
    // pool drops it at checkout). If the close arrives after the checkout, the exchange fails
    // before any response byte; the request is then replayed once on a new connection (GET is
    // idempotent). This is not a retry: the request never reached the server.
    for (bool replayed = false;; replayed = true) {
        r.reused = lease.reused() && lease.get()->reusable();
        if (!r.reused) {
            auto& c = lease.open();
            if (auto e = co_await c.connect(host, limit(opts.timeouts.connect, "timeouts.connect", deadline),
                                            limit(opts.timeouts.handshake, "timeouts.handshake", deadline))) {
                lease.discard();
                r.error = std::move(e);
                break;
            }
        }
        r.page.request_id.clear();  // the decoder replaces the rest, keeping the storage
        r.out = http::exchange_result{};
        requests.fetch_add(1, std::memory_order_relaxed);
        auto e = co_await lease.get()->exchange(msg, r.page, opts.max_body_bytes,
                                                limit(opts.timeouts.attempt, "timeouts.attempt", deadline), r.out,
                                                secrets);
        bytes.fetch_add(r.out.bytes, std::memory_order_relaxed);
        if (r.out.closed_behind) counters.discarded.fetch_add(1, std::memory_order_relaxed);
        if (r.out.unrequested) {
            counters.unrequested.fetch_add(1, std::memory_order_relaxed);
            log(log_level::warning, "the server sent more than the response (HTTP " + std::to_string(r.out.status) +
                                        "); the connection was closed and the extra bytes dropped");
        }
        if (!e) {
            if (r.out.status != 200) {
                r.error = error_from_response(r.out.status, r.out.reason, r.out.error_text, {}, secrets);
                if (r.out.status / 100 == 3) {
                    std::string const where = server_text(r.out.location, 256, secrets);
                    switch (r.out.status) {
                    case 301: case 302: case 303: case 307: case 308:
                        r.error.message += "; redirects are not followed";
                        break;
                    case 304:  // answers a conditional request: the client sends none
                        r.error.message += "; no conditional request was sent (no If-None-Match or "
                                           "If-Modified-Since), so there is nothing a 304 could leave unmodified";
                        break;
                    default:
                        r.error.message += "; not a redirect (only 301, 302, 303, 307 and 308 are), and not an "
                                           "answer to this request";
                        break;
                    }
                    if (!where.empty()) r.error.message += " (Location: " + where + ")";
                }
                add_request_id(r.error, r.out.request_id, secrets);
            }
            break;
        }
        bool const stale = r.reused && !replayed && !r.out.got_bytes &&
                           e.code != asio::error::operation_aborted && e.code != errc::timed_out;
        lease.discard();
        if (stale) {
            replays.fetch_add(1, std::memory_order_relaxed);
            log(log_level::debug, "a kept-alive connection was closed by the server; resending on a new one");
            continue;
        }
        add_request_id(e, r.out.request_id, secrets);
        e.http_status = r.out.status;
        r.error = std::move(e);
        break;
    }
    r.latency = steady::now() - start;
    co_return r;
}

asio::awaitable<instance_page> client::impl::run(list_request req, instance_page storage, error_info& diag,
                                                 call_state& call) {
    calls.insert(&call);
    struct unregister {
        impl& self;
        call_state* c;
        ~unregister() { self.calls.erase(c); }
    } guard{*this, &call};

    if (auto e = validate(req, opts.project_id)) {
        diag = std::move(e);
        co_return instance_page{};
    }
    std::string const target = build_target(opts.project_id, req);
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
        std::string const msg = authorized(target, used);
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

client::client(executor_type ex, client_options opts)
    : impl_(std::make_shared<impl>(std::move(ex), checked(std::move(opts)))) {}

client::~client() {
    if (impl_) asio::dispatch(impl_->strand, [self = impl_] { self->shutdown(); });
}

client::executor_type client::get_executor() const noexcept { return impl_->ex; }
client_options const& client::options() const noexcept { return impl_->opts; }

client_stats client::stats() const noexcept {
    auto const& c = impl_->counters;
    constexpr auto relaxed = std::memory_order_relaxed;
    return {.open = c.open.load(relaxed),
            .idle = c.idle.load(relaxed),
            .in_use = c.in_use.load(relaxed),
            .created = c.created.load(relaxed),
            .reused = c.reused.load(relaxed),
            .waits = c.waits.load(relaxed),
            .discarded = c.discarded.load(relaxed),
            .unrequested = c.unrequested.load(relaxed),
            .requests = impl_->requests.load(relaxed),
            .retries = impl_->retries.load(relaxed),
            .replays = impl_->replays.load(relaxed),
            .credential_refreshes = impl_->refreshes.load(relaxed),
            .bytes = impl_->bytes.load(relaxed),
            .retry_tokens = impl_->budget.available()};
}

void client::cancel() {
    asio::dispatch(impl_->strand, [self = impl_] {
        for (call_state* c : self->calls) c->signal.emit(asio::cancellation_type::terminal);
    });
}

void client::impl::start(list_request req, instance_page storage, error_info* diag,
                         asio::any_completion_handler<list_signature> handler) {
    auto slot = asio::get_associated_cancellation_slot(handler);
    auto hex = asio::get_associated_executor(handler, ex);
    auto call = std::make_shared<call_state>();
    if (slot.is_connected()) {
        // The caller may emit from its own context: the call's signal is emitted on the strand.
        slot.assign([call, strand = strand](asio::cancellation_type t) {
            asio::post(strand, [call, t] { call->signal.emit(t); });
        });
    }
    auto self = shared_from_this();
    auto info = std::make_shared<error_info>();
    asio::co_spawn(
        strand,
        [self, info, call, req = std::move(req), storage = std::move(storage)]() mutable {
            return self->run(std::move(req), std::move(storage), *info, *call);
        },
        asio::bind_cancellation_slot(
            call->signal.slot(),
            asio::bind_executor(hex, [h = std::move(handler), info, diag, slot, call](
                                         std::exception_ptr ep, instance_page page) mutable {
                if (slot.is_connected()) slot.clear();
                if (ep) {  // run() reports errors by value; only cancellation before it started,
                           // and resource exhaustion, get here
                    try {
                        std::rethrow_exception(ep);
                    } catch (boost::system::system_error const& e) {
                        *info = make_error(e.code(), e.code() == asio::error::operation_aborted
                                                         ? "cancelled"
                                                         : e.code().message());
                    } catch (std::bad_alloc const&) {
                        *info = make_error(make_error_code(boost::system::errc::not_enough_memory), "out of memory");
                    } catch (std::exception const& e) {
                        *info = make_error(make_error_code(boost::system::errc::io_error), e.what());
                    }
                }
                error_code const ec = info->code;
                if (diag) *diag = std::move(*info);
                if (ec) page = instance_page{};
                std::move(h)(ec, std::move(page));
            })));
}

void client::start_list(list_request req, instance_page recycled, error_info* diag,
                        asio::any_completion_handler<list_signature> handler) {
    impl_->start(std::move(req), std::move(recycled), diag, std::move(handler));
}

asio::awaitable<instance_page> client::list_instances(list_request req) {
    return list_instances(std::move(req), instance_page{});
}

asio::awaitable<instance_page> client::list_instances(list_request req, instance_page recycled) {
    error_info diag;
    auto [ec, page] = co_await async_list_instances(std::move(req), std::move(recycled), diag,
                                                    asio::as_tuple(asio::use_awaitable));
    if (ec) {
        if (!diag.code) diag = make_error(ec, ec.message());
        throw api_error(std::move(diag));
    }
    co_return std::move(page);
}

}  // namespace apig
