// The emulator's own checks: its dataset and a few requests over real TLS with a minimal
// Beast client (the client-vs-emulator integration tests live in test/integration).

#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <apig/emulator.hpp>

#include "dataset.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;
namespace emu = apig::emulator;

// A blocking TLS client on one keep-alive connection that verifies the emulator's CA.
struct test_client {
    asio::io_context ioc;
    asio::ssl::context ctx{asio::ssl::context::tls_client};
    asio::ssl::stream<asio::ip::tcp::socket> stream;
    boost::beast::flat_buffer buffer;

    explicit test_client(emu::server const& srv) : stream(ioc, init(srv)) {
        asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), srv.port());
        stream.next_layer().connect(ep);
        SSL_set_tlsext_host_name(stream.native_handle(), "localhost");
        stream.set_verify_callback(asio::ssl::host_name_verification("localhost"));
        stream.handshake(asio::ssl::stream_base::client);
    }
    asio::ssl::context& init(emu::server const& srv) {
        ctx.add_certificate_authority(asio::buffer(srv.ca_pem()));
        ctx.set_verify_mode(asio::ssl::verify_peer);
        return ctx;
    }
    http::response<http::string_body> get(std::string const& target,
                                          std::string const& token = "emulator-token",
                                          http::verb method = http::verb::get) {
        http::request<http::empty_body> req{method, target, 11};
        req.set(http::field::host, "localhost");
        if (!token.empty()) req.set("X-Auth-Token", token);
        http::write(stream, req);
        http::response<http::string_body> res;
        http::read(stream, buffer, res);
        return res;
    }
    void send(std::string const& target) {
        http::request<http::empty_body> req{http::verb::get, target, 11};
        req.set(http::field::host, "localhost");
        req.set("X-Auth-Token", "emulator-token");
        http::write(stream, req);
    }
    // Reads one response, reporting errors (a short body, a reset) instead of throwing.
    boost::system::error_code read(http::response_parser<http::string_body>& p) {
        p.body_limit(16 * 1024 * 1024);
        boost::system::error_code ec;
        http::read(stream, buffer, p, ec);
        return ec;
    }
};

// Runs f until it returns true or about 10 s have passed (for gauges the server updates
// asynchronously); no sleeping, only yielding.
template <class F>
bool eventually(F f) {
    auto const deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!f()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::yield();
    }
    return true;
}

constexpr char const* pid = "73d69ae0cfcf460190522d06b60f05ad";

std::string page(std::string const& query) {
    return std::string("/v2/") + pid + "/apigw/instances" + query;
}

}  // namespace

TEST_CASE("dataset is deterministic, unique and consistent") {
    auto const a = emu::detail::make_dataset(pid, 0, 7, 300);
    auto const b = emu::detail::make_dataset(pid, 0, 7, 300);
    auto const other = emu::detail::make_dataset(pid, 1, 7, 300);
    CHECK(a.blob == b.blob);
    CHECK(a.blob != other.blob);
    std::set<std::string_view> ids;
    std::set<std::string_view> statuses;
    std::set<std::string> specs;
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto const v = json::parse(a.json(i)).as_object();
        CHECK(v.at("id").as_string() == a.id(i));
        CHECK(v.at("instance_name").as_string() == a.name(i));
        CHECK(v.at("project_id").as_string() == pid);
        auto const st = emu::detail::status_table()[a.statuses[i]];
        CHECK(v.at("status").as_string() == st.name);
        CHECK(v.at("instance_status").as_int64() == st.code);
        CHECK(v.contains("cbc_metadata") == (v.at("charging_mode").as_int64() == 1));
        ids.insert(a.id(i));
        statuses.insert(st.name);
        specs.insert(std::string(v.at("spec").as_string()));
    }
    CHECK(ids.size() == a.size());
    CHECK(statuses.count("Hibernating") == 1);
    CHECK(specs.size() == 16);  // the 15 documented ones and PLATINUM_X16
    // The whole blob is a valid JSON array body, and a slice is a contiguous run of it.
    CHECK(json::parse("[" + a.blob + "]").as_array().size() == 300);
    // (Appended, not "[" + string: g++ 12 -O2 warns falsely on that form, -Wrestrict.)
    std::string slice = "[";
    slice.append(a.slice(10, 20)).append("]");
    CHECK(json::parse(slice).as_array().size() == 10);
    // A longer dataset extends a shorter one; the parallel build matches the serial one.
    auto const big = emu::detail::make_dataset(pid, 0, 7, 100000);
    CHECK(big.blob.compare(0, a.blob.size(), a.blob) == 0);
    CHECK(big.json(99999) == emu::detail::make_dataset(pid, 0, 7, 100000).json(99999));
}

