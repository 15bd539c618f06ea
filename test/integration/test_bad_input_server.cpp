// The bad-input matrix (README, "Bad input"), server side: hostile bodies and responses. One
// test per row, named after the row. Every row ends in a typed error or a documented accept,
// within the configured time limits. Rows also run as the second page of a walk
// (client.pages(), concurrency 1): the first page reaches the caller before the error, and
// nothing already received is lost.
#include "bad_input_support.hpp"
#include "certs.hpp"
#include "harness.hpp"
#include "plain_server.hpp"
#include "raw_server.hpp"
#include "retry_detail.hpp"  // test seams

#include <boost/asio/use_awaitable.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace asio = boost::asio;
using namespace apig::test::bad_input;
using apig::test::raw_server;
using apig::test::run;
using apig::test::script_server;
using std::chrono::milliseconds;

namespace {

// One call against a server that answers it with `reply`.
apig::api_error call_fails(raw_server::reply reply) {
    raw_server srv({std::move(reply)});
    auto e = apig::test::list_error(options_for(srv));
    CHECK(std::string(e.what()).find("tok-7f3e-secret-value") == std::string::npos);
    return e;
}
apig::instance_page call_succeeds(raw_server::reply reply) {
    raw_server srv({std::move(reply)});
    asio::io_context io;
    apig::client c(io.get_executor(), options_for(srv));
    return run(io, c.list_instances({}));
}

// A walk (concurrency 1) to its end or its error.
struct walk_outcome {
    std::vector<std::string> ids;  // every instance yielded, in order
    std::size_t pages = 0;
    apig::error_info err;          // how it ended (empty: the walk completed)
    std::uint64_t total_changes = 0;
};
walk_outcome walk(apig::client_options o, std::int32_t page_size = 1) {
    asio::io_context io;
    apig::client c(io.get_executor(), std::move(o));
    walk_outcome w;
    run(io, [&]() -> asio::awaitable<void> {
        auto g = c.pages({}, {.page_size = page_size, .concurrency = 1});
        while (auto p = co_await g.next(w.err)) {
            ++w.pages;
            for (auto const& i : p->instances) w.ids.push_back(i.id.value_or("<absent>"));
        }
        w.total_changes = g.stats().total_changes;
    }());
    return w;
}

// Page 1 (offset 0, limit 1) is fine and says total 2; page 2 gets `second`.
walk_outcome walk_with_second(raw_server::reply second) {
    raw_server srv({{ok(page(2, {"i-1"}))}, std::move(second)});
    return walk(options_for(srv));
}

// The walk yields page 1, then ends with the error `code`.
apig::error_info walk_fails_after_first_page(raw_server::reply second, boost::system::error_code code) {
    auto w = walk_with_second(std::move(second));
    CHECK(w.ids == std::vector<std::string>{"i-1"});
    CHECK(w.pages == 1);
    CHECK(w.err.code == code);
    return w.err;
}

// The walk yields both pages.
void walk_accepts_second(raw_server::reply second) {
    auto w = walk_with_second(std::move(second));
    CHECK_FALSE(w.err);
    CHECK(w.ids == std::vector<std::string>{"i-1", "i-2"});
}

// A scripted TLS server made with certs.hpp, for rows raw_server cannot play (never
// answering, closing mid-handshake, a clean TLS close).
struct tls_script {
    explicit tls_script(std::vector<script_server::reply> r,
                        script_server::opening open = script_server::opening::normal, std::size_t from = 0)
        : srv(std::move(r), apig::test::certs::server_context(m), open, from) {}
    apig::client_options options() const { return options_for(srv.endpoint(), m.ca_cert_pem); }
    apig::emulator::tls_material m = apig::emulator::make_tls_material();
    script_server srv;
};

// A 200 with the body in `pieces` chunks (a chunk extension on the first, a trailer at the end).
std::string chunked(std::vector<std::string> const& pieces, std::string const& headers = json_headers) {
    std::string r = "HTTP/1.1 200 OK\r\n" + headers + "Transfer-Encoding: chunked\r\n\r\n";
    char hex[16];
    for (std::size_t i = 0; i < pieces.size(); ++i) {
        std::snprintf(hex, sizeof hex, "%zx", pieces[i].size());
        r += hex;
        if (i == 0) r += ";ext=1";
        r += "\r\n" + pieces[i] + "\r\n";
    }
    return r + "0\r\nX-Trailer: t\r\n\r\n";
}

// `s` cut into pieces of 1, 2, 3, ... 7, 1, 2, ... bytes.
std::vector<std::string> pieces_of(std::string const& s) {
    std::vector<std::string> out;
    for (std::size_t at = 0, n = 1; at < s.size(); at += n, n = n % 7 + 1) out.push_back(s.substr(at, n));
    return out;
}

script_server::reply never_answer() {
    script_server::reply r;
    r.never_answer = true;
    return r;
}

bool transport_truncation(boost::system::error_code const& ec) {
    return ec == asio::ssl::error::stream_truncated || ec == asio::error::eof;
}

// {"id":"i-2"} with an instance_name of `n` bytes.
std::string page_with_name(std::size_t n) {
    return R"({"total":2,"size":1,"instances":[{"id":"i-2","instance_name":")" + std::string(n, 'n') + R"("}]})";
}

}  // namespace

