// metadata_credentials and pod_identity_credentials against scripted servers on 127.0.0.1:
// the protocols (session token, 401 renewal, pod token file), failures and their messages
// (never a secret), the shared fetch (coroutines, threads), background refresh within the
// margin, retry_interval, cancellation of a waiting fetch. The clock is the test's: no sleeps.
#include "certs.hpp"
#include "harness.hpp"
#include "http_script_server.hpp"

#include <apig/emulator.hpp>
#include <apig/temporary_credentials.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/use_future.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <future>

namespace asio = boost::asio;
using apig::test::http_request;
using apig::test::http_script_server;
using reply = apig::test::http_script_server::reply;
using namespace std::chrono_literals;
using sys_clock = std::chrono::system_clock;

namespace {

std::string const session_token = "session-token-0123456789abcdef";
std::string const pod_token = "pod-authorization-token-0123456789";
std::string const key_path = "/openstack/latest/securitykey";
std::string const token_path = "/meta-data/latest/api/token";

/// 2030-01-01T00:00:00Z: where the test clocks start.
sys_clock::time_point const base = sys_clock::from_time_t(1893456000);

/// A clock the test moves (thread-safe).
struct test_clock {
    std::shared_ptr<std::atomic<std::int64_t>> seconds = std::make_shared<std::atomic<std::int64_t>>(0);
    std::function<sys_clock::time_point()> fn() const {
        return [s = seconds] { return base + std::chrono::seconds(s->load()); };
    }
    void set(std::chrono::seconds d) const { seconds->store(d.count()); }
};

std::string iso(sys_clock::time_point t) {
    std::time_t const tt = sys_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S.000000Z", &tm);
    return buf;
}

/// A key numbered `n` (its AK, SK and security token say which), expiring at `exp`.
struct key_parts {
    std::string ak, sk, st;
};
key_parts key(int n) {
    return {"TEMPAK" + std::to_string(n) + "XXXXXXXXXXXX", "temp-sk-" + std::to_string(n) + "-0123456789abcdefghij",
            "security-token-" + std::to_string(n) + "-ABCDEFGHIJKLMNOP"};
}
std::string metadata_body(int n, sys_clock::time_point exp) {
    auto k = key(n);
    return R"({"credential":{"access":")" + k.ak + R"(","secret":")" + k.sk + R"(","securitytoken":")" + k.st +
           R"(","expires_at":")" + iso(exp) + R"("}})";
}
std::string pod_body(int n, sys_clock::time_point exp) {
    auto k = key(n);
    return R"({"credentials":{"accessKeyId":")" + k.ak + R"(","secretAccessKey":")" + k.sk + R"(","securityToken":")" +
           k.st + R"(","expiration":")" + iso(exp) + R"("}})";
}
std::string ak_of(apig::credentials const& c) { return std::get<apig::aksk_credentials>(c).ak; }

/// Log lines, thread-safe.
struct log_lines {
    std::shared_ptr<std::mutex> m = std::make_shared<std::mutex>();
    std::shared_ptr<std::vector<std::string>> lines = std::make_shared<std::vector<std::string>>();
    apig::log_sink sink() const {
        return [m = m, l = lines](apig::log_level, std::string_view s) {
            std::lock_guard lock(*m);
            l->emplace_back(s);
        };
    }
    std::vector<std::string> get() const {
        std::lock_guard lock(*m);
        return *lines;
    }
};

struct fixture {
    test_clock clock;
    log_lines log;

    apig::metadata_credentials::options metadata(http_script_server const& srv) const {
        apig::metadata_credentials::options o;
        o.endpoint = srv.endpoint();
        o.key.clock = clock.fn();
        o.key.log = log.sink();
        o.key.timeout = 5s;
        return o;
    }
};

/// The usual metadata service: a session token, then key `n` (counting GETs) expiring in an hour
/// of the test clock.
http_script_server::handler metadata_service(test_clock clock, std::shared_ptr<std::atomic<int>> gets = nullptr,
                                             bool hold_after_first = false) {
    if (!gets) gets = std::make_shared<std::atomic<int>>(0);
    return [clock, gets, hold_after_first](http_request const& r) -> reply {
        if (r.method == "PUT" && r.target == token_path) return {http_script_server::ok(session_token)};
        if (r.method == "GET" && r.target == key_path) {
            if (r.header("X-Metadata-Token") != session_token)
                return {http_script_server::response(401, "Unauthorized", "bad token")};
            int const n = ++*gets;
            return {http_script_server::ok(metadata_body(n, clock.fn()() + 1h)), hold_after_first && n > 1};
        }
        return {http_script_server::response(400, "Bad Request", "unexpected")};
    };
}

