// proxy_from_env, no_proxy_matches, parse_proxy, connect_request, connect_refused, bypasses.

#include <apig/error.hpp>
#include <apig/proxy.hpp>

#include "http/proxy.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace {

using env_map = std::map<std::string, std::string, std::less<>>;

// A getenv over a fixed map that records the names asked for.
struct fake_env {
    env_map values;
    std::vector<std::string> asked{};

    std::function<std::optional<std::string>(std::string_view)> fn() {
        return [this](std::string_view name) -> std::optional<std::string> {
            asked.emplace_back(name);
            auto it = values.find(name);
            if (it == values.end()) return std::nullopt;
            return it->second;
        };
    }
};

apig::proxy_options from_env(env_map values, std::string_view scheme = "https") {
    fake_env env{std::move(values)};
    return apig::proxy_from_env(scheme, env.fn());
}

// The route, or a test failure naming the message.
apig::http::proxy_route route_of(apig::proxy_options const& o) {
    auto r = apig::http::parse_proxy(o);
    if (auto const* why = std::get_if<std::string>(&r)) FAIL("unexpected error: " << *why);
    return std::get<apig::http::proxy_route>(r);
}

// The message, or a test failure when the proxy was accepted.
std::string error_of(apig::proxy_options const& o) {
    auto r = apig::http::parse_proxy(o);
    if (std::holds_alternative<apig::http::proxy_route>(r)) FAIL("accepted: " << o.url);
    return std::get<std::string>(r);
}

apig::proxy_options url(std::string u) {
    apig::proxy_options o;
    o.url = std::move(u);
    return o;
}

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

}  // namespace

// ---- proxy_from_env ----------------------------------------------------------------------

TEST_CASE("proxy_from_env: https reads https_proxy, then HTTPS_PROXY, then all_proxy, then ALL_PROXY") {
    CHECK(from_env({{"https_proxy", "http://a:1"}, {"HTTPS_PROXY", "http://b:2"}, {"all_proxy", "http://c:3"}})
              .url == "http://a:1");
    CHECK(from_env({{"HTTPS_PROXY", "http://b:2"}, {"all_proxy", "http://c:3"}, {"ALL_PROXY", "http://d:4"}})
              .url == "http://b:2");
    CHECK(from_env({{"all_proxy", "http://c:3"}, {"ALL_PROXY", "http://d:4"}}).url == "http://c:3");
    CHECK(from_env({{"ALL_PROXY", "http://d:4"}}).url == "http://d:4");
    // http_proxy is not for https targets.
    CHECK(from_env({{"http_proxy", "http://e:5"}, {"HTTP_PROXY", "http://f:6"}}).url.empty());
    auto const none = from_env({});
    CHECK(none.url.empty());
    CHECK(none.no_proxy.empty());
    CHECK_FALSE(none.enabled());
    CHECK(none.username.empty());
    CHECK(none.password.empty());
}

TEST_CASE("proxy_from_env: http reads http_proxy only, never HTTP_PROXY") {
    CHECK(from_env({{"http_proxy", "http://a:1"}, {"all_proxy", "http://c:3"}}, "http").url == "http://a:1");
    CHECK(from_env({{"HTTP_PROXY", "http://evil:1"}}, "http").url.empty());
    CHECK(from_env({{"HTTP_PROXY", "http://evil:1"}, {"all_proxy", "http://c:3"}}, "http").url == "http://c:3");
    CHECK(from_env({{"HTTP_PROXY", "http://evil:1"}, {"ALL_PROXY", "http://d:4"}}, "http").url == "http://d:4");
    // https_proxy is not for http targets.
    CHECK(from_env({{"https_proxy", "http://a:1"}}, "http").url.empty());

    fake_env env{{{"HTTP_PROXY", "http://evil:1"}}};
    (void)apig::proxy_from_env("http", env.fn());
    for (auto const& n : env.asked) CHECK(n != "HTTP_PROXY");
}

TEST_CASE("proxy_from_env: the scheme is matched case-insensitively") {
    CHECK(from_env({{"https_proxy", "http://a:1"}}, "HTTPS").url == "http://a:1");
    CHECK(from_env({{"http_proxy", "http://a:1"}, {"HTTP_PROXY", "http://evil:1"}}, "HTTP").url == "http://a:1");
    CHECK(from_env({{"HTTP_PROXY", "http://evil:1"}}, "HTTP").url.empty());
}

