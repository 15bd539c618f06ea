// The real TLS client against the in-process emulator on 127.0.0.1.
#include "harness.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <set>

namespace asio = boost::asio;
using apig::test::list_error;
using apig::test::options_for;
using apig::test::run;

namespace {

std::vector<std::string> ids_of(apig::instance_page const& p) {
    std::vector<std::string> ids;
    for (auto const& i : p.instances) ids.push_back(i.id.value_or("<absent>"));
    return ids;
}

std::string field_of(std::string const& instance_json, char const* field) {
    auto v = boost::json::parse(instance_json).as_object();
    auto it = v.find(field);
    return it == v.end() ? std::string() : std::string(it->value().as_string());
}

}  // namespace

TEST_CASE("one page over verified TLS") {
    apig::emulator::server srv({.instance_count = 50});
    auto page = apig::test::list_once(srv, {.offset = 0, .limit = 10}, options_for(srv));
    CHECK(page.size == 10);
    CHECK(page.total == 50);
    auto const all = srv.ids();
    CHECK(ids_of(page) == std::vector<std::string>(all.begin(), all.begin() + 10));
    CHECK(page.request_id.size() >= 8);
    auto reqs = srv.requests();
    REQUIRE(reqs.size() == 1);
    CHECK(reqs[0].target == "/v2/73d69ae0cfcf460190522d06b60f05ad/apigw/instances?offset=0&limit=10");
    CHECK(reqs[0].user_agent == std::string("apig-cpp/") + apig::version_string);
    CHECK(reqs[0].accept == "application/json");
    CHECK(reqs[0].had_token);
    CHECK(reqs[0].status == 200);
}

TEST_CASE("the decoded page equals the emulator's data, field by field") {
    apig::emulator::server srv({.instance_count = 120});
    auto page = apig::test::list_once(srv, {.offset = 0, .limit = 120}, options_for(srv));
    auto const json = srv.instances_json();
    REQUIRE(page.instances.size() == json.size());
    for (std::size_t i = 0; i < json.size(); ++i) {
        auto const o = boost::json::parse(json[i]).as_object();
        auto const& inst = page.instances[i];
        CAPTURE(json[i]);
        CHECK(inst.id == std::string(o.at("id").as_string()));
        CHECK(inst.instance_name == std::string(o.at("instance_name").as_string()));
        CHECK(inst.eip_address.has_value() == o.contains("eip_address"));
        if (o.contains("status")) {
            REQUIRE(inst.status);
            CHECK(inst.status->wire() == std::string_view(o.at("status").as_string()));
        }
        if (o.contains("instance_status")) {
            REQUIRE(inst.instance_status);
            CHECK(inst.instance_status->code() == o.at("instance_status").as_int64());
        }
        if (o.contains("create_time")) CHECK(inst.create_time == o.at("create_time").as_int64());
    }
}

TEST_CASE("paging to the end returns every instance once, in order") {
    apig::emulator::server srv({.instance_count = 53});
    asio::io_context io;
    apig::client c(io.get_executor(), options_for(srv));
    std::vector<std::string> seen;
    int pages = 0;
    run(io, [&]() -> asio::awaitable<void> {
        for (std::int64_t offset = 0;;) {
            auto p = co_await c.list_instances({.offset = offset, .limit = 7});
            ++pages;
            for (auto& i : p.instances) seen.push_back(*i.id);
            offset += static_cast<std::int64_t>(p.instances.size());
            if (p.instances.empty() || offset >= p.total.value_or(0)) break;
        }
    }());
    CHECK(pages == 8);
    CHECK(seen == srv.ids());
    CHECK(srv.connections_accepted() == 1);
}

