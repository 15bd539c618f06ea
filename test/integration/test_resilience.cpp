// Pool, retry loop, timeouts and cancellation against the in-process emulator (and scripted
// servers where the emulator cannot misbehave the right way). Waits are injected: no test
// sleeps for a backoff.
#include "harness.hpp"
#include "raw_server.hpp"
#include "retry_detail.hpp"  // test seams

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <doctest/doctest.h>

#include <mutex>
#include <set>
#include <thread>

namespace asio = boost::asio;
using apig::test::list_error;
using apig::test::options_for;
using apig::test::raw_server;
using apig::test::run;
using std::chrono::milliseconds;

namespace {

// A sleeper that records what it was asked to wait and returns at once, and a fixed jitter.
struct recorded_waits {
    std::vector<milliseconds> waits;
    void install(apig::client_options& o, double jitter = 0.5) {
        apig::detail::seams(o.retry).random = [jitter] { return jitter; };
        apig::detail::seams(o.retry).sleep = [this](milliseconds d) -> asio::awaitable<void> {
            waits.push_back(d);
            co_return;
        };
    }
};

// Runs `calls` concurrent list_instances and returns how many succeeded.
int run_concurrently(asio::io_context& io, apig::client& c, int calls, apig::list_request req = {}) {
    int ok = 0;
    for (int i = 0; i < calls; ++i)
        asio::co_spawn(io, c.list_instances(req), [&](std::exception_ptr ep, apig::instance_page) { ok += !ep; });
    io.restart();
    io.run();
    return ok;
}

// Starts one call, lets it reach whatever it waits for, then cancels it (terminal) from the
// executor; returns how it ended.
std::pair<boost::system::error_code, apig::error_info> cancelled_call(apig::client& c, asio::io_context& io) {
    asio::cancellation_signal sig;
    boost::system::error_code got = apig::errc::invalid_argument;  // overwritten by the handler
    apig::error_info diag;
    c.async_list_instances({}, diag, asio::bind_cancellation_slot(sig.slot(), [&](boost::system::error_code ec, apig::instance_page) {
                               got = ec;
                           }));
    asio::steady_timer t(io, milliseconds(50));
    t.async_wait([&](boost::system::error_code) { sig.emit(asio::cancellation_type::terminal); });
    io.restart();
    io.run();
    return {got, diag};
}

// A TCP server that accepts and never speaks TLS: the client's handshake waits forever.
struct silent_server {
    asio::io_context io;
    asio::ip::tcp::acceptor acc{io, {asio::ip::make_address("127.0.0.1"), 0}};
    asio::ip::tcp::socket held{io};
    std::thread thread;
    silent_server() {
        acc.async_accept(held, [](boost::system::error_code) {});
        thread = std::thread([this] { io.run(); });
    }
    ~silent_server() {
        io.stop();
        thread.join();
    }
    apig::client_options options() const {
        return {.endpoint = "https://127.0.0.1:" + std::to_string(acc.local_endpoint().port()),
                .project_id = "p",
                .credentials = apig::token_credentials{"resilience-token"}};
    }
};

}  // namespace

TEST_CASE("500 then 200: one page after 2 attempts, with the exact backoff") {
    apig::emulator::server srv({.instance_count = 5});
    srv.fail_next(1, 500);
    auto o = options_for(srv);
    recorded_waits w;
    w.install(o, 0.5);
    std::vector<apig::attempt_info> seen;
    std::vector<int> statuses;
    o.on_attempt = [&](apig::attempt_info const& a) {
        seen.push_back(a);
        statuses.push_back(static_cast<int>(a.http_status));
    };
    asio::io_context io;
    apig::client c(io.get_executor(), o);
    auto p = run(io, c.list_instances({}));
    CHECK(p.total == 5);
    CHECK(srv.requests_served() == 2);
    REQUIRE(w.waits.size() == 1);
    CHECK(w.waits[0] == milliseconds(50));  // 0.5 * 100 ms
    REQUIRE(seen.size() == 2);
    CHECK(seen[0].attempt == 1);
    CHECK(seen[0].action == apig::retry_action::retry);
    CHECK(seen[0].backoff == milliseconds(50));
    CHECK(seen[0].error != nullptr);  // (not dereferenced: valid only during the hook)
    CHECK(seen[1].error == nullptr);
    CHECK(statuses == std::vector<int>{500, 200});
    CHECK(seen[1].attempt == 2);
    CHECK(seen[1].action == apig::retry_action::none);
    CHECK(seen[1].reused_connection);  // the 500 left the connection usable
    CHECK(seen[1].bytes > 0);
    CHECK(c.stats().retries == 1);
    CHECK(c.stats().requests == 2);
}

