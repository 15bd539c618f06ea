#include "dataset.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/object.hpp>
#include <boost/json/array.hpp>
#include <boost/json/serializer.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <thread>

namespace apig::emulator::detail {
namespace {

constexpr std::array<status_def, 38> statuses{{
    {"Creating", 1},          {"CreateSuccess", 2},      {"CreateFail", 3},
    {"Initing", 4},           {"Registering", 5},        {"Running", 6},
    {"InitingFailed", 7},     {"RegisterFailed", 8},     {"Installing", 10},
    {"InstallFailed", 11},    {"Updating", 12},          {"UpdateFailed", 13},
    {"Rollbacking", 20},      {"RollbackSuccess", 21},   {"RollbackFailed", 22},
    {"Deleting", 23},         {"DeleteFailed", 24},      {"Unregistering", 25},
    {"UnRegisterFailed", 26}, {"CreateTimeout", 27},     {"InitTimeout", 28},
    {"RegisterTimeout", 29},  {"InstallTimeout", 30},    {"UpdateTimeout", 31},
    {"RollbackTimeout", 32},  {"DeleteTimeout", 33},     {"UnregisterTimeout", 34},
    {"Starting", 35},         {"Freezing", 36},          {"Frozen", 37},
    {"Restarting", 38},       {"RestartFail", 39},       {"Unhealthy", 40},
    {"RestartTimeout", 41},   {"Resizing", 42},          {"ResizeFailed", 43},
    {"ResizeTimeout", 44},
    // Not (yet) in the API: clients must keep it as an unknown value.
    {"Hibernating", 99},
}};
constexpr std::size_t known_statuses = 37;
constexpr std::size_t running_index = 5;
constexpr std::size_t future_status_index = 37;

constexpr std::array<std::string_view, 16> specs{
    "BASIC",          "PROFESSIONAL",      "ENTERPRISE",      "PLATINUM",
    "BASIC_IPV6",     "PROFESSIONAL_IPV6", "ENTERPRISE_IPV6", "PLATINUM_IPV6",
    "PLATINUM_X2",    "PLATINUM_X3",       "PLATINUM_X4",     "PLATINUM_X5",
    "PLATINUM_X6",    "PLATINUM_X7",       "PLATINUM_X8",
    // Not (yet) in the API.
    "PLATINUM_X16",
};
constexpr std::size_t known_specs = 15;


// splitmix64: tiny, fast, and good enough for test data. Each instance gets its own stream
// (seeded from seed, project and index), so instance i never depends on the others and the
// dataset can be built in parallel chunks.
struct rng {
    std::uint64_t state;
    std::uint64_t next() noexcept {
        std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    std::uint64_t below(std::uint64_t n) noexcept { return next() % n; }
};

// Appends a decimal number to a small fixed buffer; returns the new end.
char* put_dec(char* out, char* end, std::uint64_t v) noexcept {
    return std::to_chars(out, end, v).ptr;
}

struct chunk {
    std::string blob;
    std::vector<std::size_t> offsets;  // relative to this chunk's blob, no final entry
    std::string ids;
    std::string names;
    std::vector<std::size_t> name_offsets;  // relative, no final entry
    std::vector<std::uint8_t> statuses;
};

struct generator {
    std::string_view project_id;
    std::uint64_t project_salt;  // mixes seed and project index

