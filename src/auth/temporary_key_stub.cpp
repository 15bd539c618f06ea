// TEMPORARY STAND-IN for src/auth/temporary_key.cpp, which another branch implements (wt-parse).
// Only here so that branch wt-fetch links and its tests run: DELETE THIS FILE when merging the
// real temporary_key.cpp (both define the same functions). Minimal: no range checks beyond
// what the tests of wt-fetch need.
#include "auth/temporary_key.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cstdio>
#include <ctime>

namespace apig::auth {

std::optional<std::chrono::system_clock::time_point> parse_expires_at(std::string_view text) {
    std::string const s(text);
    std::tm tm{};
    int consumed = 0;
    if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                    &tm.tm_min, &tm.tm_sec, &consumed) != 6)
        return std::nullopt;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    std::time_t const t = timegm(&tm);
    if (t < 0) return std::nullopt;
    return std::chrono::system_clock::from_time_t(t);
}

namespace {

std::variant<temporary_key, std::string> parse(std::string_view body, char const* outer, char const* ak,
                                               char const* sk, char const* st, char const* exp) {
    boost::system::error_code ec;
    auto v = boost::json::parse(body, ec);
    if (ec || !v.is_object()) return std::string("the response is not JSON");
    auto const* o = v.as_object().if_contains(outer);
    if (o == nullptr || !o->is_object()) return std::string(outer) + " is missing";
    auto const& c = o->as_object();
    auto field = [&](char const* name, std::string& out) -> std::optional<std::string> {
        auto const* f = c.if_contains(name);
        if (f == nullptr || !f->is_string() || f->as_string().empty())
            return std::string(outer) + "." + name + " is missing";
        out = std::string(f->as_string());
        return std::nullopt;
    };
    temporary_key k;
    std::string expires;
    for (auto [name, out] : {std::pair{ak, &k.creds.ak}, std::pair{sk, &k.creds.sk},
                             std::pair{st, &k.creds.security_token}, std::pair{exp, &expires}})
        if (auto e = field(name, *out)) return *e;
    auto t = parse_expires_at(expires);
    if (!t) return std::string(outer) + "." + exp + " is not a time";
    k.expires_at = *t;
    return k;
}

}  // namespace

std::variant<temporary_key, std::string> parse_metadata_key(std::string_view body) {
    return parse(body, "credential", "access", "secret", "securitytoken", "expires_at");
}

std::variant<temporary_key, std::string> parse_pod_identity_key(std::string_view body) {
    return parse(body, "credentials", "accessKeyId", "secretAccessKey", "securityToken", "expiration");
}

}  // namespace apig::auth