TEST_CASE("500 forever: api_error after exactly max_attempts, with the count and the last error") {
    apig::emulator::server srv({.instance_count = 5});
    srv.fail_next(100, 500);
    auto o = options_for(srv);
    recorded_waits w;
    w.install(o, 0.999);
    asio::io_context io;
    apig::client c(io.get_executor(), o);
    try {
        run(io, c.list_instances({}));
        FAIL("expected failure");
    } catch (apig::api_error const& e) {
        CHECK(e.code() == apig::errc::internal_server_error);
        CHECK(e.http_status() == 500);
        CHECK(e.api_code() == "APIC.9000");
        CHECK(e.info().attempts == 4);
        CHECK(std::string(e.what()).find("gave up after 4 attempts") != std::string::npos);
    }
    CHECK(srv.requests_served() == 4);
    CHECK(w.waits == std::vector<milliseconds>{milliseconds(99), milliseconds(199), milliseconds(399)});
}

TEST_CASE("401 and 403 are sent once") {
    apig::emulator::server srv({.instance_count = 5});
    auto bad_token = options_for(srv);
    bad_token.credentials = apig::token_credentials{"wrong-token"};
    CHECK(list_error(bad_token).info().attempts == 1);
    CHECK(srv.requests_served() == 1);
    CHECK(list_error(options_for(srv, "not-served")).code() == apig::errc::forbidden);
    CHECK(srv.requests_served() == 2);
}

TEST_CASE("transport failures and malformed bodies are retried") {
    std::string const good = raw_server::response(
        "200 OK", R"({"total":1,"size":1,"instances":[{"id":"i-1"}]})", "X-Request-Id: ok\r\n");
    struct row {
        char const* name;
        raw_server::reply bad;
    };
    for (auto const& r : std::vector<row>{
             {"reset before a response", {"", true}},
             {"truncated body", {"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"total\":1,", true}},
             {"malformed JSON", {raw_server::response("200 OK", "{\"total\":1,\"size\":1,\"instances\":[{\"id\"}]}"), false}},
             {"503", {raw_server::response("503 Service Unavailable", ""), false}},
         }) {
        CAPTURE(r.name);
        raw_server srv({r.bad, {good, false}});
        apig::client_options o;
        o.endpoint = srv.endpoint();
        o.project_id = "p";
        o.credentials = apig::token_credentials{"resilience-token"};
        o.tls.use_system_trust_store = false;
        o.tls.ca_pem = srv.ca_pem();
        recorded_waits w;
        w.install(o);
        asio::io_context io;
        apig::client c(io.get_executor(), o);
        auto p = run(io, c.list_instances({}));
        CHECK(p.instances.size() == 1);
        CHECK(w.waits.size() == 1);
        CHECK(c.stats().retries == 1);
    }
}

