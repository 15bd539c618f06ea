#pragma once

#include <apig/export.hpp>

// The default credentials provider chain of Huawei Cloud's official SDKs: credentials found
// where deployments keep them, tried in order, the first that yields credentials wins:
//
//  1. the environment: HUAWEICLOUD_SDK_AK + HUAWEICLOUD_SDK_SK (+ HUAWEICLOUD_SDK_SECURITY_TOKEN),
//     else APIG_AUTH_TOKEN (`credentials_from`'s rules); HUAWEICLOUD_SDK_PROJECT_ID;
//  2. the profile file: HUAWEICLOUD_SDK_CREDENTIALS_FILE, else `~/.huaweicloud/credentials`;
//     INI, section `[basic]`: `ak`, `sk`, `security_token`, `project_id`, `iam_endpoint`. A
//     file readable by group or others gets a warning (as ssh does) but is used;
//  3. the ECS metadata service: temporary keys of the server's agency (`metadata_credentials`),
//     refreshed before they expire;
//  4. pod identity (CCE): HC_CONTAINER_CREDENTIALS_FULL_URI + HC_CONTAINER_AUTHORIZATION_TOKEN_FILE
//     (`pod_identity_credentials`).
//
// Sources 1 and 2 are read when the chain is made (no I/O but the file); 3 and 4 are asked,
// in order, on the first `fetch()` (or `resolve()`), without blocking a thread: on the
// awaiting coroutine's executor, one resolution shared by every concurrent caller. The
// metadata service gets `key.timeout` per request (3 s by default; a down service answers at
// once with "connection refused", a silent one costs at most 4 requests' timeouts, the token
// and the key each tried twice at most).
//
// When nothing yields credentials, `fetch()` and `resolve()` throw `api_error` with
// `errc::credentials_unavailable` whose message names every source tried and why each gave
// nothing, e.g.
//
//     no credentials found: environment: neither HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK nor
//     APIG_AUTH_TOKEN is set; profile: /home/u/.huaweicloud/credentials: not found; ECS
//     metadata service http://169.254.169.254: connection refused; pod identity:
//     HC_CONTAINER_CREDENTIALS_FULL_URI is not set
//
// and the next `fetch()` tries the network sources again. No message ever holds a value.
//
// Thread-safety: a chain may be shared by clients on any executors and threads.

#include <apig/credentials.hpp>
#include <apig/temporary_credentials.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace apig {

/// Which link of the chain gave the credentials.
enum class credentials_source {
    environment,
    profile,
    metadata,
    pod_identity,
};

/// "environment", "profile", "metadata", "pod_identity".
APIG_DECL std::string_view to_string(credentials_source s) noexcept;

struct chain_options {
    /// Reads an environment variable (a name in, the value or nullopt out). Default: the
    /// process environment.
    std::function<std::optional<std::string>(std::string_view)> getenv{};
    /// The ECS metadata service's base URL. Default `http://169.254.169.254`.
    std::string metadata_endpoint = "http://169.254.169.254";
    /// Refresh margin, per-request timeout, clock and log of the temporary keys (sources 3
    /// and 4). The pod identity agent gets 10 s per request (the official SDKs' value) while
    /// `key.timeout` keeps its default (3 s, the metadata service's).
    temporary_key_options key{};
    /// How an `https://` pod identity agent is verified.
    tls_options pod_identity_tls{};
    /// Which sources to try (all by default).
    bool use_environment = true;
    bool use_profile = true;
    bool use_metadata = true;
    bool use_pod_identity = true;
};

class APIG_DECL credentials_chain : public credentials_provider {
public:
    explicit credentials_chain(chain_options o);
    ~credentials_chain() override;

    /// The chosen source's credentials; throws `api_error` (credentials_unavailable) before a
    /// `fetch()` or `resolve()` chose one (unless the environment or profile did, at
    /// construction).
    credentials current() override;
    /// Resolves the chain if no source was chosen yet, then the chosen source's `fetch()`.
    boost::asio::awaitable<credentials> fetch() override;
    boost::asio::awaitable<credentials> refresh(credentials const& rejected) override;
    /// The chosen source's project id and IAM endpoint: the profile's `project_id` and
    /// `iam_endpoint`; for every source whose own project id is empty (the environment, the
    /// metadata service, pod identity, a profile without one), HUAWEICLOUD_SDK_PROJECT_ID
    /// (unless `use_environment` is off). Empty before a choice.
    credentials_settings settings() override;

    /// Resolves the chain (if not yet) and says which source won; throws as `fetch()` does.
    boost::asio::awaitable<credentials_source> resolve();
    /// The chosen source, if one was chosen.
    std::optional<credentials_source> source() const;
    /// A one-line description of the chosen source, without any value: e.g. "access key from
    /// HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK", "profile /home/u/.huaweicloud/credentials
    /// [basic] (access key)", "ECS metadata service http://169.254.169.254 (temporary access
    /// key)", "pod identity agent http://169.254.170.2/v1/credentials (temporary access key)";
    /// empty before a choice.
    std::string describe() const;
    /// What was ignored while looking (a profile readable by others, half a key pair in the
    /// environment, ...): one line each, never a value.
    std::vector<std::string> warnings() const;

    struct state;

private:
    std::shared_ptr<state> state_;
};

/// A chain with these options (see above).
APIG_DECL std::shared_ptr<credentials_chain> credentials_from_chain(chain_options o = {});

}  // namespace apig
