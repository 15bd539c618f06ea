// Temporary key pairs from a metadata service or the pod identity agent, and their expiry.
#include "temporary_key.hpp"

#include "authorize.hpp"
#include "error_detail.hpp"
#include "json_body.hpp"

#include <boost/json/value.hpp>

#include <array>

namespace apig::auth {
namespace {

using namespace std::chrono;

bool digit(char c) noexcept { return c >= '0' && c <= '9'; }

// Reads exactly `n` digits at `at` (advancing it); false if they are not all there.
bool number(std::string_view s, std::size_t& at, std::size_t n, int& out) noexcept {
    if (s.size() - at < n) return false;
    int v = 0;
    for (std::size_t i = 0; i < n; ++i) {
        char const c = s[at + i];
        if (!digit(c)) return false;
        v = v * 10 + (c - '0');
    }
    at += n;
    out = v;
    return true;
}

bool literal(std::string_view s, std::size_t& at, char c) noexcept {
    if (at >= s.size() || s[at] != c) return false;
    ++at;
    return true;
}

// The names of the four fields in one shape of body.
struct field_names {
    std::string_view wrapper;
    std::string_view ak;
    std::string_view sk;
    std::string_view token;
    std::string_view expires;
};

constexpr field_names metadata_fields{"credential", "access", "secret", "securitytoken", "expires_at"};
constexpr field_names pod_fields{"credentials", "accessKeyId", "secretAccessKey", "securityToken", "expiration"};

// The string member `name` of `o`, or the phrase saying why not (naming, never quoting it).
std::variant<std::string_view, std::string> string_field(boost::json::object const& o, std::string_view wrapper,
                                                         std::string_view name) {
    std::string const field = std::string(wrapper) + "." + std::string(name);
    auto const* v = o.if_contains(boost::json::string_view(name.data(), name.size()));
    if (v == nullptr) return field + " is missing";
    auto const* s = v->if_string();
    if (s == nullptr) return field + " is " + std::string(kind_name(*v)) + ", not a string";
    if (s->empty()) return field + " is empty";
    return std::string_view(s->data(), s->size());
}

std::variant<temporary_key, std::string> parse_key(std::string_view body, field_names const& f) {
    auto parsed = parse_body(body);
    if (auto const* why = std::get_if<std::string>(&parsed)) return *why;
    auto const& root = std::get<boost::json::value>(parsed);
    auto const* top = root.if_object();
    if (top == nullptr) return "the response is " + std::string(kind_name(root)) + ", not an object";
    auto const* inner_value = top->if_contains(boost::json::string_view(f.wrapper.data(), f.wrapper.size()));
    if (inner_value == nullptr) return std::string(f.wrapper) + " is missing";
    auto const* inner = inner_value->if_object();
    if (inner == nullptr)
        return std::string(f.wrapper) + " is " + std::string(kind_name(*inner_value)) + ", not an object";

    std::array<std::string_view, 4> values{};
    std::array<std::string_view, 4> const names{f.ak, f.sk, f.token, f.expires};
    for (std::size_t i = 0; i < names.size(); ++i) {
        auto got = string_field(*inner, f.wrapper, names[i]);
        if (auto const* why = std::get_if<std::string>(&got)) return *why;
        values[i] = std::get<std::string_view>(got);
    }
    auto const expires = parse_expires_at(values[3]);
    if (!expires)
        return std::string(f.wrapper) + "." + std::string(f.expires) + " '" + printable(values[3], 64) +
               "' is not a time";

    credentials c = trimmed(aksk_credentials{std::string(values[0]), std::string(values[1]), std::string(values[2])});
    if (auto why = problem(c); !why.empty()) return "the temporary key is unusable: " + why;
    return temporary_key{std::get<aksk_credentials>(std::move(c)), *expires};
}

}  // namespace

std::optional<system_clock::time_point> parse_expires_at(std::string_view s) {
    std::size_t at = 0;
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
    if (!number(s, at, 4, y) || !literal(s, at, '-') || !number(s, at, 2, mo) || !literal(s, at, '-') ||
        !number(s, at, 2, d) || !literal(s, at, 'T') || !number(s, at, 2, h) || !literal(s, at, ':') ||
        !number(s, at, 2, mi) || !literal(s, at, ':') || !number(s, at, 2, sec))
        return std::nullopt;
    nanoseconds fraction{0};
    if (at < s.size() && s[at] == '.') {
        ++at;
        std::size_t const first = at;
        std::int64_t ns = 0;
        for (; at < s.size() && digit(s[at]); ++at)
            if (at - first < 9) ns = ns * 10 + (s[at] - '0');
        std::size_t const count = at - first;
        if (count == 0) return std::nullopt;
        for (std::size_t i = count; i < 9; ++i) ns *= 10;
        fraction = nanoseconds{ns};
    }
    minutes offset{0};
    if (at < s.size() && s[at] == 'Z') {
        ++at;
    } else if (at < s.size() && (s[at] == '+' || s[at] == '-')) {
        bool const minus = s[at] == '-';
        ++at;
        int oh = 0, om = 0;
        if (!number(s, at, 2, oh) || !literal(s, at, ':') || !number(s, at, 2, om) || oh > 23 || om > 59)
            return std::nullopt;
        offset = hours{oh} + minutes{om};
        if (minus) offset = -offset;
    }
    if (at != s.size()) return std::nullopt;
    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
    year_month_day const date{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
    if (d < 1 || !date.ok()) return std::nullopt;
    // A time in another zone is that much ahead of UTC: subtract the offset. In seconds first:
    // system_clock may count nanoseconds in 64 bits, which end in 2262.
    sys_seconds const whole = sys_days{date} + hours{h} + minutes{mi} + seconds{sec} - offset;
    // The year is checked before the offset: 1970-01-01T00:30:00+01:00 is a time before 1970.
    if (whole < sys_seconds{}) return std::nullopt;
    auto const last = floor<seconds>(system_clock::time_point::max()) - seconds{1};
    if (whole >= last) return system_clock::time_point::max();
    return time_point_cast<system_clock::duration>(whole) + duration_cast<system_clock::duration>(fraction);
}

std::variant<temporary_key, std::string> parse_metadata_key(std::string_view body) {
    return parse_key(body, metadata_fields);
}

std::variant<temporary_key, std::string> parse_pod_identity_key(std::string_view body) {
    return parse_key(body, pod_fields);
}

}  // namespace apig::auth
