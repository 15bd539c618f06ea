// The choke point for server text: server_text, secret_set, printable and
// the structured fields of error_from_response / add_request_id (src/error_detail.*).
#include <apig/error.hpp>

#include "auth/signer.hpp"
#include "error_detail.hpp"

#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

/// A realistic IAM token: ~5 KB of base64 (with '+', '/' and '='), deterministic.
std::string iam_token(std::size_t size = 5000) {
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string t = "MIIZ";
    std::uint32_t x = 12345;
    while (t.size() < size - 2) {
        x = x * 1664525u + 1013904223u;
        t += alphabet[(x >> 24) % 64];
    }
    return t + "==";
}

/// The first 8-byte run of `secret` found in `text`, or "" if none: what must never survive.
std::string leaked_run(std::string_view text, std::string_view secret) {
    for (std::size_t i = 0; i + 8 <= secret.size(); ++i)
        if (text.find(secret.substr(i, 8)) != std::string_view::npos) return std::string(secret.substr(i, 8));
    return {};
}

std::string const ak = "HPUAK3YS3CR3TACCESS9";
std::string const sk = "SK0s3cr3tNeverToBeSeen0123456789abcdefgh";

bool valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        auto const c = static_cast<unsigned char>(s[i]);
        std::size_t const n = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
        if (n == 0 || i + n > s.size()) return false;
        for (std::size_t k = 1; k < n; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
        i += n;
    }
    return true;
}

}  // namespace

// Regression: the Location was cut at 256 bytes before it was redacted, so a token straddling
// the cut was no longer found and its first part stayed (~220 bytes of a 5 KB token).
TEST_CASE("server_text: a 5 KB token straddling the cut leaves no 8-byte run") {
    std::string const token = iam_token();
    std::array<std::string_view, 1> const secrets{token};
    std::string const prefix = "https://apig.example.com/v2/p/apigw/instances?next=1&token=";
    // Whole, and cut short by the server (a partial echo) right where the client cuts.
    for (std::string const& echoed : {token, token.substr(0, 300), token.substr(0, 20)}) {
        std::string const location = prefix + std::string(236 - prefix.size(), 'x') + echoed + "&more=1";
        auto const out = apig::server_text(location, 256, secrets);
        CAPTURE(out);
        CHECK(leaked_run(out, token).empty());
        CHECK(out.find("<redacted>") != std::string::npos);
        CHECK(out.size() <= 256 + 3);
    }
}

TEST_CASE("server_text: an echo of part of a secret is redacted, whatever part") {
    std::string const token = iam_token(600);
    std::array<std::string_view, 1> const secrets{token};
    for (std::size_t begin : {0, 1, 7, 100, 591})
        for (std::size_t len : {8, 9, 31, 500}) {
            if (begin + len > token.size()) continue;
            std::string const text = "a server said: [" + token.substr(begin, len) + "] and more";
            auto const out = apig::server_text(text, 4096, secrets);
            CAPTURE(begin);
            CAPTURE(len);
            CHECK(out == "a server said: [<redacted>] and more");
        }
    // Fewer than 8 bytes of it are not a secret run: ordinary text stays.
    std::string const seven = "x" + token.substr(10, 7) + "x";
    CHECK(apig::server_text(seven, 100, secrets) == seven);
}

// Regression: Content-Type and Content-Encoding went into messages unredacted; a server echoing
// the token, or the Authorization value (which holds the AK), got them printed.
TEST_CASE("server_text: a Content-Type echoing the token or the Authorization value shows neither") {
    std::string const token = iam_token();
    std::string const authorization = "SDK-HMAC-SHA256 Access=" + ak +
                                      ", SignedHeaders=host;x-project-id;x-sdk-date, Signature="
                                      "6a1e4ab7c9d0f3e2b8a7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5";
    std::array<std::string_view, 4> const secrets{ak, sk, {}, authorization};
    // Cut at 64 bytes by the caller: the cut goes through the echo.
    auto const ct = apig::server_text("text/html; echo=" + authorization, 64, secrets);
    CAPTURE(ct);
    CHECK(leaked_run(ct, authorization).empty());
    CHECK(leaked_run(ct, ak).empty());
    CHECK(ct.starts_with("text/html; echo=<redacted>"));
    std::array<std::string_view, 1> const token_only{token};
    auto const ce = apig::server_text("gzip; t=" + token.substr(0, 40), 64, token_only);
    CHECK(ce == "gzip; t=<redacted>");
}

