// The emulator's HTTPS server: Beast parses requests, Boost.URL splits targets, and responses
// are written straight from the pre-serialised dataset (see dataset.hpp).
//
// Threading: one io_context run by options::threads threads; each connection is one
// coroutine on its own strand, so a connection's state needs no locking. What connections
// share (counters, the request log, injected failures) is atomic or behind `mu` or
// `fault_mu`.
//
// Faults (fault_options): with none configured the request path pays one relaxed atomic
// load (`faults_active`). Otherwise each request copies the configuration under `fault_mu`
// into its connection's fault_context, whose RNG is the connection's own.
//
// Mutation (mutation_options): while no list has ever changed and mutation is off, a page is
// served from the immutable dataset without a lock (`lists_live` is the only check). Once
// mutation is on, every 200 page takes `list_mu`, is built from its project's live_list (a
// copy into the connection's body buffer) and then changes the list, in that one critical
// section.

#include <apig/emulator.hpp>

#include "dataset.hpp"
#include "verify.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_prefix.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/url/encoding_opts.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include <array>
#include <atomic>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>

namespace apig::emulator {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using tls_stream = asio::ssl::stream<beast::tcp_stream>;

constexpr std::string_view content_type = "application/json;charset=UTF-8";
constexpr std::int64_t default_limit = 20;
constexpr std::int64_t max_limit = 500;


void append_number(std::string& s, std::uint64_t v) {
    char buf[24];
    auto const r = std::to_chars(buf, buf + sizeof buf, v);
    s.append(buf, r.ptr);
}

// An API error: HTTP status, error_code, error_msg.
struct api_error {
    unsigned status;
    std::string_view code;
    std::string_view message;
};

// The documented errors, plus codes chosen for what the documentation does not name (the
// real gateway's codes where known).
constexpr api_error bad_token{401, "APIC.7102", "Incorrect token or token resolution failed"};
// AK/SK: one message for every failure (it never tells an unknown AK from a wrong SK), except
// the date, whose message says what is wrong with it.
constexpr api_error bad_aksk{
    401, "APIGW.0301", "Incorrect IAM authentication information: verify aksk signature fail"};
constexpr api_error bad_sdk_date{
    401, "APIGW.0301",
    "Incorrect IAM authentication information: x-sdk-date is missing or malformed"};
constexpr api_error expired_sdk_date{
    401, "APIGW.0301",
    "Incorrect IAM authentication information: signature expired, x-sdk-date is more than 15 "
    "minutes from the server time"};
constexpr api_error forbidden{403, "APIC.7106", "No permissions to request for the method"};
constexpr api_error not_found{
    404, "APIG.0101", "The API does not exist or has not been published in the environment"};
constexpr api_error not_allowed{405, "APIG.0105", "The request method is not allowed"};
constexpr api_error bad_request{400, "APIG.0201", "Bad request"};

api_error injected_error(unsigned status) {
    switch (status) {
    case 500: return {500, "APIC.9000", "Failed to request internal service"};
    case 503: return {503, "APIG.1009", "The service is temporarily unavailable"};
    case 429: return {429, "APIG.1010", "The throttling threshold has been reached"};
    case 502: return {502, "APIG.0202", "Backend unavailable"};
    case 504: return {504, "APIG.0203", "Backend timeout"};
    default: return {status, "APIG.9999", "Injected failure"};
    }
}

// Parses a whole decimal integer (optional sign); false on anything else, including
// overflow: the real API rejects non-numeric paging parameters with 400.
bool parse_int(std::string_view s, std::int64_t& out) noexcept {
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    if (s.empty()) return false;
    auto const r = std::from_chars(s.data(), s.data() + s.size(), out);
    return r.ec == std::errc{} && r.ptr == s.data() + s.size();
}

// Per-connection buffers, reused for every request on the connection.
struct connection_buffers {
    beast::flat_buffer read;
    std::string head;  // status line, headers and the body's first part
    std::string body;  // an error body or a filtered page's instances
};

// What one request is answered with: `head` (built by finish()) then `middle` then `tail`.
struct reply {
    unsigned status = 200;
    std::string_view middle;  // instances (in the dataset or in connection_buffers::body)
    std::string_view tail;    // "]}" after a page
    std::string prefix;       // small: {"total":..,"size":..,"instances":[
    bool allow_header = false;
    fault_kind fault = fault_kind::none;
    std::optional<unsigned> retry_after;          // Retry-After header, seconds
    std::chrono::milliseconds fault_delay{0};     // fault_options::delay + jitter
};

// A connection's view of the faults: the configuration its current request started with
// and its own RNG (splitmix64), so drawing needs no lock.
struct fault_context {
    fault_options o;
    std::uint64_t generation = std::numeric_limits<std::uint64_t>::max();
    std::uint64_t state = 0;

    void reseed(std::uint64_t seed, std::uint64_t connection_id) noexcept {
        state = detail::fmix64(seed ^ detail::fmix64(connection_id + 0x9e3779b97f4a7c15ULL));
    }
    // Uniform in [0, 1).
    double uniform() noexcept {
        state += 0x9e3779b97f4a7c15ULL;
        return static_cast<double>(detail::fmix64(state) >> 11) * 0x1.0p-53;
    }
};

bool is_active(mutation_options const& m) noexcept {
    return m.insert_per_request != 0 || m.delete_per_request != 0;
}

// A project's list once mutation has changed it. Each entry of `order` is a generator index:
// below the dataset's size an instance of the dataset, otherwise added[entry - size] (the
// instances inserted so far, in insertion order; a deleted one's strings are freed).
struct live_list {
    bool materialised = false;
    std::vector<std::uint64_t> order;
    std::vector<detail::instance_record> added;
    std::uint64_t rng_state = 0;  // random positions (splitmix64)
    mutation_stats stats;

