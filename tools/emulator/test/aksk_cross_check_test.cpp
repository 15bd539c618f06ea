// The AK/SK cross-check: generated targets (reserved characters, percent signs, non-ASCII
// text) signed by apig's signer and verified by the emulator's own verifier.

#include "support.hpp"
#include "aksk_support.hpp"

using namespace emulator_test;

namespace {

// Random text for the cross-check: reserved characters, percent signs, spaces, non-ASCII
// UTF-8 (CJK, accents, an emoji, a no-break space) and plain ASCII.
struct text_generator {
    std::mt19937_64 rng;

    std::size_t below(std::size_t n) { return static_cast<std::size_t>(rng() % n); }
    bool coin(std::size_t one_in) { return below(one_in) == 0; }

    std::string const& unicode() {
        static std::vector<std::string> const pool = {
            "网关", "实例-名", "é",      "ü", "ß", "😀",
            "Ω",    "\xc2\xa0", "日本語", "Привет", "ع", "🇨🇳"};
        return pool[below(pool.size())];
    }
    std::string piece() {
        static std::vector<std::string> const reserved = {
            "/", "?", "#", "&", "=", "+", "%", " ", "%20", "%2F", "%%", "~", "-", "_", ".", "*",
            "'", "(", ")", "!", "$", ",", ";", ":", "@", "[", "]", "\"", "<", ">", "\\", "^",
            "`", "{", "|", "}"};
        static constexpr std::string_view alnum =
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        switch (below(4)) {
        case 0: return reserved[below(reserved.size())];
        case 1: return unicode();
        default: {
            std::string s;
            for (std::size_t n = 1 + below(6); n > 0; --n) s += alnum[below(alnum.size())];
            return s;
        }
        }
    }
    std::string text(std::size_t max_pieces) {
        std::string s;
        for (std::size_t n = 1 + below(max_pieces); n > 0; --n) s += piece();
        return s;
    }

    // Percent-encodes `s` for a target, choosing among the valid spellings: unreserved bytes
    // raw or (sometimes) encoded, `raw_ok` bytes raw or encoded, everything else encoded,
    // the hex digits in either case; in a query a space is '+' or %20.
    std::string encode(std::string_view s, std::string_view raw_ok, bool query) {
        static constexpr char upper[] = "0123456789ABCDEF";
        static constexpr char lower[] = "0123456789abcdef";
        std::string out;
        for (char const ch : s) {
            auto const c = static_cast<unsigned char>(ch);
            bool const unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
                                    c == '_' || c == '~';
            bool const may_be_raw = raw_ok.find(ch) != std::string_view::npos;
            if ((unreserved && !coin(8)) || (may_be_raw && coin(2))) {
                out += ch;
            } else if (query && c == ' ' && coin(2)) {
                out += '+';
            } else {
                char const* digits = coin(2) ? upper : lower;
                out += '%';
                out += digits[c >> 4];
                out += digits[c & 15];
            }
        }
        return out;
    }
};

struct generated_target {
    std::string project{};  // decoded
    std::string target{};   // as sent
};

generated_target generate_target(text_generator& g) {
    static std::vector<std::string> const keys = {"instance_name", "instance_id", "status",
                                                  "x",             "名前",        "a b&c=d"};
    generated_target t;
    do {
        t.project = g.text(4);
    } while (t.project.front() == ' ' || t.project.back() == ' ' || t.project == "." ||
             t.project == "..");
    // Path: pchar sub-delims, ':' and '@' may stay raw (a raw '+' is a literal plus).
    t.target = "/v2/" + g.encode(t.project, "!$&'()*+,;=:@", false) + "/apigw/instances";
    if (g.coin(4)) t.target += '/';
    std::size_t const params = 1 + g.below(4);
    for (std::size_t i = 0; i < params; ++i) {
        t.target += i == 0 ? '?' : '&';
        if (g.coin(10)) t.target += '&';  // an empty piece
        // Every value has non-ASCII text somewhere.
        std::string value = g.text(3);
        value.insert(g.below(value.size() + 1), g.unicode());
        t.target += g.encode(keys[g.below(keys.size())], "!$'()*,;:@/?", true);
        t.target += '=';
        t.target += g.encode(value, "!$'()*,;:@/?=", true);
    }
    return t;
}

// One byte of the query changed so that its meaning changes: a literal letter or digit
// (outside a %XX) to another, or a %XX hex digit to another value.
std::string mutate_query(std::string target, text_generator& g) {
    auto const q = target.find('?');
    std::vector<std::size_t> spots;
    for (std::size_t i = q + 1; i < target.size(); ++i) {
        char const c = target[i];
        bool const alnum =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (c == '%' && i + 2 < target.size()) {
            spots.push_back(i + 1);
            spots.push_back(i + 2);
            i += 2;
        } else if (alnum) {
            spots.push_back(i);
        }
    }
    REQUIRE_FALSE(spots.empty());
    std::size_t const at = spots[g.below(spots.size())];
    char& c = target[at];
    if (target[at - 1] == '%' || (at >= 2 && target[at - 2] == '%')) {
        int const v = (c >= '0' && c <= '9') ? c - '0' : ((c | 0x20) - 'a' + 10);
        c = "0123456789ABCDEF"[(v + 1 + static_cast<int>(g.below(15))) % 16];
    } else if (c >= '0' && c <= '9') {
        c = static_cast<char>('0' + (c - '0' + 1) % 10);
    } else if (c == 'z' || c == 'Z') {
        c = static_cast<char>(c - 25);
    } else {
        c = static_cast<char>(c + 1);
    }
    return target;
}

}  // namespace