TEST_CASE("server_text: a percent-encoded echo is redacted, with either hex case") {
    std::string const token = iam_token(300);  // '+', '/' and '=' are encoded
    std::array<std::string_view, 1> const secrets{token};
    std::string const upper = apig::auth::uri_encode(token);
    REQUIRE(upper != token);
    std::string lower = upper;
    for (std::size_t i = 0; i + 2 < lower.size(); ++i)
        if (lower[i] == '%')
            for (std::size_t k = i + 1; k <= i + 2; ++k)
                if (lower[k] >= 'A' && lower[k] <= 'F') lower[k] = static_cast<char>(lower[k] - 'A' + 'a');
    REQUIRE(lower != upper);
    for (std::string const& encoded : {upper, lower, upper.substr(5, 100), lower.substr(30, 60)}) {
        auto const out = apig::server_text("Location: https://x/?t=" + encoded, 4096, secrets);
        CAPTURE(out);
        CHECK(out == "Location: https://x/?t=<redacted>");
    }
}

// Regression: a token given with leading spaces was sent with them, and an echo without them
// was not found.
TEST_CASE("server_text: a secret given with surrounding whitespace is found without it") {
    std::string const token = iam_token(100);
    std::string const given = "   " + token + "\n";
    std::array<std::string_view, 1> const secrets{given};
    CHECK(apig::server_text("echo" + token + "end", 4096, secrets) == "echo<redacted>end");
    // A space next to the echo is a byte of the secret as given, so it goes too.
    CHECK(apig::server_text("echo " + token + " end", 4096, secrets) == "echo<redacted> end");
    CHECK(apig::server_text("echo " + token.substr(50, 20), 4096, secrets) == "echo <redacted>");
}

// The opposite defect: a short secret (token "0") rewrote ordinary text and the
// structured fields (`APIC.7102` -> `APIC.71<redacted>2`, and the request id).
TEST_CASE("error_from_response: a short secret rewrites nothing; api_code and request_id stay exact") {
    std::array<std::string_view, 2> const secrets{"0", "7102"};
    auto const e = apig::error_from_response(
        401, "Unauthorized", R"({"error_code":"APIC.7102","error_msg":"Incorrect token or token resolution failed"})",
        "0a7102f0-0000", secrets);
    CHECK(e.api_code == "APIC.7102");
    CHECK(e.api_message == "Incorrect token or token resolution failed");
    CHECK(e.request_id == "0a7102f0-0000");
    CHECK(e.message == "HTTP 401 APIC.7102: Incorrect token or token resolution failed (request id 0a7102f0-0000)");
}

TEST_CASE("error_from_response: a structured field holding a secret run is replaced whole, never partly") {
    std::string const token = iam_token(200);
    std::array<std::string_view, 1> const secrets{token};
    std::string const body = R"({"error_code":"APIC.7102","error_msg":"token )" + token.substr(20, 30) +
                             R"( is not valid"})";
    auto const e = apig::error_from_response(401, "Unauthorized", body, "req-" + token.substr(100, 12) + "-1", secrets);
    CHECK(e.api_code == "APIC.7102");  // no secret: exactly as sent
    CHECK(e.api_message == "<redacted>");
    CHECK(e.request_id == "<redacted>");
    CHECK(e.message == "HTTP 401 APIC.7102: <redacted> (request id <redacted>)");
    // A code that is itself part of a secret goes whole too.
    std::string const odd = "xxAPIC.7102yy";
    std::array<std::string_view, 1> const odd_secret{odd};
    auto const o = apig::error_from_response(401, "", R"({"error_code":"APIC.7102","error_msg":"bad"})", "", odd_secret);
    CHECK(o.api_code == "<redacted>");
    CHECK(o.api_message == "bad");
    CHECK(o.message == "HTTP 401 <redacted>: bad");
}

TEST_CASE("error_from_response: a reason echoing part of the secret keeps no run, and its text") {
    std::string const token = iam_token();
    std::array<std::string_view, 1> const secrets{token};
    auto const e = apig::error_from_response(502, "Bad " + token.substr(4000, 900) + " gateway", "<html/>", "", secrets);
    CHECK(e.message == "HTTP 502 Bad <redacted> gateway");
    CHECK(e.api_code.empty());
}

TEST_CASE("add_request_id: an id holding a secret run is replaced whole; others are printable and kept") {
    std::string const token = iam_token(64);
    std::array<std::string_view, 1> const secrets{token};
    apig::error_info e = apig::make_error(apig::errc::bad_response, "bad response");
    apig::add_request_id(e, "id-" + token.substr(3, 9), secrets);
    CHECK(e.request_id == "<redacted>");
    CHECK(e.message == "bad response (request id <redacted>)");
    apig::error_info f = apig::make_error(apig::errc::bad_response, "bad response");
    apig::add_request_id(f, "5f1c\t9e", secrets);
    CHECK(f.request_id == "5f1c 9e");
    CHECK(f.message == "bad response (request id 5f1c 9e)");
}

