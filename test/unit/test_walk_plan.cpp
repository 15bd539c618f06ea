// The walk's plan (src/walk_plan.hpp), driven with scripted pages: which offsets it requests,
// in which order and how many at once, what it yields and how it ends. No sockets, no timers.
#include "walk_plan.hpp"

#include <apig/error.hpp>

#include <doctest/doctest.h>

#include <boost/asio/error.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

using apig::detail::walk_plan;
using apig::detail::walk_step;

namespace {

constexpr std::int64_t max_offset = std::numeric_limits<std::int64_t>::max();

// Instances `<prefix><from>` .. `<prefix><from + n - 1>`.
apig::instance_page page(std::int64_t from, std::int64_t n, std::optional<std::int64_t> total,
                         std::string const& prefix = "i-") {
    apig::instance_page p;
    p.total = total;
    for (std::int64_t i = from; i < from + n; ++i) p.instances.push_back({.id = prefix + std::to_string(i)});
    return p;
}

// What a scripted server answers for the request at an offset: a page or an error.
using answer = std::variant<apig::instance_page, apig::error_info>;
using server = std::function<answer(std::int64_t offset, std::int32_t limit)>;

// A list of `n` instances (i-0 ..), sent with its total (or without).
server list_of(std::int64_t n, bool with_total = true) {
    return [n, with_total](std::int64_t offset, std::int32_t limit) -> answer {
        auto const from = std::min(offset, n);
        return page(from, std::min<std::int64_t>(limit, n - from), with_total ? std::optional(n) : std::nullopt);
    };
}

std::string joined(apig::instance_page const& p) {
    std::string s;
    for (auto const& i : p.instances) s += " " + i.id.value_or("?");
    return s;
}

// One walk driven as pager.cpp drives it, by a caller that always waits for the next page:
// after each call into the plan, its requests are started ("request N") and, if it asks, those
// in flight are cancelled ("cancel"); then the step is recorded ("yield <ids>", "end",
// "fail"). When the plan waits, the oldest request in flight is answered by `srv`.
struct driver {
    walk_plan plan;
    server srv;
    std::vector<std::string> trace;
    std::deque<std::int64_t> in_flight;
    std::size_t most_in_flight = 0;
    apig::error_info error;  // how the walk ended (empty: without error)
    // If set: the ids' hashes handed in with each page, as the decoder would have taken them.
    std::function<std::vector<std::uint64_t>(std::int64_t offset, apig::instance_page const&)> decoded;

    driver(std::int64_t start, apig::page_options o, server s) : plan(start, std::move(o)), srv(std::move(s)) {}

    void act() {
        while (auto o = plan.pop_request()) {
            trace.push_back("request " + std::to_string(*o));
            in_flight.push_back(*o);
        }
        most_in_flight = std::max(most_in_flight, in_flight.size());
        if (plan.take_cancel()) {
            trace.push_back("cancel");
            in_flight.clear();
        }
    }

    void answer_oldest() {
        REQUIRE(!in_flight.empty());
        auto const offset = in_flight.front();
        in_flight.pop_front();
        auto a = srv(offset, plan.options().page_size);
        if (auto* p = std::get_if<apig::instance_page>(&a)) {
            std::vector<std::uint64_t> hashes;
            if (decoded) hashes = decoded(offset, *p);
            plan.received(offset, std::move(*p), decoded ? &hashes : nullptr);
        } else {
            plan.failed(offset, std::get<apig::error_info>(std::move(a)));
        }
    }

    // One next() of the caller: what it got.
    walk_step next() {
        for (int guard = 0; guard < 100'000; ++guard) {
            auto step = plan.next();
            act();
            switch (step.what) {
            case walk_step::kind::wait: answer_oldest(); continue;
            case walk_step::kind::yield: trace.push_back("yield" + joined(step.page)); break;
            case walk_step::kind::end: trace.push_back("end"); break;
            case walk_step::kind::fail: trace.push_back("fail"); error = step.error; break;
            }
            return step;
        }
        FAIL("the walk never ends");
        return {};
    }

