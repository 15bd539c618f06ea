// Routing, authentication and the API's errors: what a request is answered before its page,
// in the order apig/emulator.hpp documents (fault_options: "Where faults stand").

#include "server_impl.hpp"
#include "verify.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/url/encoding_opts.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <openssl/crypto.h>

#include <array>
#include <charconv>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>

namespace apig::emulator {

std::string_view to_string(auth_kind a) noexcept {
    switch (a) {
    case auth_kind::none: return "none";
    case auth_kind::token: return "token";
    case auth_kind::aksk: return "aksk";
    }
    return "unknown";
}

namespace detail {
namespace {

constexpr std::int64_t default_limit = 20;
constexpr std::int64_t max_limit = 500;

// The documented errors, plus codes chosen for what the documentation does not name (the
// real gateway's codes where known).
constexpr api_error bad_token{401, "APIC.7102", "Incorrect token or token resolution failed"};
// AK/SK: one message for every failure (it never tells an unknown AK from a wrong SK), except
// the date, whose message says what is wrong with it.
constexpr api_error bad_aksk{
    401, "APIGW.0301", "Incorrect IAM authentication information: verify aksk signature fail"};
constexpr api_error bad_sdk_date{
    401, "APIGW.0301",
    "Incorrect IAM authentication information: x-sdk-date is missing or malformed"};
constexpr api_error expired_sdk_date{
    401, "APIGW.0301",
    "Incorrect IAM authentication information: signature expired, x-sdk-date is more than 15 "
    "minutes from the server time"};
// A temporary key (issued by the metadata listener) used after its expiry.
constexpr api_error expired_key{
    401, "APIGW.0301",
    "Incorrect IAM authentication information: the security token has expired"};
constexpr api_error forbidden{403, "APIC.7106", "No permissions to request for the method"};
constexpr api_error not_found{
    404, "APIG.0101", "The API does not exist or has not been published in the environment"};
constexpr api_error not_allowed{405, "APIG.0105", "The request method is not allowed"};

// Parses a whole decimal integer (optional sign); false on anything else, including
// overflow: the real API rejects non-numeric paging parameters with 400.
bool parse_int(std::string_view s, std::int64_t& out) noexcept {
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    if (s.empty()) return false;
    auto const r = std::from_chars(s.data(), s.data() + s.size(), out);
    return r.ec == std::errc{} && r.ptr == s.data() + s.size();
}

// The keys as key_store stores them, after validation. Throws std::invalid_argument naming
// the key's index, never a secret.
std::shared_ptr<std::vector<access_key> const> checked_keys(std::vector<access_key> keys) {
    auto fail = [](std::size_t i, char const* what) {
        throw std::invalid_argument("apig-emulator: access_keys[" + std::to_string(i) + "]: " +
                                    what);
    };
    for (std::size_t i = 0; i < keys.size(); ++i) {
        auto const& k = keys[i];
        if (!aksk::valid_access_key(k.ak))
            fail(i, "the AK must be non-empty visible ASCII without ','");
        if (k.sk.empty()) fail(i, "the SK must not be empty");
        for (char const ch : k.security_token) {
            auto const c = static_cast<unsigned char>(ch);
            if (c < 0x20 || c == 0x7f) fail(i, "the security token has a control character");
        }
        for (std::size_t j = 0; j < i; ++j)
            if (keys[j].ak == k.ak) fail(i, "the AK is repeated");
    }
    return std::make_shared<std::vector<access_key> const>(std::move(keys));
}

}  // namespace

api_error injected_error(unsigned status) {
    switch (status) {
    case 500: return {500, "APIC.9000", "Failed to request internal service"};
    case 503: return {503, "APIG.1009", "The service is temporarily unavailable"};
    case 429: return {429, "APIG.1010", "The throttling threshold has been reached"};
    case 502: return {502, "APIG.0202", "Backend unavailable"};
    case 504: return {504, "APIG.0203", "Backend timeout"};
    default: return {status, "APIG.9999", "Injected failure"};
    }
}

void key_store::set(std::vector<access_key> keys) {
    auto checked = checked_keys(std::move(keys));
    std::lock_guard lock(mu_);
    keys_ = std::move(checked);
}

std::shared_ptr<std::vector<access_key> const> key_store::get() const {
    std::lock_guard lock(mu_);
    return keys_;
}

}  // namespace detail

using namespace detail;

void server::impl::set_error(api_error const& e, connection_buffers& bufs, reply& rep,
                             std::string_view request_id, std::string_view extra) {
    // Real APIG error bodies carry the request id too; the messages are ASCII constants
    // (and `extra` a parameter name or a checked X-Sdk-Date), so no JSON escaping is needed.
    rep.status = e.status;
    rep.prefix.clear();
    rep.tail = {};
    bufs.body.clear();
    bufs.body += R"({"error_code":")";
    bufs.body += e.code;
    bufs.body += R"(","error_msg":")";
    bufs.body += e.message;
    bufs.body += extra;
    bufs.body += R"(","request_id":")";
    bufs.body += request_id;
    bufs.body += R"("})";
    rep.middle = bufs.body;
}

