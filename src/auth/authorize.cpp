#include "authorize.hpp"

#include <type_traits>

namespace apig::auth {
namespace {

constexpr std::string_view control_character = " contains a control character (CR, LF, NUL, ...)";

}  // namespace

std::string problem(credentials const& c) {
    if (auto const* t = std::get_if<token_credentials>(&c)) {
        if (t->token.empty()) return "the token is empty";
        if (!header_value_ok(t->token)) return "the token" + std::string(control_character);
        return {};
    }
    auto const& k = std::get<aksk_credentials>(c);
    if (k.ak.empty()) return "the AK (access key id) is empty";
    if (k.sk.empty()) return "the SK (secret access key) is empty";
    if (!header_value_ok(k.ak)) return "the AK" + std::string(control_character);
    if (!header_value_ok(k.security_token)) return "the security token" + std::string(control_character);
    return {};
}

header_list authorization_headers(credentials const& c, std::string_view method, std::string_view target,
                                  std::string_view host, std::chrono::system_clock::time_point now,
                                  std::string_view project_id) {
    if (auto const* t = std::get_if<token_credentials>(&c)) return {{"X-Auth-Token", t->token}};
    auto const& k = std::get<aksk_credentials>(c);
    return sign_request(method, target, host, now, project_id, k.security_token, k.ak, k.sk);
}

std::array<std::string_view, 4> secrets(credentials const& c) noexcept {
    if (auto const* t = std::get_if<token_credentials>(&c)) return {t->token, {}, {}, {}};
    auto const& k = std::get<aksk_credentials>(c);
    return {k.ak, k.sk, k.security_token, {}};
}

}  // namespace apig::auth
