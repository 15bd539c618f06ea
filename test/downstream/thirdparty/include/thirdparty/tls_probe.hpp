// "thirdparty": a stand-in for a third-party static library that compiles Asio's (and
// Asio.SSL's) implementation itself, as some do: its own TU includes boost/asio/impl/src.hpp
// and boost/asio/ssl/impl/src.hpp, with BOOST_ASIO_SEPARATE_COMPILATION a PRIVATE definition
// of the library. Its interface takes the host's io_context.
#pragma once

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <string>

namespace thirdparty {

struct probe_result {
    bool done = false;
    std::string status_line;  ///< the first line of the server's HTTP answer
    std::string error;
    int timer_fired = 0;      ///< a timer of the library's, armed beside the exchange
};

/// Connects to host:port over TLS (an ssl::context of its own, verifying the peer with
/// ca_file and the host name), sends `GET / HTTP/1.1` and reads the status line of the
/// answer; meanwhile fires a steady_timer once. `out` must outlive io.run().
void start_tls_probe(boost::asio::io_context& io, std::string host, std::uint16_t port,
                     std::string ca_file, probe_result& out);

}  // namespace thirdparty