TEST_CASE("proxy_from_env: an empty value counts as unset") {
    CHECK(from_env({{"https_proxy", ""}, {"HTTPS_PROXY", "http://b:2"}}).url == "http://b:2");
    CHECK(from_env({{"https_proxy", ""}, {"HTTPS_PROXY", ""}, {"all_proxy", ""}, {"ALL_PROXY", "http://d:4"}}).url ==
          "http://d:4");
    CHECK(from_env({{"https_proxy", ""}}).url.empty());
    CHECK(from_env({{"no_proxy", ""}, {"NO_PROXY", "example.com"}}).no_proxy == "example.com");
    CHECK(from_env({{"no_proxy", ""}}).no_proxy.empty());
}

TEST_CASE("proxy_from_env: a value without a scheme gets http://") {
    CHECK(from_env({{"https_proxy", "proxy.example:3128"}}).url == "http://proxy.example:3128");
    CHECK(from_env({{"https_proxy", "proxy.example"}}).url == "http://proxy.example");
    CHECK(from_env({{"https_proxy", "https://proxy.example"}}).url == "https://proxy.example");
    CHECK(from_env({{"https_proxy", "user:pw@proxy.example:3128"}}).url == "http://user:pw@proxy.example:3128");
    // Not validated here: a SOCKS URL is kept for the constructor to refuse.
    CHECK(from_env({{"all_proxy", "socks5://h:1080"}}).url == "socks5://h:1080");
}

TEST_CASE("proxy_from_env: no_proxy, then NO_PROXY, as given") {
    CHECK(from_env({{"no_proxy", "a.example, b"}, {"NO_PROXY", "c"}}).no_proxy == "a.example, b");
    CHECK(from_env({{"NO_PROXY", "c"}}).no_proxy == "c");
    // Read whether or not a proxy is set.
    auto const o = from_env({{"NO_PROXY", "*"}});
    CHECK(o.no_proxy == "*");
    CHECK(o.url.empty());
}

TEST_CASE("proxy_from_env: the default reads the process environment") {
    // Names no test environment sets: whatever the process has, these are read through
    // std::getenv (a scheme made of them).
    ::setenv("apigtestscheme_proxy", "proxy.from.env:3128", 1);
    ::setenv("APIGTESTSCHEME_PROXY", "http://upper:1", 1);
    auto const o = apig::proxy_from_env("apigtestscheme");
    CHECK(o.url == "http://proxy.from.env:3128");
    ::unsetenv("apigtestscheme_proxy");
    CHECK(apig::proxy_from_env("apigtestscheme").url == "http://upper:1");
    ::unsetenv("APIGTESTSCHEME_PROXY");
}

// ---- no_proxy_matches --------------------------------------------------------------------

TEST_CASE("no_proxy: a lone * matches every host") {
    CHECK(apig::no_proxy_matches("*", "example.com"));
    CHECK(apig::no_proxy_matches("*", "10.1.2.3"));
    CHECK(apig::no_proxy_matches("*", "::1"));
    CHECK(apig::no_proxy_matches(" * ", "example.com"));
    CHECK_FALSE(apig::no_proxy_matches("*", ""));
    // Brackets alone are an empty IPv6 host, not a host (found by fuzz_proxy in CI).
    CHECK_FALSE(apig::no_proxy_matches("*", "[]"));
    CHECK(apig::no_proxy_matches("*", "[::1]"));
}

TEST_CASE("no_proxy: * inside a list is not a wildcard (curl)") {
    CHECK_FALSE(apig::no_proxy_matches("*,example.org", "example.com"));
    CHECK_FALSE(apig::no_proxy_matches("example.org, *", "example.com"));
    CHECK(apig::no_proxy_matches("example.org, *", "example.org"));
    CHECK_FALSE(apig::no_proxy_matches("*.example.com", "a.example.com"));
}

TEST_CASE("no_proxy: a name matches itself and its subdomains, not a longer name") {
    CHECK(apig::no_proxy_matches("example.com", "example.com"));
    CHECK(apig::no_proxy_matches("example.com", "a.example.com"));
    CHECK(apig::no_proxy_matches("example.com", "a.b.example.com"));
    CHECK_FALSE(apig::no_proxy_matches("example.com", "badexample.com"));
    CHECK_FALSE(apig::no_proxy_matches("example.com", "example.com.org"));
    CHECK_FALSE(apig::no_proxy_matches("example.com", "example.co"));
    CHECK_FALSE(apig::no_proxy_matches("a.example.com", "example.com"));
    CHECK_FALSE(apig::no_proxy_matches("example.com", "com"));
    CHECK(apig::no_proxy_matches("localhost", "localhost"));
    CHECK_FALSE(apig::no_proxy_matches("localhost", "127.0.0.1"));
}