TEST_CASE("Retry-After is waited for, capped at max_backoff") {
    std::string const good = raw_server::response("200 OK", R"({"total":0,"size":0,"instances":[]})");
    for (auto const& row : std::vector<std::pair<std::string, milliseconds>>{
             {"Retry-After: 1\r\n", milliseconds(1000)},
             {"Retry-After: 3600\r\n", milliseconds(10000)},
             {"Retry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\n", milliseconds(0)}}) {
        auto const& [header, expected] = row;
        CAPTURE(row.first);
        raw_server srv({{raw_server::response("503 Service Unavailable", "", header), false}, {good, false}});
        apig::client_options o{.endpoint = srv.endpoint(), .project_id = "p", .credentials = apig::token_credentials{"resilience-token"}};
        o.tls.ca_pem = srv.ca_pem();
        recorded_waits w;
        w.install(o, 0.0);
        asio::io_context io;
        apig::client c(io.get_executor(), o);
        run(io, c.list_instances({}));
        CHECK(w.waits == std::vector<milliseconds>{expected});
    }
}

TEST_CASE("an empty retry budget returns the error at once and says so") {
    apig::emulator::server srv({.instance_count = 5});
    srv.fail_next(1000, 503);
    auto o = options_for(srv);
    o.retry_budget = {.capacity = 12, .retry_cost = 5, .timeout_cost = 10, .success_refund = 1};
    recorded_waits w;
    w.install(o);
    asio::io_context io;
    apig::client c(io.get_executor(), o);
    auto first = [&] {
        try {
            run(io, c.list_instances({}));
        } catch (apig::api_error const& e) {
            return e;
        }
        throw std::runtime_error("succeeded");
    };
    auto e1 = first();  // attempts 1, 2, 3 (two retries cost 10 of 12 tokens), then no tokens
    CHECK(e1.info().attempts == 3);
    CHECK(std::string(e1.what()).find("retry budget is exhausted") != std::string::npos);
    CHECK(c.stats().retry_tokens == 2);
    auto e2 = first();  // no retry at all now
    CHECK(e2.info().attempts == 1);
    CHECK(e2.code() == apig::errc::server_error);
    CHECK(srv.requests_served() == 4);
}

TEST_CASE("two clients sharing one retry budget draw on the same tokens") {
    apig::emulator::server srv({.instance_count = 5});
    srv.fail_next(1000, 503);
    auto shared = std::make_shared<apig::retry_budget>(
        apig::retry_budget_options{.capacity = 12, .retry_cost = 5, .timeout_cost = 10, .success_refund = 1});
    auto o = options_for(srv);
    o.shared_retry_budget = shared;
    o.retry_budget = {.capacity = 1000};  // ignored: the shared budget's options apply
    recorded_waits w;
    w.install(o);
    asio::io_context io;
    apig::client a(io.get_executor(), o);
    apig::client b(io.get_executor(), o);
    auto fails = [&](apig::client& c) {
        try {
            run(io, c.list_instances({}));
        } catch (apig::api_error const& e) {
            return e;
        }
        throw std::runtime_error("succeeded");
    };
    auto ea = fails(a);  // attempts 1, 2, 3 (two retries cost 10 of 12 tokens), then no tokens
    CHECK(ea.info().attempts == 3);
    CHECK(shared->available() == 2);
    CHECK(a.stats().retry_tokens == 2);
    CHECK(b.stats().retry_tokens == 2);
    auto eb = fails(b);  // the other client has no token left for a retry either
    CHECK(eb.info().attempts == 1);
    CHECK(std::string(eb.what()).find("retry budget is exhausted") != std::string::npos);
    CHECK(srv.requests_served() == 4);
    CHECK(w.waits.size() == 2);
}

TEST_CASE("per-attempt timeout against a slow server") {
    apig::emulator::server srv({.instance_count = 5});
    srv.set_response_delay(milliseconds(2000));
    auto o = options_for(srv);
    o.timeouts.attempt = milliseconds(100);
    o.retry.max_attempts = 1;
    auto const t0 = std::chrono::steady_clock::now();
    auto e = list_error(o);
    CHECK(std::chrono::steady_clock::now() - t0 < milliseconds(1500));
    CHECK(e.code() == apig::errc::timed_out);
    CHECK(std::string(e.what()).find("timeouts.attempt = 100 ms") != std::string::npos);
}

