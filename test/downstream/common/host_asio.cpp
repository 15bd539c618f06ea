// The host's own Asio code (see host_asio.hpp). Header-only Asio as the host configures it:
// this file never includes apig, and in scenario A it is in a library that does not link it.
#include "host_asio.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace host {
namespace asio = boost::asio;
using asio::ip::tcp;

downstream::host_task ticking_timer(int ticks, std::chrono::milliseconds period) {
    struct state {
        explicit state(asio::io_context& io) : timer(io) {}
        asio::steady_timer timer;
        int fired = 0;
        std::string error;
    };
    auto st = std::make_shared<std::shared_ptr<state>>();
    auto start = [st, ticks, period](asio::io_context& io) {
        auto s = std::make_shared<state>(io);
        *st = s;
        struct tick {
            std::shared_ptr<state> s;
            int ticks;
            std::chrono::milliseconds period;
            void operator()(boost::system::error_code ec) const {
                if (ec) {
                    s->error = ec.message();
                    return;
                }
                if (++s->fired == ticks) return;
                s->timer.expires_after(period);
                s->timer.async_wait(*this);
            }
        };
        s->timer.expires_after(period);
        s->timer.async_wait(tick{s, ticks, period});
    };
    auto report = [st, ticks]() -> std::string {
        auto const& s = **st;
        if (!s.error.empty()) throw std::runtime_error("timer: " + s.error);
        if (s.fired != ticks)
            throw std::runtime_error("timer: " + std::to_string(s.fired) + " ticks of " +
                                     std::to_string(ticks));
        return std::to_string(s.fired) + " ticks";
    };
    return {start, report};
}

namespace {

// The server: one session per accepted connection, each echoing what it reads until EOF.
struct echo_session : std::enable_shared_from_this<echo_session> {
    explicit echo_session(tcp::socket s) : socket(std::move(s)) {}
    void read() {
        socket.async_read_some(asio::buffer(buf),
                               [self = shared_from_this()](boost::system::error_code ec,
                                                           std::size_t n) {
                                   if (ec) {  // EOF: the client is done sending
                                       self->socket.shutdown(tcp::socket::shutdown_send, ec);
                                       return;
                                   }
                                   asio::async_write(self->socket, asio::buffer(self->buf, n),
                                                     [self](boost::system::error_code ec,
                                                            std::size_t) {
                                                         if (!ec) self->read();
                                                     });
                               });
    }
    tcp::socket socket;
    std::array<char, 1000> buf{};  // not a divisor of the payload: several partial reads
};

struct echo_state {
    explicit echo_state(asio::io_context& io)
        : acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {}
    tcp::acceptor acceptor;
    std::vector<char> sent, received;
    std::string error;
    bool done = false;
    bool eof_recognised = false;
};

asio::awaitable<void> echo_client(std::shared_ptr<echo_state> s) {
    tcp::socket sock(co_await asio::this_coro::executor);
    co_await sock.async_connect(s->acceptor.local_endpoint(), asio::use_awaitable);
    co_await asio::async_write(sock, asio::buffer(s->sent), asio::use_awaitable);
    sock.shutdown(tcp::socket::shutdown_send);
    s->received.resize(s->sent.size() + 1);  // one more than comes back: the read ends at EOF
    auto [ec, n] = co_await asio::async_read(sock, asio::buffer(s->received),
                                             asio::as_tuple(asio::use_awaitable));
    s->received.resize(n);
    // The end of the stream, as the host's code tests it: `ec == asio::error::eof`. That
    // compares error categories by address: in a program where Asio's implementation is
    // also compiled separately somewhere (scenario C's third-party library), the socket
    // operation that produced `ec` may be that copy's, with its own asio.misc category.
    s->eof_recognised = ec == asio::error::eof;
    if (!s->eof_recognised &&
        !(ec.value() == asio::error::eof && std::string_view(ec.category().name()) == "asio.misc"))
        throw boost::system::system_error(ec, "read");
    s->done = true;
}

}  // namespace

downstream::host_task tcp_echo(std::size_t bytes) {
    auto st = std::make_shared<std::shared_ptr<echo_state>>();
    auto start = [st, bytes](asio::io_context& io) {
        auto s = std::make_shared<echo_state>(io);
        *st = s;
        for (std::size_t i = 0; i < bytes; ++i) s->sent.push_back(static_cast<char>(i * 131 % 251));
        s->acceptor.async_accept([s](boost::system::error_code ec, tcp::socket peer) {
            if (ec) {
                s->error = "accept: " + ec.message();
                return;
            }
            std::make_shared<echo_session>(std::move(peer))->read();
            s->acceptor.close();
        });
        asio::co_spawn(io, echo_client(s), [s](std::exception_ptr e) {
            try {
                if (e) std::rethrow_exception(e);
            } catch (std::exception const& x) {
                s->error = x.what();
            }
        });
    };
    auto report = [st, bytes]() -> std::string {
        auto const& s = **st;
        if (!s.error.empty()) throw std::runtime_error("echo: " + s.error);
        if (!s.done) throw std::runtime_error("echo: the client did not finish");
        if (s.received != s.sent)
            throw std::runtime_error("echo: " + std::to_string(s.received.size()) + " bytes back, " +
                                     std::to_string(bytes) + " sent, or different ones");
        std::string r = "echo " + std::to_string(s.received.size()) + " bytes";
        if (!s.eof_recognised)
            r += " (its EOF is not == asio::error::eof: two asio.misc error categories here)";
        return r;
    };
    return {start, report};
}

}  // namespace host
