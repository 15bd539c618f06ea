// apig_soak: 64 concurrent walkers against a faulty in-process emulator for 60 s.
//
// Three clients (token, token with a tight retry policy, AK/SK) share one 2-thread
// io_context; 64 walkers loop on random walks (pages() with next(error_info&), instances()
// with exceptions, list_all) over 100,003 instances, with random start offsets, page sizes
// and concurrency; a few walks are abandoned on purpose half-way (the generator is destroyed
// with requests in flight). Every 5 s the emulator's faults change (500, 503 with
// Retry-After 0 or 1, resets, truncation, malformed bodies, delays with jitter, close-after).
//
// Passes when:
//  - every walk either yields exactly the expected ids in order, each once (and total never
//    changes), or fails with a clean error (a retryable apig error or a transport error,
//    with a message, an attempt count and no secret in it; later next() calls return
//    nullopt); nothing else is thrown;
//  - once the time is up (the faults are then turned off and the walks in progress finish),
//    io_context::run() returns by itself on both threads, no walker is alive, and every
//    client's pool is idle;
//  - VmRSS after malloc_trim (memory in use, without the allocator's free lists) at the end
//    is at most 110% of what it was after the first 10 s. VmRSS as found is printed but not
//    judged: it holds whatever glibc's arenas have not returned to the system, which moves
//    with the order of frees rather than with what is in use (the same seed on the same
//    build gave 135.5 -> 157.9 MiB as found while the memory in use fell 116.5 -> 99.9 MiB).
//
// APIG_SOAK_SECONDS overrides the duration (default 60); APIG_SOAK_SEED the seed (default:
// random, printed).

#include <apig/apig.hpp>
#include <apig/emulator.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace asio = boost::asio;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr std::size_t instance_count = 100'003;  // the last page of most sizes is partial
constexpr int walkers = 64;
constexpr char const* token = "soak-token-3e1f9c0d7b";
constexpr char const* access_key = "SOAKAK7Q2W9E4R1T";
constexpr char const* secret_key = "soak-sk-8d6a2c4e0f";

std::uint64_t env_number(char const* name, std::uint64_t fallback) {
    char const* v = std::getenv(name);
    if (v == nullptr || *v == '\0') return fallback;
    char* end = nullptr;
    auto const n = std::strtoull(v, &end, 10);
    if (end == v || *end != '\0') {
        std::fprintf(stderr, "apig_soak: %s: not a number: %s\n", name, v);
        std::exit(2);
    }
    return n;
}

/// VmRSS of this process, KiB (0 if /proc is unreadable).
std::uint64_t rss_kib() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10);
    return 0;
}

/// VmRSS after giving free heap pages back to the system, so that the samples measure memory
/// in use rather than how the allocator's free lists happened to be laid out.
std::uint64_t trimmed_rss_kib() {
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
    return rss_kib();
}

double mib(std::uint64_t kib) { return static_cast<double>(kib) / 1024.0; }

struct rss_sample {
    double at_s = 0;
    std::uint64_t raw_kib = 0;      // VmRSS as it was
    std::uint64_t trimmed_kib = 0;  // after malloc_trim
};

struct soak {
    std::vector<std::string> ids;  // the emulator's list: what every walk must see
    clock_type::time_point start{};
    clock_type::time_point deadline{};
    std::uint64_t seed = 0;

    std::atomic<int> live{0};
    std::atomic<std::uint64_t> walks_started{0}, completed{0}, failed{0}, abandoned{0},
        wrong{0}, pages{0}, instances{0}, problems{0};
    std::atomic<std::uint64_t> by_mode[3] = {};

    std::mutex mutex;                                // guards the members below
    std::map<std::string, std::uint64_t> failures;   // "category: message" -> count
    std::vector<std::string> problem_log;            // the first few problems, for the report
    std::vector<rss_sample> rss;

    void problem(std::string what) {
        problems.fetch_add(1);
        std::lock_guard lock(mutex);
        if (problem_log.size() < 20) problem_log.push_back(std::move(what));
    }
};

/// A live-walker count that also holds for coroutines destroyed without finishing.
struct live_guard {
    std::atomic<int>& n;
    explicit live_guard(std::atomic<int>& c) : n(c) { n.fetch_add(1); }
    ~live_guard() { n.fetch_sub(1); }
    live_guard(live_guard const&) = delete;
    live_guard& operator=(live_guard const&) = delete;
};

