#include "authorize.hpp"

#include <algorithm>
#include <type_traits>

namespace apig::auth {
namespace {

// What is wrong with one non-empty secret, named `name` in the phrase; "" if nothing.
std::string secret_problem(std::string_view name, std::string_view value) {
    std::string_view const v = trim(value);
    if (v.empty()) return {};  // emptiness is judged by the caller: only some may be empty
    std::string out(name);
    if (!header_value_ok(v)) return out + " contains a control character (CR, LF, NUL, ...)";
    if (std::any_of(v.begin(), v.end(), ascii_space)) return out + " contains whitespace";
    if (v.size() < min_secret_size)
        return out + " is shorter than " + std::to_string(min_secret_size) + " characters (no real one is)";
    return {};
}

void trim_in_place(std::string& s) {
    std::string_view const t = trim(s);
    if (t.size() != s.size()) s = std::string(t);
}

}  // namespace

std::string problem(credentials const& c) {
    if (auto const* t = std::get_if<token_credentials>(&c)) {
        if (trim(t->token).empty()) return "the token is empty";
        return secret_problem("the token", t->token);
    }
    auto const& k = std::get<aksk_credentials>(c);
    if (trim(k.ak).empty()) return "the AK (access key id) is empty";
    if (trim(k.sk).empty()) return "the SK (secret access key) is empty";
    for (auto why : {secret_problem("the AK", k.ak), secret_problem("the SK", k.sk),
                     secret_problem("the security token", k.security_token)})
        if (!why.empty()) return why;
    return {};
}

credentials trimmed(credentials c) {
    if (auto* t = std::get_if<token_credentials>(&c)) {
        trim_in_place(t->token);
    } else {
        auto& k = std::get<aksk_credentials>(c);
        trim_in_place(k.ak);
        trim_in_place(k.sk);
        trim_in_place(k.security_token);
    }
    return c;
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

std::array<std::string_view, 4> attempt_secrets(credentials const& c, std::string_view request) noexcept {
    auto out = secrets(c);
    if (std::holds_alternative<token_credentials>(c)) return out;
    constexpr std::string_view header = "\r\nAuthorization: ", key = "Signature=";
    auto const at = request.find(header);
    if (at == std::string_view::npos) return out;
    auto const line = request.substr(at + header.size());
    auto const value = line.substr(0, line.find("\r\n"));
    if (auto const sig = value.find(key); sig != std::string_view::npos) {
        auto const rest = value.substr(sig + key.size());
        out[3] = rest.substr(0, rest.find_first_of(", "));
    }
    return out;
}

}  // namespace apig::auth