template <class Provider>
apig::credentials fetch_now(Provider& p) {
    asio::io_context io;
    return apig::test::run(io, p.fetch());
}

template <class Provider>
apig::api_error fetch_error(Provider& p) {
    asio::io_context io;
    try {
        apig::test::run(io, p.fetch());
    } catch (apig::api_error const& e) {
        return e;
    }
    throw std::runtime_error("the fetch was expected to fail");
}

bool has(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

/// No secret of the test in `text`.
void check_no_secret(std::string_view text) {
    CAPTURE(text);
    CHECK_FALSE(has(text, session_token));
    CHECK_FALSE(has(text, pod_token));
    for (int n = 1; n <= 4; ++n) {
        auto k = key(n);
        CHECK_FALSE(has(text, k.sk));
        CHECK_FALSE(has(text, k.st));
    }
}

}  // namespace

TEST_CASE("metadata: PUT for a session token, then GET the key with it; the key is cached") {
    fixture f;
    http_script_server srv(metadata_service(f.clock));
    apig::metadata_credentials p(f.metadata(srv));
    CHECK_FALSE(p.expires_at());
    CHECK_THROWS_AS(p.current(), apig::api_error);

    auto c = fetch_now(p);
    auto const& k = std::get<apig::aksk_credentials>(c);
    CHECK(k.ak == key(1).ak);
    CHECK(k.sk == key(1).sk);
    CHECK(k.security_token == key(1).st);
    CHECK(p.expires_at() == base + 1h);
    CHECK(p.fetches() == 1);
    CHECK(p.current() == c);

    auto reqs = srv.requests();
    REQUIRE(reqs.size() == 2);
    CHECK(reqs[0].method == "PUT");
    CHECK(reqs[0].target == token_path);
    CHECK(reqs[0].header("X-Metadata-Token-Ttl-Seconds") == "21600");
    CHECK(reqs[1].method == "GET");
    CHECK(reqs[1].target == key_path);
    CHECK(reqs[1].header("X-Metadata-Token") == session_token);
    CHECK(reqs[1].header("Host") == "127.0.0.1:" + std::to_string(srv.port()));

    // Cached: no request.
    CHECK(fetch_now(p) == c);
    CHECK(srv.requests().size() == 2);
    auto lines = f.log.get();
    REQUIRE(lines.size() == 1);
    CHECK(lines[0] == "fetched a temporary key from the metadata service (expires in 60 min)");
    for (auto const& l : lines) check_no_secret(l);
}

TEST_CASE("metadata: a 404 or 405 on the token call means GET without a token, and no token call for a day") {
    for (unsigned status : {404u, 405u}) {
        CAPTURE(status);
        fixture f;
        http_script_server srv([&, status](http_request const& r) -> reply {
            if (r.method == "PUT") return {http_script_server::response(status, "No", "")};
            return {http_script_server::ok(metadata_body(static_cast<int>(srv.count("GET", key_path)), f.clock.fn()() + 1h))};
        });
        apig::metadata_credentials p(f.metadata(srv));
        auto c = fetch_now(p);
        CHECK(ak_of(c) == key(1).ak);
        auto reqs = srv.requests();
        REQUIRE(reqs.size() == 2);
        CHECK_FALSE(reqs[1].header("X-Metadata-Token"));
        // The key expired: a new fetch, still without a token call.
        f.clock.set(2h);
        CHECK(ak_of(fetch_now(p)) == key(2).ak);
        CHECK(srv.count("PUT", token_path) == 1);
        // A day later the token call is tried again.
        f.clock.set(25h);
        fetch_now(p);
        CHECK(srv.count("PUT", token_path) == 2);
    }
}

