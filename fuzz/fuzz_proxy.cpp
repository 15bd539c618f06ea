// fuzz_proxy: the proxy rules (src/proxy.cpp, src/http/proxy.cpp): no_proxy_matches over a
// list and a host, parse_proxy over a URL (with or without credentials), connect_refused
// over a reason phrase.
//
// Input: [flags] [status] then three counted pieces (one length byte each): the no_proxy list
// (also the proxy URL), the host (also the reason phrase), the user name. See LLVMFuzzerTestOneInput.
//
// Checks (any failure aborts):
//   - no_proxy_matches: deterministic; a lone `*` matches every non-empty host (`[]` is empty); otherwise the
//     list matches exactly when one of its comma-separated entries (not a lone `*`) matches
//     alone; appending or prepending entries never loses a match; ASCII case does not matter;
//     a host that is an IPv6 literal matches the same in brackets;
//   - parse_proxy: deterministic; an error is non-empty, one printable line, at most 1024
//     bytes and holds no 8-byte run of the password (explicit, or in the URL's user
//     information); a route has a host, a port 1..65535, host_port = host:port ([v6]:port),
//     a Basic authorization only with a user, and reparses from `scheme://host_port` to the
//     same route; its CONNECT request has no line break but the framing ones;
//   - connect_refused: code proxy_error, http_status as given, one printable line, bounded,
//     no 8-byte run of the password.

#include "error_detail.hpp"
#include "fuzz_common.hpp"
#include "http/proxy.hpp"

#include <apig/error.hpp>
#include <apig/proxy.hpp>

#include <boost/url/ipv6_address.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace {

[[noreturn]] void fail(char const* what, std::string_view detail = {}) {
    std::fprintf(stderr, "fuzz_proxy: %s\n", what);
    if (!detail.empty()) std::fprintf(stderr, "  [%.*s]\n", static_cast<int>(detail.size()), detail.data());
    std::abort();
}

// Made of the password's own 8-byte runs only: no fixed text of a message holds one.
constexpr std::string_view password = "Qz7-vK2p~Wm4";

std::string_view trim(std::string_view s) {
    auto const space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
    while (!s.empty() && space(s.front())) s.remove_prefix(1);
    while (!s.empty() && space(s.back())) s.remove_suffix(1);
    return s;
}

std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return out;
}

bool holds_password_run(std::string_view text) {
    for (std::size_t i = 0; i + 8 <= password.size(); ++i)
        if (text.find(password.substr(i, 8)) != std::string_view::npos) return true;
    return false;
}

void check_line(std::string_view m, std::size_t max, char const* what, bool secret = true) {
    if (m.empty()) fail(what, "empty");
    if (m.size() > max) fail(what, m);
    for (unsigned char c : m)
        if (c < 0x20 || c == 0x7F) fail(what, m);
    if (secret && holds_password_run(m)) fail(what, m);
}

void check_no_proxy(std::string_view list, std::string_view host) {
    bool const m = apig::no_proxy_matches(list, host);
    if (m != apig::no_proxy_matches(list, host)) fail("no_proxy_matches is not deterministic");
    bool const lone_star = trim(list) == "*";
    if (lone_star) {
        // The host as no_proxy_matches reads it: one pair of brackets around it removed ("[]"
        // is an empty host, which nothing matches).
        std::string_view bare = host;
        if (bare.size() >= 2 && bare.front() == '[' && bare.back() == ']') bare = bare.substr(1, bare.size() - 2);
        if (m != !bare.empty()) fail("a lone * must match every non-empty host", host);
        return;
    }
    // The list = any of its entries alone (a lone "*" entry is no wildcard inside a list).
    bool any = false;
    for (std::string_view rest = list;;) {
        auto const comma = rest.find(',');
        std::string_view const entry = rest.substr(0, comma);
        if (trim(entry) != "*" && apig::no_proxy_matches(entry, host)) any = true;
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
    }
    if (any != m) fail("the list does not match as its entries do", list);
    std::string more(list);
    more += ",unrelated.invalid";
    if (m && !apig::no_proxy_matches(more, host)) fail("appending an entry lost a match", list);
    more = "10.255.255.254/32,";
    more += list;
    if (m && !apig::no_proxy_matches(more, host)) fail("prepending an entry lost a match", list);
    if (apig::no_proxy_matches(upper(list), upper(host)) != m) fail("ASCII case changed the result", list);
    if (boost::urls::parse_ipv6_address(host)) {
        std::string const bracketed = "[" + std::string(host) + "]";
        if (apig::no_proxy_matches(list, bracketed) != m) fail("a bracketed IPv6 host matched differently", host);
    }
}

