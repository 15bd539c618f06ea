// How a walk hands pages to its caller (src/pager.cpp), over a scripted page source: which
// requests complete, and when, is the test's choice, so the hand-over can be counted exactly.
#include "page_source.hpp"

#include <apig/pager.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

namespace asio = boost::asio;

namespace {

// A list of `total` instances; the first page is answered at once (posted), later ones are
// held until the test releases them.
struct scripted_source {
    asio::io_context& io;
    std::int64_t total;
    asio::any_io_executor executor;  // the walk's (a client's strand, or the io_context's own)
    bool hold_first = false;         // hold the first page too
    std::vector<asio::any_completion_handler<apig::detail::page_signature>> held{};
    std::vector<std::int64_t> held_offsets{};

    apig::instance_page page_at(std::int64_t offset, std::int32_t limit) const {
        apig::instance_page p;
        p.total = total;
        for (std::int64_t i = offset; i < std::min<std::int64_t>(total, offset + limit); ++i) {
            apig::instance in;
            in.id = "i-" + std::to_string(i);
            p.instances.push_back(std::move(in));
        }
        p.size = static_cast<std::int32_t>(p.instances.size());
        return p;
    }

    apig::detail::page_source source() {
        return {.executor = executor,
                .project_id = "73d69ae0cfcf460190522d06b60f05ad",
                .fetch = [this](apig::list_request r, apig::http::page_refill, apig::error_info*,
                                asio::any_completion_handler<apig::detail::page_signature> h) {
                    held.push_back(std::move(h));
                    held_offsets.push_back(r.offset);
                    if (r.offset == 0 && !hold_first) release();
                }};
    }

    // Answers every held request (posted: each completes in a later round).
    void release() {
        for (std::size_t i = 0; i < held.size(); ++i)
            asio::post(io, [h = std::move(held[i]), p = page_at(held_offsets[i], 10)]() mutable {
                std::move(h)(boost::system::error_code{}, std::move(p));
            });
        held.clear();
        held_offsets.clear();
    }
};

}  // namespace

namespace {

struct drained {
    std::vector<std::string> ids;
    std::size_t straight = 0, posted = 0, most_in_a_row = 0;
};

// Takes the first page, lets 32 more come in (twice the concurrency: nothing more starts), then
// takes those 32, counting which came from next() at once and which a scheduler round later.
drained drain_waiting_pages(bool strand) {
    asio::io_context io(1);
    scripted_source src{.io = io,
                        .total = 1'000,
                        .executor = strand ? asio::any_io_executor(asio::make_strand(io)) : io.get_executor()};
    drained d;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        auto g = apig::detail::generator_access::make(src.source(), {}, {.page_size = 10, .concurrency = 16});
        auto first = co_await g.next();
        REQUIRE(first);
        // 16 requests went out as the first page was taken; answer them, and the 16 that their
        // pages' slots start.
        for (int batch = 0; batch < 2; ++batch) {
            for (int spin = 0; spin < 4 && src.held.size() < 16; ++spin) co_await asio::post(io, asio::use_awaitable);
            CHECK(src.held.size() == 16);
            src.release();
            for (int spin = 0; spin < 4; ++spin) co_await asio::post(io, asio::use_awaitable);  // they come in
        }
        CHECK(src.held.empty());
        CHECK(g.stats().requests == 33);
        std::size_t in_a_row = 0;
        for (int k = 0; k < 32; ++k) {
            // Set by a handler queued now: still false if next() resumed us at once. Shared: the
            // last one runs after this coroutine (and its frame) has ended.
            auto round = std::make_shared<bool>(false);
            asio::post(io, [round] { *round = true; });
            auto p = co_await g.next();
            REQUIRE(p);
            if (*round) {
                ++d.posted;
                in_a_row = 0;
            } else {
                ++d.straight;
                d.most_in_a_row = std::max(d.most_in_a_row, ++in_a_row);
            }
            for (auto const& i : p->instances) d.ids.push_back(*i.id);
        }
    }, asio::detached);
    io.run();
    return d;
}

}  // namespace

TEST_CASE("walk hand-over, no strand: waiting pages go to the caller from next() itself, 8 in a row, then one post") {
    auto const d = drain_waiting_pages(false);
    CHECK(d.straight == 29);  // 8, post, 8, post, 8, post, 5: the caller's stack holds 8 at most
    CHECK(d.posted == 3);
    CHECK(d.most_in_a_row == 8);
    REQUIRE(d.ids.size() == 320);
    for (std::size_t i = 0; i < d.ids.size(); ++i) CHECK(d.ids[i] == "i-" + std::to_string(i + 10));
}

TEST_CASE("walk hand-over, on a strand: every page through a post, never inside the strand") {
    auto const d = drain_waiting_pages(true);
    CHECK(d.straight == 0);
    CHECK(d.posted == 32);
    REQUIRE(d.ids.size() == 320);
    for (std::size_t i = 0; i < d.ids.size(); ++i) CHECK(d.ids[i] == "i-" + std::to_string(i + 10));
}

TEST_CASE("walk hand-over, no strand: a generator destroyed under a waiting caller wakes it a round later, not inside") {
    asio::io_context io(1);
    scripted_source src{.io = io, .total = 1'000, .executor = io.get_executor(), .hold_first = true};
    auto g = std::make_unique<apig::page_generator>(
        apig::detail::generator_access::make(src.source(), {}, {.page_size = 10, .concurrency = 4}));
    bool destroying = false, woke = false, woke_inside = true;
    apig::error_info err;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        auto p = co_await g->next(err);
        woke = true;
        woke_inside = destroying;
        CHECK_FALSE(p);
    }, asio::detached);
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        while (src.held.empty()) co_await asio::post(io, asio::use_awaitable);  // the first request is out
        destroying = true;
        g.reset();
        destroying = false;
    }, asio::detached);
    io.run();
    CHECK(woke);
    CHECK_FALSE(woke_inside);
    CHECK(err.code == asio::error::operation_aborted);
}