TEST_CASE("metadata: a 401 on the GET renews the session token once and repeats the GET") {
    fixture f;
    std::atomic<int> puts{0};
    http_script_server srv([&](http_request const& r) -> reply {
        if (r.method == "PUT") return {http_script_server::ok(++puts == 1 ? "stale-session-token-xyz" : session_token)};
        if (r.header("X-Metadata-Token") != session_token)
            return {http_script_server::response(401, "Unauthorized", "token expired")};
        return {http_script_server::ok(metadata_body(1, f.clock.fn()() + 1h))};
    });
    apig::metadata_credentials p(f.metadata(srv));
    CHECK(ak_of(fetch_now(p)) == key(1).ak);
    auto reqs = srv.requests();
    REQUIRE(reqs.size() == 4);
    CHECK(reqs[0].method == "PUT");
    CHECK(reqs[1].header("X-Metadata-Token") == "stale-session-token-xyz");
    CHECK(reqs[2].method == "PUT");
    CHECK(reqs[3].header("X-Metadata-Token") == session_token);
}

TEST_CASE("metadata: a 401 saying the agency is missing is not renewed: the error says so") {
    fixture f;
    http_script_server srv([&](http_request const& r) -> reply {
        if (r.method == "PUT") return {http_script_server::ok(session_token)};
        return {http_script_server::response(401, "Unauthorized",
                                             R"({"error":"Please configure Cloud Service Agency first"})")};
    });
    apig::metadata_credentials p(f.metadata(srv));
    auto e = fetch_error(p);
    CHECK(e.code() == apig::errc::credentials_unavailable);
    CHECK(e.http_status() == 401);
    CHECK(has(e.what(), "GET /openstack/latest/securitykey answered 401"));
    CHECK(has(e.what(), "Please configure Cloud Service Agency first"));
    CHECK(srv.requests().size() == 2);
    CHECK(p.fetches() == 0);
}

TEST_CASE("metadata: a 500 names the request, the status and the service's text, never the session token") {
    fixture f;
    http_script_server srv([&](http_request const& r) -> reply {
        if (r.method == "PUT") return {http_script_server::ok(session_token)};
        return {http_script_server::response(500, "Internal Server Error",
                                             "boom: your token " + session_token + " \x1b[31mred\x1b[0m")};
    });
    apig::metadata_credentials p(f.metadata(srv));
    auto e = fetch_error(p);
    CHECK(e.code() == apig::errc::credentials_unavailable);
    CHECK(e.http_status() == 500);
    std::string const what = e.what();
    CHECK(has(what, "metadata service http://127.0.0.1:" + std::to_string(srv.port()) +
                        ": GET /openstack/latest/securitykey answered 500: boom: your token <redacted>"));
    CHECK_FALSE(has(what, "\x1b"));
    check_no_secret(what);
    auto lines = f.log.get();
    REQUIRE(lines.size() == 1);
    CHECK(lines[0] == what);
    CHECK_THROWS_AS(p.current(), apig::api_error);
}

TEST_CASE("metadata: a bad body, a body over the limit, an unusable session token") {
    fixture f;
    std::string body;
    std::string token = session_token;
    http_script_server srv([&](http_request const& r) -> reply {
        if (r.method == "PUT") return {http_script_server::ok(token)};
        return {http_script_server::ok(body)};
    });
    auto o = f.metadata(srv);
    o.key.max_response_bytes = 1024;
    SUBCASE("not JSON") {
        body = "<html>not json</html>";
        apig::metadata_credentials p(o);
        auto e = fetch_error(p);
        CHECK(e.code() == apig::errc::credentials_unavailable);
        CHECK(has(e.what(), "answered 200 with an unusable key: the response is not JSON"));
    }
    SUBCASE("a field missing") {
        body = R"({"credential":{"access":"AKAKAKAKAKAK"}})";
        apig::metadata_credentials p(o);
        CHECK(has(fetch_error(p).what(), "credential.secret is missing"));
    }
    SUBCASE("too large") {
        body = metadata_body(1, base + 1h) + std::string(2000, ' ');
        apig::metadata_credentials p(o);
        auto e = fetch_error(p);
        CHECK(has(e.what(), "larger than 1024 bytes"));
        check_no_secret(e.what());
    }
    SUBCASE("a session token with a control character") {
        token = "session\x01token-0123456789";
        apig::metadata_credentials p(o);
        auto e = fetch_error(p);
        CHECK(has(e.what(), "PUT /meta-data/latest/api/token answered 200 with an unusable session token"));
        CHECK(srv.count("GET", key_path) == 0);
    }
    SUBCASE("a key that expired already") {
        body = metadata_body(1, base - 10min);
        apig::metadata_credentials p(o);
        CHECK(has(fetch_error(p).what(), "handed out a key that has already expired"));
    }
}