TEST_CASE("bad input: 200 with HTML") {
    std::string const html = "<!DOCTYPE html><html><body>Down for maintenance</body></html>";
    std::string const headers = "Content-Type: text/html; charset=utf-8\r\nX-Request-Id: bad-input-1\r\n";
    auto e = call_fails({ok(html, headers)});
    std::string const what = e.what();
    CAPTURE(what);
    CHECK(e.code() == apig::errc::bad_response);
    CHECK(contains(e.what(), "Content-Type is text/html"));
    CHECK(e.http_status() == 200);
    CHECK(e.request_id() == "bad-input-1");
    walk_fails_after_first_page({ok(html, headers)}, apig::errc::bad_response);
}

TEST_CASE("bad input: empty body") {
    // Also test_responses.cpp "an empty 200 body is bad_response".
    CHECK(call_fails({ok("")}).code() == apig::errc::bad_response);
    auto e = call_fails({raw_server::response("204 No Content", "", "X-Request-Id: bad-input-1\r\n")});
    CHECK(e.code() == apig::errc::unexpected_status);
    CHECK(e.http_status() == 204);
    walk_fails_after_first_page({ok("")}, apig::errc::bad_response);
}

TEST_CASE("bad input: truncated body") {
    // Also test_responses.cpp "a 200 body cut short is an error, not a partial page".
    std::string const body = page(2, {"i-2"});
    std::string const cut = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                            std::to_string(body.size()) + "\r\n\r\n" + body.substr(0, body.size() / 2);
    auto e = call_fails({cut, /*close_after=*/true});
    std::string const what = e.what();
    CAPTURE(what);
    CHECK(transport_truncation(e.code()));
    CHECK(contains(e.what(), "the server closed the connection before the response was complete"));
    // Complete by Content-Length, but the JSON stops early.
    CHECK(call_fails({ok(body.substr(0, body.size() - 2))}).code() == apig::errc::bad_response);
    auto w = walk_with_second({cut, true});
    CHECK(w.ids == std::vector<std::string>{"i-1"});
    CHECK(transport_truncation(w.err.code));
}

TEST_CASE("bad input: body over the cap") {
    std::string const big = page_with_name(2000);
    auto cap = [](apig::client_options o) {
        o.max_body_bytes = 1000;
        return o;
    };
    for (std::string const& reply : {ok(big), chunked(pieces_of(big))}) {
        raw_server srv({{reply}});
        auto e = apig::test::list_error(cap(options_for(srv)));
        std::string const what = e.what();
        CAPTURE(what);
        CHECK(e.code() == apig::errc::response_too_large);
        CHECK(contains(e.what(), "max_body_bytes (1000 bytes)"));
    }
    raw_server srv({{ok(page(2, {"i-1"}))}, {ok(big)}});
    auto w = walk(cap(options_for(srv)));
    CHECK(w.ids == std::vector<std::string>{"i-1"});
    CHECK(w.err.code == apig::errc::response_too_large);
}

