#include <thirdparty/tls_probe.hpp>

#ifndef BOOST_ASIO_SEPARATE_COMPILATION
#error "thirdparty is built with BOOST_ASIO_SEPARATE_COMPILATION (PRIVATE)"
#endif

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <istream>
#include <memory>

namespace thirdparty {
namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using asio::ip::tcp;

namespace {

struct probe : std::enable_shared_from_this<probe> {
    probe(asio::io_context& io, std::string const& ca_file, probe_result& r)
        : ctx(ssl::context::tls_client), resolver(io), stream(io, init(ctx, ca_file)),
          timer(io), out(r) {}

    static ssl::context& init(ssl::context& c, std::string const& ca_file) {
        c.set_verify_mode(ssl::verify_peer);
        c.load_verify_file(ca_file);
        return c;
    }

    void fail(char const* what, boost::system::error_code ec) {
        out.done = true;
        out.error = std::string(what) + ": " + ec.message();
    }

    void start(std::string const& host, std::uint16_t port) {
        timer.expires_after(std::chrono::milliseconds(10));
        timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if (!ec) ++self->out.timer_fired;
        });
        // The emulator's certificate names 127.0.0.1 (an IP SAN).
        stream.set_verify_callback(ssl::host_name_verification(host));
        request = "GET / HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n";
        resolver.async_resolve(
            host, std::to_string(port),
            [self = shared_from_this()](boost::system::error_code ec, tcp::resolver::results_type rs) {
                if (ec) return self->fail("resolve", ec);
                asio::async_connect(
                    self->stream.lowest_layer(), rs,
                    [self](boost::system::error_code ec, tcp::endpoint const&) {
                        if (ec) return self->fail("connect", ec);
                        self->stream.async_handshake(ssl::stream_base::client,
                                                     [self](boost::system::error_code ec) {
                                                         if (ec) return self->fail("handshake", ec);
                                                         self->exchange();
                                                     });
                    });
            });
    }

    void exchange() {
        asio::async_write(stream, asio::buffer(request),
                          [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                              if (ec) return self->fail("write", ec);
                              asio::async_read_until(
                                  self->stream, self->answer, "\r\n",
                                  [self](boost::system::error_code ec, std::size_t) {
                                      if (ec) return self->fail("read", ec);
                                      std::istream is(&self->answer);
                                      std::getline(is, self->out.status_line);
                                      if (!self->out.status_line.empty() &&
                                          self->out.status_line.back() == '\r')
                                          self->out.status_line.pop_back();
                                      self->out.done = true;
                                      boost::system::error_code ignored;
                                      self->stream.lowest_layer().close(ignored);
                                  });
                          });
    }

    ssl::context ctx;
    tcp::resolver resolver;
    ssl::stream<tcp::socket> stream;
    asio::steady_timer timer;
    std::string request;
    asio::streambuf answer;
    probe_result& out;
};

}  // namespace

void start_tls_probe(asio::io_context& io, std::string host, std::uint16_t port,
                     std::string ca_file, probe_result& out) {
    std::make_shared<probe>(io, ca_file, out)->start(host, port);
}

}  // namespace thirdparty
