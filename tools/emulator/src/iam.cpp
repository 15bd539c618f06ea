// IAM's KeystoneListProjects on the HTTPS server (options::iam_projects): the request the
// official SDKs make to find the project of a region, authenticated as the APIG path is.

#include "server_impl.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/encoding_opts.hpp>

#include <string>

namespace apig::emulator {

using namespace detail;

namespace {

// Fixed ids for the fields the SDKs ignore: a 32-hex domain, the parent of every project.
constexpr std::string_view domain_id = "0e1f2d3c4b5a69788796a5b4c3d2e1f0";

// IAM's error body: {"error":{"code":N,"message":..,"title":..}}.
void iam_error(unsigned status, std::string_view message, std::string_view title,
               connection_buffers& bufs, reply& rep) {
    boost::json::object inner;
    inner["code"] = status;
    inner["message"] = message;
    inner["title"] = title;
    boost::json::object body;
    body["error"] = std::move(inner);
    rep.status = status;
    rep.prefix.clear();
    rep.tail = {};
    bufs.body = boost::json::serialize(body);
    rep.middle = bufs.body;
}

void unauthorized(connection_buffers& bufs, reply& rep) {
    iam_error(401, "The request you have made requires authentication.", "Unauthorized", bufs,
              rep);
}

}  // namespace

void server::impl::handle_iam(request const& req, boost::urls::url_view url,
                              connection_buffers& bufs, reply& rep, recorded_request& rec,
                              std::string_view /*request_id*/) {
    rep.iam = true;
    if (req.method() != http::verb::get) {
        rep.allow_header = true;
        return iam_error(405, "The method is not allowed for the requested URL.",
                         "Method Not Allowed", bufs, rep);
    }

    // Authentication as on the APIG path: an Authorization header decides alone.
    rec.had_token = req.find("X-Auth-Token") != req.end();
    if (req.find(http::field::authorization) != req.end()) {
        rec.auth = auth_kind::aksk;
        bool expired = false;
        if (check_aksk(req, rec, now(), expired) != aksk::status::ok || expired)
            return unauthorized(bufs, rep);
    } else {
        rec.auth = rec.had_token ? auth_kind::token : auth_kind::none;
        if (!token_matches(req)) {
            rec.auth_failure = rec.had_token ? "bad_token" : "missing_token";
            return unauthorized(bufs, rep);
        }
    }

    if (auto const injected = iam_failures.take()) {
        auto const title = http::obsolete_reason(static_cast<http::status>(*injected));
        return iam_error(*injected, "Injected failure",
                         std::string_view(title.data(), title.size()), bufs, rep);
    }

    // The first `name` parameter, percent-decoded ('+' kept, as on the APIG path).
    std::optional<std::string> name;
    for (auto const& p : url.params(boost::urls::encoding_opts{false, false, false}))
        if (p.key == "name") {
            name = p.value;
            break;
        }

    std::string const self_base = endpoint_text + "/v3/projects";
    boost::json::array projects;
    for (auto const& p : opts.iam_projects) {
        if (name && p.name != *name) continue;
        boost::json::object links;
        links["self"] = self_base + "/" + p.id;
        boost::json::object o;
        o["id"] = p.id;
        o["name"] = p.name;
        o["domain_id"] = domain_id;
        o["enabled"] = true;
        o["description"] = "";
        o["parent_id"] = domain_id;
        o["is_domain"] = false;
        o["links"] = std::move(links);
        projects.push_back(std::move(o));
    }
    boost::json::object links;
    links["self"] = endpoint_text + std::string(req.target());
    links["previous"] = nullptr;
    links["next"] = nullptr;
    boost::json::object body;
    body["projects"] = std::move(projects);
    body["links"] = std::move(links);
    rep.status = 200;
    rep.prefix.clear();
    rep.tail = {};
    bufs.body = boost::json::serialize(body);
    rep.middle = bufs.body;
}

}  // namespace apig::emulator