    void reseed(std::uint64_t seed, std::size_t project_index) noexcept {
        rng_state = detail::fmix64(seed ^ detail::fmix64(project_index + 0x632be59bd9b4e019ULL));
    }
    // Uniform enough in [0, n) for test data (n is far below 2^64).
    std::size_t below(std::size_t n) noexcept {
        rng_state += 0x9e3779b97f4a7c15ULL;
        return static_cast<std::size_t>(detail::fmix64(rng_state) % n);
    }
};

// The two ways of reading a project's list, with one interface for build_page.
struct dataset_view {
    detail::project_dataset const& ds;
    std::size_t size() const noexcept { return ds.size(); }
    std::string_view json(std::size_t i) const noexcept { return ds.json(i); }
    std::string_view id(std::size_t i) const noexcept { return ds.id(i); }
    std::string_view name(std::size_t i) const noexcept { return ds.name(i); }
    int status(std::size_t i) const noexcept { return ds.statuses[i]; }
};

struct live_view {
    detail::project_dataset const& ds;
    live_list const& l;
    std::size_t size() const noexcept { return l.order.size(); }
    detail::instance_record const* added(std::size_t i) const noexcept {
        std::uint64_t const e = l.order[i];
        return e < ds.size() ? nullptr : &l.added[static_cast<std::size_t>(e - ds.size())];
    }
    std::size_t base(std::size_t i) const noexcept { return static_cast<std::size_t>(l.order[i]); }
    std::string_view json(std::size_t i) const noexcept {
        auto const* a = added(i);
        return a != nullptr ? std::string_view(a->json) : ds.json(base(i));
    }
    std::string_view id(std::size_t i) const noexcept {
        auto const* a = added(i);
        return a != nullptr ? std::string_view(a->id) : ds.id(base(i));
    }
    std::string_view name(std::size_t i) const noexcept {
        auto const* a = added(i);
        return a != nullptr ? std::string_view(a->name) : ds.name(base(i));
    }
    int status(std::size_t i) const noexcept {
        auto const* a = added(i);
        return a != nullptr ? a->status : ds.statuses[base(i)];
    }
};

// A page request after validation: instances [first, last) of the (filtered) list.
struct page_query {
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    std::string_view instance_id, instance_name, status;
    bool filtered() const noexcept {
        return !instance_id.empty() || !instance_name.empty() || !status.empty();
    }
};

// Builds a page's instances into rep.middle: a slice of the dataset (no copy) for an
// unfiltered page of the dataset, otherwise a copy into `body`. Returns (total, size).
template <class View>
std::pair<std::uint64_t, std::uint64_t> build_page(View const& v, page_query const& q,
                                                   std::string& body, reply& rep) {
    std::size_t const n = v.size();
    std::uint64_t total = 0;
    std::uint64_t size = 0;
    if (!q.filtered()) {
        std::size_t const b = static_cast<std::size_t>(std::min<std::uint64_t>(q.first, n));
        std::size_t const e = static_cast<std::size_t>(std::min<std::uint64_t>(q.last, n));
        total = n;
        size = e - b;
        if constexpr (std::is_same_v<View, dataset_view>) {
            // The common case: one contiguous slice of the pre-serialised dataset, no copy.
            rep.middle = v.ds.slice(b, e);
        } else {
            body.clear();
            for (std::size_t i = b; i < e; ++i) {
                if (i != b) body.push_back(',');
                body.append(v.json(i));
            }
            rep.middle = body;
        }
        return {total, size};
    }
    // Filtered: a linear scan (simple, and fast enough for a million instances), copying
    // the page's instances into the connection's body buffer.
    int const wanted_status = q.status.empty() ? -1 : detail::find_status(q.status);
    body.clear();
    if (q.status.empty() || wanted_status >= 0) {
        for (std::size_t i = 0; i < n; ++i) {
            if (!q.instance_id.empty() && v.id(i) != q.instance_id) continue;
            if (wanted_status >= 0 && v.status(i) != wanted_status) continue;
            if (!q.instance_name.empty() &&
                v.name(i).find(q.instance_name) == std::string_view::npos)
                continue;
            if (total >= q.first && total < q.last) {
                if (size != 0) body.push_back(',');
                body.append(v.json(i));
                ++size;
            }
            ++total;
        }
    }
    rep.middle = body;
    return {total, size};
}

// The keys as set_access_keys stores them, after validation. Throws std::invalid_argument
// naming the key's index, never a secret.
std::shared_ptr<std::vector<access_key> const> checked_keys(std::vector<access_key> keys) {
    auto fail = [](std::size_t i, char const* what) {
        throw std::invalid_argument("apig-emulator: access_keys[" + std::to_string(i) + "]: " +
                                    what);
    };
    for (std::size_t i = 0; i < keys.size(); ++i) {
        auto const& k = keys[i];
        if (!aksk::valid_access_key(k.ak))
            fail(i, "the AK must be non-empty visible ASCII without ','");
        if (k.sk.empty()) fail(i, "the SK must not be empty");
        for (char const ch : k.security_token) {
            auto const c = static_cast<unsigned char>(ch);
            if (c < 0x20 || c == 0x7f) fail(i, "the security token has a control character");
        }
        for (std::size_t j = 0; j < i; ++j)
            if (keys[j].ak == k.ak) fail(i, "the AK is repeated");
    }
    return std::make_shared<std::vector<access_key> const>(std::move(keys));
}

bool is_active(fault_options const& f) noexcept {
    return f.probability_500 > 0 || f.probability_503 > 0 || f.probability_reset > 0 ||
           f.probability_truncate > 0 || f.probability_malformed_json > 0 ||
           f.delay.count() > 0 || f.delay_jitter.count() > 0 || f.close_after_requests > 0 ||
           f.fail_first_per_page > 0;
}

void validate(fault_options const& f) {
    auto check_p = [](double p, char const* name) {
        // Written so that NaN fails too.
        if (!(p >= 0.0 && p <= 1.0))
            throw std::invalid_argument(std::string("apig-emulator: fault_options::") + name +
                                        " must be in [0, 1]");
    };
    check_p(f.probability_500, "probability_500");
    check_p(f.probability_503, "probability_503");
    check_p(f.probability_reset, "probability_reset");
    check_p(f.probability_truncate, "probability_truncate");
    check_p(f.probability_malformed_json, "probability_malformed_json");
    if (f.fail_first_status < 400 || f.fail_first_status > 599)
        throw std::invalid_argument(
            "apig-emulator: fault_options::fail_first_status must be in 400..599");
    if (f.delay.count() < 0 || f.delay_jitter.count() < 0)
        throw std::invalid_argument("apig-emulator: fault_options delays must not be negative");
}

// A gauge (in flight, open connections) held by a scope: +1 now, -1 on release() or when the
// scope ends, including when stop() destroys a suspended coroutine frame.
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

std::size_t gauge_value(std::atomic<std::int64_t> const& g) noexcept {
    return static_cast<std::size_t>(std::max<std::int64_t>(0, g.load(std::memory_order_relaxed)));
}

}  // namespace

