// The emulator's mutation mode (mutation_options): what a walk over a list that changes
// between requests sees, and that concurrent clients each see one consistent list.

#include "support.hpp"

using namespace emulator_test;

namespace {

struct page_result {
    std::int64_t total = -1;
    std::vector<std::string> ids;
};

page_result get_page(test_client& c, std::string const& query) {
    auto const res = c.get(page(query));
    REQUIRE(res.result_int() == 200);
    auto const v = json::parse(res.body()).as_object();
    page_result out;
    out.total = v.at("total").as_int64();
    for (auto const& inst : v.at("instances").as_array())
        out.ids.emplace_back(inst.at("id").as_string());
    CHECK(v.at("size").as_int64() == static_cast<std::int64_t>(out.ids.size()));
    return out;
}

// A sequential offset walk (offset += limit) until offset >= the last total.
std::vector<page_result> walk(test_client& c, std::int64_t limit) {
    std::vector<page_result> pages;
    for (std::int64_t offset = 0;; offset += limit) {
        pages.push_back(get_page(
            c, "?offset=" + std::to_string(offset) + "&limit=" + std::to_string(limit)));
        if (offset + limit >= pages.back().total) break;
    }
    return pages;
}

std::vector<std::string> all_ids(std::vector<page_result> const& pages) {
    std::vector<std::string> out;
    for (auto const& p : pages) out.insert(out.end(), p.ids.begin(), p.ids.end());
    return out;
}

bool unique(std::vector<std::string> const& v) {
    return std::set<std::string>(v.begin(), v.end()).size() == v.size();
}

}  // namespace

TEST_CASE("mutation: make_instance is the dataset's generator, beyond the dataset too") {
    auto const ds = emu::detail::make_dataset(pid, 0, 7, 301);
    for (std::size_t i : {0u, 3u, 16u, 42u, 300u}) {
        auto const inst = emu::detail::make_instance(pid, 0, 7, i);
        CHECK(inst.json == ds.json(i));
        CHECK(inst.id == ds.id(i));
        CHECK(inst.name == ds.name(i));
        CHECK(inst.status == ds.statuses[i]);
    }
    CHECK(emu::detail::make_instance(pid, 1, 7, 0).id != ds.id(0));
}

TEST_CASE("mutation: deleting at the front makes a sequential walk skip; total falls") {
    emu::server srv({.instance_count = 50,
                     .mutation = {.delete_per_request = 3,
                                  .position = emu::mutation_position::front}});
    auto const orig = srv.ids();
    test_client c(srv);
    auto const pages = walk(c, 10);
    // Each page is answered from the list before its own deletion: page k (offset 10k) sees
    // orig[13k, 13k + 10) of a list of 50 - 3k.
    REQUIRE(pages.size() == 5);
    for (std::size_t k = 0; k < pages.size(); ++k) {
        CHECK(pages[k].total == static_cast<std::int64_t>(50 - 3 * k));
        std::vector<std::string> expected;
        for (std::size_t i = 13 * k; i < std::min<std::size_t>(13 * k + 10, 50); ++i)
            expected.push_back(orig[i]);
        CHECK(pages[k].ids == expected);
    }
    auto const seen = all_ids(pages);
    CHECK(unique(seen));  // a sequential walk never repeats on deletions...
    CHECK(seen.size() == 40);  // ...it skips: orig[10..13), [23..26), [36..39), [49]
    std::set<std::string> const seen_set(seen.begin(), seen.end());
    CHECK(seen_set.count(orig[10]) == 0);
    CHECK(seen_set.count(orig[49]) == 0);

    // ids() is the current list: 5 pages, 15 deleted from the front.
    CHECK(srv.ids() == std::vector<std::string>(orig.begin() + 15, orig.end()));
    auto const js = srv.instances_json();
    REQUIRE(js.size() == 35);
    CHECK(json::parse(js.front()).at("id").as_string() == orig[15]);
    auto const st = srv.mutations();
    CHECK(st.deleted == 15);
    CHECK(st.inserted == 0);
    CHECK(st.requests == 5);

    // A later offset answered before an earlier one (several pages in flight): deletions at
    // the front then show duplicates.
    auto const late = get_page(c, "?offset=10&limit=10");   // list[10..20)
    auto const early = get_page(c, "?offset=0&limit=10");   // list[3..13) after 3 deletions
    std::vector<std::string> both = late.ids;
    both.insert(both.end(), early.ids.begin(), early.ids.end());
    CHECK(std::set<std::string>(both.begin(), both.end()).size() == both.size() - 3);
    CHECK(early.total == late.total - 3);
}