enum class mode { pages, instances, list_all };

struct walk_plan {
    std::int64_t start = 0;
    std::int32_t page_size = 500;
    std::size_t concurrency = 4;
    mode how = mode::pages;
    std::uint64_t abandon_after = 0;  // pages; 0: walk to the end
};

std::string describe(walk_plan const& p) {
    static char const* const names[] = {"pages", "instances", "list_all"};
    return std::string(names[static_cast<int>(p.how)]) + " from " + std::to_string(p.start) +
           ", page_size " + std::to_string(p.page_size) + ", concurrency " +
           std::to_string(p.concurrency) +
           (p.abandon_after != 0 ? ", abandoned after " + std::to_string(p.abandon_after) : "");
}

walk_plan make_plan(std::mt19937_64& rng) {
    auto uniform = [&](std::uint64_t n) { return rng() % n; };
    static constexpr std::int32_t sizes[] = {500, 500, 499, 250, 100, 64, 20, 7, 1};
    static constexpr std::size_t concurrencies[] = {1, 2, 4, 8, 16};
    walk_plan p;
    p.page_size = sizes[uniform(std::size(sizes))];
    // Pages in flight times page size at most 2,000 instances: memory stays bounded, so the
    // RSS samples compare like with like.
    do {
        p.concurrency = concurrencies[uniform(std::size(concurrencies))];
    } while (p.concurrency * static_cast<std::size_t>(p.page_size) > 2000 && p.concurrency > 1);

    auto const n = static_cast<std::int64_t>(instance_count);
    auto const r = uniform(1000);
    std::int64_t pages = 0;
    if (r < 30 && p.page_size >= 250) {
        pages = (n + p.page_size - 1) / p.page_size;  // the whole list, from offset 0
    } else if (r < 240) {
        pages = 40 + static_cast<std::int64_t>(uniform(81));
    } else {
        pages = 1 + static_cast<std::int64_t>(uniform(40));
    }
    p.start = std::max<std::int64_t>(
        0, n - pages * p.page_size + static_cast<std::int64_t>(uniform(
                                         static_cast<std::uint64_t>(p.page_size))));
    if (r >= 990) p.start = n + static_cast<std::int64_t>(uniform(3));  // at or past the end

    auto const m = uniform(100);
    p.how = m < 45 ? mode::pages : m < 90 || pages > 40 ? mode::instances : mode::list_all;
    if (p.how != mode::list_all && pages >= 2 && uniform(100) < 5)
        p.abandon_after = 1 + uniform(static_cast<std::uint64_t>(pages - 1));
    return p;
}

/// A failure is clean when it is one a faulty server can cause (retryable apig errors and
/// transport errors), fully described, and free of secrets. Returns what is wrong, or "".
std::string unclean(apig::error_info const& e) {
    if (!e.code) return "a failure without an error code";
    if (e.message.empty()) return "an error without a message: " + e.code.message();
    if (e.attempts < 1) return "an error with no attempt: " + e.message;
    for (char const* secret : {token, access_key, secret_key})
        if (e.message.find(secret) != std::string::npos) return "a secret in: " + e.message;
    if (e.code.category() == apig::category()) {
        switch (static_cast<apig::errc>(e.code.value())) {
        case apig::errc::internal_server_error:
        case apig::errc::server_error:
        case apig::errc::too_many_requests:
        case apig::errc::bad_response:
        case apig::errc::timed_out:
        case apig::errc::connect_failed:
        case apig::errc::tls_handshake_failed:
            return "";
        default:
            return "an error a faulty server cannot cause: " + e.message;
        }
    }
    if (e.code == asio::error::operation_aborted)
        return "operation_aborted, but nothing was cancelled: " + e.message;
    return "";  // a transport error (reset, eof, truncated stream, ...)
}

enum class outcome { completed, failed, abandoned, wrong };

/// One walk: its plan and the checks of what it yields.
struct walk_check {
    soak& s;
    walk_plan plan;
    std::int64_t pos = plan.start;  // offset of the next instance expected

