// The emulator's fault injection (fault_options, fail_next): each fault as a client sees it,
// its rates, its order, and its reproducibility from a seed.

#include "support.hpp"

using namespace emulator_test;

TEST_CASE("faults: validation") {
    emu::server srv({.instance_count = 5});
    CHECK_THROWS_AS(srv.set_faults({.probability_500 = 1.5}), std::invalid_argument);
    CHECK_THROWS_AS(srv.set_faults({.probability_reset = -0.1}), std::invalid_argument);
    CHECK_THROWS_AS(srv.set_faults({.fail_first_status = 200}), std::invalid_argument);
    CHECK_THROWS_AS(srv.set_faults({.delay = std::chrono::milliseconds(-1)}),
                    std::invalid_argument);
    CHECK_THROWS_AS(emu::server({.faults = {.probability_503 = 2}}), std::invalid_argument);
    srv.set_faults({.probability_500 = 1, .seed = 9});
    CHECK(srv.faults().probability_500 == 1);
    CHECK(srv.faults().seed == 9);
    CHECK(emu::to_string(emu::fault_kind::closed_after) == "closed_after");
}

TEST_CASE("faults: none configured records offset, limit and no fault") {
    emu::server srv({.instance_count = 5});
    test_client c(srv);
    CHECK(c.get(page("?offset=-3&limit=9999")).result_int() == 200);
    CHECK(c.get("/v2/x/apigw/instance").result_int() == 404);
    auto const reqs = srv.requests();
    REQUIRE(reqs.size() == 2);
    CHECK(reqs[0].fault == emu::fault_kind::none);
    CHECK(reqs[0].offset == 0);
    CHECK(reqs[0].limit == 500);
    CHECK(reqs[1].offset == -1);
    CHECK(reqs[1].limit == -1);
}

TEST_CASE("faults: probability_500 about matches its rate; errors come first") {
    emu::server srv({.instance_count = 5, .faults = {.probability_500 = 0.5, .seed = 3}});
    test_client c(srv);
    int failures = 0;
    for (int i = 0; i < 200; ++i) {
        auto const res = c.get(page(""));
        if (res.result_int() == 500) {
            ++failures;
            CHECK(json::parse(res.body()).at("error_code") == "APIC.9000");
            CHECK(json::parse(res.body()).at("error_msg") ==
                  "Failed to request internal service");
        } else {
            CHECK(res.result_int() == 200);
        }
    }
    CHECK(failures >= 60);
    CHECK(failures <= 140);
    int recorded = 0;
    for (auto const& r : srv.requests()) recorded += r.fault == emu::fault_kind::status_500;
    CHECK(recorded == failures);

    // Faults replace only would-be 200s: 401, 403, 400 are untouched.
    srv.set_faults({.probability_500 = 1});
    CHECK(c.get(page(""), "wrong").result_int() == 401);
    CHECK(c.get("/v2/other/apigw/instances").result_int() == 403);
    CHECK(c.get(page("?limit=x")).result_int() == 400);
    // fail_next takes precedence.
    srv.fail_next(1, 502);
    CHECK(c.get(page("")).result_int() == 502);
    CHECK(srv.requests().back().fault == emu::fault_kind::fail_next);
    CHECK(c.get(page("")).result_int() == 500);
    srv.set_faults({});
    CHECK(c.get(page("")).result_int() == 200);
}

TEST_CASE("faults: 503 carries Retry-After") {
    emu::server srv({.instance_count = 5,
                     .faults = {.probability_503 = 1, .retry_after_seconds = 7}});
    test_client c(srv);
    auto const res = c.get(page(""));
    CHECK(res.result_int() == 503);
    CHECK(res[http::field::retry_after] == "7");
    CHECK(json::parse(res.body()).at("error_code") == "APIG.1009");
    CHECK(srv.requests().back().fault == emu::fault_kind::status_503);
    // fail_next's 503 has none.
    srv.set_faults({});
    srv.fail_next(1, 503);
    CHECK(c.get(page("")).count(http::field::retry_after) == 0);
}

TEST_CASE("faults: reset gives a read error before the body is complete") {
    emu::server srv({.instance_count = 50, .faults = {.probability_reset = 1}});
    test_client c(srv);
    c.send(page("?limit=50"));
    http::response_parser<http::string_body> p;
    auto const ec = c.read(p);
    CHECK(ec);
    CHECK_FALSE(p.is_done());
    MESSAGE("reset: ", ec.message(), ", headers received: ", p.is_header_done());
    CHECK(srv.requests().back().fault == emu::fault_kind::reset);
    CHECK(eventually([&] { return srv.connections_open() == 0; }));
}

TEST_CASE("faults: truncate gives a short body, then a clean close") {
    emu::server srv({.instance_count = 50, .faults = {.probability_truncate = 1}});
    test_client c(srv);
    c.send(page("?limit=50"));
    http::response_parser<http::string_body> p;
    auto const ec = c.read(p);
    CHECK((ec == http::error::partial_message || ec == http::error::end_of_stream));
    REQUIRE(p.is_header_done());
    CHECK(p.get().result_int() == 200);
    auto const length = std::stoull(std::string(p.get()[http::field::content_length]));
    CHECK(p.get().body().size() < length);
    CHECK(p.get().body().size() > 0);
    CHECK(srv.requests().back().fault == emu::fault_kind::truncate);
}