TEST_CASE("no_proxy: a leading dot is the same name") {
    CHECK(apig::no_proxy_matches(".example.com", "example.com"));
    CHECK(apig::no_proxy_matches(".example.com", "www.example.com"));
    CHECK_FALSE(apig::no_proxy_matches(".example.com", "badexample.com"));
    CHECK_FALSE(apig::no_proxy_matches("..example.com", "www.example.com"));
}

TEST_CASE("no_proxy: matching is case-insensitive and ignores a trailing dot on either side") {
    CHECK(apig::no_proxy_matches("EXAMPLE.com", "www.Example.COM"));
    CHECK(apig::no_proxy_matches("example.com.", "www.example.com"));
    CHECK(apig::no_proxy_matches("example.com", "www.example.com."));
    CHECK(apig::no_proxy_matches(".Example.Com.", "EXAMPLE.COM."));
    CHECK_FALSE(apig::no_proxy_matches("example.com..", "example.com"));
    CHECK_FALSE(apig::no_proxy_matches("example.com", "example.com.."));
}

TEST_CASE("no_proxy: a list, with spaces around entries and empty entries") {
    CHECK(apig::no_proxy_matches("a.org,example.com,b.net", "x.example.com"));
    CHECK(apig::no_proxy_matches("  a.org ,\texample.com  , b.net ", "example.com"));
    CHECK(apig::no_proxy_matches(",,example.com,,", "example.com"));
    CHECK_FALSE(apig::no_proxy_matches("a.org, b.net", "example.com"));
    CHECK_FALSE(apig::no_proxy_matches("", "example.com"));
    CHECK_FALSE(apig::no_proxy_matches("   ", "example.com"));
    CHECK_FALSE(apig::no_proxy_matches(",,,", "example.com"));
    // A space inside an entry makes it invalid; the others still count.
    CHECK_FALSE(apig::no_proxy_matches("exa mple.com", "exa mple.com"));
    CHECK(apig::no_proxy_matches("exa mple.com, example.com", "example.com"));
}

TEST_CASE("no_proxy: ports are not compared") {
    CHECK(apig::no_proxy_matches("example.com:8080", "example.com"));
    CHECK(apig::no_proxy_matches("example.com:443", "api.example.com"));
    CHECK(apig::no_proxy_matches("10.0.0.1:8080", "10.0.0.1"));
    CHECK(apig::no_proxy_matches("[::1]:8080", "::1"));
    CHECK_FALSE(apig::no_proxy_matches("example.com:http", "example.com"));
    CHECK_FALSE(apig::no_proxy_matches("example.com:", "example.com"));
    CHECK_FALSE(apig::no_proxy_matches("[::1]x", "::1"));
}

TEST_CASE("no_proxy: IPv4 literals match the same address") {
    CHECK(apig::no_proxy_matches("127.0.0.1", "127.0.0.1"));
    CHECK(apig::no_proxy_matches("example.com, 10.1.2.3", "10.1.2.3"));
    CHECK_FALSE(apig::no_proxy_matches("127.0.0.1", "127.0.0.2"));
    // An address is not a name: no suffix match on its octets.
    CHECK_FALSE(apig::no_proxy_matches("0.0.1", "127.0.0.1"));
    CHECK_FALSE(apig::no_proxy_matches("1", "127.0.0.1"));
    // Families are separate.
    CHECK_FALSE(apig::no_proxy_matches("::ffff:127.0.0.1", "127.0.0.1"));
    CHECK_FALSE(apig::no_proxy_matches("127.0.0.1", "::ffff:127.0.0.1"));
    // Leading zeros are not an address (RFC 3986 syntax).
    CHECK_FALSE(apig::no_proxy_matches("010.0.0.1", "10.0.0.1"));
}

TEST_CASE("no_proxy: IPv6 literals compare as addresses, with or without brackets in the list") {
    CHECK(apig::no_proxy_matches("::1", "::1"));
    CHECK(apig::no_proxy_matches("0:0::1", "::1"));
    CHECK(apig::no_proxy_matches("::1", "0:0:0:0:0:0:0:1"));
    CHECK(apig::no_proxy_matches("[::1]", "::1"));
    CHECK(apig::no_proxy_matches("[0:0::1]", "0::1"));
    CHECK(apig::no_proxy_matches("2001:DB8::5", "2001:db8::5"));
    CHECK(apig::no_proxy_matches("example.com, [2001:db8::5] ,x", "2001:db8:0:0::5"));
    CHECK_FALSE(apig::no_proxy_matches("::1", "::2"));
    CHECK_FALSE(apig::no_proxy_matches("[::1", "::1"));
    // The host may be given in brackets too.
    CHECK(apig::no_proxy_matches("::1", "[::1]"));
}