void server::impl::handle(request const& req, connection_buffers& bufs, reply& rep,
                          recorded_request& rec, std::string_view request_id,
                          fault_context* fc) {
    // Route first (404, then 405), then authenticate (401), then fail_next, then authorise
    // the project (403), then validate the query (400), then the faults (fault_options).
    auto const parsed = boost::urls::parse_origin_form(req.target());
    if (!parsed) return set_error(bad_request, bufs, rep, request_id, ": malformed request target");
    auto const url = *parsed;

    // Decoded segments: a project id like "a/b?c#d" or ".." arrives percent-encoded as one
    // segment and must stay one segment, so nothing here splits or normalises decoded text.
    std::array<std::string, 5> segs;
    std::size_t nsegs = 0;
    for (auto&& s : url.segments()) {
        if (nsegs == segs.size()) {
            nsegs = segs.size() + 1;  // too many
            break;
        }
        segs[nsegs++] = s;
    }
    // IAM's KeystoneListProjects (iam.cpp): /v3/projects, a trailing '/' allowed.
    if ((nsegs == 2 || (nsegs == 3 && segs[2].empty())) && segs[0] == "v3" &&
        segs[1] == "projects")
        return handle_iam(req, url, bufs, rep, rec, request_id);
    bool const route = (nsegs == 4 || (nsegs == 5 && segs[4].empty())) && segs[0] == "v2" &&
                       segs[2] == "apigw" && segs[3] == "instances";
    if (!route) return set_error(not_found, bufs, rep, request_id);
    rec.project_id = segs[1];

    if (req.method() != http::verb::get) {
        rep.allow_header = true;
        return set_error(not_allowed, bufs, rep, request_id);
    }

    // An Authorization header means AK/SK signing, and decides alone; otherwise the token.
    auto const token = req.find("X-Auth-Token");
    rec.had_token = token != req.end();
    if (req.find(http::field::authorization) != req.end()) {
        rec.auth = auth_kind::aksk;
        if (!authenticate_aksk(req, rec, bufs, rep, request_id)) return;
    } else {
        rec.auth = rec.had_token ? auth_kind::token : auth_kind::none;
        if (!token_matches(req)) {
            rec.auth_failure = rec.had_token ? "bad_token" : "missing_token";
            return set_error(bad_token, bufs, rep, request_id);
        }
    }

    if (auto const injected = faults.take_failure()) {
        rep.fault = fault_kind::fail_next;
        return set_error(injected_error(*injected), bufs, rep, request_id);
    }

    // X-Project-Id (as the SDKs send it with AK/SK), when present, must name the path's
    // project: a request scoped to one project cannot read another's.
    auto const scoped = req.equal_range("X-Project-Id");
    for (auto it = scoped.first; it != scoped.second; ++it)
        if (it->value() != rec.project_id) return set_error(forbidden, bufs, rep, request_id);

    auto const project = lists.find(rec.project_id);
    if (!project) return set_error(forbidden, bufs, rep, request_id);

    // Query: values percent-decoded, '+' kept as '+' (the form-encoding rule does not apply
    // to this API; clients percent-encode spaces). The first occurrence of a key wins; an
    // empty filter is no filter.
    std::int64_t offset = 0;
    std::int64_t limit = default_limit;
    std::string instance_id, instance_name, status;
    bool seen_offset = false, seen_limit = false, seen_id = false, seen_name = false,
         seen_status = false;
    for (auto const& p : url.params(boost::urls::encoding_opts{false, false, false})) {
        if (p.key == "offset" && !seen_offset) {
            seen_offset = true;
            if (!parse_int(p.value, offset))
                return set_error({400, "APIG.2012", "Invalid parameter value,parameterName:"},
                                 bufs, rep, request_id, "offset");
        } else if (p.key == "limit" && !seen_limit) {
            seen_limit = true;
            if (!parse_int(p.value, limit) || limit > std::numeric_limits<std::int32_t>::max() ||
                limit < std::numeric_limits<std::int32_t>::min())
                return set_error({400, "APIG.2012", "Invalid parameter value,parameterName:"},
                                 bufs, rep, request_id, "limit");
        } else if (p.key == "instance_id" && !seen_id) {
            seen_id = true;
            instance_id = p.value;
        } else if (p.key == "instance_name" && !seen_name) {
            seen_name = true;
            instance_name = p.value;
        } else if (p.key == "status" && !seen_status) {
            seen_status = true;
            status = p.value;
        }
    }
    if (offset < 0) offset = 0;
    if (limit <= 0) limit = default_limit;
    if (limit > max_limit) limit = max_limit;
    rec.offset = offset;
    rec.limit = limit;

    if (fc != nullptr) {
        fault_draw const d = faults.draw(*fc, rec.project_id, offset, limit);
        rep.fault = d.fault;
        rep.fault_delay = d.delay;
        if (d.status != 0) {
            set_error(injected_error(d.status), bufs, rep, request_id);
            if (d.status == 503) rep.retry_after = fc->o.retry_after_seconds;
            return;
        }
    }

    page_query q;
    q.first = static_cast<std::uint64_t>(offset);
    q.last = q.first + static_cast<std::uint64_t>(limit);  // no overflow: < 2^64
    q.instance_id = instance_id;
    q.instance_name = instance_name;
    q.status = status;
    page const pg = lists.serve(*project, q, bufs.body);
    rep.middle = pg.instances;
    rep.status = 200;
    rep.prefix = R"({"total":)";
    append_number(rep.prefix, pg.total);
    rep.prefix += R"(,"size":)";
    append_number(rep.prefix, pg.size);
    rep.prefix += R"(,"instances":[)";
    // Malformed: the instances array is never closed.
    rep.tail = rep.fault == fault_kind::malformed ? std::string_view("}") : "]}";
}