TEST_CASE("printable: C0, DEL, C1, ESC sequences, bidi controls and invalid UTF-8 become the control character") {
    CHECK(apig::printable("a\nb\tc\x7f" "d", 100, '?') == "a?b?c?d");
    CHECK(apig::printable("a\x1b[31;1mred\x1b[0m b", 100, '?') == "a?red? b");   // CSI: one each
    CHECK(apig::printable("a\x1b" "c b\x1b(B", 100, '?') == "a? b?");               // two-byte escapes
    CHECK(apig::printable("a\xc2\x85" "b\xc2\x9b" "c", 100, '?') == "a?b?c");        // C1: NEL, CSI
    CHECK(apig::printable("ab\xe2\x80\xae" "cd\xe2\x81\xa6" "e\xe2\x80\x8f" "f\xd8\x9c" "g", 100, '?') ==
          "ab?cd?e?f?g");                                                              // RLO, LRI, RLM, ALM
    CHECK(apig::printable("line\xe2\x80\xa8" "two", 100, '?') == "line?two");         // U+2028
    CHECK(apig::printable("bad \xff\xc0\xaf \xed\xa0\x80 \xe4\xb8", 100, '?') == "bad ??? ??? ??");
    CHECK(apig::printable("ok: \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80 \xc3\xa9", 100, '?') ==
          "ok: \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80 \xc3\xa9");                  // valid UTF-8 stays
}

TEST_CASE("printable: cut after conversion, on a UTF-8 boundary, valid UTF-8 out") {
    std::string const chinese = "\xe4\xb8\xad\xe6\x96\x87";  // 6 bytes, 2 characters
    CHECK(apig::printable(chinese + chinese, 7, ' ') == chinese + "...");
    CHECK(apig::printable("abc", 3, ' ') == "abc");
    CHECK(apig::printable("abcd", 3, ' ') == "abc...");
    // An ESC sequence counts as the one character it becomes.
    CHECK(apig::printable("\x1b[38;5;196mabc", 4, ' ') == " abc");
    CHECK(valid_utf8(apig::printable("\xe4\xb8\xad\xff\xe6", 100, ' ')));
}

TEST_CASE("server_text: controls inside an echo do not hide it, and the cut's ... cannot complete a run") {
    std::string const token = iam_token(100);
    std::array<std::string_view, 1> const secrets{token};
    // Redacted before the controls go: the runs on either side of them are still found.
    auto const out = apig::server_text(token.substr(0, 40) + "\x1b[0m\n" + token.substr(40, 40), 4096, secrets);
    CHECK(out == "<redacted>  <redacted>");
    // A secret ending in "...": five of its bytes before the cut plus the "..." appended make a
    // run, redacted again.
    std::string const dotted = "Q1w2E3r4t5...";
    std::array<std::string_view, 1> const dots{dotted};
    auto const cut = apig::server_text("x 3r4t5ZZZZZZZZ", 7, dots);
    CAPTURE(cut);
    CHECK(leaked_run(cut, dotted).empty());
}

TEST_CASE("secret_set: a secret that shares 8 bytes with the marker still leaves no run") {
    std::string const weird = "ab<redacted>cd";
    std::array<std::string_view, 1> const secrets{weird};
    apig::secret_set const set(secrets);
    CHECK(set.marker() == "<*>");
    auto const out = set.redacted("x " + weird + " y <redacted>");
    CHECK(leaked_run(out, weird).empty());
    CHECK(out == "x <*> y <*>");
}

TEST_CASE("secret_set: found_in, field and the empty set") {
    std::string const token = iam_token(50);
    std::array<std::string_view, 3> const secrets{token, "", "short"};
    apig::secret_set const set(secrets);
    CHECK_FALSE(set.empty());
    CHECK(set.found_in("..." + token.substr(10, 8) + "..."));
    CHECK_FALSE(set.found_in("..." + token.substr(10, 7) + "..."));
    CHECK(set.field("APIC.7102") == "APIC.7102");
    CHECK(set.field("short") == "short");
    CHECK(set.field("x" + token.substr(1, 8)) == "<redacted>");
    std::array<std::string_view, 2> const none{"", "1234567"};
    apig::secret_set const empty(none);
    CHECK(empty.empty());
    CHECK(empty.redacted("1234567 and 1234567") == "1234567 and 1234567");
    CHECK(apig::server_text("a\nb", 10, none) == "a b");
}
