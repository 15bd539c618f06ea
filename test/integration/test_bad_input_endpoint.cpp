// The bad-input matrix (README, "Bad input"), caller side: the endpoint (scheme, path, port,
// IPv6 literal, http://). One test per row, named after the row. Every row ends in a typed
// error from the client's constructor or a documented accept.
#include "bad_input_support.hpp"
#include "harness.hpp"
#include "plain_server.hpp"
#include "raw_server.hpp"

#include <doctest/doctest.h>

#include <string>

namespace asio = boost::asio;
using namespace apig::test::bad_input;
using apig::test::raw_server;
using apig::test::run;
using apig::test::script_server;

TEST_CASE("bad input: endpoint without scheme") {
    for (char const* e : {"127.0.0.1:443", "apig.example.com", "//apig.example.com", "localhost:8443"}) {
        CAPTURE(e);
        auto o = offline_options();
        o.endpoint = e;
        refused_by_constructor(o, "endpoint");
    }
}

TEST_CASE("bad input: endpoint with a path") {
    for (char const* e : {"https://apig.example.com/v2", "https://apig.example.com/v2/p1/apigw/instances"}) {
        CAPTURE(e);
        auto o = offline_options();
        o.endpoint = e;
        refused_by_constructor(o, "a path is not allowed");
    }
    auto o = offline_options();
    o.endpoint = "https://apig.example.com?x=1";
    refused_by_constructor(o, "a query or fragment is not allowed");
    o.endpoint = "https://apig.example.com/#f";  // not an absolute URI at all
    refused_by_constructor(o, "endpoint 'https://apig.example.com/#f'");
    o.endpoint = "https://user:pw@apig.example.com";
    refused_by_constructor(o, "user info is not allowed");
    // Accepted: a lone trailing slash is no path.
    asio::io_context io;
    o.endpoint = "https://apig.example.com/";
    CHECK_NOTHROW(apig::client(io.get_executor(), o));
}

TEST_CASE("bad input: endpoint with a port") {
    // Accepted: the port is used (every scripted server here listens on a random port) and
    // is sent in the Host header.
    raw_server srv({{ok(page(1, {"i-1"}))}});
    std::string const endpoint = srv.endpoint();
    std::string const port = endpoint.substr(endpoint.rfind(':') + 1);
    asio::io_context io;
    apig::client c(io.get_executor(), options_for(srv));
    CHECK(run(io, c.list_instances({})).instances.size() == 1);
    auto const heads = srv.received();
    REQUIRE(heads.size() == 1);
    CHECK(contains(heads[0], "\r\nHost: 127.0.0.1:" + port + "\r\n"));
    // Refused: a port that is not 1..65535.
    for (char const* e : {"https://apig.example.com:0", "https://apig.example.com:65536",
                          "https://apig.example.com:", "https://apig.example.com:https"}) {
        CAPTURE(e);
        auto o = offline_options();
        o.endpoint = e;
        refused_by_constructor(o, "endpoint");
    }
}

TEST_CASE("bad input: endpoint with an IPv6 literal") {
    // Accepted in brackets, as URLs write it; the certificate's IP address ::1 is checked.
    apig::emulator::server srv({.address = "::1", .instance_count = 3});
    REQUIRE(srv.endpoint().starts_with("https://[::1]:"));
    CHECK(apig::test::list_once(srv, {}, apig::test::options_for(srv)).total == 3);
    // Refused without brackets.
    for (char const* e : {"https://::1:443", "https://[::1:443"}) {
        CAPTURE(e);
        auto o = offline_options();
        o.endpoint = e;
        refused_by_constructor(o, "endpoint");
    }
}

TEST_CASE("bad input: http:// refused unless explicitly allowed") {
    script_server srv({{ok(page(1, {"i-1"}))}});  // plain TCP
    REQUIRE(srv.endpoint().starts_with("http://"));
    auto o = options_for(srv.endpoint(), "");
    SUBCASE("refused by default") {
        refused_by_constructor(o, "http://");
        refused_by_constructor(o, "allow_insecure_http");
        CHECK(srv.connections() == 0);
    }
    SUBCASE("allowed with client_options::allow_insecure_http: plain TCP") {
        o.allow_insecure_http = true;
        asio::io_context io;
        apig::client c(io.get_executor(), o);
        auto p = run(io, c.list_instances({}));
        REQUIRE(p.instances.size() == 1);
        CHECK(p.instances[0].id == "i-1");
        auto const heads = srv.received();
        REQUIRE(heads.size() == 1);
        CHECK(heads[0].starts_with("GET /v2/p1/apigw/instances?offset=0&limit=20 HTTP/1.1\r\n"));
        CHECK(contains(heads[0], "\r\nHost: 127.0.0.1:" + std::to_string(srv.port()) + "\r\n"));
        // Other schemes stay refused.
        o.endpoint = "ftp://127.0.0.1:" + std::to_string(srv.port());
        refused_by_constructor(o, "endpoint");
    }
}
