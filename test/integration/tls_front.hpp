#pragma once

// A TLS-terminating front for testing `https://` proxies: it listens on 127.0.0.1 (port 0, a
// free port), presents a certificate from a throwaway CA (emulator::make_tls_material), and
// relays the decrypted bytes of each TLS connection both ways to a plain TCP port on 127.0.0.1
// (a tinyproxy's), so that "TLS to the proxy, then CONNECT inside" can be tested with the real
// tinyproxy, which speaks plain HTTP only:
//
//     apig::test::tinyproxy proxy;
//     apig::test::tls_front front(proxy.port());
//     // client: proxy URL front.url() ("https://127.0.0.1:<port>"), trusting front.ca_pem()
//
// What a test author must know:
//  - One backend connection per accepted TLS connection, opened after the TLS handshake
//    succeeds; a backend that refuses makes the front close the client's connection.
//  - When either side ends (EOF, error, close_notify), the front stops relaying in both
//    directions, sends close_notify to the client (waiting at most 2 s for the client's),
//    then closes both sockets. Half-close is not relayed (tinyproxy's tunnels do not keep
//    half-closed connections open either).
//  - Bounded: two fixed 16 KiB buffers per connection; no other buffering.
//  - The certificate covers cert options' names (default: DNS "localhost" and "proxy.test",
//    IP 127.0.0.1 and ::1); pass tls_front_options::cert to test name mismatches.
//  - It runs on its own thread and io_context; every member function is thread-safe.
//    Destroying it stops that thread and drops every connection at once.

#include <apig/emulator.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

namespace apig::test {

struct tls_front_options {
    /// What the front's certificate says.
    emulator::cert_options cert{.dns_names = {"localhost", "proxy.test"},
                                .ip_addresses = {"127.0.0.1", "::1"}};
    /// How long to wait for the client's close_notify after sending ours.
    std::chrono::milliseconds close_notify_timeout{2000};
};

class tls_front {
public:
    /// Starts serving on 127.0.0.1:<free port>, relaying to 127.0.0.1:`backend_port`.
    /// Throws std::runtime_error if the certificate cannot be made, boost::system::system_error
    /// if the listener cannot be opened.
    explicit tls_front(std::uint16_t backend_port, tls_front_options opts = {})
        : opts_(std::move(opts)),
          backend_(boost::asio::ip::make_address_v4("127.0.0.1"), backend_port),
          tls_(emulator::make_tls_material(opts_.cert)),
          ctx_(boost::asio::ssl::context::tls_server),
          acceptor_(io_, {boost::asio::ip::make_address_v4("127.0.0.1"), 0}) {
        ctx_.use_certificate_chain(boost::asio::buffer(tls_.server_cert_pem));
        ctx_.use_private_key(boost::asio::buffer(tls_.server_key_pem), boost::asio::ssl::context::pem);
        port_ = acceptor_.local_endpoint().port();
        boost::asio::co_spawn(io_, accept_loop(), boost::asio::detached);
        thread_ = std::thread([this] { io_.run(); });
    }

    tls_front(tls_front const&) = delete;
    tls_front& operator=(tls_front const&) = delete;

    ~tls_front() {
        io_.stop();
        thread_.join();
    }

    std::uint16_t port() const noexcept { return port_; }
    /// "https://127.0.0.1:<port>".
    std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }
    /// The CA a client must trust.
    std::string const& ca_pem() const noexcept { return tls_.ca_cert_pem; }
    /// TCP connections accepted so far (whether or not their TLS handshake then succeeded).
    std::size_t accepted() const noexcept { return accepted_; }
    /// TLS handshakes that succeeded so far.
    std::size_t handshakes() const noexcept { return handshakes_; }
    /// Connections the front has closed (relay ended, failed handshake or backend refused).
    std::size_t finished() const noexcept { return finished_; }
    /// Waits (condition variable, no polling) until finished() >= n; false on timeout.
    bool wait_for_finished(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, timeout, [&] { return finished_ >= n; });
    }

