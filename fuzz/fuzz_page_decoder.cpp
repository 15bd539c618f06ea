// fuzz_page_decoder: bytes -> apig's streaming page decoder (src/json/decode.cpp).
//
// Input: two control bytes (little-endian u16 `ctl`), then the body.
//   - the body decoded whole (decode_page);
//   - the body fed to a page_decoder in two chunks, split at ctl % (size + 1);
//   - the body fed in small chunks of 1 + (ctl >> 13) bytes (x64 above 4 KiB).
// Every chunk is a separate heap copy, freed after its write, so ASan catches a decoder that
// reads past a chunk or keeps a pointer into an earlier one. The decoders write into pages
// that already hold instances (a reused page must come out as a fresh one).
//
// Checks (any failure aborts):
//   - the three decodes agree: same success, same error code and message (but for the known
//     differences fuzz_common.hpp tolerates unless APIG_FUZZ_STRICT=1), equal pages;
//   - boost::json::parse (same max depth) rejects => our decoder rejects;
//     parse accepts => our decoder does not call the document invalid JSON;
//   - a reference decoder written over the DOM (the semantics documented in decode.cpp)
//     agrees: if ours accepts, the reference accepts with an equal page; if the reference
//     rejects, ours rejects; with no duplicate keys, the reference accepting means ours does;
//   - an accepted page written back with append_page is valid JSON and decodes to itself.

#include "fuzz_common.hpp"
#include "json/decode.hpp"
#include "json/encode.hpp"

#include <apig/error.hpp>
#include <apig/model.hpp>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace {

namespace bj = boost::json;

[[noreturn]] void fail(char const* what, std::string_view detail = {}) {
    std::fprintf(stderr, "fuzz_page_decoder: %s\n", what);
    if (!detail.empty()) std::fprintf(stderr, "  %.*s\n", static_cast<int>(detail.size()), detail.data());
    std::abort();
}

struct outcome {
    apig::instance_page page;
    apig::error_info err;
};

/// A page already holding data, as a reused page would.
/// The decoder overwrites a reused page's instances in place (keeping their strings'
/// storage): every field is set here, so one the body lacks must be cleared, and instances
/// past the body's count dropped.
void prefill(apig::instance_page& p) {
    p.size = 7;
    p.total = 99;
    apig::instance stale{.id = "stale-id-0123456789abcdef0123456789",
                         .project_id = "stale-project-0123456789abcdef012",
                         .instance_name = "stale",
                         .status = apig::status::running,
                         .instance_status = apig::status::running,
                         .type = "stale",
                         .spec = apig::spec::basic,
                         .create_time = 1,
                         .enterprise_project_id = "stale-eps-0123456789abcdef0123456789",
                         .eip_address = "192.0.2.1",
                         .charging_mode = apig::charging_mode::pay_per_use,
                         .cbc_metadata = "stale",
                         .loadbalancer_provider = apig::loadbalancer_provider::elb,
                         .cbc_operation_locks = std::vector<apig::cbc_operation_lock>{{"stale", "stale"}}};
    p.instances.assign(3, stale);
}

/// Feeds `body` to a page_decoder in pieces of `step` bytes, the first one `first` bytes long
/// (0: `step`). Each piece is its own heap allocation, freed right after the write.
outcome decode_in_pieces(std::string_view body, std::size_t first, std::size_t step) {
    outcome o;
    prefill(o.page);
    apig::json::page_decoder d(o.page);
    std::size_t pos = 0;
    bool ok = true;
    while (ok && pos < body.size()) {
        std::size_t n = pos == 0 && first != 0 ? first : step;
        n = std::min(n, body.size() - pos);
        auto piece = std::make_unique<char[]>(n);
        std::memcpy(piece.get(), body.data() + pos, n);
        ok = d.write(std::string_view(piece.get(), n));
        pos += n;
    }
    if (ok) d.finish();
    o.err = d.error();
    return o;
}

/// `chunked` reports what `whole` reports (with fuzz_common.hpp's known tolerances).
bool same_outcome(outcome const& whole, outcome const& chunked) {
    if (static_cast<bool>(whole.err) != static_cast<bool>(chunked.err)) return false;
    if (!whole.err) return whole.page == chunked.page;
    return whole.err.code == chunked.err.code &&
           apig::fuzz::same_decode_error(whole.err.message, chunked.err.message);
}

std::string describe(outcome const& o) {
    if (o.err) return "error: " + o.err.message;
    return "ok, " + std::to_string(o.page.instances.size()) + " instances";
}

// ---- boost::json::parse's view: duplicate keys --------------------------------------------

