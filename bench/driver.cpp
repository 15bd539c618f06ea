// apig-bench: drives apig's public client against a ListInstancesV2 server (the emulator) and
// prints one JSON line of results. bench/run starts the emulator and calls this; see
// bench/README.md for what each number means.
//
// Modes (all with TLS verification on, the CA from --ca):
//   loop    C coroutines, each issuing list_instances back to back over distinct offsets, on
//           a client with pool.max_connections = C: the equivalent of wrk's C connections.
//   walk    client.pages() with page_options{page_size = limit, concurrency = C}: the walk a
//           user writes. Its first page is alone (it learns `total`), then C pages are in
//           flight; pages are yielded in offset order.
//   Both hand each page back once counted (list_instances(req, page), pages.recycle(page)), as
//   a throughput-minded caller does; --fresh-pages measures the plain calls instead.
//   stream  client.instances() over the whole list (every instance, once), reporting the
//           process's peak RSS: the memory bound of a walk.
//   With --rate (client_options::rate_limit), every attempt's start is recorded through the
//   attempt hook (its end minus its latency, which runs from taking a connection) and the
//   line adds the target, the achieved rate and the most attempts started in any one-second
//   window; --duration S makes the loop run S seconds instead of --pages pages.
//
// The fixed amount of work: --warmup-pages first (same connections, not measured), then
// --pages pages measured. Offsets wrap around the list, so any page count works on any list.
// The token comes from $APIG_AUTH_TOKEN, else $APIG_EMULATOR_TOKEN, else the emulator's
// default; it is never printed.

// g++ 12 at -O3 warns falsely that Asio's awaitable frame, from its own operator new, is
// released with free() (-Wmismatched-new-delete: Asio's recycling allocator does both ends).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <apig/apig.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;

constexpr std::string_view usage = R"(usage: apig-bench --endpoint https://127.0.0.1:PORT --ca CA.pem [options]

  --mode loop|walk|stream  loop: C independent loops of list_instances (wrk's model);
                           walk: client.pages(); stream: client.instances() over the
                           whole list, reporting peak RSS (default loop)
  --limit L                page size, 1..500 (default 500)
  --concurrency C          loops / pages in flight / pool connections (default 4)
  --pages N                pages measured (default 2000; stream: ignored)
  --warmup-pages N         pages fetched first, not measured (default 200; stream: 0)
  --offset N               first offset (default 0); offsets wrap around the list
  --whole-list             walk: the measured phase is one walk from --offset to the
                           list's end (each page once, the first alone); --pages is
                           ignored; the warm-up (--warmup-pages) is C loops before it
  --project-id ID          (default 73d69ae0cfcf460190522d06b60f05ad)
  --single-thread          client_options::thread_safe = false (no strand; the bench
                           runs its io_context on one thread)
  --keep-duplicates        walk/stream: page_options.keep_duplicates = true
  --fresh-pages            loop/walk: a new page each call, not the previous page
                           recycled (list_instances(req) instead of (req, page);
                           no page_generator::recycle)
  --label TEXT             copied into the result line
  --rate R                 client_options::rate_limit: R requests/s (default: none)
  --burst B                with --rate: the limiter's burst (default: the library's, 1)
  --duration S             loop: run S seconds (after the warm-up) instead of --pages

The token: $APIG_AUTH_TOKEN, else $APIG_EMULATOR_TOKEN, else "emulator-token".
Prints one JSON line: pages, instances, bytes, seconds, pages_per_s, instances_per_s,
mb_per_s (1e6 bytes), p50_ms, p99_ms, cpu_s, cpu_s_per_1000_pages, peak_rss_kib, ...
)";

struct config {
    std::string endpoint;
    std::string ca;
    std::string mode = "loop";
    std::string project_id = "73d69ae0cfcf460190522d06b60f05ad";
    std::string label;
    std::int32_t limit = 500;
    std::size_t concurrency = 4;
    std::uint64_t pages = 2000;
    std::uint64_t warmup_pages = 200;
    std::int64_t offset = 0;
    bool keep_duplicates = false;
    bool fresh_pages = false;
    bool single_thread = false;
    bool warmup_given = false;
    bool whole_list = false;
    double rate = 0;          // --rate: requests/s; 0: no limit
    std::uint32_t burst = 0;  // --burst: 0, the library's default
    double duration = 0;      // --duration: seconds; 0: --pages decides
};

double to_real(std::string_view flag, std::string_view text) {
    double v = 0;
    auto const r = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || r.ec != std::errc{} || r.ptr != text.data() + text.size() || !(v > 0) || v > 1e9)
        throw std::invalid_argument(std::string(flag) + ": expected a positive number, got " + std::string(text));
    return v;
}

