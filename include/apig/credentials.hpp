#pragma once

#include <apig/export.hpp>

// How requests are authenticated: a fixed IAM token, a fixed access key pair (signed with
// SDK-HMAC-SHA256, as Huawei Cloud's SDKs do), or a provider that hands out whichever is
// current (rotation without rebuilding the client).
//
// Secrets (token, AK, SK, security token) never appear in a message, a log line, an
// exception or `to_string`: the library redacts them even from what a server echoes, whole
// or in part (every run of 8 or more bytes of a secret, as given or percent-encoded).
//
// Every secret is used without the whitespace around it (spaces, tabs, CR, LF: e.g. the
// newline at the end of a file), and must then be at least 8 characters long with no
// whitespace or control character inside: anything else is refused by the client's
// constructor with `errc::invalid_argument` (or, from a provider, fails the call with
// `errc::credentials_unavailable`), the message naming the field, never the value. No real
// token or key is that short.

#include <boost/asio/awaitable.hpp>

#include <memory>
#include <mutex>
#include <string>
#include <variant>

namespace apig {

/// An IAM token sent as `X-Auth-Token` (the `X-Subject-Token` value of IAM's get-token call),
/// trimmed; at least 8 characters, no whitespace or control character inside.
struct token_credentials {
    std::string token{};

    friend bool operator==(token_credentials const&, token_credentials const&) = default;
};

/// An access key pair: every attempt is signed afresh with SDK-HMAC-SHA256 (headers
/// `X-Sdk-Date`, `X-Project-Id`, `Authorization`; `X-Security-Token` for temporary keys).
/// The signing date comes from `client_options::clock`.
struct aksk_credentials {
    /// Access key id. Required.
    std::string ak{};
    /// Secret access key: only ever used as the HMAC key, never sent. Required. Like every
    /// secret here: trimmed, then at least 8 characters with no whitespace or control inside.
    std::string sk{};
    /// The security token of a temporary key pair (IAM's securitytoken); empty for a
    /// permanent key pair. Sent as `X-Security-Token` and signed.
    std::string security_token{};

    friend bool operator==(aksk_credentials const&, aksk_credentials const&) = default;
};

/// One set of credentials: what a provider hands out.
using credentials = std::variant<token_credentials, aksk_credentials>;

/// What a provider may know besides the credentials (see `credentials_provider::settings`).
/// Not secret.
struct credentials_settings {
    /// The project the credentials were given for; empty: none.
    std::string project_id{};
    /// The IAM endpoint to use for project discovery (`https://host[:port]`); empty: none.
    std::string iam_endpoint{};
};

/// Credentials that change: implement this to hand the client whatever is current (a token
/// refreshed before it expires, a temporary key pair from a metadata service, a rotated
/// secret) without rebuilding the client.
///
/// Thread-safety: a client calls its provider on the client's strand; several clients (and
/// so several threads) may share one provider, which must then be safe to call concurrently.
class APIG_DECL credentials_provider {
public:
    virtual ~credentials_provider() = default;

    /// The credentials to use now. Called before every attempt, so it must be cheap and must
    /// not block: return what is cached. Throwing fails the call with
    /// `errc::credentials_unavailable` (the exception's text is kept, with the last
    /// credentials redacted from it).
    virtual credentials current() = 0;

    /// Called when the server refused `rejected` with HTTP 401 (`APIC.7102` for a token,
    /// `APIGW.0301` for a signature). Return fresh credentials, e.g. after asking IAM for a
    /// new token; the client retries the request once if they differ from `rejected`, and
    /// returns the 401 if they do not (or if the retry gets a 401 too). Runs on the client's
    /// strand and may suspend (it is a coroutine). Before calling it, the client checks
    /// `current()`: if another call already moved past `rejected`, that is used without a
    /// refresh. Concurrent calls that were all refused may still each call `refresh` for the
    /// same `rejected`; coalesce there if a refresh is costly.
    ///
    /// Default: `current()`, which suits providers that are updated from outside (see
    /// `rotating_credentials`). Throwing fails the call as for `current()`.
    virtual boost::asio::awaitable<credentials> refresh(credentials const& rejected);

    /// The credentials for the next attempt, when getting them may take I/O (a provider that
    /// fetches temporary keys from a metadata service the first time, or when they are about
    /// to expire). The client awaits this before every attempt, on its strand; it must not
    /// block a thread (suspend instead) and should answer from a cache when it can. The
    /// call's cancellation (its deadline, `client::cancel`, the caller's slot) reaches the
    /// coroutine: a provider that waits should stop waiting when it is cancelled. Throwing
    /// fails the call with `errc::credentials_unavailable`, as for `current()`.
    ///
    /// Default: `current()`.
    virtual boost::asio::awaitable<credentials> fetch();

    /// What came with the credentials besides them (e.g. a profile file's `project_id` and
    /// `iam_endpoint`): the client uses `project_id` when neither the request nor
    /// `client_options::project_id` names a project, and `iam_endpoint` to discover the
    /// project when `client_options::iam_endpoint` and HUAWEICLOUD_SDK_IAM_ENDPOINT are unset.
    /// Read after `fetch()` returned. Default: both empty.
    virtual credentials_settings settings();
};

/// A provider whose credentials the application replaces when it rotates them (from a
/// secret manager's callback, a timer, a file watcher...). Thread-safe: `set` may be called
/// from any thread while clients use it.
class APIG_DECL rotating_credentials : public credentials_provider {
public:
    explicit rotating_credentials(credentials initial);

    /// Replaces the credentials; attempts that start afterwards use the new ones, and a
    /// request refused with the old ones is retried once with them.
    void set(credentials next);

    credentials current() override;

private:
    std::mutex mutex_;
    credentials current_;
};

/// What `client_options::credentials` holds: fixed credentials (never retried on a 401) or a
/// provider (asked once for fresh credentials after a 401).
using client_credentials =
    std::variant<token_credentials, aksk_credentials, std::shared_ptr<credentials_provider>>;

/// Redacted descriptions, safe to log, showing only sizes:
/// `token_credentials{token=<redacted, 1234 bytes>}`,
/// `aksk_credentials{ak=<redacted, 20 bytes>, sk=<redacted, 40 bytes>, security_token=<none>}`.
APIG_DECL std::string to_string(token_credentials const& c);
APIG_DECL std::string to_string(aksk_credentials const& c);
APIG_DECL std::string to_string(credentials const& c);
/// As above for fixed credentials; `credentials_provider` for a provider (never called).
APIG_DECL std::string to_string(client_credentials const& c);

}  // namespace apig
