// The bad-input matrix (README, "Bad input"), caller side: request fields, project ids and
// values sent in headers. One test per row, named after the row. Every row ends in a typed
// error or a documented accept, before any I/O where the input is refused.
#include "bad_input_support.hpp"
#include "certs.hpp"
#include "harness.hpp"
#include "plain_server.hpp"
#include "raw_server.hpp"

#include <boost/asio/use_awaitable.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace asio = boost::asio;
using namespace apig::test::bad_input;
using apig::test::raw_server;
using apig::test::run;
using apig::test::script_server;

namespace {

// A request refused before any I/O: invalid_argument naming the problem; the server sees
// no connection.
void refused_before_io(apig::list_request req, std::string const& needle) {
    raw_server srv({{ok(page(1, {"i-1"}))}});
    auto e = apig::test::list_error(options_for(srv), req);
    std::string const what = e.what();
    CAPTURE(what);
    CHECK(e.code() == apig::errc::invalid_argument);
    CHECK(contains(e.what(), needle));
    CHECK(e.info().attempts == 0);
    CHECK(srv.connections() == 0);
}

}  // namespace

TEST_CASE("bad input: limit 0") {
    // Also: test_client.cpp "an invalid request fails before any I/O".
    refused_before_io({.limit = 0}, "limit must be in 1..500 (got 0)");
}

TEST_CASE("bad input: limit 501") {
    refused_before_io({.limit = 501}, "limit must be in 1..500 (got 501)");
    // A walk's page size has the same range (test_pager.cpp "list_all and a bad page size").
}

TEST_CASE("bad input: limit -1") {
    refused_before_io({.limit = -1}, "limit must be in 1..500 (got -1)");
}

TEST_CASE("bad input: offset -1") {
    refused_before_io({.offset = -1}, "offset must be >= 0 (got -1)");
    // A walk starting at offset -1 is refused the same way, before any request.
    raw_server srv({{ok(page(1, {"i-1"}))}});
    asio::io_context io;
    apig::client c(io.get_executor(), options_for(srv));
    apig::error_info err;
    run(io, [&]() -> asio::awaitable<void> {
        auto g = c.pages({.offset = -1});
        CHECK_FALSE(co_await g.next(err));
    }());
    CHECK(err.code == apig::errc::invalid_argument);
    CHECK(contains(err.message, "offset must be >= 0 (got -1)"));
    CHECK(srv.connections() == 0);
}

TEST_CASE("bad input: empty project id") {
    auto o = offline_options();
    o.project_id = "";
    refused_by_constructor(o, "project_id must not be empty");
}

TEST_CASE("bad input: 10 KB project id") {
    // Accepted: sent as one path segment (the emulator reads request heads up to 16 KiB).
    std::string const id(10 * 1024, 'a');
    apig::emulator::server srv({.project_ids = {id}, .instance_count = 3});
    auto p = apig::test::list_once(srv, {}, apig::test::options_for(srv, id));
    CHECK(p.total == 3);
    auto const reqs = srv.requests();
    REQUIRE(reqs.size() == 1);
    CHECK(reqs[0].status == 200);
    CHECK(reqs[0].project_id == id);
    CHECK(reqs[0].target == "/v2/" + id + "/apigw/instances?offset=0&limit=20");
}

TEST_CASE("bad input: project id with / .. ? # % and non-ASCII") {
    // Accepted: each is exactly one percent-encoded path segment (also test_client.cpp "a
    // hostile project id is one literal path segment at the server"; here with the exact target).
    struct row {
        std::string id;
        std::string segment;
    };
    std::vector<row> const rows{
        {"a/b", "a%2Fb"}, {"..", "%2E%2E"}, {".", "%2E"}, {"x?y#z", "x%3Fy%23z"}, {"50%", "50%25"},
        {"%2e%2e", "%252e%252e"}, {"\xe9\xa1\xb9\xe7\x9b\xae", "%E9%A1%B9%E7%9B%AE"}, {"a b+c", "a%20b%2Bc"}};
    std::vector<std::string> ids;
    for (auto const& r : rows) ids.push_back(r.id);
    apig::emulator::server srv({.project_ids = ids, .instance_count = 2});
    for (std::size_t k = 0; k < rows.size(); ++k) {
        CAPTURE(rows[k].id);
        auto p = apig::test::list_once(srv, {}, apig::test::options_for(srv, rows[k].id));
        CHECK(p.total == 2);
        auto const last = srv.requests().back();
        CHECK(last.status == 200);
        CHECK(last.project_id == rows[k].id);
        CHECK(last.target == "/v2/" + rows[k].segment + "/apigw/instances?offset=0&limit=20");
    }
}