std::uint64_t to_number(std::string_view flag, std::string_view text) {
    std::uint64_t v = 0;
    auto const r = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || r.ec != std::errc{} || r.ptr != text.data() + text.size())
        throw std::invalid_argument(std::string(flag) + ": not a number: " + std::string(text));
    return v;
}

config parse(int argc, char** argv) {
    config c;
    std::vector<std::string_view> args(argv + 1, argv + argc);
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string_view const a = args[i];
        auto next = [&]() -> std::string_view {
            if (i + 1 >= args.size()) throw std::invalid_argument(std::string(a) + " needs a value");
            return args[++i];
        };
        if (a == "--help" || a == "-h") {
            std::fputs(usage.data(), stdout);
            std::exit(0);
        } else if (a == "--endpoint") {
            c.endpoint = next();
        } else if (a == "--ca") {
            c.ca = next();
        } else if (a == "--mode") {
            c.mode = next();
            if (c.mode != "loop" && c.mode != "walk" && c.mode != "stream")
                throw std::invalid_argument("--mode: loop, walk or stream");
        } else if (a == "--limit") {
            c.limit = static_cast<std::int32_t>(to_number(a, next()));
            if (c.limit < 1 || c.limit > 500) throw std::invalid_argument("--limit: 1..500");
        } else if (a == "--concurrency") {
            c.concurrency = static_cast<std::size_t>(to_number(a, next()));
            // The library's bounds: page_options::max_concurrency for a walk (64), and the
            // pool's max_connections_limit (256) for the loops' connections.
            if (c.concurrency < 1 || c.concurrency > apig::page_options::max_concurrency)
                throw std::invalid_argument("--concurrency: 1.." + std::to_string(apig::page_options::max_concurrency));
        } else if (a == "--pages") {
            c.pages = to_number(a, next());
            if (c.pages == 0) throw std::invalid_argument("--pages: at least 1");
        } else if (a == "--warmup-pages") {
            c.warmup_pages = to_number(a, next());
            c.warmup_given = true;
        } else if (a == "--offset") {
            c.offset = static_cast<std::int64_t>(to_number(a, next()));
        } else if (a == "--project-id") {
            c.project_id = next();
        } else if (a == "--single-thread") {
            c.single_thread = true;
        } else if (a == "--fresh-pages") {
            c.fresh_pages = true;
        } else if (a == "--whole-list") {
            c.whole_list = true;
        } else if (a == "--keep-duplicates") {
            c.keep_duplicates = true;
        } else if (a == "--label") {
            c.label = next();
        } else if (a == "--rate") {
            c.rate = to_real(a, next());
        } else if (a == "--burst") {
            c.burst = static_cast<std::uint32_t>(to_number(a, next()));
            if (c.burst == 0) throw std::invalid_argument("--burst: at least 1");
        } else if (a == "--duration") {
            c.duration = to_real(a, next());
        } else {
            throw std::invalid_argument("unknown option: " + std::string(a));
        }
    }
    if (c.endpoint.empty() || c.ca.empty())
        throw std::invalid_argument("--endpoint and --ca are required");
    if (c.mode == "stream" && !c.warmup_given) c.warmup_pages = 0;
    if (c.whole_list && c.mode != "walk") throw std::invalid_argument("--whole-list: only with --mode walk");
    if (c.duration > 0 && c.mode != "loop") throw std::invalid_argument("--duration: loop mode only");
    if (c.burst > 0 && c.rate == 0) throw std::invalid_argument("--burst: only with --rate");
    return c;
}

std::string token_from_env() {
    for (char const* name : {"APIG_AUTH_TOKEN", "APIG_EMULATOR_TOKEN"})
        if (char const* v = std::getenv(name); v != nullptr && *v != '\0') return v;
    return "emulator-token";
}

double cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    auto tv = [](timeval t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
    return tv(ru.ru_utime) + tv(ru.ru_stime);
}

// VmHWM (peak resident set), in KiB; ru_maxrss if /proc is not there.
long peak_rss_kib() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmHWM:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

double percentile_ms(std::vector<std::uint32_t>& us, double p) {
    if (us.empty()) return 0;
    auto const k = static_cast<std::size_t>(p * static_cast<double>(us.size() - 1) + 0.5);
    std::nth_element(us.begin(), us.begin() + static_cast<std::ptrdiff_t>(k), us.end());
    return us[k] / 1000.0;
}