    outcome wrong(std::string const& what) {
        s.problem(describe(plan) + ": " + what);
        return outcome::wrong;
    }
    /// The next instance; false on a mismatch (recorded).
    bool next(apig::instance const& i) {
        auto const n = static_cast<std::int64_t>(s.ids.size());
        if (pos >= n || !i.id || *i.id != s.ids[static_cast<std::size_t>(pos)]) {
            wrong("at offset " + std::to_string(pos) + " got id " + i.id.value_or("<absent>") +
                  ", expected " +
                  (pos < n ? s.ids[static_cast<std::size_t>(pos)] : std::string("the end")));
            return false;
        }
        ++pos;
        return true;
    }
    /// A walk over a list that never changes: no duplicates, no change of total.
    bool stats(apig::walk_stats const& st) {
        if (st.duplicates_dropped == 0 && st.total_changes == 0) return true;
        wrong("a list that never changes showed " + std::to_string(st.duplicates_dropped) +
              " duplicates and " + std::to_string(st.total_changes) + " changes of total");
        return false;
    }
    /// The end of the walk: the error it failed with, if any.
    outcome finish(std::optional<apig::error_info> const& failure) {
        if (failure) {
            if (auto why = unclean(*failure); !why.empty()) return wrong(why);
            std::lock_guard lock(s.mutex);
            ++s.failures[std::string(failure->code.category().name()) + ": " +
                         failure->code.message()];
            return outcome::failed;
        }
        auto const end = std::max(plan.start, static_cast<std::int64_t>(s.ids.size()));
        if (pos != end)
            return wrong("the walk ended at offset " + std::to_string(pos) + " of " +
                         std::to_string(end));
        return outcome::completed;
    }
};

asio::awaitable<outcome> walk_pages(soak& s, apig::client& c, walk_check& w) {
    auto g = c.pages({.offset = w.plan.start},
                     {.page_size = w.plan.page_size, .concurrency = w.plan.concurrency});
    std::optional<apig::error_info> failure;
    std::uint64_t yielded = 0;
    for (;;) {
        apig::error_info err;
        auto page = co_await g.next(err);
        if (!page) {
            if (err) failure = err;
            break;
        }
        if (page->total != static_cast<std::int64_t>(s.ids.size()))
            co_return w.wrong("total " + std::to_string(page->total.value_or(-1)));
        for (auto const& i : page->instances)
            if (!w.next(i)) co_return outcome::wrong;
        s.pages.fetch_add(1);
        s.instances.fetch_add(page->instances.size());
        if (w.plan.abandon_after != 0 && ++yielded == w.plan.abandon_after)
            co_return outcome::abandoned;  // g goes: its requests in flight are cancelled
    }
    if (!w.stats(g.stats())) co_return outcome::wrong;
    if (failure) {
        // The failure was the walk's last element.
        apig::error_info again;
        if (co_await g.next(again) || again)
            co_return w.wrong("next() after a failure did not return nullopt");
    }
    co_return w.finish(failure);
}

asio::awaitable<outcome> walk_instances(soak& s, apig::client& c, walk_check& w) {
    auto g = c.instances({.offset = w.plan.start},
                         {.page_size = w.plan.page_size, .concurrency = w.plan.concurrency});
    std::optional<apig::error_info> failure;
    std::string other;
    try {
        while (auto i = co_await g.next()) {
            if (!w.next(*i)) co_return outcome::wrong;
            s.instances.fetch_add(1);
            if (w.plan.abandon_after != 0 && g.stats().pages >= w.plan.abandon_after) {
                s.pages.fetch_add(g.stats().pages);
                co_return outcome::abandoned;
            }
        }
    } catch (apig::api_error const& e) {
        failure = e.info();
    } catch (std::exception const& e) {
        other = e.what();
    }
    if (!other.empty()) co_return w.wrong("not an api_error: " + other);
    s.pages.fetch_add(g.stats().pages);
    if (!w.stats(g.stats())) co_return outcome::wrong;
    if (failure) {
        bool more = false;
        try {
            more = (co_await g.next()).has_value();
        } catch (std::exception const& e) {
            other = e.what();
        }
        if (!other.empty()) co_return w.wrong("next() after a failure threw again: " + other);
        if (more) co_return w.wrong("next() after a failure yielded an instance");
    }
    co_return w.finish(failure);
}