/// Counts every key of every object (duplicates included).
struct key_counter {
    static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
    using ec_t = boost::system::error_code;
    std::size_t keys = 0;
    bool on_document_begin(ec_t&) { return true; }
    bool on_document_end(ec_t&) { return true; }
    bool on_object_begin(ec_t&) { return true; }
    bool on_object_end(std::size_t n, ec_t&) { keys += n; return true; }
    bool on_array_begin(ec_t&) { return true; }
    bool on_array_end(std::size_t, ec_t&) { return true; }
    bool on_key_part(bj::string_view, std::size_t, ec_t&) { return true; }
    bool on_key(bj::string_view, std::size_t, ec_t&) { return true; }
    bool on_string_part(bj::string_view, std::size_t, ec_t&) { return true; }
    bool on_string(bj::string_view, std::size_t, ec_t&) { return true; }
    bool on_number_part(bj::string_view, ec_t&) { return true; }
    bool on_int64(std::int64_t, bj::string_view, ec_t&) { return true; }
    bool on_uint64(std::uint64_t, bj::string_view, ec_t&) { return true; }
    bool on_double(double, bj::string_view, ec_t&) { return true; }
    bool on_bool(bool, ec_t&) { return true; }
    bool on_null(ec_t&) { return true; }
    bool on_comment_part(bj::string_view, ec_t&) { return true; }
    bool on_comment(bj::string_view, ec_t&) { return true; }
};

std::size_t dom_keys(bj::value const& v) {
    std::size_t n = 0;
    if (auto const* o = v.if_object()) {
        n += o->size();
        for (auto const& kv : *o) n += dom_keys(kv.value());
    } else if (auto const* a = v.if_array()) {
        for (auto const& e : *a) n += dom_keys(e);
    }
    return n;
}

// ---- the reference decoder: decode.cpp's documented semantics over the DOM ----------------

using sv = std::string_view;

sv key_of(bj::key_value_pair const& kv) { return {kv.key().data(), kv.key().size()}; }

bool ref_string(bj::value const& v, std::optional<std::string>& out) {
    if (v.is_null()) { out.reset(); return true; }
    if (!v.is_string()) return false;
    out.emplace(v.get_string().data(), v.get_string().size());
    return true;
}

template <class E>
bool ref_enum(bj::value const& v, std::optional<apig::string_enum<E>>& out) {
    if (v.is_null()) { out.reset(); return true; }
    if (!v.is_string()) return false;
    out = apig::string_enum<E>::from_wire(sv(v.get_string().data(), v.get_string().size()));
    return true;
}

/// An integer (never a double, whatever its value) within [lo, hi].
bool ref_int(bj::value const& v, std::int64_t lo, std::int64_t hi, std::int64_t& out) {
    if (!v.is_int64()) return false;
    out = v.get_int64();
    return out >= lo && out <= hi;
}

constexpr std::int64_t i32_min = std::numeric_limits<std::int32_t>::min();
constexpr std::int64_t i32_max = std::numeric_limits<std::int32_t>::max();
constexpr std::int64_t i64_min = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t i64_max = std::numeric_limits<std::int64_t>::max();

template <class E>
bool ref_int_enum(bj::value const& v, std::optional<apig::int_enum<E>>& out) {
    if (v.is_null()) { out.reset(); return true; }
    std::int64_t i = 0;
    if (!ref_int(v, i32_min, i32_max, i)) return false;
    out = apig::int_enum<E>::from_wire(static_cast<std::int32_t>(i));
    return true;
}

bool ref_lock(bj::value const& v, apig::cbc_operation_lock& l) {
    if (!v.is_object()) return false;
    for (auto const& kv : v.get_object()) {
        sv k = key_of(kv);
        bool ok = true;
        if (k == "lock_scene") ok = ref_string(kv.value(), l.lock_scene);
        else if (k == "lock_source_id") ok = ref_string(kv.value(), l.lock_source_id);
        if (!ok) return false;
    }
    return true;
}

bool ref_instance(bj::value const& v, apig::instance& i) {
    if (!v.is_object()) return false;
    for (auto const& kv : v.get_object()) {
        sv k = key_of(kv);
        bj::value const& x = kv.value();
        bool ok = true;
        if (k == "id") ok = ref_string(x, i.id);
        else if (k == "project_id") ok = ref_string(x, i.project_id);
        else if (k == "instance_name") ok = ref_string(x, i.instance_name);
        else if (k == "type") ok = ref_string(x, i.type);
        else if (k == "enterprise_project_id") ok = ref_string(x, i.enterprise_project_id);
        else if (k == "eip_address") ok = ref_string(x, i.eip_address);
        else if (k == "cbc_metadata") ok = ref_string(x, i.cbc_metadata);
        else if (k == "status") ok = ref_enum(x, i.status);
        else if (k == "spec") ok = ref_enum(x, i.spec);
        else if (k == "loadbalancer_provider") ok = ref_enum(x, i.loadbalancer_provider);
        else if (k == "instance_status") ok = ref_int_enum(x, i.instance_status);
        else if (k == "charging_mode") ok = ref_int_enum(x, i.charging_mode);
        else if (k == "create_time") {
            if (x.is_null()) i.create_time.reset();
            else {
                std::int64_t t = 0;
                ok = ref_int(x, i64_min, i64_max, t);
                i.create_time = t;
            }
        } else if (k == "cbc_operation_locks") {
            if (x.is_null()) i.cbc_operation_locks.reset();
            else if (!x.is_array()) ok = false;
            else {
                auto& locks = i.cbc_operation_locks.emplace();
                for (auto const& e : x.get_array())
                    if (!ref_lock(e, locks.emplace_back())) return false;
            }
        }
        if (!ok) return false;
    }
    return true;
}

