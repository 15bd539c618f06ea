// Error category, HTTP status mapping, response errors and redaction.
#include <apig/error.hpp>

#include "error_detail.hpp"

#include <doctest/doctest.h>

#include <set>
#include <system_error>

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

TEST_CASE("apig codes with a natural generic condition compare equal to it") {
    using apig::errc;
    boost::system::error_code const timed_out = errc::timed_out;
    CHECK(timed_out == std::errc::timed_out);
    CHECK(timed_out == boost::system::errc::timed_out);
    CHECK(std::error_code(timed_out) == std::errc::timed_out);
    CHECK(timed_out.default_error_condition() == boost::system::errc::timed_out);
    CHECK(timed_out != std::errc::connection_reset);
    // Still the apig code itself, with its own message.
    CHECK(timed_out == errc::timed_out);
    CHECK(timed_out.message() == "timed out");

    CHECK(boost::system::error_code(errc::invalid_argument) == std::errc::invalid_argument);
    CHECK(boost::system::error_code(errc::invalid_argument) == boost::system::errc::invalid_argument);
    CHECK(boost::system::error_code(errc::forbidden) == std::errc::permission_denied);
    CHECK(boost::system::error_code(errc::bad_response) == std::errc::bad_message);
    CHECK(boost::system::error_code(errc::response_too_large) == std::errc::message_size);
    // std's comparison from the condition's side agrees.
    CHECK(std::error_condition(std::errc::timed_out) == std::error_code(timed_out));
}

TEST_CASE("apig codes without a generic counterpart match no generic condition") {
    using apig::errc;
    for (errc e : {errc::bad_request, errc::unauthorized, errc::not_found, errc::too_many_requests,
                   errc::internal_server_error, errc::server_error, errc::unexpected_status,
                   errc::tls_verification_failed, errc::tls_handshake_failed, errc::resolve_failed,
                   errc::connect_failed, errc::credentials_unavailable, errc::walk_stalled,
                   errc::walk_limit_exceeded}) {
        boost::system::error_code const ec = e;
        CAPTURE(ec.message());
        CHECK(ec.default_error_condition().category() == apig::category());
        CHECK(ec.default_error_condition().value() == static_cast<int>(e));
        CHECK(ec != std::errc::connection_refused);
        CHECK(ec != std::errc::timed_out);
        CHECK(ec != std::errc::invalid_argument);
    }
    // Two apig codes are never equivalent through a shared generic condition.
    CHECK(boost::system::error_code(errc::connect_failed) != boost::system::error_code(errc::timed_out));
}
