// What the client does with responses the emulator would never send: bodies that are not a
// page, truncation, error bodies of both shapes, and a keep-alive connection closed while idle.
#include "harness.hpp"
#include "raw_server.hpp"

#include <doctest/doctest.h>

namespace asio = boost::asio;
using apig::test::raw_server;
using apig::test::run;

namespace {

apig::client_options options_for(raw_server const& srv) {
    auto o = apig::test::trusting(srv, "tok-raw-secret");
    o.retry.max_attempts = 1;  // each scripted reply is seen as it is, not retried
    return o;
}

std::string const json_headers = "Content-Type: application/json\r\nX-Request-Id: raw-req-1\r\n";
std::string const good_page =
    R"({"total":1,"size":1,"instances":[{"id":"i-1","instance_name":"one","status":"Running","instance_status":6}]})";

apig::api_error fails_with(std::string response, bool close_after = false) {
    raw_server srv({{std::move(response), close_after}});
    auto e = apig::test::list_error(options_for(srv));
    CHECK(std::string(e.what()).find("tok-raw-secret") == std::string::npos);
    return e;
}

}  // namespace

TEST_CASE("a 200 that is not a page is bad_response with the JSON path") {
    struct row {
        std::string body;
        std::string expected;
    };
    for (auto const& r : std::vector<row>{
             {"<html><body>maintenance</body></html>", "invalid JSON"},
             {R"({"total":2,"size":2,"instances":[{"id":"a"},{"id":"b","create_time":"yesterday"}]})",
              "instances[1].create_time: expected an integer, got a string"},
             {R"({"total":1,"size":-1,"instances":[]})", "size"},
             {R"({"total":"many"})", "total"},
             {R"([1,2,3])", "expected an object"},
         }) {
        CAPTURE(r.body);
        auto e = fails_with(raw_server::response("200 OK", r.body, json_headers));
        CHECK(e.code() == apig::errc::bad_response);
        CHECK(std::string(e.what()).find(r.expected) != std::string::npos);
        CHECK(e.request_id() == "raw-req-1");
        CHECK(e.http_status() == 200);
    }
}

TEST_CASE("an empty 200 body is bad_response") {
    auto e = fails_with(raw_server::response("200 OK", "", json_headers));
    CHECK(e.code() == apig::errc::bad_response);
}

TEST_CASE("a 200 body cut short is an error, not a partial page") {
    std::string const body = good_page.substr(0, good_page.size() / 2);
    std::string resp = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(good_page.size()) +
                       "\r\n\r\n" + body;
    auto e = fails_with(resp, /*close_after=*/true);
    CHECK(e.code() != apig::errc::invalid_argument);
    CHECK(std::string(e.what()).find("before the response was complete") != std::string::npos);
}

TEST_CASE("a complete JSON page that stops early is bad_response (truncated JSON)") {
    auto e = fails_with(raw_server::response("200 OK", good_page.substr(0, 40), json_headers));
    CHECK(e.code() == apig::errc::bad_response);
}

TEST_CASE("error bodies of both shapes, and of neither") {
    SUBCASE("error_code / error_msg") {
        auto e = fails_with(raw_server::response(
            "429 Too Many Requests", R"({"error_code":"APIG.1010","error_msg":"slow down"})", json_headers));
        CHECK(e.code() == apig::errc::too_many_requests);
        CHECK(e.api_code() == "APIG.1010");
        CHECK(std::string(e.what()) == "HTTP 429 APIG.1010: slow down (request id raw-req-1)");
    }
    SUBCASE("code / message") {
        auto e = fails_with(raw_server::response("404 Not Found", R"({"code":"APIG.0101","message":"nope"})", json_headers));
        CHECK(e.code() == apig::errc::not_found);
        CHECK(e.api_code() == "APIG.0101");
        CHECK(e.api_message() == "nope");
    }
    SUBCASE("HTML from a proxy") {
        auto e = fails_with(raw_server::response("502 Bad Gateway", "<html>bad gateway</html>", json_headers));
        CHECK(e.code() == apig::errc::server_error);
        CHECK(e.http_status() == 502);
        CHECK(std::string(e.what()) == "HTTP 502 Bad Gateway (request id raw-req-1)");
    }
    SUBCASE("a redirect is not followed") {
        auto e = fails_with(raw_server::response("302 Found", "", "Location: https://elsewhere.example/\r\n"));
        CHECK(e.code() == apig::errc::unexpected_status);
        CHECK(e.http_status() == 302);
    }
    SUBCASE("400") {
        auto e = fails_with(raw_server::response("400 Bad Request", R"({"error_code":"APIG.2012","error_msg":"bad"})", json_headers));
        CHECK(e.code() == apig::errc::bad_request);
    }
    SUBCASE("503") {
        auto e = fails_with(raw_server::response("503 Service Unavailable", "", json_headers));
        CHECK(e.code() == apig::errc::server_error);
    }
}

TEST_CASE("a server that echoes the token does not get it into the message") {
    auto e = fails_with(raw_server::response(
        "401 Unauthorized", R"({"error_code":"APIC.7102","error_msg":"bad token tok-raw-secret"})", json_headers));
    CHECK(e.code() == apig::errc::unauthorized);
    CHECK(std::string(e.what()).find("<redacted>") != std::string::npos);
}

TEST_CASE("control characters from the server do not break the one-line message") {
    auto e = fails_with(raw_server::response(
        "500 Internal Server Error", "{\"error_code\":\"APIC.9000\",\"error_msg\":\"line1\\nline2\\u001b[31m\"}", json_headers));
    std::string const what = e.what();
    CHECK(what.find('\n') == std::string::npos);
    CHECK(what.find('\x1b') == std::string::npos);
    CHECK(e.api_message() == "line1\nline2\x1b[31m");  // the field keeps what was sent
}

TEST_CASE("a keep-alive connection closed by the server while idle is replaced transparently") {
    std::string const page = raw_server::response("200 OK", good_page, json_headers);
    raw_server srv({{page, /*close_after=*/true}, {page, false}});
    asio::io_context io;
    apig::client c(io.get_executor(), options_for(srv));
    auto first = run(io, c.list_instances({}));
    CHECK(first.instances.size() == 1);
    auto second = run(io, c.list_instances({}));
    CHECK(second.instances.size() == 1);
    CHECK(srv.connections() == 2);
}

TEST_CASE("Connection: close is honoured: the next call opens a new connection") {
    std::string const closing = raw_server::response("200 OK", good_page, json_headers + "Connection: close\r\n");
    std::string const page = raw_server::response("200 OK", good_page, json_headers);
    raw_server srv({{closing, false}, {page, false}});
    asio::io_context io;
    apig::client c(io.get_executor(), options_for(srv));
    CHECK(run(io, c.list_instances({})).instances.size() == 1);
    CHECK(run(io, c.list_instances({})).instances.size() == 1);
    CHECK(srv.connections() == 2);
}
