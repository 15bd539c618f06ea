// One HTTP/1.1 request on a new connection, bounded in time and size (see oneshot.hpp).
#include "http/oneshot.hpp"

#include "error_detail.hpp"
#include "http/ip_endpoint.hpp"
#include "http/proxy.hpp"
#include "http/tls.hpp"
#include "http/tunnel.hpp"

#include <apig/version.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/url/parse.hpp>

#include <cctype>
#include <optional>

namespace apig::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using boost::system::error_code;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

/// The header block a response may have (status line and fields).
constexpr std::uint32_t header_limit_bytes = 16 * 1024;
/// Interim (1xx) responses skipped before the final one, at most.
constexpr int max_interim = 4;

/// The parts of a base URL a request needs.
struct base_url {
    bool tls = false;
    std::string host;       ///< for resolving and TLS names: no brackets around IPv6
    std::string port;       ///< numeric, the scheme's default when absent
    std::string host_port;  ///< Host header and messages: host[:port] as written
};

std::string duration_text(std::chrono::milliseconds d) {
    if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + " s";
    return ms_text(d);
}

bool is_abort(error_code const& ec) { return ec == asio::error::operation_aborted; }

bool token_ok(std::string_view s) {
    if (s.empty()) return false;
    for (unsigned char c : s)
        if (!(std::isalnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos))
            return false;
    return true;
}

bool field_value_ok(std::string_view s) {
    for (unsigned char c : s)
        if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
    return true;
}

bool target_ok(std::string_view s) {
    if (s.empty() || s.front() != '/') return false;
    for (unsigned char c : s)
        if (c <= 0x20 || c >= 0x7f) return false;
    return true;
}

/// Parses `http(s)://host[:port]` (an empty path or "/"), or says what is wrong with it.
std::variant<base_url, std::string> parse_base(std::string_view text) {
    auto const shown = [&] { return "'" + printable(text, 200) + "'"; };
    auto r = boost::urls::parse_absolute_uri(text);
    if (!r) return "base URL " + shown() + " is not an absolute URL";
    auto const& u = *r;
    base_url out;
    if (u.scheme_id() == boost::urls::scheme::https)
        out.tls = true;
    else if (u.scheme_id() != boost::urls::scheme::http)
        return "base URL " + shown() + " must start with http:// or https://";
    if (!u.has_authority() || u.encoded_host().empty()) return "base URL " + shown() + " has no host";
    if (u.has_userinfo()) return "base URL must not hold user information (user:password@)";
    if (!(u.encoded_path().empty() || u.encoded_path() == "/"))
        return "base URL " + shown() + " must not have a path (the request target carries it)";
    if (u.has_query()) return "base URL " + shown() + " must not have a query";
    if (u.has_fragment()) return "base URL " + shown() + " must not have a fragment";
    switch (u.host_type()) {
    case boost::urls::host_type::ipv4:
        out.host = u.host_ipv4_address().to_string();
        break;
    case boost::urls::host_type::ipv6:
        out.host = u.host_ipv6_address().to_string();
        break;
    case boost::urls::host_type::name: {
        out.host = u.host_name();
        for (unsigned char c : out.host)
            if (!(std::isalnum(c) || c == '-' || c == '.' || c == '_'))
                return "base URL " + shown() + " has an invalid host name";
        break;
    }
    default:
        return "base URL " + shown() + " has an unsupported host";
    }
    if (u.has_port()) {
        auto const p = u.port();
        if (p.empty() || u.port_number() == 0 || p.size() > 5)
            return "base URL " + shown() + " has an invalid port";
        out.port = std::to_string(u.port_number());
    } else {
        out.port = out.tls ? "443" : "80";
    }
    out.host_port = std::string(u.encoded_host_and_port());
    return out;
}

/// The first letter of a system message in lower case, for the middle of a sentence.
std::string reason(error_code const& ec) {
    std::string m = ec.message();
    if (!m.empty()) m[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(m[0])));
    return m;
}

