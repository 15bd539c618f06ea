#pragma once

// A scripted HTTP CONNECT proxy for tests of what the client does with a proxy that
// misbehaves: connection N (in accept order) gets step N of the script (the last step repeats):
// answer CONNECT with exact bytes (then close or stay silent), never answer, or answer 200 and
// relay to the target the CONNECT line names (127.0.0.1 only). It records every CONNECT head it
// received. It runs on its own thread and io_context; all members are safe to call from the
// test thread. (The real proxy the tests also use is tinyproxy: tinyproxy.hpp.)

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace apig::test {

class scripted_proxy {
public:
    struct step {
        /// Written as the answer to CONNECT (ignored when `relay`).
        std::string answer{};
        /// Answer "HTTP/1.1 200 Connection established" and relay both ways to the target.
        bool relay = false;
        /// Keep the connection open without answering (after `answer`, if any).
        bool silent = false;
    };

    static step relay() { return {.answer = {}, .relay = true, .silent = false}; }
    static step answer(std::string bytes) { return {.answer = std::move(bytes), .relay = false, .silent = false}; }

    explicit scripted_proxy(std::vector<step> script)
        : script_(std::move(script)), acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
        boost::asio::co_spawn(io_, accept_loop(), boost::asio::detached);
        thread_ = std::thread([this] { io_.run(); });
    }
    ~scripted_proxy() {
        io_.stop();
        thread_.join();
    }
    scripted_proxy(scripted_proxy const&) = delete;
    scripted_proxy& operator=(scripted_proxy const&) = delete;

    unsigned short port() const { return acceptor_.local_endpoint().port(); }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port()); }
    std::size_t connections() const { return connections_; }
    /// Every CONNECT head (request line and fields) received, in order.
    std::vector<std::string> heads() const {
        std::lock_guard lock(mutex_);
        return heads_;
    }

private:
    using tcp = boost::asio::ip::tcp;
    static constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::use_awaitable);

    boost::asio::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, sock] = co_await acceptor_.async_accept(use_tuple);
            if (ec) co_return;
            std::size_t const n = connections_++;
            step const s = script_.empty() ? relay() : script_[std::min(n, script_.size() - 1)];
            boost::asio::co_spawn(io_, serve(std::make_shared<tcp::socket>(std::move(sock)), s), boost::asio::detached);
        }
    }

    boost::asio::awaitable<void> serve(std::shared_ptr<tcp::socket> client, step s) {
        std::string head;
        std::array<char, 4096> buf{};
        while (head.find("\r\n\r\n") == std::string::npos) {
            auto [ec, n] = co_await client->async_read_some(boost::asio::buffer(buf), use_tuple);
            if (ec || head.size() > 64 * 1024) co_return;
            head.append(buf.data(), n);
        }
        {
            std::lock_guard lock(mutex_);
            heads_.push_back(head.substr(0, head.find("\r\n\r\n")));
        }
        if (!s.relay) {
            if (!s.answer.empty()) co_await boost::asio::async_write(*client, boost::asio::buffer(s.answer), use_tuple);
            if (s.silent) {  // hold the connection until the client gives up
                for (;;) {
                    auto [ec, n] = co_await client->async_read_some(boost::asio::buffer(buf), use_tuple);
                    if (ec) co_return;
                }
            }
            co_return;
        }
        // "CONNECT 127.0.0.1:PORT HTTP/1.1"
        auto const colon = head.rfind(':', head.find(" HTTP/"));
        auto const port = static_cast<unsigned short>(std::stoi(head.substr(colon + 1)));
        auto target = std::make_shared<tcp::socket>(io_);
        auto [cec] = co_await target->async_connect({boost::asio::ip::make_address("127.0.0.1"), port}, use_tuple);
        if (cec) {
            std::string const bad = "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n";
            co_await boost::asio::async_write(*client, boost::asio::buffer(bad), use_tuple);
            co_return;
        }
        std::string const ok = "HTTP/1.1 200 Connection established\r\n\r\n";
        co_await boost::asio::async_write(*client, boost::asio::buffer(ok), use_tuple);
        boost::asio::co_spawn(io_, pipe(target, client), boost::asio::detached);
        co_await pipe(client, target);
    }

    static boost::asio::awaitable<void> pipe(std::shared_ptr<tcp::socket> from, std::shared_ptr<tcp::socket> to) {
        std::array<char, 16 * 1024> buf{};
        for (;;) {
            auto [rec, n] = co_await from->async_read_some(boost::asio::buffer(buf), use_tuple);
            if (rec) break;
            auto [wec, w] = co_await boost::asio::async_write(*to, boost::asio::buffer(buf.data(), n), use_tuple);
            if (wec) break;
        }
        boost::system::error_code ignored;
        to->shutdown(tcp::socket::shutdown_send, ignored);
        from->close(ignored);
    }

    std::vector<step> script_;
    boost::asio::io_context io_;
    tcp::acceptor acceptor_;
    std::atomic<std::size_t> connections_{0};
    mutable std::mutex mutex_;
    std::vector<std::string> heads_;
    std::thread thread_;
};

}  // namespace apig::test
