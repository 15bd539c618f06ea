#include "error_detail.hpp"

#include "auth/signer.hpp"
#include "json/decode.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

namespace apig {

error_info make_error(boost::system::error_code code, std::string message) {
    error_info e;
    e.code = code;
    e.message = std::move(message);
    return e;
}

error_info invalid_argument(std::string what) {
    return make_error(errc::invalid_argument, "invalid argument: " + std::move(what));
}

void throw_invalid_argument(std::string what) { throw api_error(invalid_argument(std::move(what))); }

// ---- printable -------------------------------------------------------------------------------

namespace {

constexpr bool in(unsigned char c, unsigned lo, unsigned hi) noexcept { return c >= lo && c <= hi; }

// Bytes of the valid UTF-8 character at the start of `s` (1..4), or 0 if it is not one
// (a bad lead byte, a missing or wrong continuation byte, an overlong form, a surrogate, or
// beyond U+10FFFF). `cp` gets the code point.
std::size_t utf8_char(std::string_view s, char32_t& cp) noexcept {
    auto const at = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    unsigned char const c = at(0);
    std::size_t n = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // the range of the second byte
    if (in(c, 0xC2, 0xDF)) { n = 2; cp = c & 0x1F; }
    else if (in(c, 0xE0, 0xEF)) { n = 3; cp = c & 0x0F; if (c == 0xE0) lo = 0xA0; if (c == 0xED) hi = 0x9F; }
    else if (in(c, 0xF0, 0xF4)) { n = 4; cp = c & 0x07; if (c == 0xF0) lo = 0x90; if (c == 0xF4) hi = 0x8F; }
    else return 0;
    if (s.size() < n || !in(at(1), lo, hi)) return 0;
    for (std::size_t k = 1; k < n; ++k) {
        if (!in(at(k), 0x80, 0xBF)) return 0;
        cp = (cp << 6) | (at(k) & 0x3F);
    }
    return n;
}

// C1 controls, bidi controls and the line/paragraph separators: shown as `control`.
constexpr bool hidden(char32_t cp) noexcept {
    return (cp >= 0x80 && cp <= 0x9F) || cp == 0x061C || cp == 0x200E || cp == 0x200F ||
           (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

// The length of the ESC sequence at the start of `s` (s[0] is ESC): CSI (`ESC [` parameters,
// intermediates, final byte) or `ESC` intermediates final; as much of it as there is.
std::size_t escape_length(std::string_view s) noexcept {
    std::size_t i = 1;
    auto const at = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    bool const csi = i < s.size() && s[i] == '[';
    if (csi) {
        ++i;
        while (i < s.size() && in(at(i), 0x30, 0x3F)) ++i;
    }
    while (i < s.size() && in(at(i), 0x20, 0x2F)) ++i;
    if (i < s.size() && in(at(i), csi ? 0x40 : 0x30, 0x7E)) ++i;
    return i;
}

}  // namespace

std::string printable(std::string_view s, std::size_t max_bytes, char control) {
    std::string out;
    out.reserve(std::min(s.size(), max_bytes) + 3);
    std::size_t i = 0;
    // Converting stops once the output is known to be cut.
    while (i < s.size() && out.size() <= max_bytes) {
        auto const c = static_cast<unsigned char>(s[i]);
        if (c == 0x1B) {
            i += escape_length(s.substr(i));
            out += control;
        } else if (c < 0x20 || c == 0x7F) {
            ++i;
            out += control;
        } else if (c < 0x80) {
            ++i;
            out += static_cast<char>(c);
        } else {
            char32_t cp = 0;
            std::size_t const n = utf8_char(s.substr(i), cp);
            if (n == 0 || hidden(cp)) {
                out += control;
                i += std::max<std::size_t>(n, 1);
            } else {
                out.append(s.substr(i, n));
                i += n;
            }
        }
    }
    if (out.size() > max_bytes) {
        std::size_t n = max_bytes;
        while (n > 0 && (static_cast<unsigned char>(out[n]) & 0xC0) == 0x80) --n;
        out.resize(n);
        out += "...";
    }
    return out;
}

// ---- secret_set ------------------------------------------------------------------------------

namespace {

std::uint64_t window_at(std::string_view s, std::size_t i) noexcept {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, sizeof w);
    return w;
}

std::string lower_hex(std::string encoded) {
    for (std::size_t i = 0; i < encoded.size(); ++i)
        if (encoded[i] == '%')
            for (std::size_t k = i + 1; k < encoded.size() && k <= i + 2; ++k)
                if (encoded[k] >= 'A' && encoded[k] <= 'F') encoded[k] = static_cast<char>(encoded[k] - 'A' + 'a');
    return encoded;
}

}  // namespace

secret_set::secret_set(std::span<std::string_view const> secrets) {
    // Every form of every secret: as given (its trimmed form is a substring of it, and so is
    // the encoding of the trimmed form of the encoding), percent-encoded with upper- and
    // lower-case hex.
    std::vector<std::string> forms;
    std::size_t windows = 0;
    for (auto secret : secrets) {
        if (secret.size() < run) continue;
        forms.emplace_back(secret);
        std::string encoded = auth::uri_encode(secret);
        if (encoded != secret) {
            std::string lower = lower_hex(encoded);
            if (lower != encoded) forms.push_back(std::move(lower));
            forms.push_back(std::move(encoded));
        }
    }
    for (auto const& f : forms) windows += f.size() - run + 1;
    if (windows == 0) return;
    std::size_t const capacity = std::bit_ceil(std::max<std::size_t>(16, 2 * windows));
    slots_.assign(capacity, 0);
    shift_ = 64 - std::countr_zero(capacity);
    for (auto const& f : forms)
        for (std::size_t i = 0; i + run <= f.size(); ++i) insert(window_at(f, i));
    if (found_in("<redacted>")) marker_ = "<*>";  // shorter than a run: it cannot hold one
}

void secret_set::insert(std::uint64_t window) {
    ++count_;
    if (window == 0) {
        zero_ = true;
        return;
    }
    std::size_t const mask = slots_.size() - 1;
    for (std::size_t i = (window * 0x9E3779B97F4A7C15ull) >> shift_;; i = (i + 1) & mask) {
        if (slots_[i] == window) return;
        if (slots_[i] == 0) {
            slots_[i] = window;
            return;
        }
    }
}

bool secret_set::contains(std::uint64_t window) const noexcept {
    if (window == 0) return zero_;
    std::size_t const mask = slots_.size() - 1;
    for (std::size_t i = (window * 0x9E3779B97F4A7C15ull) >> shift_;; i = (i + 1) & mask) {
        if (slots_[i] == window) return true;
        if (slots_[i] == 0) return false;
    }
}

bool secret_set::found_in(std::string_view text) const noexcept {
    if (empty()) return false;
    for (std::size_t i = 0; i + run <= text.size(); ++i)
        if (contains(window_at(text, i))) return true;
    return false;
}

std::string secret_set::replace_runs(std::string_view text) const {
    std::string out;
    out.reserve(text.size());
    std::size_t copied = 0;                     // text[copied..] is not in `out` yet
    std::size_t begin = 0, end = 0;             // the covered range being grown
    bool open = false;
    auto const flush = [&] {
        out.append(text.substr(copied, begin - copied));
        out.append(marker_);
        copied = end;
    };
    for (std::size_t i = 0; i + run <= text.size(); ++i) {
        if (!contains(window_at(text, i))) continue;
        if (open && i <= end) {
            end = i + run;  // overlapping or adjacent: one range
            continue;
        }
        if (open) flush();
        begin = i;
        end = i + run;
        open = true;
    }
    if (open) flush();
    out.append(text.substr(copied));
    return out;
}

std::string secret_set::redacted(std::string_view text) const {
    if (!found_in(text)) return std::string(text);
    std::string out = replace_runs(text);
    for (int pass = 0; pass < 3 && found_in(out); ++pass) out = replace_runs(out);
    if (found_in(out)) return std::string(marker_);
    return out;
}

std::string secret_set::field(std::string_view text) const {
    return found_in(text) ? std::string(marker_) : std::string(text);
}

std::string secret_set::server_text(std::string_view text, std::size_t max_bytes, char control) const {
    std::string out = printable(redacted(text), max_bytes, control);
    // Making it printable (a control between two parts) or the "..." of a cut can complete
    // a run; redacting again can lengthen the text past the cut.
    for (int pass = 0; pass < 3 && found_in(out); ++pass) out = printable(redacted(out), max_bytes, control);
    if (found_in(out)) return std::string(marker_);
    return out;
}

std::string server_text(std::string_view text, std::size_t max_bytes, std::span<std::string_view const> secrets,
                        char control) {
    return secret_set(secrets).server_text(text, max_bytes, control);
}

void redact(std::string& text, std::string_view secret) { text = secret_set({&secret, 1}).redacted(text); }

// ---- error_info from a response --------------------------------------------------------------

void add_request_id(error_info& e, std::string_view request_id, secret_set const& secrets) {
    if (request_id.empty()) return;
    // Judged as sent (a cut or a control character must not hide a secret) and as shown.
    std::string id = printable(request_id, 256, ' ');
    if (secrets.found_in(request_id) || secrets.found_in(id)) id = secrets.marker();
    e.request_id = std::move(id);
    e.message += " (request id ";
    e.message += e.request_id;
    e.message += ')';
    e.message = secrets.redacted(e.message);
}

void add_request_id(error_info& e, std::string_view request_id, std::span<std::string_view const> secrets) {
    add_request_id(e, request_id, secret_set(secrets));
}

error_info error_from_response(unsigned status, std::string_view reason, std::string_view body,
                               std::string_view request_id,
                               std::span<std::string_view const> secrets) {
    secret_set const set(secrets);
    // Server text goes into a one-line message: control characters become spaces (no line
    // breaks or terminal escapes from a server), and very long text is cut.
    constexpr std::size_t max_part = 512;
    error_info e;
    e.code = errc_from_http_status(status);
    e.http_status = status;
    json::decode_error_body(body, e.api_code, e.api_message);
    e.api_code = set.field(e.api_code);
    e.api_message = set.field(e.api_message);
    e.message = "HTTP " + std::to_string(status);
    if (!e.api_code.empty() || !e.api_message.empty()) {
        if (!e.api_code.empty()) e.message += ' ' + set.server_text(e.api_code, max_part);
        if (!e.api_message.empty()) e.message += ": " + set.server_text(e.api_message, max_part);
    } else if (!reason.empty()) {
        e.message += ' ' + set.server_text(reason, max_part);
    }
    // A run may also span two parts.
    e.message = set.redacted(e.message);
    add_request_id(e, request_id, set);
    return e;
}

}  // namespace apig