TEST_CASE("every filter reaches the server and narrows the result") {
    apig::emulator::server srv({.instance_count = 200});
    auto const json = srv.instances_json();
    auto const ids = srv.ids();

    SUBCASE("instance_id") {
        apig::list_request r;
        r.instance_id = ids[17];
        auto p = apig::test::list_once(srv, r, options_for(srv));
        CHECK(p.total == 1);
        REQUIRE(p.instances.size() == 1);
        CHECK(p.instances[0].id == ids[17]);
    }
    SUBCASE("instance_name, non-ASCII and reserved characters included") {
        for (std::size_t i : {std::size_t{3}, std::size_t{42}, std::size_t{199}}) {
            apig::list_request r;
            r.instance_name = field_of(json[i], "instance_name");
            auto p = apig::test::list_once(srv, r, options_for(srv));
            std::vector<std::string> got = ids_of(p);
            CHECK(std::find(got.begin(), got.end(), ids[i]) != got.end());
            for (auto const& inst : p.instances)
                CHECK(inst.instance_name->find(*r.instance_name) != std::string::npos);
        }
    }
    SUBCASE("status") {
        std::size_t expected = 0;
        for (auto const& j : json) expected += field_of(j, "status") == "Running";
        REQUIRE(expected > 0);
        REQUIRE(expected < json.size());
        apig::list_request r{.limit = 500};
        r.status = apig::status::running;
        auto p = apig::test::list_once(srv, r, options_for(srv));
        CHECK(p.total == static_cast<std::int64_t>(expected));
        CHECK(p.instances.size() == expected);
        for (auto const& inst : p.instances) CHECK(*inst.status == apig::status::running);
    }
}

TEST_CASE("a hostile project id is one literal path segment at the server") {
    std::vector<std::string> const projects{"../x", "a/b?c#d", "%2e", "..", "\xe9\xa1\xb9 x+y"};
    apig::emulator::server srv({.project_ids = projects, .instance_count = 3});
    for (std::size_t k = 0; k < projects.size(); ++k) {
        CAPTURE(projects[k]);
        auto p = apig::test::list_once(srv, {}, options_for(srv, projects[k]));
        CHECK(p.total == 3);
        CHECK(ids_of(p) == srv.ids(k));
        CHECK(srv.requests().back().project_id == projects[k]);
        CHECK(srv.requests().back().status == 200);
    }
}

TEST_CASE("401 for a wrong token, without the token in any message") {
    apig::emulator::server srv({.instance_count = 5});
    auto o = options_for(srv);
    o.credentials = apig::token_credentials{"s3cr3t-wrong-token-value"};
    auto e = list_error(o);
    CHECK(e.code() == apig::errc::unauthorized);
    CHECK(e.http_status() == 401);
    CHECK(e.api_code() == "APIC.7102");
    CHECK_FALSE(e.request_id().empty());
    std::string const what = e.what();
    CHECK(what.find("HTTP 401 APIC.7102") == 0);
    CHECK(what.find(e.request_id()) != std::string::npos);
    CHECK(what.find("s3cr3t") == std::string::npos);
    CHECK(e.api_message().find("s3cr3t") == std::string::npos);
}

TEST_CASE("403 for a project the server does not serve") {
    apig::emulator::server srv({.instance_count = 5});
    auto e = list_error(options_for(srv, "0000000000000000000000000000dead"));
    CHECK(e.code() == apig::errc::forbidden);
    CHECK(e.http_status() == 403);
    CHECK(e.api_code() == "APIC.7106");
}

TEST_CASE("500 surfaces as api_error when retries are off, and the connection stays usable") {
    apig::emulator::server srv({.instance_count = 5});
    srv.fail_next(1, 500);
    asio::io_context io;
    auto o = options_for(srv);
    o.retry.max_attempts = 1;
    apig::client c(io.get_executor(), o);
    try {
        run(io, c.list_instances({}));
        FAIL("expected a 500");
    } catch (apig::api_error const& e) {
        CHECK(e.code() == apig::errc::internal_server_error);
        CHECK(e.api_code() == "APIC.9000");
        CHECK(e.api_message() == "Failed to request internal service");
    }
    auto p = run(io, c.list_instances({}));
    CHECK(p.total == 5);
    CHECK(srv.connections_accepted() == 1);
}

TEST_CASE("a certificate from an unknown CA is refused before any request") {
    apig::emulator::server srv({.instance_count = 5});
    auto o = options_for(srv);
    o.tls.ca_pem = apig::emulator::make_tls_material().ca_cert_pem;  // some other CA
    auto e = list_error(o);
    CHECK(e.code() == apig::errc::tls_verification_failed);
    CHECK(std::string(e.what()).find("unable to get local issuer certificate") != std::string::npos);
    CHECK(srv.requests_served() == 0);
}

TEST_CASE("the system trust store alone does not trust the emulator") {
    apig::emulator::server srv({.instance_count = 5});
    auto o = options_for(srv);
    o.tls = apig::tls_options{};  // defaults: system store, verification on
    auto e = list_error(o);
    CHECK(e.code() == apig::errc::tls_verification_failed);
    CHECK(srv.requests_served() == 0);
}