    // The whole walk; then one more next() gives `end` (an error is the walk's last element).
    std::vector<std::string> run() {
        plan.start();
        act();
        for (;;) {
            auto const step = next();
            if (step.what == walk_step::kind::end || step.what == walk_step::kind::fail) break;
        }
        auto const after = plan.next();
        CHECK(after.what == walk_step::kind::end);
        return trace;
    }
};

using trace_t = std::vector<std::string>;

}  // namespace

TEST_CASE("walk plan: the first page alone, then `concurrency` pages ahead, each taken in order") {
    driver d(0, {.page_size = 3, .concurrency = 2}, list_of(10));
    CHECK(d.run() == trace_t{"request 0", "request 3", "request 6", "yield i-0 i-1 i-2",
                             "request 9", "yield i-3 i-4 i-5",
                             "yield i-6 i-7 i-8",
                             "yield i-9", "end"});
    CHECK(d.most_in_flight == 2);
    auto const s = d.plan.counters().snapshot();
    CHECK(s.pages == 4);
    CHECK(s.instances == 10);
    CHECK(s.requests == 4);
    CHECK(s.total == 10);
    CHECK(s.total_changes == 0);
    CHECK_FALSE(d.error);
}

TEST_CASE("walk plan: the start offset, and a page that reaches the total ends the walk without a short page") {
    driver d(4, {.page_size = 3, .concurrency = 4}, list_of(10));
    CHECK(d.run() == trace_t{"request 4", "request 7", "yield i-4 i-5 i-6", "yield i-7 i-8 i-9", "end"});
}

TEST_CASE("walk plan: a total that shrinks ends the walk at the short page, requests beyond it cancelled") {
    std::int64_t n = 10;
    std::vector<apig::walk_event> events;
    apig::page_options o{.page_size = 3, .concurrency = 2};
    o.on_event = [&](apig::walk_event const& e) { events.push_back(e); };
    driver d(0, o, [&](std::int64_t offset, std::int32_t limit) -> answer {
        auto a = list_of(n)(offset, limit);
        n = 5;  // after the first page, half the list is deleted
        return a;
    });
    // The page at 3 frees its slot as it comes in, before it is taken: 9 is requested, then
    // cancelled with 6 when the page at 3 shows the new total.
    CHECK(d.run() == trace_t{"request 0", "request 3", "request 6", "yield i-0 i-1 i-2",
                             "request 9", "cancel", "yield i-3 i-4", "end"});
    auto const s = d.plan.counters().snapshot();
    CHECK(s.total_changes == 1);
    CHECK(s.total == 5);
    CHECK(s.requests == 4);
    REQUIRE(events.size() == 1);
    CHECK(events[0].what == apig::walk_event::kind::total_changed);
    CHECK(events[0].offset == 3);
    CHECK(events[0].previous_total == 10);
    CHECK(events[0].total == 5);
}

TEST_CASE("walk plan: a total that grows is followed") {
    std::int64_t n = 6;
    driver d(0, {.page_size = 3, .concurrency = 1}, [&](std::int64_t offset, std::int32_t limit) -> answer {
        auto a = list_of(n)(offset, limit);
        n = 9;
        return a;
    });
    CHECK(d.run() == trace_t{"request 0", "request 3", "yield i-0 i-1 i-2", "request 6", "yield i-3 i-4 i-5",
                             "yield i-6 i-7 i-8", "end"});
    CHECK(d.plan.counters().snapshot().total_changes == 1);
    CHECK(d.plan.counters().snapshot().total == 9);
}

TEST_CASE("walk plan: a short page ends the walk whatever the total says") {
    // The total claims 100, but the page at 3 has 2 instances: that is the end.
    driver d(0, {.page_size = 3, .concurrency = 3}, [](std::int64_t offset, std::int32_t) -> answer {
        return page(offset, offset == 3 ? 2 : 3, 100);
    });
    CHECK(d.run() == trace_t{"request 0", "request 3", "request 6", "request 9", "yield i-0 i-1 i-2",
                             "request 12", "cancel", "yield i-3 i-4", "end"});
}

