#pragma once

// Building error_info values, and the one choke point for text a server sent (or a provider
// threw): secrets redacted, made printable, cut. Sans-I/O, unit-tested.

#include <apig/error.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace apig {

/// A duration as messages write it: "250 ms".
inline std::string ms_text(std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; }

/// Whether two error categories are the same, by address or else by name. A program may
/// hold two objects of one Asio category: where the host (or a library it links) compiles
/// Asio's implementation itself (BOOST_ASIO_SEPARATE_COMPILATION) and apig uses Asio
/// header-only, as it does, Boost 1.81's `get_misc_category()` and `get_ssl_category()` each
/// keep a category object per definition, and `error_code` compares categories by address.
/// Every test of an Asio, Asio.SSL or Beast code in apig goes through `is_error`.
inline bool same_category(boost::system::error_category const& a,
                          boost::system::error_category const& b) noexcept {
    return a == b || std::strcmp(a.name(), b.name()) == 0;
}

/// Whether `ec` is the error `e` of an Asio, Asio.SSL or Beast error enumeration, robust to
/// duplicate category objects (see `same_category`).
template <class ErrorEnum>
bool is_error(boost::system::error_code const& ec, ErrorEnum e) noexcept {
    boost::system::error_code const want = make_error_code(e);
    return ec.value() == want.value() && same_category(ec.category(), want.category());
}

/// An error_info with a code and a message.
error_info make_error(boost::system::error_code code, std::string message);

/// `errc::invalid_argument` with the message `invalid argument: <what>`.
error_info invalid_argument(std::string what);

/// Throws `api_error(invalid_argument(what))`: for constructors that validate options.
[[noreturn]] void throw_invalid_argument(std::string what);

/// The secrets of one call, in the form that finds what a server echoed of them, whole or in
/// part: the set of every 8-byte run ("window") of each secret as given, of its trimmed form
/// (a substring of it) and of its percent-encoding (everything but the unreserved
/// `A-Za-z0-9-._~` as `%XX`, with upper- and lower-case hex). A text "holds a secret" when
/// one of its own 8-byte windows is in the set; redacting it replaces every maximal range
/// covered by such windows by the marker, so no 8-byte run of a secret survives, whatever
/// part of it was echoed or where a cut went. Lookups are O(text). A secret shorter than 8
/// bytes has no window and is ignored: credentials that short are refused before any request
/// (`auth::problem`), and redacting them would rewrite ordinary text (`0` in `APIC.7102`).
class secret_set {
public:
    /// The length of the shortest run of a secret that is redacted.
    static constexpr std::size_t run = 8;

    secret_set() = default;
    explicit secret_set(std::span<std::string_view const> secrets);

    /// True when no secret has a window (nothing to redact).
    bool empty() const noexcept { return count_ == 0; }

    /// Whether `text` contains an 8-byte run of a secret.
    bool found_in(std::string_view text) const noexcept;

    /// What replaces a redacted range: `<redacted>`, or `<*>` in the unlikely case a secret
    /// shares 8 bytes with `<redacted>`.
    std::string_view marker() const noexcept { return marker_; }

    /// `text` with every maximal range covered by secret windows replaced by `marker()`, again
    /// until none is left (a marker could complete a run with its neighbours); the marker alone
    /// if that does not settle.
    std::string redacted(std::string_view text) const;

    /// A structured field (`api_code`, `api_message`, `request_id`): kept exactly when it holds
    /// no secret, else replaced whole by `marker()`. Never partly rewritten.
    std::string field(std::string_view text) const;

    /// `server_text` with these secrets.
    std::string server_text(std::string_view text, std::size_t max_bytes, char control = ' ') const;

private:
    void insert(std::uint64_t window);
    bool contains(std::uint64_t window) const noexcept;
    /// One pass of `redacted`.
    std::string replace_runs(std::string_view text) const;

    std::vector<std::uint64_t> slots_{};  // open addressing; 0 = empty slot
    bool zero_ = false;                   // the all-zero window (eight NUL bytes)
    std::size_t count_ = 0;
    int shift_ = 64;
    std::string_view marker_ = "<redacted>";
};

/// The error for a response with `status` != 200: errc from the status, the API's error code
/// and message from the body (either shape), and a one-line message such as
/// `HTTP 403 APIC.7106: No permissions to request for the method (request id 5f1c...)`.
/// Server text in the message goes through `server_text` (512 bytes each); `api_code`,
/// `api_message` and `request_id` are kept as sent, or replaced whole when they hold a secret
/// (`secret_set::field`). The finished message is redacted once more, for a run made of the
/// end of one part and the start of the next.
error_info error_from_response(unsigned status, std::string_view reason, std::string_view body,
                               std::string_view request_id,
                               std::span<std::string_view const> secrets = {});

/// The one way a server-sent string reaches a message, a log line or an exception: the
/// secrets are redacted first (`secret_set::redacted`: every run of 8 or more bytes that also
/// occurs in a secret, as given, trimmed or percent-encoded, becomes `<redacted>`), then the
/// text is made printable (`printable`: controls, ESC sequences, bidi controls and invalid
/// UTF-8 become `control`), then it is cut to at most `max_bytes` bytes on a UTF-8 boundary
/// ("..." appended when cut), and redacted again if making it printable or the "..." formed a
/// run. Structured fields are never partly rewritten by it: see `secret_set::field`.
std::string server_text(std::string_view text, std::size_t max_bytes,
                        std::span<std::string_view const> secrets, char control = ' ');

/// `s` for a one-line message, for text that holds no secret (else use `server_text`): C0
/// controls, DEL, C1 controls (U+0080-U+009F), ESC sequences (ESC, its CSI parameters and
/// final byte: one `control` for the whole sequence), bidi controls (U+061C, U+200E, U+200F,
/// U+202A-U+202E, U+2066-U+2069), line and paragraph separators (U+2028, U+2029) and each byte
/// that is not part of valid UTF-8 become `control`; then at most `max_bytes` bytes (cut on a
/// UTF-8 character boundary) followed by "..." when cut. With an ASCII `control` the result
/// is valid UTF-8.
std::string printable(std::string_view s, std::size_t max_bytes, char control = '?');

/// Appends ` (request id X)` to the message when a request id is known, and sets
/// `e.request_id`: the id made printable (control characters as spaces, at most 256 bytes),
/// or replaced whole by `<redacted>` when it holds a secret. The whole message is then
/// redacted again (`secret_set::redacted`).
void add_request_id(error_info& e, std::string_view request_id, std::span<std::string_view const> secrets = {});
/// As above with the secrets already in a set.
void add_request_id(error_info& e, std::string_view request_id, secret_set const& secrets);

/// `text = secret_set({secret}).redacted(text)`: every run of 8 or more bytes of `secret` (as
/// given, trimmed or percent-encoded) becomes `<redacted>`. A secret shorter than 8 bytes is
/// ignored. Prefer `server_text`, which also makes the text printable and cuts it.
void redact(std::string& text, std::string_view secret);

}  // namespace apig
