#pragma once

// The emulator's answers before a page: routing, authentication (the token, AK/SK keys) and
// the API's error bodies. server::impl::handle (routing.cpp) runs them in the documented order.
//
// Thread-safety: key_store is shared by every connection; the keys are replaced whole under
// its one mutex, and a request verifies with a reference it took under it, without it.

#include <apig/emulator.hpp>

#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

namespace apig::emulator::detail {

/// An API error: HTTP status, error_code, error_msg.
struct api_error {
    unsigned status;
    std::string_view code;
    std::string_view message;
};

inline constexpr api_error bad_request{400, "APIG.0201", "Bad request"};

/// The error body of an injected status (fail_next, fail_first, probability_500/503):
/// 500 -> APIC.9000, 503 -> APIG.1009, 429, 502, 504 -> their APIG codes, others APIG.9999.
api_error injected_error(unsigned status);

/// The AK/SK keys requests are verified with (options::access_keys, server::set_access_keys).
class key_store {
public:
    /// Validates, then replaces the keys. Throws std::invalid_argument naming the key's
    /// index, never a secret.
    void set(std::vector<access_key> keys);
    /// The current keys; they stay valid (and unchanged) while the caller holds them.
    std::shared_ptr<std::vector<access_key> const> get() const;

private:
    mutable std::mutex mu_;  // guards keys_ (the pointer, not what it points to)
    std::shared_ptr<std::vector<access_key> const> keys_ =
        std::make_shared<std::vector<access_key> const>();
};

}  // namespace apig::emulator::detail
