// The default provider chain: environment, profile file, ECS metadata service, pod identity.
#include <apig/credentials_chain.hpp>
#include <apig/environment.hpp>

#include "auth/profile.hpp"
#include "error_detail.hpp"
#include "shared_flight.hpp"

#include <boost/asio/this_coro.hpp>

#include <mutex>

namespace apig {
namespace asio = boost::asio;

namespace {

using resolution = std::variant<credentials_source, error_info>;

constexpr std::string_view env_pod_uri = env_pod_identity_uri;
constexpr std::string_view env_pod_token_file = env_pod_identity_token_file;

std::string joined(std::vector<std::string> const& parts) {
    std::string out;
    for (auto const& p : parts) {
        if (!out.empty()) out += "; ";
        out += p;
    }
    return out;
}

// The message of what a provider threw, for the chain's summary.
std::string why_of(std::exception_ptr ep) {
    try {
        std::rethrow_exception(ep);
    } catch (api_error const& e) {
        return e.info().message;
    } catch (std::exception const& e) {
        return printable(e.what(), 256);
    } catch (...) {
        return "an exception that is not a std::exception";
    }
}

// `text` without `prefix` (a provider's messages start with its own name, which the chain's
// summary already gives).
std::string without_prefix(std::string text, std::string_view prefix) {
    if (text.starts_with(prefix)) text.erase(0, prefix.size());
    return text;
}

}  // namespace

std::string_view to_string(credentials_source s) noexcept {
    switch (s) {
    case credentials_source::environment: return "environment";
    case credentials_source::profile: return "profile";
    case credentials_source::metadata: return "metadata";
    case credentials_source::pod_identity: return "pod_identity";
    }
    return "unknown";
}

struct credentials_chain::state {
    chain_options opts;
    auth::getenv_fn getenv;

    mutable std::mutex mutex;
    std::optional<credentials_source> chosen;
    std::optional<credentials> fixed;                  // environment, profile
    std::shared_ptr<credentials_provider> delegate;    // metadata, pod identity
    credentials_settings settings;
    std::string env_project_id;                        // HUAWEICLOUD_SDK_PROJECT_ID, for every source
    std::string description;
    std::vector<std::string> warnings;
    std::vector<std::string> why_not;                  // of the sources read at construction
    std::shared_ptr<detail::shared_flight<resolution>> resolving;

    explicit state(chain_options o) : opts(std::move(o)) {
        getenv = opts.getenv ? auth::getenv_fn(opts.getenv) : auth::process_getenv();
        read_environment();
        if (!chosen) read_profile();
    }

    void choose(credentials_source s, credentials c, credentials_settings set, std::string description_) {
        chosen = s;
        fixed = std::move(c);
        settings = std::move(set);
        description = std::move(description_);
    }

    void read_environment() {
        if (!opts.use_environment) {
            why_not.push_back("environment: not tried (chain_options::use_environment is off)");
            return;
        }
        environment_credentials env = credentials_from(getenv);
        for (auto& w : env.warnings) warnings.push_back(std::move(w));
        env_project_id = env.project_id;
        using kind = environment_credentials::kind;
        std::string const what = apig::describe(env);
        switch (env.chosen) {
        case kind::access_key:
            choose(credentials_source::environment,
                   aksk_credentials{.ak = env.ak, .sk = env.sk, .security_token = env.security_token},
                   {.project_id = env.project_id}, what);
            return;
        case kind::token:
            choose(credentials_source::environment, token_credentials{env.token}, {.project_id = env.project_id}, what);
            return;
        case kind::none:
            why_not.push_back("environment: neither " + std::string(env_access_key) + "/" +
                              std::string(env_secret_key) + " nor " + std::string(env_auth_token) +
                              " is set" + (env.warnings.empty() ? "" : " (see the warnings)"));
            return;
        }
    }