std::string_view to_string(mutation_position p) noexcept {
    switch (p) {
    case mutation_position::front: return "front";
    case mutation_position::random: return "random";
    case mutation_position::back: return "back";
    }
    return "unknown";
}

std::string_view to_string(auth_kind a) noexcept {
    switch (a) {
    case auth_kind::none: return "none";
    case auth_kind::token: return "token";
    case auth_kind::aksk: return "aksk";
    }
    return "unknown";
}

std::string_view to_string(fault_kind f) noexcept {
    switch (f) {
    case fault_kind::none: return "none";
    case fault_kind::status_500: return "status_500";
    case fault_kind::status_503: return "status_503";
    case fault_kind::reset: return "reset";
    case fault_kind::truncate: return "truncate";
    case fault_kind::malformed: return "malformed";
    case fault_kind::fail_first: return "fail_first";
    case fault_kind::fail_next: return "fail_next";
    case fault_kind::closed_after: return "closed_after";
    }
    return "unknown";
}

struct server::impl {
    options opts;
    tls_material tls;
    std::vector<detail::project_dataset> datasets;
    asio::ssl::context ssl_ctx{asio::ssl::context::tls_server};

    // Declared last among the I/O objects and reset explicitly in stop(): destroying the
    // io_context destroys the connections' coroutine frames, which use everything above.
    std::unique_ptr<asio::io_context> ioc;
    std::optional<tcp::acceptor> acceptor;
    std::vector<std::thread> threads;
    std::uint16_t bound_port = 0;
    std::string endpoint_text;

    std::atomic<std::uint64_t> connections{0};
    std::atomic<std::uint64_t> served{0};
    std::atomic<std::uint64_t> request_counter{0};
    std::uint64_t request_id_salt[2] = {0, 0};
    std::atomic<std::int64_t> delay_ms{0};
    // Injected failures, packed as (count << 16) | status so that taking one is a single
    // compare-and-swap on the request path.
    std::atomic<std::uint64_t> failures{0};

    // Gauges and their high-water marks; accepted_base is connections at reset_stats().
    std::atomic<std::int64_t> in_flight_now{0};
    std::atomic<std::int64_t> in_flight_high{0};
    std::atomic<std::int64_t> open_now{0};
    std::atomic<std::int64_t> open_high{0};
    std::atomic<std::uint64_t> accepted_base{0};

    // Faults: `faults_active` is the fast path's only check; the rest is behind fault_mu.
    std::atomic<bool> faults_active{false};
    mutable std::mutex fault_mu;
    fault_options fault_cfg;
    std::uint64_t fault_generation = 0;
    // fail_first_per_page: eligible requests seen per (project, offset, limit), saturating
    // at fail_first_per_page.
    std::map<std::tuple<std::string, std::int64_t, std::int64_t>, std::size_t, std::less<>>
        fail_first_counts;

    // Mutation: `lists_live` (mutation is on, or some list has changed) is the fast path's
    // only check; the configuration and the lists are behind list_mu. Once true, it stays
    // true while any list has changed.
    std::atomic<bool> lists_live{false};
    mutable std::mutex list_mu;
    mutation_options mutation_cfg;
    std::vector<live_list> lives;  // one per project, like `datasets`

    // AK/SK keys: replaced whole by set_access_keys; a request takes a reference under the
    // lock and verifies without it.
    mutable std::mutex keys_mu;
    std::shared_ptr<std::vector<access_key> const> keys =
        std::make_shared<std::vector<access_key> const>();

    mutable std::mutex mu;  // guards `recorded`
    std::vector<recorded_request> recorded;

    std::mutex stop_mu;
    bool stopped = false;

    explicit impl(options o) : opts(std::move(o)) {}

    void start();
    void stop();

    asio::awaitable<void> accept_loop();
    asio::awaitable<void> session(tcp::socket socket, std::uint64_t connection_id,
                                  gauge_hold open);

    void make_request_id(char* out) noexcept {
        // The first half is a bijection of a counter, so ids never repeat within a server;
        // the salt keeps two servers (or runs) from sharing ids.
        std::uint64_t const n = request_counter.fetch_add(1, std::memory_order_relaxed);
        detail::put_hex64(out, detail::fmix64(n ^ request_id_salt[0]));
        detail::put_hex64(out + 16, detail::fmix64(n + request_id_salt[1]));
    }

    std::optional<unsigned> take_failure() noexcept {
        std::uint64_t cur = failures.load(std::memory_order_relaxed);
        while ((cur >> 16) != 0) {
            if (failures.compare_exchange_weak(cur, cur - (std::uint64_t{1} << 16),
                                               std::memory_order_relaxed))
                return static_cast<unsigned>(cur & 0xffff);
        }
        return std::nullopt;
    }

    detail::project_dataset const* find_project(std::string_view pid) const noexcept {
        for (auto const& ds : datasets)
            if (ds.project_id == pid) return &ds;
        return nullptr;
    }

    void set_mutation(mutation_options const& m) {
        if (m.position != mutation_position::front && m.position != mutation_position::random &&
            m.position != mutation_position::back)
            throw std::invalid_argument("apig-emulator: mutation_options::position is invalid");
        std::lock_guard lock(list_mu);
        mutation_cfg = m;
        bool any = false;
        for (std::size_t p = 0; p < lives.size(); ++p) {
            lives[p].reseed(m.seed, p);
            any = any || lives[p].materialised;
        }
        lists_live.store(any || is_active(m), std::memory_order_release);
    }

    // Applies mutation_cfg to project p's list after a 200 page. Caller holds list_mu.
    void mutate(std::size_t p);