TEST_CASE("aksk cross-check: 1,000 generated targets signed by apig, verified by the emulator") {
    text_generator g{std::mt19937_64(20240501)};
    std::vector<generated_target> targets;
    for (int i = 0; i < 1000; ++i) targets.push_back(generate_target(g));

    std::size_t accepted = 0;
    std::size_t rejected = 0;
    std::set<std::string> distinct;
    for (auto const& t : targets) {
        CAPTURE(t.target);
        distinct.insert(t.target);
        // The target is a valid origin-form target (what the server's parser accepts).
        CHECK(boost::urls::parse_origin_form(t.target).has_value());
        auto const q = t.target.find('?');
        CHECK(aksk::canonical_uri(t.target.substr(0, q)) ==
              apig::auth::canonical_uri(t.target.substr(0, q)));
        CHECK(aksk::canonical_query(t.target.substr(q + 1)) ==
              apig::auth::canonical_query(t.target.substr(q + 1)));

        auto const headers = signed_get(t.target, fixed_now(), test_ak, test_sk, "", t.project);
        auto const ok = aksk::verify(as_received(t.target, headers), verifier_keys(), fixed_now());
        CHECK(ok.code == aksk::status::ok);
        accepted += ok.code == aksk::status::ok;

        // One hex digit of the signature changed.
        auto bad_sig = headers;
        std::string& authz = bad_sig.back().second;
        std::size_t const at = authz.size() - 1 - g.below(64);
        authz[at] = "0123456789abcdef"[(std::string_view("0123456789abcdef").find(authz[at]) +
                                        1 + g.below(15)) % 16];
        auto const r1 = aksk::verify(as_received(t.target, bad_sig), verifier_keys(), fixed_now());
        CHECK(r1.code == aksk::status::signature_mismatch);
        rejected += r1.code == aksk::status::signature_mismatch;

        // One byte of the query changed, the signature kept.
        std::string const tampered = mutate_query(t.target, g);
        CAPTURE(tampered);
        REQUIRE(tampered != t.target);
        auto const r2 = aksk::verify(as_received(tampered, headers), verifier_keys(), fixed_now());
        CHECK(r2.code == aksk::status::signature_mismatch);
        rejected += r2.code == aksk::status::signature_mismatch;
    }
    CHECK(distinct.size() == 1000);
    CHECK(accepted == 1000);
    CHECK(rejected == 2000);

    // End to end for the first 25: served projects, real TLS, the server's own parsing.
    emu::options opts = aksk_options();
    opts.instance_count = 3;
    opts.project_ids.clear();
    for (std::size_t i = 0; i < 25; ++i) opts.project_ids.push_back(targets[i].project);
    emu::server srv(opts);
    test_client c(srv);
    for (std::size_t i = 0; i < 25; ++i) {
        auto const& t = targets[i];
        CAPTURE(t.target);
        auto const headers = signed_get(t.target, fixed_now(), test_ak, test_sk, "", t.project);
        CHECK(c.get_with(t.target, headers).result_int() == 200);
        CHECK(srv.requests().back().project_id == t.project);
        CHECK(c.get_with(mutate_query(t.target, g), headers).result_int() == 401);
    }
}