void check_route(apig::http::proxy_route const& r, apig::proxy_options const& o) {
    if (r.host.empty()) fail("a route without a host", o.url);
    unsigned long port = 0;
    for (char c : r.port) {
        if (c < '0' || c > '9') fail("a port that is not a number", r.port);
        port = port * 10 + static_cast<unsigned long>(c - '0');
        if (port > 65535) fail("a port above 65535", r.port);
    }
    if (r.port.empty() || port == 0 || r.port[0] == '0') fail("a bad port", r.port);
    bool const v6 = r.host.find(':') != std::string::npos;
    std::string const host_port = (v6 ? "[" + r.host + "]" : r.host) + ":" + r.port;
    if (r.host_port != host_port) fail("host_port is not host:port", r.host_port);
    if (!r.authorization.empty() && r.authorization.rfind("Basic ", 0) != 0)
        fail("authorization is not Basic", r.authorization);
    if (r.no_proxy != o.no_proxy) fail("no_proxy not carried over");

    std::string const req = apig::http::connect_request("api.example.com:443", r.authorization);
    auto const end = req.find("\r\n\r\n");
    if (end == std::string::npos || end + 4 != req.size()) fail("CONNECT request framing", req);
    for (std::size_t i = 0; i < req.size(); ++i) {
        auto const c = static_cast<unsigned char>(req[i]);
        if (c == '\n' && (i == 0 || req[i - 1] != '\r')) fail("a bare LF in the CONNECT request", req);
        if (c < 0x20 && c != '\r' && c != '\n') fail("a control character in the CONNECT request", req);
    }

    apig::proxy_options again;
    again.url = (r.tls ? "https://" : "http://") + r.host_port;
    auto const re = apig::http::parse_proxy(again);
    auto const* r2 = std::get_if<apig::http::proxy_route>(&re);
    if (!r2) fail("a route does not reparse from scheme://host_port", std::get<std::string>(re));
    if (r2->host != r.host || r2->port != r.port || r2->tls != r.tls || r2->host_port != r.host_port)
        fail("a route reparses to another", again.url);
}

// `s` with every byte but the unreserved ones as %XX: user information that cannot end early.
std::string percent_encoded(std::string_view s) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        bool const unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                                c == '-' || c == '.' || c == '_' || c == '~';
        if (unreserved) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

// `secret`: the password was given (in the fields or the user information), so no message may
// hold a run of it. Without it, the URL may hold one anywhere and be quoted.
void check_parse_proxy(apig::proxy_options const& o, bool secret) {
    auto const a = apig::http::parse_proxy(o);
    auto const b = apig::http::parse_proxy(o);
    if (a.index() != b.index()) fail("parse_proxy is not deterministic", o.url);
    if (auto const* why = std::get_if<std::string>(&a)) {
        if (*why != std::get<std::string>(b)) fail("parse_proxy's message is not deterministic", o.url);
        check_line(*why, 1024, "parse_proxy message", secret);
        return;
    }
    check_route(std::get<apig::http::proxy_route>(a), o);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    apig::fuzz::reader in{std::string_view(reinterpret_cast<char const*>(data), size)};
    unsigned const flags = in.byte();
    unsigned const status = 100 + in.byte() * 2;
    std::string_view const list = in.counted();
    std::string_view const host = in.counted();
    std::string_view const user = in.counted();

    check_no_proxy(list, host);

    // The list as a proxy URL, the credentials in it or in the fields.
    apig::proxy_options o;
    o.url = std::string(list);
    o.no_proxy = std::string(host);
    if (flags & 1) {
        o.username = std::string(user);
        o.password = std::string(password);
    }
    if (flags & 2) o.password = std::string(password);  // possibly without a user
    check_parse_proxy(o, !o.password.empty());
    if (flags & 4) {
        // The password in the URL's user information, as is or percent-encoded.
        auto const scheme_end = o.url.find("://");
        if (scheme_end != std::string::npos) {
            std::string const pw = (flags & 8) ? "Qz7%2DvK2p~Wm4" : std::string(password);
            apig::proxy_options u;
            u.url = o.url.substr(0, scheme_end + 3) + percent_encoded(user) + ":" + pw + "@" +
                    o.url.substr(scheme_end + 3);
            check_parse_proxy(u, true);
        }
    }

    // The host as a reason phrase.
    std::string_view const secrets[] = {password};
    auto const e = apig::http::connect_refused(status, host, "127.0.0.1:3128", "api.example.com:443",
                                               (flags & 16) != 0, secrets);
    if (e.code != apig::errc::proxy_error) fail("connect_refused: not proxy_error");
    if (e.http_status != status) fail("connect_refused: http_status");
    check_line(e.message, 1024, "connect_refused message");
    return 0;
}
