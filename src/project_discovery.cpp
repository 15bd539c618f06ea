// IAM project discovery: one signed request, the choice among its answer, and the process-wide
// cache with shared lookups.
#include "project_discovery.hpp"

#include "auth/authorize.hpp"
#include "error_detail.hpp"
#include "http/oneshot.hpp"
#include "shared_flight.hpp"

#include <boost/asio/this_coro.hpp>
#include <boost/url/parse.hpp>

#include <map>
#include <mutex>

namespace apig::detail {
namespace asio = boost::asio;
using result = std::variant<std::string, error_info>;

std::variant<std::string, error_info> choose_project(std::string_view region,
                                                     std::vector<auth::iam_project> const& found,
                                                     std::string_view trace_id) {
    if (found.size() == 1) return found.front().id;
    std::string const where = "IAM project discovery for region '" + printable(region, 64) + "'";
    std::string const trace =
        trace_id.empty() ? std::string() : " (X-IAM-Trace-Id " + printable(trace_id, 128) + ")";
    if (found.empty())
        return invalid_argument(where + ": IAM has no project of that name" + trace +
                                "; check the region, or set project_id");
    std::string ids;
    for (std::size_t i = 0; i < found.size() && i < 10; ++i) {
        if (i) ids += ", ";
        ids += printable(found[i].id, 64);
    }
    if (found.size() > 10) ids += ", ...";
    return invalid_argument(where + ": IAM has " + std::to_string(found.size()) + " projects of that name (" + ids +
                            ")" + trace + "; set project_id to one of them");
}

namespace {

// What the process shares: found projects and lookups in flight, per (AK, region).
struct registry {
    std::mutex mutex;
    std::map<std::string, std::string> found;
    std::map<std::string, std::shared_ptr<shared_flight<result>>> in_flight;

    static registry& get() {
        static registry r;
        return r;
    }
};

std::string key_of(discovery_request const& r) { return r.creds.ak + '\n' + r.region; }

asio::awaitable<result> lookup(discovery_request const& r) {
    auto url = boost::urls::parse_absolute_uri(r.iam_endpoint);
    if (!url) co_return invalid_argument("iam_endpoint '" + printable(r.iam_endpoint, 128) + "' is not a URL");
    std::string const host(url->encoded_host_and_port());
    std::string const target = auth::projects_target(r.region);
    credentials const c = r.creds;
    auto const headers = auth::authorization_headers(c, "GET", target, host, r.clock(), {});
    http::oneshot_request req{.base_url = r.iam_endpoint,
                              .method = "GET",
                              .target = target,
                              .headers = {{"Accept", "application/json"}},
                              .tls = r.tls,
                              .verify = r.verify,
                              .timeout = r.timeout,
                              .max_body_bytes = std::size_t{1} << 20,
                              .what = "IAM (" + printable(host, 128) + ", project discovery)",
                              .proxy = r.proxy,
                              .proxy_tls = r.proxy_tls};
    for (auto const& h : headers) req.headers.push_back(h);
    auto [err, resp] = co_await http::exchange_once(co_await asio::this_coro::executor, req);
    auto const secrets = auth::secrets(c);
    if (err) co_return err;
    if (resp.status != 200) {
        error_info e = error_from_response(resp.status, {}, resp.body, resp.request_id, secrets);
        e.message = "IAM project discovery for region '" + printable(r.region, 64) + "' (" + printable(host, 128) +
                    "): " + e.message;
        co_return e;
    }
    auto parsed = auth::parse_projects(resp.body);
    if (auto const* why = std::get_if<std::string>(&parsed))
        co_return make_error(errc::bad_response, "IAM project discovery (" + printable(host, 128) +
                                                     "): the answer is not a project list: " + *why);
    co_return choose_project(r.region, std::get<std::vector<auth::iam_project>>(parsed), resp.request_id);
}

}  // namespace

asio::awaitable<result> discover_project(discovery_request r) {
    auto& reg = registry::get();
    std::string const key = key_of(r);
    std::shared_ptr<shared_flight<result>> flight;
    bool start = false;
    {
        std::lock_guard lock(reg.mutex);
        if (auto it = reg.found.find(key); it != reg.found.end()) co_return it->second;
        auto& f = reg.in_flight[key];
        if (!f) {
            f = std::make_shared<shared_flight<result>>();
            start = true;
        }
        flight = f;
    }
    if (start) {
        // No co_await in this expression: g++ 12 destroys the temporaries of a full
        // expression holding a co_await twice.
        auto ex = co_await asio::this_coro::executor;
        shared_flight<result>::run_detached(
            std::move(ex), flight,
            [r = std::move(r)]() -> asio::awaitable<result> {
                try {
                    co_return co_await lookup(r);
                } catch (std::exception const& e) {
                    co_return make_error(errc::credentials_unavailable,
                                         std::string("IAM project discovery failed: ") + printable(e.what(), 256));
                }
            },
            [key](result const& res) {
                auto& reg = registry::get();
                std::lock_guard lock(reg.mutex);
                if (auto const* id = std::get_if<std::string>(&res)) reg.found[key] = *id;
                reg.in_flight.erase(key);
            },
            make_error(asio::error::operation_aborted, "IAM project discovery abandoned: its executor was shut down"));
    }
    auto got = co_await flight->wait();
    if (!got) co_return make_error(asio::error::operation_aborted, "cancelled while discovering the project");
    co_return std::move(*got);
}

void clear_discovery_cache() {
    auto& reg = registry::get();
    std::lock_guard lock(reg.mutex);
    reg.found.clear();
}

}  // namespace apig::detail