class exchange {
public:
    exchange(oneshot_request const& req, base_url const& url, std::chrono::steady_clock::time_point deadline)
        : req_(req), url_(url), deadline_(deadline), who_(req.what + " (" + url.host_port + ")") {}

    error_info timed_out() const {
        return make_error(errc::timed_out, who_ + " did not answer within " + duration_text(req_.timeout));
    }
    error_info aborted(error_code ec) const { return make_error(ec, who_ + ": cancelled"); }

    /// Any failure of a step on an established stream, as a message.
    error_info step_error(error_code const& ec, std::string_view step) const {
        if (is_error(ec, beast::error::timeout)) return timed_out();
        if (is_abort(ec)) return aborted(ec);
        return make_error(ec, who_ + ": " + std::string(step) + ": " + reason(ec));
    }

    asio::awaitable<std::pair<error_info, oneshot_response>> run(asio::any_io_executor ex) {
        using namespace boost::asio::experimental::awaitable_operators;
        std::pair<error_info, oneshot_response> out;
        proxy_route const* const proxy = req_.proxy && !bypasses(*req_.proxy, url_.host) ? req_.proxy.get() : nullptr;
        if (proxy && !url_.tls) {
            out.first = invalid_argument(who_ + ": an http:// URL is not sent through a proxy; use https://, "
                                                "or name its host in proxy.no_proxy");
            co_return out;
        }
        if (proxy && proxy->tls && req_.proxy_tls == nullptr) {
            out.first = invalid_argument(who_ + ": an https:// proxy needs a TLS context");
            co_return out;
        }
        std::string const& dial_host = proxy ? proxy->host : url_.host;
        std::string const& dial_port = proxy ? proxy->port : url_.port;
        via_ = proxy ? " proxy " + proxy->host_port : std::string();
        // An IP literal (the metadata service's 169.254.169.254) is not looked up; a name is
        // resolved, racing a timer: Asio's resolver has no time limit of its own.
        std::vector<asio::ip::tcp::endpoint> results;
        if (auto const literal = ip_endpoint(dial_host, dial_port)) {
            results.push_back(*literal);
        } else {
            asio::ip::tcp::resolver resolver(ex);
            asio::steady_timer timer(ex, deadline_);
            auto raced = co_await (resolver.async_resolve(dial_host, dial_port, use_tuple) || timer.async_wait(use_tuple));
            if (raced.index() == 1) {
                auto [tec] = std::get<1>(raced);
                out.first = is_abort(tec) ? aborted(tec) : timed_out();
                co_return out;
            }
            auto [rec, resolved] = std::get<0>(std::move(raced));
            if (rec) {
                out.first = is_abort(rec) ? aborted(rec)
                                          : make_error(errc::resolve_failed, who_ + ": cannot resolve" + via_ + " " +
                                                                                 printable(dial_host, 256) + ": " + reason(rec));
                co_return out;
            }
            for (auto const& r : resolved) results.push_back(r.endpoint());
        }

        if (!url_.tls) {
            beast::tcp_stream s(ex);
            out.first = co_await connect(s, results);
            if (!out.first) out = co_await talk(s, s);
            error_code ignored;
            s.socket().close(ignored);
            co_return out;
        }
        std::string const& name = req_.tls_name.empty() ? url_.host : req_.tls_name;
        step_limit const limit{deadline_, req_.what + "'s limit of " + duration_text(req_.timeout)};
        if (proxy && proxy->tls) {
            // TLS to the proxy, the tunnel, then TLS to the server inside it.
            beast::ssl_stream<beast::tcp_stream> outer(ex, *req_.proxy_tls);
            auto& tcp = beast::get_lowest_layer(outer);
            out.first = co_await connect(tcp, results);
            std::string const& proxy_name =
                proxy->tls_opts.server_name.empty() ? proxy->host : proxy->tls_opts.server_name;
            if (!out.first)
                out.first = co_await handshake(outer, proxy->host, proxy->port, proxy_name, !proxy->tls_opts.insecure_skip_verify,
                                               "proxy " + proxy->host_port + ": ");
            if (!out.first) out.first = co_await open_tunnel(outer, tcp, *proxy, connect_authority(url_.host, url_.port), limit);
            asio::ssl::stream<tls_layer> inner(tls_layer(outer), *req_.tls);
            if (!out.first) out.first = co_await handshake(inner, url_.host, url_.port, name, req_.verify, "");
            if (!out.first) out = co_await talk(inner, tcp);
            keep_session_resumable(outer.native_handle());
            keep_session_resumable(inner.native_handle());
            error_code ignored;
            tcp.socket().close(ignored);
            co_return out;
        }
        beast::ssl_stream<beast::tcp_stream> s(ex, *req_.tls);
        auto& tcp = beast::get_lowest_layer(s);
        out.first = co_await connect(tcp, results);
        if (!out.first && proxy)
            out.first = co_await open_tunnel(s.next_layer(), tcp, *proxy, connect_authority(url_.host, url_.port), limit);
        if (!out.first) out.first = co_await handshake(s, url_.host, url_.port, name, req_.verify, "");
        if (!out.first) out = co_await talk(s, tcp);
        keep_session_resumable(s.native_handle());
        error_code ignored;
        tcp.socket().close(ignored);
        co_return out;
    }

private:
    asio::awaitable<error_info> connect(beast::tcp_stream& tcp, std::vector<asio::ip::tcp::endpoint> const& results) {
        tcp.expires_at(deadline_);
        auto [cec, ep] = co_await tcp.async_connect(results, use_tuple);
        if (!cec) co_return error_info{};
        if (is_error(cec, beast::error::timeout)) co_return timed_out();
        if (is_abort(cec)) co_return aborted(cec);
        co_return make_error(errc::connect_failed, who_ + ": cannot connect" + (via_.empty() ? "" : " to" + via_) +
                                                       ": " + reason(cec));
    }