TEST_CASE("metadata: a service that accepts and never answers times out within the limit") {
    fixture f;
    http_script_server srv([](http_request const&) { return reply{.bytes = {}, .hold = false, .never_answer = true}; });
    auto o = f.metadata(srv);
    o.key.timeout = 200ms;
    apig::metadata_credentials p(o);
    auto const started = std::chrono::steady_clock::now();
    auto e = fetch_error(p);
    CHECK(e.code() == apig::errc::credentials_unavailable);
    CHECK(has(e.what(), "PUT /meta-data/latest/api/token: the metadata service (127.0.0.1:" +
                            std::to_string(srv.port()) + ") did not answer within 200 ms"));
    CHECK(std::chrono::steady_clock::now() - started < 10s);
}

TEST_CASE("metadata: connection refused fails at once, naming the reason") {
    std::uint16_t port = 0;
    {
        asio::io_context io;
        asio::ip::tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
        port = a.local_endpoint().port();
    }
    apig::metadata_credentials::options o;
    o.endpoint = "http://127.0.0.1:" + std::to_string(port);
    apig::metadata_credentials p(o);
    auto e = fetch_error(p);
    CHECK(e.code() == apig::errc::credentials_unavailable);
    CHECK(has(e.what(), "connection refused"));
}

TEST_CASE("metadata: 8 concurrent fetches share one request") {
    fixture f;
    auto gets = std::make_shared<std::atomic<int>>(0);
    http_script_server srv([&, inner = metadata_service(f.clock, gets)](http_request const& r) {
        auto out = inner(r);
        out.hold = r.method == "GET";  // all 8 wait for it
        return out;
    });
    apig::metadata_credentials p(f.metadata(srv));
    asio::io_context io;
    std::vector<std::future<apig::credentials>> futs;
    for (int i = 0; i < 8; ++i) futs.push_back(asio::co_spawn(io, p.fetch(), asio::use_future));
    std::thread runner([&] { io.run(); });
    REQUIRE(srv.wait_held(1));
    srv.release();
    for (auto& fu : futs) CHECK(ak_of(fu.get()) == key(1).ak);
    runner.join();
    CHECK(srv.count("GET", key_path) == 1);
    CHECK(srv.count("PUT", token_path) == 1);
    CHECK(p.fetches() == 1);
}

TEST_CASE("metadata: fetches from 2 threads with 2 io_contexts share one request") {
    fixture f;
    http_script_server srv([&, inner = metadata_service(f.clock)](http_request const& r) {
        auto out = inner(r);
        out.hold = r.method == "GET";
        return out;
    });
    auto p = std::make_shared<apig::metadata_credentials>(f.metadata(srv));
    asio::io_context io1, io2;
    std::vector<std::future<apig::credentials>> futs;
    for (int i = 0; i < 4; ++i) {
        futs.push_back(asio::co_spawn(io1, p->fetch(), asio::use_future));
        futs.push_back(asio::co_spawn(io2, p->fetch(), asio::use_future));
    }
    std::thread t1([&] { io1.run(); });
    std::thread t2([&] { io2.run(); });
    REQUIRE(srv.wait_held(1));
    srv.release();
    for (auto& fu : futs) CHECK(ak_of(fu.get()) == key(1).ak);
    t1.join();
    t2.join();
    CHECK(srv.count("GET", key_path) == 1);
    CHECK(p->fetches() == 1);
}