TEST_CASE("walk plan: without a total, one page at a time until a short one") {
    driver d(0, {.page_size = 3, .concurrency = 8}, list_of(7, false));
    CHECK(d.run() == trace_t{"request 0", "request 3", "yield i-0 i-1 i-2", "request 6", "yield i-3 i-4 i-5",
                             "yield i-6", "end"});
    CHECK(d.most_in_flight == 1);
    CHECK(d.plan.counters().snapshot().total == -1);
}

TEST_CASE("walk plan: an empty list yields one empty page, then the end") {
    driver d(0, {.page_size = 3}, list_of(0));
    CHECK(d.run() == trace_t{"request 0", "yield", "end"});
    CHECK(d.plan.counters().snapshot().pages == 1);
}

TEST_CASE("walk plan: a failure at page k: the pages before it, then its error; the rest cancelled") {
    auto const err = apig::error_info{.code = apig::errc::internal_server_error, .message = "HTTP 500 at offset 6"};
    driver d(0, {.page_size = 3, .concurrency = 2}, [&](std::int64_t offset, std::int32_t limit) -> answer {
        if (offset == 6) return err;
        return list_of(12)(offset, limit);
    });
    CHECK(d.run() == trace_t{"request 0", "request 3", "request 6", "yield i-0 i-1 i-2",
                             "request 9", "yield i-3 i-4 i-5", "cancel", "fail"});
    CHECK(d.error.code == apig::errc::internal_server_error);
    CHECK(d.error.message == "HTTP 500 at offset 6");
    CHECK(d.plan.finished());
    CHECK(d.plan.counters().snapshot().pages == 2);
}

TEST_CASE("walk plan: an id yielded before is dropped, counted and reported") {
    std::vector<apig::walk_event> events;
    apig::page_options o{.page_size = 3, .concurrency = 1};
    o.on_event = [&](apig::walk_event const& e) {
        events.push_back(e);
        throw std::runtime_error("a callback that throws does not break the walk");
    };
    // One instance inserted at the front after the first page: i-2 comes again at offset 3.
    driver d(0, o, [](std::int64_t offset, std::int32_t) -> answer {
        if (offset == 0) return page(0, 3, 7);
        return page(offset - 1, offset == 6 ? 2 : 3, 7);
    });
    CHECK(d.run() == trace_t{"request 0", "request 3", "yield i-0 i-1 i-2", "request 6", "yield i-3 i-4",
                             "yield i-5 i-6", "end"});
    CHECK(d.plan.counters().snapshot().duplicates_dropped == 1);
    REQUIRE(events.size() == 1);
    CHECK(events[0].what == apig::walk_event::kind::duplicate_dropped);
    CHECK(events[0].offset == 3);
    CHECK(events[0].id == "i-2");
}

TEST_CASE("walk plan: the ids' hashes taken as the page was decoded are used when there is one an instance, else the ids are hashed") {
    auto const h = [](std::string id) { return walk_plan::id_hash({.id = std::move(id)}); };
    driver d(0, {.page_size = 2, .concurrency = 1}, list_of(6));
    d.decoded = [&](std::int64_t offset, apig::instance_page const&) -> std::vector<std::uint64_t> {
        if (offset == 0) return {h("i-0"), h("i-0")};  // says i-1 is i-0 again: taken as it is
        if (offset == 2) return {h("i-0")};            // one short of the page: not used
        return {h("i-4"), 0};                          // 0: i-5 has no id (so never a duplicate)
    };
    CHECK(d.run() == trace_t{"request 0", "request 2", "yield i-0", "request 4", "yield i-2 i-3", "yield i-4 i-5",
                             "end"});
    CHECK(d.plan.counters().snapshot().duplicates_dropped == 1);
    CHECK(walk_plan::id_hash({}) == 0);
    CHECK(h("") != 0);  // an empty id is an id
    CHECK(h("i-0") == walk_plan::id_hash({.id = "i-0", .instance_name = "other"}));
}

TEST_CASE("walk plan: with keep_duplicates, repeated ids are yielded and never stall the walk") {
    driver d(0, {.page_size = 2, .concurrency = 1, .keep_duplicates = true, .max_stalled_pages = 1},
             [](std::int64_t offset, std::int32_t) -> answer { return page(0, offset < 4 ? 2 : 1, 5); });
    CHECK(d.run() == trace_t{"request 0", "request 2", "yield i-0 i-1", "request 4", "yield i-0 i-1", "yield i-0",
                             "end"});
    CHECK(d.plan.counters().snapshot().duplicates_dropped == 0);
}

