// The credentials types' redacted descriptions and the ready-made providers.
#include <apig/credentials.hpp>

#include <type_traits>

namespace apig {
namespace {

std::string redacted(std::string const& secret) {
    if (secret.empty()) return "<none>";
    return "<redacted, " + std::to_string(secret.size()) + " bytes>";
}

}  // namespace

boost::asio::awaitable<credentials> credentials_provider::refresh(credentials const&) {
    co_return current();
}

boost::asio::awaitable<credentials> credentials_provider::fetch() {
    co_return current();
}

credentials_settings credentials_provider::settings() {
    return {};
}

rotating_credentials::rotating_credentials(credentials initial) : current_(std::move(initial)) {}

void rotating_credentials::set(credentials next) {
    std::lock_guard lock(mutex_);
    current_ = std::move(next);
}

credentials rotating_credentials::current() {
    std::lock_guard lock(mutex_);
    return current_;
}

std::string to_string(token_credentials const& c) {
    return "token_credentials{token=" + redacted(c.token) + "}";
}

std::string to_string(aksk_credentials const& c) {
    return "aksk_credentials{ak=" + redacted(c.ak) + ", sk=" + redacted(c.sk) +
           ", security_token=" + redacted(c.security_token) + "}";
}

std::string to_string(credentials const& c) {
    return std::visit([](auto const& v) { return to_string(v); }, c);
}

std::string to_string(client_credentials const& c) {
    return std::visit(
        [](auto const& v) -> std::string {
            if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::shared_ptr<credentials_provider>>)
                return v ? "credentials_provider" : "credentials_provider{null}";
            else
                return to_string(v);
        },
        c);
}

}  // namespace apig