TEST_CASE("the overall deadline covers attempts and backoff waits") {
    apig::emulator::server srv({.instance_count = 5});
    srv.set_response_delay(milliseconds(2000));
    auto o = options_for(srv);
    o.timeouts.attempt = milliseconds(150);
    o.timeouts.total = milliseconds(400);
    o.retry.initial_backoff = milliseconds(10);
    o.retry.max_attempts = 100;
    auto const t0 = std::chrono::steady_clock::now();
    auto e = list_error(o);
    auto const took = std::chrono::steady_clock::now() - t0;
    CHECK(took < milliseconds(1500));
    CHECK(took >= milliseconds(390));
    CHECK(e.code() == apig::errc::timed_out);
    CHECK(std::string(e.what()).find("timeouts.total = 400 ms") != std::string::npos);
    CHECK(e.info().attempts >= 2);
}

TEST_CASE("a backoff longer than the time left ends the call at once with timed_out") {
    apig::emulator::server srv({.instance_count = 5});
    srv.fail_next(10, 500);
    auto o = options_for(srv);
    o.timeouts.total = milliseconds(300);
    o.retry.initial_backoff = milliseconds(5000);
    apig::detail::seams(o.retry).random = [] { return 0.9; };
    auto const t0 = std::chrono::steady_clock::now();
    auto e = list_error(o);
    CHECK(std::chrono::steady_clock::now() - t0 < milliseconds(250));
    CHECK(e.code() == apig::errc::timed_out);
    CHECK(e.http_status() == 500);
    CHECK(e.api_code() == "APIC.9000");
    CHECK(std::string(e.what()).find("left no time for the 4500 ms wait before attempt 2") != std::string::npos);
}

TEST_CASE("64 concurrent calls with max_connections = 8") {
    apig::emulator::server srv({.instance_count = 100, .threads = 2});
    auto o = options_for(srv);
    o.pool.max_connections = 8;
    asio::io_context io;
    apig::client c(io.get_executor(), o);
    CHECK(run_concurrently(io, c, 64, {.limit = 50}) == 64);
    auto s = c.stats();
    CHECK(s.retries == 0);
    CHECK(srv.max_in_flight() <= 8);
    CHECK(srv.connections_accepted() <= 8);
    CHECK(srv.connections_accepted() == s.created);
    CHECK(srv.requests_served() == 64);
    CHECK(s.created + s.reused == 64);
    CHECK(s.in_use == 0);
    CHECK(s.open == s.idle);
    CHECK(s.waits > 0);
}

TEST_CASE("max_requests_per_connection retires connections") {
    apig::emulator::server srv({.instance_count = 5});
    auto o = options_for(srv);
    o.pool.max_requests_per_connection = 3;
    asio::io_context io;
    apig::client c(io.get_executor(), o);
    run(io, [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 10; ++i) co_await c.list_instances({});
    }());
    CHECK(srv.connections_accepted() == 4);
    CHECK(c.stats().created == 4);
}

TEST_CASE("an idle connection past idle_timeout is closed, not used") {
    apig::emulator::server srv({.instance_count = 5});
    auto o = options_for(srv);
    o.pool.idle_timeout = milliseconds(20);
    asio::io_context io;
    apig::client c(io.get_executor(), o);
    run(io, [&]() -> asio::awaitable<void> {
        co_await c.list_instances({});
        co_await c.list_instances({});  // reused: well within the idle timeout
        asio::steady_timer t(co_await asio::this_coro::executor, milliseconds(40));
        co_await t.async_wait(asio::use_awaitable);  // let the idle connection age
        co_await c.list_instances({});
    }());
    CHECK(c.stats().created == 2);
    CHECK(srv.connections_accepted() == 2);
}

