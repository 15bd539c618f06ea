// Validation and target building: what is checked and sent before any I/O.
#include "request.hpp"

#include "auth/signer.hpp"
#include "error_detail.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <charconv>

namespace apig::detail {
namespace {

constexpr std::int32_t max_limit = 500;

// Percent-encodes everything but the unreserved characters A-Z a-z 0-9 - . _ ~ . This is
// stricter than Boost.URL's params() (which keeps '+', '=', '/' and '?' in a query value),
// so a server that reads '+' as a space cannot misread a value, and it is the encoding
// SDK-HMAC-SHA256 uses for its canonical query.
void append_encoded(std::string& out, std::string_view s) {
    boost::urls::encoding_opts opts;
    opts.space_as_plus = false;
    auto const n = boost::urls::encoded_size(s, boost::urls::unreserved_chars, opts);
    auto const at = out.size();
    out.resize(at + n);
    boost::urls::encode(out.data() + at, n, s, boost::urls::unreserved_chars, opts);
}

// A path segment that is only dots would be removed or climb the path once a server
// normalises it ("." and ".."), so its dots are encoded too: %2E%2E is a literal "..".
void append_segment(std::string& out, std::string_view s) {
    if (!s.empty() && s.find_first_not_of('.') == std::string_view::npos) {
        for (std::size_t i = 0; i < s.size(); ++i) out += "%2E";
        return;
    }
    append_encoded(out, s);
}

template <class Int>
void append_int(std::string& out, Int v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

}  // namespace

error_info validate(list_request const& req, std::string_view client_project, bool discoverable) {
    auto const project_id = effective_project(req, client_project);
    if (project_id.empty() && (req.project_id || !discoverable))
        return invalid_argument("project_id must not be empty");
    // The project is also sent as the X-Project-Id header of a signed request.
    if (!auth::header_value_ok(project_id))
        return invalid_argument("project_id contains a control character (CR, LF, NUL, ...)");
    if (req.limit < 1 || req.limit > max_limit)
        return invalid_argument("limit must be in 1..500 (got " + std::to_string(req.limit) + ")");
    if (req.offset < 0)
        return invalid_argument("offset must be >= 0 (got " + std::to_string(req.offset) + ")");
    if (req.status && req.status->wire().empty())
        return invalid_argument("status must not be empty (omit it to list every status)");
    return {};
}

std::string build_target(std::string_view client_project, list_request const& req) {
    auto const project_id = effective_project(req, client_project);
    std::string t;
    t.reserve(64 + project_id.size() * 3);
    t += "/v2/";
    append_segment(t, project_id);
    t += "/apigw/instances?offset=";
    append_int(t, req.offset);
    t += "&limit=";
    append_int(t, req.limit);
    if (req.instance_id) {
        t += "&instance_id=";
        append_encoded(t, *req.instance_id);
    }
    if (req.instance_name) {
        t += "&instance_name=";
        append_encoded(t, *req.instance_name);
    }
    if (req.status) {
        t += "&status=";
        append_encoded(t, req.status->wire());
    }
    return t;
}

}  // namespace apig::detail
