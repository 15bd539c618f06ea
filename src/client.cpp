// The client's façade: options checked once, the shared state built, calls started on the
// client's strand (the call itself is call.cpp, one attempt attempt.cpp).
#include <apig/client.hpp>
#include <apig/environment.hpp>
#include <apig/region.hpp>
#include <apig/version.hpp>

#include "client_impl.hpp"
#include "error_detail.hpp"
#include "http/connection.hpp"
#include "http/pool.hpp"
#include "http/proxy.hpp"
#include "http/tls.hpp"
#include "auth/authorize.hpp"
#include "auth/iam.hpp"
#include "retry_detail.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>

namespace apig {
using detail_client::call_state;
namespace asio = boost::asio;
using boost::system::error_code;
using std::chrono::milliseconds;


namespace {

// The token or key pair of options that hold no provider, trimmed.
credentials fixed_credentials(client_credentials const& c) {
    if (auto const* t = std::get_if<token_credentials>(&c)) return auth::trimmed(*t);
    return auth::trimmed(std::get<aksk_credentials>(c));
}

// `https://host[:port]` → where to connect. Anything else is refused with the reason.
http::target_host parse_endpoint(std::string const& endpoint, tls_options const& tls, bool allow_http,
                                 std::string const& name = "endpoint") {
    if (endpoint.empty()) throw_invalid_argument(name + " must be set (https://host[:port])");
    // The caller's text, as it may reach a log or a terminal: no control or bidi character.
    std::string const shown = printable(endpoint, 256);
    auto r = boost::urls::parse_absolute_uri(endpoint);
    if (!r)
        throw_invalid_argument(name + " '" + shown +
                               "' is not an absolute URL (https://host[:port] expected)");
    auto const& u = *r;
    bool const plain = u.scheme_id() == boost::urls::scheme::http;
    if (plain && !allow_http)
        throw_invalid_argument(name + " '" + shown +
                               "': http:// sends the credentials in clear text; use https:// (or set "
                               "allow_insecure_http for a test server you control)");
    if (!plain && u.scheme_id() != boost::urls::scheme::https)
        throw_invalid_argument(name + " '" + shown + "': the scheme must be https");
    if (u.has_userinfo()) throw_invalid_argument(name + ": user info is not allowed");
    if (u.has_query() || u.has_fragment())
        throw_invalid_argument(name + " '" + shown + "': a query or fragment is not allowed");
    if (!u.encoded_path().empty() && u.encoded_path() != "/")
        throw_invalid_argument(name + " '" + shown + "': a path is not allowed (https://host[:port])");
    http::target_host t;
    switch (u.host_type()) {
    case boost::urls::host_type::name: t.host = u.host_name(); break;
    case boost::urls::host_type::ipv4:
    case boost::urls::host_type::ipv6: t.host = u.host_address(); break;
    default: throw_invalid_argument(name + " '" + shown + "': a host name or IP address is required");
    }
    if (t.host.empty()) throw_invalid_argument(name + " '" + shown + "': the host is empty");
    if (u.has_port() && u.port_number() == 0)
        throw_invalid_argument(name + " '" + shown + "': the port must be 1..65535");
    t.port = u.has_port() ? std::string(u.port()) : plain ? "80" : "443";
    t.tls = !plain;
    t.host_header = std::string(u.encoded_host_and_port());
    t.tls_name = tls.server_name;
    t.verify = !tls.insecure_skip_verify;
    return t;
}

// The proxy of `o.proxy`, checked; null when none is set.
std::shared_ptr<http::proxy_route const> configured_proxy(client_options const& o) {
    if (!o.proxy.enabled()) return nullptr;
    auto parsed = http::parse_proxy(o.proxy);
    if (auto const* why = std::get_if<std::string>(&parsed)) throw_invalid_argument(*why);
    return std::make_shared<http::proxy_route const>(std::get<http::proxy_route>(std::move(parsed)));
}

// The endpoint (as parse_endpoint), through `proxy` unless its no_proxy list names the
// endpoint's host. An http:// endpoint is not proxied (refused when the proxy applies to it):
// its requests would go to the proxy in absolute form, in clear text, and the API is https
// only; a test server on http:// is reached directly by naming it in no_proxy.
http::target_host proxied_endpoint(client_options const& o, std::shared_ptr<http::proxy_route const> const& proxy) {
    auto t = parse_endpoint(o.endpoint, o.tls, o.allow_insecure_http);
    if (!proxy || http::bypasses(*proxy, t.host)) return t;
    if (!t.tls)
        throw_invalid_argument("endpoint '" + printable(o.endpoint, 256) +
                               "': an http:// endpoint is not sent through a proxy (proxy.url is set); "
                               "use https://, or name its host in proxy.no_proxy");
    t.proxy = proxy;
    return t;
}

// The TLS context for an https:// proxy, made from proxy.tls; null for none or an http:// one.
std::shared_ptr<asio::ssl::context> proxy_context(std::shared_ptr<http::proxy_route const> const& proxy) {
    if (!proxy || !proxy->tls) return nullptr;
    try {
        return http::shared_client_context(proxy->tls_opts);
    } catch (api_error const& e) {
        throw_invalid_argument(std::string("proxy.tls: ") + e.info().message);
    }
}

// Jitter: the test seam's, else uniform in [0, 1) from the client's generator (on the strand).
std::function<double()> random_source(retry_policy const& p, std::mt19937_64& rng) {
    if (auto const* s = detail::seams_of(p); s && s->random) return s->random;
    return [&rng] { return std::uniform_real_distribution<double>(0.0, 1.0)(rng); };
}

// An HTTP field name: a non-empty token (RFC 9110 section 5.6.2).
bool is_token(std::string_view s) noexcept {
    constexpr std::string_view specials = "!#$%&'*+-.^_`|~";
    return !s.empty() && std::all_of(s.begin(), s.end(), [&](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               specials.find(c) != std::string_view::npos;
    });
}

// Headers the client writes itself (or that would change how the message is framed or
// answered): an extra header may not set them.
constexpr std::string_view reserved_headers[] = {
    "Host", "User-Agent", "Accept", "Accept-Encoding", "Authorization", "X-Auth-Token",
    "X-Sdk-Date", "X-Security-Token", "X-Project-Id", "Content-Length", "Transfer-Encoding",
    "Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Upgrade", "Expect"};

// A value is never quoted in a message: it may be something the caller would not log.
void check_extra_headers(client_options const& o) {
    if (!auth::header_value_ok(o.user_agent_suffix))
        throw_invalid_argument("user_agent_suffix contains a control character (CR, LF, NUL, ...)");
    for (std::size_t i = 0; i < o.extra_headers.size(); ++i) {
        auto const& [name, value] = o.extra_headers[i];
        std::string const which = "extra_headers[" + std::to_string(i) + "]";
        if (!is_token(name))
            throw_invalid_argument(which + ": '" + printable(name, 64) +
                                   "' is not a valid header name (letters, digits and !#$%&'*+-.^_`|~ only)");
        for (std::string_view r : reserved_headers)
            if (boost::beast::iequals(name, r))
                throw_invalid_argument(which + ": " + std::string(r) + " is set by the client and cannot be added" +
                                       (r == "User-Agent" ? " (use user_agent_suffix)" : ""));
        if (!auth::header_value_ok(value))
            throw_invalid_argument(which + " (" + name + "): the value contains a control character (CR, LF, NUL, ...)");
    }
}

// An IAM endpoint (option, environment, profile): https://host[:port], or http:// when
// allowed. The same rules as the API endpoint; `origin` names where it came from.
void check_iam_endpoint(std::string const& endpoint, std::string const& origin, bool allow_http) {
    (void)parse_endpoint(endpoint, tls_options{}, allow_http, origin);
}

client_options checked(client_options o) {
    if (!o.region.empty()) {
        if (!o.endpoint.empty()) throw_invalid_argument("set endpoint or region, not both");
        auto endpoints = region_endpoints(o.region);
        if (endpoints.empty()) throw api_error(region_error(o.region));
        o.endpoint = endpoints.front();
        if (endpoints.size() > 1 && o.log && o.log_min_level <= log_level::info) {
            std::string line = "region " + printable(o.region, 64) + ": " + auth::region_env_name(o.region) +
                               " lists " + std::to_string(endpoints.size()) + " endpoints; using the first, " +
                               printable(endpoints.front(), 256) + "; not used:";
            for (std::size_t i = 1; i < endpoints.size(); ++i) line += " " + printable(endpoints[i], 256);
            try {
                o.log(log_level::info, line);
            } catch (...) {
            }
        }
    }
    bool const provider = std::holds_alternative<std::shared_ptr<credentials_provider>>(o.credentials);
    bool const key_pair = std::holds_alternative<aksk_credentials>(o.credentials);
    if (o.project_id.empty() && !provider && !(key_pair && !o.region.empty()))
        throw_invalid_argument(
            "project_id must not be empty (it can be found only with region set and a key pair, "
            "or from a credentials provider)");
    if (!auth::header_value_ok(o.project_id))
        throw_invalid_argument("project_id contains a control character (CR, LF, NUL, ...)");
    if (!o.iam_endpoint.empty()) {
        o.iam_endpoint = auth::normalized_iam_endpoint(o.iam_endpoint);
        check_iam_endpoint(o.iam_endpoint, "iam_endpoint", o.allow_insecure_http);
    }
    if (auto const* p = std::get_if<std::shared_ptr<credentials_provider>>(&o.credentials)) {
        if (!*p) throw_invalid_argument("credentials: the credentials provider is null");
    } else if (auto why = auth::problem(fixed_credentials(o.credentials)); !why.empty()) {
        throw_invalid_argument("credentials: " + why);
    }
    if (!auth::header_value_ok(o.tls.server_name))
        throw_invalid_argument("tls.server_name contains a control character (CR, LF, NUL, ...)");
    check_extra_headers(o);
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

// The client's limiter: the shared one, else its own (null when off). Throws api_error for
// bad rate_limit options.
std::shared_ptr<rate_limiter> rate_limiter_of(client_options const& o) {
    if (o.shared_rate_limiter) return o.shared_rate_limiter->enabled() ? o.shared_rate_limiter : nullptr;
    auto own = std::make_shared<rate_limiter>(o.rate_limit);
    return own->enabled() ? own : nullptr;
}

std::string limiter_name(rate_limiter const& l, bool shared) {
    char rate[32];
    std::snprintf(rate, sizeof rate, "%g", l.options().requests_per_second);
    return std::string(shared ? "shared_rate_limiter" : "rate_limit") + ": " + rate + " requests/s, burst " +
           std::to_string(l.options().burst);
}

}  // namespace


client::impl::impl(asio::any_io_executor e, client_options o)
    : ex(std::move(e)),
      strand(o.thread_safe ? asio::any_io_executor(asio::make_strand(ex)) : ex),
      opts(std::move(o)),
      proxy(configured_proxy(opts)),
      host(proxied_endpoint(opts, proxy)),
      shared_ctx(http::shared_client_context(opts.tls)),
      ctx(*shared_ctx),
      proxy_ctx(proxy_context(proxy)),
      pool(strand, ctx,
           {opts.pool.max_connections, opts.pool.idle_timeout, opts.pool.max_requests_per_connection,
            proxy_ctx.get()},
           counters),
      budget(opts.shared_retry_budget ? opts.shared_retry_budget
                                      : std::make_shared<retry_budget>(opts.retry_budget)),
      limiter(rate_limiter_of(opts)),
      rng(std::random_device{}()),
      call_env{.policy = opts.retry,
               .budget = *budget,
               .total = opts.timeouts.total,
               .deadline_name =
                   "timeouts.total = " + ms_text(opts.timeouts.total) + ", the call's overall deadline",
               .refreshable = std::holds_alternative<std::shared_ptr<credentials_provider>>(opts.credentials),
               .random = random_source(opts.retry, rng),
               .wall_clock = [this] { return now(); },
               .limiter = limiter.get(),
               .limiter_name = limiter ? limiter_name(*limiter, opts.shared_rate_limiter != nullptr) : ""} {
    if (auto const* p = std::get_if<std::shared_ptr<credentials_provider>>(&opts.credentials))
        provider = *p;
    else
        fixed = fixed_credentials(opts.credentials);
    project_discoverable = opts.project_id.empty();
    if (char const* v = std::getenv(env_iam_endpoint.data()); v && *v && opts.iam_endpoint.empty())
        iam_endpoint_env = auth::normalized_iam_endpoint(v);
    // Every value here was validated (no CR, LF or other control character): the request is
    // written as bytes, without a serializer.
    request_headers = "Host: " + host.host_header + "\r\nUser-Agent: apig-cpp/" APIG_VERSION_STRING;
    if (!opts.user_agent_suffix.empty()) request_headers.append(" ").append(opts.user_agent_suffix);
    request_headers += "\r\nAccept: application/json\r\n";
    for (auto const& [name, value] : opts.extra_headers)
        request_headers.append(name).append(": ").append(value).append("\r\n");
}

std::chrono::system_clock::time_point client::impl::now() const {
    return opts.clock ? opts.clock() : std::chrono::system_clock::now();
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
            .retry_tokens = impl_->budget->available(),
            .rate_limited = impl_->rate_limited.load(relaxed),
            .rate_limit_wait = std::chrono::microseconds(impl_->rate_wait_us.load(relaxed)),
            .handshakes = c.handshakes.load(relaxed),
            .resumed_handshakes = c.resumed_handshakes.load(relaxed)};
}

void client::cancel() {
    asio::dispatch(impl_->strand, [self = impl_] {
        for (call_state* c : self->calls) c->signal.emit(asio::cancellation_type::terminal);
    });
}

void client::impl::start(list_request req, instance_page storage, error_info* diag,
                         asio::any_completion_handler<list_signature> handler, http::page_refill refill) {
    auto slot = asio::get_associated_cancellation_slot(handler);
    auto hex = asio::get_associated_executor(handler, ex);
    auto call = std::make_shared<call_state>();
    call->refill = std::move(refill);
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