TEST_CASE("cancellation in each wait state leaves no connection behind") {
    apig::emulator::server srv({.instance_count = 5});
    auto o = options_for(srv);
    o.pool.max_connections = 1;

    auto cancel_after_start = [&](apig::client& c, asio::io_context& io, auto&& prepare) {
        prepare();
        auto [got, diag] = cancelled_call(c, io);
        CHECK(got == asio::error::operation_aborted);
        CHECK(diag.message.find("cancelled") != std::string::npos);
        return diag;
    };

    SUBCASE("reading the response") {
        asio::io_context io;
        apig::client c(io.get_executor(), o);
        auto d = cancel_after_start(c, io, [&] { srv.set_response_delay(milliseconds(5000)); });
        CHECK(d.message.find("reading the response") != std::string::npos);
        CHECK(c.stats().open == 0);
        CHECK(c.stats().in_use == 0);
    }
    SUBCASE("waiting for a connection") {
        srv.set_response_delay(milliseconds(300));
        asio::io_context io;
        apig::client c(io.get_executor(), o);
        bool first_ok = false;
        c.async_list_instances({}, [&](boost::system::error_code ec, apig::instance_page) { first_ok = !ec; });
        auto d = cancel_after_start(c, io, [] {});
        CHECK(d.message.find("waiting for a connection") != std::string::npos);
        CHECK(first_ok);  // the call holding the connection is not disturbed
        CHECK(c.stats().in_use == 0);
    }
    SUBCASE("sleeping before a retry") {
        srv.fail_next(1, 503);
        auto slow = o;
        slow.retry.initial_backoff = milliseconds(60'000);
        apig::detail::seams(slow.retry).random = [] { return 0.5; };
        asio::io_context io;
        apig::client c(io.get_executor(), slow);
        auto d = cancel_after_start(c, io, [] {});
        CHECK(d.message.find("before attempt 2") != std::string::npos);
        CHECK(c.stats().in_use == 0);
    }
}

TEST_CASE("cancellation during the TLS handshake") {
    silent_server server;
    asio::io_context io;
    apig::client c(io.get_executor(), server.options());
    auto [got, diag] = cancelled_call(c, io);
    CHECK(got == asio::error::operation_aborted);
    CHECK(diag.message.find("TLS handshake") != std::string::npos);
    CHECK(c.stats().open == 0);
}

TEST_CASE("a handshake that never completes times out (timeouts.handshake)") {
    silent_server server;
    auto o = server.options();
    o.timeouts.handshake = milliseconds(100);
    o.retry.max_attempts = 1;
    auto e = list_error(o);
    CHECK(e.code() == apig::errc::timed_out);
    CHECK(std::string(e.what()).find("timeouts.handshake = 100 ms") != std::string::npos);
}

TEST_CASE("client.cancel() ends every call in flight; later calls work") {
    apig::emulator::server srv({.instance_count = 5});
    srv.set_response_delay(milliseconds(5000));
    auto o = options_for(srv);
    o.pool.max_connections = 2;
    asio::io_context io;
    apig::client c(io.get_executor(), o);
    int aborted = 0;
    for (int i = 0; i < 6; ++i)
        c.async_list_instances({}, [&](boost::system::error_code ec, apig::instance_page) {
            aborted += ec == asio::error::operation_aborted;
        });
    asio::steady_timer t(io, milliseconds(50));
    t.async_wait([&](boost::system::error_code) { c.cancel(); });
    io.run();
    CHECK(aborted == 6);
    CHECK(c.stats().in_use == 0);
    srv.set_response_delay(milliseconds(0));
    CHECK(run(io, c.list_instances({})).total == 5);
}

TEST_CASE("destroying the client mid-call: every call ends, every connection closes") {
    apig::emulator::server srv({.instance_count = 5});
    srv.set_response_delay(milliseconds(5000));
    asio::io_context io;
    int aborted = 0;
    {
        auto o = options_for(srv);
        o.pool.max_connections = 3;
        auto c = std::make_unique<apig::client>(io.get_executor(), o);
        for (int i = 0; i < 5; ++i)
            c->async_list_instances({}, [&](boost::system::error_code ec, apig::instance_page) {
                aborted += ec == asio::error::operation_aborted;
            });
        asio::steady_timer t(io, milliseconds(50));
        t.async_wait([&](boost::system::error_code) { c.reset(); });
        io.run();  // returns only once no coroutine of the client is left
    }
    CHECK(aborted == 5);
}

TEST_CASE("one client used from two threads of a multi-threaded io_context") {
    apig::emulator::server srv({.instance_count = 40, .threads = 2});
    auto o = options_for(srv);
    o.pool.max_connections = 4;
    asio::io_context io(2);
    apig::client c(io.get_executor(), o);
    std::atomic<int> ok{0};
    auto guard = asio::make_work_guard(io);
    std::thread t1([&] { io.run(); });
    std::thread t2([&] { io.run(); });
    std::thread poller([&] {
        for (int i = 0; i < 200; ++i) (void)c.stats();
    });
    std::vector<std::future<apig::instance_page>> results;
    for (int i = 0; i < 64; ++i)
        results.push_back(c.async_list_instances({.offset = i % 30, .limit = 10}, asio::use_future));
    for (auto& f : results) ok += f.get().instances.size() == 10;
    guard.reset();
    poller.join();
    t1.join();
    t2.join();
    CHECK(ok == 64);
    auto const s = c.stats();
    CHECK(s.in_use == 0);
    CHECK(s.open <= 4);
    CHECK(s.retries == 0);
    CHECK(srv.connections_accepted() <= 4);
    CHECK(srv.connections_accepted() == s.created);
}

namespace {

// A listening socket whose accept queue is full: further SYNs are dropped, so a connect hangs
// in the TCP handshake until the client gives up.
struct full_backlog {
    asio::io_context io;
    asio::ip::tcp::acceptor acc{io};
    std::vector<asio::ip::tcp::socket> fillers;
    full_backlog() {
        acc.open(asio::ip::tcp::v4());
        acc.bind({asio::ip::make_address("127.0.0.1"), 0});
        acc.listen(0);
        // Fill the queue (it holds backlog + 1); non-blocking connects that complete or pend.
        for (int i = 0; i < 4; ++i) {
            fillers.emplace_back(io);
            fillers.back().async_connect(acc.local_endpoint(), [](boost::system::error_code) {});
        }
        io.run_for(milliseconds(200));
    }
    std::string endpoint() const { return "https://127.0.0.1:" + std::to_string(acc.local_endpoint().port()); }
};

}  // namespace

TEST_CASE("a connect that never completes times out (timeouts.connect), or can be cancelled") {
    full_backlog server;
    apig::client_options o{.endpoint = server.endpoint(), .project_id = "p", .credentials = apig::token_credentials{"resilience-token"}};
    o.timeouts.connect = milliseconds(150);
    o.retry.max_attempts = 1;
    SUBCASE("timeout") {
        auto e = list_error(o);
        std::string const what = e.what();
        CAPTURE(what);
        // Some kernels answer an overflowing SYN with a reset instead of dropping it.
        if (e.code() != apig::errc::connect_failed) {
            CHECK(e.code() == apig::errc::timed_out);
            CHECK(what.find("timeouts.connect = 150 ms") != std::string::npos);
        }
    }
    SUBCASE("cancel") {
        o.timeouts.connect = milliseconds(10'000);
        asio::io_context io;
        apig::client c(io.get_executor(), o);
        auto const t0 = std::chrono::steady_clock::now();
        auto [got, diag] = cancelled_call(c, io);
        CHECK(std::chrono::steady_clock::now() - t0 < milliseconds(5000));
        if (got != apig::errc::connect_failed) {
            CHECK(got == asio::error::operation_aborted);
            CHECK(diag.message.find("connecting") != std::string::npos);
        }
        CHECK(c.stats().open == 0);
    }
}

TEST_CASE("the log sink hears retries and give-ups, never the token") {
    apig::emulator::server srv({.instance_count = 5});
    srv.fail_next(100, 500);
    auto o = options_for(srv);
    recorded_waits w;
    w.install(o);
    std::vector<std::pair<apig::log_level, std::string>> lines;
    o.log = [&](apig::log_level l, std::string_view text) { lines.emplace_back(l, std::string(text)); };
    o.log_min_level = apig::log_level::info;
    list_error(o);
    REQUIRE(lines.size() == 4);  // three retries announced, one give-up
    for (int i = 0; i < 3; ++i) {
        CHECK(lines[i].first == apig::log_level::info);
        CHECK(lines[i].second.find("retrying in") != std::string::npos);
    }
    CHECK(lines[3].first == apig::log_level::warning);
    CHECK(lines[3].second.find("gave up after 4 attempts") != std::string::npos);
    for (auto const& [level, text] : lines) CHECK(text.find("emulator-token") == std::string::npos);
    CHECK(apig::to_string(apig::log_level::warning) == "warning");
}

TEST_CASE("a server that drops kept-alive connections after each response: discarded or replayed, no retries") {
    apig::emulator::server srv({.instance_count = 5, .faults = {.close_after_requests = 1}});
    asio::io_context io;
    apig::client c(io.get_executor(), options_for(srv));
    run(io, [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 10; ++i) CHECK((co_await c.list_instances({})).total == 5);
    }());
    CHECK(c.stats().retries == 0);
    // Every connection was closed by the server behind its response: seen right behind the
    // response or at checkout (discarded), or, when the close came after the checkout, on
    // sending (replayed). The last call's connection is counted only if the close was seen
    // with its response. A close is not unrequested data.
    auto const dropped = c.stats().replays + c.stats().discarded;
    CHECK(dropped >= 9);
    CHECK(dropped <= 10);
    CHECK(c.stats().unrequested == 0);
    CHECK(srv.requests_served() == 10);
    CHECK(srv.connections_accepted() == 10);
}

TEST_CASE("thread_safe = false: no strand, on a one-thread io_context: calls, walks, retries, cancel, destruction") {
    apig::emulator::server srv({.instance_count = 1'000, .faults = {.probability_503 = 0.2, .retry_after_seconds = 0, .seed = 5}});
    auto o = options_for(srv);
    o.thread_safe = false;
    o.pool.max_connections = 3;
    o.retry.max_attempts = 10;
    o.retry.initial_backoff = milliseconds(1);
    o.retry.max_backoff = milliseconds(2);
    o.retry_budget.enabled = false;
    asio::io_context io(1);
    auto c = std::make_unique<apig::client>(io.get_executor(), o);

    // Overlapping calls and a walk, sharing the pool, with retries.
    std::set<std::string> from_calls;
    std::vector<std::string> from_walk;
    for (int w = 0; w < 3; ++w)
        asio::co_spawn(io, [&, w]() -> asio::awaitable<void> {
            apig::instance_page page;
            for (std::int64_t off = w * 100; off < 1'000; off += 300) {
                page = co_await c->list_instances({.offset = off, .limit = 100}, std::move(page));
                for (auto const& i : page.instances) from_calls.insert(*i.id);
            }
        }, asio::detached);
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        auto all = c->instances({}, {.page_size = 70, .concurrency = 2});
        while (auto i = co_await all.next()) from_walk.push_back(*i->id);
    }, asio::detached);
    io.run();
    CHECK(from_calls.size() == 1'000);
    CHECK(from_walk == srv.ids());
    CHECK(c->stats().retries > 0);
    CHECK(c->stats().in_use == 0);
    CHECK(c->stats().open <= 3);

    // cancel() and then destruction, each with calls waiting on a slow server.
    srv.set_faults({});
    srv.set_response_delay(milliseconds(5000));
    int aborted = 0;
    auto count = [&](boost::system::error_code ec, apig::instance_page) { aborted += ec == asio::error::operation_aborted; };
    for (int i = 0; i < 4; ++i) c->async_list_instances({}, count);
    asio::steady_timer t(io, milliseconds(30));
    t.async_wait([&](boost::system::error_code) {
        c->cancel();
        for (int i = 0; i < 4; ++i) c->async_list_instances({}, count);
        t.expires_after(milliseconds(30));
        t.async_wait([&](boost::system::error_code) { c.reset(); });
    });
    io.restart();
    io.run();
    CHECK(aborted == 8);
}