    /// The handshake on `s` with the server `name` (its SNI and certificate name); failures
    /// start with `who_` and `hop` ("proxy host:port: " for the hop to an https:// proxy).
    template <class Stream>
    asio::awaitable<error_info> handshake(Stream& s, std::string const& host, std::string const& port,
                                          std::string const& name, bool verify, std::string const& hop) {
        if (!configure_connection(s.native_handle(), name, verify))
            co_return invalid_argument("TLS server name '" + printable(name, 256) + "' was refused by OpenSSL");
        prepare_resumption(s.native_handle(), host, port, name);
        auto [hec] = co_await s.async_handshake(asio::ssl::stream_base::client, use_tuple);
        if (!hec) co_return error_info{};
        if (is_error(hec, beast::error::timeout)) co_return timed_out();
        if (is_abort(hec)) co_return aborted(hec);
        auto e = handshake_error(s.native_handle(), hec, name);
        e.message = who_ + ": " + hop + e.message;
        co_return e;
    }

    template <class Stream>
    asio::awaitable<std::pair<error_info, oneshot_response>> talk(Stream& s, beast::tcp_stream& tcp) {
        std::pair<error_info, oneshot_response> out;
        bhttp::request<bhttp::string_body> msg;
        msg.method_string(req_.method);
        msg.target(req_.target);
        msg.version(11);
        msg.set(bhttp::field::host, url_.host_port);
        msg.set(bhttp::field::user_agent, "apig-cpp/" APIG_VERSION_STRING);
        for (auto const& [name, value] : req_.headers) msg.insert(name, value);
        msg.set(bhttp::field::connection, "close");
        if (!req_.body.empty() || req_.method == "POST" || req_.method == "PUT") {
            msg.body() = req_.body;
            msg.prepare_payload();
        }

        tcp.expires_at(deadline_);
        auto [wec, written] = co_await bhttp::async_write(s, msg, use_tuple);
        if (wec) {
            out.first = step_error(wec, "sending the request");
            co_return out;
        }

        beast::flat_buffer buffer;
        for (int interim = 0;; ++interim) {
            bhttp::response_parser<bhttp::string_body> parser;
            parser.body_limit(req_.max_body_bytes);
            parser.header_limit(header_limit_bytes);
            auto [rec, read] = co_await bhttp::async_read(s, buffer, parser, use_tuple);
            if (rec) {
                out.first = read_error(rec, parser.got_some());
                co_return out;
            }
            auto& res = parser.get();
            if (res.result_int() / 100 == 1) {
                if (interim < max_interim) continue;
                out.first = make_error(errc::bad_response,
                                       who_ + ": more than " + std::to_string(max_interim) + " interim (1xx) responses");
                co_return out;
            }
            out.second.status = res.result_int();
            out.second.body = std::move(res.body());
            auto id = res.find("X-Request-Id");
            if (id == res.end()) id = res.find("X-IAM-Trace-Id");
            if (id != res.end()) out.second.request_id = printable(id->value(), 256, ' ');
            co_return out;
        }
    }

