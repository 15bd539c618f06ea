#include "error_detail.hpp"

#include "json/decode.hpp"

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

std::string printable(std::string_view s, std::size_t max_bytes, char control) {
    bool cut = false;
    if (s.size() > max_bytes) {
        std::size_t n = max_bytes;
        while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
        s = s.substr(0, n);
        cut = true;
    }
    std::string out;
    out.reserve(s.size() + 3);
    for (char c : s) {
        auto const u = static_cast<unsigned char>(c);
        out += u < 0x20 || u == 0x7F ? control : c;
    }
    if (cut) out += "...";
    return out;
}

void add_request_id(error_info& e, std::string_view request_id, std::span<std::string_view const> secrets) {
    if (request_id.empty()) return;
    // Redacted before it is cut: a cut through a secret would leave its start behind.
    std::string id(request_id);
    for (auto secret : secrets) redact(id, secret);
    e.request_id = printable(id, 256, ' ');
    e.message += " (request id ";
    e.message += e.request_id;
    e.message += ')';
}

namespace {

// Server text goes into a one-line message: control characters become spaces (no line breaks
// or terminal escapes from a server), and very long text is cut.
void append_printable(std::string& out, std::string_view s) { out += printable(s, 512, ' '); }

}  // namespace

error_info error_from_response(unsigned status, std::string_view reason, std::string_view body,
                               std::string_view request_id,
                               std::span<std::string_view const> secrets) {
    error_info e;
    e.code = errc_from_http_status(status);
    e.http_status = status;
    json::decode_error_body(body, e.api_code, e.api_message);
    std::string reason_text(reason);
    for (auto secret : secrets) {
        redact(e.api_code, secret);
        redact(e.api_message, secret);
        redact(reason_text, secret);
    }
    reason = reason_text;
    e.message = "HTTP " + std::to_string(status);
    if (!e.api_code.empty() || !e.api_message.empty()) {
        if (!e.api_code.empty()) {
            e.message += ' ';
            append_printable(e.message, e.api_code);
        }
        if (!e.api_message.empty()) {
            e.message += ": ";
            append_printable(e.message, e.api_message);
        }
    } else if (!reason.empty()) {
        e.message += ' ';
        append_printable(e.message, reason);
    }
    add_request_id(e, request_id, secrets);
    return e;
}

void redact(std::string& text, std::string_view secret) {
    if (secret.empty()) return;
    constexpr std::string_view mask = "<redacted>";
    for (auto pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos + mask.size()))
        text.replace(pos, secret.size(), mask);
}

}  // namespace apig