    void set_faults(fault_options const& f) {
        validate(f);
        std::lock_guard lock(fault_mu);
        fault_cfg = f;
        ++fault_generation;
        fail_first_counts.clear();
        faults_active.store(is_active(f), std::memory_order_relaxed);
    }

    // Loads the current faults into a connection's context (reseeding its RNG if they
    // changed); nullptr when no fault is configured.
    fault_context* load_faults(std::optional<fault_context>& fc, std::uint64_t connection_id) {
        if (!faults_active.load(std::memory_order_relaxed)) return nullptr;
        if (!fc) fc.emplace();
        std::lock_guard lock(fault_mu);
        if (!is_active(fault_cfg)) return nullptr;
        if (fc->generation != fault_generation) {
            fc->generation = fault_generation;
            fc->reseed(fault_cfg.seed, connection_id);
        }
        fc->o = fault_cfg;
        return &*fc;
    }

    // Steps 1-3 of fault_options' order for a request that would be answered 200. Returns
    // the injected status, or 0 to serve the page (perhaps reset, truncated or malformed).
    unsigned draw_faults(fault_context& fc, std::string const& project, std::int64_t offset,
                         std::int64_t limit, reply& rep);

    void handle(http::request<http::string_body> const& req, connection_buffers& bufs,
                reply& rep, recorded_request& rec, std::string_view request_id,
                fault_context* fc);
    void set_error(api_error const& e, connection_buffers& bufs, reply& rep,
                   std::string_view request_id, std::string_view detail = {});
    // AK/SK authentication of a request with an Authorization header: true if it passes,
    // otherwise the 401 is set in `rep`.
    bool authenticate_aksk(http::request<http::string_body> const& req, recorded_request& rec,
                           connection_buffers& bufs, reply& rep, std::string_view request_id);
    void set_access_keys(std::vector<access_key> k) {
        auto checked = checked_keys(std::move(k));
        std::lock_guard lock(keys_mu);
        keys = std::move(checked);
    }
    void finish(reply& rep, connection_buffers& bufs, std::string_view request_id,
                bool keep_alive, bool head_only);
    void record(recorded_request&& rec) {
        served.fetch_add(1, std::memory_order_relaxed);
        if (!opts.record_requests) return;
        std::lock_guard lock(mu);
        recorded.push_back(std::move(rec));
    }
};

void server::impl::set_error(api_error const& e, connection_buffers& bufs, reply& rep,
                             std::string_view request_id, std::string_view detail) {
    // Real APIG error bodies carry the request id too; the messages are ASCII constants
    // (and `detail` a parameter name or a checked X-Sdk-Date), so no JSON escaping is needed.
    rep.status = e.status;
    rep.prefix.clear();
    rep.tail = {};
    bufs.body.clear();
    bufs.body += R"({"error_code":")";
    bufs.body += e.code;
    bufs.body += R"(","error_msg":")";
    bufs.body += e.message;
    bufs.body += detail;
    bufs.body += R"(","request_id":")";
    bufs.body += request_id;
    bufs.body += R"("})";
    rep.middle = bufs.body;
}

unsigned server::impl::draw_faults(fault_context& fc, std::string const& project,
                                   std::int64_t offset, std::int64_t limit, reply& rep) {
    fault_options const& o = fc.o;
    unsigned status = 0;
    if (o.fail_first_per_page > 0) {
        std::lock_guard lock(fault_mu);
        auto it = fail_first_counts.find(std::forward_as_tuple(project, offset, limit));
        if (it == fail_first_counts.end())
            it = fail_first_counts.emplace(std::make_tuple(project, offset, limit), 0).first;
        if (it->second < o.fail_first_per_page) {
            ++it->second;
            status = o.fail_first_status;
            rep.fault = fault_kind::fail_first;
        }
    }
    // Always six draws, so one request's outcome never shifts the next one's draws.
    double u[6];
    for (double& x : u) x = fc.uniform();
    if (rep.fault == fault_kind::none) {
        if (u[0] < o.probability_500) {
            rep.fault = fault_kind::status_500;
            status = 500;
        } else if (u[1] < o.probability_503) {
            rep.fault = fault_kind::status_503;
            status = 503;
        } else if (u[2] < o.probability_reset) {
            rep.fault = fault_kind::reset;
        } else if (u[3] < o.probability_truncate) {
            rep.fault = fault_kind::truncate;
        } else if (u[4] < o.probability_malformed_json) {
            rep.fault = fault_kind::malformed;
        }
    }
    auto const jitter = static_cast<double>(o.delay_jitter.count());
    auto const extra = std::min(static_cast<std::int64_t>(std::floor(u[5] * (jitter + 1))),
                                static_cast<std::int64_t>(o.delay_jitter.count()));
    rep.fault_delay = o.delay + std::chrono::milliseconds(extra);
    return status;
}