TEST_CASE("metadata: a key within the margin is returned at once and refreshed in the background") {
    fixture f;
    http_script_server srv(metadata_service(f.clock, nullptr, /*hold_after_first=*/true));
    apig::metadata_credentials p(f.metadata(srv));  // margin 40 min; keys live 60 min
    CHECK(ak_of(fetch_now(p)) == key(1).ak);

    f.clock.set(25min);  // 35 min left
    asio::io_context io;
    auto fut = asio::co_spawn(io, p.fetch(), asio::use_future);
    // The call returns the current key without waiting for the background fetch.
    while (fut.wait_for(0s) != std::future_status::ready) io.run_one();
    CHECK(ak_of(fut.get()) == key(1).ak);
    std::thread runner([&] { io.run(); });  // until the background fetch ends
    REQUIRE(srv.wait_held(1));              // its GET reached the service, which holds it
    // Another call meanwhile: the current key, and no second background fetch.
    CHECK(ak_of(asio::co_spawn(io, p.fetch(), asio::use_future).get()) == key(1).ak);
    CHECK(p.fetches() == 1);
    srv.release();
    runner.join();
    CHECK(p.fetches() == 2);
    CHECK(srv.count("GET", key_path) == 2);
    CHECK(ak_of(fetch_now(p)) == key(2).ak);
    CHECK(p.expires_at() == base + 25min + 1h);
    CHECK(srv.count("GET", key_path) == 2);
}

TEST_CASE("metadata: an expired key waits for a new one") {
    fixture f;
    http_script_server srv(metadata_service(f.clock));
    apig::metadata_credentials p(f.metadata(srv));
    CHECK(ak_of(fetch_now(p)) == key(1).ak);
    f.clock.set(61min);
    CHECK_THROWS_AS(p.current(), apig::api_error);
    CHECK(ak_of(fetch_now(p)) == key(2).ak);
    CHECK(ak_of(p.current()) == key(2).ak);
}

TEST_CASE("metadata: a failed background refresh keeps the key, and is retried only after retry_interval") {
    fixture f;
    std::atomic<bool> fail{false};
    auto gets = std::make_shared<std::atomic<int>>(0);
    http_script_server srv([&, inner = metadata_service(f.clock, gets)](http_request const& r) -> reply {
        if (r.method == "GET" && fail) return {http_script_server::response(503, "Unavailable", "busy")};
        return inner(r);
    });
    apig::metadata_credentials p(f.metadata(srv));  // retry_interval 10 s
    CHECK(ak_of(fetch_now(p)) == key(1).ak);
    fail = true;
    f.clock.set(25min);
    CHECK(ak_of(fetch_now(p)) == key(1).ak);  // runs the failing background fetch to its end
    CHECK(srv.count("GET", key_path) == 2);
    CHECK(p.fetches() == 1);
    auto lines = f.log.get();
    REQUIRE(lines.size() == 2);
    CHECK(has(lines[1], "answered 503: busy"));
    CHECK(has(lines[1], "the current key is kept: it expires in 35 min"));

    f.clock.set(25min + 9s);  // within retry_interval: no new attempt
    CHECK(ak_of(fetch_now(p)) == key(1).ak);
    CHECK(srv.count("GET", key_path) == 2);

    fail = false;
    f.clock.set(25min + 10s);
    CHECK(ak_of(fetch_now(p)) == key(1).ak);  // starts (and runs) the retry
    CHECK(srv.count("GET", key_path) == 3);
    CHECK(ak_of(fetch_now(p)) == key(2).ak);
}

TEST_CASE("metadata: a cancelled waiting fetch ends at once; another waiter still gets the key") {
    fixture f;
    http_script_server srv([&, inner = metadata_service(f.clock)](http_request const& r) {
        auto out = inner(r);
        out.hold = r.method == "GET";
        return out;
    });
    apig::metadata_credentials p(f.metadata(srv));
    asio::io_context io;
    auto guard = asio::make_work_guard(io);
    asio::cancellation_signal sig;
    // The error is caught on the io_context's thread: an exception handed to another thread
    // through a future is released there by libstdc++'s uninstrumented reference count, which
    // ThreadSanitizer reports as a race.
    auto code_of_fetch = [&p]() -> asio::awaitable<boost::system::error_code> {
        try {
            co_await p.fetch();
        } catch (apig::api_error const& e) {
            co_return e.code();
        }
        co_return boost::system::error_code{};
    };
    auto cancelled = asio::co_spawn(io, code_of_fetch(), asio::bind_cancellation_slot(sig.slot(), asio::use_future));
    auto other = asio::co_spawn(io, p.fetch(), asio::use_future);
    std::thread runner([&] { io.run(); });
    REQUIRE(srv.wait_held(1));
    asio::post(io, [&] { sig.emit(asio::cancellation_type::terminal); });
    REQUIRE(cancelled.wait_for(10s) == std::future_status::ready);
    CHECK(cancelled.get() == asio::error::operation_aborted);
    CHECK(other.wait_for(0s) != std::future_status::ready);
    srv.release();
    CHECK(ak_of(other.get()) == key(1).ak);
    guard.reset();
    runner.join();
    CHECK(p.fetches() == 1);
}

