#pragma once

// Shared by the fuzz targets: strict mode, and how a decode error of a body fed in chunks may
// differ from the error of the same body decoded whole.

#include <cstddef>
#include <cstdlib>
#include <string>
#include <string_view>

namespace apig::fuzz {

/// APIG_FUZZ_STRICT=1: also check what is known not to hold yet (fuzz/README.md, findings).
inline bool strict() {
    static bool const on = [] {
        char const* v = std::getenv("APIG_FUZZ_STRICT");
        return v && *v && *v != '0';
    }();
    return on;
}

/// "bad response: invalid JSON at byte N: ..."
inline bool is_invalid_json(std::string_view m) {
    return m.substr(0, 35) == "bad response: invalid JSON at byte ";
}

/// Whether `chunked` (the error of a body fed in pieces) is an acceptable report of `whole`
/// (the error of the same body decoded at once). Equal messages always are. Unless strict,
/// one known difference is tolerated (fuzz/README.md, finding 1): for an error inside a token
/// that began in an earlier piece (a UTF-8 sequence, an escape, a literal), Boost.JSON reports
/// another position than for the whole buffer (where the piece begins, or a byte earlier or
/// later), and for a lone low surrogate escape even another error ("illegal trailing
/// surrogate" instead of "illegal leading surrogate"): both are "invalid JSON at byte N: ...".
inline bool same_decode_error(std::string_view whole, std::string_view chunked) {
    if (whole == chunked) return true;
    return !strict() && is_invalid_json(whole) && is_invalid_json(chunked);
}

/// Whether a string from the input looks like a credential a client could hold, so that the
/// harnesses may treat it as a secret: 8+ characters of [A-Za-z0-9+/=_.-], not ending in '.'
/// (which the "..." of a cut text could complete), and not the marker "redacted".
inline bool credential_like(std::string_view s) {
    if (s.size() < 8 || s.back() == '.' || s == "redacted") return false;
    for (unsigned char c : s) {
        bool const ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                        c == '+' || c == '/' || c == '=' || c == '_' || c == '.' || c == '-';
        if (!ok) return false;
    }
    return true;
}

/// The fuzzer's input read as a sequence of choices: bytes (0 once it is used up) and pieces.
struct reader {
    std::string_view in;
    unsigned byte() {
        if (in.empty()) return 0;
        unsigned const b = static_cast<unsigned char>(in[0]);
        in.remove_prefix(1);
        return b;
    }
    /// The next `n` bytes (fewer at the end).
    std::string_view take(std::size_t n) {
        n = n < in.size() ? n : in.size();
        auto s = in.substr(0, n);
        in.remove_prefix(n);
        return s;
    }
    /// A piece whose length is the next byte (`wide`: the next two, little-endian).
    std::string_view counted(bool wide = false) {
        std::size_t n = byte();
        if (wide) n |= std::size_t{byte()} << 8;
        return take(n);
    }
};

}  // namespace apig::fuzz