TEST_CASE("no_proxy: IPv4 CIDR ranges, at their boundaries") {
    CHECK(apig::no_proxy_matches("10.0.0.0/8", "10.0.0.0"));
    CHECK(apig::no_proxy_matches("10.0.0.0/8", "10.255.255.255"));
    CHECK_FALSE(apig::no_proxy_matches("10.0.0.0/8", "11.0.0.0"));
    CHECK_FALSE(apig::no_proxy_matches("10.0.0.0/8", "9.255.255.255"));
    CHECK(apig::no_proxy_matches("192.168.1.0/25", "192.168.1.127"));
    CHECK_FALSE(apig::no_proxy_matches("192.168.1.0/25", "192.168.1.128"));
    CHECK(apig::no_proxy_matches("10.1.2.3/32", "10.1.2.3"));
    CHECK_FALSE(apig::no_proxy_matches("10.1.2.3/32", "10.1.2.4"));
    CHECK(apig::no_proxy_matches("0.0.0.0/0", "203.0.113.9"));
    CHECK_FALSE(apig::no_proxy_matches("0.0.0.0/0", "::1"));
    // Host bits set in the network are ignored.
    CHECK(apig::no_proxy_matches("10.9.9.9/8", "10.1.1.1"));
    // A name is never in a range.
    CHECK_FALSE(apig::no_proxy_matches("10.0.0.0/8", "example.com"));
}

TEST_CASE("no_proxy: IPv6 CIDR ranges, at their boundaries") {
    CHECK(apig::no_proxy_matches("fe80::/10", "fe80::1"));
    CHECK(apig::no_proxy_matches("fe80::/10", "febf:ffff::1"));
    CHECK_FALSE(apig::no_proxy_matches("fe80::/10", "fec0::1"));
    CHECK_FALSE(apig::no_proxy_matches("fe80::/10", "fe7f::1"));
    CHECK(apig::no_proxy_matches("[fe80::]/10", "fe80::abcd"));
    CHECK(apig::no_proxy_matches("2001:db8::/32", "2001:db8:ffff::1"));
    CHECK_FALSE(apig::no_proxy_matches("2001:db8::/32", "2001:db9::1"));
    CHECK(apig::no_proxy_matches("::1/128", "::1"));
    CHECK_FALSE(apig::no_proxy_matches("::1/128", "::2"));
    CHECK(apig::no_proxy_matches("::/0", "2001:db8::1"));
    CHECK_FALSE(apig::no_proxy_matches("::/0", "10.0.0.1"));
    CHECK(apig::no_proxy_matches("2001:db8::/127", "2001:db8::1"));
    CHECK_FALSE(apig::no_proxy_matches("2001:db8::/127", "2001:db8::2"));
}

TEST_CASE("no_proxy: invalid entries match nothing, the valid ones still do") {
    for (std::string_view bad : std::initializer_list<std::string_view>{"10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/", "10.0.0.0/8x", "10.0.0.0/0008",
                                 "fe80::/129", "fe80::/1000", "example.com/8", "/8", "10.0.0/8", "256.0.0.1",
                                 "1.2.3.4.5", "exa$mple.com", "example..com", ".", "..", "[example.com]",
                                 "ex\xC3\xA4mple.com", std::string_view("a\0b", 3)}) {
        CAPTURE(bad);
        CHECK_FALSE(apig::no_proxy_matches(bad, "10.0.0.1"));
        CHECK_FALSE(apig::no_proxy_matches(bad, "fe80::1"));
        CHECK_FALSE(apig::no_proxy_matches(bad, "example.com"));
        CHECK_FALSE(apig::no_proxy_matches(bad, "com"));
        std::string list(bad);
        list += ",example.com,10.0.0.0/8";
        CHECK(apig::no_proxy_matches(list, "example.com"));
        CHECK(apig::no_proxy_matches(list, "10.0.0.1"));
    }
    // An embedded NUL does not end an entry early.
    CHECK_FALSE(apig::no_proxy_matches(std::string_view("10.0.0.1\0junk", 13), "10.0.0.1"));
    CHECK_FALSE(apig::no_proxy_matches(std::string_view("example.com\0x", 13), "example.com"));
}