TEST_CASE("bad input: a gzip body that was not asked for") {
    // gzip of {"total":2,"size":1,"instances":[{"id":"i-2"}]}: a valid page once inflated.
    std::string const gz(
        "\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\xab\x56\x2a\xc9\x2f\x49\xcc\x51\xb2\x32\xd2\x51\x2a\xce\xac\x4a"
        "\x55\xb2\x32\xd4\x51\xca\xcc\x2b\x2e\x49\xcc\x4b\x4e\x2d\x56\xb2\x8a\xae\x56\xca\x4c\x51\xb2\x52\xca\xd4"
        "\x35\x52\xaa\x8d\xad\x05\x00\x87\xc6\x8d\x53\x2f\x00\x00\x00",
        67);
    for (char const* encoding : {"gzip", "deflate", "br"}) {
        CAPTURE(encoding);
        raw_server srv({{ok(gz, json_headers + "Content-Encoding: " + encoding + "\r\n")}});
        auto e = apig::test::list_error(options_for(srv));
        std::string const what = e.what();
        CAPTURE(what);
        CHECK(e.code() == apig::errc::bad_response);
        CHECK(contains(e.what(), std::string("Content-Encoding: ") + encoding));
        CHECK(contains(e.what(), "not asked for"));
        auto const heads = srv.received();
        REQUIRE(heads.size() == 1);
        CHECK_FALSE(contains(heads[0], "gzip"));  // the client never asks for an encoding
    }
    // Accepted: identity is no encoding.
    CHECK(call_succeeds({ok(page(2, {"i-2"}), json_headers + "Content-Encoding: identity\r\n")}).instances.size() == 1);
    auto err = walk_fails_after_first_page({ok(gz, json_headers + "Content-Encoding: gzip\r\n")}, apig::errc::bad_response);
    CHECK(contains(err.message, "Content-Encoding: gzip"));
}

TEST_CASE("bad input: chunked encoding") {
    // Accepted: chunks of 1 to 7 bytes split keys, numbers and a UTF-8 sequence; a chunk
    // extension and a trailer are ignored.
    std::string const body =
        R"({"total":12345,"size":1,"instances":[{"id":"i-1","instance_name":"\u00e9t\u00e9 )"
        "\xe9\xa1\xb9\xe7\x9b\xae" R"(","create_time":1700000000123}]})";
    auto p = call_succeeds({chunked(pieces_of(body))});
    CHECK(p.total == 12345);
    REQUIRE(p.instances.size() == 1);
    CHECK(p.instances[0].id == "i-1");
    CHECK(p.instances[0].instance_name == "\xc3\xa9t\xc3\xa9 \xe9\xa1\xb9\xe7\x9b\xae");
    CHECK(p.instances[0].create_time == 1700000000123);
    walk_accepts_second({chunked(pieces_of(page(2, {"i-2"})))});
}

TEST_CASE("bad input: wrong content type") {
    // Accepted: a valid page is a page whatever its Content-Type (or none).
    for (char const* type : {"Content-Type: text/plain\r\n", "Content-Type: application/xml\r\n",
                             "Content-Type: application/octet-stream\r\n", ""}) {
        CAPTURE(type);
        auto p = call_succeeds({ok(page(2, {"i-2"}), std::string(type) + "X-Request-Id: bad-input-1\r\n")});
        REQUIRE(p.instances.size() == 1);
        CHECK(p.instances[0].id == "i-2");
    }
    // A body that is not JSON under a non-JSON type names the type.
    auto e = call_fails({ok("service unavailable, try later", "Content-Type: text/plain\r\n")});
    std::string const what = e.what();
    CAPTURE(what);
    CHECK(e.code() == apig::errc::bad_response);
    CHECK(contains(e.what(), "Content-Type is text/plain"));
    walk_accepts_second({ok(page(2, {"i-2"}), "Content-Type: text/plain\r\n")});
}

TEST_CASE("bad input: size != number of instances") {
    // Accepted: `size` is kept as sent; the instances are those received.
    auto p = call_succeeds({ok(page(5, {"a"}, 3))});
    CHECK(p.size == 3);
    CHECK(p.instances.size() == 1);
    p = call_succeeds({ok(page(5, {"a", "b"}, 0))});
    CHECK(p.size == 0);
    CHECK(p.instances.size() == 2);
    // A walk counts instances, not `size`: a page with fewer instances than page_size is the
    // last one, whatever `size` and `total` say (offset 3 of total 4 is never asked for).
    raw_server srv({{ok(page(4, {"i-1", "i-2"}, 7))}, {ok(page(4, {"i-3"}, 2))}, {ok(page(4, {"i-4"}))}});
    auto w = walk(options_for(srv), 2);
    CHECK_FALSE(w.err);
    CHECK(w.ids == std::vector<std::string>{"i-1", "i-2", "i-3"});
    CHECK(srv.requests() == 2);
}

