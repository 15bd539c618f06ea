#pragma once

#include <apig/error.hpp>
#include <apig/model.hpp>
#include <apig/options.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>

#include <memory>

namespace apig {

/// Validates a request against the API's limits: limit 1..500, offset >= 0, a non-empty
/// project id. Returns an `errc::invalid_argument` error naming the field and the allowed
/// range, or an empty error_info. The client calls it before any I/O.
error_info validate(list_request const& req, std::string_view project_id);

/// The request target, e.g. `/v2/73d6.../apigw/instances?offset=0&limit=20`. The project id
/// is exactly one percent-encoded path segment (`/`, `?`, `#`, `%` and dot segments cannot
/// change the path) and every query value is percent-encoded (all but `A-Za-z0-9-._~`).
std::string build_target(std::string_view project_id, list_request const& req);

/// A client of ListInstancesV2 for one endpoint and project.
///
/// Bound to the executor given at construction and owning no thread: its I/O runs wherever
/// that executor runs. Calls may overlap (many coroutines at once); they queue for the
/// connection. Not thread-safe: call it from one thread, or give it a strand.
///
/// The client keeps its keep-alive connection across calls and reconnects when the server
/// closes it. Destroying the client closes the connection; a call still in flight then
/// completes with an error, and the client's internals live until it has.
class client {
public:
    using executor_type = boost::asio::any_io_executor;
    /// Completion signature of `async_list_instances`.
    using list_signature = void(boost::system::error_code, instance_page);

    /// Throws `api_error` (`errc::invalid_argument`) if `opts` is unusable: no endpoint, not
    /// https, a path in the endpoint, an unreadable CA file, ...
    client(executor_type ex, client_options opts);
    ~client();
    client(client const&) = delete;
    client& operator=(client const&) = delete;

    executor_type get_executor() const noexcept;
    client_options const& options() const noexcept;

    /// Lists one page. Throws `api_error` on any failure: `code()` is an `apig::errc` or a
    /// transport code, `info()` carries the HTTP status, the API's error code and message and
    /// the request id. Cancellation of the awaiting coroutine (Asio per-operation
    /// cancellation) aborts the call with `operation_aborted` and closes the connection.
    boost::asio::awaitable<instance_page> list_instances(list_request req);

    /// Lists one page with any Asio completion token (callback, `use_future`, `deferred`,
    /// `as_tuple(use_awaitable)`, ...). Signature `void(error_code, instance_page)`; the page
    /// is empty on error. Details of a failure are written to `diag`, which must outlive the
    /// operation.
    template <class CompletionToken>
    auto async_list_instances(list_request req, error_info& diag, CompletionToken&& token) {
        return boost::asio::async_initiate<CompletionToken, list_signature>(
            [this](auto handler, list_request r, error_info* d) {
                start_list(std::move(r), d, std::move(handler));
            },
            token, std::move(req), &diag);
    }

    /// As above, without the details (only the error_code).
    template <class CompletionToken>
    auto async_list_instances(list_request req, CompletionToken&& token) {
        return boost::asio::async_initiate<CompletionToken, list_signature>(
            [this](auto handler, list_request r) {
                start_list(std::move(r), nullptr, std::move(handler));
            },
            token, std::move(req));
    }

    struct impl;

private:
    void start_list(list_request req, error_info* diag,
                    boost::asio::any_completion_handler<list_signature> handler);

    std::shared_ptr<impl> impl_;
};

}  // namespace apig
