// Walks: pages() / instances() / list_all() against the in-process emulator.
#include "harness.hpp"

#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <doctest/doctest.h>

#include <future>
#include <memory>
#include <set>
#include <thread>

namespace asio = boost::asio;
using apig::test::options_for;
using apig::test::run;
using std::chrono::milliseconds;

namespace {

// Options for walks under injected faults: quick retries, enough attempts that a page fails
// for good with negligible probability (0.35^12 per page).
apig::client_options tolerant(apig::emulator::server const& srv) {
    auto o = options_for(srv);
    o.retry.max_attempts = 12;
    o.retry.initial_backoff = milliseconds(1);
    o.retry.max_backoff = milliseconds(5);
    o.retry_budget.enabled = false;
    return o;
}

std::vector<std::string> walk_ids(apig::client& c, asio::io_context& io, apig::page_options po,
                                  apig::list_request req = {}) {
    std::vector<std::string> ids;
    run(io, [&]() -> asio::awaitable<void> {
        auto g = c.instances(req, po);
        while (auto i = co_await g.next()) ids.push_back(i->id.value_or("<absent>"));
    }());
    return ids;
}

}  // namespace

TEST_CASE("10,001 instances walked at concurrency 1, 4 and 16: every id once, in order") {
    apig::emulator::server srv({.instance_count = 10'001, .threads = 2});
    auto const expected = srv.ids();
    for (std::size_t n : {1u, 4u, 16u}) {
        CAPTURE(n);
        auto o = options_for(srv);
        o.pool.max_connections = n;
        asio::io_context io;
        apig::client c(io.get_executor(), o);
        srv.reset_stats();
        CHECK(walk_ids(c, io, {.page_size = 500, .concurrency = n}) == expected);
        CHECK(srv.requests_served() == 21);  // 20 full pages and one of 1 instance
        CHECK(srv.max_in_flight() <= n);
        CHECK(c.stats().in_use == 0);
    }
}

TEST_CASE("the same walk with 30% 500s and 5% resets injected") {
    apig::emulator::server srv({.instance_count = 10'001,
                                .threads = 2,
                                .faults = {.probability_500 = 0.30, .probability_reset = 0.05, .seed = 7}});
    auto const expected = srv.ids();
    for (std::size_t n : {1u, 4u, 16u}) {
        CAPTURE(n);
        auto o = tolerant(srv);
        o.pool.max_connections = n;
        asio::io_context io;
        apig::client c(io.get_executor(), o);
        CHECK(walk_ids(c, io, {.page_size = 500, .concurrency = n}) == expected);
        CHECK(c.stats().retries > 0);
        CHECK(c.stats().in_use == 0);
    }
}

TEST_CASE("a slow consumer holds the walk back: at most N requests in flight, N more pages waiting") {
    apig::emulator::server srv({.instance_count = 2'000});
    auto o = options_for(srv);
    o.pool.max_connections = 8;
    asio::io_context io;
    apig::client c(io.get_executor(), o);
    std::size_t const n = 3;
    std::uint64_t pages = 0;
    run(io, [&]() -> asio::awaitable<void> {
        auto g = c.pages({}, {.page_size = 100, .concurrency = n});
        while (auto p = co_await g.next()) {
            ++pages;
            // Requests started so far never exceed what was taken plus N in flight and N
            // waiting to be taken.
            CHECK(g.stats().requests <= pages + 2 * n);
            asio::steady_timer t(co_await asio::this_coro::executor, milliseconds(5));
            co_await t.async_wait(asio::use_awaitable);  // the consumer is busy
        }
    }());
    CHECK(pages == 20);
    CHECK(srv.max_in_flight() <= n);
    CHECK(srv.requests_served() == 20);
}

TEST_CASE("breaking out early or destroying the generator cancels its requests and frees the pool") {
    apig::emulator::server srv({.instance_count = 5'000});
    srv.set_response_delay(milliseconds(30));
    auto o = options_for(srv);
    o.pool.max_connections = 8;
    asio::io_context io;
    apig::client c(io.get_executor(), o);
    SUBCASE("break after the first page") {
        run(io, [&]() -> asio::awaitable<void> {
            auto g = c.pages({}, {.page_size = 100, .concurrency = 8});
            auto first = co_await g.next();
            CHECK(first);
            // g goes out of scope with pages in flight
        }());
    }
    SUBCASE("destroy before the first page arrives") {
        run(io, [&]() -> asio::awaitable<void> {
            auto g = std::make_unique<apig::page_generator>(c.pages({}, {.page_size = 100, .concurrency = 8}));
            asio::co_spawn(co_await asio::this_coro::executor, [&]() -> asio::awaitable<void> {
                try {
                    co_await g->next();
                } catch (apig::api_error const&) {
                }
            }, asio::detached);
            asio::steady_timer t(co_await asio::this_coro::executor, milliseconds(10));
            co_await t.async_wait(asio::use_awaitable);
            g.reset();
        }());
    }
    io.restart();
    io.run();  // let the cancelled requests finish
    auto s = c.stats();
    CHECK(s.in_use == 0);
    CHECK(s.open == s.idle);
    // The client is still usable.
    CHECK(run(io, c.list_instances({})).total == 5'000);
}

TEST_CASE("a failed page ends the walk: the error is the last element") {
    apig::emulator::server srv({.instance_count = 300});
    auto o = options_for(srv);
    o.retry.max_attempts = 1;
    asio::io_context io;
    apig::client c(io.get_executor(), o);
    // Every (offset, limit) fails once; use up the first page's failure beforehand, so the
    // walk gets its first page and then fails on the second.
    srv.set_faults({.fail_first_per_page = 1});
    CHECK_THROWS_AS(run(io, c.list_instances({.offset = 0, .limit = 100})), apig::api_error);
    int pages = 0;
    apig::error_info err;
    run(io, [&]() -> asio::awaitable<void> {
        auto g = c.pages({}, {.page_size = 100, .concurrency = 1});
        auto p1 = co_await g.next(err);
        CHECK(p1);
        CHECK_FALSE(err);
        ++pages;
        auto p2 = co_await g.next(err);
        CHECK_FALSE(p2);
        CHECK(err.code == apig::errc::internal_server_error);
        apig::error_info after;
        CHECK_FALSE(co_await g.next(after));  // over
        CHECK_FALSE(after);
    }());
    CHECK(pages == 1);
    // The throwing form throws api_error.
    srv.set_faults({.fail_first_per_page = 1});
    CHECK_THROWS_AS(run(io, [&]() -> asio::awaitable<void> {
                        auto g = c.pages({}, {.concurrency = 1});
                        while (co_await g.next()) {
                        }
                    }()),
                    apig::api_error);
}

TEST_CASE("walks start at the request's offset and pass the filters") {
    apig::emulator::server srv({.instance_count = 1'000});
    auto const all = srv.ids();
    asio::io_context io;
    apig::client c(io.get_executor(), options_for(srv));
    CHECK(walk_ids(c, io, {.page_size = 77, .concurrency = 4}, {.offset = 950}) ==
          std::vector<std::string>(all.begin() + 950, all.end()));
    apig::list_request running;
    running.status = apig::status::running;
    auto ids = walk_ids(c, io, {.page_size = 50, .concurrency = 4}, running);
    CHECK(!ids.empty());
    CHECK(ids.size() < all.size());
    std::set<std::string> unique(ids.begin(), ids.end());
    CHECK(unique.size() == ids.size());
    CHECK(walk_ids(c, io, {.page_size = 500}, {.offset = 5'000}).empty());
}

TEST_CASE("list_all and a bad page size") {
    apig::emulator::server srv({.instance_count = 1'234});
    asio::io_context io;
    apig::client c(io.get_executor(), options_for(srv));
    auto all = run(io, c.list_all({}));
    REQUIRE(all.size() == 1'234);
    CHECK(all.front().id == srv.ids().front());
    CHECK(all.back().id == srv.ids().back());
    try {
        run(io, c.list_all({}, {.page_size = 501}));
        FAIL("accepted page_size 501");
    } catch (apig::api_error const& e) {
        CHECK(e.code() == apig::errc::invalid_argument);
        CHECK(std::string(e.what()).find("page_size") != std::string::npos);
    }
    CHECK(srv.requests_served() == 3);
}

TEST_CASE("a walk's request limit: the default or the page size, anything else refused before any request") {
    apig::emulator::server srv({.instance_count = 20});
    asio::io_context io;
    apig::client c(io.get_executor(), options_for(srv));
    // pages({.limit = 7}) does not walk with the default page size of 500, nor guess: it says so.
    apig::error_info err;
    run(io, [&]() -> asio::awaitable<void> {
        auto g = c.pages({.limit = 7});
        CHECK_FALSE(co_await g.next(err));
        CHECK(g.stats().requests == 0);
    }());
    CHECK(err.code == apig::errc::invalid_argument);
    CHECK(err.message ==
          "invalid argument: list_request.limit (7) differs from page_options.page_size (500): a walk requests "
          "every page with page_options.page_size; set the page size there and leave list_request.limit at its "
          "default (20) or equal to it");
    try {
        run(io, c.list_all({.limit = 7}, {.page_size = 8}));
        FAIL("accepted limit 7 with page_size 8");
    } catch (apig::api_error const& e) {
        CHECK(e.code() == apig::errc::invalid_argument);
        CHECK(std::string(e.what()).find("list_request.limit (7) differs from page_options.page_size (8)") !=
              std::string::npos);
    }
    CHECK(srv.requests_served() == 0);
    // The same value in both: pages of 7 (7 + 7 + 6).
    CHECK(walk_ids(c, io, {.page_size = 7, .concurrency = 2}, {.limit = 7}) == srv.ids());
    CHECK(srv.requests_served() == 3);
    for (auto const& r : srv.requests()) CHECK(r.target.find("limit=7") != std::string::npos);
    // Left at its default, the limit is ignored: one page of 500.
    srv.reset_stats();
    CHECK(walk_ids(c, io, {}) == srv.ids());
    REQUIRE(srv.requests_served() == 1);
    CHECK(srv.requests().front().target.find("limit=500") != std::string::npos);
}

TEST_CASE("three projects walked concurrently on one io_context") {
    std::vector<std::string> const projects{"p-one", "p-two", "p-three"};
    apig::emulator::server srv({.project_ids = projects, .instance_count = 1'500, .threads = 2});
    asio::io_context io;
    std::vector<std::unique_ptr<apig::client>> clients;
    std::vector<std::vector<std::string>> got(projects.size());
    for (std::size_t k = 0; k < projects.size(); ++k) {
        clients.push_back(std::make_unique<apig::client>(io.get_executor(), options_for(srv, projects[k])));
        asio::co_spawn(io, [&, k]() -> asio::awaitable<void> {
            auto g = clients[k]->instances({}, {.page_size = 200, .concurrency = 4});
            while (auto i = co_await g.next()) got[k].push_back(*i->id);
        }, asio::detached);
    }
    io.run();
    for (std::size_t k = 0; k < projects.size(); ++k) CHECK(got[k] == srv.ids(k));
}

TEST_CASE("a list that changes during the walk: no id twice, drift counted") {
    SUBCASE("inserts at the front push seen instances to later pages") {
        apig::emulator::server srv({.instance_count = 1'000,
                                    .mutation = {.insert_per_request = 3, .position = apig::emulator::mutation_position::front}});
        auto const before = srv.ids();
        asio::io_context io;
        apig::client c(io.get_executor(), options_for(srv));
        std::vector<std::string> ids;
        std::vector<apig::walk_event> events;
        apig::walk_stats stats;
        run(io, [&]() -> asio::awaitable<void> {
            auto g = c.instances({}, {.page_size = 100, .concurrency = 1,
                                      .on_event = [&](apig::walk_event const& e) { events.push_back(e); }});
            while (auto i = co_await g.next()) ids.push_back(*i->id);
            stats = g.stats();
        }());
        std::set<std::string> unique(ids.begin(), ids.end());
        CHECK(unique.size() == ids.size());          // no id yielded twice
        CHECK(ids == before);                        // and every original instance, in order
        CHECK(stats.total_changes > 0);
        CHECK(stats.duplicates_dropped == 3 * (stats.pages - 1));
        CHECK(events.size() == stats.total_changes + stats.duplicates_dropped);
    }
    SUBCASE("deletes at the front: the walk follows the shrinking total") {
        apig::emulator::server srv({.instance_count = 1'000,
                                    .mutation = {.delete_per_request = 5, .position = apig::emulator::mutation_position::front}});
        auto const before = srv.ids();
        asio::io_context io;
        apig::client c(io.get_executor(), options_for(srv));
        std::vector<std::string> ids;
        apig::walk_stats stats;
        run(io, [&]() -> asio::awaitable<void> {
            auto g = c.instances({}, {.page_size = 100, .concurrency = 1});
            while (auto i = co_await g.next()) ids.push_back(*i->id);
            stats = g.stats();
        }());
        std::set<std::string> unique(ids.begin(), ids.end());
        CHECK(unique.size() == ids.size());
        CHECK(stats.total_changes > 0);
        CHECK(stats.total < 1'000);
        CHECK(ids.size() < before.size());  // instances that moved behind the cursor were not seen
    }
    SUBCASE("keep_duplicates yields repeats as the server sends them") {
        apig::emulator::server srv({.instance_count = 500,
                                    .mutation = {.insert_per_request = 2, .position = apig::emulator::mutation_position::front}});
        asio::io_context io;
        apig::client c(io.get_executor(), options_for(srv));
        std::vector<std::string> ids;
        run(io, [&]() -> asio::awaitable<void> {
            auto g = c.instances({}, {.page_size = 100, .concurrency = 1, .keep_duplicates = true});
            while (auto i = co_await g.next()) ids.push_back(*i->id);
        }());
        std::set<std::string> unique(ids.begin(), ids.end());
        CHECK(unique.size() < ids.size());
    }
}

TEST_CASE("pages handed back with recycle() come back as exactly the pages of a walk without it") {
    // Uneven pages (the last is short) and injected 500s (an attempt that fails keeps the
    // recycled storage for the next one); every page must equal the plain walk's, page for page.
    apig::emulator::server srv({.instance_count = 2'345, .faults = {.probability_500 = 0.2, .seed = 3}});
    asio::io_context io;
    apig::client c(io.get_executor(), tolerant(srv));
    auto walk = [&](bool recycle) {
        std::vector<apig::instance_page> pages;
        run(io, [&]() -> asio::awaitable<void> {
            auto g = c.pages({.offset = 5}, {.page_size = 100, .concurrency = 3});
            while (auto p = co_await g.next()) {
                pages.push_back(*p);
                if (recycle) g.recycle(std::move(*p));
            }
            g.recycle(apig::instance_page{});  // after the end: dropped, harmless
        }());
        return pages;
    };
    auto const plain = walk(false);
    auto const recycled = walk(true);
    REQUIRE(plain.size() == 24);
    REQUIRE(recycled.size() == plain.size());
    for (std::size_t i = 0; i < plain.size(); ++i) {
        CAPTURE(i);
        CHECK(recycled[i].instances == plain[i].instances);
        CHECK(recycled[i].total == plain[i].total);
        CHECK(recycled[i].size == plain[i].size);
    }
    CHECK(recycled.back().instances.size() == 40);
    CHECK(c.stats().retries > 0);
    CHECK(c.stats().in_use == 0);
}

TEST_CASE("a walk decodes each page into the page handed back last, taken when its body begins") {
    // The request for page k+1 is sent when page k comes in, before the caller has page k; its
    // storage is taken only when its answer begins, by when the caller has handed page k back.
    // (Taken at sending, it would be page k-1's: one page more in circulation, a cache's worth
    // at limit 500 and concurrency 16.) Each page handed back is marked with a capacity no
    // decode gives (addresses would not do: the allocator reuses what was freed).
    apig::emulator::server srv({.instance_count = 1'000});
    asio::io_context io;
    auto o = options_for(srv);
    o.thread_safe = false;  // the caller runs on the client's executor: the order is fixed
    apig::client c(io.get_executor(), o);
    std::vector<std::size_t> capacity;  // each page's, as it came
    run(io, [&]() -> asio::awaitable<void> {
        auto g = c.pages({}, {.page_size = 100, .concurrency = 1});
        while (auto p = co_await g.next()) {
            capacity.push_back(p->instances.capacity());
            p->instances.reserve(1'000 + capacity.size());  // the mark of the page handed back
            g.recycle(std::move(*p));
        }
    }());
    REQUIRE(capacity.size() == 10);
    CHECK(capacity[0] < 1'000);  // nothing handed back yet: a new page
    for (std::size_t k = 1; k < capacity.size(); ++k) {
        CAPTURE(k);
        CHECK(capacity[k] == 1'000 + k);  // page k went into the storage of page k-1, handed back last
    }
    CHECK(c.stats().in_use == 0);
}

TEST_CASE("walks recycling their pages on a client run by two threads: every id once, in order") {
    // The client's strand holds each walk's state: pages handed back (recycle, from the
    // caller's thread) and storage taken when a body begins (refill, inside the read) meet
    // there. Two walks at once, on an io_context run by two threads (TSan's case in CI).
    apig::emulator::server srv({.instance_count = 2'000, .threads = 2});
    auto o = options_for(srv);
    o.pool.max_connections = 8;
    asio::io_context io(2);
    apig::client c(io.get_executor(), o);
    auto walk = [&]() -> asio::awaitable<std::vector<std::string>> {
        std::vector<std::string> ids;
        auto g = c.pages({}, {.page_size = 50, .concurrency = 4});
        while (auto p = co_await g.next()) {
            for (auto const& i : p->instances) ids.push_back(i.id.value_or(""));
            g.recycle(std::move(*p));
        }
        co_return ids;
    };
    auto a = asio::co_spawn(io, walk(), asio::use_future);
    auto b = asio::co_spawn(io, walk(), asio::use_future);
    std::thread t1([&] { io.run(); });
    std::thread t2([&] { io.run(); });
    t1.join();
    t2.join();
    CHECK(a.get() == srv.ids());
    CHECK(b.get() == srv.ids());
    CHECK(c.stats().in_use == 0);
}

TEST_CASE("thread_safe = false: a page handed straight from its request's completion; leaving or destroying inside is safe") {
    apig::emulator::server srv({.instance_count = 3'001, .faults = {.probability_500 = 0.2, .seed = 11}});
    auto o = tolerant(srv);
    o.thread_safe = false;  // no strand: a caller on the client's executor is resumed directly
    o.pool.max_connections = 4;
    asio::io_context io(1);
    auto c = std::make_unique<apig::client>(io.get_executor(), o);
    SUBCASE("the whole walk: every id once, in order, at most 4 in flight") {
        srv.reset_stats();
        CHECK(walk_ids(*c, io, {.page_size = 100, .concurrency = 4}) == srv.ids());
        CHECK(srv.max_in_flight() <= 4);
        CHECK(c->stats().in_use == 0);
    }
    SUBCASE("pages waiting are handed over from next() itself, at most 8 in a row, then through a post") {
        o.pool.max_connections = 16;
        c = std::make_unique<apig::client>(io.get_executor(), o);
        std::vector<std::string> ids;
        std::size_t pages = 0, in_a_row = 0, most_in_a_row = 0, straight = 0;
        run(io, [&]() -> asio::awaitable<void> {
            auto g = c->pages({}, {.page_size = 10, .concurrency = 16});
            for (;;) {
                // Set by a handler queued now: false if next() resumed us first. Shared: the last
                // one runs after this coroutine (and its frame) has ended.
                auto round = std::make_shared<bool>(false);
                asio::post(io, [round] { *round = true; });
                auto p = co_await g.next();
                if (!p) break;
                if (!*round) {
                    ++straight;
                    most_in_a_row = std::max(most_in_a_row, ++in_a_row);
                } else {
                    in_a_row = 0;
                }
                for (auto const& i : p->instances) ids.push_back(*i.id);
                if (++pages % 50 == 0) {  // pages pile up meanwhile (up to 32)
                    asio::steady_timer t(io, milliseconds(20));
                    co_await t.async_wait(asio::use_awaitable);
                }
            }
        }());
        CHECK(ids == srv.ids());
        CHECK(straight > 0);
        CHECK(most_in_a_row <= 8);
    }
    SUBCASE("the generator destroyed inside the loop body, requests in flight") {
        std::size_t pages = 0;
        run(io, [&]() -> asio::awaitable<void> {
            auto g = c->pages({}, {.page_size = 100, .concurrency = 4});
            while (auto p = co_await g.next())
                if (++pages == 3) break;  // g goes with 3 pages in flight
        }());
        io.restart();
        io.run();
        CHECK(pages == 3);
        CHECK(c->stats().in_use == 0);
        CHECK(run(io, c->list_instances({})).total == 3'001);  // the client goes on
    }
    SUBCASE("the client destroyed inside the loop body: the walk ends cancelled") {
        std::size_t pages = 0;
        apig::error_info err;
        run(io, [&]() -> asio::awaitable<void> {
            auto g = c->pages({}, {.page_size = 100, .concurrency = 4});
            while (auto p = co_await g.next(err))
                if (++pages == 2) c.reset();  // its calls in flight are cancelled
        }());
        io.restart();
        io.run();
        CHECK(pages >= 2);
        CHECK(pages < 31);
        CHECK(err.code == asio::error::operation_aborted);
    }
}
