// client_options::user_agent_suffix and extra_headers: sent with every request, unsigned, and
// checked by the constructor.
#include "harness.hpp"
#include "raw_server.hpp"

#include <boost/asio/io_context.hpp>

#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

namespace asio = boost::asio;
using apig::test::raw_server;
using apig::test::run;

namespace {

std::string const ok_page = raw_server::response("200 OK", R"({"total":1,"size":1,"instances":[{"id":"i-1"}]})",
                                                 "Content-Type: application/json\r\n");

bool contains(std::string const& s, std::string const& part) { return s.find(part) != std::string::npos; }

// The message of the constructor's api_error (fails the test if it does not throw one).
std::string refused(apig::client_options const& o) {
    asio::io_context io;
    try {
        apig::client c(io.get_executor(), o);
    } catch (apig::api_error const& e) {
        CHECK(e.code() == apig::errc::invalid_argument);
        return e.what();
    }
    FAIL("the constructor accepted the options");
    return {};
}

apig::client_options offline() {
    apig::client_options o;
    o.endpoint = "https://127.0.0.1:9";
    o.project_id = "p1";
    o.credentials = apig::token_credentials{"tok-headers-test"};
    return o;
}

}  // namespace

TEST_CASE("headers: the User-Agent suffix and the extra headers reach the server, in order") {
    raw_server srv({{ok_page}, {ok_page}});
    auto o = apig::test::trusting(srv, "tok-headers-test");
    o.user_agent_suffix = "billing-sync/2.3 (+ops)";
    o.extra_headers = {{"X-Trace-Tag", "batch-7"}, {"x-route", "eu west"}, {"X-Trace-Tag", "second"}};
    asio::io_context io;
    apig::client c(io.get_executor(), o);
    run(io, c.list_instances({}));
    run(io, c.list_instances({.offset = 1}));
    auto const heads = srv.received();
    REQUIRE(heads.size() == 2);
    for (auto const& h : heads) {
        CAPTURE(h);
        CHECK(contains(h, "\r\nUser-Agent: apig-cpp/" + std::string(apig::version_string) +
                              " billing-sync/2.3 (+ops)\r\n"));
        CHECK(contains(h, "\r\nAccept: application/json\r\nX-Trace-Tag: batch-7\r\nx-route: eu west\r\n"
                          "X-Trace-Tag: second\r\n"));
        CHECK(contains(h, "\r\nX-Auth-Token: tok-headers-test\r\n"));
    }
}

TEST_CASE("headers: without the options, only the client's own headers") {
    raw_server srv({{ok_page}});
    asio::io_context io;
    apig::client c(io.get_executor(), apig::test::trusting(srv, "tok-headers-test"));
    run(io, c.list_instances({}));
    auto const heads = srv.received();
    REQUIRE(heads.size() == 1);
    CHECK(contains(heads[0], "\r\nUser-Agent: apig-cpp/" + std::string(apig::version_string) +
                                 "\r\nAccept: application/json\r\nX-Auth-Token: "));
}

TEST_CASE("headers: extra headers are not signed, and a signed request still verifies") {
    std::string const ak = "HPUAK7QEXAMPLEKEY001", sk = "sk/Pz9+0123456789abcdefghijklmnopqrstuvwx";
    SUBCASE("the signed header list is the documented one") {
        raw_server srv({{ok_page}});
        auto o = apig::test::trusting(srv, "unused");
        o.credentials = apig::aksk_credentials{.ak = ak, .sk = sk};
        o.extra_headers = {{"X-Trace-Tag", "batch-7"}};
        asio::io_context io;
        apig::client c(io.get_executor(), o);
        run(io, c.list_instances({}));
        auto const heads = srv.received();
        REQUIRE(heads.size() == 1);
        CHECK(contains(heads[0], "\r\nX-Trace-Tag: batch-7\r\n"));
        CHECK(contains(heads[0], "SignedHeaders=host;x-project-id;x-sdk-date, Signature="));
    }
    SUBCASE("the emulator accepts the signature and sees the User-Agent") {
        apig::emulator::options eo;
        eo.instance_count = 3;
        eo.access_keys = {{.ak = ak, .sk = sk}};
        apig::emulator::server srv(eo);
        auto o = apig::test::options_for(srv);
        o.credentials = apig::aksk_credentials{.ak = ak, .sk = sk};
        o.user_agent_suffix = "svc/1";
        o.extra_headers = {{"X-Trace-Tag", "batch-7"}};
        auto const page = apig::test::list_once(srv, {}, o);
        CHECK(page.instances.size() == 3);
        auto const reqs = srv.requests();
        REQUIRE(reqs.size() == 1);
        CHECK(reqs[0].auth == apig::emulator::auth_kind::aksk);
        CHECK(reqs[0].status == 200);
        CHECK(reqs[0].user_agent == "apig-cpp/" + std::string(apig::version_string) + " svc/1");
    }
}

TEST_CASE("headers: the constructor refuses a bad suffix, name or value, naming what is wrong") {
    auto o = offline();
    o.user_agent_suffix = "svc\r\nX-Injected: 1";
    CHECK(refused(o) == "invalid argument: user_agent_suffix contains a control character (CR, LF, NUL, ...)");

    struct row {
        std::string name, value, expected;
    };
    for (auto const& r : std::vector<row>{
             {"", "v", "extra_headers[1]: '' is not a valid header name"},
             {"X Bad", "v", "extra_headers[1]: 'X Bad' is not a valid header name"},
             {"X-Bad:", "v", "extra_headers[1]: 'X-Bad:' is not a valid header name"},
             {"X-\r\nInjected", "v", "is not a valid header name"},
             {"X-Ok", "a\r\nX-Injected: 1", "extra_headers[1] (X-Ok): the value contains a control character"},
             {"X-Ok", std::string("a\0b", 3), "extra_headers[1] (X-Ok): the value contains a control character"},
             {"authorization", "v", "extra_headers[1]: Authorization is set by the client and cannot be added"},
             {"HOST", "v", "extra_headers[1]: Host is set by the client"},
             {"x-auth-token", "v", "X-Auth-Token is set by the client"},
             {"X-SDK-DATE", "v", "X-Sdk-Date is set by the client"},
             {"x-security-token", "v", "X-Security-Token is set by the client"},
             {"X-Project-ID", "v", "X-Project-Id is set by the client"},
             {"content-length", "0", "Content-Length is set by the client"},
             {"Transfer-Encoding", "chunked", "Transfer-Encoding is set by the client"},
             {"CONNECTION", "close", "Connection is set by the client"},
             {"user-agent", "v", "User-Agent is set by the client and cannot be added (use user_agent_suffix)"},
             {"Accept-Encoding", "gzip", "Accept-Encoding is set by the client"},
             {"expect", "100-continue", "Expect is set by the client"},
         }) {
        auto bad = offline();
        bad.extra_headers = {{"X-Fine", "ok"}, {r.name, r.value}};
        CAPTURE(r.expected);
        auto const message = refused(bad);
        CHECK(contains(message, r.expected));
        // A value is never quoted back.
        if (r.value.size() > 1) CHECK_FALSE(contains(message, r.value));
        CHECK_FALSE(contains(message, "\r"));
    }
    // Accepted: token characters of every kind, an empty value, non-ASCII bytes in a value.
    auto fine = offline();
    fine.user_agent_suffix = "svc/1 (caf\xc3\xa9)";
    fine.extra_headers = {{"X-A!#$%&'*+-.^_`|~9", ""}, {"X-Name", "caf\xc3\xa9"}};
    asio::io_context io;
    CHECK_NOTHROW(apig::client(io.get_executor(), fine));
}
