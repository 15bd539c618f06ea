// fuzz_credential_bodies: bytes -> the parsers of the hostile text credential discovery reads:
// parse_metadata_key, parse_pod_identity_key, parse_expires_at (src/auth/temporary_key.cpp),
// parse_projects (src/auth/iam.cpp) and parse_profile (src/auth/profile.cpp).
//
// Input: [parser selector] [text: the rest]. The selector (mod 5): 0 metadata key body, 1 pod
// identity body, 2 KeystoneListProjects body, 3 profile (INI), 4 an expires_at time.
//
// Checks (any failure aborts):
//   - each parser is deterministic: the same input twice gives the same result;
//   - an error (and a profile warning) is non-empty, one line (exactly as `printable` leaves
//     it: no C0, DEL, C1, ESC, bidi control, line separator, invalid UTF-8) and at most 1024
//     bytes; a profile error starts with the origin;
//   - a parsed key passes `auth::problem`, is what the body's four fields hold (trimmed;
//     boost::json::parse as the reference) and expires at or after 1970-01-01T00:00:00Z;
//     parsed projects are the body's (at most 1000, ids non-empty, at most 128 bytes, no
//     control character); a parsed profile has ak and sk, every value trimmed, no control;
//   - parse_expires_at agrees with a reference written here (fixed positions, field ranges,
//     days from the civil date by Howard Hinnant's algorithm, offsets, fractions, saturation);
//   - no secret in an error or warning. Secrets are the values of the secret-bearing fields
//     when they look like a credential (trimmed: 8+ characters of [A-Za-z0-9+/=_.-], not
//     ending in '.'; as in fuzz_error_body): in a JSON object `credential.access` / `.secret` /
//     `.securitytoken` and `credentials.accessKeyId` / `.secretAccessKey` / `.securityToken`
//     (whatever the parser); in a profile the `ak` / `sk` / `security_token` values of any
//     line (a line scan: section ignored, key case-insensitive, quotes removed). No 8-byte run
//     of a secret may appear, unless the run is also text the parser may legitimately name or
//     quote: a key or key path of the body, a string value that is not a secret (e.g. an
//     expires_at quoted in its error), the parsers' own vocabulary (field names, Boost.JSON's
//     error messages).

#include "auth/authorize.hpp"
#include "auth/iam.hpp"
#include "auth/profile.hpp"
#include "auth/signer.hpp"
#include "auth/temporary_key.hpp"
#include "error_detail.hpp"
#include "fuzz_common.hpp"

#include <boost/json/error.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace {

namespace bj = boost::json;
using namespace std::chrono;
using apig::fuzz::reader;

[[noreturn]] void fail(char const* what, std::string_view detail = {}) {
    std::fprintf(stderr, "fuzz_credential_bodies: %s\n", what);
    if (!detail.empty()) std::fprintf(stderr, "  [%.*s]\n", static_cast<int>(detail.size()), detail.data());
    std::abort();
}

constexpr std::size_t max_error = 1024;
constexpr std::string_view origin = "/home/fuzz/.huaweicloud/credentials";

bool has_control(std::string_view s) {
    for (unsigned char c : s)
        if (c < 0x20 || c == 0x7f) return true;
    return false;
}

std::string_view sv(bj::string const& s) { return {s.data(), s.size()}; }

/// What the parsers may name in a message besides the input: field names, phrases, kind names,
/// the messages of `auth::problem`, and every Boost.JSON error message.
std::string const& vocabulary() {
    static std::string const words = [] {
        std::string w =
            " credential.access credential.secret credential.securitytoken credential.expires_at"
            " credentials.accessKeyId credentials.secretAccessKey credentials.securityToken"
            " credentials.expiration projects.id projects.name [basic] security_token project_id"
            " iam_endpoint the response is not JSON nested more than levels deep twice an object"
            " an array a string a number a boolean null missing is empty is not a time"
            " the temporary key is unusable the token the AK the SK the security token contains"
            " whitespace control character characters shorter than longer than bytes entries"
            " is not a section header [name] is not `key = value` has no key before no [basic]"
            " section has no has an empty the last one is used data after the document ";
        w += origin;
        for (int e = 1; e < 64; ++e)
            w += " " + bj::make_error_code(static_cast<bj::error>(e)).message();
        return w;
    }();
    return words;
}

/// Secrets and the text a message may quote, from a body's DOM.
struct exposure {
    std::vector<std::string> secrets;
    std::vector<std::string> public_text;