    void read_profile() {
        if (!opts.use_profile) {
            why_not.push_back("profile: not tried (chain_options::use_profile is off)");
            return;
        }
        auto path = auth::profile_path(getenv);
        if (!path) {
            why_not.push_back("profile: neither HUAWEICLOUD_SDK_CREDENTIALS_FILE nor HOME is set");
            return;
        }
        auth::profile_result r = auth::load_profile(*path);
        for (auto& w : r.warnings) warnings.push_back(std::move(w));
        if (!r.values) {
            why_not.push_back("profile: " + r.why_not);
            return;
        }
        auto& v = *r.values;
        choose(credentials_source::profile, aksk_credentials{.ak = v.ak, .sk = v.sk, .security_token = v.security_token},
               {.project_id = v.project_id, .iam_endpoint = v.iam_endpoint},
               "profile " + printable(*path, 256) + " [basic] (access key" +
                   (v.security_token.empty() ? ")" : " with security token)"));
    }

    // Sources 3 and 4, in order; runs detached (see resolve) so that one cancelled caller
    // does not end the resolution others wait for.
    asio::awaitable<resolution> resolve_network() {
        std::vector<std::string> why;
        {
            std::lock_guard lock(mutex);
            why = why_not;
        }
        if (opts.use_metadata) {
            auto make = [&] {
                return std::make_shared<metadata_credentials>(
                    metadata_credentials::options{.endpoint = opts.metadata_endpoint, .key = opts.key});
            };
            // Named first: g++ 12 destroys the temporaries of a full expression holding a
            // co_await twice.
            std::string what = "ECS metadata service " + printable(opts.metadata_endpoint, 256);
            bool const found = co_await try_source(credentials_source::metadata, make, std::move(what),
                                                   "ECS metadata service: ", "metadata service ", why);
            if (found) co_return credentials_source::metadata;
        } else {
            why.push_back("ECS metadata service: not tried (chain_options::use_metadata is off)");
        }
        if (opts.use_pod_identity) {
            auto uri = getenv(env_pod_uri);
            auto file = getenv(env_pod_token_file);
            if (!uri || uri->empty()) {
                why.push_back("pod identity: " + std::string(env_pod_uri) + " is not set");
            } else if (!file || file->empty()) {
                why.push_back("pod identity: " + std::string(env_pod_token_file) + " is not set");
            } else {
                auto make = [&] {
                    pod_identity_credentials::options po{.uri = *uri, .token_file = *file, .tls = opts.pod_identity_tls};
                    po.key = opts.key;
                    if (opts.key.timeout == temporary_key_options{}.timeout) po.key.timeout = std::chrono::seconds(10);
                    return std::make_shared<pod_identity_credentials>(std::move(po));
                };
                std::string what = "pod identity agent " + printable(*uri, 256);
                bool const found = co_await try_source(credentials_source::pod_identity, make, std::move(what),
                                                       "pod identity: ", "pod identity agent ", why);
                if (found) co_return credentials_source::pod_identity;
            }
        } else {
            why.push_back("pod identity: not tried (chain_options::use_pod_identity is off)");
        }
        co_return make_error(errc::credentials_unavailable, "no credentials found: " + joined(why));
    }

    // One network source: the provider `make` builds (its constructor may throw) is asked for
    // a key; with one, it becomes the chain's source (true). Else its reason goes to `why`,
    // after `label`, without the provider's own `prefix` (its messages start with its name).
    template <class Make>
    asio::awaitable<bool> try_source(credentials_source s, Make make, std::string what, std::string_view label,
                                     std::string_view prefix, std::vector<std::string>& why) {
        std::shared_ptr<credentials_provider> p;
        std::exception_ptr failure;
        try {
            p = make();
            (void)co_await p->fetch();
        } catch (...) {
            failure = std::current_exception();
        }
        if (failure) {
            why.push_back(std::string(label) + without_prefix(why_of(failure), prefix));
            co_return false;
        }
        adopt(s, std::move(p), std::move(what) + " (temporary access key)");
        co_return true;
    }

