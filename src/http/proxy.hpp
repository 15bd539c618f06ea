#pragma once

// The sans-I/O half of proxy support: a validated proxy (from `proxy_options`), the CONNECT
// request, and what a CONNECT answer that is not 2xx means. Internal header.

#include <apig/error.hpp>
#include <apig/proxy.hpp>

#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace apig::http {

/// A proxy the client's connections go through, checked.
struct proxy_route {
    bool tls = false;           ///< https:// proxy: TLS to the proxy first
    std::string host;           ///< DNS name or IP literal, IPv6 without brackets
    std::string port;           ///< numeric ("3128"); curl's default when absent (1080 / 443)
    std::string host_port;      ///< for messages: "host:port" ([v6]:port)
    /// `Basic base64(user:password)` or empty (no user). A secret: never in a message.
    std::string authorization;
    std::string password;       ///< the decoded password (a secret), for redaction only
    std::string no_proxy;       ///< the bypass list, as given
    tls_options tls_opts;       ///< for an https:// proxy: how its certificate is checked
};

/// Checks `o` (it must be enabled()) and makes the route, or says what is wrong: the scheme
/// (http or https only), the host (a name or IP literal), the port (1..65535), no path but
/// "/", no query or fragment; user and password from `username`/`password`, else the URL's
/// user information, percent-decoded; none may hold a control character, the user no ':'.
/// A password without a user is refused. The message names the field ("proxy.url",
/// "proxy.username", ...) and quotes the URL only without its user information.
std::variant<proxy_route, std::string> parse_proxy(proxy_options const& o);

/// The tunnel request for `authority` ("host:port", [v6] in brackets):
/// `CONNECT authority HTTP/1.1\r\nHost: authority\r\n[Proxy-Authorization: ...\r\n]\r\n`.
std::string connect_request(std::string_view authority, std::string_view authorization);

/// The error for a CONNECT that `proxy` (host:port) answered with `status` (not 2xx) and
/// `reason` (the status line's reason phrase, hostile: made printable and cut, `secrets`
/// redacted): `errc::proxy_error`, `http_status` = status, and a message such as
/// `proxy 127.0.0.1:3128 refused CONNECT to api.example.com:443: HTTP 407 proxy
/// authentication required ("Proxy Authentication Required")`. The standard meaning comes
/// first (407: "proxy authentication required" or, when credentials were sent, "proxy
/// authentication refused"; 403: "the proxy does not allow this target"; 502: "the proxy
/// could not reach <target>"; 503 ...; 504 "the proxy timed out reaching <target>"; any
/// other: "unexpected status"), then the reason quoted when non-empty.
error_info connect_refused(unsigned status, std::string_view reason, std::string_view proxy,
                           std::string_view target, bool sent_credentials,
                           std::span<std::string_view const> secrets = {});

/// Whether `target_host` is reached directly under the route's `no_proxy` list (see
/// `apig::no_proxy_matches`).
bool bypasses(proxy_route const& r, std::string_view target_host);

}  // namespace apig::http