TEST_CASE("faults: malformed JSON with a correct length, connection kept") {
    emu::server srv({.instance_count = 5, .faults = {.probability_malformed_json = 1}});
    test_client c(srv);
    for (auto const* q : {"?limit=3", "?offset=100"}) {  // a page, and an empty one
        auto const res = c.get(page(q));
        CHECK(res.result_int() == 200);
        CHECK(res[http::field::content_length] == std::to_string(res.body().size()));
        boost::system::error_code ec;
        json::parse(res.body(), ec);
        CHECK(ec);
        CHECK(res.body().ends_with("}"));
    }
    CHECK(srv.requests().back().fault == emu::fault_kind::malformed);
    CHECK(srv.connections_accepted() == 1);
}

TEST_CASE("faults: delay and jitter; in_flight, max_in_flight, connections_open") {
    using namespace std::chrono_literals;
    emu::server srv({.instance_count = 5, .threads = 2,
                     .faults = {.delay = 200ms, .delay_jitter = 50ms}});
    {
        test_client c(srv);
        auto const start = std::chrono::steady_clock::now();
        CHECK(c.get(page("")).result_int() == 200);
        auto const took = std::chrono::steady_clock::now() - start;
        CHECK(took >= 200ms);
        CHECK(took < 5s);
        // Delays apply to would-be 200s only.
        CHECK(c.get(page(""), "wrong").result_int() == 401);
    }
    CHECK(srv.in_flight() == 0);
    CHECK(srv.max_in_flight() == 1);
    CHECK(eventually([&] { return srv.connections_open() == 0; }));
    CHECK(srv.max_connections_open() == 1);

    srv.reset_stats();
    CHECK(srv.requests_served() == 0);
    CHECK(srv.requests().empty());
    CHECK(srv.connections_accepted() == 0);
    CHECK(srv.max_in_flight() == 0);

    // Three clients at once: all three wait in the delay together.
    srv.set_faults({.delay = 1500ms});
    std::vector<std::unique_ptr<test_client>> clients;
    for (int i = 0; i < 3; ++i) clients.push_back(std::make_unique<test_client>(srv));
    CHECK(eventually([&] { return srv.connections_open() == 3; }));
    std::vector<std::thread> threads;
    for (auto& c : clients)
        threads.emplace_back([&c] { CHECK(c->get(page("")).result_int() == 200); });
    CHECK(eventually([&] { return srv.in_flight() == 3; }));
    for (auto& t : threads) t.join();
    CHECK(srv.in_flight() == 0);
    CHECK(srv.max_in_flight() == 3);
    CHECK(srv.connections_open() == 3);
    CHECK(srv.max_connections_open() == 3);
    CHECK(srv.connections_accepted() == 3);
    clients.clear();
    CHECK(eventually([&] { return srv.connections_open() == 0; }));
}

TEST_CASE("faults: close_after_requests closes after exactly K responses") {
    emu::server srv({.instance_count = 5, .faults = {.close_after_requests = 3}});
    test_client c(srv);
    for (int i = 0; i < 3; ++i) {
        auto const res = c.get(page(i == 1 ? std::string("?limit=x") : std::string()));
        CHECK(res[http::field::connection] == "keep-alive");
    }
    // No fourth request: the server closes on its own (close_notify).
    http::response_parser<http::string_body> p;
    auto const ec = c.read(p);
    CHECK(ec == http::error::end_of_stream);
    auto const reqs = srv.requests();
    REQUIRE(reqs.size() == 3);
    CHECK(reqs[0].fault == emu::fault_kind::none);
    CHECK(reqs[2].fault == emu::fault_kind::closed_after);
    test_client c2(srv);
    CHECK(c2.get(page("")).result_int() == 200);
    CHECK(srv.connections_accepted() == 2);
}

TEST_CASE("faults: fail_first_per_page counts per (project, offset, limit)") {
    emu::server srv({.instance_count = 50, .faults = {.fail_first_per_page = 2}});
    test_client c(srv);
    CHECK(c.get(page("?offset=10&limit=5")).result_int() == 500);
    CHECK(c.get(page("?offset=10&limit=5")).result_int() == 500);
    CHECK(c.get(page("?offset=10&limit=5")).result_int() == 200);
    CHECK(c.get(page("?offset=15&limit=5")).result_int() == 500);
    test_client other(srv);  // counted across connections
    CHECK(other.get(page("?offset=15&limit=5")).result_int() == 500);
    CHECK(other.get(page("?offset=15&limit=5")).result_int() == 200);
    auto const reqs = srv.requests();
    CHECK(reqs.front().fault == emu::fault_kind::fail_first);
    CHECK(reqs.front().offset == 10);
    CHECK(reqs.front().limit == 5);
    CHECK(reqs.at(2).fault == emu::fault_kind::none);

    // After clamping: offset=-1&limit=0 is (0, 20), like no parameters. set_faults resets
    // the counts.
    srv.set_faults({.fail_first_per_page = 1, .fail_first_status = 503});
    auto res = c.get(page("?offset=-1&limit=0"));
    CHECK(res.result_int() == 503);
    CHECK(res[http::field::retry_after] == "1");
    CHECK(c.get(page("")).result_int() == 200);
    CHECK(c.get(page("?offset=10&limit=5")).result_int() == 503);
}

TEST_CASE("faults: the same seed gives the same faults") {
    auto run = [](std::uint64_t seed) {
        emu::server srv({.instance_count = 5,
                         .faults = {.probability_500 = 0.3,
                                    .probability_503 = 0.3,
                                    .probability_malformed_json = 0.3,
                                    .seed = seed}});
        test_client c(srv);
        std::vector<emu::fault_kind> out;
        for (int i = 0; i < 60; ++i) {
            c.get(page(""));
            out.push_back(srv.requests().back().fault);
        }
        return out;
    };
    auto const a = run(42);
    CHECK(a == run(42));
    CHECK(a != run(43));
    CHECK(std::set<emu::fault_kind>(a.begin(), a.end()).size() == 4);
}
