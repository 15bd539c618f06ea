#pragma once

// A scripted TLS server for tests of what the client does with odd responses: request N (over
// every connection, in order) is answered with the exact bytes of reply N. It runs on its own
// thread and io_context; all members are safe to call from the test thread.

#include <apig/emulator.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/buffers_iterator.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace apig::test {

class raw_server {
public:
    struct reply {
        std::string bytes;          ///< written as is (status line, headers, body)
        bool close_after = false;   ///< close the connection once written
    };

    explicit raw_server(std::vector<reply> script)
        : script_(std::move(script)),
          tls_(emulator::make_tls_material()),
          ctx_(boost::asio::ssl::context::tls_server),
          acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
        ctx_.use_certificate_chain(boost::asio::buffer(tls_.server_cert_pem));
        ctx_.use_private_key(boost::asio::buffer(tls_.server_key_pem), boost::asio::ssl::context::pem);
        boost::asio::co_spawn(io_, accept_loop(), boost::asio::detached);
        thread_ = std::thread([this] { io_.run(); });
    }
    ~raw_server() {
        io_.stop();
        thread_.join();
    }

    std::string endpoint() const { return "https://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()); }
    std::string const& ca_pem() const { return tls_.ca_cert_pem; }
    std::size_t connections() const { return connections_; }
    std::size_t requests() const { return requests_; }
    /// The request line and headers of every request received, in order.
    std::vector<std::string> received() const {
        std::lock_guard lock(mutex_);
        return received_;
    }

    /// A complete response with the given status line, extra headers and body.
    static std::string response(std::string status_line, std::string body,
                                std::string extra_headers = "X-Request-Id: raw-req-1\r\n") {
        return "HTTP/1.1 " + status_line + "\r\n" + extra_headers +
               "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    }

private:
    using stream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;

    boost::asio::awaitable<void> accept_loop() {
        for (;;) {
            auto sock = co_await acceptor_.async_accept(boost::asio::use_awaitable);
            ++connections_;
            boost::asio::co_spawn(io_, serve(stream(std::move(sock), ctx_)), boost::asio::detached);
        }
    }

    boost::asio::awaitable<void> serve(stream s) {
        try {
            co_await s.async_handshake(boost::asio::ssl::stream_base::server, boost::asio::use_awaitable);
            boost::asio::streambuf buf;
            for (;;) {
                auto n = co_await boost::asio::async_read_until(s, buf, "\r\n\r\n", boost::asio::use_awaitable);
                {
                    auto const data = buf.data();
                    std::lock_guard lock(mutex_);
                    received_.emplace_back(boost::asio::buffers_begin(data), boost::asio::buffers_begin(data) + n);
                }
                buf.consume(n);
                std::size_t const i = requests_++;
                if (i >= script_.size()) co_return;
                co_await boost::asio::async_write(s, boost::asio::buffer(script_[i].bytes),
                                                  boost::asio::use_awaitable);
                if (script_[i].close_after) {
                    s.next_layer().shutdown(boost::asio::ip::tcp::socket::shutdown_both);
                    co_return;
                }
            }
        } catch (std::exception const&) {
            // The client went away: nothing to do.
        }
    }

    std::vector<reply> script_;
    emulator::tls_material tls_;
    boost::asio::io_context io_;
    boost::asio::ssl::context ctx_;
    boost::asio::ip::tcp::acceptor acceptor_;
    std::thread thread_;
    std::atomic<std::size_t> connections_{0};
    std::atomic<std::size_t> requests_{0};
    mutable std::mutex mutex_;
    std::vector<std::string> received_;
};

}  // namespace apig::test
