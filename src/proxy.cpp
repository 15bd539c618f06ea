// proxy_from_env (curl's variables) and no_proxy_matches (curl's NO_PROXY rules).
#include <apig/proxy.hpp>

#include "auth/profile.hpp"

#include <boost/url/ipv4_address.hpp>
#include <boost/url/ipv6_address.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>

namespace apig {
namespace {

constexpr bool is_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

constexpr char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
constexpr char upper(char c) noexcept { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_alnum(char c) noexcept {
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

bool iequal(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

bool all_digits(std::string_view s) noexcept {
    if (s.empty()) return false;
    for (char c : s)
        if (!is_digit(c)) return false;
    return true;
}

// A DNS name as matched: one trailing dot dropped; labels of letters, digits, '-' and '_'
// (1..63 bytes each, 253 in all). Empty when `s` is not such a name.
std::string_view dns_name(std::string_view s) noexcept {
    if (!s.empty() && s.back() == '.') s.remove_suffix(1);
    if (s.empty() || s.size() > 253) return {};
    std::size_t label = 0;
    for (char c : s) {
        if (c == '.') {
            if (label == 0) return {};
            label = 0;
        } else if (is_alnum(c) || c == '-' || c == '_') {
            if (++label > 63) return {};
        } else {
            return {};
        }
    }
    return label == 0 ? std::string_view{} : s;
}

// An IPv4 or IPv6 address (IPv4 in the first 4 bytes), parsed by Boost.URL (RFC 3986
// syntax: no leading zeros in IPv4, no zone id in IPv6).
struct ip_address {
    bool v6 = false;
    std::array<unsigned char, 16> bytes{};

    unsigned bits() const noexcept { return v6 ? 128 : 32; }
};

std::optional<ip_address> parse_ip(std::string_view s) {
    if (s.size() >= 2 && s.front() == '[' && s.back() == ']') {
        s = s.substr(1, s.size() - 2);
        auto r = boost::urls::parse_ipv6_address(s);
        if (!r) return std::nullopt;
        ip_address a{true, r->to_bytes()};
        return a;
    }
    if (auto r = boost::urls::parse_ipv4_address(s)) {
        ip_address a;
        auto const b = r->to_bytes();
        for (std::size_t i = 0; i < b.size(); ++i) a.bytes[i] = b[i];
        return a;
    }
    if (auto r = boost::urls::parse_ipv6_address(s)) {
        ip_address a{true, r->to_bytes()};
        return a;
    }
    return std::nullopt;
}

// Whether the first `bits` bits of `a` and `b` (one family) are equal.
bool same_prefix(ip_address const& a, ip_address const& b, unsigned bits) noexcept {
    if (a.v6 != b.v6) return false;
    std::size_t const whole = bits / 8;
    for (std::size_t i = 0; i < whole; ++i)
        if (a.bytes[i] != b.bytes[i]) return false;
    unsigned const rest = bits % 8;
    if (rest == 0) return true;
    auto const mask = static_cast<unsigned char>(0xFFu << (8 - rest));
    return ((a.bytes[whole] ^ b.bytes[whole]) & mask) == 0;
}

// The host being checked: an address, or a DNS name (trailing dot dropped), or neither.
struct host_key {
    std::optional<ip_address> ip;
    std::string_view name;
};

// Whether one (trimmed, non-empty) entry of the list matches `host`.
bool entry_matches(std::string_view entry, host_key const& host) {
    // addr/bits: a CIDR range ([v6] brackets allowed around the address).
    if (auto const slash = entry.find('/'); slash != std::string_view::npos) {
        std::string_view const bits_text = entry.substr(slash + 1);
        if (!all_digits(bits_text) || bits_text.size() > 3) return false;
        auto const net = parse_ip(entry.substr(0, slash));
        if (!net) return false;
        unsigned bits = 0;
        for (char c : bits_text) bits = bits * 10 + static_cast<unsigned>(c - '0');
        if (bits > net->bits()) return false;
        return host.ip && same_prefix(*host.ip, *net, bits);
    }
    // [v6] or [v6]:port.
    if (entry.front() == '[') {
        auto const close = entry.find(']');
        if (close == std::string_view::npos) return false;
        std::string_view const after = entry.substr(close + 1);
        if (!after.empty() && !(after.front() == ':' && all_digits(after.substr(1)))) return false;
        auto const a = parse_ip(entry.substr(0, close + 1));
        return a && host.ip && same_prefix(*host.ip, *a, a->bits());
    }
    // A bare address (an IPv6 one is never read as name:port).
    if (auto const a = parse_ip(entry)) return host.ip && same_prefix(*host.ip, *a, a->bits());
    // name[:port] or v4:port: the port is not compared.
    if (auto const colon = entry.rfind(':'); colon != std::string_view::npos) {
        if (!all_digits(entry.substr(colon + 1))) return false;
        entry = entry.substr(0, colon);
        if (auto const a = parse_ip(entry); a && !a->v6) return host.ip && same_prefix(*host.ip, *a, 32);
    }
    if (!entry.empty() && entry.front() == '.') entry.remove_prefix(1);
    std::string_view const name = dns_name(entry);
    if (name.empty() || host.name.empty()) return false;
    std::string_view const h = host.name;
    if (h.size() == name.size()) return iequal(h, name);
    return h.size() > name.size() && h[h.size() - name.size() - 1] == '.' &&
           iequal(h.substr(h.size() - name.size()), name);
}

std::optional<std::string> first_set(auth::getenv_fn const& get, std::initializer_list<std::string> names) {
    for (auto const& n : names) {
        if (auto v = get(n); v && !v->empty()) return v;
    }
    return std::nullopt;
}

}  // namespace

proxy_options proxy_from_env(std::string_view scheme,
                             std::function<std::optional<std::string>(std::string_view)> const& getenv) {
    auth::getenv_fn const get = getenv ? auth::getenv_fn(getenv) : auth::process_getenv();
    proxy_options out;

    // <scheme>_proxy, then <SCHEME>_PROXY except for http (curl's rule); a scheme that would
    // not make a plain variable name is not looked up.
    std::string lower_scheme;
    for (char c : scheme) lower_scheme += lower(c);
    bool plain = !lower_scheme.empty();
    for (char c : lower_scheme) plain = plain && is_alnum(c);
    std::optional<std::string> url;
    if (plain) {
        std::string upper_name;
        for (char c : lower_scheme) upper_name += upper(c);
        upper_name += "_PROXY";
        url = lower_scheme == "http" ? first_set(get, {lower_scheme + "_proxy"})
                                     : first_set(get, {lower_scheme + "_proxy", upper_name});
    }
    if (!url) url = first_set(get, {"all_proxy", "ALL_PROXY"});
    if (url) {
        out.url = url->find("://") == std::string::npos ? "http://" + *url : std::move(*url);
    }
    if (auto np = first_set(get, {"no_proxy", "NO_PROXY"})) out.no_proxy = std::move(*np);
    return out;
}

bool no_proxy_matches(std::string_view no_proxy, std::string_view host) {
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (host.empty()) return false;
    if (trim(no_proxy) == "*") return true;

    host_key key;
    key.ip = parse_ip(host);
    if (!key.ip) key.name = dns_name(host);
    if (!key.ip && key.name.empty()) return false;

    while (!no_proxy.empty()) {
        auto const comma = no_proxy.find(',');
        std::string_view const entry = trim(no_proxy.substr(0, comma));
        no_proxy = comma == std::string_view::npos ? std::string_view{} : no_proxy.substr(comma + 1);
        if (!entry.empty() && entry_matches(entry, key)) return true;
    }
    return false;
}

}  // namespace apig
