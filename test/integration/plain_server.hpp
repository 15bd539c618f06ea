#pragma once

// A scripted server like raw_server.hpp (request N, over every connection in order, gets the
// exact bytes of reply N), over plain TCP or over TLS with a context the test makes (another
// certificate, old protocol versions), that can also misbehave before any HTTP: close the
// connection in the middle of the TLS handshake, or accept and never say anything. It counts
// every application byte it receives, so a test can prove that no request reached it. It runs
// on its own thread and io_context; all members are safe to call from the test thread.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <atomic>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace apig::test {

class script_server {
public:
    struct reply {
        std::string bytes;                ///< written as is (status line, headers, body)
        bool close_after = false;         ///< then shut the TCP connection down (no close_notify)
        bool close_notify_after = false;  ///< then a clean TLS shutdown (plain: a TCP shutdown)
        bool never_answer = false;        ///< read the request, answer nothing, keep the connection
    };

    /// What happens on a connection before any HTTP.
    enum class opening {
        normal,             ///< TLS: a full handshake; plain: nothing
        close_mid_handshake,  ///< read the first bytes the client sends (its ClientHello), then close
        silent,             ///< accept, read and discard, never answer (no handshake)
    };

    /// `tls`: a server context (nullopt: plain TCP). `open` applies to the connections from
    /// the `from_connection`-th on (0-based); earlier ones are `normal`.
    explicit script_server(std::vector<reply> script, std::optional<boost::asio::ssl::context> tls = std::nullopt,
                           opening open = opening::normal, std::size_t from_connection = 0)
        : script_(std::move(script)),
          ctx_(std::move(tls)),
          opening_(open),
          from_connection_(from_connection),
          acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}),
          port_(acceptor_.local_endpoint().port()) {
        boost::asio::co_spawn(io_, accept_loop(), boost::asio::detached);
        thread_ = std::thread([this] { io_.run(); });
    }
    ~script_server() {
        io_.stop();
        thread_.join();
    }
    script_server(script_server const&) = delete;
    script_server& operator=(script_server const&) = delete;

    std::uint16_t port() const { return port_; }
    /// `https://127.0.0.1:<port>`, or `http://...` for a plain server.
    std::string endpoint() const {
        return std::string(ctx_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port());
    }
    std::size_t connections() const { return connections_; }
    /// TLS handshakes the server completed.
    std::size_t handshakes() const { return handshakes_; }
    std::size_t requests() const { return requests_; }
    /// Application bytes received (after the handshake; any byte at all for a plain server).
    std::size_t bytes_received() const { return bytes_; }
    /// The request line and headers of every request received, in order.
    std::vector<std::string> received() const {
        std::lock_guard lock(mutex_);
        return received_;
    }

private:
    using tcp = boost::asio::ip::tcp;
    using tls_stream = boost::asio::ssl::stream<tcp::socket>;

    boost::asio::awaitable<void> accept_loop() {
        for (;;) {
            auto sock = co_await acceptor_.async_accept(boost::asio::use_awaitable);
            std::size_t const index = connections_++;
            boost::asio::co_spawn(io_, serve(std::move(sock), index), boost::asio::detached);
        }
    }

    boost::asio::awaitable<void> serve(tcp::socket sock, std::size_t index) {
        try {
            opening const how = index >= from_connection_ ? opening_ : opening::normal;
            char discard[4096];
            if (how == opening::silent) {
                for (;;) co_await sock.async_read_some(boost::asio::buffer(discard), boost::asio::use_awaitable);
            }
            if (how == opening::close_mid_handshake) {
                co_await sock.async_read_some(boost::asio::buffer(discard), boost::asio::use_awaitable);
                boost::system::error_code ignored;
                sock.shutdown(tcp::socket::shutdown_both, ignored);
                sock.close(ignored);
                co_return;
            }
            if (!ctx_) {
                co_await exchange(sock, sock);
                co_return;
            }
            tls_stream s(std::move(sock), *ctx_);
            co_await s.async_handshake(boost::asio::ssl::stream_base::server, boost::asio::use_awaitable);
            ++handshakes_;
            co_await exchange(s, s.next_layer());
        } catch (std::exception const&) {
            // The client went away or the handshake failed: nothing to do.
        }
    }

    template <class Stream>
    boost::asio::awaitable<void> exchange(Stream& s, tcp::socket& raw) {
        std::string pending;
        char buf[8192];
        for (;;) {
            std::size_t n = co_await s.async_read_some(boost::asio::buffer(buf), boost::asio::use_awaitable);
            bytes_ += n;
            pending.append(buf, n);
            for (auto end = pending.find("\r\n\r\n"); end != std::string::npos; end = pending.find("\r\n\r\n")) {
                {
                    std::lock_guard lock(mutex_);
                    received_.push_back(pending.substr(0, end + 4));
                }
                pending.erase(0, end + 4);
                std::size_t const i = requests_++;
                if (i >= script_.size()) co_return;
                reply const& r = script_[i];
                if (r.never_answer) {
                    for (;;) {
                        n = co_await s.async_read_some(boost::asio::buffer(buf), boost::asio::use_awaitable);
                        bytes_ += n;
                    }
                }
                co_await boost::asio::async_write(s, boost::asio::buffer(r.bytes), boost::asio::use_awaitable);
                if (r.close_notify_after) {
                    if constexpr (!std::is_same_v<Stream, tcp::socket>)
                        co_await s.async_shutdown(boost::asio::as_tuple(boost::asio::use_awaitable));
                    boost::system::error_code ignored;
                    raw.shutdown(tcp::socket::shutdown_both, ignored);
                    co_return;
                }
                if (r.close_after) {
                    boost::system::error_code ignored;
                    raw.shutdown(tcp::socket::shutdown_both, ignored);
                    co_return;
                }
            }
        }
    }

    std::vector<reply> script_;
    std::optional<boost::asio::ssl::context> ctx_;  // outlives io_ (and the streams in its frames)
    opening opening_;
    std::size_t from_connection_;
    boost::asio::io_context io_;
    tcp::acceptor acceptor_;
    std::uint16_t port_;  // read once: the acceptor belongs to the server's thread
    std::atomic<std::size_t> connections_{0};
    std::atomic<std::size_t> handshakes_{0};
    std::atomic<std::size_t> requests_{0};
    std::atomic<std::size_t> bytes_{0};
    mutable std::mutex mutex_;
    std::vector<std::string> received_;
    std::thread thread_;
};

}  // namespace apig::test
