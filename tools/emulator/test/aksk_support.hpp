#pragma once

// What the emulator's AK/SK tests share: the keys, the injected clock, apig's signer (src/auth)
// signing what the emulator's own verifier (tools/emulator/src/verify.*) checks.

#include "support.hpp"

namespace emulator_test {

namespace aksk = emu::aksk;
using sys_clock = std::chrono::system_clock;

inline constexpr char const* test_ak = "EMULATORTESTAK000001";
inline constexpr char const* test_sk = "emulator-test-secret-key/+=";
inline constexpr char const* temp_ak = "EMULATORTEMPAK000002";
inline constexpr char const* temp_sk = "temporary-secret";
inline constexpr char const* temp_token = "security-token-for-the-temporary-key";

// The injected server time of the AK/SK tests: 2024-05-01 12:00:00 UTC.
inline sys_clock::time_point fixed_now() {
    using namespace std::chrono;
    return sys_days{year{2024} / May / 1} + hours{12};
}

inline emu::options aksk_options() {
    emu::options o;
    o.instance_count = 10;
    o.access_keys = {{test_ak, test_sk, ""}, {temp_ak, temp_sk, temp_token}};
    o.clock = fixed_now;
    return o;
}

// What apig's client sends for a GET of `target` on host localhost.
inline apig::auth::header_list signed_get(std::string const& target,
                                          sys_clock::time_point date = fixed_now(),
                                          std::string const& ak = test_ak,
                                          std::string const& sk = test_sk,
                                          std::string const& token = "",
                                          std::string const& project = pid) {
    return apig::auth::sign_request("GET", target, "localhost", date, project, token, ak, sk);
}

// The Authorization of apig::auth::sign over exactly these headers (Host included).
inline apig::auth::header_list sign_exactly(std::string const& target,
                                            apig::auth::header_list headers,
                                            std::string const& ak = test_ak,
                                            std::string const& sk = test_sk) {
    apig::auth::signing_input in;
    in.method = "GET";
    in.target = target;
    in.headers = headers;
    in.headers.emplace_back("Host", "localhost");
    headers.emplace_back("Authorization", apig::auth::sign(in, ak, sk).authorization);
    return headers;
}

inline std::string error_code(http::response<http::string_body> const& res) {
    return std::string(json::parse(res.body()).at("error_code").as_string());
}
inline std::string error_msg(http::response<http::string_body> const& res) {
    return std::string(json::parse(res.body()).at("error_msg").as_string());
}

inline constexpr std::string_view aksk_fail =
    "Incorrect IAM authentication information: verify aksk signature fail";

// The request the verifier sees for `target` with Host: localhost and `headers`.
inline aksk::request as_received(std::string const& target, apig::auth::header_list const& headers) {
    aksk::request r;
    r.method = "GET";
    r.target = target;
    r.headers.emplace_back("Host", "localhost");
    for (auto const& h : headers) r.headers.emplace_back(h.first, h.second);
    return r;
}

inline std::vector<emu::access_key> const& verifier_keys() {
    static std::vector<emu::access_key> const keys = aksk_options().access_keys;
    return keys;
}

}  // namespace emulator_test
