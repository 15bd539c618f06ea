// One attempt: take a connection, send the signed request, read and decode the answer, map
// what went wrong to an error.
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
    if (deadline < own) return {deadline, deadline_name()};
    return {own, std::string(name) + " = " + ms_text(step)};
}

std::string client::impl::deadline_name() const {
    return "timeouts.total = " + ms_text(opts.timeouts.total) + ", the call's overall deadline";
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

}  // namespace apig