    // Builds instance i as a boost::json object and appends its serialisation to `out`.
    void build(std::size_t i, chunk& out) const {
        // Every allocation of this instance comes from a stack buffer: building a million
        // instances must not hit the heap a dozen times each.
        unsigned char arena[4096];
        boost::json::monotonic_resource mr(arena, sizeof arena);
        boost::json::object obj(&mr);
        obj.reserve(18);

        rng r{fmix64(project_salt ^ (0x5bd1e995ULL * (i + 1)))};
        std::uint64_t const n = i + 1;  // names count from 1

        // id: the first half is a bijection of the index, so ids are unique in a project.
        char id[32];
        put_hex64(id, fmix64(project_salt + i));
        put_hex64(id + 16, r.next());
        std::string_view const id_sv(id, 32);

        // Name: mostly ASCII, but some non-ASCII (CJK, an emoji outside the BMP) and one
        // needing JSON escapes, so decoders and printers see them on the first pages.
        char name_buf[64];
        std::string_view name;
        {
            char* p = name_buf;
            char* const e = name_buf + sizeof name_buf;
            auto put = [&](std::string_view s) {
                std::memcpy(p, s.data(), s.size());
                p += s.size();
            };
            if (i % 1000 == 3) {
                put("apig-\"quoted\"\\back-");
            } else if (n % 17 == 0) {
                put("\xe7\xbd\x91\xe5\x85\xb3-\xe5\xae\x9e\xe4\xbe\x8b-");  // 网关-实例-
            } else if (n % 97 == 0) {
                put("apig-\xf0\x9f\x9a\x80-");  // apig-🚀-
            } else {
                put("apig-");
            }
            p = put_dec(p, e, n);
            name = std::string_view(name_buf, static_cast<std::size_t>(p - name_buf));
        }

        // Status: mostly Running; one in a hundred from the future.
        std::size_t status;
        if (i % 100 == 42)
            status = future_status_index;
        else if (r.below(4) != 0)
            status = running_index;
        else
            status = static_cast<std::size_t>(r.below(known_statuses));

        // Spec: 4 is coprime with 15, so any 15 consecutive instances cover all specs.
        std::string_view const spec =
            i % 100 == 77 ? specs[known_specs]
                          : specs[(i * 4 + project_salt % known_specs) % known_specs];

        // 2019-01-01 plus up to ~6 years.
        auto const create_time =
            static_cast<std::int64_t>(1546300800000ULL + r.below(189216000000ULL));

        bool const has_eip = r.below(5) != 0;
        char eip[16];
        std::size_t eip_len = 0;
        {
            char* p = eip;
            char* const e = eip + sizeof eip;
            std::memcpy(p, "100.95.", 7);
            p += 7;
            p = put_dec(p, e, r.below(256));
            *p++ = '.';
            p = put_dec(p, e, 1 + r.below(254));
            eip_len = static_cast<std::size_t>(p - eip);
        }

        bool const yearly = r.below(10) < 3;
        char cbc[40];  // e.g. CS2006301043A28NF:00301-734023-0--0
        {
            std::memcpy(cbc, "CS", 2);
            std::uint64_t d = r.next();
            for (int k = 2; k < 12; ++k, d /= 10) cbc[k] = static_cast<char>('0' + d % 10);
            static constexpr char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
            std::uint64_t a = r.next();
            for (int k = 12; k < 17; ++k, a /= 36) cbc[k] = alnum[a % 36];
            std::memcpy(cbc + 17, ":00301-", 7);
            std::uint64_t o = r.next();
            for (int k = 24; k < 30; ++k, o /= 10) cbc[k] = static_cast<char>('0' + o % 10);
            std::memcpy(cbc + 30, "-0--0", 5);
        }
        std::string_view const cbc_sv(cbc, 35);

        bool const default_ep = r.below(3) != 0;
        char ep[36];  // a UUID-looking enterprise project id
        {
            put_hex64(ep, r.next());
            put_hex64(ep + 16, r.next());
            // 8-4-4-4-12 from 32 hex digits: shift right to make room for the dashes.
            char tmp[32];
            std::memcpy(tmp, ep, 32);
            std::size_t s = 0, d = 0;
            for (std::size_t len : {8u, 4u, 4u, 4u, 12u}) {
                if (d != 0) ep[d++] = '-';
                std::memcpy(ep + d, tmp + s, len);
                s += len;
                d += len;
            }
        }

        std::uint64_t const lb = r.below(3);  // 0: absent, 1: lvs, 2: elb
        std::uint64_t const locks = r.below(10) == 0 ? 1 + r.below(2) : 0;

        // Fields in alphabetical order, like the documented example. Unknown fields (which
        // clients must skip) sit between known ones on one instance in a hundred.
        bool const extras = i % 100 == 13;
        if (yearly) obj.emplace("cbc_metadata", cbc_sv);
        if (locks != 0) {
            boost::json::array arr(&mr);
            static constexpr std::string_view scenes[] = {"TO_PERIOD_LOCK", "SPEC_CHG_LOCK"};
            for (std::uint64_t k = 0; k < locks; ++k) {
                boost::json::object lock(&mr);
                lock.emplace("lock_scene", scenes[(k + r.below(2)) % 2]);
                char src[32];
                put_hex64(src, r.next());
                put_hex64(src + 16, r.next());
                lock.emplace("lock_source_id", std::string_view(src, 32));
                arr.emplace_back(std::move(lock));
            }
            obj.emplace("cbc_operation_locks", std::move(arr));
        }
        obj.emplace("charging_mode", yearly ? 1 : 0);
        obj.emplace("create_time", create_time);
        if (has_eip) obj.emplace("eip_address", std::string_view(eip, eip_len));
        if (i % 100 == 61)
            obj.emplace("enterprise_project_id", nullptr);  // null must read as absent
        else
            obj.emplace("enterprise_project_id",
                        default_ep ? std::string_view("0") : std::string_view(ep, 36));
        obj.emplace("id", id_sv);
        obj.emplace("instance_name", name);
        obj.emplace("instance_status", statuses[status].code);
        if (lb != 0) obj.emplace("loadbalancer_provider", lb == 1 ? "lvs" : "elb");
        obj.emplace("project_id", project_id);
        if (extras) {
            boost::json::array ips(&mr);
            boost::json::object ip(&mr);
            ip.emplace("ip_address", std::string_view(eip, eip_len));
            ip.emplace("bandwidth_size", 5);
            ip.emplace("ipv6", false);
            ips.emplace_back(std::move(ip));
            obj.emplace("publicips", std::move(ips));
        }
        obj.emplace("spec", spec);
        obj.emplace("status", statuses[status].name);
        if (extras) {
            boost::json::array features(&mr);
            features.emplace_back("lts");
            features.emplace_back("gateway_responses");
            obj.emplace("supported_features", std::move(features));
        }
        obj.emplace("type", "apig");

        out.offsets.push_back(out.blob.size());
        boost::json::serializer sr;
        sr.reset(&obj);
        char buf[2048];
        while (!sr.done()) out.blob.append(sr.read(buf));
        out.blob.push_back(',');

        out.ids.append(id_sv);
        out.name_offsets.push_back(out.names.size());
        out.names.append(name);
        out.statuses.push_back(static_cast<std::uint8_t>(status));
    }
};

generator make_generator(std::string_view project_id, std::size_t project_index,
                         std::uint64_t seed) noexcept {
    return generator{project_id, fmix64(seed ^ fmix64(0x243f6a8885a308d3ULL + project_index))};
}

}  // namespace

std::span<status_def const> status_table() noexcept { return statuses; }

int find_status(std::string_view name) noexcept {
    for (std::size_t k = 0; k < statuses.size(); ++k)
        if (statuses[k].name == name) return static_cast<int>(k);
    return -1;
}

std::span<std::string_view const> spec_table() noexcept { return specs; }

project_dataset make_dataset(std::string project_id, std::size_t project_index,
                             std::uint64_t seed, std::size_t count) {
    generator const gen = make_generator(project_id, project_index, seed);

    // Chunks of a large dataset are built in parallel, then concatenated (instance i depends
    // only on i, so the split does not change the result).
    std::size_t workers = 1;
    if (count >= 100000)
        workers = std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 8);
    std::vector<chunk> chunks(workers);
    auto build_range = [&](std::size_t w) {
        std::size_t const first = count * w / workers;
        std::size_t const last = count * (w + 1) / workers;
        chunk& c = chunks[w];
        c.blob.reserve((last - first) * 400);
        c.offsets.reserve(last - first);
        c.ids.reserve((last - first) * 32);
        c.names.reserve((last - first) * 12);
        c.name_offsets.reserve(last - first);
        c.statuses.reserve(last - first);
        for (std::size_t i = first; i < last; ++i) gen.build(i, c);
    };
    if (workers == 1) {
        build_range(0);
    } else {
        std::vector<std::thread> threads;
        for (std::size_t w = 1; w < workers; ++w) threads.emplace_back(build_range, w);
        build_range(0);
        for (auto& t : threads) t.join();
    }