TEST_CASE("no_proxy: an empty or invalid host matches nothing but a lone *") {
    CHECK_FALSE(apig::no_proxy_matches("example.com", ""));
    CHECK_FALSE(apig::no_proxy_matches("example.com", "."));
    CHECK_FALSE(apig::no_proxy_matches("example.com", "a b.example.com"));
    CHECK_FALSE(apig::no_proxy_matches("[]", "[]"));
    CHECK(apig::no_proxy_matches("*", "odd host"));
}

TEST_CASE("no_proxy: a long list and long names stay correct") {
    std::string list;
    for (int i = 0; i < 2000; ++i) list += "host" + std::to_string(i) + ".example.org,";
    list += "target.example.com";
    CHECK(apig::no_proxy_matches(list, "a.target.example.com"));
    CHECK_FALSE(apig::no_proxy_matches(list, "other.example.com"));
    std::string const long_label(64, 'a');
    CHECK_FALSE(apig::no_proxy_matches(long_label + ".com", long_label + ".com"));
    std::string const ok_label(63, 'a');
    CHECK(apig::no_proxy_matches(ok_label + ".com", "x." + ok_label + ".com"));
}

// ---- parse_proxy --------------------------------------------------------------------------

TEST_CASE("parse_proxy: http and https URLs, with curl's default ports") {
    auto const a = route_of(url("http://proxy.example:3128"));
    CHECK_FALSE(a.tls);
    CHECK(a.host == "proxy.example");
    CHECK(a.port == "3128");
    CHECK(a.host_port == "proxy.example:3128");
    CHECK(a.authorization.empty());

    auto const b = route_of(url("http://proxy.example"));
    CHECK(b.port == "1080");
    CHECK(b.host_port == "proxy.example:1080");

    auto const c = route_of(url("https://proxy.example/"));
    CHECK(c.tls);
    CHECK(c.port == "443");
    CHECK(c.host_port == "proxy.example:443");

    auto const d = route_of(url("HTTPS://10.0.0.7:8443"));
    CHECK(d.tls);
    CHECK(d.host == "10.0.0.7");
    CHECK(d.host_port == "10.0.0.7:8443");

    // A port with leading zeros is the same number.
    CHECK(route_of(url("http://h:03128")).port == "3128");
    CHECK(route_of(url("http://h:65535")).port == "65535");
    CHECK(route_of(url("http://h:1")).port == "1");
}

TEST_CASE("parse_proxy: an IPv6 proxy host") {
    auto const r = route_of(url("http://[2001:db8::1]:3128"));
    CHECK(r.host == "2001:db8::1");
    CHECK(r.port == "3128");
    CHECK(r.host_port == "[2001:db8::1]:3128");
    auto const d = route_of(url("https://[::1]"));
    CHECK(d.host == "::1");
    CHECK(d.host_port == "[::1]:443");
}

TEST_CASE("parse_proxy: the no_proxy list and the TLS options are carried over") {
    auto o = url("https://proxy.example");
    o.no_proxy = " .internal, 10.0.0.0/8";
    o.tls.ca_pem = "PEM";
    o.tls.server_name = "proxy.internal";
    auto const r = route_of(o);
    CHECK(r.no_proxy == " .internal, 10.0.0.0/8");
    CHECK(r.tls_opts.ca_pem == "PEM");
    CHECK(r.tls_opts.server_name == "proxy.internal");
    CHECK(apig::http::bypasses(r, "api.internal"));
    CHECK(apig::http::bypasses(r, "10.3.4.5"));
    CHECK_FALSE(apig::http::bypasses(r, "apig.cn-north-4.myhuaweicloud.com"));
    CHECK_FALSE(apig::http::bypasses(route_of(url("http://p")), "anything.example"));

    auto bad = url("https://proxy.example");
    bad.tls.server_name = "a\r\nb";
    CHECK(contains(error_of(bad), "proxy.tls.server_name"));
}

TEST_CASE("parse_proxy: user information is percent-decoded into Basic credentials") {
    auto const r = route_of(url("http://user%40corp:p%3Ass@proxy.example:3128"));
    CHECK(r.authorization == "Basic dXNlckBjb3JwOnA6c3M=");  // user@corp:p:ss
    CHECK(r.host_port == "proxy.example:3128");
    CHECK(route_of(url("http://bob@proxy.example")).authorization == "Basic Ym9iOg==");  // bob:
    CHECK(route_of(url("http://bob:@proxy.example")).authorization == "Basic Ym9iOg==");
    // "@" alone: no user, no credentials.
    CHECK(route_of(url("http://@proxy.example")).authorization.empty());
}