TEST_CASE("metadata: refresh(rejected) fetches only when the cached key is the rejected one") {
    fixture f;
    http_script_server srv(metadata_service(f.clock));
    apig::metadata_credentials p(f.metadata(srv));
    auto first = fetch_now(p);
    asio::io_context io;
    apig::credentials other = apig::aksk_credentials{"OTHERAKOTHERAK", "other-secret-key-123", ""};
    CHECK(apig::test::run(io, p.refresh(other)) == first);
    CHECK(srv.count("GET", key_path) == 1);
    CHECK(ak_of(apig::test::run(io, p.refresh(first))) == key(2).ak);
    CHECK(srv.count("GET", key_path) == 2);
    CHECK(p.fetches() == 2);
}

TEST_CASE("metadata: options are checked by the constructor") {
    auto bad = [](auto change) {
        apig::metadata_credentials::options o;
        change(o);
        try {
            apig::metadata_credentials p(o);
        } catch (apig::api_error const& e) {
            CHECK(e.code() == apig::errc::invalid_argument);
            return std::string(e.what());
        }
        FAIL("accepted");
        return std::string();
    };
    CHECK(has(bad([](auto& o) { o.endpoint = "https://169.254.169.254"; }), "http://host[:port]"));
    CHECK(has(bad([](auto& o) { o.endpoint = "http://169.254.169.254/openstack"; }), "without a path"));
    CHECK(has(bad([](auto& o) { o.endpoint = "http://u:secretpw@169.254.169.254"; }), "user information"));
    CHECK_FALSE(has(bad([](auto& o) { o.endpoint = "http://u:secretpw@169.254.169.254"; }), "secretpw"));
    CHECK(has(bad([](auto& o) { o.key.timeout = 0ms; }), "timeout"));
    CHECK(has(bad([](auto& o) { o.key.refresh_margin = -1s; }), "refresh_margin"));
    apig::metadata_credentials::options ok;
    ok.endpoint = "http://127.0.0.1:8080/";
    CHECK_NOTHROW(apig::metadata_credentials{ok});
}

// ---- pod identity ------------------------------------------------------------------------

