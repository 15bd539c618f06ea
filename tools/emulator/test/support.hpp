#pragma once

// What the emulator's tests share: a minimal blocking Beast client over real TLS that trusts
// the emulator's CA, a bounded wait for gauges the server updates asynchronously, and the
// default project's page targets.

#include <apig/emulator.hpp>

#include "auth/signer.hpp"  // apig's client-side signer: signs what the emulator verifies
#include "dataset.hpp"
#include "verify.hpp"
#include <doctest/doctest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <boost/url/parse.hpp>

#include <chrono>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace emulator_test {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;
namespace emu = apig::emulator;

// A blocking TLS client on one keep-alive connection that verifies the emulator's CA.
struct test_client {
    asio::io_context ioc;
    asio::ssl::context ctx{asio::ssl::context::tls_client};
    asio::ssl::stream<asio::ip::tcp::socket> stream;
    boost::beast::flat_buffer buffer;

    explicit test_client(emu::server const& srv) : stream(ioc, init(srv)) {
        asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), srv.port());
        stream.next_layer().connect(ep);
        SSL_set_tlsext_host_name(stream.native_handle(), "localhost");
        stream.set_verify_callback(asio::ssl::host_name_verification("localhost"));
        stream.handshake(asio::ssl::stream_base::client);
    }
    asio::ssl::context& init(emu::server const& srv) {
        ctx.add_certificate_authority(asio::buffer(srv.ca_pem()));
        ctx.set_verify_mode(asio::ssl::verify_peer);
        return ctx;
    }
    http::response<http::string_body> get(std::string const& target,
                                          std::string const& token = "emulator-token",
                                          http::verb method = http::verb::get) {
        http::request<http::empty_body> req{method, target, 11};
        req.set(http::field::host, "localhost");
        if (!token.empty()) req.set("X-Auth-Token", token);
        http::write(stream, req);
        http::response<http::string_body> res;
        http::read(stream, buffer, res);
        return res;
    }
    // GET with Host: localhost and these headers (in order, repeats kept), no token.
    http::response<http::string_body> get_with(std::string const& target,
                                               apig::auth::header_list const& headers) {
        http::request<http::empty_body> req{http::verb::get, target, 11};
        req.set(http::field::host, "localhost");
        for (auto const& h : headers) req.insert(h.first, h.second);
        http::write(stream, req);
        http::response<http::string_body> res;
        http::read(stream, buffer, res);
        return res;
    }
    void send(std::string const& target) {
        http::request<http::empty_body> req{http::verb::get, target, 11};
        req.set(http::field::host, "localhost");
        req.set("X-Auth-Token", "emulator-token");
        http::write(stream, req);
    }
    // Reads one response, reporting errors (a short body, a reset) instead of throwing.
    boost::system::error_code read(http::response_parser<http::string_body>& p) {
        p.body_limit(16 * 1024 * 1024);
        boost::system::error_code ec;
        http::read(stream, buffer, p, ec);
        return ec;
    }
};

// Runs f until it returns true or about 10 s have passed (for gauges the server updates
// asynchronously); no sleeping, only yielding.
template <class F>
bool eventually(F f) {
    auto const deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!f()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::yield();
    }
    return true;
}

inline constexpr char const* pid = "73d69ae0cfcf460190522d06b60f05ad";

inline std::string page(std::string const& query) {
    return std::string("/v2/") + pid + "/apigw/instances" + query;
}

}  // namespace emulator_test
