// AK/SK signing, temporary keys, the signing clock, and credentials providers (rotation after
// a 401), end to end against the emulator, which verifies signatures with its own code.
#include "harness.hpp"
#include "raw_server.hpp"
#include "retry_detail.hpp"  // test seams

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <set>

namespace asio = boost::asio;
using apig::test::options_for;
using apig::test::raw_server;
using apig::test::run;
using std::chrono::milliseconds;
using sys_clock = std::chrono::system_clock;

namespace {

std::string const ak = "HPUAK7QEXAMPLEKEY001";
std::string const sk = "sk/Pz9+0123456789abcdefghijklmnopqrstuvwx";
std::string const temp_ak = "HPUATEMPORARYKEY0002";
std::string const temp_sk = "temporary-sk-0123456789ABCDEFGHIJKLMNOP";
std::string const security_token = "gQpjbi1ub3J0aC00Iy8qBBB+security/token==";

apig::emulator::options keyed(std::size_t instances) {
    apig::emulator::options o;
    o.instance_count = instances;
    o.access_keys = {{.ak = ak, .sk = sk}, {.ak = temp_ak, .sk = temp_sk, .security_token = security_token}};
    return o;
}

apig::client_options with(apig::emulator::server const& srv, apig::client_credentials c) {
    auto o = options_for(srv);
    o.credentials = std::move(c);
    return o;
}

std::vector<std::string> walk(apig::client_options o, apig::list_request req, apig::page_options po) {
    asio::io_context io;
    apig::client c(io.get_executor(), std::move(o));
    std::vector<std::string> ids;
    run(io, [&]() -> asio::awaitable<void> {
        auto g = c.instances(req, po);
        while (auto i = co_await g.next()) ids.push_back(i->id.value_or("<absent>"));
    }());
    return ids;
}

// Every request the emulator saw since the last reset was signed with `key` and accepted.
void all_signed_with(apig::emulator::server const& srv, std::string const& key) {
    auto const reqs = srv.requests();
    REQUIRE(!reqs.empty());
    for (auto const& r : reqs) {
        CHECK(r.auth == apig::emulator::auth_kind::aksk);
        CHECK(r.access_key == key);
        CHECK(r.auth_failure == "");
        CHECK(r.status == 200);
    }
}

// A provider scripted by the test: current() hands out `now`; refresh() records what was
// rejected, suspends once (as a real refresh would, e.g. asking IAM), and hands out `next`.
struct scripted_provider : apig::credentials_provider {
    apig::credentials now;
    apig::credentials next;
    std::vector<apig::credentials> rejected;
    bool update_current_on_refresh = false;
    std::function<void()> on_refresh{};
    bool throw_on_refresh = false;
    bool throw_on_current = false;

    explicit scripted_provider(apig::credentials first, apig::credentials then)
        : now(std::move(first)), next(std::move(then)) {}

    apig::credentials current() override {
        if (throw_on_current) throw std::runtime_error("the secret store is locked");
        return now;
    }
    asio::awaitable<apig::credentials> refresh(apig::credentials const& old) override {
        rejected.push_back(old);
        if (update_current_on_refresh) now = next;
        if (on_refresh) on_refresh();
        co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
        if (throw_on_refresh) {
            auto const* t = std::get_if<apig::token_credentials>(&old);
            throw std::runtime_error("IAM is unreachable; could not replace " + (t ? t->token : std::string("?")));
        }
        co_return next;
    }
};

struct outcome {
    std::optional<apig::instance_page> page;
    apig::error_info error;
    std::vector<apig::attempt_info> attempts;  // error pointers cleared
    apig::client_stats stats;
};

outcome call(apig::client_options o, apig::list_request req = {}) {
    outcome out;
    o.on_attempt = [&](apig::attempt_info const& a) {
        out.attempts.push_back(a);
        out.attempts.back().error = nullptr;
        out.attempts.back().target = {};
    };
    apig::detail::seams(o.retry).sleep = [](milliseconds) -> asio::awaitable<void> { co_return; };
    asio::io_context io;
    apig::client c(io.get_executor(), std::move(o));
    try {
        out.page = run(io, c.list_instances(std::move(req)));
    } catch (apig::api_error const& e) {
        out.error = e.info();
    }
    out.stats = c.stats();
    return out;
}

}  // namespace