TEST_CASE("a certificate for another name is refused") {
    apig::emulator::cert_options names{.dns_names = {"other.example"}, .ip_addresses = {}};
    apig::emulator::server srv({.instance_count = 5, .cert = names});
    SUBCASE("connecting by IP address") {
        auto e = list_error(options_for(srv));
        CHECK(e.code() == apig::errc::tls_verification_failed);
        CHECK(std::string(e.what()).find("mismatch") != std::string::npos);
    }
    SUBCASE("connecting by another host name") {
        auto o = options_for(srv);
        o.tls.server_name = "localhost";
        auto e = list_error(o);
        CHECK(e.code() == apig::errc::tls_verification_failed);
        CHECK(std::string(e.what()).find("hostname mismatch") != std::string::npos);
    }
    SUBCASE("the right name is accepted") {
        auto o = options_for(srv);
        o.tls.server_name = "other.example";
        CHECK(apig::test::list_once(srv, {}, o).total == 5);
    }
    CHECK(srv.requests_served() <= 1);
}

TEST_CASE("insecure mode accepts an untrusted certificate, only when asked") {
    apig::emulator::cert_options names{.dns_names = {"other.example"}, .ip_addresses = {}};
    apig::emulator::server srv({.instance_count = 5, .cert = names});
    auto o = options_for(srv);
    o.tls = apig::tls_options{.insecure_skip_verify = true};
    CHECK(apig::test::list_once(srv, {}, o).total == 5);
}

TEST_CASE("100 sequential calls share one keep-alive connection") {
    apig::emulator::server srv({.instance_count = 30});
    asio::io_context io;
    apig::client c(io.get_executor(), options_for(srv));
    run(io, [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 100; ++i) {
            auto p = co_await c.list_instances({.offset = i % 25, .limit = 5});
            CHECK(p.instances.size() == 5);
        }
    }());
    CHECK(srv.requests_served() == 100);
    CHECK(srv.connections_accepted() == 1);
}

TEST_CASE("overlapping calls queue for a single connection and all succeed") {
    apig::emulator::server srv({.instance_count = 30});
    asio::io_context io;
    auto o = options_for(srv);
    o.pool.max_connections = 1;
    apig::client c(io.get_executor(), o);
    int done = 0;
    for (int i = 0; i < 20; ++i)
        asio::co_spawn(io, c.list_instances({.offset = i, .limit = 3}),
                       [&, i](std::exception_ptr ep, apig::instance_page p) {
                           CHECK_FALSE(ep);
                           CHECK(p.instances.size() == 3);
                           CHECK(p.instances.front().id == srv.ids()[static_cast<std::size_t>(i)]);
                           ++done;
                       });
    io.run();
    CHECK(done == 20);
    CHECK(srv.connections_accepted() == 1);
    CHECK(c.stats().waits == 19);
    CHECK(c.stats().created == 1);
    CHECK(c.stats().reused == 19);
}

TEST_CASE("async_list_instances works with any completion token") {
    apig::emulator::server srv({.instance_count = 12});
    asio::io_context io;
    apig::client c(io.get_executor(), options_for(srv));

    SUBCASE("callback, with and without details") {
        boost::system::error_code got = apig::errc::timed_out;
        std::size_t n = 0;
        c.async_list_instances({.limit = 4}, [&](boost::system::error_code ec, apig::instance_page p) {
            got = ec;
            n = p.instances.size();
        });
        io.run();
        CHECK_FALSE(got);
        CHECK(n == 4);

        apig::error_info diag;
        io.restart();
        c.async_list_instances({.limit = 0}, diag, [&](boost::system::error_code ec, apig::instance_page) { got = ec; });
        io.run();
        CHECK(got == apig::errc::invalid_argument);
        CHECK(diag.message.find("limit") != std::string::npos);
    }
    SUBCASE("use_future") {
        auto fut = c.async_list_instances({.limit = 5}, asio::use_future);
        io.run();
        CHECK(fut.get().instances.size() == 5);
    }
    SUBCASE("deferred") {
        auto op = c.async_list_instances({.limit = 6}, asio::deferred);
        CHECK(srv.requests_served() == 0);  // nothing starts before the deferred op is launched
        std::size_t n = 0;
        std::move(op)([&](boost::system::error_code, apig::instance_page p) { n = p.instances.size(); });
        io.run();
        CHECK(n == 6);
    }
    SUBCASE("as_tuple(use_awaitable)") {
        auto [ec, page] = run(io, c.async_list_instances({.limit = 7}, asio::as_tuple(asio::use_awaitable)));
        CHECK_FALSE(ec);
        CHECK(page.instances.size() == 7);
    }
}

