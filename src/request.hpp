#pragma once

// What is checked and sent before any I/O: the request's validation and its target. Internal
// (apig's own call, walk, CLI and tests); the public surface is client::list_instances.

#include <apig/error.hpp>
#include <apig/model.hpp>

#include <string>
#include <string_view>

namespace apig::detail {

/// The project a request is for: `req.project_id`, or `client_project` (the client's
/// `client_options::project_id`) when the request names none.
inline std::string_view effective_project(list_request const& req, std::string_view client_project) noexcept {
    return req.project_id ? std::string_view(*req.project_id) : client_project;
}

/// Validates a request against the API's limits: limit 1..500, offset >= 0, a non-empty
/// effective project (see effective_project) without control characters. Returns an
/// `errc::invalid_argument` error naming the field and the allowed range, or an empty
/// error_info. With `discoverable`, an empty effective project passes: the call finds it
/// (the provider's settings, or IAM project discovery) before its first attempt.
error_info validate(list_request const& req, std::string_view client_project, bool discoverable = false);

/// The request target for the effective project, e.g.
/// `/v2/73d6.../apigw/instances?offset=0&limit=20`. The project id is exactly one
/// percent-encoded path segment (`/`, `?`, `#`, `%` and dot segments cannot change the path)
/// and every query value is percent-encoded (all but `A-Za-z0-9-._~`).
std::string build_target(std::string_view client_project, list_request const& req);

}  // namespace apig::detail
