// The ECS metadata service's and the pod identity agent's temporary keys: their requests, on
// top of the shared expiring key (auth/expiring_key.hpp).
#include <apig/temporary_credentials.hpp>

#include "auth/expiring_key.hpp"
#include "auth/signer.hpp"
#include "auth/small_file.hpp"
#include "auth/temporary_key.hpp"
#include "error_detail.hpp"
#include "http/oneshot.hpp"
#include "http/tls.hpp"

#include <boost/url/parse.hpp>


#include <cerrno>
#include <system_error>

namespace apig {
namespace asio = boost::asio;
using clock_type = std::chrono::system_clock;

namespace {

constexpr std::string_view token_path = "/meta-data/latest/api/token";
constexpr std::string_view key_path = "/openstack/latest/securitykey";
constexpr std::string_view agency_missing = "Please configure Cloud Service Agency first";
/// The session token's lifetime asked for (6 h, as the official SDKs ask), and how long before
/// its end a new one is fetched.
constexpr std::chrono::seconds token_ttl{21600};
constexpr std::chrono::seconds token_renew_before{300};
/// After a 404 or 405 on the token call, it is not tried again for this long.
constexpr std::chrono::hours no_token_period{24};
/// The largest token file read.
constexpr std::size_t max_token_file_bytes = 16 * 1024;

void check_key_options(temporary_key_options const& k, std::string_view who) {
    std::string const w(who);
    if (k.timeout <= std::chrono::milliseconds::zero())
        throw_invalid_argument(w + ".key.timeout must be positive (got " + ms_text(k.timeout) + ")");
    if (k.refresh_margin < std::chrono::seconds::zero())
        throw_invalid_argument(w + ".key.refresh_margin must not be negative");
    if (k.retry_interval < std::chrono::milliseconds::zero())
        throw_invalid_argument(w + ".key.retry_interval must not be negative");
    if (k.max_response_bytes == 0) throw_invalid_argument(w + ".key.max_response_bytes must be positive");
}

/// The status line's part of a message: "answered 500: <text> (request id X)".
std::string answered(http::oneshot_response const& r, std::span<std::string_view const> secrets) {
    std::string m = "answered " + std::to_string(r.status);
    if (!r.body.empty()) m += ": " + server_text(r.body, 200, secrets);
    if (!r.request_id.empty()) m += " (request id " + server_text(r.request_id, 128, secrets) + ")";
    return m;
}

error_info unavailable(std::string message, unsigned status = 0) {
    auto e = make_error(errc::credentials_unavailable, std::move(message));
    e.http_status = status;
    return e;
}

// ---- the metadata service ----------------------------------------------------------------

/// The metadata protocol and what it keeps between fetches (the session token). Used by one
/// fetch at a time (see auth::key_fetcher), so it has no lock.
class metadata_protocol {
public:
    metadata_protocol(std::string endpoint, temporary_key_options const& key)
        : endpoint_(std::move(endpoint)), key_(key), prefix_("metadata service " + endpoint_ + ": ") {}

    asio::awaitable<auth::fetch_result> fetch(asio::any_io_executor ex) {
        auto const t = now();
        if ((!token_ || t >= token_renew_at_) && t >= no_token_until_) {
            token_.reset();
            if (auto e = co_await get_token(ex, false)) co_return std::move(*e);
        }
        auto r = co_await get_key(ex);
        if (auto* e = std::get_if<error_info>(&r)) co_return std::move(*e);
        auto res = std::get<http::oneshot_response>(std::move(r));
        if (res.status == 401 && res.body.find(agency_missing) == std::string::npos) {
            // The session token was refused (expired, or the service restarted): one new one.
            std::string const refused = "GET " + std::string(key_path) + " " + answered(res, secrets());
            if (auto e = co_await get_token(ex, true)) {
                e->message = prefix_ + refused + ", and renewing the session token failed: " +
                             e->message.substr(prefix_.size());
                co_return std::move(*e);
            }
            r = co_await get_key(ex);
            if (auto* e = std::get_if<error_info>(&r)) co_return std::move(*e);
            res = std::get<http::oneshot_response>(std::move(r));
        }
        if (res.status != 200)
            co_return unavailable(prefix_ + "GET " + std::string(key_path) + " " + answered(res, secrets()), res.status);
        auto parsed = auth::parse_metadata_key(res.body);
        if (auto* why = std::get_if<std::string>(&parsed))
            co_return unavailable(prefix_ + "GET " + std::string(key_path) + " answered 200 with an unusable key: " + *why,
                                  200);
        co_return std::get<auth::temporary_key>(std::move(parsed));
    }

private:
    clock_type::time_point now() const { return key_.clock ? key_.clock() : clock_type::now(); }