TEST_CASE("bad input: total < offset + size") {
    // Accepted: a page is returned as sent.
    auto p = call_succeeds({ok(page(1, {"a", "b"}))});
    CHECK(p.total == 1);
    CHECK(p.instances.size() == 2);
    // A walk yields what it received, follows the latest total and stops there.
    raw_server srv({{ok(page(4, {"i-1", "i-2"}))}, {ok(page(3, {"i-3", "i-4"}))}, {ok(page(3, {"i-5"}))}});
    auto w = walk(options_for(srv), 2);
    CHECK_FALSE(w.err);
    CHECK(w.ids == std::vector<std::string>{"i-1", "i-2", "i-3", "i-4"});
    CHECK(w.total_changes == 1);
    CHECK(srv.requests() == 2);
}

TEST_CASE("bad input: negative, fractional, string or 20-digit numbers") {
    struct row {
        std::string body;
        std::string message;
    };
    std::string const inst = R"({"total":1,"size":1,"instances":[{"id":"a",)";
    for (auto const& r : std::vector<row>{
             {R"({"total":-1,"size":0,"instances":[]})", "total: must not be negative"},
             {R"({"total":1,"size":-1,"instances":[]})", "size: must not be negative"},
             {R"({"total":1.5,"size":0,"instances":[]})", "total: expected an integer, got a floating-point number"},
             {R"({"total":2.0,"size":0,"instances":[]})", "total: expected an integer, got a floating-point number"},
             {R"({"total":1e3,"size":0,"instances":[]})", "total: expected an integer, got a floating-point number"},
             {R"({"total":"2","size":0,"instances":[]})", "total: expected an integer, got a string"},
             {R"({"total":12345678901234567890,"size":0,"instances":[]})", "total: integer out of int64 range"},
             {R"({"total":-12345678901234567890,"size":0,"instances":[]})", "total: integer out of int64 range"},
             {R"({"total":1,"size":12345678901234567890,"instances":[]})", "size: integer out of int32 range"},
             {inst + R"("create_time":99999999999999999999}]})", "instances[0].create_time: integer out of int64 range"},
             {inst + R"("create_time":1.7e12}]})", "instances[0].create_time: expected an integer, got a floating-point number"},
             {inst + R"("instance_status":12345678901}]})", "instances[0].instance_status: integer out of int32 range"},
             {inst + R"("instance_status":"6"}]})", "instances[0].instance_status: expected an integer, got a string"},
             {inst + R"("charging_mode":-0.5}]})", "instances[0].charging_mode: expected an integer, got a floating-point number"},
         }) {
        CAPTURE(r.body);
        auto e = call_fails({ok(r.body)});
        CHECK(e.code() == apig::errc::bad_response);
        CHECK(contains(e.what(), r.message));
    }
    // Accepted: a negative create_time (before 1970) and an unknown negative status code.
    auto p = call_succeeds({ok(inst + R"("create_time":-1,"instance_status":-7}]})")});
    REQUIRE(p.instances.size() == 1);
    CHECK(p.instances[0].create_time == -1);
    REQUIRE(p.instances[0].instance_status);
    CHECK(p.instances[0].instance_status->code() == -7);
    walk_fails_after_first_page({ok(R"({"total":-1,"size":0,"instances":[]})")}, apig::errc::bad_response);
}