void server::impl::handle(http::request<http::string_body> const& req,
                          connection_buffers& bufs, reply& rep, recorded_request& rec,
                          std::string_view request_id, fault_context* fc) {
    // Route first (404, then 405), then authenticate (401), then fail_next, then authorise
    // the project (403), then validate the query (400), then the faults (fault_options).
    auto const parsed = boost::urls::parse_origin_form(req.target());
    if (!parsed) return set_error(bad_request, bufs, rep, request_id, ": malformed request target");
    auto const url = *parsed;

    // Decoded segments: a project id like "a/b?c#d" or ".." arrives percent-encoded as one
    // segment and must stay one segment, so nothing here splits or normalises decoded text.
    std::array<std::string, 5> segs;
    std::size_t nsegs = 0;
    for (auto&& s : url.segments()) {
        if (nsegs == segs.size()) {
            nsegs = segs.size() + 1;  // too many
            break;
        }
        segs[nsegs++] = s;
    }
    bool const route = (nsegs == 4 || (nsegs == 5 && segs[4].empty())) && segs[0] == "v2" &&
                       segs[2] == "apigw" && segs[3] == "instances";
    if (!route) return set_error(not_found, bufs, rep, request_id);
    rec.project_id = segs[1];

    if (req.method() != http::verb::get) {
        rep.allow_header = true;
        return set_error(not_allowed, bufs, rep, request_id);
    }

    // An Authorization header means AK/SK signing, and decides alone; otherwise the token.
    auto const token = req.find("X-Auth-Token");
    rec.had_token = token != req.end();
    if (req.find(http::field::authorization) != req.end()) {
        rec.auth = auth_kind::aksk;
        if (!authenticate_aksk(req, rec, bufs, rep, request_id)) return;
    } else {
        rec.auth = rec.had_token ? auth_kind::token : auth_kind::none;
        // Constant-time comparison: the habit costs nothing, even in an emulator.
        bool const token_ok =
            rec.had_token && token->value().size() == opts.token.size() &&
            CRYPTO_memcmp(token->value().data(), opts.token.data(), opts.token.size()) == 0;
        if (!token_ok) {
            rec.auth_failure = rec.had_token ? "bad_token" : "missing_token";
            return set_error(bad_token, bufs, rep, request_id);
        }
    }

    if (auto const injected = take_failure()) {
        rep.fault = fault_kind::fail_next;
        return set_error(injected_error(*injected), bufs, rep, request_id);
    }

    // X-Project-Id (as the SDKs send it with AK/SK), when present, must name the path's
    // project: a request scoped to one project cannot read another's.
    auto const scoped = req.equal_range("X-Project-Id");
    for (auto it = scoped.first; it != scoped.second; ++it)
        if (it->value() != rec.project_id) return set_error(forbidden, bufs, rep, request_id);

    detail::project_dataset const* ds = find_project(rec.project_id);
    if (ds == nullptr) return set_error(forbidden, bufs, rep, request_id);

    // Query: values percent-decoded, '+' kept as '+' (the form-encoding rule does not apply
    // to this API; clients percent-encode spaces). The first occurrence of a key wins; an
    // empty filter is no filter.
    std::int64_t offset = 0;
    std::int64_t limit = default_limit;
    std::string instance_id, instance_name, status;
    bool seen_offset = false, seen_limit = false, seen_id = false, seen_name = false,
         seen_status = false;
    for (auto const& p : url.params(boost::urls::encoding_opts{false, false, false})) {
        if (p.key == "offset" && !seen_offset) {
            seen_offset = true;
            if (!parse_int(p.value, offset))
                return set_error({400, "APIG.2012", "Invalid parameter value,parameterName:"},
                                 bufs, rep, request_id, "offset");
        } else if (p.key == "limit" && !seen_limit) {
            seen_limit = true;
            if (!parse_int(p.value, limit) || limit > std::numeric_limits<std::int32_t>::max() ||
                limit < std::numeric_limits<std::int32_t>::min())
                return set_error({400, "APIG.2012", "Invalid parameter value,parameterName:"},
                                 bufs, rep, request_id, "limit");
        } else if (p.key == "instance_id" && !seen_id) {
            seen_id = true;
            instance_id = p.value;
        } else if (p.key == "instance_name" && !seen_name) {
            seen_name = true;
            instance_name = p.value;
        } else if (p.key == "status" && !seen_status) {
            seen_status = true;
            status = p.value;
        }
    }
    if (offset < 0) offset = 0;
    if (limit <= 0) limit = default_limit;
    if (limit > max_limit) limit = max_limit;
    rec.offset = offset;
    rec.limit = limit;

    if (fc != nullptr) {
        if (unsigned const st = draw_faults(*fc, rec.project_id, offset, limit, rep); st != 0) {
            set_error(injected_error(st), bufs, rep, request_id);
            if (st == 503) rep.retry_after = fc->o.retry_after_seconds;
            return;
        }
    }

    page_query q;
    q.first = static_cast<std::uint64_t>(offset);
    q.last = q.first + static_cast<std::uint64_t>(limit);  // no overflow: < 2^64
    q.instance_id = instance_id;
    q.instance_name = instance_name;
    q.status = status;
    std::pair<std::uint64_t, std::uint64_t> total_size;
    if (!lists_live.load(std::memory_order_acquire)) {
        total_size = build_page(dataset_view{*ds}, q, bufs.body, rep);
    } else {
        // Serve, then change the list, in one step: every request sees one whole list.
        std::size_t const p = static_cast<std::size_t>(ds - datasets.data());
        std::lock_guard lock(list_mu);
        live_list const& live = lives[p];
        total_size = live.materialised ? build_page(live_view{*ds, live}, q, bufs.body, rep)
                                       : build_page(dataset_view{*ds}, q, bufs.body, rep);
        mutate(p);
    }
    auto const [total, size] = total_size;
    rep.status = 200;
    rep.prefix = R"({"total":)";
    append_number(rep.prefix, total);
    rep.prefix += R"(,"size":)";
    append_number(rep.prefix, size);
    rep.prefix += R"(,"instances":[)";
    // Malformed: the instances array is never closed.
    rep.tail = rep.fault == fault_kind::malformed ? std::string_view("}") : "]}";
}

bool server::impl::authenticate_aksk(http::request<http::string_body> const& req,
                                     recorded_request& rec, connection_buffers& bufs,
                                     reply& rep, std::string_view request_id) {
    aksk::request in;
    in.method = req.method_string();
    in.target = req.target();
    in.body = req.body();
    in.headers.reserve(16);
    for (auto const& f : req) in.headers.emplace_back(f.name_string(), f.value());
    std::shared_ptr<std::vector<access_key> const> current;
    {
        std::lock_guard lock(keys_mu);
        current = keys;
    }
    auto const now = opts.clock ? opts.clock() : std::chrono::system_clock::now();
    auto res = aksk::verify(in, *current, now);
    rec.access_key = std::move(res.access_key);
    if (res.code == aksk::status::ok) return true;
    rec.auth_failure = aksk::to_string(res.code);
    switch (res.code) {
    case aksk::status::bad_date: set_error(bad_sdk_date, bufs, rep, request_id); break;
    case aksk::status::date_out_of_range: {
        // The date parsed, so it is 16 safe characters (digits, 'T', 'Z'): no escaping.
        std::string detail = ", signature time:";
        detail += req["X-Sdk-Date"];
        detail += ",server time:";
        detail += aksk::format_sdk_date(now);
        set_error(expired_sdk_date, bufs, rep, request_id, detail);
        break;
    }
    default: set_error(bad_aksk, bufs, rep, request_id); break;
    }
    return false;
}

