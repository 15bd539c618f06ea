#pragma once

#include <apig/export.hpp>

#include <apig/error.hpp>
#include <apig/model.hpp>
#include <apig/options.hpp>
#include <apig/pager.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>

namespace apig {

/// A snapshot of a client's counters (see `client::stats`).
struct client_stats {
    std::size_t open = 0;        ///< connections open now (idle + in use)
    std::size_t idle = 0;        ///< open connections waiting in the pool
    std::size_t in_use = 0;      ///< pool slots held by calls now
    std::uint64_t created = 0;   ///< connections opened so far
    std::uint64_t reused = 0;    ///< attempts that took a kept-alive connection
    std::uint64_t waits = 0;     ///< attempts that had to wait for a free slot
    std::uint64_t discarded = 0; ///< kept-alive connections the server closed or wrote to
                                 ///< outside a response, closed instead of carrying another
                                 ///< request: found readable at checkout (data, a TLS
                                 ///< close_notify, EOF or a reset while idle), or closed by
                                 ///< the server (close_notify) right behind a response
    std::uint64_t unrequested = 0;  ///< responses followed at once by bytes nobody asked for (an
                                    ///< unrequested second response, junk): each closed its
                                    ///< connection, and those bytes were never read as an answer
    std::uint64_t requests = 0;  ///< attempts that sent a request
    std::uint64_t retries = 0;   ///< attempts after the first of their call (replays excluded)
    std::uint64_t replays = 0;   ///< requests resent once because a kept-alive connection had
                                 ///< been closed by the server before answering (not retries)
    std::uint64_t credential_refreshes = 0;  ///< requests resent once with a provider's fresh
                                             ///< credentials after a 401 (not retries)
    std::uint64_t bytes = 0;     ///< response bytes read (headers and bodies)
    std::uint32_t retry_tokens = 0;  ///< what is left of the retry budget
    std::uint64_t rate_limited = 0;  ///< attempts that waited for the rate limiter's token
    std::chrono::microseconds rate_limit_wait{};  ///< the time those attempts waited, in all
    std::uint64_t handshakes = 0;    ///< TLS handshakes completed with the endpoint (new connections)
    std::uint64_t resumed_handshakes = 0;  ///< of which resumed a session (tls_options::session_resumption)
};

/// A client of ListInstancesV2 for one endpoint and a default project (a request may name
/// another: `list_request::project_id`).
///
/// Bound to the executor given at construction and owning no thread: its I/O runs wherever
/// that executor runs. Every member function is thread-safe: the client's state lives on a
/// strand of that executor, so it may run on a multi-threaded io_context and be called from
/// any thread. One client's I/O and decoding are serialised on that strand; for more CPU
/// parallelism use several clients. With `client_options::thread_safe = false` there is no
/// strand, and the client must be used from the one thread that runs its executor.
///
/// Calls may overlap: each attempt takes a connection from a bounded pool (FIFO when all are
/// busy), failures are retried per `client_options::retry`, and every wait is bounded by
/// `client_options::timeouts` and can be cancelled. Destroying the client (or `cancel()`)
/// ends every call in flight with `operation_aborted` and closes every connection; the
/// client's internals live until those calls have completed.
///
/// Every asynchronous operation of the client (`async_list_instances`, and the awaitables
/// `list_instances` and `list_all`, which are built on it):
///  - never completes inside the initiating call: the call starts on the client's strand,
///    and the handler is then invoked as if by `dispatch` on its associated executor, or
///    the client's executor (`get_executor()`, not the strand) if it has none;
///  - supports terminal per-operation cancellation only (a bound cancellation slot; partial
///    and total requests are ignored and the call goes on). The request to cancel is carried
///    to the strand, and the call ends with `asio::error::operation_aborted` wherever it is
///    waiting (for a connection, connecting, exchanging, before a retry), closing a
///    connection it interrupts;
///  - fails with an `apig::errc`, a transport code (error.hpp says which), or
///    `asio::error::operation_aborted` after a cancellation, `cancel()` or the client's
///    destruction;
///  - may be started from any thread, concurrently with the client's other members, unless
///    `client_options::thread_safe` is false (then from the executor's one thread only).
class APIG_DECL client {
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

    /// Counters of the pool and the retry loop. Thread-safe; the values are read one by one,
    /// so a snapshot taken during activity may be slightly inconsistent.
    client_stats stats() const noexcept;

    /// Ends every call in flight with `operation_aborted` (waiting for a connection,
    /// connecting, exchanging or sleeping before a retry). Calls made afterwards run normally.
    /// Thread-safe; returns at once (the calls complete on the executor).
    void cancel();