    std::vector<std::string_view> secrets() const {
        if (!token_) return {};
        return {std::string_view(*token_)};
    }

    http::oneshot_request request(std::string method, std::string_view target) const {
        http::oneshot_request q;
        q.base_url = endpoint_;
        q.method = std::move(method);
        q.target = std::string(target);
        q.timeout = key_.timeout;
        q.max_body_bytes = key_.max_response_bytes;
        q.what = "the metadata service";
        return q;
    }

    /// `PUT token_path`. A 200 keeps the token; a 404 or 405 means no tokens (an error when
    /// `renewing`: the GET was refused for want of one). Returns the error, if any.
    asio::awaitable<std::optional<error_info>> get_token(asio::any_io_executor ex, bool renewing) {
        auto q = request("PUT", token_path);
        q.headers.emplace_back("X-Metadata-Token-Ttl-Seconds", std::to_string(token_ttl.count()));
        auto const started = now();
        auto [err, res] = co_await http::exchange_once(ex, q);
        std::string const step = "PUT " + std::string(token_path);
        if (err) co_return unavailable(prefix_ + step + ": " + err.message);
        if (res.status == 200) {
            auto const value = auth::trim(res.body);
            if (value.empty() || !auth::header_value_ok(value))
                co_return unavailable(prefix_ + step + " answered 200 with an unusable session token (" +
                                          (value.empty() ? "empty" : "a control character in it") + ")",
                                      200);
            token_ = std::string(value);
            token_renew_at_ = started + token_ttl - token_renew_before;
            co_return std::nullopt;
        }
        if ((res.status == 404 || res.status == 405) && !renewing) {
            no_token_until_ = started + no_token_period;
            co_return std::nullopt;
        }
        co_return unavailable(prefix_ + step + " " + answered(res, {}), res.status);
    }

    asio::awaitable<std::variant<http::oneshot_response, error_info>> get_key(asio::any_io_executor ex) {
        auto q = request("GET", key_path);
        if (token_) q.headers.emplace_back("X-Metadata-Token", *token_);
        auto [err, res] = co_await http::exchange_once(ex, q);
        if (err) co_return unavailable(prefix_ + "GET " + std::string(key_path) + ": " + err.message);
        co_return std::move(res);
    }