asio::awaitable<outcome> walk_list_all(soak& s, apig::client& c, walk_check& w) {
    std::optional<apig::error_info> failure;
    std::string other;
    try {
        auto all = co_await c.list_all(
            {.offset = w.plan.start},
            {.page_size = w.plan.page_size, .concurrency = w.plan.concurrency});
        for (auto const& i : all)
            if (!w.next(i)) co_return outcome::wrong;
        s.instances.fetch_add(all.size());
        auto const n = static_cast<std::int64_t>(s.ids.size());
        s.pages.fetch_add(static_cast<std::uint64_t>(
            std::max<std::int64_t>(1, (n - w.plan.start + w.plan.page_size - 1) /
                                          w.plan.page_size)));
    } catch (apig::api_error const& e) {
        failure = e.info();
    } catch (std::exception const& e) {
        other = e.what();
    }
    if (!other.empty()) co_return w.wrong("not an api_error: " + other);
    co_return w.finish(failure);
}

/// Walks until the time is up; the walk in progress then finishes.
asio::awaitable<void> walker(soak& s, apig::client& c, int index) {
    live_guard guard(s.live);
    std::mt19937_64 rng(s.seed * 1000 + static_cast<std::uint64_t>(index));
    while (clock_type::now() < s.deadline) {
        walk_check w{.s = s, .plan = make_plan(rng)};
        s.walks_started.fetch_add(1);
        s.by_mode[static_cast<int>(w.plan.how)].fetch_add(1);
        outcome o = outcome::wrong;
        switch (w.plan.how) {
        case mode::pages: o = co_await walk_pages(s, c, w); break;
        case mode::instances: o = co_await walk_instances(s, c, w); break;
        case mode::list_all: o = co_await walk_list_all(s, c, w); break;
        }
        switch (o) {
        case outcome::completed: s.completed.fetch_add(1); break;
        case outcome::failed: s.failed.fetch_add(1); break;
        case outcome::abandoned: s.abandoned.fetch_add(1); break;
        case outcome::wrong: s.wrong.fetch_add(1); break;
        }
    }
}

/// Faults, changed every 5 s; off once the time is up so the last walks end quickly.
asio::awaitable<void> fault_cycler(soak& s, apig::emulator::server& srv) {
    using ms = std::chrono::milliseconds;
    std::vector<apig::emulator::fault_options> const phases = {
        // errors, 503s asking to retry at once
        {.probability_500 = 0.03, .probability_503 = 0.03, .retry_after_seconds = 0,
         .probability_reset = 0.01, .probability_truncate = 0.01,
         .probability_malformed_json = 0.005, .delay_jitter = ms(3)},
        // 503s with Retry-After: 1, closes after 5 responses
        {.probability_500 = 0.01, .probability_503 = 0.02, .retry_after_seconds = 1,
         .probability_reset = 0.005, .delay = ms(1), .delay_jitter = ms(10),
         .close_after_requests = 5},
        // slow: the tight client's 250 ms attempt limit expires now and then
        {.probability_500 = 0.01, .probability_truncate = 0.005, .delay = ms(5),
         .delay_jitter = ms(300), .close_after_requests = 3},
        // churn: every connection is closed after one response, a few resets and cut bodies
        {.probability_reset = 0.005, .probability_truncate = 0.005, .delay_jitter = ms(5),
         .close_after_requests = 1},
    };
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (std::uint64_t i = 0; clock_type::now() < s.deadline; ++i) {
        auto f = phases[i % phases.size()];
        f.seed = s.seed + i;
        srv.set_faults(f);
        timer.expires_at(std::min(clock_type::now() + 5s, s.deadline));
        co_await timer.async_wait(asio::use_awaitable);
    }
    srv.set_faults({});
}

/// VmRSS at 10 s (earlier for a run shorter than 20 s), then every 10 s until the time is up.
asio::awaitable<void> rss_sampler(soak& s) {
    auto const total = s.deadline - s.start;
    auto const first = std::min<clock_type::duration>(10s, total / 2);
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (auto at = s.start + first; at < s.deadline; at += 10s) {
        timer.expires_at(at);
        co_await timer.async_wait(asio::use_awaitable);
        rss_sample r;
        r.at_s = std::chrono::duration<double>(clock_type::now() - s.start).count();
        r.raw_kib = rss_kib();
        r.trimmed_kib = trimmed_rss_kib();
        std::lock_guard lock(s.mutex);
        s.rss.push_back(r);
    }
}

}  // namespace