TEST_CASE("an invalid request fails before any I/O") {
    apig::emulator::server srv({.instance_count = 5});
    for (apig::list_request r : {apig::list_request{.limit = 0}, apig::list_request{.limit = 501},
                                 apig::list_request{.offset = -1}}) {
        auto e = list_error(options_for(srv), r);
        CHECK(e.code() == apig::errc::invalid_argument);
    }
    CHECK(srv.connections_accepted() == 0);
}

TEST_CASE("a body larger than max_body_bytes is refused") {
    apig::emulator::server srv({.instance_count = 50});
    auto o = options_for(srv);
    o.max_body_bytes = 1000;
    auto e = list_error(o, {.limit = 50});
    CHECK(e.code() == apig::errc::response_too_large);
    CHECK(std::string(e.what()).find("1000") != std::string::npos);
}

TEST_CASE("bad client options are refused by the constructor") {
    asio::io_context io;
    auto refused = [&](apig::client_options o, std::string const& needle) {
        try {
            apig::client c(io.get_executor(), std::move(o));
        } catch (apig::api_error const& e) {
            CHECK(e.code() == apig::errc::invalid_argument);
            CHECK(std::string(e.what()).find(needle) != std::string::npos);
            CHECK(std::string(e.what()).find("tok3n") == std::string::npos);
            return;
        }
        FAIL("accepted: " << needle);
    };
    apig::client_options good{.endpoint = "https://127.0.0.1:1", .project_id = "p",
                              .credentials = apig::token_credentials{"tok3n-example-value"}};
    auto with = [&](auto f) { auto o = good; f(o); return o; };
    refused(with([](auto& o) { o.endpoint = "http://127.0.0.1:1"; }), "https");
    refused(with([](auto& o) { o.endpoint = "127.0.0.1:1"; }), "endpoint");
    refused(with([](auto& o) { o.endpoint = ""; }), "endpoint");
    refused(with([](auto& o) { o.endpoint = "https://h/v2"; }), "path");
    refused(with([](auto& o) { o.project_id = ""; }), "project_id");
    refused(with([](auto& o) { o.project_id = "p\r\nX-Evil: 1"; }), "project_id contains a control character");
    refused(with([](auto& o) { o.credentials = apig::token_credentials{"a\r\nX-Evil: 1"}; }),
            "credentials: the token contains a control character");
    refused(with([](auto& o) { o.credentials = apig::client_credentials{}; }), "credentials: the token is empty");
    refused(with([](auto& o) { o.credentials = apig::aksk_credentials{.ak = "", .sk = "SKEXAMPLE0123456"}; }),
            "credentials: the AK (access key id) is empty");
    refused(with([](auto& o) { o.credentials = apig::aksk_credentials{.ak = "AKEXAMPLE0123", .sk = ""}; }),
            "credentials: the SK (secret access key) is empty");
    refused(with([](auto& o) { o.credentials = apig::aksk_credentials{.ak = "AKEX\nAMPLE0123", .sk = "SKEXAMPLE0123456"}; }),
            "credentials: the AK contains a control character");
    refused(with([](auto& o) {
                o.credentials = apig::aksk_credentials{.ak = "AKEXAMPLE0123", .sk = "SKEXAMPLE0123456", .security_token = "t\r\nX: 1"};
            }),
            "credentials: the security token contains a control character");
    refused(with([](auto& o) { o.credentials = std::shared_ptr<apig::credentials_provider>{}; }),
            "credentials: the credentials provider is null");
    refused(with([](auto& o) { o.tls.ca_file = "/nonexistent/ca.pem"; }), "tls.ca_file");
    refused(with([](auto& o) { o.tls.ca_pem = "not a pem"; }), "tls.ca_pem");
    // Accepted shapes.
    apig::client a(io.get_executor(), with([](auto& o) { o.endpoint = "https://[::1]:8443"; }));
    apig::client b(io.get_executor(), with([](auto& o) { o.endpoint = "https://apig.cn-north-4.myhuaweicloud.com/"; }));
}

