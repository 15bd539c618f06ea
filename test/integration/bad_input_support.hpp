// Helpers shared by the bad-input tests (test_bad_input_*.cpp): canned replies, client
// options for a scripted server, and checks for options the client's constructor refuses.
#pragma once

#include "harness.hpp"
#include "raw_server.hpp"

#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace apig::test::bad_input {

inline std::string const json_headers = "Content-Type: application/json\r\nX-Request-Id: bad-input-1\r\n";

// {"total":T,"size":N,"instances":[{"id":...},...]} (size defaults to the number of ids).
inline std::string page(std::int64_t total, std::vector<std::string> const& ids, std::optional<int> size = std::nullopt) {
    std::string s = R"({"total":)" + std::to_string(total) + R"(,"size":)" +
                    std::to_string(size.value_or(static_cast<int>(ids.size()))) + R"(,"instances":[)";
    for (std::size_t i = 0; i < ids.size(); ++i) s += (i ? "," : "") + (R"({"id":")" + ids[i] + R"("})");
    return s + "]}";
}

inline std::string ok(std::string const& body, std::string const& headers = json_headers) {
    return raw_server::response("200 OK", body, headers);
}

// A client of a scripted server: one attempt per call (each reply is judged as it is), and
// time limits short enough that a hang fails the test instead of stalling it.
inline apig::client_options options_for(std::string endpoint, std::string ca_pem) {
    apig::client_options o;
    o.endpoint = std::move(endpoint);
    o.project_id = "p1";
    o.credentials = apig::token_credentials{"tok-7f3e-secret-value"};
    o.tls.use_system_trust_store = false;
    o.tls.ca_pem = std::move(ca_pem);
    o.retry.max_attempts = 1;
    o.timeouts.connect = std::chrono::milliseconds(5000);
    o.timeouts.handshake = std::chrono::milliseconds(5000);
    o.timeouts.attempt = std::chrono::milliseconds(5000);
    o.timeouts.total = std::chrono::milliseconds(10000);
    return o;
}
template <class Server>
inline apig::client_options options_for(Server const& srv) {
    return options_for(srv.endpoint(), srv.ca_pem());
}

inline bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

// Options refused by the client's constructor with invalid_argument naming the problem.
inline void refused_by_constructor(apig::client_options o, std::string const& needle) {
    boost::asio::io_context io;
    try {
        apig::client c(io.get_executor(), std::move(o));
    } catch (apig::api_error const& e) {
        std::string const what = e.what();
        CAPTURE(what);
        CHECK(e.code() == apig::errc::invalid_argument);
        CHECK(contains(e.what(), needle));
        CHECK_FALSE(contains(e.what(), "tok-7f3e-secret-value"));
        return;
    }
    FAIL("accepted; expected a refusal naming: " << needle);
}

inline apig::client_options offline_options() {
    return {.endpoint = "https://127.0.0.1:1", .project_id = "p1",
            .credentials = apig::token_credentials{"tok-7f3e-secret-value"}};
}

}  // namespace apig::test::bad_input