void server::impl::mutate(std::size_t p) {
    mutation_options const& m = mutation_cfg;
    if (!is_active(m)) return;
    detail::project_dataset const& ds = datasets[p];
    live_list& l = lives[p];
    std::size_t const n = ds.size();
    if (!l.materialised) {
        l.order.resize(n);
        for (std::size_t i = 0; i < n; ++i) l.order[i] = i;
        l.materialised = true;
    }
    ++l.stats.requests;
    auto release = [&](std::uint64_t e) {
        if (e >= n) l.added[static_cast<std::size_t>(e - n)] = detail::instance_record{};
    };

    std::size_t const d = std::min(m.delete_per_request, l.order.size());
    switch (m.position) {
    case mutation_position::front:
        for (std::size_t k = 0; k < d; ++k) release(l.order[k]);
        l.order.erase(l.order.begin(), l.order.begin() + static_cast<std::ptrdiff_t>(d));
        break;
    case mutation_position::back:
        for (std::size_t k = l.order.size() - d; k < l.order.size(); ++k) release(l.order[k]);
        l.order.resize(l.order.size() - d);
        break;
    case mutation_position::random:
        for (std::size_t k = 0; k < d; ++k) {
            std::size_t const at = l.below(l.order.size());
            release(l.order[at]);
            l.order.erase(l.order.begin() + static_cast<std::ptrdiff_t>(at));
        }
        break;
    }
    l.stats.deleted += d;

    std::size_t const ins = m.insert_per_request;
    if (ins == 0) return;
    l.added.reserve(l.added.size() + ins);
    l.order.reserve(l.order.size() + ins);
    std::size_t const first_new = l.added.size();
    for (std::size_t k = 0; k < ins; ++k)
        l.added.push_back(detail::make_instance(ds.project_id, p, opts.seed, n + first_new + k));
    auto entry = [&](std::size_t k) { return static_cast<std::uint64_t>(n + first_new + k); };
    switch (m.position) {
    case mutation_position::front: {
        // As a block, in insertion order, so the first new instance is at offset 0.
        std::vector<std::uint64_t> block(ins);
        for (std::size_t k = 0; k < ins; ++k) block[k] = entry(k);
        l.order.insert(l.order.begin(), block.begin(), block.end());
        break;
    }
    case mutation_position::back:
        for (std::size_t k = 0; k < ins; ++k) l.order.push_back(entry(k));
        break;
    case mutation_position::random:
        for (std::size_t k = 0; k < ins; ++k) {
            std::size_t const at = l.below(l.order.size() + 1);
            l.order.insert(l.order.begin() + static_cast<std::ptrdiff_t>(at), entry(k));
        }
        break;
    }
    l.stats.inserted += ins;
}

void server::impl::finish(reply& rep, connection_buffers& bufs, std::string_view request_id,
                          bool keep_alive, bool head_only) {
    // Written by hand rather than with Beast's serializer: the body is a buffer sequence
    // pointing into the shared dataset, which a Beast body type would copy or re-wrap.
    std::string& h = bufs.head;
    h.clear();
    h += "HTTP/1.1 ";
    append_number(h, rep.status);
    h += ' ';
    h += http::obsolete_reason(static_cast<http::status>(rep.status));
    h += "\r\nServer: apig-emulator\r\nContent-Type: ";
    h += content_type;
    h += "\r\nContent-Length: ";
    append_number(h, rep.prefix.size() + rep.middle.size() + rep.tail.size());
    h += "\r\nX-Request-Id: ";
    h += request_id;
    if (rep.allow_header) h += "\r\nAllow: GET";
    if (rep.retry_after) {
        h += "\r\nRetry-After: ";
        append_number(h, *rep.retry_after);
    }
    h += keep_alive ? "\r\nConnection: keep-alive\r\n\r\n" : "\r\nConnection: close\r\n\r\n";
    if (head_only) {
        rep.middle = {};
        rep.tail = {};
    } else {
        h += rep.prefix;
    }
}