TEST_CASE("cancelling a call ends it with operation_aborted") {
    apig::emulator::server srv({.instance_count = 5});
    asio::io_context io;
    apig::client c(io.get_executor(), options_for(srv));
    asio::cancellation_signal sig;
    boost::system::error_code got;
    bool called = false;
    c.async_list_instances({}, asio::bind_cancellation_slot(sig.slot(), [&](boost::system::error_code ec, apig::instance_page) {
                               got = ec;
                               called = true;
                           }));
    sig.emit(asio::cancellation_type::terminal);
    io.run();
    CHECK(called);
    CHECK(got == asio::error::operation_aborted);
    // The client is still usable afterwards.
    io.restart();
    CHECK(run(io, c.list_instances({})).total == 5);
}

TEST_CASE("destroying the client ends a call in flight with an error") {
    apig::emulator::server srv({.instance_count = 5});
    asio::io_context io;
    boost::system::error_code got;
    bool called = false;
    {
        apig::client c(io.get_executor(), options_for(srv));
        c.async_list_instances({}, [&](boost::system::error_code ec, apig::instance_page) {
            got = ec;
            called = true;
        });
    }
    io.run();
    CHECK(called);
    CHECK(got == asio::error::operation_aborted);
}

TEST_CASE("a region picks the endpoint; an unknown one names the closest") {
    asio::io_context io;
    apig::client_options o{.project_id = "p", .credentials = apig::token_credentials{"region-test-token"}};
    o.region = "cn-north-4";
    apig::client a(io.get_executor(), o);
    CHECK(a.options().endpoint == "https://apig.cn-north-4.myhuaweicloud.com");
    o.region = "eu-west-101";
    apig::client b(io.get_executor(), o);
    CHECK(b.options().endpoint == "https://apig.eu-west-101.myhuaweicloud.eu");
    o.region = "cn-nort-4";
    try {
        apig::client c(io.get_executor(), o);
        FAIL("accepted an unknown region");
    } catch (apig::api_error const& e) {
        CHECK(e.code() == apig::errc::invalid_argument);
        CHECK(std::string(e.what()).find("closest: cn-north-4") != std::string::npos);
    }
    o.region = "cn-north-4";
    o.endpoint = "https://127.0.0.1:1";
    CHECK_THROWS_AS(apig::client(io.get_executor(), o), apig::api_error);
}

TEST_CASE("a recycled page comes back as exactly the page received, with its storage reused") {
    // 53 instances in pages of 20: 20, 20, 13, then 0 past the end. Each call decodes into the
    // previous call's page; every result must equal a fresh call's, so nothing of the old page
    // (instances past the new end, fields the new page lacks, its request id) survives.
    apig::emulator::server srv({.instance_count = 53});
    asio::io_context io;
    apig::client c(io.get_executor(), options_for(srv));
    run(io, [&]() -> asio::awaitable<void> {
        apig::instance_page page;
        std::string last_request_id;
        for (std::int64_t offset : {0, 20, 40, 60, 0}) {
            CAPTURE(offset);
            apig::list_request const req{.offset = offset, .limit = 20};
            char const* before = page.instances.empty() ? nullptr : page.instances[0].id->data();
            page = co_await c.list_instances(req, std::move(page));
            auto fresh = co_await c.list_instances(req);
            CHECK(page.instances == fresh.instances);
            CHECK(page.total == fresh.total);
            CHECK(page.size == fresh.size);
            CHECK(page.request_id.size() >= 8);
            CHECK(page.request_id != last_request_id);
            last_request_id = page.request_id;
            if (before && !page.instances.empty())  // 32-character ids: the same heap block
                CHECK(page.instances[0].id->data() == before);
        }
        CHECK(page.instances.size() == 20);

        // A retried call: the failed attempt's 503 leaves the storage to the next attempt.
        srv.fail_next(1, 503);
        page = co_await c.list_instances({.offset = 40, .limit = 20}, std::move(page));
        CHECK(page.instances == (co_await c.list_instances({.offset = 40, .limit = 20})).instances);
        CHECK(c.stats().retries == 1);

        // A failed call releases the storage; with details through the token overload.
        srv.fail_next(1, 404);
        apig::error_info diag;
        auto [ec, failed] = co_await c.async_list_instances({.limit = 20}, std::move(page), diag,
                                                            asio::as_tuple(asio::use_awaitable));
        CHECK(ec == apig::errc::not_found);
        CHECK(diag.http_status == 404);
        CHECK(failed.instances.empty());
        CHECK_FALSE(failed.total);
    }());
}