private:
    using tcp = boost::asio::ip::tcp;
    using tls_stream = boost::asio::ssl::stream<tcp::socket>;
    static constexpr std::size_t buffer_size = 16 * 1024;

    struct tunnel {
        explicit tunnel(tcp::socket s, boost::asio::ssl::context& ctx)
            : tls(std::move(s), ctx), back(tls.get_executor()) {}
        tls_stream tls;
        tcp::socket back;
        std::array<char, buffer_size> up{};    // client -> backend
        std::array<char, buffer_size> down{};  // backend -> client
        int pumps = 2;
    };

    boost::asio::awaitable<void> accept_loop() {
        constexpr auto tuple = boost::asio::as_tuple(boost::asio::use_awaitable);
        for (;;) {
            auto [ec, sock] = co_await acceptor_.async_accept(tuple);
            if (ec) {
                if (ec == boost::asio::error::operation_aborted) co_return;
                continue;  // e.g. EMFILE: try again
            }
            ++accepted_;
            boost::asio::co_spawn(io_, serve(std::make_shared<tunnel>(std::move(sock), ctx_)),
                                  boost::asio::detached);
        }
    }

    boost::asio::awaitable<void> serve(std::shared_ptr<tunnel> t) {
        constexpr auto tuple = boost::asio::as_tuple(boost::asio::use_awaitable);
        auto [hs] = co_await t->tls.async_handshake(boost::asio::ssl::stream_base::server, tuple);
        if (hs) {
            close(*t);
            co_return;
        }
        ++handshakes_;
        auto [conn] = co_await t->back.async_connect(backend_, tuple);
        if (conn) {
            close(*t);
            co_return;
        }
        boost::asio::co_spawn(io_, pump_up(t), boost::asio::detached);
        boost::asio::co_spawn(io_, pump_down(t), boost::asio::detached);
    }

    // client -> backend
    boost::asio::awaitable<void> pump_up(std::shared_ptr<tunnel> t) {
        constexpr auto tuple = boost::asio::as_tuple(boost::asio::use_awaitable);
        for (;;) {
            auto [rec, n] = co_await t->tls.async_read_some(boost::asio::buffer(t->up), tuple);
            if (rec) break;
            auto [wec, m] = co_await boost::asio::async_write(t->back, boost::asio::buffer(t->up.data(), n), tuple);
            (void)m;
            if (wec) break;
        }
        co_await pump_done(t);
    }

    // backend -> client
    boost::asio::awaitable<void> pump_down(std::shared_ptr<tunnel> t) {
        constexpr auto tuple = boost::asio::as_tuple(boost::asio::use_awaitable);
        for (;;) {
            auto [rec, n] = co_await t->back.async_read_some(boost::asio::buffer(t->down), tuple);
            if (rec) break;
            auto [wec, m] = co_await boost::asio::async_write(t->tls, boost::asio::buffer(t->down.data(), n), tuple);
            (void)m;
            if (wec) break;
        }
        co_await pump_done(t);
    }

    // The first pump to end cancels the other's pending operation; the last one shuts down.
    // (All on the one io_context thread: no locking.)
    boost::asio::awaitable<void> pump_done(std::shared_ptr<tunnel> t) {
        if (--t->pumps > 0) {
            boost::system::error_code ignored;
            t->tls.next_layer().cancel(ignored);
            t->back.cancel(ignored);
            co_return;
        }
        boost::system::error_code ignored;
        t->back.close(ignored);
        // close_notify to the client, bounded: the timer closes the socket if the client does
        // not answer in time, which ends the shutdown.
        boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, opts_.close_notify_timeout);
        timer.async_wait([t](boost::system::error_code ec) {
            boost::system::error_code ignored2;
            if (!ec) t->tls.next_layer().close(ignored2);
        });
        co_await t->tls.async_shutdown(boost::asio::as_tuple(boost::asio::use_awaitable));
        timer.cancel();
        close(*t);
    }

    void close(tunnel& t) {
        boost::system::error_code ignored;
        t.tls.next_layer().close(ignored);
        t.back.close(ignored);
        {
            std::lock_guard lock(mutex_);
            ++finished_;
        }
        cv_.notify_all();
    }

    tls_front_options opts_;
    tcp::endpoint backend_;
    emulator::tls_material tls_;
    boost::asio::ssl::context ctx_;
    boost::asio::io_context io_;  // after ctx_: destroyed (with every pending tunnel) first
    tcp::acceptor acceptor_;
    std::uint16_t port_ = 0;
    std::thread thread_;
    std::atomic<std::size_t> accepted_{0};
    std::atomic<std::size_t> handshakes_{0};
    std::atomic<std::size_t> finished_{0};
    mutable std::mutex mutex_;
    mutable std::condition_variable cv_;
};

}  // namespace apig::test
