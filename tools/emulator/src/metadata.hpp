#pragma once

// The other side of credential discovery (private to tools/emulator/src): what the metadata
// listener (metadata.cpp) and the HTTPS side's IAM path and AK/SK check (routing.cpp) share.
//
// Thread-safety: each class here is shared by every connection, with one mutex of its own
// (issued_key_store, session_tokens, injected_failures, metadata_log); none calls out while
// holding it. Secrets (session tokens, issued SKs and security tokens) never leave them but
// to the one response that issues them and to the verifier.

#include <apig/emulator.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace apig::emulator::detail {

using sys_time = std::chrono::system_clock::time_point;

/// `YYYY-MM-DDTHH:MM:SS.ffffffZ` (UTC, microseconds, truncated): the expiry format of the
/// metadata service (expires_at) and the pod agent (expiration).
std::string format_expiry(sys_time tp);

/// `n` characters drawn uniformly from `alphabet` (1..256 characters) with OpenSSL's RAND_bytes.
/// Throws std::runtime_error if RAND_bytes fails.
std::string random_text(std::size_t n, std::string_view alphabet);

/// The X-Metadata-Token-Ttl-Seconds value: a decimal integer 1..21600 (no sign, no spaces).
std::optional<std::uint32_t> parse_ttl(std::string_view v) noexcept;

/// The largest TTL a session token may ask for (6 hours, the official SDKs' request).
inline constexpr std::uint32_t max_ttl_seconds = 21600;

/// A temporary key the metadata listener issued, and when it expires.
struct issued_key {
    access_key key;
    sys_time expires_at;
};

/// Keys issued by the metadata service and the pod agent: looked up by AK when a signed
/// request's AK is not one of options::access_keys. Bounded: a key is forgotten `forget_after`
/// past its expiry, and at most `max_keys` are kept (the oldest issued go first).
class issued_key_store {
public:
    static constexpr std::size_t max_keys = 10000;
    static constexpr std::chrono::minutes forget_after{10};

    /// A new random key (AK 20 uppercase letters and digits, SK 40 letters and digits,
    /// security token 128 URL-safe base64 characters) valid until `expires_at`.
    issued_key issue(sys_time now, sys_time expires_at);
    std::optional<issued_key> find(std::string_view ak) const;
    /// Keys issued so far.
    std::size_t issued() const;

private:
    mutable std::mutex mu_;  // guards everything below
    std::unordered_map<std::string, issued_key> keys_;
    std::deque<std::string> order_;  // AKs, oldest issued first
    std::size_t issued_ = 0;
};

/// The metadata service's session tokens (PUT /meta-data/latest/api/token). Bounded like the
/// keys: expired tokens are dropped as new ones are issued, at most 10000 kept.
class session_tokens {
public:
    std::string issue(sys_time now, std::chrono::seconds ttl);
    /// True if `token` was issued, has not expired at `now` and was not expired by
    /// expire_all().
    bool valid(std::string_view token, sys_time now) const;
    void expire_all();

private:
    static constexpr std::size_t max_tokens = 10000;
    mutable std::mutex mu_;
    std::unordered_map<std::string, sys_time> tokens_;  // token -> expiry
};

/// A "fail the next K requests with status S" knob (server::metadata_fail_next,
/// server::iam_fail_next).
class injected_failures {
public:
    void set(std::size_t count, unsigned status);
    /// The status for this request, if one is still to fail.
    std::optional<unsigned> take();

private:
    std::mutex mu_;
    std::size_t count_ = 0;
    unsigned status_ = 500;
};

/// Metadata requests answered (server::metadata_requests), kept when `keep`.
class metadata_log {
public:
    explicit metadata_log(bool keep) noexcept : keep_(keep) {}
    void record(metadata_request&& rec);
    std::vector<metadata_request> requests() const;
    void clear();

private:
    bool const keep_;
    mutable std::mutex mu_;
    std::vector<metadata_request> recorded_;
};

}  // namespace apig::emulator::detail