TEST_CASE("parse_proxy: explicit username and password override the URL's") {
    auto o = url("http://urluser:urlpass@proxy.example");
    o.username = "alice";
    o.password = "s3cret";
    CHECK(route_of(o).authorization == "Basic YWxpY2U6czNjcmV0");
    auto p = url("http://proxy.example");
    p.username = "bob";
    CHECK(route_of(p).authorization == "Basic Ym9iOg==");
    // Explicit values are taken as given (not percent-decoded).
    auto q = url("http://proxy.example");
    q.username = "op";
    q.password = "xyz";
    CHECK(route_of(q).authorization == "Basic b3A6eHl6");
}

TEST_CASE("parse_proxy: unsupported schemes are refused naming the supported ones") {
    for (std::string_view u : {"socks5://proxy.example:1080", "socks4://proxy.example", "ftp://proxy.example",
                               "socks5h://user:pw@proxy.example"}) {
        CAPTURE(u);
        auto const why = error_of(url(std::string(u)));
        CHECK(contains(why, "proxy.url"));
        CHECK(contains(why, "http or https"));
    }
    auto const why = error_of(url("socks5://proxy.example:1080"));
    CHECK(contains(why, "'socks5://proxy.example:1080'"));
}

TEST_CASE("parse_proxy: malformed URLs, paths, queries, fragments and ports") {
    struct bad_case {
        std::string_view url;
        std::string_view says;
    };
    for (auto const& bad : std::vector<bad_case>{
             {"proxy.example:3128", "scheme must be http or https"},  // "proxy.example" parsed as a scheme
             {"not a url", "is not an absolute URL"},
             {"http://", "host is empty"},
             {"http:///x", "host is empty"},
             {"http://proxy.example/path", "a path is not allowed"},
             {"http://proxy.example//", "a path is not allowed"},
             {"http://proxy.example/?q=1", "a query is not allowed"},
             {"http://proxy.example?", "a query is not allowed"},
             {"http://proxy.example#frag", "a fragment is not allowed"},
             {"http://proxy.example:0", "port must be 1..65535"},
             {"http://proxy.example:99999", "port must be 1..65535"},
             {"http://proxy.example:65536", "port must be 1..65535"},
             {"http://proxy.example:", "port must be 1..65535"},
             {"http://pro%20xy.example", "not a valid host name"},
             {"http://[v1.x]", "a host name or IP address is required"},
         }) {
        CAPTURE(bad.url);
        auto const why = error_of(url(std::string(bad.url)));
        CHECK(contains(why, "proxy.url"));
        CHECK(contains(why, bad.says));
    }
    CHECK(contains(error_of(url("")), "proxy.url is empty"));
    // The URL is quoted printable.
    auto const why = error_of(url("http://proxy.example/\x1b[31m"));
    CHECK_FALSE(contains(why, "\x1b"));
}

TEST_CASE("parse_proxy: control characters and ':' in the credentials are refused") {
    auto a = url("http://proxy.example");
    a.username = "ali\r\nce";
    a.password = "pw";
    CHECK(contains(error_of(a), "proxy.username contains a control character"));

    auto b = url("http://proxy.example");
    b.username = "alice";
    b.password = std::string("p\0w", 3);
    CHECK(contains(error_of(b), "proxy.password contains a control character"));

    auto c = url("http://proxy.example");
    c.username = "al:ice";
    CHECK(contains(error_of(c), "proxy.username must not contain ':'"));

    CHECK(contains(error_of(url("http://us%0Aer:pw@proxy.example")), "the user name contains a control character"));
    CHECK(contains(error_of(url("http://user:p%00w@proxy.example")), "the password contains a control character"));
    CHECK(contains(error_of(url("http://user:p%7Fw@proxy.example")), "the password contains a control character"));
    CHECK(contains(error_of(url("http://us%3Aer:pw@proxy.example")), "the user name must not contain ':'"));
}

TEST_CASE("parse_proxy: credentials are bounded") {
    auto o = url("http://proxy.example");
    o.username = "alice";
    o.password = std::string(16 * 1024 - 5, 'p');
    CHECK(route_of(o).authorization.size() > 16 * 1024);
    o.password += 'p';
    auto const why = error_of(o);
    CHECK(contains(why, "proxy.username and the password are too long (at most 16384 bytes together)"));
    CHECK_FALSE(contains(why, "pppppppp"));
}

