// Error category, HTTP status mapping, response errors and redaction.
#include <apig/error.hpp>

#include "error_detail.hpp"

#include <doctest/doctest.h>

#include <set>

TEST_CASE("each HTTP status class maps to its own errc") {
    using apig::errc;
    CHECK(apig::errc_from_http_status(400) == errc::bad_request);
    CHECK(apig::errc_from_http_status(401) == errc::unauthorized);
    CHECK(apig::errc_from_http_status(403) == errc::forbidden);
    CHECK(apig::errc_from_http_status(404) == errc::not_found);
    CHECK(apig::errc_from_http_status(429) == errc::too_many_requests);
    CHECK(apig::errc_from_http_status(500) == errc::internal_server_error);
    CHECK(apig::errc_from_http_status(502) == errc::server_error);
    CHECK(apig::errc_from_http_status(503) == errc::server_error);
    CHECK(apig::errc_from_http_status(599) == errc::server_error);
    CHECK(apig::errc_from_http_status(302) == errc::unexpected_status);
    CHECK(apig::errc_from_http_status(418) == errc::unexpected_status);
    CHECK(apig::errc_from_http_status(100) == errc::unexpected_status);
}

TEST_CASE("the category names every errc distinctly") {
    std::set<std::string> messages;
    for (int i = 1; i <= static_cast<int>(apig::errc::walk_limit_exceeded); ++i) {
        boost::system::error_code ec = static_cast<apig::errc>(i);
        CHECK(ec.category().name() == std::string("apig"));
        CHECK(messages.insert(ec.message()).second);
    }
    boost::system::error_code ec = apig::errc::timed_out;
    CHECK(ec == apig::errc::timed_out);
    CHECK(ec != apig::errc::bad_response);
}

TEST_CASE("error body: error_code/error_msg shape") {
    auto e = apig::error_from_response(
        401, "Unauthorized",
        R"({"error_code":"APIC.7102","error_msg":"Incorrect token or token resolution failed"})",
        "req-1");
    CHECK(e.code == apig::errc::unauthorized);
    CHECK(e.http_status == 401);
    CHECK(e.api_code == "APIC.7102");
    CHECK(e.api_message == "Incorrect token or token resolution failed");
    CHECK(e.request_id == "req-1");
    CHECK(e.message == "HTTP 401 APIC.7102: Incorrect token or token resolution failed (request id req-1)");
}

TEST_CASE("error body: code/message shape, numeric code") {
    auto e = apig::error_from_response(403, "Forbidden", R"({"code":"APIC.7106","message":"No permissions"})", "");
    CHECK(e.code == apig::errc::forbidden);
    CHECK(e.api_code == "APIC.7106");
    CHECK(e.api_message == "No permissions");
    CHECK(e.message == "HTTP 403 APIC.7106: No permissions");
    auto n = apig::error_from_response(500, "", R"({"code":500,"message":"boom"})", "r");
    CHECK(n.code == apig::errc::internal_server_error);
    CHECK(n.api_code == "500");
}

TEST_CASE("error body that is not an API error keeps the status and reason") {
    auto e = apig::error_from_response(502, "Bad Gateway", "<html>nginx</html>", "abc");
    CHECK(e.code == apig::errc::server_error);
    CHECK(e.api_code.empty());
    CHECK(e.api_message.empty());
    CHECK(e.message == "HTTP 502 Bad Gateway (request id abc)");
}

TEST_CASE("api_error carries the details and says the message") {
    apig::api_error ex(apig::error_from_response(
        500, "", R"({"error_code":"APIC.9000","error_msg":"Failed to request internal service"})", "r9"));
    CHECK(ex.code() == apig::errc::internal_server_error);
    CHECK(ex.http_status() == 500);
    CHECK(ex.api_code() == "APIC.9000");
    CHECK(ex.request_id() == "r9");
    CHECK(std::string(ex.what()) == "HTTP 500 APIC.9000: Failed to request internal service (request id r9)");
    apig::api_error bare(apig::make_error(apig::errc::timed_out, ""));
    CHECK(std::string(bare.what()) == "timed out");
}

TEST_CASE("redact removes every occurrence of a secret") {
    std::string s = "token abcdefgh and abcdefghabcdefgh, end";
    apig::redact(s, "abcdefgh");
    CHECK(s == "token <redacted> and <redacted>, end");  // one covered range, one marker
    std::string t = "unchanged";
    apig::redact(t, "");
    CHECK(t == "unchanged");
}