TEST_CASE("mutation: inserting at the front makes a sequential walk repeat; total grows") {
    emu::server srv({.instance_count = 50, .mutation = {.insert_per_request = 3}});
    auto const orig = srv.ids();
    std::set<std::string> const orig_set(orig.begin(), orig.end());
    test_client c(srv);
    auto const pages = walk(c, 10);
    REQUIRE(pages.size() >= 2);
    for (std::size_t k = 0; k < pages.size(); ++k) {
        CHECK(pages[k].total == static_cast<std::int64_t>(50 + 3 * k));
        // Page k sees orig[7k, 7k + 10): the first 3 are the previous page's last 3.
        std::vector<std::string> expected;
        for (std::size_t i = 7 * k; i < std::min<std::size_t>(7 * k + 10, 50); ++i)
            expected.push_back(orig[i]);
        CHECK(pages[k].ids == expected);
        if (k > 0)
            CHECK(std::vector<std::string>(pages[k].ids.begin(), pages[k].ids.begin() + 3) ==
                  std::vector<std::string>(pages[k - 1].ids.end() - 3, pages[k - 1].ids.end()));
    }
    auto const seen = all_ids(pages);
    std::set<std::string> const seen_set(seen.begin(), seen.end());
    CHECK(seen.size() - seen_set.size() == 3 * (pages.size() - 1));  // repeats
    CHECK(seen_set == orig_set);  // every original seen, no new one (they are behind the walk)

    // The current list: the new instances in front, each block in insertion order with the
    // latest block first; fresh ids from the dataset's generator (indices 50, 51, ...).
    auto const now = srv.ids();
    std::size_t const added = 3 * pages.size();
    REQUIRE(now.size() == 50 + added);
    CHECK(unique(now));
    CHECK(std::vector<std::string>(now.begin() + static_cast<std::ptrdiff_t>(added), now.end()) ==
          orig);
    CHECK(now[0] == emu::detail::make_instance(pid, 0, 1, 50 + added - 3).id);
    CHECK(now[added - 1] == emu::detail::make_instance(pid, 0, 1, 52).id);
    for (std::size_t i = 0; i < added; ++i) CHECK(orig_set.count(now[i]) == 0);
    CHECK(srv.mutations().inserted == added);
    CHECK(json::parse(srv.instances_json()[0]).at("id").as_string() == now[0]);
}

TEST_CASE("mutation: at the back a sequential walk neither repeats nor skips") {
    emu::server srv({.instance_count = 50,
                     .mutation = {.insert_per_request = 1,
                                  .position = emu::mutation_position::back}});
    auto const orig = srv.ids();
    test_client c(srv);
    auto const pages = walk(c, 10);
    auto const seen = all_ids(pages);
    CHECK(unique(seen));
    // The walk catches up with the end: all 50 originals, then the new ones at the end.
    REQUIRE(seen.size() > 50);
    CHECK(std::vector<std::string>(seen.begin(), seen.begin() + 50) == orig);
    CHECK(seen[50] == emu::detail::make_instance(pid, 0, 1, 50).id);
    CHECK(pages.back().total > 50);

    srv.set_mutation({.delete_per_request = 4, .position = emu::mutation_position::back});
    auto const before = srv.ids();
    auto const pages2 = walk(c, 10);
    auto const seen2 = all_ids(pages2);
    CHECK(unique(seen2));
    CHECK(std::vector<std::string>(before.begin(),
                                   before.begin() + static_cast<std::ptrdiff_t>(seen2.size())) ==
          seen2);
    CHECK(pages2[1].total == pages2[0].total - 4);
}

TEST_CASE("mutation: random positions are deterministic per seed") {
    auto run = [](std::uint64_t seed) {
        emu::server srv({.instance_count = 30,
                         .mutation = {.insert_per_request = 2,
                                      .delete_per_request = 2,
                                      .position = emu::mutation_position::random,
                                      .seed = seed}});
        test_client c(srv);
        for (int i = 0; i < 10; ++i) CHECK(get_page(c, "?limit=5").total == 30);
        auto const st = srv.mutations();
        CHECK(st.inserted == 20);
        CHECK(st.deleted == 20);
        return srv.ids();
    };
    auto const a = run(5);
    CHECK(a.size() == 30);
    CHECK(unique(a));
    CHECK(a == run(5));
    CHECK(a != run(6));
    // Some new instances landed inside the list, not only at its ends.
    auto const orig = emu::server({.instance_count = 30}).ids();
    std::set<std::string> const orig_set(orig.begin(), orig.end());
    std::size_t inside = 0;
    for (std::size_t i = 1; i + 1 < a.size(); ++i) inside += orig_set.count(a[i]) == 0;
    CHECK(inside > 0);
}