std::chrono::system_clock::time_point server::impl::now() const {
    return opts.clock ? opts.clock() : std::chrono::system_clock::now();
}

bool server::impl::token_matches(request const& req) const {
    auto const token = req.find("X-Auth-Token");
    // Constant-time comparison: the habit costs nothing, even in an emulator.
    return token != req.end() && token->value().size() == opts.token.size() &&
           CRYPTO_memcmp(token->value().data(), opts.token.data(), opts.token.size()) == 0;
}

aksk::status server::impl::check_aksk(request const& req, recorded_request& rec,
                                      std::chrono::system_clock::time_point now,
                                      bool& expired) {
    expired = false;
    aksk::request in;
    in.method = req.method_string();
    in.target = req.target();
    in.body = req.body();
    in.headers.reserve(16);
    for (auto const& f : req) in.headers.emplace_back(f.name_string(), f.value());
    std::shared_ptr<std::vector<access_key> const> const current = keys.get();
    auto res = aksk::verify(in, *current, now);
    if (res.code == aksk::status::unknown_access_key) {
        // Not a configured key: maybe one the metadata listener issued.
        if (auto const k = issued.find(res.access_key)) {
            res = aksk::verify(in, std::span<access_key const>(&k->key, 1), now);
            expired = res.code == aksk::status::ok && now >= k->expires_at;
        }
    }
    rec.access_key = std::move(res.access_key);
    if (expired)
        rec.auth_failure = "key_expired";
    else if (res.code != aksk::status::ok)
        rec.auth_failure = aksk::to_string(res.code);
    return res.code;
}

bool server::impl::authenticate_aksk(request const& req, recorded_request& rec,
                                     connection_buffers& bufs, reply& rep,
                                     std::string_view request_id) {
    auto const now = this->now();
    bool expired = false;
    auto const code = check_aksk(req, rec, now, expired);
    if (expired) {
        set_error(expired_key, bufs, rep, request_id);
        return false;
    }
    if (code == aksk::status::ok) return true;
    switch (code) {
    case aksk::status::bad_date: set_error(bad_sdk_date, bufs, rep, request_id); break;
    case aksk::status::date_out_of_range: {
        // The date parsed, so it is 16 safe characters (digits, 'T', 'Z'): no escaping.
        std::string extra = ", signature time:";
        extra += req["X-Sdk-Date"];
        extra += ",server time:";
        extra += aksk::format_sdk_date(now);
        set_error(expired_sdk_date, bufs, rep, request_id, extra);
        break;
    }
    default: set_error(bad_aksk, bufs, rep, request_id); break;
    }
    return false;
}

}  // namespace apig::emulator
