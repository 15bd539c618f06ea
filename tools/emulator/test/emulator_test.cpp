// The emulator's own checks: its dataset and a few requests over real TLS with a minimal
// Beast client (the client-vs-emulator integration tests live in test/integration).

#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <apig/emulator.hpp>

#include "auth/signer.hpp"  // apig's client-side signer: signs what the emulator verifies
#include "dataset.hpp"
#include "verify.hpp"

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

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <boost/url/parse.hpp>

#include <chrono>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
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
    // GET with Host: localhost and these headers (in order, repeats kept), no token.
    http::response<http::string_body> get_with(std::string const& target,
                                               apig::auth::header_list const& headers) {
        http::request<http::empty_body> req{http::verb::get, target, 11};
        req.set(http::field::host, "localhost");
        for (auto const& h : headers) req.insert(h.first, h.second);
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

TEST_CASE("make_tls_material: a CA-signed certificate, or a self-signed one") {
    // The certificate's issuer and subject, and whether `by`'s key signed it.
    struct facts {
        std::string issuer, subject;
        bool signed_by = false;
    };
    auto inspect = [](std::string const& pem, std::string const& by_pem) {
        auto read = [](std::string const& p) {
            BIO* bio = BIO_new_mem_buf(p.data(), static_cast<int>(p.size()));
            X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
            BIO_free(bio);
            REQUIRE(x != nullptr);
            return x;
        };
        X509* cert = read(pem);
        X509* by = read(by_pem);
        auto name = [](X509_NAME* n) {
            char buf[256];
            X509_NAME_oneline(n, buf, sizeof buf);
            return std::string(buf);
        };
        facts f{name(X509_get_issuer_name(cert)), name(X509_get_subject_name(cert)),
                X509_verify(cert, X509_get0_pubkey(by)) == 1};
        X509_free(cert);
        X509_free(by);
        return f;
    };
    auto const normal = emu::make_tls_material();
    CHECK(normal.ca_cert_pem != normal.server_cert_pem);
    auto const n = inspect(normal.server_cert_pem, normal.ca_cert_pem);
    CHECK(n.issuer == "/O=apig emulator/CN=apig emulator throwaway CA");
    CHECK(n.subject == "/O=apig emulator/CN=localhost");
    CHECK(n.signed_by);

    auto const self = emu::make_tls_material({.self_signed = true});
    CHECK(self.ca_cert_pem == self.server_cert_pem);
    auto const s = inspect(self.server_cert_pem, self.server_cert_pem);
    CHECK(s.issuer == s.subject);
    CHECK(s.subject == "/O=apig emulator/CN=localhost");
    CHECK(s.signed_by);
    CHECK_FALSE(inspect(self.server_cert_pem, normal.ca_cert_pem).signed_by);
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

// ---- mutation mode ----

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

// ---- AK/SK signing (SDK-HMAC-SHA256): apig's signer (src/auth) signs, the emulator's own
// verifier (tools/emulator/src/verify.*) checks ----

namespace {

namespace aksk = emu::aksk;
using sys_clock = std::chrono::system_clock;

constexpr char const* test_ak = "EMULATORTESTAK000001";
constexpr char const* test_sk = "emulator-test-secret-key/+=";
constexpr char const* temp_ak = "EMULATORTEMPAK000002";
constexpr char const* temp_sk = "temporary-secret";
constexpr char const* temp_token = "security-token-for-the-temporary-key";

// The injected server time of the AK/SK tests: 2024-05-01 12:00:00 UTC.
sys_clock::time_point fixed_now() {
    using namespace std::chrono;
    return sys_days{year{2024} / May / 1} + hours{12};
}

emu::options aksk_options() {
    emu::options o;
    o.instance_count = 10;
    o.access_keys = {{test_ak, test_sk, ""}, {temp_ak, temp_sk, temp_token}};
    o.clock = fixed_now;
    return o;
}

// What apig's client sends for a GET of `target` on host localhost.
apig::auth::header_list signed_get(std::string const& target,
                                   sys_clock::time_point date = fixed_now(),
                                   std::string const& ak = test_ak,
                                   std::string const& sk = test_sk,
                                   std::string const& token = "",
                                   std::string const& project = pid) {
    return apig::auth::sign_request("GET", target, "localhost", date, project, token, ak, sk);
}

// The Authorization of apig::auth::sign over exactly these headers (Host included).
apig::auth::header_list sign_exactly(std::string const& target, apig::auth::header_list headers,
                                     std::string const& ak = test_ak,
                                     std::string const& sk = test_sk) {
    apig::auth::signing_input in;
    in.method = "GET";
    in.target = target;
    in.headers = headers;
    in.headers.emplace_back("Host", "localhost");
    headers.emplace_back("Authorization", apig::auth::sign(in, ak, sk).authorization);
    return headers;
}

std::string error_code(http::response<http::string_body> const& res) {
    return std::string(json::parse(res.body()).at("error_code").as_string());
}
std::string error_msg(http::response<http::string_body> const& res) {
    return std::string(json::parse(res.body()).at("error_msg").as_string());
}

constexpr std::string_view aksk_fail =
    "Incorrect IAM authentication information: verify aksk signature fail";

// The request the verifier sees for `target` with Host: localhost and `headers`.
aksk::request as_received(std::string const& target, apig::auth::header_list const& headers) {
    aksk::request r;
    r.method = "GET";
    r.target = target;
    r.headers.emplace_back("Host", "localhost");
    for (auto const& h : headers) r.headers.emplace_back(h.first, h.second);
    return r;
}

std::vector<emu::access_key> const& verifier_keys() {
    static std::vector<emu::access_key> const keys = aksk_options().access_keys;
    return keys;
}

}  // namespace

TEST_CASE("aksk: a correctly signed request is answered 200 and recorded without secrets") {
    auto opts = aksk_options();
    opts.project_ids = {pid, "a/b?c#d"};
    emu::server srv(opts);
    test_client c(srv);

    auto res = c.get_with(page("?limit=3"), signed_get(page("?limit=3")));
    CHECK(res.result_int() == 200);
    CHECK(json::parse(res.body()).at("size").as_int64() == 3);
    // A trailing '/', an encoded non-ASCII filter, keys out of order.
    std::string const t2 = std::string("/v2/") + pid +
                           "/apigw/instances/?limit=2&instance_name=%E7%BD%91%E5%85%B3&offset=0";
    CHECK(c.get_with(t2, signed_get(t2)).result_int() == 200);
    // A project id with reserved characters: one encoded segment; X-Project-Id decoded.
    std::string const t3 = "/v2/a%2Fb%3Fc%23d/apigw/instances";
    CHECK(c.get_with(t3, signed_get(t3, fixed_now(), test_ak, test_sk, "", "a/b?c#d"))
              .result_int() == 200);
    // A header that is not signed may be added.
    auto extra = signed_get(page(""));
    extra.emplace_back("X-Extra", "not signed");
    CHECK(c.get_with(page(""), extra).result_int() == 200);

    auto const reqs = srv.requests();
    REQUIRE(reqs.size() == 4);
    for (auto const& r : reqs) {
        CHECK(r.status == 200);
        CHECK(r.auth == emu::auth_kind::aksk);
        CHECK(r.access_key == test_ak);
        CHECK(r.auth_failure.empty());
        CHECK_FALSE(r.had_token);
    }
    CHECK(reqs[2].project_id == "a/b?c#d");
    CHECK(emu::to_string(emu::auth_kind::aksk) == "aksk");
}

TEST_CASE("aksk: wrong SK, unknown AK, a tampered request or a bad header get 401 APIGW.0301") {
    emu::server srv(aksk_options());
    test_client c(srv);
    auto expect_401 = [&](std::string const& target, apig::auth::header_list const& headers,
                          std::string_view reason) {
        auto const res = c.get_with(target, headers);
        CHECK(res.result_int() == 401);
        CHECK(error_code(res) == "APIGW.0301");
        CHECK(error_msg(res) == aksk_fail);
        CHECK(srv.requests().back().auth_failure == reason);
        CHECK(srv.requests().back().auth == emu::auth_kind::aksk);
    };

    expect_401(page(""), signed_get(page(""), fixed_now(), test_ak, "wrong-sk"),
               "signature_mismatch");
    CHECK(srv.requests().back().access_key == test_ak);
    expect_401(page(""), signed_get(page(""), fixed_now(), "UNKNOWNAK", test_sk),
               "unknown_access_key");
    CHECK(srv.requests().back().access_key == "UNKNOWNAK");
    // Sign one target, send another: the query, the path, an encoding that decodes
    // differently ('+' is a space in a query, %2B a plus).
    expect_401(page("?limit=4"), signed_get(page("?limit=3")), "signature_mismatch");
    expect_401(page("?limit=3&offset=1"), signed_get(page("?limit=3")), "signature_mismatch");
    // (".../instances" and ".../instances/" have the same canonical URI, '/' appended: by the
    // algorithm's rule, one signature is good for both.)
    CHECK(c.get_with(page("/"), signed_get(page(""))).result_int() == 200);
    expect_401(page("?instance_name=a%2Bb"), signed_get(page("?instance_name=a+b")),
               "signature_mismatch");
    expect_401("/v2/other/apigw/instances", signed_get(page("")), "signature_mismatch");
    // A signed header changed after signing (the date by one second, still in range).
    auto h = signed_get(page(""));
    REQUIRE(h.front().first == "X-Sdk-Date");
    h.front().second = apig::auth::sdk_date(fixed_now() + std::chrono::seconds(1));
    expect_401(page(""), h, "signature_mismatch");
    // The security token of another key on a permanent key's request.
    expect_401(page(""), signed_get(page(""), fixed_now(), test_ak, test_sk, temp_token),
               "security_token_mismatch");

    // Malformed Authorization values.
    auto with_authorization = [](apig::auth::header_list hs, std::string const& value) {
        hs.back().second = value;
        return hs;
    };
    auto const good = signed_get(page(""));
    std::string const good_auth = good.back().second;
    REQUIRE(good.back().first == "Authorization");
    std::string upper = good_auth;
    for (auto i = upper.size() - 64; i < upper.size(); ++i)
        if (upper[i] >= 'a' && upper[i] <= 'f') upper[i] = static_cast<char>(upper[i] - 32);
    for (std::string const& bad :
         {std::string("Bearer abc"), std::string("SDK-HMAC-SHA256"), upper,
          good_auth.substr(0, good_auth.size() - 1),
          std::string("SDK-HMAC-SHA1") + good_auth.substr(15)}) {
        CAPTURE(bad);
        expect_401(page(""), with_authorization(good, bad), "malformed_authorization");
    }
    // Two Authorization headers.
    auto twice = good;
    twice.push_back(good.back());
    expect_401(page(""), twice, "malformed_authorization");

    // An Authorization header decides alone: a valid token beside it does not help.
    auto with_token = signed_get(page(""), fixed_now(), test_ak, "wrong-sk");
    with_token.emplace_back("X-Auth-Token", "emulator-token");
    expect_401(page(""), with_token, "signature_mismatch");
    CHECK(srv.requests().back().had_token);
    // And the good one still works on the same connection.
    CHECK(c.get_with(page(""), good).result_int() == 200);
}

TEST_CASE("aksk: host and x-sdk-date must be signed; X-Sdk-Date present and well-formed") {
    emu::server srv(aksk_options());
    test_client c(srv);
    auto reason = [&] { return srv.requests().back().auth_failure; };

    // Signed list without host (only X-Sdk-Date signed: the Go SDK's own test vector's form).
    apig::auth::signing_input in;
    in.method = "GET";
    std::string const target = page("");
    in.target = target;
    in.headers = {{"X-Sdk-Date", apig::auth::sdk_date(fixed_now())}};
    apig::auth::header_list no_host = in.headers;
    no_host.emplace_back("Authorization", apig::auth::sign(in, test_ak, test_sk).authorization);
    auto res = c.get_with(target, no_host);
    CHECK(res.result_int() == 401);
    CHECK(error_msg(res) == aksk_fail);
    CHECK(reason() == "missing_signed_header");

    // A listed header missing from the request.
    auto h = sign_exactly(target, {{"X-Sdk-Date", apig::auth::sdk_date(fixed_now())},
                                   {"X-Something", "v"}});
    h.erase(h.begin() + 1);
    CHECK(c.get_with(target, h).result_int() == 401);
    CHECK(reason() == "missing_signed_header");

    // X-Sdk-Date malformed (signed as such) or absent.
    for (std::string const date : {"2024-05-01T12:00:00Z", "20240501T120000", "20240501t120000z",
                                   "20240230T120000Z", "20240501T240000Z", "20240501T120060Z"}) {
        CAPTURE(date);
        res = c.get_with(target, sign_exactly(target, {{"X-Sdk-Date", date}}));
        CHECK(res.result_int() == 401);
        CHECK(error_code(res) == "APIGW.0301");
        CHECK(error_msg(res) ==
              "Incorrect IAM authentication information: x-sdk-date is missing or malformed");
        CHECK(reason() == "bad_date");
    }
    h = signed_get(target);
    h.erase(h.begin());  // X-Sdk-Date
    CHECK(c.get_with(target, h).result_int() == 401);
    CHECK(reason() == "bad_date");
}

TEST_CASE("aksk: X-Sdk-Date within 15 minutes of the server's clock (injected)") {
    emu::server srv(aksk_options());
    test_client c(srv);
    using std::chrono::minutes;
    using std::chrono::seconds;
    for (auto const off : {minutes(-14), minutes(14), minutes(-15), minutes(15), minutes(0)}) {
        CAPTURE(off.count());
        CHECK(c.get_with(page(""), signed_get(page(""), fixed_now() + off)).result_int() == 200);
    }
    for (seconds const off : {seconds(minutes(-16)), seconds(minutes(16)),
                              minutes(15) + seconds(1), -minutes(15) - seconds(1),
                              seconds(minutes(60 * 24 * 365))}) {
        CAPTURE(off.count());
        auto const res = c.get_with(page(""), signed_get(page(""), fixed_now() + off));
        CHECK(res.result_int() == 401);
        CHECK(error_code(res) == "APIGW.0301");
        auto const msg = error_msg(res);
        CHECK(msg.starts_with("Incorrect IAM authentication information: signature expired, "
                              "x-sdk-date is more than 15 minutes from the server time, "
                              "signature time:"));
        CHECK(msg.find(apig::auth::sdk_date(fixed_now() + off)) != std::string::npos);
        CHECK(msg.ends_with(",server time:20240501T120000Z"));
        CHECK(srv.requests().back().auth_failure == "date_out_of_range");
    }
}

TEST_CASE("aksk: a temporary key's security token is required, signed and checked") {
    emu::server srv(aksk_options());
    test_client c(srv);
    auto const target = page("?limit=1");
    auto reason = [&] { return srv.requests().back().auth_failure; };

    CHECK(c.get_with(target, signed_get(target, fixed_now(), temp_ak, temp_sk, temp_token))
              .result_int() == 200);
    CHECK(srv.requests().back().access_key == temp_ak);
    // No token: x-security-token is not among the signed headers.
    auto res = c.get_with(target, signed_get(target, fixed_now(), temp_ak, temp_sk));
    CHECK(res.result_int() == 401);
    CHECK(error_msg(res) == aksk_fail);
    CHECK(reason() == "missing_signed_header");
    // Another token, correctly signed.
    res = c.get_with(target, signed_get(target, fixed_now(), temp_ak, temp_sk, "other-token"));
    CHECK(res.result_int() == 401);
    CHECK(reason() == "security_token_mismatch");
    // The right token sent but not signed.
    auto h = sign_exactly(target, {{"X-Sdk-Date", apig::auth::sdk_date(fixed_now())}}, temp_ak,
                          temp_sk);
    h.emplace_back("X-Security-Token", temp_token);
    CHECK(c.get_with(target, h).result_int() == 401);
    CHECK(reason() == "missing_signed_header");
    // Sent twice (both signed).
    h = sign_exactly(target,
                     {{"X-Sdk-Date", apig::auth::sdk_date(fixed_now())},
                      {"X-Security-Token", temp_token},
                      {"X-Security-Token", temp_token}},
                     temp_ak, temp_sk);
    CHECK(c.get_with(target, h).result_int() == 401);
    CHECK(reason() == "security_token_mismatch");
    // The right token with the wrong SK.
    CHECK(c.get_with(target, signed_get(target, fixed_now(), temp_ak, "x", temp_token))
              .result_int() == 401);
    CHECK(reason() == "signature_mismatch");
}

TEST_CASE("aksk: token auth unchanged; set_access_keys at run time; X-Project-Id") {
    emu::server srv({.instance_count = 5});  // no keys, the system clock
    test_client c(srv);
    auto const now = sys_clock::now();

    // Token authentication as before, now recorded.
    CHECK(c.get(page("")).result_int() == 200);
    CHECK(srv.requests().back().auth == emu::auth_kind::token);
    CHECK(srv.requests().back().access_key.empty());
    CHECK(c.get(page(""), "").result_int() == 401);
    CHECK(srv.requests().back().auth == emu::auth_kind::none);
    CHECK(srv.requests().back().auth_failure == "missing_token");
    auto res = c.get(page(""), "wrong");
    CHECK(error_code(res) == "APIC.7102");
    CHECK(srv.requests().back().auth == emu::auth_kind::token);
    CHECK(srv.requests().back().auth_failure == "bad_token");

    // No keys yet: every signed request is an unknown AK.
    res = c.get_with(page(""), signed_get(page(""), now));
    CHECK(res.result_int() == 401);
    CHECK(error_code(res) == "APIGW.0301");
    CHECK(srv.requests().back().auth_failure == "unknown_access_key");

    srv.set_access_keys({{test_ak, test_sk, ""}});
    CHECK(c.get_with(page(""), signed_get(page(""), sys_clock::now())).result_int() == 200);
    srv.set_access_keys({{"ANOTHERAK", test_sk, ""}});
    CHECK(c.get_with(page(""), signed_get(page(""), sys_clock::now())).result_int() == 401);
    CHECK(c.get_with(page(""), signed_get(page(""), sys_clock::now(), "ANOTHERAK"))
              .result_int() == 200);

    // Invalid keys are refused whole, naming the index only.
    auto const refused = [&](std::vector<emu::access_key> keys) {
        try {
            srv.set_access_keys(std::move(keys));
        } catch (std::invalid_argument const& e) {
            return std::string(e.what()).find(test_sk) == std::string::npos;
        }
        return false;
    };
    CHECK(refused({{"", test_sk, ""}}));
    CHECK(refused({{"A,B", test_sk, ""}}));
    CHECK(refused({{"A B", test_sk, ""}}));
    CHECK(refused({{"A", "", ""}}));
    CHECK(refused({{"A", test_sk, ""}, {"A", test_sk, ""}}));
    CHECK(refused({{"A", test_sk, "tok\r\nX: y"}}));
    CHECK_THROWS_AS(emu::server({.access_keys = {{"", "x", ""}}}), std::invalid_argument);
    // The last good keys are still in place.
    CHECK(c.get_with(page(""), signed_get(page(""), sys_clock::now(), "ANOTHERAK"))
              .result_int() == 200);

    // X-Project-Id, when present, must name the path's project (403 APIC.7106), whatever the
    // authentication; it is checked after authentication.
    srv.set_access_keys({{test_ak, test_sk, ""}});
    res = c.get_with(page(""),
                     signed_get(page(""), sys_clock::now(), test_ak, test_sk, "", "other"));
    CHECK(res.result_int() == 403);
    CHECK(error_code(res) == "APIC.7106");
    CHECK(srv.requests().back().auth_failure.empty());
    CHECK(c.get_with(page(""), {{"X-Auth-Token", "emulator-token"}, {"X-Project-Id", "other"}})
              .result_int() == 403);
    CHECK(c.get_with(page(""), {{"X-Auth-Token", "emulator-token"}, {"X-Project-Id", pid}})
              .result_int() == 200);
    CHECK(c.get_with(page(""), {{"X-Auth-Token", "bad"}, {"X-Project-Id", "other"}})
              .result_int() == 401);
}

TEST_CASE("aksk verifier: the published test vectors and its building blocks") {
    // Vector 3 (Huawei's signing documentation); the AK is not part of the signature.
    aksk::request r;
    r.method = "GET";
    r.target = "/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs?limit=2&marker=13551d6b-755d-4757-b956-"
               "536f674975c0";
    std::vector<emu::access_key> const keys3 = {
        {"AK3", "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc", ""}};
    std::string const auth3 =
        "SDK-HMAC-SHA256 Access=AK3, SignedHeaders=content-type;host;x-sdk-date, "
        "Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe";
    r.headers = {{"content-type", "application/json"},
                 {"host", "service.region.example.com"},
                 {"x-sdk-date", "20191115T033655Z"},
                 {"Authorization", auth3}};
    auto const t3 = *aksk::parse_sdk_date("20191115T033655Z");
    CHECK(aksk::verify(r, keys3, t3).code == aksk::status::ok);
    CHECK(aksk::verify(r, keys3, t3 + std::chrono::minutes(16)).code ==
          aksk::status::date_out_of_range);

    // Vector 4 (the Python SDK's signer test).
    std::vector<emu::access_key> const keys4 = {{"AccessKey", "SecretKey", ""}};
    r.target = "/resources?size=1";
    r.headers = {{"Host", "service.endpoint.myhuaweicloud.com"},
                 {"X-Sdk-Date", "20200608T023900Z"},
                 {"Authorization",
                  "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=host;x-sdk-date, "
                  "Signature=cfb4171acec81de07d50e53d57eb77edd537414d66ddb1d7d780f128e12cd842"}};
    auto const t4 = *aksk::parse_sdk_date("20200608T023900Z");
    auto const ok4 = aksk::verify(r, keys4, t4);
    CHECK(ok4.code == aksk::status::ok);
    CHECK(ok4.access_key == "AccessKey");
    r.target = "/resources?size=2";
    CHECK(aksk::verify(r, keys4, t4).code == aksk::status::signature_mismatch);

    // Vector 1 (Go SDK) signs x-sdk-date only: refused by policy (host must be signed).
    r.target = "/path?limit=1";
    r.headers = {{"Host", "example.huaweicloud.com"},
                 {"X-Sdk-Date", "20060102T150405Z"},
                 {"TEST_UNDERSCORE", "TEST_VALUE"},
                 {"Authorization",
                  "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, "
                  "Signature=5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624"}};
    CHECK(aksk::verify(r, keys4, *aksk::parse_sdk_date("20060102T150405Z")).code ==
          aksk::status::missing_signed_header);

    // parse_authorization is strict.
    auto const f = aksk::parse_authorization(auth3);
    REQUIRE(f.has_value());
    CHECK(f->access_key == "AK3");
    CHECK(f->signed_headers == "content-type;host;x-sdk-date");
    std::string const sig(64, 'a');
    for (std::string const& bad : {
             "SDK-HMAC-SHA256 Access=A, SignedHeaders=host;x-sdk-date, Signature=" + sig + " ",
             "SDK-HMAC-SHA256  Access=A, SignedHeaders=host;x-sdk-date, Signature=" + sig,
             "SDK-HMAC-SHA256 Access=A,SignedHeaders=host;x-sdk-date, Signature=" + sig,
             "SDK-HMAC-SHA256 Access=, SignedHeaders=host;x-sdk-date, Signature=" + sig,
             "SDK-HMAC-SHA256 SignedHeaders=host;x-sdk-date, Access=A, Signature=" + sig,
             "SDK-HMAC-SHA256 Access=A, SignedHeaders=x-sdk-date;host, Signature=" + sig,
             "SDK-HMAC-SHA256 Access=A, SignedHeaders=host;host;x-sdk-date, Signature=" + sig,
             "SDK-HMAC-SHA256 Access=A, SignedHeaders=Host;x-sdk-date, Signature=" + sig,
             "SDK-HMAC-SHA256 Access=A, SignedHeaders=host;;x-sdk-date, Signature=" + sig,
             "SDK-HMAC-SHA256 Access=A, SignedHeaders=, Signature=" + sig,
             "SDK-HMAC-SHA256 Access=A, SignedHeaders=host;x_sdk_date, Signature=" + sig,
             "SDK-HMAC-SHA256 Access=A, SignedHeaders=host;x-sdk-date, Signature=" + sig + "0",
             "SDK-HMAC-SHA256 Access=A, SignedHeaders=host;x-sdk-date, Signature=" +
                 sig.substr(1) + "g",
             "sdk-hmac-sha256 Access=A, SignedHeaders=host;x-sdk-date, Signature=" + sig}) {
        CAPTURE(bad);
        CHECK_FALSE(aksk::parse_authorization(bad).has_value());
    }
    CHECK(aksk::parse_authorization(
              "SDK-HMAC-SHA256 Access=A, SignedHeaders=host;x-sdk-date, Signature=" + sig)
              .has_value());

    // Dates.
    CHECK(aksk::parse_sdk_date("20240229T235959Z").has_value());
    CHECK_FALSE(aksk::parse_sdk_date("20230229T000000Z").has_value());
    CHECK_FALSE(aksk::parse_sdk_date("20240101T000000+").has_value());
    CHECK_FALSE(aksk::parse_sdk_date("2024010lT000000Z").has_value());
    CHECK(aksk::format_sdk_date(fixed_now()) == "20240501T120000Z");
    CHECK(aksk::format_sdk_date(fixed_now() + std::chrono::milliseconds(999)) ==
          "20240501T120000Z");
    CHECK(*aksk::parse_sdk_date("20240501T120000Z") == fixed_now());
    CHECK(aksk::format_sdk_date(fixed_now()) == apig::auth::sdk_date(fixed_now()));

    // Canonical URI and query: the doc's rules.
    CHECK(aksk::canonical_uri("") == "/");
    CHECK(aksk::canonical_uri("/v2/p/apigw/instances") == "/v2/p/apigw/instances/");
    CHECK(aksk::canonical_uri("/v2/a%2fb/x/") == "/v2/a%2Fb/x/");
    CHECK(aksk::canonical_uri("/a+b/%7E/%zz//") == "/a%2Bb/~/%25zz//");
    CHECK(aksk::canonical_query("") == "");
    CHECK(aksk::canonical_query("b=2&a=1&&a=0&c") == "a=0&a=1&b=2&c=");
    CHECK(aksk::canonical_query("k=a+b%2Bc&k2=x=y") == "k=a%20b%2Bc&k2=x%3Dy");
    CHECK(aksk::canonical_query("n=%E7%BD%91") == "n=%E7%BD%91");
    CHECK(aksk::to_string(aksk::status::date_out_of_range) == "date_out_of_range");
}

namespace {

// Random text for the cross-check: reserved characters, percent signs, spaces, non-ASCII
// UTF-8 (CJK, accents, an emoji, a no-break space) and plain ASCII.
struct text_generator {
    std::mt19937_64 rng;

    std::size_t below(std::size_t n) { return static_cast<std::size_t>(rng() % n); }
    bool coin(std::size_t one_in) { return below(one_in) == 0; }

    std::string const& unicode() {
        static std::vector<std::string> const pool = {
            "网关", "实例-名", "é",      "ü", "ß", "😀",
            "Ω",    "\xc2\xa0", "日本語", "Привет", "ع", "🇨🇳"};
        return pool[below(pool.size())];
    }
    std::string piece() {
        static std::vector<std::string> const reserved = {
            "/", "?", "#", "&", "=", "+", "%", " ", "%20", "%2F", "%%", "~", "-", "_", ".", "*",
            "'", "(", ")", "!", "$", ",", ";", ":", "@", "[", "]", "\"", "<", ">", "\\", "^",
            "`", "{", "|", "}"};
        static constexpr std::string_view alnum =
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        switch (below(4)) {
        case 0: return reserved[below(reserved.size())];
        case 1: return unicode();
        default: {
            std::string s;
            for (std::size_t n = 1 + below(6); n > 0; --n) s += alnum[below(alnum.size())];
            return s;
        }
        }
    }
    std::string text(std::size_t max_pieces) {
        std::string s;
        for (std::size_t n = 1 + below(max_pieces); n > 0; --n) s += piece();
        return s;
    }

    // Percent-encodes `s` for a target, choosing among the valid spellings: unreserved bytes
    // raw or (sometimes) encoded, `raw_ok` bytes raw or encoded, everything else encoded,
    // the hex digits in either case; in a query a space is '+' or %20.
    std::string encode(std::string_view s, std::string_view raw_ok, bool query) {
        static constexpr char upper[] = "0123456789ABCDEF";
        static constexpr char lower[] = "0123456789abcdef";
        std::string out;
        for (char const ch : s) {
            auto const c = static_cast<unsigned char>(ch);
            bool const unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
                                    c == '_' || c == '~';
            bool const may_be_raw = raw_ok.find(ch) != std::string_view::npos;
            if ((unreserved && !coin(8)) || (may_be_raw && coin(2))) {
                out += ch;
            } else if (query && c == ' ' && coin(2)) {
                out += '+';
            } else {
                char const* digits = coin(2) ? upper : lower;
                out += '%';
                out += digits[c >> 4];
                out += digits[c & 15];
            }
        }
        return out;
    }
};

struct generated_target {
    std::string project{};  // decoded
    std::string target{};   // as sent
};

generated_target generate_target(text_generator& g) {
    static std::vector<std::string> const keys = {"instance_name", "instance_id", "status",
                                                  "x",             "名前",        "a b&c=d"};
    generated_target t;
    do {
        t.project = g.text(4);
    } while (t.project.front() == ' ' || t.project.back() == ' ' || t.project == "." ||
             t.project == "..");
    // Path: pchar sub-delims, ':' and '@' may stay raw (a raw '+' is a literal plus).
    t.target = "/v2/" + g.encode(t.project, "!$&'()*+,;=:@", false) + "/apigw/instances";
    if (g.coin(4)) t.target += '/';
    std::size_t const params = 1 + g.below(4);
    for (std::size_t i = 0; i < params; ++i) {
        t.target += i == 0 ? '?' : '&';
        if (g.coin(10)) t.target += '&';  // an empty piece
        // Every value has non-ASCII text somewhere.
        std::string value = g.text(3);
        value.insert(g.below(value.size() + 1), g.unicode());
        t.target += g.encode(keys[g.below(keys.size())], "!$'()*,;:@/?", true);
        t.target += '=';
        t.target += g.encode(value, "!$'()*,;:@/?=", true);
    }
    return t;
}

// One byte of the query changed so that its meaning changes: a literal letter or digit
// (outside a %XX) to another, or a %XX hex digit to another value.
std::string mutate_query(std::string target, text_generator& g) {
    auto const q = target.find('?');
    std::vector<std::size_t> spots;
    for (std::size_t i = q + 1; i < target.size(); ++i) {
        char const c = target[i];
        bool const alnum =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (c == '%' && i + 2 < target.size()) {
            spots.push_back(i + 1);
            spots.push_back(i + 2);
            i += 2;
        } else if (alnum) {
            spots.push_back(i);
        }
    }
    REQUIRE_FALSE(spots.empty());
    std::size_t const at = spots[g.below(spots.size())];
    char& c = target[at];
    if (target[at - 1] == '%' || (at >= 2 && target[at - 2] == '%')) {
        int const v = (c >= '0' && c <= '9') ? c - '0' : ((c | 0x20) - 'a' + 10);
        c = "0123456789ABCDEF"[(v + 1 + static_cast<int>(g.below(15))) % 16];
    } else if (c >= '0' && c <= '9') {
        c = static_cast<char>('0' + (c - '0' + 1) % 10);
    } else if (c == 'z' || c == 'Z') {
        c = static_cast<char>(c - 25);
    } else {
        c = static_cast<char>(c + 1);
    }
    return target;
}

}  // namespace

TEST_CASE("aksk cross-check: 1,000 generated targets signed by apig, verified by the emulator") {
    text_generator g{std::mt19937_64(20240501)};
    std::vector<generated_target> targets;
    for (int i = 0; i < 1000; ++i) targets.push_back(generate_target(g));

    std::size_t accepted = 0;
    std::size_t rejected = 0;
    std::set<std::string> distinct;
    for (auto const& t : targets) {
        CAPTURE(t.target);
        distinct.insert(t.target);
        // The target is a valid origin-form target (what the server's parser accepts).
        CHECK(boost::urls::parse_origin_form(t.target).has_value());
        auto const q = t.target.find('?');
        CHECK(aksk::canonical_uri(t.target.substr(0, q)) ==
              apig::auth::canonical_uri(t.target.substr(0, q)));
        CHECK(aksk::canonical_query(t.target.substr(q + 1)) ==
              apig::auth::canonical_query(t.target.substr(q + 1)));

        auto const headers = signed_get(t.target, fixed_now(), test_ak, test_sk, "", t.project);
        auto const ok = aksk::verify(as_received(t.target, headers), verifier_keys(), fixed_now());
        CHECK(ok.code == aksk::status::ok);
        accepted += ok.code == aksk::status::ok;

        // One hex digit of the signature changed.
        auto bad_sig = headers;
        std::string& authz = bad_sig.back().second;
        std::size_t const at = authz.size() - 1 - g.below(64);
        authz[at] = "0123456789abcdef"[(std::string_view("0123456789abcdef").find(authz[at]) +
                                        1 + g.below(15)) % 16];
        auto const r1 = aksk::verify(as_received(t.target, bad_sig), verifier_keys(), fixed_now());
        CHECK(r1.code == aksk::status::signature_mismatch);
        rejected += r1.code == aksk::status::signature_mismatch;

        // One byte of the query changed, the signature kept.
        std::string const tampered = mutate_query(t.target, g);
        CAPTURE(tampered);
        REQUIRE(tampered != t.target);
        auto const r2 = aksk::verify(as_received(tampered, headers), verifier_keys(), fixed_now());
        CHECK(r2.code == aksk::status::signature_mismatch);
        rejected += r2.code == aksk::status::signature_mismatch;
    }
    CHECK(distinct.size() == 1000);
    CHECK(accepted == 1000);
    CHECK(rejected == 2000);

    // End to end for the first 25: served projects, real TLS, the server's own parsing.
    emu::options opts = aksk_options();
    opts.instance_count = 3;
    opts.project_ids.clear();
    for (std::size_t i = 0; i < 25; ++i) opts.project_ids.push_back(targets[i].project);
    emu::server srv(opts);
    test_client c(srv);
    for (std::size_t i = 0; i < 25; ++i) {
        auto const& t = targets[i];
        CAPTURE(t.target);
        auto const headers = signed_get(t.target, fixed_now(), test_ak, test_sk, "", t.project);
        CHECK(c.get_with(t.target, headers).result_int() == 200);
        CHECK(srv.requests().back().project_id == t.project);
        CHECK(c.get_with(mutate_query(t.target, g), headers).result_int() == 401);
    }
}