TEST_CASE("walk plan: pages with no new id are skipped; max_stalled_pages of them in a row stop the walk") {
    // The same full page at every offset, and a total that says there is more.
    driver d(0, {.page_size = 3, .concurrency = 1, .max_stalled_pages = 3},
             [](std::int64_t, std::int32_t) -> answer { return page(0, 3, 1000); });
    CHECK(d.run() == trace_t{"request 0", "request 3", "yield i-0 i-1 i-2", "request 6", "request 9",
                             "request 12", "cancel", "fail"});
    CHECK(d.error.code == apig::errc::walk_stalled);
    CHECK(d.error.message ==
          "listing pages: 3 pages in a row (offsets 3 to 9) brought no new instance, only 9 already yielded "
          "(page_options.max_stalled_pages = 3); the latest total is 1000; the server repeats itself, the walk stops");
    auto const s = d.plan.counters().snapshot();
    CHECK(s.pages == 1);
    CHECK(s.duplicates_dropped == 9);
    CHECK(s.requests == 5);
}

TEST_CASE("walk plan: a page with a new id ends a stall") {
    // Offsets 3 and 6 repeat, 9 brings new ids, 12 and 15 (the last page) repeat: never 3 in a row.
    driver d(0, {.page_size = 3, .concurrency = 1, .max_stalled_pages = 3},
             [](std::int64_t offset, std::int32_t) -> answer {
                 if (offset == 9) return page(8, 3, 18);
                 return page(0, 3, 18);
             });
    CHECK(d.run() == trace_t{"request 0", "request 3", "yield i-0 i-1 i-2", "request 6", "request 9", "request 12",
                             "yield i-8 i-9 i-10", "request 15", "end"});
    CHECK_FALSE(d.error);
}

TEST_CASE("walk plan: offsets near INT64_MAX end with walk_limit_exceeded, never overflow") {
    SUBCASE("a full page that would take the next offset past INT64_MAX") {
        driver d(max_offset - 5, {.page_size = 3, .concurrency = 4},
                 [](std::int64_t offset, std::int32_t) -> answer { return page(offset - (max_offset - 5), 3, max_offset); });
        CHECK(d.run() == trace_t{"request 9223372036854775802", "request 9223372036854775805", "yield i-0 i-1 i-2",
                                 "yield i-3 i-4 i-5", "fail"});
        CHECK(d.error.code == apig::errc::walk_limit_exceeded);
        CHECK(d.error.message ==
              "listing pages: the page at offset 9223372036854775805 has 3 instances, which takes the next offset "
              "past 9223372036854775807, the largest offset; the latest total is 9223372036854775807; the walk stops");
    }
    SUBCASE("more instances than asked for, without a total") {
        driver d(max_offset - 1, {.page_size = 3}, [](std::int64_t, std::int32_t) -> answer { return page(0, 5, {}); });
        CHECK(d.run() == trace_t{"request 9223372036854775806", "yield i-0 i-1 i-2 i-3 i-4", "fail"});
        CHECK(d.error.message ==
              "listing pages: the page at offset 9223372036854775806 has 5 instances, which takes the next offset "
              "past 9223372036854775807, the largest offset; the server sent no total; the walk stops");
    }
    SUBCASE("a page that ends exactly at INT64_MAX is the last one, without error") {
        driver d(max_offset - 6, {.page_size = 3, .concurrency = 4},
                 [](std::int64_t offset, std::int32_t) -> answer { return page(offset - (max_offset - 6), 3, max_offset); });
        CHECK(d.run() == trace_t{"request 9223372036854775801", "request 9223372036854775804", "yield i-0 i-1 i-2",
                                 "yield i-3 i-4 i-5", "end"});
        CHECK_FALSE(d.error);
    }
}