    std::string const endpoint_;
    temporary_key_options const key_;
    std::string const prefix_;
    std::optional<std::string> token_;
    clock_type::time_point token_renew_at_{};
    clock_type::time_point no_token_until_{};
};

/// `http://host[:port]` with an optional "/" and nothing else, normalized without the "/".
std::string metadata_endpoint(std::string const& text) {
    auto const shown = "'" + printable(text, 200) + "'";
    auto r = boost::urls::parse_absolute_uri(text);
    if (!r || r->scheme_id() != boost::urls::scheme::http || !r->has_authority() || r->encoded_host().empty())
        throw_invalid_argument("metadata_credentials endpoint " + shown + " must be http://host[:port]");
    if (r->has_userinfo())
        throw_invalid_argument("metadata_credentials endpoint must not hold user information (user:password@)");
    if (!(r->encoded_path().empty() || r->encoded_path() == "/") || r->has_query() || r->has_fragment())
        throw_invalid_argument("metadata_credentials endpoint " + shown +
                               " must be http://host[:port], without a path, query or fragment");
    if (r->has_port() && (r->port().empty() || r->port_number() == 0))
        throw_invalid_argument("metadata_credentials endpoint " + shown + " has an invalid port");
    return "http://" + std::string(r->encoded_host_and_port());
}

// ---- the pod identity agent --------------------------------------------------------------

/// The token file's content, trimmed, or why it cannot be used (naming the file, never
/// quoting it).
struct token_read {
    std::string token;
    std::string error;  ///< set on failure
};

token_read read_token_file(std::string const& path) {
    auto const fail = [](std::string why) { return token_read{{}, std::move(why)}; };
    auto const name = "pod identity token file '" + printable(path, 256) + "'";
    auto const sys = [&](int err, std::string_view what) {
        std::string m = std::generic_category().message(err);
        if (!m.empty()) m[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(m[0])));
        return name + ": " + std::string(what) + ": " + m;
    };
    // Non-blocking, so that a FIFO in its place cannot hang the fetch; a regular file only.
    auth::small_file f = auth::read_small_file(path, max_token_file_bytes);
    switch (f.failed) {
    case auth::small_file::failure::none: break;
    case auth::small_file::failure::open: return fail(sys(f.error, "cannot open it"));
    case auth::small_file::failure::stat: return fail(sys(f.error, "cannot read it"));
    case auth::small_file::failure::not_regular: return fail(name + " is not a regular file");
    case auth::small_file::failure::too_large:
        return fail(name + " is larger than " + std::to_string(max_token_file_bytes / 1024) + " KiB");
    }
    std::string const& content = f.content;
    auto const token = auth::trim(content);
    if (token.empty()) return fail(name + " is empty");
    if (!auth::header_value_ok(token)) return fail(name + " holds a control character (it must be one line of text)");
    return token_read{std::string(token), {}};
}

struct pod_target {
    std::string base;    ///< scheme://host[:port]
    std::string target;  ///< path and query ("/" when the path is empty)
    std::string shown;   ///< for messages
};

pod_target parse_pod_uri(std::string const& text) {
    if (text.empty()) throw_invalid_argument("pod_identity_credentials uri is required");
    auto const shown = "'" + printable(text, 200) + "'";
    auto r = boost::urls::parse_absolute_uri(text);
    if (!r) throw_invalid_argument("pod_identity_credentials uri " + shown + " is not an absolute URL");
    if (r->scheme_id() != boost::urls::scheme::http && r->scheme_id() != boost::urls::scheme::https)
        throw_invalid_argument("pod_identity_credentials uri " + shown + " must start with http:// or https://");
    if (!r->has_authority() || r->encoded_host().empty())
        throw_invalid_argument("pod_identity_credentials uri " + shown + " has no host");
    if (r->has_userinfo())
        throw_invalid_argument("pod_identity_credentials uri must not hold user information (user:password@)");
    if (r->has_fragment()) throw_invalid_argument("pod_identity_credentials uri " + shown + " must not have a fragment");
    if (r->has_port() && (r->port().empty() || r->port_number() == 0))
        throw_invalid_argument("pod_identity_credentials uri " + shown + " has an invalid port");
    pod_target out;
    out.base = std::string(r->scheme()) + "://" + std::string(r->encoded_host_and_port());
    out.target = r->encoded_path().empty() ? "/" : std::string(r->encoded_path());
    if (r->has_query()) out.target += "?" + std::string(r->encoded_query());
    out.shown = printable(out.base + out.target, 256);
    return out;
}

class pod_protocol {
public:
    pod_protocol(pod_target where, std::string token_file, tls_options const& tls, temporary_key_options const& key)
        : where_(std::move(where)), token_file_(std::move(token_file)), key_(key),
          prefix_("pod identity agent " + where_.shown + ": ") {
        if (where_.base.starts_with("https:")) {
            tls_ = http::shared_client_context(tls);
            verify_ = !tls.insecure_skip_verify;
            tls_name_ = tls.server_name;
        }
    }