TEST_CASE("parse_proxy: a password without a user is refused") {
    auto o = url("http://proxy.example");
    o.password = "lonelypassword";
    auto const why = error_of(o);
    CHECK(contains(why, "proxy.password is set without a user name"));
    CHECK_FALSE(contains(why, "lonelypassword"));
    CHECK(contains(error_of(url("http://:pw@proxy.example")), "the password is set without a user name"));
}

TEST_CASE("parse_proxy: no message holds the password or the user information") {
    std::string_view const secret = "Zq7-distinctive-Pw";
    std::string const enc = "Zq7%2Ddistinctive%2DPw";
    std::vector<apig::proxy_options> cases;
    for (std::string_view tail : {"/path", "?q", "#f", ":0", ":99999", "/x\x1b", ":", "/a/" }) {
        cases.push_back(url("http://user:" + std::string(secret) + "@proxy.example" + std::string(tail)));
        cases.push_back(url("https://user:" + enc + "@proxy.example" + std::string(tail)));
    }
    cases.push_back(url("socks5://user:" + enc + "@proxy.example"));
    cases.push_back(url("socks5://user:" + std::string(secret) + "@proxy.example"));
    // The password repeated outside the user information is redacted there too.
    cases.push_back(url("http://user:" + std::string(secret) + "@proxy.example/" + std::string(secret)));
    cases.push_back(url("http://user:" + std::string(secret) + " x@proxy.example"));  // not a URL
    cases.push_back(url("http://user:" + std::string(secret) + "@pro xy.example"));
    cases.push_back(url("http://user:" + std::string(secret) + "@[::1"));
    cases.push_back(url("http://us%0Aer:" + std::string(secret) + "@proxy.example"));
    cases.push_back(url("http://:" + std::string(secret) + "@proxy.example"));
    cases.push_back(url("http://" + std::string(secret) + ":x@proxy.example/p"));
    {
        auto o = url("http://proxy.example/p");
        o.username = "alice";
        o.password = std::string(secret);
        cases.push_back(o);
        o.url = "http://proxy.example:0";
        cases.push_back(o);
        o.url = "http://" + std::string(secret) + "/";  // the password as the host: redacted anyway
        o.username = "al\nice";
        cases.push_back(o);
        o.url = "http://proxy.example";
        o.username.clear();
        cases.push_back(o);
        o.username = "alice";
        o.password = std::string(secret) + "\n";
        cases.push_back(o);
    }
    for (auto const& o : cases) {
        CAPTURE(o.url);
        auto const why = error_of(o);
        CHECK_FALSE(contains(why, secret));
        CHECK_FALSE(contains(why, enc));
        CHECK_FALSE(contains(why, "distinctive"));
        CHECK_FALSE(contains(why, "user:"));
        CHECK_FALSE(contains(why, "@proxy"));
    }
    // Typos that leave the user information outside the authority: the URL is not quoted.
    for (std::string_view typo : {"http:/user:", "http:user:", "http:///user:", "http://proxy.example/user:"}) {
        CAPTURE(typo);
        auto const m = error_of(url(std::string(typo) + std::string(secret) + "@proxy.example"));
        CHECK_FALSE(contains(m, "distinctive"));
        CHECK(contains(m, "proxy.url:"));
    }
    // The URL is still quoted, without its user information.
    auto const why = error_of(url("http://user:" + std::string(secret) + "@proxy.example:3128/path"));
    CHECK(contains(why, "'http://proxy.example:3128/path'"));
}

// ---- connect_request ---------------------------------------------------------------------

TEST_CASE("connect_request: the exact bytes") {
    CHECK(apig::http::connect_request("api.example.com:443", "") ==
          "CONNECT api.example.com:443 HTTP/1.1\r\nHost: api.example.com:443\r\n\r\n");
    CHECK(apig::http::connect_request("[2001:db8::1]:8443", "Basic YWxpY2U6czNjcmV0") ==
          "CONNECT [2001:db8::1]:8443 HTTP/1.1\r\nHost: [2001:db8::1]:8443\r\n"
          "Proxy-Authorization: Basic YWxpY2U6czNjcmV0\r\n\r\n");
    auto const r = route_of(url("http://alice:s3cret@proxy.example"));
    CHECK(apig::http::connect_request("h:443", r.authorization) ==
          "CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\nProxy-Authorization: Basic YWxpY2U6czNjcmV0\r\n\r\n");
}

// ---- connect_refused ---------------------------------------------------------------------