TEST_CASE("walk plan: max_pages: the pages it allows, then walk_limit_exceeded naming the next offset") {
    driver d(0, {.page_size = 3, .concurrency = 2, .max_pages = 4}, list_of(30));
    CHECK(d.run() == trace_t{"request 0", "request 3", "request 6", "yield i-0 i-1 i-2", "request 9",
                             "yield i-3 i-4 i-5", "yield i-6 i-7 i-8", "yield i-9 i-10 i-11", "fail"});
    CHECK(d.error.code == apig::errc::walk_limit_exceeded);
    CHECK(d.error.message ==
          "listing pages: the walk needs more than page_options.max_pages = 4 pages (the next one at offset 12; "
          "the latest total is 30); the walk stops");
    CHECK(d.plan.counters().snapshot().requests == 4);
}

TEST_CASE("walk plan: max_pages without a total") {
    driver d(0, {.page_size = 3, .max_pages = 2}, list_of(30, false));
    CHECK(d.run() == trace_t{"request 0", "request 3", "yield i-0 i-1 i-2", "yield i-3 i-4 i-5", "fail"});
    CHECK(d.error.message ==
          "listing pages: the walk needs more than page_options.max_pages = 2 pages (the next one at offset 6; "
          "the server sent no total); the walk stops");
}

TEST_CASE("walk plan: max_instances: exactly that many, then walk_limit_exceeded; a list of that size is fine") {
    SUBCASE("more") {
        driver d(0, {.page_size = 3, .concurrency = 1, .max_instances = 7}, list_of(30));
        CHECK(d.run() == trace_t{"request 0", "request 3", "yield i-0 i-1 i-2", "request 6", "yield i-3 i-4 i-5",
                                 "request 9", "cancel", "yield i-6", "fail"});
        CHECK(d.error.code == apig::errc::walk_limit_exceeded);
        CHECK(d.error.message ==
              "listing pages: the walk has more than page_options.max_instances = 7 instances; the latest total "
              "is 30; the walk stops after that many");
        CHECK(d.plan.counters().snapshot().instances == 7);
    }
    SUBCASE("exactly") {
        driver d(0, {.page_size = 3, .concurrency = 1, .max_instances = 7}, list_of(7));
        CHECK(d.run() == trace_t{"request 0", "request 3", "yield i-0 i-1 i-2", "request 6", "yield i-3 i-4 i-5",
                                 "yield i-6", "end"});
        CHECK_FALSE(d.error);
    }
    SUBCASE("the last page has more: still an error (the list has more than the limit)") {
        driver d(0, {.page_size = 3, .concurrency = 1, .max_instances = 2}, list_of(3));
        CHECK(d.run() == trace_t{"request 0", "yield i-0 i-1", "fail"});
        CHECK(d.error.code == apig::errc::walk_limit_exceeded);
    }
}

TEST_CASE("walk plan: the window: `concurrency` in flight, as many waiting to be taken, handed out in offset order") {
    walk_plan plan(0, {.page_size = 10, .concurrency = 3});
    auto popped = [&] {
        std::vector<std::int64_t> v;
        while (auto o = plan.pop_request()) v.push_back(*o);
        return v;
    };
    plan.start();
    CHECK(popped() == std::vector<std::int64_t>{0});
    CHECK(plan.next().what == walk_step::kind::wait);
    plan.received(0, page(0, 10, 1000));
    // The first page alone: nothing more until it is taken and has given the total.
    CHECK(popped().empty());
    auto s = plan.next();
    CHECK(s.what == walk_step::kind::yield);
    CHECK(joined(s.page) == " i-0 i-1 i-2 i-3 i-4 i-5 i-6 i-7 i-8 i-9");
    CHECK(popped() == std::vector<std::int64_t>{10, 20, 30});
    // Answers out of order: nothing is handed out before the front page, but each page that
    // comes in frees its slot in flight at once.
    plan.received(30, page(30, 10, 1000));
    CHECK(popped() == std::vector<std::int64_t>{40});
    CHECK(plan.next().what == walk_step::kind::wait);
    plan.received(20, page(20, 10, 1000));
    CHECK(popped() == std::vector<std::int64_t>{50});
    CHECK(plan.next().what == walk_step::kind::wait);
    plan.received(10, page(10, 10, 1000));
    CHECK(popped() == std::vector<std::int64_t>{60});  // 40, 50, 60 in flight; 10, 20, 30 wait
    for (int first : {10, 20, 30}) {
        s = plan.next();
        CHECK(s.what == walk_step::kind::yield);
        CHECK(s.page.instances.front().id == "i-" + std::to_string(first));
        CHECK(popped().empty());  // three are in flight already
    }
    CHECK(plan.next().what == walk_step::kind::wait);
    // A slow caller: three pages in, three more requested, and then three wait: nothing more.
    for (int offset : {40, 50, 60}) plan.received(offset, page(offset, 10, 1000));
    CHECK(popped() == std::vector<std::int64_t>{70, 80, 90});
    plan.received(70, page(70, 10, 1000));
    CHECK(popped().empty());  // 40 .. 70 wait to be taken: no new request until one is
    s = plan.next();
    CHECK(s.page.instances.front().id == "i-40");
    CHECK(popped() == std::vector<std::int64_t>{100});
    CHECK_FALSE(plan.take_cancel());
    CHECK(plan.counters().snapshot().requests == 11);
}