TEST_CASE("bad input: CR, LF or NUL in a token or header value") {
    // Refused by the constructor, before any I/O (also test_client.cpp "bad client options are
    // refused by the constructor" for CR LF).
    std::string const nul("t\0k", 3);
    for (std::string const& bad : {std::string("t\rk"), std::string("t\nk"), nul}) {
        CAPTURE(bad.size());
        auto o = offline_options();
        o.credentials = apig::token_credentials{bad};
        refused_by_constructor(o, "credentials: the token contains a control character");
        o = offline_options();
        o.credentials = apig::aksk_credentials{.ak = "AKEXAMPLE0123" + bad, .sk = "SKEXAMPLE0123456"};
        refused_by_constructor(o, "credentials: the AK contains a control character");
        o = offline_options();
        o.credentials = apig::aksk_credentials{.ak = "AKEXAMPLE0123", .sk = "SKEXAMPLE0123456", .security_token = bad};
        refused_by_constructor(o, "credentials: the security token contains a control character");
        o = offline_options();
        o.project_id = "p" + bad;  // also sent as X-Project-Id with AK/SK
        refused_by_constructor(o, "project_id contains a control character");
    }
    SUBCASE("a credentials provider handing one out: credentials_unavailable, nothing sent") {
        raw_server srv({{ok(page(1, {"i-1"}))}});
        auto o = options_for(srv);
        o.credentials = std::make_shared<apig::rotating_credentials>(apig::token_credentials{"fine-token-0123"});
        auto rot = std::get<std::shared_ptr<apig::credentials_provider>>(o.credentials);
        static_cast<apig::rotating_credentials&>(*rot).set(apig::token_credentials{"t\r\nX-Evil: 1"});
        auto e = apig::test::list_error(o);
        CHECK(e.code() == apig::errc::credentials_unavailable);
        CHECK(contains(e.what(), "the token contains a control character"));
        CHECK(srv.connections() == 0);
    }
    SUBCASE("tls.server_name: refused by the constructor") {
        for (std::string const& bad : {std::string("localhost\r\nX: 1"), std::string("local\0host", 10)}) {
            auto const m = apig::emulator::make_tls_material();
            script_server srv({{ok(page(1, {"i-1"}))}}, apig::test::certs::server_context(m));
            auto o = options_for(srv.endpoint(), m.ca_cert_pem);
            o.tls.server_name = bad;
            asio::io_context io;
            try {
                apig::client c(io.get_executor(), o);
                FAIL("accepted a control character in tls.server_name");
            } catch (apig::api_error const& e) {
                CHECK(e.code() == apig::errc::invalid_argument);
                CHECK(contains(e.what(), "tls.server_name contains a control character"));
            }
            CHECK(srv.connections() == 0);
        }
    }
}

TEST_CASE("bad input: instance_name with reserved characters") {
    // Accepted: percent-encoded (all but A-Z a-z 0-9 - . _ ~), so it cannot end the query,
    // start another parameter or a header.
    raw_server srv({{ok(page(0, {}))}});
    apig::list_request req;
    req.instance_name = "a b&c=d?e#f/g%h+i;j\xc3\xa9\r\nX-Evil: 1";
    asio::io_context io;
    apig::client c(io.get_executor(), options_for(srv));
    auto p = run(io, c.list_instances(req));
    CHECK(p.total == 0);
    auto const heads = srv.received();
    REQUIRE(heads.size() == 1);
    CHECK(heads[0].starts_with(
        "GET /v2/p1/apigw/instances?offset=0&limit=20&instance_name="
        "a%20b%26c%3Dd%3Fe%23f%2Fg%25h%2Bi%3Bj%C3%A9%0D%0AX-Evil%3A%201 HTTP/1.1\r\n"));
    CHECK_FALSE(contains(heads[0], "\r\nX-Evil"));
}