TEST_CASE("serves pages, errors and records requests") {
    emu::options opts;
    opts.instance_count = 45;
    opts.project_ids = {pid, "a/b?c#d"};
    emu::server srv(opts);
    test_client c(srv);

    auto res = c.get(page("?limit=3&offset=2"));
    CHECK(res.result_int() == 200);
    CHECK(res[http::field::content_type] == "application/json;charset=UTF-8");
    CHECK(res["X-Request-Id"].size() == 32);
    auto v = json::parse(res.body()).as_object();
    CHECK(v.at("total").as_int64() == 45);
    CHECK(v.at("size").as_int64() == 3);
    CHECK(json::serialize(v.at("instances").as_array().at(0)) == srv.instances_json()[2]);

    // Paging rules of the real API.
    CHECK(json::parse(c.get(page("?limit=0")).body()).at("size").as_int64() == 20);
    CHECK(json::parse(c.get(page("?limit=9999")).body()).at("size").as_int64() == 45);
    CHECK(json::parse(c.get(page("?offset=-5&limit=1")).body()).at("instances").at(0).at("id") ==
          srv.ids()[0].c_str());
    CHECK(json::parse(c.get(page("?offset=44")).body()).at("size").as_int64() == 1);
    CHECK(json::parse(c.get(page("?offset=1000")).body()).at("size").as_int64() == 0);
    CHECK(c.get(page("?limit=abc")).result_int() == 400);
    CHECK(c.get(page("?offset=1.5")).result_int() == 400);

    // Filters.
    auto const id = srv.ids()[7];
    v = json::parse(c.get(page("?instance_id=" + id)).body()).as_object();
    CHECK(v.at("total").as_int64() == 1);
    CHECK(v.at("instances").at(0).at("id").as_string() == id);
    // "网关-实例" percent-encoded: names 17 and 34.
    v = json::parse(c.get(page("?instance_name=%E7%BD%91%E5%85%B3")).body()).as_object();
    CHECK(v.at("total").as_int64() == 2);
    v = json::parse(c.get(page("?status=Running&limit=500")).body()).as_object();
    for (auto const& inst : v.at("instances").as_array()) CHECK(inst.at("status") == "Running");

    // Errors, all on the same keep-alive connection.
    res = c.get(page(""), "wrong");
    CHECK(res.result_int() == 401);
    CHECK(json::parse(res.body()).at("error_code") == "APIC.7102");
    CHECK(c.get(page(""), "").result_int() == 401);
    res = c.get("/v2/other/apigw/instances");
    CHECK(res.result_int() == 403);
    CHECK(json::parse(res.body()).at("error_code") == "APIC.7106");
    CHECK(c.get("/v2/x/apigw/instance").result_int() == 404);
    CHECK(c.get(page(""), "emulator-token", http::verb::post).result_int() == 405);
    srv.fail_next(2, 503);
    CHECK(c.get(page("")).result_int() == 503);
    CHECK(c.get(page("")).result_int() == 503);
    CHECK(c.get(page("")).result_int() == 200);

    // A project id with reserved characters arrives as one decoded segment.
    CHECK(c.get("/v2/a%2Fb%3Fc%23d/apigw/instances").result_int() == 200);
    CHECK(c.get("/v2/%2e%2e/apigw/instances/").result_int() == 403);

    CHECK(srv.connections_accepted() == 1);
    auto const reqs = srv.requests();
    CHECK(reqs.size() == srv.requests_served());
    CHECK(reqs.at(reqs.size() - 2).project_id == "a/b?c#d");
    CHECK(reqs.back().project_id == "..");
    CHECK(reqs.back().status == 403);
    CHECK(reqs.front().had_token);
}

TEST_CASE("stop does not hang with a client mid-request") {
    emu::server srv;
    test_client c(srv);
    asio::write(c.stream, asio::buffer(std::string("GET / HTTP/1.1\r\nHost: x\r\n")));
    srv.stop();
    srv.stop();  // idempotent
    CHECK(srv.connections_accepted() == 1);
}

TEST_CASE("make_tls_material validates IP addresses") {
    emu::cert_options o;
    o.ip_addresses = {"not-an-ip"};
    CHECK_THROWS_AS(emu::make_tls_material(o), std::runtime_error);
}

// ---- fault injection ----

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
