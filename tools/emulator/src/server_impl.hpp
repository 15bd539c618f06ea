#pragma once

// The emulator's server: what its parts share (private to tools/emulator/src).
//
// Threading: one io_context run by options::threads threads; each connection is one
// coroutine on its own strand (session.cpp), so a connection's state needs no locking. What
// connections share has one owner each, with at most one mutex:
//   - fault_injector (faults.cpp): the faults' configuration and fail_first counts;
//   - project_lists (mutation.cpp): the datasets (immutable) and the live lists;
//   - key_store (routing.cpp): the AK/SK keys;
//   - request_log (here): the recorded requests;
//   - issued_key_store, session_tokens, injected_failures, metadata_log (metadata.hpp): the
//     keys and session tokens the metadata listener issued, the *_fail_next knobs and the
//     metadata requests recorded;
// and counters, gauges and the response delay are lone atomics. With no fault and no
// mutation configured, a request with a token takes no lock but request_log's (none when
// options::record_requests is off): faults and mutation each cost one atomic load then.

#include <apig/emulator.hpp>

#include "faults.hpp"
#include "metadata.hpp"
#include "mutation.hpp"
#include "routing.hpp"
#include "verify.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/url/url_view.hpp>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace apig::emulator::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

inline void append_number(std::string& s, std::uint64_t v) {
    char buf[24];
    auto const r = std::to_chars(buf, buf + sizeof buf, v);
    s.append(buf, r.ptr);
}

/// Per-connection buffers, reused for every request on the connection.
struct connection_buffers {
    beast::flat_buffer read;
    std::string head;  // status line, headers and the body's first part
    std::string body;  // an error body or a filtered page's instances
};

/// What one request is answered with: `head` (built by finish()) then `middle` then `tail`.
struct reply {
    unsigned status = 200;
    std::string_view middle;  // instances (in the dataset or in connection_buffers::body)
    std::string_view tail;    // "]}" after a page
    std::string prefix;       // small: {"total":..,"size":..,"instances":[
    bool allow_header = false;
    bool iam = false;  // an IAM answer: X-IAM-Trace-Id too
    fault_kind fault = fault_kind::none;
    std::optional<unsigned> retry_after;          // Retry-After header, seconds
    std::chrono::milliseconds fault_delay{0};     // fault_options::delay + jitter
};

/// A gauge (in flight, open connections) held by a scope: +1 now, -1 on release() or when the
/// scope ends, including when stop() destroys a suspended coroutine frame.
class gauge_hold {
public:
    gauge_hold(std::atomic<std::int64_t>& now, std::atomic<std::int64_t>& high) noexcept
        : now_(&now) {
        std::int64_t const v = now.fetch_add(1, std::memory_order_relaxed) + 1;
        std::int64_t h = high.load(std::memory_order_relaxed);
        while (v > h && !high.compare_exchange_weak(h, v, std::memory_order_relaxed)) {
        }
    }
    gauge_hold(gauge_hold&& other) noexcept : now_(std::exchange(other.now_, nullptr)) {}
    gauge_hold(gauge_hold const&) = delete;
    gauge_hold& operator=(gauge_hold const&) = delete;
    gauge_hold& operator=(gauge_hold&&) = delete;
    ~gauge_hold() { release(); }
    void release() noexcept {
        if (now_ != nullptr) now_->fetch_sub(1, std::memory_order_relaxed);
        now_ = nullptr;
    }

private:
    std::atomic<std::int64_t>* now_;
};

inline std::size_t gauge_value(std::atomic<std::int64_t> const& g) noexcept {
    return static_cast<std::size_t>(std::max<std::int64_t>(0, g.load(std::memory_order_relaxed)));
}

/// Requests answered: how many (server::requests_served) and, when `keep`, each of them
/// (server::requests).
class request_log {
public:
    explicit request_log(bool keep) noexcept : keep_(keep) {}
    void record(recorded_request&& rec) {
        served_.fetch_add(1, std::memory_order_relaxed);
        if (!keep_) return;
        std::lock_guard lock(mu_);
        recorded_.push_back(std::move(rec));
    }
    std::size_t served() const noexcept {
        return static_cast<std::size_t>(served_.load(std::memory_order_relaxed));
    }
    std::vector<recorded_request> requests() const {
        std::lock_guard lock(mu_);
        return recorded_;
    }
    void clear() {
        std::lock_guard lock(mu_);
        recorded_.clear();
        served_.store(0, std::memory_order_relaxed);
    }

private:
    bool const keep_;
    std::atomic<std::uint64_t> served_{0};
    mutable std::mutex mu_;  // guards recorded_
    std::vector<recorded_request> recorded_;
};

}  // namespace apig::emulator::detail