    void adopt(credentials_source s, std::shared_ptr<credentials_provider> p, std::string description_) {
        std::lock_guard lock(mutex);
        chosen = s;
        delegate = std::move(p);
        description = std::move(description_);
    }

    // The chosen source: the one already chosen, else one resolution shared by every caller.
    static asio::awaitable<credentials_source> resolve(std::shared_ptr<state> self) {
        std::shared_ptr<detail::shared_flight<resolution>> flight;
        bool start = false;
        {
            std::lock_guard lock(self->mutex);
            if (self->chosen) co_return *self->chosen;
            if (!self->resolving) {
                self->resolving = std::make_shared<detail::shared_flight<resolution>>();
                start = true;
            }
            flight = self->resolving;
        }
        if (start) {
            // No co_await in this expression: g++ 12 destroys the temporaries of a full
            // expression holding a co_await twice.
            auto ex = co_await asio::this_coro::executor;
            detail::shared_flight<resolution>::run_detached(
                std::move(ex), flight,
                [self]() -> asio::awaitable<resolution> {
                    try {
                        co_return co_await self->resolve_network();
                    } catch (std::exception const& e) {
                        co_return make_error(errc::credentials_unavailable,
                                             "no credentials found: " + printable(e.what(), 256));
                    }
                },
                [self](resolution const&) {
                    std::lock_guard lock(self->mutex);
                    self->resolving.reset();  // a failure is not kept: the next caller tries again
                },
                make_error(asio::error::operation_aborted,
                           "the credentials chain was abandoned: its executor was shut down"));
        }
        auto got = co_await flight->wait();
        if (!got) throw boost::system::system_error(asio::error::operation_aborted);
        if (auto* e = std::get_if<error_info>(&*got)) throw api_error(std::move(*e));
        co_return std::get<credentials_source>(*got);
    }
};

credentials_chain::credentials_chain(chain_options o) : state_(std::make_shared<state>(std::move(o))) {}
credentials_chain::~credentials_chain() = default;

credentials credentials_chain::current() {
    std::shared_ptr<credentials_provider> d;
    {
        std::lock_guard lock(state_->mutex);
        if (state_->fixed) return *state_->fixed;
        d = state_->delegate;
    }
    if (!d)
        throw api_error(make_error(errc::credentials_unavailable,
                                   "the credentials chain has not chosen a source yet: use fetch() or resolve()"));
    return d->current();
}

boost::asio::awaitable<credentials> credentials_chain::fetch() {
    (void)co_await state::resolve(state_);
    std::shared_ptr<credentials_provider> d;
    {
        std::lock_guard lock(state_->mutex);
        if (state_->fixed) co_return *state_->fixed;
        d = state_->delegate;
    }
    co_return co_await d->fetch();
}

boost::asio::awaitable<credentials> credentials_chain::refresh(credentials const& rejected) {
    std::shared_ptr<credentials_provider> d;
    {
        std::lock_guard lock(state_->mutex);
        if (state_->fixed) co_return *state_->fixed;  // nothing newer: the 401 stands
        d = state_->delegate;
    }
    if (!d) co_return co_await fetch();
    co_return co_await d->refresh(rejected);
}

credentials_settings credentials_chain::settings() {
    std::lock_guard lock(state_->mutex);
    credentials_settings s = state_->settings;
    if (s.project_id.empty() && state_->chosen) s.project_id = state_->env_project_id;
    return s;
}

boost::asio::awaitable<credentials_source> credentials_chain::resolve() {
    co_return co_await state::resolve(state_);
}

std::optional<credentials_source> credentials_chain::source() const {
    std::lock_guard lock(state_->mutex);
    return state_->chosen;
}

std::string credentials_chain::describe() const {
    std::lock_guard lock(state_->mutex);
    return state_->description;
}

std::vector<std::string> credentials_chain::warnings() const {
    std::lock_guard lock(state_->mutex);
    return state_->warnings;
}

std::shared_ptr<credentials_chain> credentials_from_chain(chain_options o) {
    return std::make_shared<credentials_chain>(std::move(o));
}

}  // namespace apig