// What one measured phase counted.
struct tally {
    std::uint64_t pages = 0;
    std::uint64_t instances = 0;
    std::uint64_t named = 0;  // instances with an id: uses the decoded data
    std::vector<std::uint32_t> latency_us;
    bool recording = false;

    void page(apig::instance_page const& p) {
        ++pages;
        instances += p.instances.size();
        for (auto const& i : p.instances) named += i.id.has_value();
    }
};

// C loops of list_instances; page k of the run is at offset (first + k) * limit, wrapped.
// With `until`, the loops start calls until then, whatever `pages` says.
asio::awaitable<void> loop_phase(apig::client& c, config const& cfg, std::int64_t total,
                                 std::uint64_t first_page, std::uint64_t pages, tally& t,
                                 std::optional<clock_type::time_point> until = std::nullopt) {
    std::int64_t const pages_in_list = std::max<std::int64_t>(1, total / cfg.limit);
    std::uint64_t next = 0;
    std::size_t running = cfg.concurrency;
    std::exception_ptr failure;
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer done(ex, clock_type::time_point::max());
    for (std::size_t w = 0; w < cfg.concurrency; ++w) {
        asio::co_spawn(
            ex,
            [&]() -> asio::awaitable<void> {
                apig::instance_page p;  // each loop hands its page back as the next one's storage
                while ((until ? clock_type::now() < *until : next < pages) && !failure) {
                    std::uint64_t const k = first_page + next++;
                    apig::list_request req{
                        .offset = static_cast<std::int64_t>(k % static_cast<std::uint64_t>(pages_in_list)) * cfg.limit,
                        .limit = cfg.limit};
                    auto const t0 = clock_type::now();
                    // (No co_await inside ?: — g++ 12 miscompiles that.)
                    if (cfg.fresh_pages) p = co_await c.list_instances(req);
                    else p = co_await c.list_instances(req, std::move(p));
                    auto const us = std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - t0);
                    if (t.recording) t.latency_us.push_back(static_cast<std::uint32_t>(us.count()));
                    t.page(p);
                }
            },
            [&](std::exception_ptr e) {
                if (e && !failure) failure = e;
                if (--running == 0) done.cancel();
            });
    }
    boost::system::error_code ec;
    if (running > 0) co_await done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (failure) std::rethrow_exception(failure);
}

// client.pages() from `offset`, `pages` pages; a walk that reaches the end starts again at 0.
asio::awaitable<void> walk_phase(apig::client& c, config const& cfg, std::int64_t offset,
                                 std::uint64_t pages, tally& t) {
    std::uint64_t got = 0;
    while (got < pages) {
        auto gen = c.pages({.offset = offset},
                           {.page_size = cfg.limit, .concurrency = cfg.concurrency,
                            .keep_duplicates = cfg.keep_duplicates});
        std::uint64_t before = got;
        while (got < pages) {
            auto p = co_await gen.next();
            if (!p) break;
            t.page(*p);
            ++got;
            if (!cfg.fresh_pages) gen.recycle(std::move(*p));
        }
        if (got == before) throw std::runtime_error("walk: no page at offset " + std::to_string(offset));
        offset = 0;
    }
}

// Where the measured walk starts: at the loops' first page, unless its pages would then cross
// the list's end, and fit in the list. There a walk ends (its last C pages drain, fewer and
// fewer in flight) and a new one starts (its first page alone): two ramps, a round trip or
// two each, which C loops wrapping around the list never pay (1 to 2% of a 2,000-page run at
// limit 500, C = 16, where a round trip is 6 to 9 ms). Started earlier, it is one walk of the
// same number of pages: at limit 500, 2,000 pages, the whole list, the very pages the loops
// fetch (in another order).
std::uint64_t walk_first_page(std::uint64_t first_page, std::uint64_t pages, std::uint64_t pages_in_list) {
    if (first_page + pages <= pages_in_list || pages > pages_in_list) return first_page;
    return pages_in_list - pages;
}

struct result {
    tally t;
    double seconds = 0;
    double cpu = 0;
    std::uint64_t bytes = 0;
    std::int64_t total = 0;
    std::uint64_t connections_measured = 0;  // --whole-list: opened during the measured walk
    std::vector<clock_type::time_point> starts;  // every attempt's start, with --rate
};

// The most of `starts` in any window [s, s + w].
std::size_t max_in_window(std::vector<clock_type::time_point> starts, clock_type::duration w) {
    std::sort(starts.begin(), starts.end());
    std::size_t best = 0, j = 0;
    for (std::size_t i = 0; i < starts.size(); ++i) {
        while (starts[i] - starts[j] > w) ++j;
        best = std::max(best, i - j + 1);
    }
    return best;
}

