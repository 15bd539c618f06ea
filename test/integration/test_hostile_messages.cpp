// Messages about a hostile or slow server say each thing once. When the
// call's overall deadline (timeouts.total) cuts an attempt short, the attempt's own error names
// it; the retry loop must not add a second sentence naming the same deadline again.
#include "harness.hpp"
#include "raw_server.hpp"
#include "retry_detail.hpp"  // test seams

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <string_view>

using apig::test::raw_server;
using std::chrono::milliseconds;

namespace {

std::size_t count(std::string_view s, std::string_view part) {
    std::size_t n = 0;
    for (auto i = s.find(part); i != std::string_view::npos; i = s.find(part, i + part.size())) ++n;
    return n;
}

// A client of a scripted server that retries (unlike the bad-input matrix), with an overall
// deadline far shorter than every other limit, so it is always the deadline that ends the call.
apig::client_options options_for(raw_server const& srv, milliseconds total) {
    auto o = apig::test::trusting(srv, "tok-9c1e-secret");
    o.retry.max_attempts = 4;
    o.retry.initial_backoff = milliseconds(10);
    apig::detail::seams(o.retry).random = [] { return 0.5; };
    o.timeouts.connect = milliseconds(10000);
    o.timeouts.handshake = milliseconds(10000);
    o.timeouts.attempt = milliseconds(10000);
    o.timeouts.total = total;
    return o;
}

// Headers promising a body that never comes, the connection kept open: the client waits
// until a time limit ends the attempt.
std::string const never_finished = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{";

std::string const unavailable =
    raw_server::response("503 Service Unavailable", R"({"error_code":"APIC.9000","error_msg":"busy"})",
                         "Content-Type: application/json\r\nX-Request-Id: hostile-1\r\n");

}  // namespace

TEST_CASE("hostile messages: an attempt cut by the overall deadline names it once") {
    raw_server srv({{never_finished}});
    auto const e = apig::test::list_error(options_for(srv, milliseconds(300)));
    std::string const what = e.what();
    CAPTURE(what);
    CHECK(e.code() == apig::errc::timed_out);
    CHECK(e.info().attempts == 1);
    CHECK(count(what, "timeouts.total = 300 ms") == 1);
    CHECK(count(what, "overall deadline") == 1);
    CHECK(count(what, "left no time") == 0);
    CHECK(count(what, "timed out") == 1);
    CHECK(what.find("reading the response") != std::string::npos);
}

TEST_CASE("hostile messages: 503, then an attempt cut by the overall deadline: named once, attempts counted") {
    raw_server srv({{unavailable}, {never_finished}});
    auto const e = apig::test::list_error(options_for(srv, milliseconds(500)));
    std::string const what = e.what();
    CAPTURE(what);
    CHECK(e.code() == apig::errc::timed_out);
    CHECK(e.info().attempts == 2);
    CHECK(srv.requests() == 2);
    CHECK(count(what, "timeouts.total = 500 ms") == 1);
    CHECK(count(what, "overall deadline") == 1);
    CHECK(count(what, "left no time") == 0);
    CHECK(what.find("(after 2 attempts)") != std::string::npos);
}

TEST_CASE("hostile messages: a 503 whose Retry-After does not fit: the deadline sentence, once") {
    // The attempt itself did not time out, so the deadline is named by the retry loop: once.
    raw_server srv({{raw_server::response("503 Service Unavailable", R"({"error_code":"APIC.9000","error_msg":"busy"})",
                                          "Retry-After: 5\r\nX-Request-Id: hostile-2\r\n")}});
    auto const e = apig::test::list_error(options_for(srv, milliseconds(300)));
    std::string const what = e.what();
    CAPTURE(what);
    CHECK(e.code() == apig::errc::timed_out);
    CHECK(e.http_status() == 503);
    CHECK(e.info().attempts == 1);
    CHECK(srv.requests() == 1);
    CHECK(count(what, "overall deadline") == 1);
    CHECK(count(what, "timeouts.total = 300 ms") == 1);
    CHECK(what.find("HTTP 503 APIC.9000: busy (request id hostile-2); then the call's overall deadline "
                    "(timeouts.total = 300 ms) left no time for the 5000 ms wait before attempt 2 (1 attempt)") !=
          std::string::npos);
}