    /// The first 8-byte run of a secret in `text` that is not excused, or empty.
    std::string_view leaked(std::string_view text) const {
        for (auto const& s : secrets)
            for (std::size_t i = 0; i + apig::auth::min_secret_size <= s.size(); ++i) {
                std::string_view const run = std::string_view(s).substr(i, apig::auth::min_secret_size);
                if (text.find(run) == std::string_view::npos) continue;
                if (vocabulary().find(run) != std::string::npos) continue;
                bool excused = false;
                for (auto const& p : public_text)
                    if (p.find(run) != std::string::npos) { excused = true; break; }
                if (!excused) return run;
            }
        return {};
    }
};

// Collects every key, key path and string value of `v` (the secrets' values excepted) into
// `public_text`, each also as `printable` makes it (cut at 64 bytes, as messages quote).
void collect_public(bj::value const& v, std::string const& path, std::vector<bj::value const*> const& secret_values,
                    std::vector<std::string>& out) {
    auto add = [&out](std::string_view s) {
        out.emplace_back(s);
        out.push_back(apig::printable(s, 64));
    };
    if (auto const* o = v.if_object()) {
        for (auto const& kv : *o) {
            std::string const key(kv.key().data(), kv.key().size());
            std::string const sub = path.empty() ? key : path + "." + key;
            add(key);
            add(sub);
            collect_public(kv.value(), sub, secret_values, out);
        }
    } else if (auto const* a = v.if_array()) {
        for (std::size_t i = 0; i < a->size(); ++i)
            collect_public((*a)[i], path + "[" + std::to_string(i) + "]", secret_values, out);
    } else if (auto const* s = v.if_string()) {
        for (auto const* secret : secret_values)
            if (secret == &v) return;
        add(sv(*s));
    }
}