TEST_CASE("walk plan: an answer for a request no longer awaited is ignored") {
    walk_plan plan(0, {.page_size = 3, .concurrency = 2});
    plan.start();
    while (plan.pop_request()) {
    }
    plan.received(0, page(0, 2, 2));  // short: the end
    CHECK(plan.next().what == walk_step::kind::yield);
    plan.received(3, page(3, 3, 2));   // never requested
    plan.failed(0, {.code = apig::errc::internal_server_error, .message = "late"});  // answered already
    CHECK(plan.next().what == walk_step::kind::end);
    CHECK(plan.counters().snapshot().pages == 1);
}

TEST_CASE("walk plan: the deadline: pages received are handed out, then timed_out; nothing more requested") {
    walk_plan plan(0, {.page_size = 3, .concurrency = 3, .timeout = std::chrono::milliseconds(50)});
    plan.start();
    while (plan.pop_request()) {
    }
    plan.received(0, page(0, 3, 30));
    CHECK(plan.next().what == walk_step::kind::yield);
    std::vector<std::int64_t> ahead;
    while (auto o = plan.pop_request()) ahead.push_back(*o);
    CHECK(ahead == std::vector<std::int64_t>{3, 6, 9});
    plan.received(3, page(3, 3, 30));
    CHECK(plan.pop_request() == 12);  // its slot in flight went to the next page at once
    CHECK_FALSE(plan.pop_request());
    plan.deadline_passed();
    CHECK(plan.finished());
    CHECK(plan.take_cancel());  // 6, 9 and 12 are in flight
    CHECK_FALSE(plan.take_cancel());
    auto s = plan.next();
    CHECK(s.what == walk_step::kind::yield);  // received before the deadline
    CHECK(joined(s.page) == " i-3 i-4 i-5");
    CHECK_FALSE(plan.pop_request());  // nothing more is requested
    CHECK(plan.next().what == walk_step::kind::wait);
    plan.failed(6, {.code = boost::asio::error::operation_aborted, .message = "cancelled"});
    s = plan.next();
    CHECK(s.what == walk_step::kind::fail);
    CHECK(s.error.code == apig::errc::timed_out);
    CHECK(s.error.message ==
          "listing pages: timed out (page_options.timeout = 50 ms, the walk's overall deadline) after 1 page and 3 "
          "instances");
    CHECK(plan.next().what == walk_step::kind::end);
}

TEST_CASE("walk plan: a deadline that passes while the last page is on its way: no error after all") {
    walk_plan plan(0, {.page_size = 3, .concurrency = 1, .timeout = std::chrono::milliseconds(5)});
    plan.start();
    while (plan.pop_request()) {
    }
    plan.received(0, page(0, 3, 5));
    CHECK(plan.next().what == walk_step::kind::yield);
    CHECK(plan.pop_request() == 3);
    plan.deadline_passed();
    CHECK(plan.take_cancel());
    plan.received(3, page(3, 2, 5));  // the cancellation came too late: the page came anyway
    auto const s = plan.next();
    CHECK(s.what == walk_step::kind::yield);
    CHECK(joined(s.page) == " i-3 i-4");
    CHECK(plan.next().what == walk_step::kind::end);
}