bool ref_page(bj::value const& v, apig::instance_page& p) {
    if (!v.is_object()) return false;
    for (auto const& kv : v.get_object()) {
        sv k = key_of(kv);
        bj::value const& x = kv.value();
        std::int64_t n = 0;
        if (k == "size") {
            if (x.is_null()) p.size.reset();
            else if (!ref_int(x, 0, i32_max, n)) return false;
            else p.size = static_cast<std::int32_t>(n);
        } else if (k == "total") {
            if (x.is_null()) p.total.reset();
            else if (!ref_int(x, 0, i64_max, n)) return false;
            else p.total = n;
        } else if (k == "instances") {
            p.instances.clear();
            if (x.is_null()) continue;
            if (!x.is_array()) return false;
            for (auto const& e : x.get_array())
                if (!ref_instance(e, p.instances.emplace_back())) return false;
        }
    }
    return true;
}

bj::parse_options parse_opts() {
    bj::parse_options o;
    o.max_depth = 64;  // decode.cpp's limit
    return o;
}

bool is_invalid_json_message(std::string const& m) {
    return m.rfind("bad response: invalid JSON", 0) == 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    if (size < 2) return 0;
    unsigned const ctl = data[0] | (static_cast<unsigned>(data[1]) << 8);
    std::string_view const body(reinterpret_cast<char const*>(data) + 2, size - 2);

    // 1. Whole, in a page that held data.
    outcome whole;
    prefill(whole.page);
    whole.err = apig::json::decode_page(body, whole.page);

    // 2. Two chunks at a position taken from the input.
    std::size_t const split = ctl % (body.size() + 1);
    outcome two = decode_in_pieces(body, split, body.size() + 1);
    if (!same_outcome(whole, two))
        fail("whole and split decodes differ", describe(whole) + " | " + describe(two));

    // 3. Small chunks.
    std::size_t step = 1 + (ctl >> 13);
    if (body.size() > 4096) step *= 64;
    outcome small = decode_in_pieces(body, 0, step);
    if (!same_outcome(whole, small))
        fail("whole and chunked decodes differ", describe(whole) + " | " + describe(small));

    if (whole.err && whole.err.code != apig::errc::bad_response) return 0;  // out of memory

    // 4. Boost.JSON's DOM parser, same options.
    boost::system::error_code ec;
    bj::value const dom = bj::parse(bj::string_view(body.data(), body.size()), ec, {}, parse_opts());
    if (ec) {
        if (!whole.err) fail("decoder accepted what boost::json::parse rejects", ec.message());
        return 0;
    }
    // An exponent beyond INT_MAX is the exception: Boost.JSON 1.83 and later parse it, the
    // decoder refuses it as 1.81's parser does (decode.cpp, scan_exponent).
    if (whole.err && is_invalid_json_message(whole.err.message)) {
        if (!whole.err.message.ends_with(": exponent overflow"))
            fail("decoder called valid JSON invalid", whole.err.message);
        return 0;
    }

    // 5. The reference decoder.
    apig::instance_page ref;
    bool const ref_ok = ref_page(dom, ref);
    if (!whole.err && !ref_ok) fail("decoder accepted what the reference decoder rejects");
    if (!whole.err && !(whole.page == ref)) fail("decoder and reference decoder disagree");
    if (whole.err && ref_ok) {
        bj::basic_parser<key_counter> kc(parse_opts());
        kc.write_some(false, body.data(), body.size(), ec);
        if (ec) fail("key counter failed on valid JSON");
        // Without duplicate keys there is nothing the decoder may legitimately reject.
        if (kc.handler().keys == dom_keys(dom))
            fail("decoder rejected what the reference decoder accepts", whole.err.message);
    }
    if (whole.err) return 0;

    // 6. Round trip through the encoder.
    std::string encoded;
    apig::json::append_page(encoded, whole.page);
    bj::parse(bj::string_view(encoded.data(), encoded.size()), ec, {}, parse_opts());
    if (ec) fail("append_page wrote invalid JSON", encoded);
    apig::instance_page again;
    auto const err = apig::json::decode_page(encoded, again);
    if (err) fail("append_page's output does not decode", err.message);
    if (!(again == whole.page)) fail("append_page's output decodes to another page", encoded);
    return 0;
}
