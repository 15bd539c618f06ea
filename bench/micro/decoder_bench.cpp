// Decoder micro-benchmark: how fast a ListInstancesV2 page body becomes an
// apig::instance_page.
//
//   (a) apig's decoder, a boost::json::basic_parser handler writing straight into the model:
//       decode_page on the whole body, and page_decoder fed 16 KiB chunks (as the client feeds
//       it: one decoder per response, a fresh page, the body as it arrives);
//   (b) boost::json::parse alone (a DOM, no model), default parse_options, with the default
//       memory resource and with a monotonic_resource over a reused buffer;
//   (c) boost::json::parse plus a hand-written conversion of the DOM into the full model
//       (every field, enums through the model's from_wire, null = absent, unknown fields
//       skipped), with both memory resources.
// Two reference rows: ref_a_decode_page_reused (decode_page into one reused page) and
// ref_tokenizer_only (basic_parser with a handler that does nothing: Boost's tokenizer alone,
// the floor for any decoder built on basic_parser).
//
// Pages are the emulator's: its dataset generator (seed 1, the default project), wrapped as the
// server wraps a slice of it (`{"total":N,"size":M,"instances":[...]}`), offset 0, limits 20 and
// 500. Before timing, (a) whole, (a) chunked and (c) must give equal models, or the program
// aborts.
//
// Reported: bytes_per_second (SetBytesProcessed; Google Benchmark prints it in MiB/s),
// instances/s (a rate counter) and page_bytes (the body's size). Run with e.g.
//   apig_bench_decoder --benchmark_repetitions=5 --benchmark_report_aggregates_only=true

#include "dataset.hpp"    // tools/emulator/src
#include "json/decode.hpp"  // src

#include <apig/model.hpp>

#include <benchmark/benchmark.h>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace bj = boost::json;

// ---- the pages -------------------------------------------------------------------------------

constexpr char const* project_id = "73d69ae0cfcf460190522d06b60f05ad";  // the emulator's default
constexpr std::uint64_t dataset_seed = 1;                              // the emulator's default
constexpr std::size_t dataset_size = 1000;
constexpr std::size_t chunk_size = 16 * 1024;  // about one TLS record

struct page_case {
    std::size_t instances = 0;
    std::string body;
};

/// A 200 body exactly as the emulator's server builds it (server.cpp: prefix, a slice of the
/// pre-serialised dataset, "]}").
std::string make_body(apig::emulator::detail::project_dataset const& ds, std::size_t offset,
                      std::size_t limit) {
    std::size_t const first = std::min(offset, ds.size());
    std::size_t const last = std::min(offset + limit, ds.size());
    std::string body = R"({"total":)";
    body += std::to_string(ds.size());
    body += R"(,"size":)";
    body += std::to_string(last - first);
    body += R"(,"instances":[)";
    body += ds.slice(first, last);
    body += "]}";
    return body;
}

// ---- (c): DOM -> model -----------------------------------------------------------------------

[[noreturn]] void bad(char const* what) { throw std::runtime_error(what); }

std::optional<std::string> to_string_field(bj::value const& v) {
    if (v.is_null()) return std::nullopt;
    bj::string const* s = v.if_string();
    if (!s) bad("expected a string");
    return std::string(s->data(), s->size());
}

std::int64_t to_int64(bj::value const& v) {
    if (v.is_int64()) return v.get_int64();
    bad("expected an integer in int64");  // uint64 (> INT64_MAX), double, string, ...
}

std::int32_t to_int32(bj::value const& v) {
    std::int64_t const i = to_int64(v);
    if (i < std::numeric_limits<std::int32_t>::min() || i > std::numeric_limits<std::int32_t>::max())
        bad("integer out of int32 range");
    return static_cast<std::int32_t>(i);
}

template <class E>
std::optional<apig::string_enum<E>> to_string_enum(bj::value const& v) {
    if (v.is_null()) return std::nullopt;
    bj::string const* s = v.if_string();
    if (!s) bad("expected a string");
    return apig::string_enum<E>::from_wire(std::string_view(s->data(), s->size()));
}

template <class E>
std::optional<apig::int_enum<E>> to_int_enum(bj::value const& v) {
    if (v.is_null()) return std::nullopt;
    return apig::int_enum<E>::from_wire(to_int32(v));
}

std::optional<std::int64_t> to_opt_int64(bj::value const& v) {
    if (v.is_null()) return std::nullopt;
    return to_int64(v);
}

