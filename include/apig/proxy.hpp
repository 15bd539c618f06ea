#pragma once

// A forward proxy for the client's connections: HTTPS to the API through an HTTP CONNECT
// tunnel, the proxy reached over plain TCP (`http://`) or TLS (`https://`). The rules for
// reading the environment (curl's) are plain functions, testable without the process
// environment.

#include <apig/export.hpp>
#include <apig/tls_options.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace apig {

/// A proxy's address and credentials, and the hosts reached without it.
///
/// Holds a secret (`password`, and any password in `url`): never logged or put in a message;
/// an error names the proxy as `host:port` only.
struct proxy_options {
    /// `http://host[:port]` or `https://host[:port]`, optionally with `user:password@`
    /// (percent-decoded, used when `username` is empty). No path (but "/"), query or fragment.
    /// No port: curl's defaults, 1080 for http and 443 for https. Empty (the default): no
    /// proxy. Anything else fails the client's constructor with `errc::invalid_argument`
    /// naming the problem (never quoting the user information).
    std::string url{};
    /// User name for `Proxy-Authorization: Basic`. Default: the URL's, if any.
    std::string username{};
    /// Password for `Proxy-Authorization: Basic` (with `username`). Default: the URL's.
    std::string password{};
    /// Hosts reached directly, curl's `NO_PROXY` syntax: a comma-separated list (spaces
    /// around entries ignored); `*` alone matches every host; a name matches itself and its
    /// subdomains (a leading dot is allowed, `.example.com` = `example.com`); an IP literal
    /// matches that address and `addr/bits` a CIDR range (IPv6 without brackets); matching
    /// is case-insensitive and ignores a trailing dot; ports are not compared.
    std::string no_proxy{};
    /// How an `https://` proxy's certificate is checked: against the proxy's host name (or
    /// `tls.server_name`), with this trust, independent of `client_options::tls` (which
    /// checks the API's certificate, inside the tunnel). Default: the system trust store,
    /// verification on.
    tls_options tls{};

    /// Whether a proxy is set.
    bool enabled() const noexcept { return !url.empty(); }
};

/// The proxy curl would use for a target of `scheme` ("https" or "http"), read through
/// `getenv` (a name in, the value or nullopt out; default: the process environment, with
/// std::getenv: not safe against a concurrent setenv):
///  - https: `https_proxy`, then `HTTPS_PROXY`; http: `http_proxy` only (the upper-case
///    name is ignored, as curl does, against CGI's `HTTP_PROXY` header injection);
///  - then `all_proxy`, then `ALL_PROXY`;
///  - `no_proxy`, then `NO_PROXY`, into `no_proxy`.
/// An empty value counts as unset. A value without `scheme://` gets `http://` (curl's
/// rule). No variable set: `url` empty (no proxy). The values are not validated here: the
/// client's constructor does it.
APIG_DECL proxy_options proxy_from_env(
    std::string_view scheme = "https",
    std::function<std::optional<std::string>(std::string_view)> const& getenv = {});

/// Whether `host` (a DNS name, or an IP literal with IPv6 not in brackets) is to be reached
/// without the proxy under `no_proxy` (syntax: see `proxy_options::no_proxy`). An entry
/// that is neither a valid name nor a valid address/range matches nothing.
APIG_DECL bool no_proxy_matches(std::string_view no_proxy, std::string_view host);

}  // namespace apig
