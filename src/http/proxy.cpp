// The sans-I/O half of proxy support: checking a proxy, the CONNECT request, and the error
// for a CONNECT the proxy refused.
#include "http/proxy.hpp"

#include "error_detail.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <openssl/evp.h>

#include <charconv>
#include <string>
#include <vector>

namespace apig::http {
namespace {

// A bound on what goes into one header line (and into EVP_EncodeBlock's int length).
constexpr std::size_t max_credentials_bytes = 16 * 1024;

bool has_control(std::string_view s) noexcept {
    for (char c : s) {
        auto const u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7F) return true;
    }
    return false;
}

bool host_name_ok(std::string_view s) noexcept {
    for (char c : s) {
        bool const ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                        c == '.' || c == '_';
        if (!ok) return false;
    }
    return true;
}

std::string base64(std::string_view in) {
    std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
    int const n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<unsigned char const*>(in.data()), static_cast<int>(in.size()));
    out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    return out;
}

// The passwords `o` holds (explicit, and the URL's as written and decoded), for redacting the
// quoted URL: the user information is removed from it, but a password could be repeated
// elsewhere in the URL.
secret_set url_secrets(proxy_options const& o) {
    std::vector<std::string> secrets{o.password};
    if (auto r = boost::urls::parse_uri(o.url); r && r->has_password()) {
        secrets.emplace_back(r->password());
        auto const encoded = r->encoded_password();
        secrets.emplace_back(encoded.data(), encoded.size());
    }
    std::vector<std::string_view> const views(secrets.begin(), secrets.end());
    return secret_set(views);
}

}  // namespace

std::variant<proxy_route, std::string> parse_proxy(proxy_options const& o) {
    if (o.url.empty()) return std::string("proxy.url is empty (http://host[:port] or https://host[:port])");
    // parse_uri, not parse_absolute_uri: a fragment is then refused by name.
    auto r = boost::urls::parse_uri(o.url);
    if (!r) {
        // Quoted only when it cannot hold user information.
        if (o.url.find('@') == std::string::npos)
            return "proxy.url '" + url_secrets(o).server_text(o.url, 200, '?') +
                   "' is not an absolute URL (http://host[:port] or https://host[:port] expected)";
        return std::string(
            "proxy.url is not an absolute URL (http://host[:port] or https://host[:port] expected; "
            "user information must be percent-encoded)");
    }
    auto const& u = *r;
    boost::urls::url bare(u);
    bare.remove_userinfo();
    // Quoted without its user information; not at all when an '@' is left (a typo such as
    // "http:/user:password@host" puts the user information in the path).
    std::string const shown = std::string_view(bare.buffer()).find('@') != std::string_view::npos
                                  ? std::string("proxy.url")
                                  : "proxy.url '" + url_secrets(o).server_text(bare.buffer(), 200, '?') + "'";

    proxy_route out;
    if (u.scheme_id() == boost::urls::scheme::https)
        out.tls = true;
    else if (u.scheme_id() != boost::urls::scheme::http)
        return shown + ": the scheme must be http or https (SOCKS and other proxies are not supported)";
    if (!u.has_authority() || u.encoded_host().empty()) return shown + ": the host is empty";
    if (!(u.encoded_path().empty() || u.encoded_path() == "/"))
        return shown + ": a path is not allowed (http://host[:port])";
    if (u.has_query()) return shown + ": a query is not allowed";
    if (u.has_fragment()) return shown + ": a fragment is not allowed";
    switch (u.host_type()) {
    case boost::urls::host_type::ipv4: out.host = u.host_ipv4_address().to_string(); break;
    case boost::urls::host_type::ipv6: out.host = u.host_ipv6_address().to_string(); break;
    case boost::urls::host_type::name:
        out.host = u.host_name();
        if (out.host.empty() || !host_name_ok(out.host)) return shown + ": the host is not a valid host name";
        break;
    default: return shown + ": a host name or IP address is required";
    }
    if (u.has_port()) {
        auto const p = u.port();
        unsigned long n = 0;
        auto const [end, ec] = std::from_chars(p.data(), p.data() + p.size(), n);
        if (p.empty() || ec != std::errc{} || end != p.data() + p.size() || n == 0 || n > 65535)
            return shown + ": the port must be 1..65535";
        out.port = std::to_string(n);
    } else {
        out.port = out.tls ? "443" : "1080";
    }
    out.host_port = (u.host_type() == boost::urls::host_type::ipv6 ? "[" + out.host + "]" : out.host) + ":" + out.port;

    // The credentials: the explicit pair when either is set, else the URL's user information.
    std::string user;
    std::string password;
    std::string user_field = "proxy.username";
    std::string password_field = "proxy.password";
    if (!o.username.empty() || !o.password.empty()) {
        user = o.username;
        password = o.password;
    } else if (u.has_userinfo()) {
        user = u.user();
        if (u.has_password()) password = u.password();
        user_field = "proxy.url: the user name";
        password_field = "proxy.url: the password";
    }
    if (user.empty() && !password.empty())
        return password_field + " is set without a user name";
    if (has_control(user)) return user_field + " contains a control character (CR, LF, NUL, ...)";
    if (user.find(':') != std::string::npos) return user_field + " must not contain ':'";
    if (has_control(password)) return password_field + " contains a control character (CR, LF, NUL, ...)";
    if (user.size() + password.size() > max_credentials_bytes)
        return user_field + " and the password are too long (at most " + std::to_string(max_credentials_bytes) +
               " bytes together)";
    if (!user.empty()) out.authorization = "Basic " + base64(user + ":" + password);
    out.password = std::move(password);

    if (has_control(o.tls.server_name))
        return std::string("proxy.tls.server_name contains a control character (CR, LF, NUL, ...)");
    out.no_proxy = o.no_proxy;
    out.tls_opts = o.tls;
    return out;
}