TEST_CASE("AK/SK: walks with every filter return what the token returns, every request signed and verified") {
    apig::emulator::server srv(keyed(2'000));
    auto const token = options_for(srv);
    auto const signed_opts = with(srv, apig::aksk_credentials{.ak = ak, .sk = sk});

    // A name to filter on, and an id.
    auto const first = apig::test::list_once(srv, {.offset = 7, .limit = 1}, token);
    REQUIRE(first.instances.size() == 1);
    std::string const id = first.instances[0].id.value();
    std::string const name_part = first.instances[0].instance_name.value().substr(0, 6);

    std::vector<std::pair<char const*, apig::list_request>> cases;
    cases.push_back({"no filter", {}});
    cases.push_back({"offset", {.offset = 1'234}});
    cases.push_back({"instance_id", {.instance_id = id}});
    cases.push_back({"instance_name", {.instance_name = name_part}});
    cases.push_back({"status", {.status = apig::status::running}});
    cases.push_back({"all filters", {.instance_id = id, .instance_name = name_part, .status = first.instances[0].status.value()}});
    // Reserved and non-ASCII characters in every query value: signed over the encoded query.
    cases.push_back({"reserved characters",
                     {.instance_id = "a b&c=d/e?f#g+h%20i", .instance_name = "ü名 ;,'*()!~", .status = apig::string_enum<apig::status>::from_wire("RUN&NING=1")}});
    for (auto const& c : cases) {  // no structured binding: clang 14 cannot capture one
        auto const& what = c.first;
        auto const& req = c.second;
        CAPTURE(what);
        srv.reset_stats();
        auto const expected = walk(token, req, {.page_size = 97, .concurrency = 4});
        srv.reset_stats();
        auto const got = walk(signed_opts, req, {.page_size = 97, .concurrency = 4});
        CHECK(got == expected);
        all_signed_with(srv, ak);
    }
    CHECK(walk(signed_opts, {}, {.page_size = 500}).size() == 2'000);
}

TEST_CASE("AK/SK: temporary credentials send and sign X-Security-Token") {
    apig::emulator::server srv(keyed(50));
    auto const temp = apig::aksk_credentials{.ak = temp_ak, .sk = temp_sk, .security_token = security_token};
    auto ok = call(with(srv, temp), {.limit = 50});
    REQUIRE(ok.page);
    CHECK(ok.page->instances.size() == 50);
    all_signed_with(srv, temp_ak);

    // The same key without its security token, or with another one: 401, never retried.
    for (std::string st : {std::string(), security_token + "x"}) {
        srv.reset_stats();
        auto bad = call(with(srv, apig::aksk_credentials{.ak = temp_ak, .sk = temp_sk, .security_token = st}));
        CHECK(bad.error.code == apig::errc::unauthorized);
        CHECK(bad.error.api_code == "APIGW.0301");
        CHECK(bad.error.attempts == 1);
        auto const reqs = srv.requests();
        REQUIRE(reqs.size() == 1);
        // Without one the signature does not cover x-security-token; with another, it differs.
        CHECK(reqs[0].auth_failure == (st.empty() ? "missing_signed_header" : "security_token_mismatch"));
    }
    // A permanent key does not accept a security token it was not issued with.
    srv.reset_stats();
    auto extra = call(with(srv, apig::aksk_credentials{.ak = ak, .sk = sk, .security_token = security_token}));
    CHECK(extra.error.code == apig::errc::unauthorized);
}

TEST_CASE("AK/SK: a wrong SK, an unknown AK or a skewed clock get 401 APIGW.0301 and are not retried") {
    apig::emulator::server srv(keyed(10));
    struct bad_case {
        char const* what;
        apig::aksk_credentials key;
        sys_clock::duration skew;
        char const* failure;
    };
    std::vector<bad_case> const cases{
        {"wrong SK", {.ak = ak, .sk = sk + "x"}, {}, "signature_mismatch"},
        {"unknown AK", {.ak = "HPUAUNKNOWNKEY000000", .sk = sk}, {}, "unknown_access_key"},
        {"clock 16 min fast", {.ak = ak, .sk = sk}, std::chrono::minutes(16), "date_out_of_range"},
        {"clock 16 min slow", {.ak = ak, .sk = sk}, -std::chrono::minutes(16), "date_out_of_range"},
    };
    for (auto const& c : cases) {
        CAPTURE(c.what);
        srv.reset_stats();
        auto o = with(srv, c.key);
        o.clock = [skew = c.skew] { return sys_clock::now() + skew; };
        auto r = call(o);
        CHECK(r.error.code == apig::errc::unauthorized);
        CHECK(r.error.http_status == 401);
        CHECK(r.error.api_code == "APIGW.0301");
        CHECK(r.error.attempts == 1);
        CHECK(r.stats.requests == 1);
        auto const reqs = srv.requests();
        REQUIRE(reqs.size() == 1);
        CHECK(reqs[0].auth_failure == c.failure);
    }
    // 14 minutes off either way is within the server's window.
    for (auto skew : {std::chrono::minutes(14), -std::chrono::minutes(14)}) {
        auto o = with(srv, apig::aksk_credentials{.ak = ak, .sk = sk});
        o.clock = [skew] { return sys_clock::now() + skew; };
        CHECK(call(o).page.has_value());
    }
}

TEST_CASE("AK/SK: every attempt is signed afresh, with the date the clock gives then") {
    // Against the emulator: the first attempt is signed now and answered 503; the retry is
    // signed with a clock that has jumped 20 minutes back. If the retry reused the first
    // signature it would be accepted; it is refused for its date, so it was signed again.
    apig::emulator::server srv(keyed(10));
    auto o = with(srv, apig::aksk_credentials{.ak = ak, .sk = sk});
    int ticks = 0;
    o.clock = [&] { return sys_clock::now() - (ticks++ == 0 ? std::chrono::minutes(0) : std::chrono::minutes(20)); };
    srv.fail_next(1, 503);
    auto r = call(o);
    CHECK(r.error.code == apig::errc::unauthorized);
    CHECK(r.error.attempts == 2);
    auto reqs = srv.requests();
    REQUIRE(reqs.size() == 2);
    CHECK(reqs[0].status == 503);
    CHECK(reqs[1].auth_failure == "date_out_of_range");
    CHECK(ticks == 2);

    // And the headers themselves, as a scripted server receives them.
    std::string const page = R"({"instances":[],"total":0,"size":0})";
    raw_server raw({{raw_server::response("503 Service Unavailable", "{}"), false},
                    {raw_server::response("200 OK", page), false}});
    apig::client_options ro{.endpoint = raw.endpoint(), .project_id = "proj-1",
                            .credentials = apig::aksk_credentials{.ak = ak, .sk = sk, .security_token = security_token}};
    ro.tls.ca_pem = raw.ca_pem();
    ro.tls.use_system_trust_store = false;
    auto const t0 = sys_clock::from_time_t(1'795'000'000);  // 2026-11-18T11:06:40Z
    int n = 0;
    ro.clock = [&] { return t0 + std::chrono::seconds(n++); };
    REQUIRE(call(ro).page.has_value());
    auto const got = raw.received();
    REQUIRE(got.size() == 2);
    auto header = [](std::string const& head, std::string const& name) {
        auto const at = head.find("\r\n" + name + ": ");
        if (at == std::string::npos) return std::string("<absent>");
        auto const from = at + 4 + name.size();
        return head.substr(from, head.find("\r\n", from) - from);
    };
    CHECK(header(got[0], "X-Sdk-Date") == "20261118T110640Z");
    CHECK(header(got[1], "X-Sdk-Date") == "20261118T110641Z");
    CHECK(header(got[0], "X-Project-Id") == "proj-1");
    CHECK(header(got[0], "X-Security-Token") == security_token);
    CHECK(header(got[0], "X-Auth-Token") == "<absent>");
    for (auto const& head : got) {
        auto const auth = header(head, "Authorization");
        CHECK(auth.starts_with("SDK-HMAC-SHA256 Access=" + ak +
                               ", SignedHeaders=host;x-project-id;x-sdk-date;x-security-token, Signature="));
        CHECK(auth.find(sk) == std::string::npos);
    }
    CHECK(header(got[0], "Authorization") != header(got[1], "Authorization"));
}

TEST_CASE("rotation: after a 401 the provider is asked once, and the request is retried once if the credentials changed") {
    apig::emulator::server srv(keyed(30));
    auto const good = apig::token_credentials{"emulator-token"};
    auto const stale = apig::token_credentials{"expired-token"};

    SUBCASE("fresh credentials: one retry, at once, counted as a refresh") {
        auto p = std::make_shared<scripted_provider>(stale, good);
        auto r = call(with(srv, p), {.limit = 30});
        REQUIRE(r.page);
        CHECK(r.page->instances.size() == 30);
        REQUIRE(p->rejected.size() == 1);
        CHECK(p->rejected[0] == apig::credentials{stale});
        REQUIRE(r.attempts.size() == 2);
        CHECK(r.attempts[0].http_status == 401);
        CHECK(r.attempts[0].action == apig::retry_action::refresh_credentials);
        CHECK(r.attempts[0].backoff == milliseconds(0));
        CHECK(r.attempts[1].http_status == 200);
        CHECK(r.stats.credential_refreshes == 1);
        CHECK(r.stats.retries == 0);
        CHECK(r.stats.requests == 2);
    }
    SUBCASE("from a token to a key pair") {
        auto p = std::make_shared<scripted_provider>(stale, apig::aksk_credentials{.ak = ak, .sk = sk});
        auto r = call(with(srv, p));
        REQUIRE(r.page);
        auto const reqs = srv.requests();
        REQUIRE(reqs.size() == 2);
        CHECK(reqs[0].auth == apig::emulator::auth_kind::token);
        CHECK(reqs[1].auth == apig::emulator::auth_kind::aksk);
        CHECK(reqs[1].status == 200);
    }
    SUBCASE("a second 401 is returned") {
        auto p = std::make_shared<scripted_provider>(stale, apig::token_credentials{"also-expired"});
        auto r = call(with(srv, p));
        CHECK(r.error.code == apig::errc::unauthorized);
        CHECK(r.error.attempts == 2);
        CHECK(r.error.message.find("fresh credentials too") != std::string::npos);
        CHECK(p->rejected.size() == 1);
        CHECK(srv.requests_served() == 2);
    }
    SUBCASE("nothing newer: the 401 is returned without a retry") {
        auto p = std::make_shared<scripted_provider>(stale, stale);
        auto r = call(with(srv, p));
        CHECK(r.error.code == apig::errc::unauthorized);
        CHECK(r.error.attempts == 1);
        CHECK(r.error.message.find("none newer") != std::string::npos);
        CHECK(p->rejected.size() == 1);
        CHECK(srv.requests_served() == 1);
    }
    SUBCASE("a refresh that throws: the 401 is returned, with why, and no secret") {
        auto p = std::make_shared<scripted_provider>(stale, good);
        p->throw_on_refresh = true;
        auto r = call(with(srv, p));
        CHECK(r.error.code == apig::errc::unauthorized);
        CHECK(r.error.attempts == 1);
        CHECK(r.error.message.find("IAM is unreachable; could not replace <redacted>") != std::string::npos);
        CHECK(r.error.message.find(stale.token) == std::string::npos);
    }
    SUBCASE("a current() that throws or hands out nothing usable: credentials_unavailable, nothing sent") {
        auto p = std::make_shared<scripted_provider>(stale, good);
        p->throw_on_current = true;
        auto r = call(with(srv, p));
        CHECK(r.error.code == apig::errc::credentials_unavailable);
        CHECK(r.error.message.find("the secret store is locked") != std::string::npos);
        CHECK(r.error.attempts == 0);
        auto empty = std::make_shared<scripted_provider>(apig::aksk_credentials{.ak = ak}, good);
        auto e = call(with(srv, empty));
        CHECK(e.error.code == apig::errc::credentials_unavailable);
        CHECK(e.error.message.find("the SK (secret access key) is empty") != std::string::npos);
        CHECK(srv.requests_served() == 0);
    }
    SUBCASE("fixed credentials are never retried on 401") {
        auto r = call(with(srv, stale));
        CHECK(r.error.code == apig::errc::unauthorized);
        CHECK(r.error.attempts == 1);
        CHECK(r.stats.credential_refreshes == 0);
        CHECK(srv.requests_served() == 1);
    }
}

TEST_CASE("rotation: rotating_credentials replaced from outside between calls") {
    apig::emulator::server srv(keyed(10));
    auto rot = std::make_shared<apig::rotating_credentials>(apig::token_credentials{"emulator-token"});
    asio::io_context io;
    apig::client c(io.get_executor(), with(srv, rot));
    CHECK(run(io, c.list_instances({})).instances.size() == 10);
    rot->set(apig::aksk_credentials{.ak = ak, .sk = sk});
    CHECK(run(io, c.list_instances({})).instances.size() == 10);
    rot->set(apig::token_credentials{"revoked-token"});
    try {
        run(io, c.list_instances({}));
        FAIL("a revoked token was accepted");
    } catch (apig::api_error const& e) {
        CHECK(e.code() == apig::errc::unauthorized);
        CHECK(e.info().attempts == 1);  // refresh() defaults to current(): nothing newer
    }
    auto const reqs = srv.requests();
    REQUIRE(reqs.size() == 3);
    CHECK(reqs[0].auth == apig::emulator::auth_kind::token);
    CHECK(reqs[1].auth == apig::emulator::auth_kind::aksk);
    CHECK(reqs[2].status == 401);
    CHECK(c.stats().credential_refreshes == 0);
}

TEST_CASE("rotation: concurrent calls refused together refresh once; the others take the new current()") {
    apig::emulator::server srv(keyed(40));
    auto p = std::make_shared<scripted_provider>(apig::token_credentials{"expired-token"},
                                                 apig::token_credentials{"emulator-token"});
    p->update_current_on_refresh = true;
    auto o = with(srv, p);
    asio::io_context io;
    apig::client c(io.get_executor(), o);
    std::atomic<int> done{0};
    std::size_t instances = 0;
    for (int i = 0; i < 4; ++i)
        c.async_list_instances({.offset = i * 10, .limit = 10}, [&](boost::system::error_code ec, apig::instance_page page) {
            CHECK(!ec);
            instances += page.instances.size();
            ++done;
        });
    io.run();
    CHECK(done == 4);
    CHECK(instances == 40);
    CHECK(p->rejected.size() == 1);
    CHECK(c.stats().credential_refreshes == 4);
    CHECK(srv.requests_served() == 8);
}

TEST_CASE("rotation: cancelling a call while the provider refreshes ends it with operation_aborted") {
    apig::emulator::server srv(keyed(10));
    asio::io_context io;
    struct slow_provider : apig::credentials_provider {
        std::function<void()> started;
        apig::credentials current() override { return apig::token_credentials{"expired-token"}; }
        asio::awaitable<apig::credentials> refresh(apig::credentials const&) override {
            started();
            asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::hours(1));
            co_await t.async_wait(asio::use_awaitable);
            co_return apig::token_credentials{"emulator-token"};
        }
    };
    auto p = std::make_shared<slow_provider>();
    apig::client c(io.get_executor(), with(srv, p));
    p->started = [&] { c.cancel(); };
    boost::system::error_code got;
    apig::error_info info;
    c.async_list_instances({}, info, [&](boost::system::error_code ec, apig::instance_page) { got = ec; });
    io.run();  // returns: nothing is left waiting an hour
    CHECK(got == asio::error::operation_aborted);
    CHECK(info.message.find("credentials provider") != std::string::npos);
    CHECK(srv.requests_served() == 1);
}