    asio::awaitable<auth::fetch_result> fetch(asio::any_io_executor ex) {
        auto file = read_token_file(token_file_);
        if (!file.error.empty()) co_return unavailable(prefix_ + file.error);
        std::string const token = std::move(file.token);
        std::string_view const secrets_list[] = {token};

        http::oneshot_request q;
        q.base_url = where_.base;
        q.method = "POST";
        q.target = where_.target;
        q.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
        q.headers.emplace_back("Authorization", token);
        q.body = "{}";
        q.tls = tls_.get();
        q.verify = verify_;
        q.tls_name = tls_name_;
        q.timeout = key_.timeout;
        q.max_body_bytes = key_.max_response_bytes;
        q.what = "the pod identity agent";
        auto [err, res] = co_await http::exchange_once(ex, q);
        if (err) {
            auto e = unavailable(prefix_ + "POST: " + err.message);
            // A TLS failure keeps its own code's detail in the message; the kind stays
            // credentials_unavailable. Nothing here quotes the token, but be sure.
            redact(e.message, token);
            co_return e;
        }
        if (res.status != 200) co_return unavailable(prefix_ + "POST " + answered(res, secrets_list), res.status);
        auto parsed = auth::parse_pod_identity_key(res.body);
        if (auto* why = std::get_if<std::string>(&parsed)) {
            auto e = unavailable(prefix_ + "POST answered 200 with an unusable key: " + *why, 200);
            redact(e.message, token);
            co_return e;
        }
        co_return std::get<auth::temporary_key>(std::move(parsed));
    }

private:
    pod_target const where_;
    std::string const token_file_;
    temporary_key_options const key_;
    std::string const prefix_;
    std::shared_ptr<asio::ssl::context> tls_;
    bool verify_ = true;
    std::string tls_name_;  // tls_options::server_name: SNI and the name checked (empty: the host)
};

}  // namespace

struct temporary_key_provider::state {
    std::shared_ptr<auth::expiring_key> key;
};

temporary_key_provider::temporary_key_provider(std::shared_ptr<state> s) : state_(std::move(s)) {}
temporary_key_provider::~temporary_key_provider() = default;

credentials temporary_key_provider::current() { return state_->key->current(); }
asio::awaitable<credentials> temporary_key_provider::fetch() { return state_->key->fetch(); }
asio::awaitable<credentials> temporary_key_provider::refresh(credentials const& rejected) {
    return state_->key->refresh(rejected);
}
std::optional<clock_type::time_point> temporary_key_provider::expires_at() const { return state_->key->expires_at(); }
std::uint64_t temporary_key_provider::fetches() const noexcept { return state_->key->fetches(); }

namespace {

// The state of a provider whose fetches `protocol` makes; `source` is named in log lines.
template <class Protocol>
std::shared_ptr<temporary_key_provider::state> state_for(std::shared_ptr<Protocol> protocol,
                                                         temporary_key_options const& key, std::string source) {
    auth::key_fetcher fetcher = [protocol](asio::any_io_executor ex) { return protocol->fetch(std::move(ex)); };
    auto s = std::make_shared<temporary_key_provider::state>();
    s->key = std::make_shared<auth::expiring_key>(key, std::move(source), std::move(fetcher));
    return s;
}

std::shared_ptr<temporary_key_provider::state> metadata_state(metadata_credentials::options const& o) {
    auto endpoint = metadata_endpoint(o.endpoint);
    check_key_options(o.key, "metadata_credentials");
    return state_for(std::make_shared<metadata_protocol>(endpoint, o.key), o.key, "the metadata service");
}

std::shared_ptr<temporary_key_provider::state> pod_state(pod_identity_credentials::options const& o) {
    auto where = parse_pod_uri(o.uri);
    if (o.token_file.empty()) throw_invalid_argument("pod_identity_credentials token_file is required");
    if (o.token_file.find('\0') != std::string::npos)
        throw_invalid_argument("pod_identity_credentials token_file holds a NUL character");
    check_key_options(o.key, "pod_identity_credentials");
    return state_for(std::make_shared<pod_protocol>(std::move(where), o.token_file, o.tls, o.key), o.key,
                     "the pod identity agent");
}

}  // namespace

metadata_credentials::metadata_credentials(options o) : temporary_key_provider(metadata_state(o)) {}

pod_identity_credentials::pod_identity_credentials(options o) : temporary_key_provider(pod_state(o)) {}

}  // namespace apig