namespace {

struct temp_file {
    std::filesystem::path path;
    explicit temp_file(std::string const& content) {
        static std::atomic<int> n{0};
        path = std::filesystem::temp_directory_path() /
               ("apig-pod-token-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
        write(content);
    }
    ~temp_file() {
        std::error_code ec;
        std::filesystem::remove(path, ec);
    }
    void write(std::string const& content) const { std::ofstream(path, std::ios::binary | std::ios::trunc) << content; }
};

http_script_server::handler pod_agent(test_clock clock) {
    return [clock](http_request const& r) -> reply {
        if (r.method != "POST") return {http_script_server::response(405, "Method Not Allowed", "")};
        auto const n = r.header("Authorization") == pod_token ? 1 : 2;
        return {http_script_server::ok(pod_body(n, clock.fn()() + 1h))};
    };
}

}  // namespace

TEST_CASE("pod: POST {} with the token file's content as Authorization and JSON content type") {
    fixture f;
    temp_file token("  " + pod_token + "\n");
    http_script_server srv(pod_agent(f.clock));
    apig::pod_identity_credentials::options o;
    o.uri = srv.endpoint() + "/v1/credentials?x=1";
    o.token_file = token.path.string();
    o.key.clock = f.clock.fn();
    o.key.log = f.log.sink();
    apig::pod_identity_credentials p(o);
    auto c = fetch_now(p);
    CHECK(std::get<apig::aksk_credentials>(c).ak == key(1).ak);
    CHECK(std::get<apig::aksk_credentials>(c).security_token == key(1).st);
    auto reqs = srv.requests();
    REQUIRE(reqs.size() == 1);
    CHECK(reqs[0].method == "POST");
    CHECK(reqs[0].target == "/v1/credentials?x=1");
    CHECK(reqs[0].header("Authorization") == pod_token);
    CHECK(reqs[0].header("Content-Type") == "application/json; charset=utf-8");
    CHECK(reqs[0].body == "{}");

    // The file is read again for every fetch.
    token.write("rotated-pod-token-abcdefghij");
    asio::io_context io;
    CHECK(std::get<apig::aksk_credentials>(apig::test::run(io, p.refresh(c))).ak == key(2).ak);
    REQUIRE(srv.requests().size() == 2);
    CHECK(srv.requests()[1].header("Authorization") == "rotated-pod-token-abcdefghij");
    for (auto const& l : f.log.get()) check_no_secret(l);
}

TEST_CASE("pod: token file problems name the file, never its content; an agent's error is redacted") {
    fixture f;
    http_script_server srv([](http_request const& r) -> reply {
        return {http_script_server::response(403, "Forbidden",
                                             "token " + r.header("Authorization").value_or("") + " refused")};
    });
    apig::pod_identity_credentials::options o;
    o.uri = srv.endpoint() + "/v1/credentials";
    o.key.clock = f.clock.fn();
    SUBCASE("missing") {
        o.token_file = "/nonexistent-dir/apig-token";
        apig::pod_identity_credentials p(o);
        auto e = fetch_error(p);
        CHECK(e.code() == apig::errc::credentials_unavailable);
        CHECK(has(e.what(), "pod identity token file '/nonexistent-dir/apig-token': cannot open it"));
        CHECK(srv.requests().empty());
    }
    SUBCASE("a control character") {
        temp_file token(pod_token + "\x01" + "more");
        o.token_file = token.path.string();
        apig::pod_identity_credentials p(o);
        auto e = fetch_error(p);
        CHECK(has(e.what(), "holds a control character"));
        check_no_secret(e.what());
    }
    SUBCASE("a directory") {
        o.token_file = std::filesystem::temp_directory_path().string();
        apig::pod_identity_credentials p(o);
        CHECK(has(fetch_error(p).what(), "is not a regular file"));
    }
    SUBCASE("refused, with the token echoed") {
        temp_file token(pod_token);
        o.token_file = token.path.string();
        apig::pod_identity_credentials p(o);
        auto e = fetch_error(p);
        CHECK(e.http_status() == 403);
        CHECK(has(e.what(), "POST answered 403: token <redacted> refused"));
        check_no_secret(e.what());
    }
}

TEST_CASE("pod: an https agent is verified with the configured CA") {
    fixture f;
    auto const material = apig::emulator::make_tls_material();
    temp_file token(pod_token);
    http_script_server srv(pod_agent(f.clock), apig::test::certs::server_context(material));
    apig::pod_identity_credentials::options o;
    o.uri = srv.endpoint() + "/v1/credentials";
    o.token_file = token.path.string();
    o.key.clock = f.clock.fn();
    o.tls.use_system_trust_store = false;
    SUBCASE("trusted") {
        o.tls.ca_pem = material.ca_cert_pem;
        apig::pod_identity_credentials p(o);
        CHECK(ak_of(fetch_now(p)) == key(1).ak);
    }
    SUBCASE("not trusted") {
        apig::pod_identity_credentials p(o);
        auto e = fetch_error(p);
        CHECK(e.code() == apig::errc::credentials_unavailable);
        CHECK(has(e.what(), "certificate"));
        CHECK(srv.requests().empty());
    }
}

TEST_CASE("pod: options are checked by the constructor") {
    apig::pod_identity_credentials::options o;
    o.token_file = "/var/run/token";
    CHECK_THROWS_AS(apig::pod_identity_credentials{o}, apig::api_error);  // no uri
    o.uri = "ftp://127.0.0.1/x";
    CHECK_THROWS_AS(apig::pod_identity_credentials{o}, apig::api_error);
    o.uri = "http://127.0.0.1:1/x";
    o.token_file.clear();
    CHECK_THROWS_AS(apig::pod_identity_credentials{o}, apig::api_error);
    o.token_file = "/var/run/token";
    o.key.timeout = 0ms;
    CHECK_THROWS_AS(apig::pod_identity_credentials{o}, apig::api_error);
    o.key.timeout = 1s;
    CHECK_NOTHROW(apig::pod_identity_credentials{o});
}