    error_info read_error(error_code const& ec, bool got_some) const {
        if (is_error(ec, bhttp::error::body_limit))
            return make_error(errc::response_too_large, who_ + ": the response body is larger than " +
                                                            std::to_string(req_.max_body_bytes) + " bytes");
        if (is_error(ec, bhttp::error::header_limit))
            return make_error(errc::response_too_large, who_ + ": the response headers are larger than " +
                                                            std::to_string(header_limit_bytes / 1024) + " KiB");
        if (is_error(ec, beast::error::timeout)) return timed_out();
        if (is_abort(ec)) return aborted(ec);
        if (is_error(ec, bhttp::error::end_of_stream) || is_error(ec, asio::error::eof) ||
            is_error(ec, asio::ssl::error::stream_truncated) || is_error(ec, bhttp::error::partial_message))
            return make_error(ec, who_ + (got_some ? ": closed the connection before the response was complete"
                                                   : ": closed the connection without responding"));
        if (same_category(ec.category(), make_error_code(bhttp::error::bad_method).category()))
            return make_error(errc::bad_response, who_ + ": malformed HTTP response (" + ec.message() + ")");
        return make_error(ec, who_ + ": reading the response: " + reason(ec));
    }

    oneshot_request const& req_;
    base_url const& url_;
    std::chrono::steady_clock::time_point deadline_;
    std::string who_;
    std::string via_;  // " proxy host:port" when tunnelling, for messages
};

}  // namespace

asio::awaitable<std::pair<error_info, oneshot_response>> exchange_once(asio::any_io_executor ex,
                                                                        oneshot_request const& req) {
    std::pair<error_info, oneshot_response> out;
    auto parsed = parse_base(req.base_url);
    if (auto const* why = std::get_if<std::string>(&parsed)) {
        out.first = invalid_argument(req.what + ": " + *why);
        co_return out;
    }
    auto const& url = std::get<base_url>(parsed);
    if (url.tls && req.tls == nullptr) {
        out.first = invalid_argument(req.what + ": an https URL needs a TLS context");
        co_return out;
    }
    if (!token_ok(req.method)) {
        out.first = invalid_argument(req.what + ": method '" + printable(req.method, 32) + "' is not an HTTP token");
        co_return out;
    }
    if (!target_ok(req.target)) {
        out.first = invalid_argument(req.what + ": request target '" + printable(req.target, 200) +
                                     "' must start with / and hold no space or control character");
        co_return out;
    }
    for (auto const& [name, value] : req.headers) {
        // Values are never quoted: they may be secrets.
        if (!token_ok(name) || !field_value_ok(value)) {
            out.first = invalid_argument(req.what + ": header '" + printable(name, 64) + "' is not a valid field");
            co_return out;
        }
    }
    if (req.timeout <= std::chrono::milliseconds::zero()) {
        out.first = invalid_argument(req.what + ": timeout must be positive");
        co_return out;
    }
    exchange x(req, url, std::chrono::steady_clock::now() + req.timeout);
    co_return co_await x.run(std::move(ex));
}

}  // namespace apig::http
