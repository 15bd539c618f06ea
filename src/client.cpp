// The client: options checked once, then per call: validate, build the target, take the
// connection, send, read and decode, map errors. (The retry loop comes in between.)
#include <apig/client.hpp>
#include <apig/version.hpp>

#include "http/connection.hpp"
#include "http/pool.hpp"
#include "http/tls.hpp"
#include "error_detail.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/url/parse.hpp>

namespace apig {
namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using boost::system::error_code;

namespace {

bool has_ctl(std::string_view s) {
    for (unsigned char c : s)
        if (c < 0x20 || c == 0x7f) return true;
    return false;
}

// `https://host[:port]` → where to connect. Anything else is refused with the reason.
http::target_host parse_endpoint(std::string const& endpoint, tls_options const& tls) {
    if (endpoint.empty()) throw_invalid_argument("endpoint must be set (https://host[:port])");
    auto r = boost::urls::parse_absolute_uri(endpoint);
    if (!r)
        throw_invalid_argument("endpoint '" + endpoint + "' is not an absolute URL (https://host[:port] expected)");
    auto const& u = *r;
    if (u.scheme_id() != boost::urls::scheme::https)
        throw_invalid_argument("endpoint '" + endpoint + "': the scheme must be https");
    if (u.has_userinfo()) throw_invalid_argument("endpoint: user info is not allowed");
    if (u.has_query() || u.has_fragment())
        throw_invalid_argument("endpoint '" + endpoint + "': a query or fragment is not allowed");
    if (!u.encoded_path().empty() && u.encoded_path() != "/")
        throw_invalid_argument("endpoint '" + endpoint + "': a path is not allowed (https://host[:port])");
    http::target_host t;
    switch (u.host_type()) {
    case boost::urls::host_type::name: t.host = u.host_name(); break;
    case boost::urls::host_type::ipv4:
    case boost::urls::host_type::ipv6: t.host = u.host_address(); break;
    default: throw_invalid_argument("endpoint '" + endpoint + "': a host name or IP address is required");
    }
    if (t.host.empty()) throw_invalid_argument("endpoint '" + endpoint + "': the host is empty");
    if (u.has_port() && u.port_number() == 0)
        throw_invalid_argument("endpoint '" + endpoint + "': the port must be 1..65535");
    t.port = u.has_port() ? std::string(u.port()) : "443";
    t.host_header = std::string(u.encoded_host_and_port());
    t.tls_name = tls.server_name;
    t.verify = !tls.insecure_skip_verify;
    return t;
}

client_options checked(client_options o) {
    if (o.project_id.empty()) throw_invalid_argument("project_id must not be empty");
    if (o.credentials.token.empty()) throw_invalid_argument("credentials: the token is empty");
    if (has_ctl(o.credentials.token))
        throw_invalid_argument("credentials: the token contains a control character (CR, LF, NUL, ...)");
    if (o.max_body_bytes == 0) throw_invalid_argument("max_body_bytes must be > 0");
    if (o.request_timeout <= std::chrono::milliseconds::zero())
        throw_invalid_argument("request_timeout must be > 0");
    return o;
}

}  // namespace

struct client::impl {
    impl(asio::any_io_executor e, client_options o)
        : ex(std::move(e)),
          opts(std::move(o)),
          host(parse_endpoint(opts.endpoint, opts.tls)),
          ctx(http::make_client_context(opts.tls)),
          pool(ex, ctx, 1) {
        std::string_view const ua = "apig-cpp/" APIG_VERSION_STRING;
        request_template.version(11);
        request_template.method(bhttp::verb::get);
        request_template.set(bhttp::field::host, host.host_header);
        request_template.set(bhttp::field::user_agent, ua);
        request_template.set(bhttp::field::accept, "application/json");
        request_template.set("X-Auth-Token", opts.credentials.token);
    }

    asio::awaitable<instance_page> run(list_request req, error_info& diag);
    void fail(error_info& diag, error_info e) const {
        redact(e.message, opts.credentials.token);
        diag = std::move(e);
    }

