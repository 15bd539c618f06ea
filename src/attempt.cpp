// One attempt: take a slot of the pool, let the lease connect and exchange (it owns the
// connection's lifecycle: connect, reuse, the stale keep-alive replay, discard), then map what
// came back (a transport error or a non-200 status) to an error.
#include "client_impl.hpp"
#include "error_detail.hpp"
#include "http/pool.hpp"
#include "auth/authorize.hpp"

namespace apig {
using detail_client::attempt_result;
namespace asio = boost::asio;
using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;

std::string client::impl::authorized(std::string_view target, credentials const& c, std::string_view project_id) const {
    std::string msg;
    msg.reserve(512);
    msg.append("GET ").append(target).append(" HTTP/1.1\r\n").append(request_headers);
    for (auto& [name, value] :
         auth::authorization_headers(c, "GET", target, host.host_header, now(), project_id))
        msg.append(name).append(": ").append(value).append("\r\n");
    msg.append("\r\n");
    return msg;
}

http::step_limit client::impl::limit(milliseconds step, char const* name, steady::time_point deadline) const {
    auto const own = steady::now() + step;
    if (deadline < own) return {deadline, call_env.deadline_name};
    return {own, std::string(name) + " = " + ms_text(step)};
}


asio::awaitable<attempt_result> client::impl::attempt(std::string const& msg, steady::time_point deadline,
                                                      credentials const& used, instance_page storage,
                                                      http::page_refill const* refill) {
    attempt_result r;
    r.page = std::move(storage);
    auto [aec, lease] = co_await pool.acquire(deadline);
    if (aec) {
        r.error = aec == errc::timed_out
                      ? make_error(errc::timed_out, "waiting for a free connection (pool.max_connections = " +
                                                        std::to_string(opts.pool.max_connections) +
                                                        "): timed out (" + call_env.deadline_name + ")")
                      : make_error(aec, "waiting for a connection: cancelled");
        co_return r;
    }
    auto const start = steady::now();
    auto const secrets = auth::attempt_secrets(used, msg);
    http::lease_env const env{
        .host = host,
        .limit = [this, deadline](http::step s) {
            switch (s) {
            case http::step::connect: return limit(opts.timeouts.connect, "timeouts.connect", deadline);
            case http::step::handshake: return limit(opts.timeouts.handshake, "timeouts.handshake", deadline);
            case http::step::exchange: break;
            }
            return limit(opts.timeouts.attempt, "timeouts.attempt", deadline);
        },
        .requests = requests,
        .replays = replays,
        .bytes = bytes,
        .log = [this](log_level level, std::string const& line) { log(level, line); },
        .refill = refill,
    };
    r.page.request_id.clear();  // the decoder replaces the rest, keeping the storage
    auto e = co_await lease.exchange(env, msg, r.page, opts.max_body_bytes, r.out, secrets);
    r.reused = lease.reused();
    if (e) {
        add_request_id(e, r.out.request_id, secrets);
        if (e.http_status == 0) e.http_status = r.out.status;  // a proxy's refusal has its own
        r.error = std::move(e);
    } else if (r.out.status != 200) {
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
    r.latency = steady::now() - start;
    co_return r;
}

}  // namespace apig
