#pragma once

// A scripted HTTP/1.1 server for the one-shot requests of temporary-key providers: each
// request (parsed by Beast: method, target, headers, body) is recorded and handed to the
// test's function, whose reply says what to send back, or to hold the answer until the test
// calls release(), or never to answer. Plain TCP, or TLS with a context the test makes. One
// request per connection (the client sends Connection: close). It runs on its own thread and
// io_context; every member is safe to call from the test thread.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace apig::test {

struct http_request {
    std::string method;
    std::string target;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;

    /// The value of the first header named `name` (case-insensitive); nullopt if none.
    std::optional<std::string> header(std::string_view name) const {
        for (auto const& [n, v] : headers)
            if (boost::beast::iequals(n, name)) return v;
        return std::nullopt;
    }
};

class http_script_server {
public:
    struct reply {
        std::string bytes{};        ///< written as is, then the connection is closed
        bool hold = false;          ///< wait for release() before writing `bytes`
        bool never_answer = false;  ///< keep the connection open and say nothing
    };
    using handler = std::function<reply(http_request const&)>;

    explicit http_script_server(handler h, std::optional<boost::asio::ssl::context> tls = std::nullopt)
        : handler_(std::move(h)), ctx_(std::move(tls)), acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}),
          port_(acceptor_.local_endpoint().port()) {
        boost::asio::co_spawn(io_, accept_loop(), boost::asio::detached);
        thread_ = std::thread([this] { io_.run(); });
    }
    ~http_script_server() {
        io_.stop();
        thread_.join();
    }
    http_script_server(http_script_server const&) = delete;
    http_script_server& operator=(http_script_server const&) = delete;

    std::uint16_t port() const { return port_; }
    std::string endpoint() const { return std::string(ctx_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_); }

    /// Every request received, in order.
    std::vector<http_request> requests() const {
        std::lock_guard lock(mutex_);
        return requests_;
    }
    /// How many requests had this method and target.
    std::size_t count(std::string_view method, std::string_view target) const {
        std::lock_guard lock(mutex_);
        std::size_t n = 0;
        for (auto const& r : requests_) n += r.method == method && r.target == target;
        return n;
    }
    /// Answers every held request, and holds no more.
    void release() {
        {
            std::lock_guard lock(mutex_);
            released_ = true;
        }
        boost::asio::post(io_, [this] {
            std::vector<std::shared_ptr<boost::asio::steady_timer>> timers;
            {
                std::lock_guard lock(mutex_);
                timers.swap(held_);
            }
            for (auto& t : timers) t->cancel();
        });
    }
    /// Blocks until `n` requests are held (or `limit` passes); true if they are.
    bool wait_held(std::size_t n, std::chrono::seconds limit = std::chrono::seconds(10)) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, limit, [&] { return held_count_ >= n; });
    }

    /// A complete response.
    static std::string response(unsigned status, std::string_view reason, std::string_view body,
                                std::string_view extra_headers = "") {
        return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\n" + std::string(extra_headers) +
               "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + std::string(body);
    }
    static std::string ok(std::string_view body) { return response(200, "OK", body); }

private:
    using tcp = boost::asio::ip::tcp;

    boost::asio::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, sock] = co_await acceptor_.async_accept(boost::asio::as_tuple(boost::asio::use_awaitable));
            if (ec) co_return;
            if (ctx_)
                boost::asio::co_spawn(io_, serve_tls(std::move(sock)), boost::asio::detached);
            else
                boost::asio::co_spawn(io_, serve(std::move(sock)), boost::asio::detached);
        }
    }

    boost::asio::awaitable<void> serve_tls(tcp::socket sock) {
        boost::asio::ssl::stream<tcp::socket> s(std::move(sock), *ctx_);
        auto [ec] = co_await s.async_handshake(boost::asio::ssl::stream_base::server,
                                               boost::asio::as_tuple(boost::asio::use_awaitable));
        if (ec) co_return;
        co_await serve_on(s);
    }

    boost::asio::awaitable<void> serve(tcp::socket sock) { co_await serve_on(sock); }

    template <class Stream>
    boost::asio::awaitable<void> serve_on(Stream& s) {
        namespace bhttp = boost::beast::http;
        constexpr auto tuple = boost::asio::as_tuple(boost::asio::use_awaitable);
        boost::beast::flat_buffer buffer;
        bhttp::request_parser<bhttp::string_body> parser;
        parser.body_limit(1 << 20);
        auto [ec, n] = co_await bhttp::async_read(s, buffer, parser, tuple);
        if (ec) co_return;
        auto& m = parser.get();
        http_request r;
        r.method = std::string(m.method_string());
        r.target = std::string(m.target());
        for (auto const& f : m) r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
        r.body = m.body();
        {
            std::lock_guard lock(mutex_);
            requests_.push_back(r);
        }
        reply out = handler_(r);
        if (out.never_answer) {
            char byte;
            for (;;) {
                auto [rec, got] = co_await s.async_read_some(boost::asio::buffer(&byte, 1), tuple);
                if (rec) co_return;
            }
        }
        if (out.hold) {
            auto timer = std::make_shared<boost::asio::steady_timer>(io_, boost::asio::steady_timer::time_point::max());
            bool wait = false;
            {
                std::lock_guard lock(mutex_);
                if (!released_) {
                    held_.push_back(timer);
                    ++held_count_;
                    wait = true;
                }
            }
            changed_.notify_all();
            if (wait) co_await timer->async_wait(tuple);
        }
        co_await boost::asio::async_write(s, boost::asio::buffer(out.bytes), tuple);
        boost::system::error_code ignored;
        boost::beast::get_lowest_layer(s).shutdown(tcp::socket::shutdown_both, ignored);
    }

    handler handler_;
    std::optional<boost::asio::ssl::context> ctx_;
    boost::asio::io_context io_;
    tcp::acceptor acceptor_;
    std::uint16_t port_;
    std::thread thread_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<http_request> requests_;
    std::vector<std::shared_ptr<boost::asio::steady_timer>> held_;
    std::size_t held_count_ = 0;
    bool released_ = false;
};

}  // namespace apig::test
