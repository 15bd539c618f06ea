#include <apig/error.hpp>

namespace apig {
namespace {

class category_impl final : public boost::system::error_category {
public:
    // A fixed id lets error_codes from different shared objects compare equal.
    constexpr category_impl() noexcept : error_category(0x6170696765727221ULL) {}

    char const* name() const noexcept override { return "apig"; }

    std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
        case errc::invalid_argument: return "invalid argument";
        case errc::bad_request: return "bad request (HTTP 400)";
        case errc::unauthorized: return "unauthorized (HTTP 401)";
        case errc::forbidden: return "forbidden (HTTP 403)";
        case errc::not_found: return "not found (HTTP 404)";
        case errc::too_many_requests: return "too many requests (HTTP 429)";
        case errc::internal_server_error: return "internal server error (HTTP 500)";
        case errc::server_error: return "server error (HTTP 5xx)";
        case errc::unexpected_status: return "unexpected HTTP status";
        case errc::bad_response: return "bad response";
        case errc::response_too_large: return "response too large";
        case errc::tls_verification_failed: return "TLS certificate verification failed";
        case errc::tls_handshake_failed: return "TLS handshake failed";
        case errc::timed_out: return "timed out";
        case errc::resolve_failed: return "host name resolution failed";
        case errc::connect_failed: return "connection failed";
        case errc::credentials_unavailable: return "credentials unavailable";
        case errc::walk_stalled: return "walk stalled: pages bring no new instance";
        case errc::walk_limit_exceeded: return "walk limit exceeded";
        case errc::proxy_error: return "the proxy refused the tunnel";
        }
        return "unknown apig error";
    }

    // The generic condition of each code that has a natural one, so that portable code can
    // test `ec == std::errc::timed_out` (or boost::system::errc) without knowing apig.
    // The others are conditions of their own.
    boost::system::error_condition default_error_condition(int ev) const noexcept override {
        namespace generic = boost::system::errc;
        switch (static_cast<errc>(ev)) {
        case errc::invalid_argument: return generic::make_error_condition(generic::invalid_argument);
        case errc::forbidden: return generic::make_error_condition(generic::permission_denied);
        case errc::bad_response: return generic::make_error_condition(generic::bad_message);
        case errc::response_too_large: return generic::make_error_condition(generic::message_size);
        case errc::timed_out: return generic::make_error_condition(generic::timed_out);
        default: return {ev, *this};
        }
    }
};

constinit category_impl const category_instance;

}  // namespace

boost::system::error_category const& category() noexcept { return category_instance; }

errc errc_from_http_status(unsigned status) noexcept {
    switch (status) {
    case 400: return errc::bad_request;
    case 401: return errc::unauthorized;
    case 403: return errc::forbidden;
    case 404: return errc::not_found;
    case 429: return errc::too_many_requests;
    case 500: return errc::internal_server_error;
    default: return status >= 500 && status <= 599 ? errc::server_error : errc::unexpected_status;
    }
}

api_error::api_error(error_info info)
    : boost::system::system_error(info.code, info.message), info_(std::move(info)) {
    if (info_.message.empty()) info_.message = info_.code.message();
}

char const* api_error::what() const noexcept { return info_.message.c_str(); }

}  // namespace apig