TEST_CASE("walk plan: fail() and close() end the walk and cancel what is in flight") {
    walk_plan plan(0, {.page_size = 3});
    plan.start();
    CHECK(plan.pop_request() == 0);
    auto const e = plan.fail({.code = boost::asio::error::operation_aborted, .message = "listing pages: cancelled"});
    CHECK(e.message == "listing pages: cancelled");
    CHECK(plan.take_cancel());
    CHECK(plan.finished());
    CHECK(plan.next().what == walk_step::kind::end);

    walk_plan closed(0, {.page_size = 3});
    closed.start();
    CHECK(closed.pop_request() == 0);
    closed.close();
    CHECK(closed.take_cancel());
    CHECK(closed.next().what == walk_step::kind::end);
}

TEST_CASE("walk plan: the options' errors, before any request") {
    CHECK_FALSE(walk_plan::check({}));
    auto e = walk_plan::check({.page_size = 0});
    CHECK(e.code == apig::errc::invalid_argument);
    CHECK(e.message == "invalid argument: page_options.page_size must be in 1..500 (got 0)");
    CHECK(walk_plan::check({.page_size = 501}).message ==
          "invalid argument: page_options.page_size must be in 1..500 (got 501)");
    CHECK(walk_plan::check({.concurrency = 65}).message ==
          "invalid argument: page_options.concurrency must be at most 64 (got 65)");
    CHECK_FALSE(walk_plan::check({.concurrency = 0}));  // taken as 1
    CHECK(walk_plan::check({.timeout = std::chrono::milliseconds(-1)}).message ==
          "invalid argument: page_options.timeout must be >= 0 (0: no deadline; got -1 ms)");
}

TEST_CASE("walk plan: a request's limit may only be left at its default or equal the page size") {
    CHECK_FALSE(walk_plan::check_limit({}, {}));                                  // 20 (unset), 500
    CHECK_FALSE(walk_plan::check_limit({.limit = 100}, {.page_size = 100}));      // the same value
    CHECK_FALSE(walk_plan::check_limit({}, {.page_size = 7}));
    auto const e = walk_plan::check_limit({.limit = 7}, {});
    CHECK(e.code == apig::errc::invalid_argument);
    CHECK(e.message ==
          "invalid argument: list_request.limit (7) differs from page_options.page_size (500): a walk requests "
          "every page with page_options.page_size; set the page size there and leave list_request.limit at its "
          "default (20) or equal to it");
    CHECK(walk_plan::check_limit({.limit = 500}, {.page_size = 100}).code == apig::errc::invalid_argument);
}

TEST_CASE("walk plan: the room made for seen ids: the server's total, capped by the walk's own limits") {
    using apig::detail::walk_plan;
    auto const cap = walk_plan::max_reserved_ids;
    apig::page_options o;  // max_pages 2,000,000, max_instances 10,000,000, page_size 500
    CHECK(walk_plan::ids_to_reserve(1'000'000, o) == 1'000'000);
    CHECK(walk_plan::ids_to_reserve(std::numeric_limits<std::int64_t>::max(), o) == cap);  // not trusted
    CHECK(walk_plan::ids_to_reserve(0, o) == 0);
    CHECK(walk_plan::ids_to_reserve(-5, o) == 0);
    o.max_instances = 300;
    CHECK(walk_plan::ids_to_reserve(1'000'000, o) == 300);
    o.max_instances = 0;  // no limit: the cap alone
    CHECK(walk_plan::ids_to_reserve(5'000'000, o) == cap);
    o.max_pages = 3;
    o.page_size = 20;
    CHECK(walk_plan::ids_to_reserve(1'000'000, o) == 60);  // a walk of 3 pages of 20 yields at most 60
    o.max_pages = 0;  // no limit
    CHECK(walk_plan::ids_to_reserve(1'000'000, o) == 1'000'000);
    o.max_pages = std::numeric_limits<std::uint64_t>::max();  // no overflow in pages x page size
    CHECK(walk_plan::ids_to_reserve(1'000'000, o) == 1'000'000);
}
