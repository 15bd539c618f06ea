// The metadata listener (options::metadata): the ECS metadata service's session tokens and
// temporary keys, and the CCE pod identity agent's keys, over plain HTTP on 127.0.0.1; and the
// stores they share with the HTTPS side (metadata.hpp).

#include "server_impl.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <array>
#include <cstdio>
#include <exception>
#include <stdexcept>

namespace apig::emulator {

std::string_view to_string(metadata_token_mode m) noexcept {
    switch (m) {
    case metadata_token_mode::required: return "required";
    case metadata_token_mode::optional: return "optional";
    case metadata_token_mode::unsupported_404: return "unsupported_404";
    case metadata_token_mode::unsupported_405: return "unsupported_405";
    }
    return "unknown";
}

namespace detail {

namespace {

constexpr std::string_view upper_alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
constexpr std::string_view alnum =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
constexpr std::string_view base64url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::string_view hex_digits = "0123456789abcdef";

}  // namespace

std::string format_expiry(sys_time tp) {
    using namespace std::chrono;
    auto const us = floor<microseconds>(tp);
    auto const day = floor<days>(us);
    year_month_day const ymd{day};
    hh_mm_ss const t{us - day};
    char buf[40];
    int const n = std::snprintf(
        buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%06dZ", static_cast<int>(ymd.year()),
        static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
        static_cast<int>(t.hours().count()), static_cast<int>(t.minutes().count()),
        static_cast<int>(t.seconds().count()), static_cast<int>(t.subseconds().count()));
    return std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
}

std::string random_text(std::size_t n, std::string_view alphabet) {
    if (alphabet.empty() || alphabet.size() > 256)
        throw std::invalid_argument("apig-emulator: random_text: bad alphabet");
    // Rejection sampling: bytes at or above the largest multiple of the alphabet's size are
    // drawn again, so every character is equally likely.
    std::size_t const limit = 256 - 256 % alphabet.size();
    std::string out;
    out.reserve(n);
    std::array<unsigned char, 64> bytes{};
    while (out.size() < n) {
        if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
            throw std::runtime_error("apig-emulator: RAND_bytes failed");
        for (unsigned char const b : bytes) {
            if (out.size() == n) break;
            if (b < limit) out.push_back(alphabet[b % alphabet.size()]);
        }
    }
    return out;
}

std::optional<std::uint32_t> parse_ttl(std::string_view v) noexcept {
    if (v.empty() || v.size() > 5) return std::nullopt;
    std::uint32_t n = 0;
    for (char const c : v) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + static_cast<std::uint32_t>(c - '0');
    }
    if (n < 1 || n > max_ttl_seconds) return std::nullopt;
    return n;
}

issued_key issued_key_store::issue(sys_time now, sys_time expires_at) {
    issued_key k;
    k.key.sk = random_text(40, alnum);
    k.key.security_token = random_text(128, base64url);
    k.expires_at = expires_at;
    std::lock_guard lock(mu_);
    // Forget keys long expired, and the oldest beyond the bound.
    while (!order_.empty()) {
        auto const it = keys_.find(order_.front());
        bool const stale = it == keys_.end() || it->second.expires_at + forget_after < now;
        if (!stale && keys_.size() < max_keys) break;
        if (it != keys_.end()) keys_.erase(it);
        order_.pop_front();
    }
    do {
        k.key.ak = random_text(20, upper_alnum);
    } while (keys_.count(k.key.ak) != 0);
    keys_.emplace(k.key.ak, k);
    order_.push_back(k.key.ak);
    ++issued_;
    return k;
}

std::optional<issued_key> issued_key_store::find(std::string_view ak) const {
    std::lock_guard lock(mu_);
    auto const it = keys_.find(std::string(ak));
    if (it == keys_.end()) return std::nullopt;
    return it->second;
}

std::size_t issued_key_store::issued() const {
    std::lock_guard lock(mu_);
    return issued_;
}

std::string session_tokens::issue(sys_time now, std::chrono::seconds ttl) {
    std::string token = random_text(64, hex_digits);
    std::lock_guard lock(mu_);
    if (tokens_.size() >= max_tokens) {
        std::erase_if(tokens_, [&](auto const& t) { return t.second <= now; });
        while (tokens_.size() >= max_tokens) tokens_.erase(tokens_.begin());
    }
    tokens_.emplace(token, now + ttl);
    return token;
}

bool session_tokens::valid(std::string_view token, sys_time now) const {
    std::lock_guard lock(mu_);
    auto const it = tokens_.find(std::string(token));
    return it != tokens_.end() && now < it->second;
}

void session_tokens::expire_all() {
    std::lock_guard lock(mu_);
    tokens_.clear();
}

void injected_failures::set(std::size_t count, unsigned status) {
    if (status < 400 || status > 599)
        throw std::invalid_argument("apig-emulator: an injected status must be in 400..599");
    std::lock_guard lock(mu_);
    count_ = count;
    status_ = status;
}

std::optional<unsigned> injected_failures::take() {
    std::lock_guard lock(mu_);
    if (count_ == 0) return std::nullopt;
    --count_;
    return status_;
}

void metadata_log::record(metadata_request&& rec) {
    if (!keep_) return;
    std::lock_guard lock(mu_);
    recorded_.push_back(std::move(rec));
}

std::vector<metadata_request> metadata_log::requests() const {
    std::lock_guard lock(mu_);
    return recorded_;
}

void metadata_log::clear() {
    std::lock_guard lock(mu_);
    recorded_.clear();
}

namespace {

constexpr std::string_view token_path = "/meta-data/latest/api/token";
constexpr std::string_view securitykey_path = "/openstack/latest/securitykey";
constexpr std::string_view pod_path = "/v1/credentials";
constexpr std::string_view agency_error = "Please configure Cloud Service Agency first";

using response = http::response<http::string_body>;

void answer(response& res, unsigned status, std::string body,
            std::string_view type = "application/json") {
    res.result(status);
    res.set(http::field::content_type, type);
    res.body() = std::move(body);
}

// The value of a header that must appear at most once: nullopt when absent, "" plus `repeated`
// when it appears more than once.
std::optional<std::string_view> single(http::request<http::string_body> const& req,
                                       std::string_view name, bool& repeated) {
    auto const range = req.equal_range(name);
    repeated = false;
    if (range.first == range.second) return std::nullopt;
    if (std::next(range.first) != range.second) {
        repeated = true;
        return std::string_view();
    }
    return std::string_view(range.first->value().data(), range.first->value().size());
}

bool same_secret(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace
}  // namespace detail

using namespace detail;

// One metadata request's answer (no I/O): route, fail_next, then the endpoint.
void server::impl::handle_metadata(request const& req, response& res, metadata_request& rec) {
    auto& s = *this;
    auto const parsed = boost::urls::parse_origin_form(req.target());
    if (!parsed) return answer(res, 400, "malformed request target", "text/plain");
    std::string_view const path = parsed->encoded_path();
    http::verb allowed{};
    if (path == token_path)
        allowed = http::verb::put;
    else if (path == securitykey_path)
        allowed = http::verb::get;
    else if (path == pod_path)
        allowed = http::verb::post;
    else
        return answer(res, 404, "not found", "text/plain");
    if (req.method() != allowed) {
        res.set(http::field::allow, http::to_string(allowed));
        return answer(res, 405, "method not allowed", "text/plain");
    }
    if (auto const status = s.metadata_failures.take())
        return answer(res, *status,
                      R"({"error_code":"EMULATOR.FAIL_NEXT","error_msg":"injected failure"})");

    auto const& mo = s.opts.metadata;
    auto const now = s.now();
    bool repeated = false;
    if (path == token_path) {
        if (mo.token_mode == metadata_token_mode::unsupported_404)
            return answer(res, 404, "not found", "text/plain");
        if (mo.token_mode == metadata_token_mode::unsupported_405)
            return answer(res, 405, "method not allowed", "text/plain");
        auto const ttl_text = single(req, "X-Metadata-Token-Ttl-Seconds", repeated);
        auto const ttl = ttl_text ? parse_ttl(*ttl_text) : std::nullopt;
        if (!ttl)
            return answer(res, 400,
                          "X-Metadata-Token-Ttl-Seconds must be one integer from 1 to 21600",
                          "text/plain");
        return answer(res, 200, s.sessions.issue(now, std::chrono::seconds(*ttl)),
                      "text/plain");
    }

    if (path == securitykey_path) {
        bool const tokens = mo.token_mode == metadata_token_mode::required ||
                            mo.token_mode == metadata_token_mode::optional;
        if (tokens) {
            auto const token = single(req, "X-Metadata-Token", repeated);
            bool const ok = token ? !repeated && s.sessions.valid(*token, now)
                                  : mo.token_mode == metadata_token_mode::optional;
            if (!ok)
                return answer(res, 401,
                              "Unauthorized: X-Metadata-Token is missing, unknown or expired",
                              "text/plain");
        }
        if (!mo.agency_configured) return answer(res, 401, std::string(agency_error), "text/plain");
        auto const k = s.issued.issue(now, std::chrono::floor<std::chrono::microseconds>(
                                               now + mo.key_lifetime));
        rec.issued_key = true;
        boost::json::object cred;
        cred["access"] = k.key.ak;
        cred["secret"] = k.key.sk;
        cred["securitytoken"] = k.key.security_token;
        cred["expires_at"] = format_expiry(k.expires_at);
        boost::json::object body;
        body["credential"] = std::move(cred);
        return answer(res, 200, boost::json::serialize(body));
    }

    // The pod identity agent.
    auto const authz = single(req, "Authorization", repeated);
    if (!authz || repeated || !same_secret(*authz, mo.pod_token))
        return answer(res, 401, R"({"error_code":"CCE.01400001","error_msg":"invalid token"})");
    boost::system::error_code ec;
    auto const parsed_body = boost::json::parse(req.body(), ec);
    if (ec || !parsed_body.is_object())
        return answer(res, 400,
                      R"({"error_code":"CCE.01400002","error_msg":"the body must be a JSON object"})");
    auto const k = s.issued.issue(
        now, std::chrono::floor<std::chrono::microseconds>(now + mo.key_lifetime));
    rec.issued_key = true;
    boost::json::object cred;
    cred["accessKeyId"] = k.key.ak;
    cred["secretAccessKey"] = k.key.sk;
    cred["securityToken"] = k.key.security_token;
    cred["expiration"] = format_expiry(k.expires_at);
    boost::json::object body;
    body["credentials"] = std::move(cred);
    body["assumedAgency"] = boost::json::object{{"urn", ""}, {"id", ""}};
    body["audience"] = "";
    body["podIdentityAssociationId"] = "";
    body["subject"] = boost::json::object{{"namespace", ""}, {"serviceAccount", ""}};
    answer(res, 200, boost::json::serialize(body));
}

void server::impl::start_metadata() {
    auto const& mo = opts.metadata;
    metadata_delay_ms.store(mo.delay.count(), std::memory_order_relaxed);
    if (!mo.enabled) return;
    tcp::endpoint const ep(asio::ip::address_v4::loopback(), mo.port);
    metadata_acceptor.emplace(*ioc);
    metadata_acceptor->open(ep.protocol());
    metadata_acceptor->set_option(asio::socket_base::reuse_address(true));
    metadata_acceptor->bind(ep);
    metadata_acceptor->listen(asio::socket_base::max_listen_connections);
    metadata_bound_port = metadata_acceptor->local_endpoint().port();
    metadata_endpoint_text = "http://127.0.0.1:" + std::to_string(metadata_bound_port);
    asio::co_spawn(*ioc, metadata_accept_loop(), asio::detached);
}

asio::awaitable<void> server::impl::metadata_accept_loop() {
    asio::steady_timer backoff(metadata_acceptor->get_executor());
    for (;;) {
        beast::error_code ec;
        tcp::socket socket = co_await metadata_acceptor->async_accept(
            asio::make_strand(*ioc), asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            if (ec == asio::error::operation_aborted || !metadata_acceptor->is_open()) co_return;
            backoff.expires_after(std::chrono::milliseconds(50));
            co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            continue;
        }
        socket.set_option(tcp::no_delay(true), ec);
        std::uint64_t const id = metadata_connections.fetch_add(1, std::memory_order_relaxed) + 1;
        auto executor = socket.get_executor();
        asio::co_spawn(executor, metadata_session(std::move(socket), id), asio::detached);
    }
}

asio::awaitable<void> server::impl::metadata_session(tcp::socket socket,
                                                     std::uint64_t connection_id) {
    beast::error_code ec;
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    std::optional<asio::steady_timer> delay_timer;
    for (;;) {
        http::request_parser<http::string_body> parser;
        parser.header_limit(16 * 1024);
        parser.body_limit(64 * 1024);
        stream.expires_after(opts.idle_timeout);
        co_await http::async_read(stream, buffer, parser,
                                  asio::redirect_error(asio::use_awaitable, ec));
        bool malformed = false;
        if (ec) {
            if (ec.category() != http::make_error_code(http::error::bad_target).category() ||
                ec == http::error::end_of_stream || ec == http::error::partial_message)
                break;
            malformed = true;
        }

        metadata_request rec;
        rec.at = std::chrono::steady_clock::now();
        rec.connection_id = connection_id;
        response res;
        res.version(11);
        res.set(http::field::server, "apig-emulator");
        bool keep_alive = false;
        if (malformed) {
            if (parser.is_header_done()) {
                rec.method = parser.get().method_string();
                rec.target = parser.get().target();
            }
            answer(res, 400, "malformed request", "text/plain");
        } else {
            auto const& req = parser.get();
            rec.method = req.method_string();
            rec.target = req.target();
            rec.had_token = req.find("X-Metadata-Token") != req.end();
            rec.had_authorization = req.find(http::field::authorization) != req.end();
            try {
                handle_metadata(req, res, rec);
            } catch (std::exception const&) {
                // Allocation or RAND_bytes failure: answer rather than drop the client.
                rec.issued_key = false;
                answer(res, 500, "internal error", "text/plain");
            }
            keep_alive = req.keep_alive();
        }
        res.keep_alive(keep_alive);
        res.prepare_payload();
        rec.status = res.result_int();
        metadata_log.record(std::move(rec));

        auto const delay =
            std::chrono::milliseconds(metadata_delay_ms.load(std::memory_order_relaxed));
        if (delay.count() > 0) {
            if (!delay_timer) delay_timer.emplace(stream.get_executor());
            delay_timer->expires_after(delay);
            co_await delay_timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
        }
        stream.expires_after(opts.idle_timeout);
        co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
        if (ec || !keep_alive) break;
    }
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream.close();
}

}  // namespace apig::emulator