TEST_CASE("mutation: set at run time; only 200s mutate; filters; deletes stop at empty") {
    emu::server srv({.project_ids = {pid, "other"}, .instance_count = 5});
    auto const orig = srv.ids();
    test_client c(srv);
    CHECK(get_page(c, "").total == 5);
    CHECK(srv.ids() == orig);
    CHECK(srv.mutations().requests == 0);
    CHECK_THROWS_AS(srv.set_mutation({.position = static_cast<emu::mutation_position>(9)}),
                    std::invalid_argument);

    srv.set_mutation({.delete_per_request = 2});
    CHECK(srv.mutation().delete_per_request == 2);
    CHECK(get_page(c, "").total == 5);  // answered before its own change
    CHECK(srv.ids().size() == 3);
    // Errors change nothing.
    CHECK(c.get(page(""), "wrong").result_int() == 401);
    CHECK(c.get(page("?limit=x")).result_int() == 400);
    CHECK(c.get("/v2/nope/apigw/instances").result_int() == 403);
    srv.fail_next(1, 500);
    CHECK(c.get(page("")).result_int() == 500);
    srv.set_faults({.probability_503 = 1});
    CHECK(c.get(page("")).result_int() == 503);
    srv.set_faults({});
    CHECK(srv.ids().size() == 3);
    // Another project's page changes that project's list only.
    CHECK(c.get("/v2/other/apigw/instances").result_int() == 200);
    CHECK(srv.ids(1).size() == 3);
    CHECK(srv.ids().size() == 3);
    CHECK(srv.mutations(1).deleted == 2);
    CHECK_THROWS_AS(srv.mutations(2), std::out_of_range);

    // A faulted 200 still counts: the page was served.
    srv.set_faults({.probability_malformed_json = 1});
    CHECK(c.get(page("")).result_int() == 200);
    srv.set_faults({});
    CHECK(srv.ids() == std::vector<std::string>{orig[4]});
    auto p = get_page(c, "");
    CHECK(p.total == 1);
    CHECK(p.ids == std::vector<std::string>{orig[4]});
    CHECK(get_page(c, "").total == 0);  // never below empty
    CHECK(srv.mutations().deleted == 5);
    CHECK(srv.mutations().requests == 4);  // the malformed one included

    // Inserts after everything was deleted: fresh ids, never a deleted one.
    srv.set_mutation({.insert_per_request = 2});
    CHECK(get_page(c, "").total == 0);
    auto const now = srv.ids();
    REQUIRE(now.size() == 2);
    CHECK(now[0] == emu::detail::make_instance(pid, 0, 1, 5).id);
    CHECK(now[1] == emu::detail::make_instance(pid, 0, 1, 6).id);
    // Filters run over the current list.
    p = get_page(c, "?instance_id=" + now[1]);
    CHECK(p.total == 1);
    CHECK(p.ids == std::vector<std::string>{now[1]});
    auto const running = json::parse(c.get(page("?status=Running&limit=500")).body());
    for (auto const& inst : running.at("instances").as_array())
        CHECK(inst.at("status") == "Running");
    CHECK(srv.ids().size() == 6);
    CHECK(unique(srv.ids()));

    // Off again: the list stays as it is (still served), the counters too.
    srv.set_mutation({});
    srv.reset_stats();
    auto const frozen = srv.ids();
    p = get_page(c, "?limit=500");
    CHECK(p.ids == frozen);
    CHECK(p.total == 6);
    CHECK(srv.ids() == frozen);
    CHECK(srv.mutations().inserted == 6);
}

TEST_CASE("mutation: concurrent clients each see one consistent list") {
    emu::server srv({.instance_count = 200,
                     .threads = 2,
                     .mutation = {.insert_per_request = 1,
                                  .delete_per_request = 1,
                                  .position = emu::mutation_position::random,
                                  .seed = 3}});
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&srv, t] {
            test_client c(srv);
            for (int i = 0; i < 25; ++i) {
                auto const p = get_page(
                    c, "?limit=50&offset=" + std::to_string((t * 25 + i) % 5 * 30));
                CHECK(p.total == 200);  // one deletion then one insertion per request
                CHECK(p.ids.size() == 50);
                CHECK(unique(p.ids));
            }
        });
    for (auto& t : threads) t.join();
    auto const st = srv.mutations();
    CHECK(st.requests == 100);
    CHECK(st.inserted == 100);
    CHECK(st.deleted == 100);
    auto const now = srv.ids();
    CHECK(now.size() == 200);
    CHECK(unique(now));
}