    /// Lists one page. Throws `api_error` on any failure: `code()` is an `apig::errc` or a
    /// transport code, `info()` carries the HTTP status, the API's error code and message,
    /// the request id and the number of attempts. Resumes the awaiting coroutine on its own
    /// executor. Terminal cancellation of the awaiting coroutine (Asio per-operation
    /// cancellation) aborts the call with `operation_aborted` wherever it is waiting, and
    /// closes a connection it interrupts; partial and total cancellation are ignored.
    boost::asio::awaitable<instance_page> list_instances(list_request req);

    /// As above, decoding into the storage of `recycled`, a page the caller is done with: its
    /// instance vector and the strings of its instances are reused, so a loop that hands each
    /// page back (`page = co_await c.list_instances(req, std::move(page))`) allocates next to
    /// nothing per instance once the first page has been received. What `recycled` held is
    /// never part of the result: the page returned is exactly the one received. On failure the
    /// storage is released.
    boost::asio::awaitable<instance_page> list_instances(list_request req, instance_page recycled);

    /// Lists one page with any Asio completion token (callback, `use_future`, `deferred`,
    /// `as_tuple(use_awaitable)`, ...).
    ///  - Handler: `void(boost::system::error_code, instance_page)`; the page is empty on
    ///    error. Invoked as if by `dispatch` on the handler's associated executor (default:
    ///    `get_executor()`), never inside this call.
    ///  - Cancellation: terminal only, through the handler's associated cancellation slot:
    ///    the call ends with `asio::error::operation_aborted`.
    ///  - Errors: an `apig::errc` (`invalid_argument` for a bad request, before any I/O), a
    ///    transport code, or `operation_aborted` (see error.hpp). `diag` receives every detail
    ///    of the failure (HTTP status, API code and message, request id, attempts), or is
    ///    cleared on success, just before the handler runs: it must outlive the operation and
    ///    not be touched until then.
    ///  - Thread-safety: as every member (see the class), from any thread.
    template <class CompletionToken>
    auto async_list_instances(list_request req, error_info& diag, CompletionToken&& token) {
        return boost::asio::async_initiate<CompletionToken, list_signature>(
            [this](auto handler, list_request r, error_info* d) {
                start_list(std::move(r), instance_page{}, d, std::move(handler));
            },
            token, std::move(req), &diag);
    }

    /// As above, decoding into the storage of `recycled` (see `list_instances(req, recycled)`).
    /// The same handler, executor, cancellation, errors and thread-safety.
    template <class CompletionToken>
    auto async_list_instances(list_request req, instance_page recycled, error_info& diag, CompletionToken&& token) {
        return boost::asio::async_initiate<CompletionToken, list_signature>(
            [this](auto handler, list_request r, instance_page p, error_info* d) {
                start_list(std::move(r), std::move(p), d, std::move(handler));
            },
            token, std::move(req), std::move(recycled), &diag);
    }

    /// Walks every page from `req.offset` on (see pager.hpp for the guarantees): up to
    /// `opts.concurrency` pages in flight, yielded in offset order. The page size is
    /// `opts.page_size`; `req.limit` must be left at its default (20, then ignored) or equal
    /// it, else the first `next()` fails with `errc::invalid_argument` naming both fields.
    /// Nothing is sent before the first `next()`.
    page_generator pages(list_request req, page_options opts = {});
    /// The same walk, one instance at a time.
    instance_generator instances(list_request req, page_options opts = {});
    /// Every instance of the walk in one vector. Throws `api_error` on failure (the walk's
    /// errors: see pager.hpp). Resumes the awaiting coroutine on its own executor; terminal
    /// cancellation of it ends the walk and every page request in flight.
    boost::asio::awaitable<std::vector<instance>> list_all(list_request req, page_options opts = {});

    /// As above, without the details (only the error_code): the same handler, executor,
    /// cancellation, errors and thread-safety.
    template <class CompletionToken>
    auto async_list_instances(list_request req, CompletionToken&& token) {
        return boost::asio::async_initiate<CompletionToken, list_signature>(
            [this](auto handler, list_request r) {
                start_list(std::move(r), instance_page{}, nullptr, std::move(handler));
            },
            token, std::move(req));
    }

private:
    struct impl;

    void start_list(list_request req, instance_page recycled, error_info* diag,
                    boost::asio::any_completion_handler<list_signature> handler);

    std::shared_ptr<impl> impl_;
};

}  // namespace apig