    asio::any_io_executor ex;
    client_options opts;
    http::target_host host;
    asio::ssl::context ctx;
    http::pool pool;
    http::request_message request_template;
};

asio::awaitable<instance_page> client::impl::run(list_request req, error_info& diag) {
    if (auto e = validate(req, opts.project_id)) {
        fail(diag, std::move(e));
        co_return instance_page{};
    }
    http::request_message msg = request_template;
    msg.target(build_target(opts.project_id, req));

    auto [aec, lease] = co_await pool.acquire();
    if (aec) {
        fail(diag, make_error(aec, "waiting for a connection: cancelled"));
        co_return instance_page{};
    }
    // A kept-alive connection the server closed while idle fails before any response byte;
    // the request is then replayed once on a new connection (GET is idempotent).
    for (bool replayed = false;; replayed = true) {
        bool reused = lease.reused() && lease.get()->reusable();
        if (!reused) {
            auto& c = lease.open();
            if (auto e = co_await c.connect(host, opts.request_timeout)) {
                lease.discard();
                fail(diag, std::move(e));
                co_return instance_page{};
            }
        }
        instance_page page;
        http::exchange_result out;
        auto e = co_await lease.get()->exchange(msg, page, opts.max_body_bytes,
                                                opts.request_timeout, out);
        if (e) {
            bool const stale = reused && !replayed && !out.got_bytes &&
                               e.code != asio::error::operation_aborted &&
                               e.code != errc::timed_out;
            lease.discard();
            if (stale) continue;
            add_request_id(e, out.request_id);
            e.http_status = out.status;
            fail(diag, std::move(e));
            co_return instance_page{};
        }
        if (out.status != 200) {
            fail(diag, error_from_response(out.status, out.reason, out.error_text, out.request_id));
            co_return instance_page{};
        }
        page.request_id = std::move(out.request_id);
        co_return page;
    }
}

client::client(executor_type ex, client_options opts)
    : impl_(std::make_shared<impl>(std::move(ex), checked(std::move(opts)))) {}

client::~client() {
    if (impl_) impl_->pool.close();
}

client::executor_type client::get_executor() const noexcept { return impl_->ex; }
client_options const& client::options() const noexcept { return impl_->opts; }

void client::start_list(list_request req, error_info* diag,
                        asio::any_completion_handler<list_signature> handler) {
    auto slot = asio::get_associated_cancellation_slot(handler);
    auto hex = asio::get_associated_executor(handler, impl_->ex);
    auto self = impl_;
    auto info = std::make_shared<error_info>();
    asio::co_spawn(
        impl_->ex,
        [self, info, req = std::move(req)]() mutable { return self->run(std::move(req), *info); },
        asio::bind_cancellation_slot(
            slot, asio::bind_executor(hex, [h = std::move(handler), info, diag](
                                               std::exception_ptr ep, instance_page page) mutable {
                if (ep) {  // run() reports errors by value; only cancellation and resource
                           // exhaustion get here
                    try {
                        std::rethrow_exception(ep);
                    } catch (boost::system::system_error const& e) {
                        *info = make_error(e.code(), e.code() == asio::error::operation_aborted
                                                         ? "cancelled"
                                                         : e.code().message());
                    } catch (std::bad_alloc const&) {
                        *info = make_error(make_error_code(boost::system::errc::not_enough_memory), "out of memory");
                    } catch (std::exception const& e) {
                        *info = make_error(make_error_code(boost::system::errc::io_error), e.what());
                    }
                }
                error_code const ec = info->code;
                if (diag) *diag = std::move(*info);
                if (ec) page = instance_page{};
                std::move(h)(ec, std::move(page));
            })));
}

asio::awaitable<instance_page> client::list_instances(list_request req) {
    error_info diag;
    auto [ec, page] =
        co_await async_list_instances(std::move(req), diag, asio::as_tuple(asio::use_awaitable));
    if (ec) {
        if (!diag.code) diag = make_error(ec, ec.message());
        throw api_error(std::move(diag));
    }
    co_return std::move(page);
}

}  // namespace apig