namespace apig::emulator {

struct server::impl {
    using request = detail::http::request<detail::http::string_body>;

    options opts;
    tls_material tls;
    detail::asio::ssl::context ssl_ctx{detail::asio::ssl::context::tls_server};

    // Shared by every connection (see the top of this file).
    detail::project_lists lists;
    detail::fault_injector faults;
    detail::key_store keys;
    detail::request_log log{opts.record_requests};
    detail::issued_key_store issued;
    detail::session_tokens sessions;
    detail::injected_failures iam_failures;
    detail::injected_failures metadata_failures;
    detail::metadata_log metadata_log{opts.record_requests};
    std::atomic<std::int64_t> metadata_delay_ms{0};
    std::atomic<std::uint64_t> metadata_connections{0};

    std::atomic<std::uint64_t> connections{0};
    std::atomic<std::uint64_t> request_counter{0};
    std::uint64_t request_id_salt[2] = {0, 0};
    std::atomic<std::int64_t> delay_ms{0};
    // Gauges and their high-water marks; accepted_base is connections at reset_stats().
    std::atomic<std::int64_t> in_flight_now{0};
    std::atomic<std::int64_t> in_flight_high{0};
    std::atomic<std::int64_t> open_now{0};
    std::atomic<std::int64_t> open_high{0};
    std::atomic<std::uint64_t> accepted_base{0};
    std::atomic<std::uint64_t> handshakes{0};          // zeroed by reset_stats()
    std::atomic<std::uint64_t> resumed_handshakes{0};  // zeroed by reset_stats()

    // Declared last among the I/O objects and reset explicitly in stop(): destroying the
    // io_context destroys the connections' coroutine frames, which use everything above.
    std::unique_ptr<detail::asio::io_context> ioc;
    std::optional<detail::tcp::acceptor> acceptor;
    std::optional<detail::tcp::acceptor> metadata_acceptor;  // when opts.metadata.enabled
    std::uint16_t metadata_bound_port = 0;
    std::string metadata_endpoint_text;
    std::vector<std::thread> threads;
    std::uint16_t bound_port = 0;
    std::string endpoint_text;
    std::once_flag stopped;

    explicit impl(options o) : opts(std::move(o)) {}

    // server.cpp: building, binding and starting; stopping (idempotent).
    void start();
    void stop();

    // session.cpp: the accept loop and one connection's requests.
    detail::asio::awaitable<void> accept_loop();
    detail::asio::awaitable<void> session(detail::tcp::socket socket,
                                          std::uint64_t connection_id, detail::gauge_hold open);
    void make_request_id(char* out) noexcept;
    // The head of the response (status line, headers, the body's prefix) into bufs.head.
    void finish(detail::reply& rep, detail::connection_buffers& bufs,
                std::string_view request_id, bool keep_alive, bool head_only);

    // routing.cpp: a request's answer, in the documented order: route (404, 405),
    // authenticate (401), fail_next, the project (403), the query (400), the faults, the page.
    void handle(request const& req, detail::connection_buffers& bufs, detail::reply& rep,
                recorded_request& rec, std::string_view request_id, detail::fault_context* fc);
    void set_error(detail::api_error const& e, detail::connection_buffers& bufs,
                   detail::reply& rep, std::string_view request_id,
                   std::string_view extra = {});
    // AK/SK authentication of a request with an Authorization header: true if it passes,
    // otherwise the 401 is set in `rep`.
    bool authenticate_aksk(request const& req, recorded_request& rec,
                           detail::connection_buffers& bufs, detail::reply& rep,
                           std::string_view request_id);
    // The check itself, with options::access_keys then the issued keys: the verifier's
    // status (ok when it passed); `expired` when it passed with an issued key whose expiry
    // is past. Sets rec.access_key and, on failure, rec.auth_failure.
    aksk::status check_aksk(request const& req, recorded_request& rec,
                                    std::chrono::system_clock::time_point now, bool& expired);
    // X-Auth-Token equals options::token (constant time).
    bool token_matches(request const& req) const;
    std::chrono::system_clock::time_point now() const;

    // iam.cpp: GET /v3/projects (options::iam_projects).
    void handle_iam(request const& req, boost::urls::url_view url,
                    detail::connection_buffers& bufs, detail::reply& rep, recorded_request& rec,
                    std::string_view request_id);

    // metadata.cpp: the metadata listener (options::metadata).
    void start_metadata();
    void handle_metadata(request const& req,
                         detail::http::response<detail::http::string_body>& res,
                         metadata_request& rec);
    detail::asio::awaitable<void> metadata_accept_loop();
    detail::asio::awaitable<void> metadata_session(detail::tcp::socket socket,
                                                   std::uint64_t connection_id);
};

}  // namespace apig::emulator
