// Walks against servers that lie: a server that repeats its page
// forever, one whose total grows with fresh ids on every page, offsets near INT64_MAX, a
// claimed total of 2^62, and options above their bounds. Every walk must end with a typed
// error after the pages received before it, never hang, never overflow, never allocate for
// what the server only claims. The offset tests run under the ASan+UBSan preset in CI, where
// a signed overflow aborts.
#include "harness.hpp"
#include "paging_server.hpp"
#include "retry_detail.hpp"

#include <apig/retry.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <limits>
#include <set>

namespace asio = boost::asio;
using apig::test::paging_server;
using apig::test::run;
using std::chrono::milliseconds;

namespace {

constexpr std::int64_t max_offset = std::numeric_limits<std::int64_t>::max();

apig::client_options options_for(paging_server const& srv) {
    auto o = apig::test::trusting(srv, "tok-hostile-walk");
    o.project_id = "p-hostile-walk";
    return o;
}

bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

// A walk to its end or its error, and what it yielded.
struct walk_outcome {
    std::vector<std::string> ids;  // every instance yielded, in order
    std::size_t pages = 0;
    apig::error_info err;           // how it ended (empty: the walk completed)
    apig::walk_stats stats;
    apig::client_stats client;
    milliseconds elapsed{};
};

walk_outcome walk(paging_server const& srv, apig::list_request req, apig::page_options po,
                  apig::client_options o) {
    asio::io_context io;
    apig::client c(io.get_executor(), std::move(o));
    walk_outcome w;
    auto const start = std::chrono::steady_clock::now();
    run(io, [&]() -> asio::awaitable<void> {
        auto g = c.pages(req, po);
        while (auto p = co_await g.next(w.err)) {
            ++w.pages;
            for (auto const& i : p->instances) w.ids.push_back(i.id.value_or("<absent>"));
        }
        w.stats = g.stats();
        // After the walk's error, nothing more: the error was its last element.
        apig::error_info after;
        CHECK_FALSE(co_await g.next(after));
        CHECK_FALSE(after);
    }());
    w.elapsed = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
    w.client = c.stats();
    (void)srv;
    return w;
}
walk_outcome walk(paging_server const& srv, apig::list_request req, apig::page_options po) {
    return walk(srv, std::move(req), std::move(po), options_for(srv));
}

// The ids "i-<first>" .. "i-<last>".
std::vector<std::string> ids_from(std::int64_t first, std::int64_t last) {
    return paging_server::ids("i-", first, last - first + 1);
}

// A list that never ends: every page is full of fresh ids (`i-<offset>`...) and its total
// always says there are more.
paging_server::responder endless() {
    return [](paging_server::request_info const& r) -> std::optional<std::string> {
        return paging_server::page(r.offset + 2 * r.limit + 1'000, paging_server::ids("i-", r.offset, r.limit));
    };
}

}  // namespace

TEST_CASE("hostile walk: a server repeating its page with a huge total ends with walk_stalled after the pages before") {
    std::size_t concurrency = 1;
    SUBCASE("concurrency 1") { concurrency = 1; }
    SUBCASE("concurrency 4") { concurrency = 4; }
    CAPTURE(concurrency);
    // Offsets 0, 5, 10: fresh pages; from 15 on, always the page of offset 0.
    paging_server srv([](paging_server::request_info const& r) -> std::optional<std::string> {
        std::int64_t const from = r.offset < 15 ? r.offset : 0;
        return paging_server::page(1'000'000'000, paging_server::ids("i-", from, r.limit));
    });
    auto w = walk(srv, {}, {.page_size = 5, .concurrency = concurrency});
    std::string const what = w.err.message;
    CAPTURE(what);
    CHECK(w.ids == ids_from(0, 14));  // every page with something new, in order
    CHECK(w.pages == 3);
    CHECK(w.err.code == apig::errc::walk_stalled);
    CHECK(contains(what, "8 pages in a row (offsets 15 to 50) brought no new instance, only 40 already yielded"));
    CHECK(contains(what, "page_options.max_stalled_pages = 8"));
    CHECK(contains(what, "the latest total is 1000000000"));
    CHECK(w.stats.duplicates_dropped == 40);
    // The 11 pages taken, and at most 2 x concurrency requested ahead of the last (in flight, or
    // received and not yet taken: pager.hpp's bound), then cancelled. (The bound was C until the
    // walk let C more pages wait; a slow run, under TSan, requested 16 at C = 4.)
    CHECK(srv.requests() <= 3 + 8 + 2 * concurrency);
    CHECK(w.client.in_use == 0);
}

TEST_CASE("hostile walk: a page of duplicates now and then is not a stall") {
    // Offset 10 repeats the page of offset 5 (a list that grew at the front); then fresh ones.
    paging_server srv([](paging_server::request_info const& r) -> std::optional<std::string> {
        std::int64_t const from = r.offset == 10 ? 5 : r.offset;
        return paging_server::page(30, paging_server::ids("i-", from, r.limit));
    });
    auto w = walk(srv, {}, {.page_size = 5, .concurrency = 1, .max_stalled_pages = 1 + 1});
    CHECK_FALSE(w.err);
    CHECK(w.ids.size() == 25);
    CHECK(w.stats.duplicates_dropped == 5);
    CHECK(w.pages == 5);  // the page of duplicates yields nothing
}

TEST_CASE("hostile walk: a total that grows with fresh ids on every page: max_pages ends the walk") {
    std::size_t concurrency = 1;
    SUBCASE("concurrency 1") { concurrency = 1; }
    SUBCASE("concurrency 4") { concurrency = 4; }
    CAPTURE(concurrency);
    paging_server srv(endless());
    auto w = walk(srv, {}, {.page_size = 10, .concurrency = concurrency, .max_pages = 20});
    std::string const what = w.err.message;
    CAPTURE(what);
    CHECK(w.err.code == apig::errc::walk_limit_exceeded);
    CHECK(contains(what, "the walk needs more than page_options.max_pages = 20 pages (the next one at offset 200; the latest total is 1210)"));
    CHECK(w.ids == ids_from(0, 199));  // all 20 pages requested were handed out
    CHECK(srv.requests() == 20);        // and not one more was asked for
    CHECK(w.stats.requests == 20);
}

TEST_CASE("hostile walk: keep_duplicates turns the stall check off, max_pages still ends the walk") {
    paging_server srv([](paging_server::request_info const& r) -> std::optional<std::string> {
        return paging_server::page(1'000'000'000, paging_server::ids("i-", 0, r.limit));
    });
    auto w = walk(srv, {}, {.page_size = 5, .concurrency = 2, .keep_duplicates = true, .max_pages = 12});
    CHECK(w.err.code == apig::errc::walk_limit_exceeded);
    CHECK(w.pages == 12);
    CHECK(w.ids.size() == 60);
}

TEST_CASE("hostile walk: max_instances: exactly that many, then walk_limit_exceeded") {
    paging_server srv(endless());
    auto w = walk(srv, {}, {.page_size = 10, .concurrency = 3, .max_instances = 25});
    std::string const what = w.err.message;
    CAPTURE(what);
    CHECK(w.ids == ids_from(0, 24));
    CHECK(w.err.code == apig::errc::walk_limit_exceeded);
    CHECK(contains(what, "page_options.max_instances = 25"));

    SUBCASE("a list of exactly max_instances passes") {
        paging_server exact([](paging_server::request_info const& r) -> std::optional<std::string> {
            return paging_server::page(30, paging_server::ids("i-", r.offset, std::min<std::int64_t>(r.limit, 30 - r.offset)));
        });
        auto ok = walk(exact, {}, {.page_size = 10, .concurrency = 3, .max_instances = 30});
        CHECK_FALSE(ok.err);
        CHECK(ok.ids == ids_from(0, 29));
    }
}

TEST_CASE("hostile walk: page_options.timeout ends an endless walk with timed_out after the pages received") {
    paging_server srv(endless());
    auto w = walk(srv, {}, {.page_size = 10, .concurrency = 4, .timeout = milliseconds(300)});
    std::string const what = w.err.message;
    CAPTURE(what);
    CHECK(w.err.code == apig::errc::timed_out);
    CHECK(contains(what, "page_options.timeout = 300 ms, the walk's overall deadline"));
    CHECK(w.pages > 0);
    CHECK(w.ids == ids_from(0, static_cast<std::int64_t>(w.ids.size()) - 1));  // no gap
    CHECK(w.elapsed < milliseconds(20'000));
    CHECK(w.client.in_use == 0);
}

TEST_CASE("hostile walk: page_options.timeout cancels a request in flight that would wait for timeouts.total") {
    // Page 1 says there are 100; the server never answers another request.
    paging_server srv([](paging_server::request_info const& r) -> std::optional<std::string> {
        if (r.offset != 0) return std::nullopt;
        return paging_server::page(100, paging_server::ids("i-", 0, r.limit));
    });
    auto o = options_for(srv);
    o.timeouts.attempt = milliseconds(60'000);
    o.timeouts.total = milliseconds(120'000);
    auto w = walk(srv, {}, {.page_size = 10, .concurrency = 2, .timeout = milliseconds(200)}, o);
    CHECK(w.ids == ids_from(0, 9));
    CHECK(w.err.code == apig::errc::timed_out);
    CHECK(contains(w.err.message, "page_options.timeout = 200 ms"));
    CHECK(contains(w.err.message, "after 1 page and 10 instances"));
    CHECK(w.elapsed < milliseconds(30'000));  // long before any per-call limit
    CHECK(w.client.in_use == 0);              // the requests in flight were cancelled
}

TEST_CASE("hostile walk: an offset near INT64_MAX with full pages and a huge total: walk_limit_exceeded, no overflow") {
    // Under UBSan, `offset + received` past INT64_MAX aborts; in a release build it used to
    // wrap to a negative offset, sent (or refused as invalid_argument) after the pages.
    std::size_t concurrency = 1;
    std::optional<std::int64_t> total = max_offset;
    SUBCASE("concurrency 1") { concurrency = 1; }
    SUBCASE("concurrency 4") { concurrency = 4; }
    SUBCASE("no total, one page at a time") { total.reset(); }
    CAPTURE(concurrency);
    paging_server srv([total](paging_server::request_info const& r) -> std::optional<std::string> {
        return paging_server::page(total, paging_server::ids("i-", r.offset - (max_offset - 7), r.limit));
    });
    auto w = walk(srv, {.offset = max_offset - 7}, {.page_size = 5, .concurrency = concurrency});
    std::string const what = w.err.message;
    CAPTURE(what);
    CHECK(w.ids == ids_from(0, 9));  // offsets MAX-7 and MAX-2: both pages handed out
    CHECK(w.err.code == apig::errc::walk_limit_exceeded);
    CHECK(contains(what, "the page at offset 9223372036854775805 has 5 instances, which takes the next offset past 9223372036854775807"));
    for (auto offset : srv.offsets()) CHECK(offset >= max_offset - 7);
    CHECK(srv.requests() == 2);
}

TEST_CASE("hostile walk: page_options.concurrency above its bound: invalid_argument naming it, nothing sent") {
    paging_server srv(endless());
    for (std::size_t bad : {apig::page_options::max_concurrency + 1, std::size_t{2'147'483'647},
                            std::numeric_limits<std::size_t>::max()}) {
        CAPTURE(bad);
        auto w = walk(srv, {}, {.concurrency = bad});
        CHECK(w.err.code == apig::errc::invalid_argument);
        CHECK(contains(w.err.message, "page_options.concurrency must be at most 64 (got " + std::to_string(bad) + ")"));
        CHECK(w.pages == 0);
    }
    CHECK(srv.requests() == 0);
    auto w = walk(srv, {}, {.concurrency = apig::page_options::max_concurrency, .max_pages = 3});
    CHECK(w.pages == 3);  // the bound itself is accepted

    auto neg = walk(srv, {}, {.timeout = milliseconds(-1)});
    CHECK(neg.err.code == apig::errc::invalid_argument);
    CHECK(contains(neg.err.message, "page_options.timeout must be >= 0"));
}

TEST_CASE("hostile walk: pool.max_connections above its bound: the constructor refuses it") {
    paging_server srv(endless());
    for (std::size_t bad : {apig::pool_options::max_connections_limit + 1, std::size_t{100'000}}) {
        CAPTURE(bad);
        auto o = options_for(srv);
        o.pool.max_connections = bad;
        asio::io_context io;
        try {
            apig::client c(io.get_executor(), o);
            FAIL("accepted");
        } catch (apig::api_error const& e) {
            CHECK(e.code() == apig::errc::invalid_argument);
            CHECK(contains(e.what(), "pool.max_connections must be at most 256 (got " + std::to_string(bad) + ")"));
        }
    }
    auto o = options_for(srv);
    o.pool.max_connections = apig::pool_options::max_connections_limit;
    asio::io_context io;
    CHECK_NOTHROW(apig::client(io.get_executor(), o));
}

TEST_CASE("hostile walk: list_all reserves nothing for a claimed total of 2^62") {
    // At most concurrency x page_size; it used to reserve min(total, 1,000,000) instances.
    paging_server srv([](paging_server::request_info const&) -> std::optional<std::string> {
        return paging_server::page(std::int64_t{1} << 62, {"i-0", "i-1", "i-2"});  // a short page: the end
    });
    asio::io_context io;
    apig::client c(io.get_executor(), options_for(srv));
    auto all = run(io, c.list_all({}, {.page_size = 10, .concurrency = 4}));
    CHECK(all.size() == 3);
    CHECK(all.capacity() <= 40);
}

TEST_CASE("hostile walk: the walk's errors are distinct and never retried") {
    std::set<std::string> messages;
    apig::retry_policy p;
    for (auto code : {apig::errc::walk_stalled, apig::errc::walk_limit_exceeded}) {
        boost::system::error_code const ec = code;
        CHECK(messages.insert(ec.message()).second);
        apig::error_info e;
        e.code = ec;
        CHECK(apig::detail::classify(p, e) == apig::detail::retry_verdict::not_retryable);
    }
    for (int i = 1; i < static_cast<int>(apig::errc::walk_stalled); ++i)
        CHECK(messages.count(boost::system::error_code(static_cast<apig::errc>(i)).message()) == 0);
}
