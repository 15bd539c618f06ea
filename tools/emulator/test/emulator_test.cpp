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
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <set>
#include <string>

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
};

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
