// Model -> compact JSON, hand-written appends (no DOM). Field names and order are the API's
// (the RespInstanceBase table of the API document); absent fields are omitted; numbers are
// written as numbers; unknown enum values are written in their wire form.
//
// Strings: `"` and `\` are escaped, control characters as \b \f \n \r \t or \u00XX; every
// other byte (UTF-8 included) is copied as is. The model's strings are expected to be valid
// UTF-8 (everything the decoder produces is); invalid bytes are not repaired.

#include "json/encode.hpp"

#include <charconv>
#include <cstdint>
#include <type_traits>

namespace apig::json {
namespace {

void append_string(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    std::size_t run = 0;  // start of the pending run of bytes copied verbatim
    for (std::size_t i = 0; i < s.size(); ++i) {
        auto const c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        out.append(s.data() + run, i - run);
        run = i + 1;
        switch (c) {
        case '"': out.append("\\\""); break;
        case '\\': out.append("\\\\"); break;
        case '\b': out.append("\\b"); break;
        case '\f': out.append("\\f"); break;
        case '\n': out.append("\\n"); break;
        case '\r': out.append("\\r"); break;
        case '\t': out.append("\\t"); break;
        default: {
            char const esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
            out.append(esc, sizeof esc);
        }
        }
    }
    out.append(s.data() + run, s.size() - run);
    out += '"';
}

void append_int(std::string& out, std::int64_t v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

/// Writes `"name":` preceded by a comma unless it is the object's first member.
void append_key(std::string& out, bool& first, std::string_view name) {
    if (!first) out += ',';
    first = false;
    out += '"';
    out.append(name);  // field names need no escaping
    out.append("\":");
}

void member(std::string& out, bool& first, std::string_view name, std::optional<std::string> const& v) {
    if (!v) return;
    append_key(out, first, name);
    append_string(out, *v);
}

template <class E>
void member(std::string& out, bool& first, std::string_view name, std::optional<string_enum<E>> const& v) {
    if (!v) return;
    append_key(out, first, name);
    append_string(out, v->wire());
}

template <class E>
void member(std::string& out, bool& first, std::string_view name, std::optional<int_enum<E>> const& v) {
    if (!v) return;
    append_key(out, first, name);
    append_int(out, v->code());
}

template <class I>
void member(std::string& out, bool& first, std::string_view name, std::optional<I> const& v)
    requires std::is_integral_v<I>
{
    if (!v) return;
    append_key(out, first, name);
    append_int(out, *v);
}

}  // namespace

void append_instance(std::string& out, instance const& inst) {
    bool first = true;
    out += '{';
    member(out, first, "id", inst.id);
    member(out, first, "project_id", inst.project_id);
    member(out, first, "instance_name", inst.instance_name);
    member(out, first, "status", inst.status);
    member(out, first, "instance_status", inst.instance_status);
    member(out, first, "type", inst.type);
    member(out, first, "spec", inst.spec);
    member(out, first, "create_time", inst.create_time);
    member(out, first, "enterprise_project_id", inst.enterprise_project_id);
    member(out, first, "eip_address", inst.eip_address);
    member(out, first, "charging_mode", inst.charging_mode);
    member(out, first, "cbc_metadata", inst.cbc_metadata);
    member(out, first, "loadbalancer_provider", inst.loadbalancer_provider);
    if (inst.cbc_operation_locks) {
        append_key(out, first, "cbc_operation_locks");
        out += '[';
        bool first_lock = true;
        for (auto const& lock : *inst.cbc_operation_locks) {
            if (!first_lock) out += ',';
            first_lock = false;
            bool first_member = true;
            out += '{';
            member(out, first_member, "lock_scene", lock.lock_scene);
            member(out, first_member, "lock_source_id", lock.lock_source_id);
            out += '}';
        }
        out += ']';
    }
    out += '}';
}

void append_page(std::string& out, instance_page const& page) {
    bool first = true;
    out += '{';
    member(out, first, "total", page.total);
    member(out, first, "size", page.size);
    append_key(out, first, "instances");
    out += '[';
    for (std::size_t i = 0; i < page.instances.size(); ++i) {
        if (i != 0) out += ',';
        append_instance(out, page.instances[i]);
    }
    out += "]}";
}

}  // namespace apig::json