    project_dataset ds;
    ds.project_id = std::move(project_id);
    if (workers == 1) {
        chunk& c = chunks[0];
        ds.blob = std::move(c.blob);
        ds.offsets = std::move(c.offsets);
        ds.ids = std::move(c.ids);
        ds.names = std::move(c.names);
        ds.name_offsets = std::move(c.name_offsets);
        ds.statuses = std::move(c.statuses);
    } else {
        std::size_t blob_size = 0, names_size = 0;
        for (auto const& c : chunks) {
            blob_size += c.blob.size();
            names_size += c.names.size();
        }
        ds.blob.reserve(blob_size);
        ds.names.reserve(names_size);
        ds.ids.reserve(count * 32);
        ds.offsets.reserve(count + 1);
        ds.name_offsets.reserve(count + 1);
        ds.statuses.reserve(count);
        for (auto& c : chunks) {
            std::size_t const base = ds.blob.size();
            for (auto o : c.offsets) ds.offsets.push_back(base + o);
            ds.blob.append(c.blob);
            std::size_t const name_base = ds.names.size();
            for (auto o : c.name_offsets) ds.name_offsets.push_back(name_base + o);
            ds.names.append(c.names);
            ds.ids.append(c.ids);
            ds.statuses.insert(ds.statuses.end(), c.statuses.begin(), c.statuses.end());
            c = chunk{};  // free as we go: peak memory stays near one copy plus one chunk
        }
    }
    // The blob ends with a ',' after the last instance: drop it, and let the final offset
    // stand where it would have started the next instance.
    if (!ds.blob.empty()) ds.blob.pop_back();
    ds.offsets.push_back(ds.blob.size() + 1);
    ds.name_offsets.push_back(ds.names.size());
    // Only the single chunk was reserved by estimate; the merged blob was reserved exactly,
    // and shrinking it would copy hundreds of megabytes for nothing.
    if (workers == 1) ds.blob.shrink_to_fit();
    return ds;
}

instance_record make_instance(std::string_view project_id, std::size_t project_index,
                              std::uint64_t seed, std::size_t index) {
    chunk c;
    make_generator(project_id, project_index, seed).build(index, c);
    c.blob.pop_back();  // the ',' that would separate it from the next instance
    return instance_record{std::move(c.blob), std::move(c.ids), std::move(c.names),
                           c.statuses.front()};
}

}  // namespace apig::emulator::detail