std::string connect_request(std::string_view authority, std::string_view authorization) {
    std::string out;
    out.reserve(64 + 2 * authority.size() + authorization.size());
    out += "CONNECT ";
    out += authority;
    out += " HTTP/1.1\r\nHost: ";
    out += authority;
    out += "\r\n";
    if (!authorization.empty()) {
        out += "Proxy-Authorization: ";
        out += authorization;
        out += "\r\n";
    }
    out += "\r\n";
    return out;
}

error_info connect_refused(unsigned status, std::string_view reason, std::string_view proxy,
                           std::string_view target, bool sent_credentials,
                           std::span<std::string_view const> secrets) {
    std::string const where = printable(target, 300);
    std::string meaning;
    switch (status) {
    case 407:
        meaning = sent_credentials ? "proxy authentication refused" : "proxy authentication required";
        break;
    case 401:  // what some proxies (tinyproxy) answer to wrong credentials
        meaning = sent_credentials ? "proxy authentication refused" : "unauthorized by the proxy";
        break;
    case 403: meaning = "the proxy does not allow this target"; break;
    case 502: meaning = "the proxy could not reach " + where; break;
    case 503: meaning = "the proxy is unavailable"; break;
    case 504: meaning = "the proxy timed out reaching " + where; break;
    default: meaning = "unexpected status"; break;
    }
    std::string message = "proxy " + printable(proxy, 300) + " refused CONNECT to " + where + ": HTTP " +
                          std::to_string(status) + " " + meaning;
    secret_set const set(secrets);
    std::string const shown = set.server_text(reason, 512);
    if (!shown.empty() && shown.find_first_not_of(' ') != std::string::npos) message += " (\"" + shown + "\")";
    if (!set.empty()) message = set.redacted(message);
    error_info e = make_error(errc::proxy_error, std::move(message));
    e.http_status = status;
    return e;
}

bool bypasses(proxy_route const& r, std::string_view target_host) {
    return !r.no_proxy.empty() && no_proxy_matches(r.no_proxy, target_host);
}

}  // namespace apig::http