apig::cbc_operation_lock to_lock(bj::value const& v) {
    bj::object const* o = v.if_object();
    if (!o) bad("expected an object");
    apig::cbc_operation_lock lock;
    for (auto const& kv : *o) {
        std::string_view const k(kv.key().data(), kv.key().size());
        if (k == "lock_scene") lock.lock_scene = to_string_field(kv.value());
        else if (k == "lock_source_id") lock.lock_source_id = to_string_field(kv.value());
    }
    return lock;
}

// One pass over the members, keys matched by length then one comparison (as the decoder
// does), rather than a lookup per model field.
void to_instance(bj::value const& v, apig::instance& inst) {
    bj::object const* o = v.if_object();
    if (!o) bad("expected an object");
    for (auto const& kv : *o) {
        std::string_view const k(kv.key().data(), kv.key().size());
        bj::value const& x = kv.value();
        switch (k.size()) {
        case 2:
            if (k == "id") inst.id = to_string_field(x);
            break;
        case 4:
            if (k == "type") inst.type = to_string_field(x);
            else if (k == "spec") inst.spec = to_string_enum<apig::spec>(x);
            break;
        case 6:
            if (k == "status") inst.status = to_string_enum<apig::status>(x);
            break;
        case 10:
            if (k == "project_id") inst.project_id = to_string_field(x);
            break;
        case 11:
            if (k == "create_time") inst.create_time = to_opt_int64(x);
            else if (k == "eip_address") inst.eip_address = to_string_field(x);
            break;
        case 12:
            if (k == "cbc_metadata") inst.cbc_metadata = to_string_field(x);
            break;
        case 13:
            if (k == "instance_name") inst.instance_name = to_string_field(x);
            else if (k == "charging_mode") inst.charging_mode = to_int_enum<apig::charging_mode>(x);
            break;
        case 15:
            if (k == "instance_status") inst.instance_status = to_int_enum<apig::status>(x);
            break;
        case 19:
            if (k == "cbc_operation_locks") {
                if (x.is_null()) {
                    inst.cbc_operation_locks.reset();
                    break;
                }
                bj::array const* a = x.if_array();
                if (!a) bad("expected an array");
                auto& locks = inst.cbc_operation_locks.emplace();
                locks.reserve(a->size());
                for (auto const& e : *a) locks.push_back(to_lock(e));
            }
            break;
        case 21:
            if (k == "enterprise_project_id") inst.enterprise_project_id = to_string_field(x);
            else if (k == "loadbalancer_provider")
                inst.loadbalancer_provider = to_string_enum<apig::loadbalancer_provider>(x);
            break;
        default: break;  // unknown fields are skipped
        }
    }
}

void to_page(bj::value const& v, apig::instance_page& page) {
    bj::object const* o = v.if_object();
    if (!o) bad("expected an object");
    for (auto const& kv : *o) {
        std::string_view const k(kv.key().data(), kv.key().size());
        bj::value const& x = kv.value();
        if (k == "size") {
            if (x.is_null()) { page.size.reset(); continue; }
            std::int32_t const n = to_int32(x);
            if (n < 0) bad("size must not be negative");
            page.size = n;
        } else if (k == "total") {
            if (x.is_null()) { page.total.reset(); continue; }
            std::int64_t const n = to_int64(x);
            if (n < 0) bad("total must not be negative");
            page.total = n;
        } else if (k == "instances") {
            page.instances.clear();
            if (x.is_null()) continue;
            bj::array const* a = x.if_array();
            if (!a) bad("expected an array");
            page.instances.resize(a->size());
            for (std::size_t i = 0; i < a->size(); ++i) to_instance((*a)[i], page.instances[i]);
        }
    }
}

// ---- the three ways ----------------------------------------------------------------------------

bool decode_whole(std::string_view body, apig::instance_page& page) {
    return !apig::json::decode_page(body, page);
}

bool decode_chunked(std::string_view body, apig::instance_page& page) {
    // As the client does it (src/http/page_body.hpp): one heap-allocated decoder per response.
    auto d = std::make_unique<apig::json::page_decoder>(page);
    for (std::size_t pos = 0; pos < body.size(); pos += chunk_size)
        if (!d->write(body.substr(pos, chunk_size))) return false;
    return d->finish();
}

bj::value parse_dom(std::string_view body, bj::storage_ptr sp) {
    bj::error_code ec;
    bj::value v = bj::parse(bj::string_view(body.data(), body.size()), ec, std::move(sp));
    if (ec) bad("boost::json::parse failed");
    return v;
}

/// A reused buffer for the monotonic_resource runs: large enough that the DOM never needs
/// the heap (the resource would fall back to it, correctly but slower, if it did).
struct arena {
    explicit arena(std::size_t body_size) : size(64 * 1024 + 16 * body_size), bytes(new unsigned char[size]) {}
    std::size_t size;
    std::unique_ptr<unsigned char[]> bytes;
};