asio::awaitable<void> server::impl::session(tcp::socket socket, std::uint64_t connection_id,
                                            gauge_hold open) {
    // `open` counts the connection from accept until the server starts closing it.
    beast::error_code ec;
    tls_stream stream(std::move(socket), ssl_ctx);
    auto& tcp_layer = stream.next_layer();

    tcp_layer.expires_after(opts.idle_timeout);
    co_await stream.async_handshake(asio::ssl::stream_base::server,
                                    asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;

    connection_buffers bufs;
    bufs.head.reserve(1024);
    reply rep;
    rep.prefix.reserve(64);
    std::optional<asio::steady_timer> delay_timer;
    std::optional<fault_context> fault_storage;
    bool graceful_close = true;

    for (std::size_t count = 1;; ++count) {
        http::request_parser<http::string_body> parser;
        parser.header_limit(16 * 1024);
        parser.body_limit(1024 * 1024);

        tcp_layer.expires_after(opts.idle_timeout);
        co_await http::async_read(stream, bufs.read, parser,
                                  asio::redirect_error(asio::use_awaitable, ec));
        bool malformed = false;
        if (ec) {
            // A closed, reset or idle connection ends quietly; only a message that is not
            // HTTP gets an answer (400, then close).
            if (ec.category() != http::make_error_code(http::error::bad_target).category() ||
                ec == http::error::end_of_stream || ec == http::error::partial_message) {
                graceful_close = ec == http::error::end_of_stream;
                break;
            }
            malformed = true;
        }
        gauge_hold busy(in_flight_now, in_flight_high);
        fault_context* const fc = load_faults(fault_storage, connection_id);

        recorded_request rec;
        rec.at = std::chrono::steady_clock::now();
        rec.connection_id = connection_id;
        char rid[32];
        make_request_id(rid);

        rep = reply{};
        bool keep_alive = false;
        bool head_only = false;
        if (malformed) {
            if (parser.is_header_done()) {
                rec.method = parser.get().method_string();
                rec.target = parser.get().target();
            }
            set_error(bad_request, bufs, rep, std::string_view(rid, 32));
        } else {
            auto const& req = parser.get();
            rec.method = req.method_string();
            rec.target = req.target();
            if (auto it = req.find(http::field::user_agent); it != req.end())
                rec.user_agent = it->value();
            if (auto it = req.find(http::field::accept); it != req.end())
                rec.accept = it->value();
            try {
                handle(req, bufs, rep, rec, std::string_view(rid, 32), fc);
            } catch (std::exception const&) {
                // Only allocation failure can get here; answer rather than drop the client.
                rep = reply{};
                set_error(injected_error(500), bufs, rep, std::string_view(rid, 32));
            }
            keep_alive = req.keep_alive() && (opts.max_requests_per_connection == 0 ||
                                              count < opts.max_requests_per_connection);
            head_only = req.method() == http::verb::head;
        }
        // close_after_requests: close after this response although it says keep-alive.
        bool const close_after = fc != nullptr && fc->o.close_after_requests != 0 &&
                                 count >= fc->o.close_after_requests && keep_alive;
        rec.status = rep.status;
        rec.fault = rep.fault == fault_kind::none && close_after ? fault_kind::closed_after
                                                                 : rep.fault;
        finish(rep, bufs, std::string_view(rid, 32), keep_alive, head_only);
        // Counted and recorded before the write: a client that has read the response may
        // look at the counters at once.
        record(std::move(rec));

        auto const delay =
            std::chrono::milliseconds(delay_ms.load(std::memory_order_relaxed)) + rep.fault_delay;
        if (delay.count() > 0) {
            if (!delay_timer) delay_timer.emplace(stream.get_executor());
            delay_timer->expires_after(delay);
            co_await delay_timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
        }
        busy.release();

        std::array<asio::const_buffer, 3> const out{asio::buffer(bufs.head),
                                                   asio::buffer(rep.middle),
                                                   asio::buffer(rep.tail)};
        tcp_layer.expires_after(opts.idle_timeout);
        if (rep.fault == fault_kind::reset || rep.fault == fault_kind::truncate) {
            // The status line and headers, then the first half of the body (whose start,
            // the prefix, finish() put at the end of the head).
            std::size_t const headers = bufs.head.size() - rep.prefix.size();
            std::size_t const body = rep.prefix.size() + rep.middle.size() + rep.tail.size();
            co_await asio::async_write(stream, beast::buffers_prefix(headers + body / 2, out),
                                       asio::redirect_error(asio::use_awaitable, ec));
            if (ec || rep.fault == fault_kind::reset) {
                graceful_close = false;
                if (!ec) {
                    // TCP RST: no close_notify, and a zero linger makes close() reset.
                    tcp_layer.socket().set_option(asio::socket_base::linger(true, 0), ec);
                    open.release();
                    tcp_layer.close();
                    co_return;
                }
            }
            break;  // truncate: close_notify, then close
        }
        co_await asio::async_write(stream, out, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            graceful_close = false;
            break;
        }
        if (!keep_alive || close_after) break;
    }

    open.release();
    if (graceful_close) {
        // close_notify, so the client sees a clean end of stream after `Connection: close`;
        // bounded, since a client may never answer it.
        tcp_layer.expires_after(std::chrono::seconds(2));
        co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
    }
    tcp_layer.socket().shutdown(tcp::socket::shutdown_both, ec);
    tcp_layer.close();
}

asio::awaitable<void> server::impl::accept_loop() {
    asio::steady_timer backoff(acceptor->get_executor());
    for (;;) {
        beast::error_code ec;
        tcp::socket socket = co_await acceptor->async_accept(
            asio::make_strand(*ioc), asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
            // Out of descriptors and the like: wait rather than spin.
            backoff.expires_after(std::chrono::milliseconds(50));
            co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            continue;
        }
        // Small responses (and the last piece of a large one) must not wait for Nagle.
        socket.set_option(tcp::no_delay(true), ec);
        std::uint64_t const id = connections.fetch_add(1, std::memory_order_relaxed) + 1;
        auto executor = socket.get_executor();
        asio::co_spawn(executor, session(std::move(socket), id, gauge_hold(open_now, open_high)),
                       asio::detached);
    }
}

void server::impl::start() {
    if (opts.threads == 0) opts.threads = 1;
    keys = checked_keys(opts.access_keys);
    delay_ms.store(opts.response_delay.count(), std::memory_order_relaxed);
    set_faults(opts.faults);
    if (RAND_bytes(reinterpret_cast<unsigned char*>(request_id_salt), sizeof request_id_salt) !=
        1)
        throw std::runtime_error("apig-emulator: RAND_bytes failed");

    tls = opts.tls ? *opts.tls : make_tls_material(opts.cert);
    ssl_ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                        asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                        asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
    if (SSL_CTX_set_min_proto_version(ssl_ctx.native_handle(), TLS1_2_VERSION) != 1)
        throw std::runtime_error("apig-emulator: cannot require TLS 1.2");
    ssl_ctx.use_certificate_chain(asio::buffer(tls.server_cert_pem));
    ssl_ctx.use_private_key(asio::buffer(tls.server_key_pem), asio::ssl::context::pem);

    datasets.reserve(opts.project_ids.size());
    for (std::size_t k = 0; k < opts.project_ids.size(); ++k)
        datasets.push_back(
            detail::make_dataset(opts.project_ids[k], k, opts.seed, opts.instance_count));
    lives.resize(datasets.size());
    set_mutation(opts.mutation);

    ioc = std::make_unique<asio::io_context>(static_cast<int>(opts.threads));
    tcp::endpoint ep;
    beast::error_code ec;
    auto const addr = asio::ip::make_address(opts.address, ec);
    if (!ec) {
        ep = tcp::endpoint(addr, opts.port);
    } else {
        // A host name (e.g. localhost): bind its first address.
        tcp::resolver resolver(*ioc);
        auto const results = resolver.resolve(opts.address, std::to_string(opts.port));
        ep = *results.begin();
    }
    acceptor.emplace(*ioc);
    acceptor->open(ep.protocol());
    acceptor->set_option(asio::socket_base::reuse_address(true));
    acceptor->bind(ep);
    acceptor->listen(asio::socket_base::max_listen_connections);
    auto const local = acceptor->local_endpoint();
    bound_port = local.port();

    auto shown = local.address();
    if (shown.is_unspecified())
        shown = shown.is_v6() ? asio::ip::address(asio::ip::address_v6::loopback())
                              : asio::ip::address(asio::ip::address_v4::loopback());
    endpoint_text = shown.is_v6() ? "https://[" + shown.to_string() + "]:"
                                  : "https://" + shown.to_string() + ":";
    endpoint_text += std::to_string(bound_port);

    asio::co_spawn(*ioc, accept_loop(), asio::detached);
    threads.reserve(opts.threads);
    for (std::size_t t = 0; t < opts.threads; ++t)
        threads.emplace_back([this] {
            for (;;) {
                try {
                    ioc->run();
                    return;
                } catch (...) {
                    // Handlers catch their own errors; if one escapes, keep serving the
                    // other connections.
                }
            }
        });
}

void server::impl::stop() {
    std::lock_guard lock(stop_mu);
    if (stopped) return;
    stopped = true;
    if (!ioc) return;
    // Stopping the io_context (rather than asking each connection to finish) cannot hang on
    // a client that is mid-request or not reading: run() returns at once on every thread.
    ioc->stop();
    for (auto& t : threads)
        if (t.joinable()) t.join();
    threads.clear();
    // Then the acceptor, then the io_context, whose destruction destroys the pending
    // connection coroutines and so closes their sockets.
    beast::error_code ec;
    if (acceptor) acceptor->close(ec);
    acceptor.reset();
    ioc.reset();
}

server::server(options opts) : impl_(std::make_unique<impl>(std::move(opts))) {
    try {
        impl_->start();
    } catch (...) {
        impl_->stop();
        throw;
    }
}

server::~server() {
    if (impl_) impl_->stop();
}

std::uint16_t server::port() const noexcept { return impl_->bound_port; }

std::string server::endpoint() const { return impl_->endpoint_text; }

std::string const& server::ca_pem() const noexcept { return impl_->tls.ca_cert_pem; }

void server::write_ca_pem(std::string const& path) const {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << impl_->tls.ca_cert_pem;
    out.close();
    if (!out) throw std::runtime_error("apig-emulator: cannot write " + path);
}

std::size_t server::connections_accepted() const {
    return static_cast<std::size_t>(impl_->connections.load(std::memory_order_relaxed) -
                                    impl_->accepted_base.load(std::memory_order_relaxed));
}

std::size_t server::requests_served() const {
    return static_cast<std::size_t>(impl_->served.load(std::memory_order_relaxed));
}

std::vector<recorded_request> server::requests() const {
    std::lock_guard lock(impl_->mu);
    return impl_->recorded;
}

void server::fail_next(std::size_t count, unsigned status) {
    std::uint64_t const c = std::min<std::uint64_t>(count, (std::uint64_t{1} << 48) - 1);
    impl_->failures.store((c << 16) | (status & 0xffff), std::memory_order_relaxed);
}

void server::set_access_keys(std::vector<access_key> keys) {
    impl_->set_access_keys(std::move(keys));
}

void server::set_response_delay(std::chrono::milliseconds delay) {
    impl_->delay_ms.store(delay.count(), std::memory_order_relaxed);
}

void server::set_faults(fault_options const& faults) { impl_->set_faults(faults); }

fault_options server::faults() const {
    std::lock_guard lock(impl_->fault_mu);
    return impl_->fault_cfg;
}

std::size_t server::in_flight() const { return gauge_value(impl_->in_flight_now); }
std::size_t server::max_in_flight() const { return gauge_value(impl_->in_flight_high); }
std::size_t server::connections_open() const { return gauge_value(impl_->open_now); }
std::size_t server::max_connections_open() const { return gauge_value(impl_->open_high); }

void server::reset_stats() {
    auto& d = *impl_;
    {
        std::lock_guard lock(d.mu);
        d.recorded.clear();
        d.served.store(0, std::memory_order_relaxed);
    }
    d.accepted_base.store(d.connections.load(std::memory_order_relaxed),
                          std::memory_order_relaxed);
    d.in_flight_high.store(d.in_flight_now.load(std::memory_order_relaxed),
                           std::memory_order_relaxed);
    d.open_high.store(d.open_now.load(std::memory_order_relaxed), std::memory_order_relaxed);
}

void server::set_mutation(mutation_options const& mutation) { impl_->set_mutation(mutation); }

mutation_options server::mutation() const {
    std::lock_guard lock(impl_->list_mu);
    return impl_->mutation_cfg;
}

mutation_stats server::mutations(std::size_t project_index) const {
    std::lock_guard lock(impl_->list_mu);
    return impl_->lives.at(project_index).stats;
}

namespace {

// Each instance of a project's current list through `get` (json or id), as strings.
template <class Get>
std::vector<std::string> current_list(detail::project_dataset const& ds, live_list const& live,
                                      Get get) {
    std::vector<std::string> out;
    auto fill = [&](auto const& view) {
        out.reserve(view.size());
        for (std::size_t i = 0; i < view.size(); ++i) out.emplace_back(get(view, i));
    };
    if (live.materialised)
        fill(live_view{ds, live});
    else
        fill(dataset_view{ds});
    return out;
}

}  // namespace

std::vector<std::string> server::instances_json(std::size_t project_index) const {
    auto const& ds = impl_->datasets.at(project_index);
    std::lock_guard lock(impl_->list_mu);
    return current_list(ds, impl_->lives.at(project_index),
                        [](auto const& v, std::size_t i) { return v.json(i); });
}

std::vector<std::string> server::ids(std::size_t project_index) const {
    auto const& ds = impl_->datasets.at(project_index);
    std::lock_guard lock(impl_->list_mu);
    return current_list(ds, impl_->lives.at(project_index),
                        [](auto const& v, std::size_t i) { return v.id(i); });
}

void server::stop() { impl_->stop(); }

}  // namespace apig::emulator