TEST_CASE("bad input: nesting 10,000 deep") {
    // Refused by the parser at depth 64, long before its stack could matter.
    std::string const arrays = R"({"total":1,"size":0,"instances":[],"x":)" + std::string(10'000, '[') +
                               std::string(10'000, ']') + "}";
    std::string objects = R"({"total":1,"size":0,"instances":[],"x":)";
    for (int i = 0; i < 10'000; ++i) objects += R"({"x":)";
    objects += "1" + std::string(10'001, '}');
    for (std::string const& body : {arrays, objects}) {
        auto e = call_fails({ok(body)});
        std::string const what = e.what();
        CAPTURE(what);
        CHECK(e.code() == apig::errc::bad_response);
        CHECK(contains(e.what(), "invalid JSON at byte"));
    }
    // Deep where an instance belongs: refused at the first wrong value.
    auto e = call_fails({ok(R"({"total":1,"size":1,"instances":)" + std::string(10'000, '[') + std::string(10'000, ']') + "}")});
    CHECK(e.code() == apig::errc::bad_response);
    CHECK(contains(e.what(), "instances[0]: expected an object, got an array"));
    walk_fails_after_first_page({ok(arrays)}, apig::errc::bad_response);
}

TEST_CASE("bad input: a 1 MB string") {
    // Accepted (below max_body_bytes): kept in a known field, skipped in an unknown one.
    std::size_t const mb = std::size_t{1} << 20;
    auto p = call_succeeds({ok(page_with_name(mb))});
    REQUIRE(p.instances.size() == 1);
    CHECK(p.instances[0].instance_name->size() == mb);
    p = call_succeeds({ok(R"({"total":1,"size":1,"description":")" + std::string(mb, 'd') +
                          R"(","instances":[{"id":"i-1"}]})")});
    CHECK(p.instances.size() == 1);
    // Refused above max_body_bytes.
    raw_server srv({{ok(page_with_name(mb))}});
    auto o = options_for(srv);
    o.max_body_bytes = mb / 2;
    CHECK(apig::test::list_error(o).code() == apig::errc::response_too_large);
    walk_accepts_second({ok(page_with_name(mb))});
}

TEST_CASE("bad input: invalid UTF-8") {
    for (std::string const& body : {
             std::string(R"({"total":1,"size":1,"instances":[{"id":"i-)" "\xff\xfe" R"("}]})"),
             std::string(R"({"total":1,"size":1,"instances":[{"id":"a","instance_name":")" "\xc0\xaf" R"("}]})"),
             std::string(R"({"total":1,"size":1,"x":")" "\xed\xa0\x80" R"(","instances":[]})"),
             std::string(R"({"total":1,"size":1,")" "\xff" R"(":1,"instances":[]})"),
             std::string(R"({"total":1,"size":1,"instances":[{"id":"a","instance_name":"cut )" "\xe9\xa1" R"("}]})"),
             std::string(R"({"total":1,"size":1,"instances":[{"id":"lone \ud800 surrogate"}]})"),
         }) {
        CAPTURE(body);
        auto e = call_fails({ok(body)});
        std::string const what = e.what();
        CAPTURE(what);
        CHECK(e.code() == apig::errc::bad_response);
        CHECK(contains(e.what(), "invalid JSON at byte"));
    }
    walk_fails_after_first_page({ok(R"({"total":2,"size":1,"instances":[{"id":"i-)" "\xff" R"("}]})")},
                                apig::errc::bad_response);
}

TEST_CASE("bad input: duplicate keys") {
    // Accepted: the last one wins (a later null makes a field absent again; a second
    // "instances" replaces the first).
    auto p = call_succeeds({ok(
        R"({"total":1,"total":3,"size":1,"instances":[{"id":"x"}],)"
        R"("instances":[{"id":"a","id":"b","instance_name":"n","instance_name":null,"status":"Running","status":"Deleting"}]})")});
    CHECK(p.total == 3);
    REQUIRE(p.instances.size() == 1);
    CHECK(p.instances[0].id == "b");
    CHECK_FALSE(p.instances[0].instance_name);
    REQUIRE(p.instances[0].status);
    CHECK(p.instances[0].status->wire() == "Deleting");
    walk_accepts_second({ok(R"({"total":2,"size":1,"instances":[{"id":"zz"}],"instances":[{"id":"i-2"}]})")});
}

TEST_CASE("bad input: a 3xx redirect") {
    // Not followed (the Location is another server); a clear error naming it.
    std::string const location = "https://127.0.0.1:1/v2/p1/apigw/instances?offset=0&limit=20";
    for (auto [status, line] : std::vector<std::pair<unsigned, char const*>>{
             {301, "301 Moved Permanently"}, {302, "302 Found"}, {303, "303 See Other"},
             {307, "307 Temporary Redirect"}, {308, "308 Permanent Redirect"}}) {
        std::string const status_line = line;
        CAPTURE(status_line);
        raw_server srv({{raw_server::response(status_line, "", "Location: " + location + "\r\nX-Request-Id: bad-input-1\r\n")}});
        auto e = apig::test::list_error(options_for(srv));
        std::string const what = e.what();
        CAPTURE(what);
        CHECK(e.code() == apig::errc::unexpected_status);
        CHECK(e.http_status() == status);
        CHECK(contains(e.what(), "HTTP " + std::to_string(status)));
        CHECK(contains(e.what(), "redirects are not followed"));
        CHECK(contains(e.what(), location));
        CHECK(srv.requests() == 1);
    }
    auto err = walk_fails_after_first_page(
        {raw_server::response("302 Found", "", "Location: " + location + "\r\n")}, apig::errc::unexpected_status);
    CHECK(contains(err.message, "redirects are not followed"));
}

TEST_CASE("bad input: 1xx") {
    std::string const final_page = ok(page(2, {"i-2"}));
    SUBCASE("100 Continue, then the page") {
        auto p = call_succeeds({"HTTP/1.1 100 Continue\r\n\r\n" + final_page});
        REQUIRE(p.instances.size() == 1);
        CHECK(p.instances[0].id == "i-2");
    }
    SUBCASE("103 Early Hints and 100 Continue, then the page") {
        auto p = call_succeeds({"HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"
                                "HTTP/1.1 100 Continue\r\n\r\n" + final_page});
        REQUIRE(p.instances.size() == 1);
        CHECK(p.instances[0].id == "i-2");
    }
    SUBCASE("an endless stream of 100 Continue") {
        std::string replies;
        for (int i = 0; i < 50; ++i) replies += "HTTP/1.1 100 Continue\r\n\r\n";
        auto e = call_fails({replies + final_page});
        CHECK(e.code() == apig::errc::bad_response);
        CHECK(contains(e.what(), "interim (1xx) responses"));
    }
    SUBCASE("a lone 101 Switching Protocols") {
        auto e = call_fails({"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"});
        CHECK(e.code() == apig::errc::unexpected_status);
        CHECK(e.http_status() == 101);
    }
    SUBCASE("a walk: 100 Continue before page 2") {
        walk_accepts_second({"HTTP/1.1 100 Continue\r\n\r\n" + final_page});
    }
}

TEST_CASE("bad input: an HTTP/1.0 response") {
    std::string const body = page(2, {"i-2"});
    std::string const with_length = "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                                    std::to_string(body.size()) + "\r\n\r\n" + body;
    SUBCASE("with Content-Length: accepted, the connection not kept") {
        raw_server srv({{with_length}, {with_length}});
        asio::io_context io;
        apig::client c(io.get_executor(), options_for(srv));
        CHECK(run(io, c.list_instances({})).instances.size() == 1);
        CHECK(run(io, c.list_instances({})).instances.size() == 1);
        CHECK(srv.connections() == 2);
    }
    SUBCASE("the body ending with the connection (TLS close_notify): accepted") {
        tls_script s({{"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n" + body, false, true}});
        asio::io_context io;
        apig::client c(io.get_executor(), s.options());
        auto p = run(io, c.list_instances({}));
        REQUIRE(p.instances.size() == 1);
        CHECK(p.instances[0].id == "i-2");
    }
    SUBCASE("a walk") {
        walk_accepts_second({with_length});
    }
}

TEST_CASE("bad input: headers over the limit") {
    std::string const body = page(2, {"i-2"});
    std::string const one_long = "X-Filler: " + std::string(70 * 1024, 'x') + "\r\n";
    std::string many;
    for (int i = 0; i < 2000; ++i) many += "X-Filler-" + std::to_string(i) + ": 0123456789012345678901234567890\r\n";
    for (std::string const& extra : {one_long, many}) {
        auto e = call_fails({ok(body, json_headers + extra)});
        std::string const what = e.what();
        CAPTURE(what);
        CHECK(e.code() == apig::errc::bad_response);
        CHECK(contains(e.what(), "headers"));
        CHECK(contains(e.what(), "64 KiB"));
    }
    // Accepted: 60 KiB of headers.
    auto p = call_succeeds({ok(body, json_headers + "X-Filler: " + std::string(60 * 1024, 'x') + "\r\n")});
    CHECK(p.instances.size() == 1);
    walk_fails_after_first_page({ok(body, json_headers + one_long)}, apig::errc::bad_response);
}

TEST_CASE("bad input: a server that accepts and never answers") {
    using clock = std::chrono::steady_clock;
    SUBCASE("the request is read, never answered: timeouts.attempt") {
        tls_script s({never_answer()});
        auto o = s.options();
        o.timeouts.attempt = milliseconds(200);
        auto const t0 = clock::now();
        auto e = apig::test::list_error(o);
        CHECK(clock::now() - t0 < milliseconds(3000));
        std::string const what = e.what();
        CAPTURE(what);
        CHECK(e.code() == apig::errc::timed_out);
        CHECK(contains(e.what(), "timeouts.attempt = 200 ms"));
        CHECK(s.srv.received().size() == 1);
    }
    SUBCASE("the overall deadline bounds it too: timeouts.total") {
        tls_script s({never_answer()});
        auto o = s.options();
        o.timeouts.total = milliseconds(300);
        auto const t0 = clock::now();
        auto e = apig::test::list_error(o);
        CHECK(clock::now() - t0 < milliseconds(3000));
        CHECK(e.code() == apig::errc::timed_out);
        CHECK(contains(e.what(), "timeouts.total = 300 ms"));
    }
    SUBCASE("TCP accepted, no TLS handshake: timeouts.handshake") {
        // Also test_resilience.cpp "a handshake that never completes times out".
        tls_script s({}, script_server::opening::silent);
        auto o = s.options();
        o.timeouts.handshake = milliseconds(200);
        auto e = apig::test::list_error(o);
        CHECK(e.code() == apig::errc::timed_out);
        CHECK(contains(e.what(), "timeouts.handshake = 200 ms"));
    }
    SUBCASE("a walk: page 2 never answered") {
        tls_script s({{ok(page(2, {"i-1"}))}, never_answer()});
        auto o = s.options();
        o.timeouts.attempt = milliseconds(200);
        auto w = walk(o);
        CHECK(w.ids == std::vector<std::string>{"i-1"});
        CHECK(w.err.code == apig::errc::timed_out);
    }
}

TEST_CASE("bad input: a server that closes mid-handshake") {
    // The connection breaking during the handshake is a transport failure (the code of the
    // break, retried), unlike a TLS alert (tls_handshake_failed, not retried).
    SUBCASE("one attempt") {
        tls_script s({}, script_server::opening::close_mid_handshake);
        auto o = s.options();
        o.retry.max_attempts = 1;
        auto e = apig::test::list_error(o);
        std::string const what = e.what();
        CAPTURE(what);
        CHECK(e.code() != apig::errc::tls_handshake_failed);
        CHECK(e.code() != apig::errc::tls_verification_failed);
        CHECK(contains(e.what(), "TLS handshake with 127.0.0.1: the server closed the connection"));
        CHECK(e.http_status() == 0);
        CHECK(s.srv.bytes_received() == 0);
    }
    SUBCASE("retried as a transport failure") {
        tls_script s({}, script_server::opening::close_mid_handshake);
        auto o = s.options();
        o.retry.max_attempts = 3;
        apig::detail::seams(o.retry).sleep = [](milliseconds) -> asio::awaitable<void> { co_return; };
        auto e = apig::test::list_error(o);
        CHECK(contains(e.what(), "the server closed the connection"));
        CHECK(e.info().attempts == 3);
        CHECK(s.srv.connections() == 3);
    }
    SUBCASE("a walk: page 2 needs a new connection, which closes mid-handshake") {
        tls_script s({{ok(page(2, {"i-1"}), json_headers + "Connection: close\r\n")}},
                     script_server::opening::close_mid_handshake, /*from=*/1);
        auto w = walk(s.options());
        CHECK(w.ids == std::vector<std::string>{"i-1"});
        CHECK(contains(w.err.message, "the server closed the connection"));
        CHECK(s.srv.connections() >= 2);
    }
}
