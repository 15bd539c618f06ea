// The emulator's connections: the accept loop, and one coroutine per connection reading
// requests, answering them (routing.cpp decides the answer) and applying what the faults
// change in how an answer is written: the delay, a reset or truncated body, a close after
// K responses.

#include "server_impl.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_prefix.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>

#include <openssl/ssl.h>

#include <array>
#include <exception>

namespace apig::emulator {

using namespace detail;

namespace {

using tls_stream = asio::ssl::stream<beast::tcp_stream>;

constexpr std::string_view content_type = "application/json;charset=UTF-8";

}  // namespace

void server::impl::make_request_id(char* out) noexcept {
    // The first half is a bijection of a counter, so ids never repeat within a server;
    // the salt keeps two servers (or runs) from sharing ids.
    std::uint64_t const n = request_counter.fetch_add(1, std::memory_order_relaxed);
    put_hex64(out, fmix64(n ^ request_id_salt[0]));
    put_hex64(out + 16, fmix64(n + request_id_salt[1]));
}

void server::impl::finish(reply& rep, connection_buffers& bufs, std::string_view request_id,
                          bool keep_alive, bool head_only) {
    // Written by hand rather than with Beast's serializer: the body is a buffer sequence
    // pointing into the shared dataset, which a Beast body type would copy or re-wrap.
    std::string& h = bufs.head;
    h.clear();
    h += "HTTP/1.1 ";
    append_number(h, rep.status);
    h += ' ';
    h += http::obsolete_reason(static_cast<http::status>(rep.status));
    h += "\r\nServer: apig-emulator\r\nContent-Type: ";
    h += content_type;
    h += "\r\nContent-Length: ";
    append_number(h, rep.prefix.size() + rep.middle.size() + rep.tail.size());
    h += "\r\nX-Request-Id: ";
    h += request_id;
    if (rep.iam) {
        h += "\r\nX-IAM-Trace-Id: ";
        h += request_id;
    }
    if (rep.allow_header) h += "\r\nAllow: GET";
    if (rep.retry_after) {
        h += "\r\nRetry-After: ";
        append_number(h, *rep.retry_after);
    }
    h += keep_alive ? "\r\nConnection: keep-alive\r\n\r\n" : "\r\nConnection: close\r\n\r\n";
    if (head_only) {
        rep.middle = {};
        rep.tail = {};
    } else {
        h += rep.prefix;
    }
}

asio::awaitable<void> server::impl::session(tcp::socket socket, std::uint64_t connection_id,
                                            gauge_hold open) {
    // `open` counts the connection from accept until the server starts closing it.
    beast::error_code ec;
    tls_stream stream(std::move(socket), ssl_ctx);
    auto& tcp_layer = stream.next_layer();

    tcp_layer.expires_after(opts.idle_timeout);
    co_await stream.async_handshake(asio::ssl::stream_base::server,
                                    asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    handshakes.fetch_add(1, std::memory_order_relaxed);
    if (SSL_session_reused(stream.native_handle()) == 1)
        resumed_handshakes.fetch_add(1, std::memory_order_relaxed);

    connection_buffers bufs;
    bufs.head.reserve(1024);
    reply rep;
    rep.prefix.reserve(64);
    std::optional<asio::steady_timer> delay_timer;
    std::optional<fault_context> fault_storage;
    bool graceful_close = true;

    for (std::size_t count = 1;; ++count) {
        http::request_parser<http::string_body> parser;
        parser.header_limit(16 * 1024);
        parser.body_limit(1024 * 1024);

        tcp_layer.expires_after(opts.idle_timeout);
        co_await http::async_read(stream, bufs.read, parser,
                                  asio::redirect_error(asio::use_awaitable, ec));
        bool malformed = false;
        if (ec) {
            // A closed, reset or idle connection ends quietly; only a message that is not
            // HTTP gets an answer (400, then close).
            if (ec.category() != http::make_error_code(http::error::bad_target).category() ||
                ec == http::error::end_of_stream || ec == http::error::partial_message) {
                graceful_close = ec == http::error::end_of_stream;
                break;
            }
            malformed = true;
        }
        gauge_hold busy(in_flight_now, in_flight_high);
        fault_context* const fc = faults.load(fault_storage, connection_id);

        recorded_request rec;
        rec.at = std::chrono::steady_clock::now();
        rec.connection_id = connection_id;
        char rid[32];
        make_request_id(rid);

        rep = reply{};
        bool keep_alive = false;
        bool head_only = false;
        if (malformed) {
            if (parser.is_header_done()) {
                rec.method = parser.get().method_string();
                rec.target = parser.get().target();
            }
            set_error(bad_request, bufs, rep, std::string_view(rid, 32));
        } else {
            auto const& req = parser.get();
            rec.method = req.method_string();
            rec.target = req.target();
            if (auto it = req.find(http::field::user_agent); it != req.end())
                rec.user_agent = it->value();
            if (auto it = req.find(http::field::accept); it != req.end())
                rec.accept = it->value();
            try {
                handle(req, bufs, rep, rec, std::string_view(rid, 32), fc);
            } catch (std::exception const&) {
                // Only allocation failure can get here; answer rather than drop the client.
                rep = reply{};
                set_error(injected_error(500), bufs, rep, std::string_view(rid, 32));
            }
            keep_alive = req.keep_alive() && (opts.max_requests_per_connection == 0 ||
                                              count < opts.max_requests_per_connection);
            head_only = req.method() == http::verb::head;
        }
        // close_after_requests: close after this response although it says keep-alive.
        bool const close_after = fc != nullptr && fc->o.close_after_requests != 0 &&
                                 count >= fc->o.close_after_requests && keep_alive;
        rec.status = rep.status;
        rec.fault = rep.fault == fault_kind::none && close_after ? fault_kind::closed_after
                                                                 : rep.fault;
        finish(rep, bufs, std::string_view(rid, 32), keep_alive, head_only);
        // Counted and recorded before the write: a client that has read the response may
        // look at the counters at once.
        log.record(std::move(rec));

        auto const delay =
            std::chrono::milliseconds(delay_ms.load(std::memory_order_relaxed)) + rep.fault_delay;
        if (delay.count() > 0) {
            if (!delay_timer) delay_timer.emplace(stream.get_executor());
            delay_timer->expires_after(delay);
            co_await delay_timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
        }
        busy.release();

        std::array<asio::const_buffer, 3> const out{asio::buffer(bufs.head),
                                                   asio::buffer(rep.middle),
                                                   asio::buffer(rep.tail)};
        tcp_layer.expires_after(opts.idle_timeout);
        if (rep.fault == fault_kind::reset || rep.fault == fault_kind::truncate) {
            // The status line and headers, then the first half of the body (whose start,
            // the prefix, finish() put at the end of the head).
            std::size_t const headers = bufs.head.size() - rep.prefix.size();
            std::size_t const body = rep.prefix.size() + rep.middle.size() + rep.tail.size();
            co_await asio::async_write(stream, beast::buffers_prefix(headers + body / 2, out),
                                       asio::redirect_error(asio::use_awaitable, ec));
            if (ec || rep.fault == fault_kind::reset) {
                graceful_close = false;
                if (!ec) {
                    // TCP RST: no close_notify, and a zero linger makes close() reset.
                    tcp_layer.socket().set_option(asio::socket_base::linger(true, 0), ec);
                    open.release();
                    tcp_layer.close();
                    co_return;
                }
            }
            break;  // truncate: close_notify, then close
        }
        co_await asio::async_write(stream, out, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            graceful_close = false;
            break;
        }
        if (!keep_alive || close_after) break;
    }

    open.release();
    if (graceful_close) {
        // close_notify, so the client sees a clean end of stream after `Connection: close`;
        // bounded, since a client may never answer it.
        tcp_layer.expires_after(std::chrono::seconds(2));
        co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
    } else {
        // The client went away without close_notify (as most clients close a kept-alive
        // connection): a quiet shutdown, as Apache's mod_ssl does, so that OpenSSL keeps the
        // session in the server's cache and a TLS 1.2 client can resume it by session id
        // (freed without it, the session would be dropped as "bad").
        SSL_set_shutdown(stream.native_handle(), SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    }
    tcp_layer.socket().shutdown(tcp::socket::shutdown_both, ec);
    tcp_layer.close();
}

asio::awaitable<void> server::impl::accept_loop() {
    asio::steady_timer backoff(acceptor->get_executor());
    for (;;) {
        beast::error_code ec;
        tcp::socket socket = co_await acceptor->async_accept(
            asio::make_strand(*ioc), asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
            // Out of descriptors and the like: wait rather than spin.
            backoff.expires_after(std::chrono::milliseconds(50));
            co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            continue;
        }
        // Small responses (and the last piece of a large one) must not wait for Nagle.
        socket.set_option(tcp::no_delay(true), ec);
        std::uint64_t const id = connections.fetch_add(1, std::memory_order_relaxed) + 1;
        auto executor = socket.get_executor();
        asio::co_spawn(executor, session(std::move(socket), id, gauge_hold(open_now, open_high)),
                       asio::detached);
    }
}

}  // namespace apig::emulator