exposure json_exposure(bj::value const& dom) {
    exposure x;
    std::vector<bj::value const*> secret_values;
    if (auto const* top = dom.if_object()) {
        struct field { char const* wrapper; char const* name; };
        static constexpr std::array<field, 6> fields{{{"credential", "access"},
                                                      {"credential", "secret"},
                                                      {"credential", "securitytoken"},
                                                      {"credentials", "accessKeyId"},
                                                      {"credentials", "secretAccessKey"},
                                                      {"credentials", "securityToken"}}};
        for (auto const& f : fields) {
            auto const* w = top->if_contains(f.wrapper);
            auto const* inner = w ? w->if_object() : nullptr;
            auto const* v = inner ? inner->if_contains(f.name) : nullptr;
            if (!v || !v->is_string()) continue;
            std::string_view const value = apig::auth::trim(sv(v->get_string()));
            if (!apig::fuzz::credential_like(value)) continue;
            x.secrets.emplace_back(value);
            secret_values.push_back(v);
        }
    }
    collect_public(dom, "", secret_values, x.public_text);
    return x;
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// The ak / sk / security_token values of every `key = value` line of a profile.
exposure profile_exposure(std::string_view text) {
    exposure x;
    while (!text.empty()) {
        std::size_t const lf = text.find('\n');
        std::string_view line = text.substr(0, lf);
        text.remove_prefix(lf == std::string_view::npos ? text.size() : lf + 1);
        std::size_t const sep = line.find_first_of("=:");
        if (sep == std::string_view::npos) continue;
        std::string key(apig::auth::trim(line.substr(0, sep)));
        for (char& c : key) c = lower(c);
        if (key != "ak" && key != "sk" && key != "security_token") continue;
        std::string_view value = apig::auth::trim(line.substr(sep + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
        value = apig::auth::trim(value);
        if (apig::fuzz::credential_like(value)) x.secrets.emplace_back(value);
    }
    return x;
}

void check_message(std::string_view m, exposure const& x, char const* what) {
    if (m.empty()) fail(what, "(empty)");
    if (m.size() > max_error) fail("a message is longer than 1024 bytes", m);
    if (apig::printable(m, m.size()) != m) fail("a message is not one printable line", m);
    if (auto run = x.leaked(m); !run.empty()) fail("a secret is in a message", std::string(m) + "] [run: " + std::string(run));
}

bool same(apig::auth::temporary_key const& a, apig::auth::temporary_key const& b) {
    return a.creds == b.creds && a.expires_at == b.expires_at;
}

// --- parse_expires_at's reference --------------------------------------------------------

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    std::int64_t const era = (y >= 0 ? y : y - 399) / 400;
    unsigned const yoe = static_cast<unsigned>(y - era * 400);
    unsigned const doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned const doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int digits(std::string_view s, std::size_t at, std::size_t n) {
    int v = 0;
    for (std::size_t i = 0; i < n; ++i) {
        char const c = s[at + i];
        if (c < '0' || c > '9') return -1;
        v = v * 10 + (c - '0');
    }
    return v;
}

std::optional<system_clock::time_point> reference_expires_at(std::string_view s) {
    if (s.size() < 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':') return {};
    int const y = digits(s, 0, 4), mo = digits(s, 5, 2), d = digits(s, 8, 2), h = digits(s, 11, 2),
              mi = digits(s, 14, 2), sec = digits(s, 17, 2);
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 60) return {};
    static constexpr std::array<int, 12> month_days{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (d > month_days[static_cast<std::size_t>(mo - 1)] + (mo == 2 && leap(y) ? 1 : 0)) return {};
    std::string_view rest = s.substr(19);
    std::int64_t ns = 0;
    if (!rest.empty() && rest[0] == '.') {
        std::size_t n = 1;
        while (n < rest.size() && rest[n] >= '0' && rest[n] <= '9') ++n;
        if (n == 1) return {};
        for (std::size_t i = 1; i <= 9; ++i) ns = ns * 10 + (i < n ? rest[i] - '0' : 0);
        rest.remove_prefix(n);
    }
    std::int64_t offset = 0;
    if (rest == "Z") {
        rest = {};
    } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
        int const oh = digits(rest, 1, 2), om = digits(rest, 4, 2);
        if (oh < 0 || oh > 23 || om < 0 || om > 59) return {};
        offset = (oh * 60 + om) * 60 * (rest[0] == '-' ? -1 : 1);
        rest = {};
    }
    if (!rest.empty()) return {};
    std::int64_t const whole = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 +
                               h * 3600 + mi * 60 + sec - offset;
    if (whole < 0) return {};  // before 1970 once the offset is applied
    std::int64_t const last = duration_cast<seconds>(system_clock::duration::max()).count() - 1;
    if (whole >= last) return system_clock::time_point::max();
    return system_clock::time_point(duration_cast<system_clock::duration>(seconds{whole}) +
                                    duration_cast<system_clock::duration>(nanoseconds{ns}));
}

void check_expires_at(std::string_view text) {
    auto const a = apig::auth::parse_expires_at(text);
    if (a != apig::auth::parse_expires_at(text)) fail("parse_expires_at is not deterministic", text);
    if (a && a->time_since_epoch().count() < 0) fail("parse_expires_at gave a time before 1970", text);
    auto const want = reference_expires_at(text);
    if (a.has_value() != want.has_value())
        fail(a ? "parse_expires_at accepted what the reference refuses" : "parse_expires_at refused a valid time", text);
    if (a && *a != *want) fail("parse_expires_at disagrees with the reference", text);
}

// --- the key bodies ------------------------------------------------------------------------

void check_key(std::string_view body, bool pod) {
    auto parse = pod ? apig::auth::parse_pod_identity_key : apig::auth::parse_metadata_key;
    auto const a = parse(body);
    auto const b = parse(body);
    if (a.index() != b.index()) fail("the key parser is not deterministic");
    boost::system::error_code ec;
    bj::value const dom = bj::parse(bj::string_view(body.data(), body.size()), ec);
    exposure const x = ec ? exposure{} : json_exposure(dom);

    if (auto const* why = std::get_if<std::string>(&a)) {
        if (*why != std::get<std::string>(b)) fail("the key parser's error is not deterministic", *why);
        check_message(*why, x, "an empty error");
        return;
    }
    auto const& key = std::get<apig::auth::temporary_key>(a);
    if (!same(key, std::get<apig::auth::temporary_key>(b))) fail("the key parser's key is not deterministic");
    if (auto why = apig::auth::problem(key.creds); !why.empty()) fail("a parsed key has a problem", why);
    if (key.expires_at.time_since_epoch().count() < 0) fail("a parsed key expires before 1970");

    // What the body holds, read with boost::json::parse.
    if (ec || !dom.is_object()) fail("a key parsed from a body that is not a JSON object");
    char const* wrapper = pod ? "credentials" : "credential";
    auto const* w = dom.get_object().if_contains(wrapper);
    if (!w || !w->is_object()) fail("a key parsed without its wrapper object");
    auto field = [&](char const* name) -> std::string_view {
        auto const* v = w->get_object().if_contains(name);
        if (!v || !v->is_string()) fail("a key parsed without one of its fields", name);
        return sv(v->get_string());
    };
    apig::aksk_credentials const want{
        std::string(apig::auth::trim(field(pod ? "accessKeyId" : "access"))),
        std::string(apig::auth::trim(field(pod ? "secretAccessKey" : "secret"))),
        std::string(apig::auth::trim(field(pod ? "securityToken" : "securitytoken")))};
    if (!(key.creds == want)) fail("a parsed key is not the body's (trimmed)");
    if (key.expires_at != apig::auth::parse_expires_at(field(pod ? "expiration" : "expires_at")))
        fail("a parsed key's expiry is not the body's");
}

// --- KeystoneListProjects ------------------------------------------------------------------

void check_projects(std::string_view body) {
    auto const a = apig::auth::parse_projects(body);
    auto const b = apig::auth::parse_projects(body);
    if (a.index() != b.index()) fail("parse_projects is not deterministic");
    boost::system::error_code ec;
    bj::value const dom = bj::parse(bj::string_view(body.data(), body.size()), ec);
    if (auto const* why = std::get_if<std::string>(&a)) {
        if (*why != std::get<std::string>(b)) fail("parse_projects' error is not deterministic", *why);
        check_message(*why, ec ? exposure{} : json_exposure(dom), "an empty error");
        return;
    }
    auto const& got = std::get<0>(a);
    auto const& again = std::get<0>(b);
    if (got.size() != again.size()) fail("parse_projects' projects are not deterministic");
    if (ec || !dom.is_object()) fail("projects parsed from a body that is not a JSON object");
    auto const* list = dom.get_object().if_contains("projects");
    if (!list || !list->is_array()) fail("projects parsed without a projects array");
    auto const& arr = list->get_array();
    if (arr.size() != got.size() || got.size() > 1000) fail("parse_projects' count is not the body's");
    for (std::size_t i = 0; i < got.size(); ++i) {
        if (got[i].id != again[i].id || got[i].name != again[i].name) fail("parse_projects' projects are not deterministic");
        auto const& o = arr[i].as_object();
        if (got[i].id != sv(o.at("id").as_string()) || got[i].name != sv(o.at("name").as_string()))
            fail("a parsed project is not the body's");
        if (got[i].id.empty() || got[i].id.size() > 128 || has_control(got[i].id)) fail("a bad project id accepted", got[i].id);
    }
}

// --- the profile -----------------------------------------------------------------------------

void check_profile(std::string_view text) {
    auto const a = apig::auth::parse_profile(text, origin);
    auto const b = apig::auth::parse_profile(text, origin);
    if (a.why_not != b.why_not || a.warnings != b.warnings || a.values.has_value() != b.values.has_value())
        fail("parse_profile is not deterministic");
    exposure const x = profile_exposure(text);
    for (auto const& w : a.warnings) {
        check_message(w, x, "an empty warning");
        if (w.rfind(std::string(origin) + ": ", 0) != 0) fail("a warning does not name the file", w);
    }
    if (!a.values) {
        check_message(a.why_not, x, "an empty error");
        if (a.why_not.rfind(std::string(origin) + ": ", 0) != 0) fail("an error does not name the file", a.why_not);
        return;
    }
    if (!a.why_not.empty()) fail("a parsed profile with an error", a.why_not);
    auto const& v = *a.values;
    auto const& w = *b.values;
    if (v.ak != w.ak || v.sk != w.sk || v.security_token != w.security_token || v.project_id != w.project_id ||
        v.iam_endpoint != w.iam_endpoint)
        fail("parse_profile's values are not deterministic");
    if (v.ak.empty() || v.sk.empty()) fail("a profile parsed without ak or sk");
    for (std::string const* s : {&v.ak, &v.sk, &v.security_token, &v.project_id, &v.iam_endpoint})
        if (apig::auth::trim(*s) != *s || has_control(*s)) fail("a profile value is not trimmed or holds a control");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    reader r{std::string_view(reinterpret_cast<char const*>(data), size)};
    unsigned const which = r.byte() % 5;
    std::string_view const text = r.in;
    switch (which) {
    case 0: check_key(text, false); break;
    case 1: check_key(text, true); break;
    case 2: check_projects(text); break;
    case 3: check_profile(text); break;
    default: check_expires_at(text); break;
    }
    return 0;
}