/// A basic_parser handler that does nothing: the cost of Boost's tokenizer alone, a floor for
/// any decoder built on basic_parser (a reference row, not one of (a)(b)(c)).
struct null_handler {
    static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
    using ec_t = bj::error_code;
    using sv_t = bj::string_view;
    bool on_document_begin(ec_t&) { return true; }
    bool on_document_end(ec_t&) { return true; }
    bool on_object_begin(ec_t&) { return true; }
    bool on_object_end(std::size_t, ec_t&) { return true; }
    bool on_array_begin(ec_t&) { return true; }
    bool on_array_end(std::size_t, ec_t&) { return true; }
    bool on_key_part(sv_t, std::size_t, ec_t&) { return true; }
    bool on_key(sv_t, std::size_t, ec_t&) { return true; }
    bool on_string_part(sv_t, std::size_t, ec_t&) { return true; }
    bool on_string(sv_t, std::size_t, ec_t&) { return true; }
    bool on_number_part(sv_t, ec_t&) { return true; }
    bool on_int64(std::int64_t, sv_t, ec_t&) { return true; }
    bool on_uint64(std::uint64_t, sv_t, ec_t&) { return true; }
    bool on_double(double, sv_t, ec_t&) { return true; }
    bool on_bool(bool, ec_t&) { return true; }
    bool on_null(ec_t&) { return true; }
    bool on_comment_part(sv_t, ec_t&) { return true; }
    bool on_comment(sv_t, ec_t&) { return true; }
};

bool tokenize(std::string_view body) {
    bj::basic_parser<null_handler> p{bj::parse_options{}};
    bj::error_code ec;
    std::size_t const n = p.write_some(false, body.data(), body.size(), ec);
    return !ec && n == body.size();
}

// ---- benchmarks -----------------------------------------------------------------------------------

void finish_state(benchmark::State& state, page_case const& pc) {
    auto const it = static_cast<double>(state.iterations());
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                            static_cast<std::int64_t>(pc.body.size()));
    state.counters["instances/s"] =
        benchmark::Counter(it * static_cast<double>(pc.instances), benchmark::Counter::kIsRate);
    state.counters["page_bytes"] = static_cast<double>(pc.body.size());
}

void bm_a_decode_page(benchmark::State& state, page_case const* pc) {
    for (auto _ : state) {
        apig::instance_page page;
        if (!decode_whole(pc->body, page)) state.SkipWithError("decode_page failed");
        benchmark::DoNotOptimize(page);
    }
    finish_state(state, *pc);
}

void bm_a_page_decoder_16k(benchmark::State& state, page_case const* pc) {
    for (auto _ : state) {
        apig::instance_page page;
        if (!decode_chunked(pc->body, page)) state.SkipWithError("page_decoder failed");
        benchmark::DoNotOptimize(page);
    }
    finish_state(state, *pc);
}

// Not the client's pattern (it decodes each response into a fresh page): the page is reused,
// so only the instances vector's capacity is kept (decode_page clears the instances).
void bm_a_decode_page_reused(benchmark::State& state, page_case const* pc) {
    apig::instance_page page;
    for (auto _ : state) {
        if (!decode_whole(pc->body, page)) state.SkipWithError("decode_page failed");
        benchmark::DoNotOptimize(page);
    }
    finish_state(state, *pc);
}

void bm_ref_tokenizer_only(benchmark::State& state, page_case const* pc) {
    for (auto _ : state) {
        bool const ok = tokenize(pc->body);
        if (!ok) state.SkipWithError("basic_parser<null_handler> failed");
        benchmark::DoNotOptimize(ok);
    }
    finish_state(state, *pc);
}

void bm_b_dom_default(benchmark::State& state, page_case const* pc) {
    for (auto _ : state) {
        bj::value v = parse_dom(pc->body, {});
        benchmark::DoNotOptimize(v);
    }
    finish_state(state, *pc);
}

void bm_b_dom_monotonic(benchmark::State& state, page_case const* pc) {
    arena buf(pc->body.size());
    for (auto _ : state) {
        bj::monotonic_resource mr(buf.bytes.get(), buf.size);
        bj::value v = parse_dom(pc->body, &mr);
        benchmark::DoNotOptimize(v);
    }
    finish_state(state, *pc);
}

void bm_c_dom_model_default(benchmark::State& state, page_case const* pc) {
    for (auto _ : state) {
        apig::instance_page page;
        bj::value v = parse_dom(pc->body, {});
        to_page(v, page);
        benchmark::DoNotOptimize(page);
    }
    finish_state(state, *pc);
}