TEST_CASE("connect_refused: each status says what it means, then the reason") {
    using apig::http::connect_refused;
    std::string_view const proxy = "127.0.0.1:3128";
    std::string_view const target = "api.example.com:443";

    auto const e407 = connect_refused(407, "Proxy Authentication Required", proxy, target, false);
    CHECK(e407.code == apig::errc::proxy_error);
    CHECK(e407.http_status == 407);
    CHECK(e407.message ==
          "proxy 127.0.0.1:3128 refused CONNECT to api.example.com:443: HTTP 407 proxy authentication required "
          "(\"Proxy Authentication Required\")");

    auto const e407c = connect_refused(407, "Proxy Authentication Required", proxy, target, true);
    CHECK(e407c.http_status == 407);
    CHECK(e407c.message ==
          "proxy 127.0.0.1:3128 refused CONNECT to api.example.com:443: HTTP 407 proxy authentication refused "
          "(\"Proxy Authentication Required\")");

    auto const e403 = connect_refused(403, "Forbidden", proxy, target, false);
    CHECK(e403.http_status == 403);
    CHECK(e403.message ==
          "proxy 127.0.0.1:3128 refused CONNECT to api.example.com:443: HTTP 403 the proxy does not allow this "
          "target (\"Forbidden\")");

    auto const e502 = connect_refused(502, "Bad Gateway", proxy, target, false);
    CHECK(e502.http_status == 502);
    CHECK(e502.message ==
          "proxy 127.0.0.1:3128 refused CONNECT to api.example.com:443: HTTP 502 the proxy could not reach "
          "api.example.com:443 (\"Bad Gateway\")");

    auto const e503 = connect_refused(503, "Service Unavailable", proxy, target, false);
    CHECK(e503.http_status == 503);
    CHECK(e503.message ==
          "proxy 127.0.0.1:3128 refused CONNECT to api.example.com:443: HTTP 503 the proxy is unavailable "
          "(\"Service Unavailable\")");

    auto const e504 = connect_refused(504, "Gateway Timeout", proxy, target, false);
    CHECK(e504.http_status == 504);
    CHECK(e504.message ==
          "proxy 127.0.0.1:3128 refused CONNECT to api.example.com:443: HTTP 504 the proxy timed out reaching "
          "api.example.com:443 (\"Gateway Timeout\")");

    auto const e418 = connect_refused(418, "I'm a teapot", proxy, target, false);
    CHECK(e418.http_status == 418);
    CHECK(e418.code == apig::errc::proxy_error);
    CHECK(e418.message ==
          "proxy 127.0.0.1:3128 refused CONNECT to api.example.com:443: HTTP 418 unexpected status "
          "(\"I'm a teapot\")");

    // No reason: nothing quoted.
    auto const bare = connect_refused(502, "", "[::1]:3128", target, false);
    CHECK(bare.message ==
          "proxy [::1]:3128 refused CONNECT to api.example.com:443: HTTP 502 the proxy could not reach "
          "api.example.com:443");
    CHECK(connect_refused(502, " \r\n", proxy, target, false).message ==
          "proxy 127.0.0.1:3128 refused CONNECT to api.example.com:443: HTTP 502 the proxy could not reach "
          "api.example.com:443");
}

TEST_CASE("connect_refused: a hostile reason is made printable, cut and redacted") {
    using apig::http::connect_refused;
    std::string_view const secret = "Tk-0123456789-distinctive";
    std::string reason = "Denied\x1b[2J\x1b]0;owned\x07\r\nSet-Cookie: x\xE2\x80\xAE" "evil " + std::string(secret) + " ";
    reason += std::string(5000, 'A');
    std::string_view const secrets[] = {secret};
    auto const e = connect_refused(407, reason, "127.0.0.1:3128", "api.example.com:443", true, secrets);
    CHECK(e.code == apig::errc::proxy_error);
    CHECK(e.http_status == 407);
    CHECK(contains(e.message, "HTTP 407 proxy authentication refused (\"Denied"));
    CHECK_FALSE(contains(e.message, secret));
    CHECK_FALSE(contains(e.message, "0123456789"));
    CHECK(contains(e.message, "<redacted>"));
    CHECK(e.message.size() < 1000);
    CHECK(contains(e.message, "...\")"));
    for (char c : e.message) {
        auto const u = static_cast<unsigned char>(c);
        CHECK((u >= 0x20 && u != 0x7F));
    }
    CHECK_FALSE(contains(e.message, "\xE2\x80\xAE"));
}