asio::awaitable<void> run(apig::client& c, config const& cfg, result& r) {
    // The list's size (for wrapping offsets), from one small page.
    apig::instance_page first = co_await c.list_instances({.offset = 0, .limit = 1});
    r.total = first.total.value_or(0);
    if (r.total <= 0) throw std::runtime_error("the server lists no instances");

    if (cfg.mode == "stream") {
        auto gen = c.instances({.offset = cfg.offset},
                               {.page_size = cfg.limit, .concurrency = cfg.concurrency,
                                .keep_duplicates = cfg.keep_duplicates});
        auto const bytes0 = c.stats().bytes;
        double const cpu0 = cpu_seconds();
        auto const t0 = clock_type::now();
        while (auto i = co_await gen.next()) {
            ++r.t.instances;
            r.t.named += i->id.has_value();
        }
        r.seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
        r.cpu = cpu_seconds() - cpu0;
        r.bytes = c.stats().bytes - bytes0;
        r.t.pages = gen.stats().pages;
        co_return;
    }

    std::uint64_t const pages_in_list = static_cast<std::uint64_t>(std::max<std::int64_t>(1, r.total / cfg.limit));
    // Warm-up: connections opened, TLS sessions established, allocator and caches warm.
    if (cfg.warmup_pages > 0) {
        tally warm;
        // Walks warm up with loops too: C requests at once open C connections, and none is
        // cancelled. A walk stopped after N pages cancels its requests ahead, and with them
        // their connections: the measured walk would open (and handshake) C connections
        // again, which the loop it is compared with does not (27 to 32 created at C = 16
        // instead of 16). The warm-up warms the client, not the walk: each walk is new.
        co_await loop_phase(c, cfg, r.total, 0, cfg.warmup_pages, warm);
    }
    if (cfg.whole_list) {  // one walk, from --offset to the end: what a user's walk does
        r.t.recording = true;
        auto const bytes0 = c.stats().bytes;
        auto const created0 = c.stats().created;
        double const cpu0 = cpu_seconds();
        auto const t0 = clock_type::now();
        auto gen = c.pages({.offset = cfg.offset},
                           {.page_size = cfg.limit, .concurrency = cfg.concurrency,
                            .keep_duplicates = cfg.keep_duplicates});
        while (auto p = co_await gen.next()) {
            r.t.page(*p);
            if (!cfg.fresh_pages) gen.recycle(std::move(*p));
        }
        r.seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
        r.cpu = cpu_seconds() - cpu0;
        r.bytes = c.stats().bytes - bytes0;
        r.connections_measured = c.stats().created - created0;
        co_return;
    }
    // The measured run starts after the warm-up's pages, so it fetches pages not fetched yet
    // (as far as the list allows).
    std::uint64_t const first_page = (cfg.warmup_pages + static_cast<std::uint64_t>(cfg.offset / cfg.limit)) % pages_in_list;
    r.t.latency_us.reserve(cfg.pages);
    r.t.recording = true;
    auto const bytes0 = c.stats().bytes;
    double const cpu0 = cpu_seconds();
    auto const t0 = clock_type::now();
    auto const run_for = std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(cfg.duration));
    if (cfg.mode == "loop" && cfg.duration > 0)
        co_await loop_phase(c, cfg, r.total, first_page, cfg.pages, r.t, t0 + run_for);
    else if (cfg.mode == "loop")
        co_await loop_phase(c, cfg, r.total, first_page, cfg.pages, r.t);
    else  // one walk where the list allows (see walk_first_page)
        co_await walk_phase(c, cfg, static_cast<std::int64_t>(walk_first_page(first_page, cfg.pages, pages_in_list)) * cfg.limit,
                            cfg.pages, r.t);
    r.seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
    r.cpu = cpu_seconds() - cpu0;
    r.bytes = c.stats().bytes - bytes0;
}

