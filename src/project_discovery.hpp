#pragma once

// IAM project discovery, as the official SDKs do it when credentials have no project id:
// KeystoneListProjects (`GET /v3/projects?name=<region>`, signed with the key pair); exactly
// one project is the answer. Results are cached for the process per (AK, region), and
// concurrent lookups of one key share one request, whichever clients and threads ask.

#include <apig/credentials.hpp>
#include <apig/error.hpp>

#include "auth/iam.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace apig::http {
struct proxy_route;
}

namespace apig::detail {

/// The project among IAM's answer for `region`: the one project, or `errc::invalid_argument`
/// naming the region, the IAM trace id, and the ids found (at most 10 listed) when there are
/// none or several. Sans-I/O.
std::variant<std::string, error_info> choose_project(std::string_view region,
                                                     std::vector<auth::iam_project> const& found,
                                                     std::string_view trace_id);

/// One lookup's inputs.
struct discovery_request {
    std::string iam_endpoint;  // https://host[:port] (http:// when allowed), normalized
    std::string region;
    aksk_credentials creds;    // trimmed, usable
    boost::asio::ssl::context* tls = nullptr;  // alive until the lookup ends (see keep_alive)
    bool verify = true;
    std::chrono::milliseconds timeout{};
    std::function<std::chrono::system_clock::time_point()> clock;  // for X-Sdk-Date
    std::shared_ptr<void> keep_alive;  // holds `tls` (the client's state) while the lookup runs
    std::shared_ptr<http::proxy_route const> proxy{};  // the client's proxy, or null
    boost::asio::ssl::context* proxy_tls = nullptr;     // an https:// proxy's context (kept alive too)
};

/// The project for (creds.ak, region): from the process cache, else from the lookup in
/// flight, else from a new lookup (started on the awaiting coroutine's executor, which must
/// be a strand or run on one thread). A failure is not cached: the next call asks again.
/// Cancelling the awaiting coroutine stops its wait (operation_aborted); the lookup goes on
/// for the other waiters, bounded by `timeout`.
boost::asio::awaitable<std::variant<std::string, error_info>> discover_project(discovery_request r);

/// Forgets every cached project (tests).
void clear_discovery_cache();

}  // namespace apig::detail
