#pragma once

// A TLS server for tests of walks against servers that lie: each request is answered by a
// function of its `offset` and `limit` (as the query sent them), so a test can script a server
// that repeats a page forever, claims a huge `total`, grows `total` on every page, or never
// answers one offset. Keep-alive; every request gets `200` and the function's body, or no
// answer at all. It runs on its own thread and io_context; all members are safe to call from
// the test thread (the function runs on the server's thread).

#include "certs.hpp"

#include <apig/emulator.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <atomic>
#include <charconv>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace apig::test {

class paging_server {
public:
    /// What a request asked for (-1: the parameter was absent or not a number).
    struct request_info {
        std::int64_t offset = -1;
        std::int64_t limit = -1;
        std::size_t index = 0;  ///< 0 for the first request the server received
    };
    /// The body of the 200 answer, or nullopt: read the request and never answer it.
    using responder = std::function<std::optional<std::string>(request_info const&)>;

    explicit paging_server(responder answer)
        : answer_(std::move(answer)),
          tls_(emulator::make_tls_material()),
          ctx_(certs::server_context(tls_)),
          acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}),
          port_(acceptor_.local_endpoint().port()) {
        boost::asio::co_spawn(io_, accept_loop(), boost::asio::detached);
        thread_ = std::thread([this] { io_.run(); });
    }
    ~paging_server() {
        io_.stop();
        thread_.join();
    }
    paging_server(paging_server const&) = delete;
    paging_server& operator=(paging_server const&) = delete;

    std::string endpoint() const { return "https://127.0.0.1:" + std::to_string(port_); }
    std::string const& ca_pem() const { return tls_.ca_cert_pem; }
    std::size_t requests() const { return requests_; }
    /// The offset of every request received, in order of arrival.
    std::vector<std::int64_t> offsets() const {
        std::lock_guard lock(mutex_);
        return offsets_;
    }

    /// A page body: `total` (omitted when nullopt) and one instance per id, with only its id.
    static std::string page(std::optional<std::int64_t> total, std::vector<std::string> const& ids) {
        std::string s = "{";
        if (total) s += "\"total\":" + std::to_string(*total) + ",";
        s += "\"size\":" + std::to_string(ids.size()) + ",\"instances\":[";
        for (std::size_t i = 0; i < ids.size(); ++i) s += (i ? ",{\"id\":\"" : "{\"id\":\"") + ids[i] + "\"}";
        return s + "]}";
    }

    /// `n` ids `<prefix><first>`, `<prefix><first + 1>`, ... (counted in uint64: a page near
    /// INT64_MAX names ids past it without overflowing).
    static std::vector<std::string> ids(std::string_view prefix, std::int64_t first, std::int64_t n) {
        std::vector<std::string> v;
        for (std::int64_t i = 0; i < n; ++i)
            v.push_back(std::string(prefix) +
                        std::to_string(static_cast<std::uint64_t>(first) + static_cast<std::uint64_t>(i)));
        return v;
    }

    /// The value of `name=` in the request line's query; -1 when absent or not a number.
    static std::int64_t query_value(std::string_view request_line, std::string_view name) {
        auto const q = request_line.find('?');
        if (q == std::string_view::npos) return -1;
        auto const end = request_line.find(' ', q);
        std::string_view query = request_line.substr(q + 1, end == std::string_view::npos ? end : end - q - 1);
        while (!query.empty()) {
            auto const amp = query.find('&');
            std::string_view const part = query.substr(0, amp);
            if (part.size() > name.size() && part.starts_with(name) && part[name.size()] == '=') {
                std::int64_t v = -1;
                auto const digits = part.substr(name.size() + 1);
                auto const [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
                return ec == std::errc{} && ptr == digits.data() + digits.size() ? v : -1;
            }
            if (amp == std::string_view::npos) break;
            query.remove_prefix(amp + 1);
        }
        return -1;
    }

private:
    using tcp = boost::asio::ip::tcp;
    using stream = boost::asio::ssl::stream<tcp::socket>;

    boost::asio::awaitable<void> accept_loop() {
        for (;;) {
            auto sock = co_await acceptor_.async_accept(boost::asio::use_awaitable);
            boost::asio::co_spawn(io_, serve(stream(std::move(sock), ctx_)), boost::asio::detached);
        }
    }

    boost::asio::awaitable<void> serve(stream s) {
        try {
            co_await s.async_handshake(boost::asio::ssl::stream_base::server, boost::asio::use_awaitable);
            std::string pending;
            char buf[8192];
            for (;;) {
                auto const end = pending.find("\r\n\r\n");
                if (end == std::string::npos) {
                    auto const n = co_await s.async_read_some(boost::asio::buffer(buf), boost::asio::use_awaitable);
                    pending.append(buf, n);
                    continue;
                }
                std::string_view const line = std::string_view(pending).substr(0, pending.find("\r\n"));
                request_info req{.offset = query_value(line, "offset"),
                                 .limit = query_value(line, "limit"),
                                 .index = requests_++};
                pending.erase(0, end + 4);
                {
                    std::lock_guard lock(mutex_);
                    offsets_.push_back(req.offset);
                }
                auto body = answer_(req);
                if (!body) {  // never answer: read (and drop) until the client goes away
                    for (;;) co_await s.async_read_some(boost::asio::buffer(buf), boost::asio::use_awaitable);
                }
                std::string const response = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                             "X-Request-Id: paging-" + std::to_string(req.index) +
                                             "\r\nContent-Length: " + std::to_string(body->size()) +
                                             "\r\n\r\n" + *body;
                co_await boost::asio::async_write(s, boost::asio::buffer(response), boost::asio::use_awaitable);
            }
        } catch (std::exception const&) {
            // The client went away: nothing to do.
        }
    }

    responder answer_;
    emulator::tls_material tls_;
    boost::asio::ssl::context ctx_;  // outlives io_ (and the streams in its frames)
    boost::asio::io_context io_;
    tcp::acceptor acceptor_;
    std::uint16_t port_;  // read once: the acceptor belongs to the server's thread
    std::atomic<std::size_t> requests_{0};
    mutable std::mutex mutex_;
    std::vector<std::int64_t> offsets_;
    std::thread thread_;
};

}  // namespace apig::test