void bm_c_dom_model_monotonic(benchmark::State& state, page_case const* pc) {
    arena buf(pc->body.size());
    for (auto _ : state) {
        apig::instance_page page;
        bj::monotonic_resource mr(buf.bytes.get(), buf.size);
        bj::value v = parse_dom(pc->body, &mr);
        to_page(v, page);
        benchmark::DoNotOptimize(page);
    }
    finish_state(state, *pc);
}

// ---- verification (before timing) ------------------------------------------------------------------

[[noreturn]] void die(std::string const& what) {
    std::fprintf(stderr, "apig_bench_decoder: %s\n", what.c_str());
    std::abort();
}

void verify(page_case const& pc) {
    std::string const name = "page of " + std::to_string(pc.instances) + ": ";
    apig::instance_page a, a_chunked, c_default, c_monotonic;
    if (auto err = apig::json::decode_page(pc.body, a)) die(name + "decode_page: " + err.message);
    if (!decode_chunked(pc.body, a_chunked)) die(name + "page_decoder (16 KiB chunks) failed");
    try {
        to_page(parse_dom(pc.body, {}), c_default);
        arena buf(pc.body.size());
        bj::monotonic_resource mr(buf.bytes.get(), buf.size);
        to_page(parse_dom(pc.body, &mr), c_monotonic);
    } catch (std::exception const& e) {
        die(name + "DOM conversion: " + e.what());
    }
    if (a.instances.size() != pc.instances || a.size != static_cast<std::int32_t>(pc.instances) ||
        a.total != static_cast<std::int64_t>(dataset_size))
        die(name + "decode_page gave the wrong number of instances");
    if (!(a == a_chunked)) die(name + "decode_page and page_decoder (16 KiB chunks) differ");
    if (!(a == c_default)) die(name + "(a) decode_page and (c) DOM -> model differ");
    if (!(a == c_monotonic)) die(name + "(a) decode_page and (c) DOM -> model (monotonic) differ");
    if (!tokenize(pc.body)) die(name + "basic_parser<null_handler> failed");
    // The dataset must exercise what the model has, or the comparison proves little.
    bool locks = false, unknown_status = false, absent_lb = false, has_eip = false;
    for (auto const& i : a.instances) {
        locks |= i.cbc_operation_locks.has_value() && !i.cbc_operation_locks->empty();
        unknown_status |= i.status && i.status->is_unknown();
        absent_lb |= !i.loadbalancer_provider;
        has_eip |= i.eip_address.has_value();
        if (!i.id || !i.instance_name || !i.status || !i.instance_status || !i.spec || !i.create_time ||
            !i.charging_mode || !i.project_id || !i.type)
            die(name + "an instance lacks a field every dataset instance has");
    }
    if (!locks || !absent_lb || !has_eip || (pc.instances >= 100 && !unknown_status))
        die(name + "the dataset does not exercise the model's optional fields");
}

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

    auto const ds = apig::emulator::detail::make_dataset(project_id, 0, dataset_seed, dataset_size);
    // Static storage: the registered benchmarks keep pointers to them.
    static std::vector<page_case> pages;
    for (std::size_t n : {std::size_t{20}, std::size_t{500}}) pages.push_back({n, make_body(ds, 0, n)});

    for (auto const& pc : pages) {
        verify(pc);
        std::string const key = "page_" + std::to_string(pc.instances) + "_bytes";
        benchmark::AddCustomContext(key, std::to_string(pc.body.size()));
        std::fprintf(stderr, "page of %zu instances: %zu bytes (%.1f bytes/instance)\n", pc.instances,
                     pc.body.size(), static_cast<double>(pc.body.size()) / static_cast<double>(pc.instances));
    }
    std::fprintf(stderr, "(a), (a) chunked and (c) give equal models\n");

    struct way {
        char const* name;
        void (*fn)(benchmark::State&, page_case const*);
    };
    static constexpr way ways[] = {
        {"a_decode_page", bm_a_decode_page},
        {"a_page_decoder_16k", bm_a_page_decoder_16k},
        {"b_dom_default", bm_b_dom_default},
        {"b_dom_monotonic", bm_b_dom_monotonic},
        {"c_dom_model_default", bm_c_dom_model_default},
        {"c_dom_model_monotonic", bm_c_dom_model_monotonic},
        {"ref_a_decode_page_reused", bm_a_decode_page_reused},
        {"ref_tokenizer_only", bm_ref_tokenizer_only},
    };
    for (auto const& pc : pages)
        for (auto const& w : ways)
            benchmark::RegisterBenchmark((std::string(w.name) + "/" + std::to_string(pc.instances)).c_str(),
                                         w.fn, &pc);

    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
