// The emulator's dataset, pages, errors and recorded requests over real TLS, stop(), and
// its TLS material (the client-vs-emulator integration tests live in test/integration).

#include "support.hpp"

using namespace emulator_test;

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

TEST_CASE("max_tls_version pins the protocol; handshakes are counted and reset") {
    for (int const v : {0x0303, 0x0304}) {
        CAPTURE(v);
        emu::server srv({.max_tls_version = v});
        {
            test_client c(srv);
            CHECK(SSL_version(c.stream.native_handle()) == v);
            CHECK(c.get("/nowhere").result_int() == 404);  // answered: the handshake is done
        }
        CHECK(srv.handshakes() == 1);
        CHECK(srv.resumed_handshakes() == 0);  // a client without a session to offer
        srv.reset_stats();
        CHECK(srv.handshakes() == 0);
    }
    CHECK_THROWS_AS(emu::server({.max_tls_version = 0x0302}), std::invalid_argument);
}