int main() {
    auto const seconds = env_number("APIG_SOAK_SECONDS", 60);
    soak s;
    s.seed = env_number("APIG_SOAK_SEED", std::random_device{}());
    std::printf("apig_soak: %llu s, %d walkers, %zu instances, seed %llu\n",
                static_cast<unsigned long long>(seconds), walkers, instance_count,
                static_cast<unsigned long long>(s.seed));
    std::fflush(stdout);

    apig::emulator::server srv({
        .token = token,
        .access_keys = {{.ak = access_key, .sk = secret_key}},
        .instance_count = instance_count,
        .threads = 2,
        .idle_timeout = 2s,
        .record_requests = false,  // bounded memory
    });
    s.ids = srv.ids();

    auto base = [&] {
        apig::client_options o;
        o.endpoint = srv.endpoint();
        o.project_id = "73d69ae0cfcf460190522d06b60f05ad";
        o.credentials = apig::token_credentials{token};
        o.tls.use_system_trust_store = false;
        o.tls.ca_pem = srv.ca_pem();
        o.retry.initial_backoff = 5ms;
        o.retry.max_backoff = 1s;  // Retry-After: 1 is honoured in full
        o.timeouts.attempt = 10s;
        return o;
    };
    // Patient: the defaults, with quicker backoff.
    auto a = base();
    // Tight: two attempts, a 250 ms attempt limit, connections retired after 25 requests and
    // closed after 200 ms idle; walks fail here.
    auto b = base();
    b.retry.max_attempts = 2;
    b.timeouts.attempt = 250ms;
    b.pool.max_connections = 16;
    b.pool.max_requests_per_connection = 25;
    b.pool.idle_timeout = 200ms;
    // Signed: AK/SK, a small pool.
    auto c = base();
    c.credentials = apig::aksk_credentials{.ak = access_key, .sk = secret_key};
    c.pool.max_connections = 4;

    asio::io_context io(2);
    std::vector<std::unique_ptr<apig::client>> clients;
    for (auto* o : {&a, &b, &c}) clients.push_back(std::make_unique<apig::client>(io.get_executor(), *o));

    s.start = clock_type::now();
    s.deadline = s.start + std::chrono::seconds(seconds);
    auto on_done = [&](std::exception_ptr e) {
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (std::exception const& x) {
            s.problem(std::string("an exception escaped a coroutine: ") + x.what());
        } catch (...) {
            s.problem("an unknown exception escaped a coroutine");
        }
    };
    for (int i = 0; i < walkers; ++i)
        asio::co_spawn(io, walker(s, *clients[static_cast<std::size_t>(i) % clients.size()], i),
                       on_done);
    asio::co_spawn(io, fault_cycler(s, srv), on_done);
    asio::co_spawn(io, rss_sampler(s), on_done);

    // A watchdog: if run() has not returned 120 s after the time is up, something is stuck.
    std::mutex done_mutex;
    std::condition_variable done_cv;
    bool done = false;
    std::thread watchdog([&] {
        std::unique_lock lock(done_mutex);
        if (!done_cv.wait_until(lock, s.deadline + 120s, [&] { return done; })) {
            std::printf("apig_soak: FAILED: io_context::run() has not returned 120 s after the "
                        "end; %d walkers still alive\n",
                        s.live.load());
            std::fflush(stdout);
            std::_Exit(1);
        }
    });
    std::thread second([&] { io.run(); });
    io.run();
    second.join();
    auto const drained_s = std::chrono::duration<double>(clock_type::now() - s.deadline).count();
    {
        std::lock_guard lock(done_mutex);
        done = true;
    }
    done_cv.notify_one();
    watchdog.join();

    // Everything has finished: the pools must be idle, the walkers gone.
    bool ok = true;
    auto fail = [&](std::string const& why) {
        std::printf("apig_soak: FAILED: %s\n", why.c_str());
        ok = false;
    };
    if (s.live.load() != 0) fail(std::to_string(s.live.load()) + " walkers still alive");
    char const* const client_names[] = {"patient", "tight", "signed"};
    for (std::size_t i = 0; i < clients.size(); ++i) {
        auto const st = clients[i]->stats();
        std::printf("apig_soak: client %-7s requests %llu, retries %llu, replays %llu, "
                    "connections created %llu, reused %llu, waits %llu, open %zu, idle %zu, "
                    "in use %zu, retry tokens %u\n",
                    client_names[i], static_cast<unsigned long long>(st.requests),
                    static_cast<unsigned long long>(st.retries),
                    static_cast<unsigned long long>(st.replays),
                    static_cast<unsigned long long>(st.created),
                    static_cast<unsigned long long>(st.reused),
                    static_cast<unsigned long long>(st.waits), st.open, st.idle, st.in_use,
                    st.retry_tokens);
        if (st.in_use != 0 || st.open != st.idle)
            fail(std::string("client ") + client_names[i] + "'s pool is not idle");
    }
    rss_sample end;
    end.at_s = std::chrono::duration<double>(clock_type::now() - s.start).count();
    end.raw_kib = rss_kib();
    end.trimmed_kib = trimmed_rss_kib();

    std::printf("apig_soak: emulator connections %zu, requests %zu\n",
                srv.connections_accepted(), srv.requests_served());
    std::printf("apig_soak: walks by kind: pages %llu, instances %llu, list_all %llu\n",
                static_cast<unsigned long long>(s.by_mode[0].load()),
                static_cast<unsigned long long>(s.by_mode[1].load()),
                static_cast<unsigned long long>(s.by_mode[2].load()));
    for (auto const& [what, count] : s.failures)
        std::printf("apig_soak: failed walks: %llu x %s\n", static_cast<unsigned long long>(count),
                    what.c_str());
    std::string samples;
    for (auto const& r : s.rss) {
        char buf[96];
        std::snprintf(buf, sizeof buf, "%s%.0f s %.1f MiB (%.1f)", samples.empty() ? "" : ", ",
                      r.at_s, mib(r.trimmed_kib), mib(r.raw_kib));
        samples += buf;
    }
    std::printf("apig_soak: RSS samples, after malloc_trim (as found): %s, end %.1f MiB (%.1f)\n",
                samples.c_str(), mib(end.trimmed_kib), mib(end.raw_kib));

    // The leak test is VmRSS after malloc_trim: memory in use, less the allocator's free
    // lists (see the top of this file for why VmRSS as found is only printed).
    if (s.rss.empty() || s.rss.front().trimmed_kib == 0 || end.raw_kib == 0) {
        fail("no RSS sample");
    } else {
        auto const& first = s.rss.front();
        if (static_cast<double>(end.trimmed_kib) > 1.10 * static_cast<double>(first.trimmed_kib))
            fail("VmRSS after malloc_trim grew by more than 10% after the first sample");
    }
    auto const walks =
        s.completed.load() + s.failed.load() + s.abandoned.load() + s.wrong.load();
    if (s.completed.load() == 0) fail("no walk completed");
    if (s.problems.load() != 0) {
        fail(std::to_string(s.problems.load()) + " problems (" + std::to_string(s.wrong.load()) +
             " walks went wrong), the first of them:");
        for (auto const& p : s.problem_log) std::printf("apig_soak:   %s\n", p.c_str());
    }
    if (walks != s.walks_started.load())
        fail("walks started " + std::to_string(s.walks_started.load()) + " != walks ended " +
             std::to_string(walks));

    std::printf("apig_soak: %s: %llu s, %d walkers: walks completed %llu, failed cleanly %llu, "
                "abandoned %llu, wrong %llu; pages %llu, instances %llu; drained in %.1f s; "
                "RSS as found at %.0f s %.1f MiB, at end %.1f MiB; after malloc_trim "
                "%.1f MiB, %.1f MiB (limit %.1f)\n",
                ok ? "PASSED" : "FAILED", static_cast<unsigned long long>(seconds), walkers,
                static_cast<unsigned long long>(s.completed.load()),
                static_cast<unsigned long long>(s.failed.load()),
                static_cast<unsigned long long>(s.abandoned.load()),
                static_cast<unsigned long long>(s.wrong.load()),
                static_cast<unsigned long long>(s.pages.load()),
                static_cast<unsigned long long>(s.instances.load()), drained_s,
                s.rss.empty() ? 0.0 : s.rss.front().at_s,
                s.rss.empty() ? 0.0 : mib(s.rss.front().raw_kib), mib(end.raw_kib),
                s.rss.empty() ? 0.0 : mib(s.rss.front().trimmed_kib), mib(end.trimmed_kib),
                s.rss.empty() ? 0.0 : 1.10 * mib(s.rss.front().trimmed_kib));
    return ok ? 0 : 1;
}