void print_json(config const& cfg, result& r, apig::client_stats const& s) {
    auto& t = r.t;
    double const secs = r.seconds > 0 ? r.seconds : 1e-9;
    double const p50 = percentile_ms(t.latency_us, 0.50);
    double const p99 = percentile_ms(t.latency_us, 0.99);
    std::printf(
        "{\"tool\":\"apig\",\"mode\":\"%s\",\"label\":\"%s\",\"limit\":%d,\"concurrency\":%zu,\"fresh_pages\":%s,\"thread_safe\":%s,"
        "\"pages\":%llu,\"instances\":%llu,\"bytes\":%llu,\"seconds\":%.6f,"
        "\"pages_per_s\":%.1f,\"instances_per_s\":%.1f,\"mb_per_s\":%.2f,"
        "\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"latency_samples\":%zu,\"cpu_s\":%.4f,"
        "\"cpu_s_per_1000_pages\":%.4f,\"peak_rss_kib\":%ld,\"total\":%lld,"
        "\"whole_list\":%s,\"connections_measured\":%llu,\"connections_created\":%llu,\"retries\":%llu,\"replays\":%llu,\"ids\":%llu",
        cfg.mode.c_str(), cfg.label.c_str(), cfg.limit, cfg.concurrency, cfg.fresh_pages ? "true" : "false",
        cfg.single_thread ? "false" : "true",
        static_cast<unsigned long long>(t.pages), static_cast<unsigned long long>(t.instances),
        static_cast<unsigned long long>(r.bytes), r.seconds, static_cast<double>(t.pages) / secs,
        static_cast<double>(t.instances) / secs, static_cast<double>(r.bytes) / 1e6 / secs, p50,
        p99, t.latency_us.size(), r.cpu,
        t.pages ? r.cpu * 1000.0 / static_cast<double>(t.pages) : 0.0, peak_rss_kib(),
        static_cast<long long>(r.total), cfg.whole_list ? "true" : "false",
        static_cast<unsigned long long>(r.connections_measured),
        static_cast<unsigned long long>(s.created),
        static_cast<unsigned long long>(s.retries), static_cast<unsigned long long>(s.replays),
        static_cast<unsigned long long>(t.named));
    if (cfg.rate > 0) {
        // Achieved: the measured phase's requests over its seconds. The window covers every
        // attempt of the run, the first page and the warm-up included.
        auto const burst = cfg.burst ? cfg.burst : apig::rate_limiter({.requests_per_second = cfg.rate}).options().burst;
        std::printf(",\"target_rate\":%.3f,\"burst\":%u,\"achieved_rate\":%.3f,\"achieved_ratio\":%.4f,"
                    "\"attempts\":%zu,\"max_1s_window\":%zu,\"window_bound\":%.1f,\"rate_limited\":%llu,"
                    "\"rate_limit_wait_s\":%.3f",
                    cfg.rate, burst, static_cast<double>(t.pages) / secs, static_cast<double>(t.pages) / secs / cfg.rate,
                    r.starts.size(), max_in_window(r.starts, std::chrono::seconds(1)), burst + cfg.rate,
                    static_cast<unsigned long long>(s.rate_limited), s.rate_limit_wait.count() / 1e6);
    }
    std::printf("}\n");
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
    config cfg;
    try {
        cfg = parse(argc, argv);
    } catch (std::exception const& e) {
        std::fprintf(stderr, "apig-bench: %s\n(see --help)\n", e.what());
        return 2;
    }
    try {
        asio::io_context io(1);
        apig::client_options o;
        o.endpoint = cfg.endpoint;
        o.project_id = cfg.project_id;
        o.credentials = apig::token_credentials{token_from_env()};
        o.tls.ca_file = cfg.ca;                  // verification stays on
        o.tls.use_system_trust_store = false;    // only the emulator's CA: less to load
        o.pool.max_connections = cfg.concurrency;
        o.thread_safe = !cfg.single_thread;
        // Per-page latency of walks: the attempt's own time (taking a connection to the end
        // of the response), as the pager has no per-page clock of its own.
        result r;
        if (cfg.rate > 0) {
            o.rate_limit = {.requests_per_second = cfg.rate, .burst = cfg.burst};
            // One thread runs the io_context: the hook needs no lock.
            o.on_attempt = [&r](apig::attempt_info const& a) {
                r.starts.push_back(clock_type::now() - a.latency);
            };
        } else if (cfg.mode == "walk") {
            o.on_attempt = [&r](apig::attempt_info const& a) {
                if (r.t.recording && a.error == nullptr) r.t.latency_us.push_back(static_cast<std::uint32_t>(a.latency.count()));
            };
        }
        apig::client c(io.get_executor(), std::move(o));
        std::exception_ptr failure;
        asio::co_spawn(io, run(c, cfg, r), [&](std::exception_ptr e) { failure = e; });
        io.run();
        if (failure) std::rethrow_exception(failure);
        print_json(cfg, r, c.stats());
        return 0;
    } catch (std::exception const& e) {
        std::fprintf(stderr, "apig-bench: %s\n", e.what());
        return 1;
    }
}
