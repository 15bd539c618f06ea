// JSON -> model: a boost::json::basic_parser handler that writes straight into an
// instance_page, with no DOM.
//
// Design (the decoder is on the hot path of every page):
// - The handler is a flat state machine over the page's fixed shape
//   (root object > instances array > instance object > cbc_operation_locks array > lock
//   object). Anything else (unknown fields of any shape) is skipped with a nesting counter:
//   no allocation, no stack.
// - Keys are matched by a switch on their length, then one comparison; a key split across
//   chunks is assembled in a fixed 32-byte buffer (longer keys are unknown by definition).
// - Strings go straight into their target std::string (one allocation of the right size when
//   the string arrives in one piece). Enum names are matched from the parser's buffer without
//   allocating; only a name split across chunks is assembled, in a reused scratch string.
// - The JSON path of an error is rebuilt from the state machine when (and only when) an error
//   occurs, so the happy path keeps no path strings.
//
// Semantics:
// - The root must be an object. `null` for a field means "absent" (std::nullopt, or an empty
//   `instances`). Elements of `instances` / `cbc_operation_locks` must be objects.
// - Integer fields reject strings, booleans and any floating-point number, i.e. any number
//   written with a fraction or an exponent (1.5, 6.0, 1e3, 1e19, and 1e400, which no double
//   holds: "expected an integer, got a floating-point number[ beyond the range of a double]");
//   int32 fields reject integers outside int32, int64 fields integers outside int64 ("integer
//   out of int64 range", also for a run of digits beyond uint64). `-0` is the integer 0.
//   An exponent beyond INT_MAX (1e99999999999) is invalid JSON ("exponent overflow"), as
//   Boost.JSON 1.81's parser has it; the decoder says so itself with later Boosts, whose
//   parser takes such a number. `size` and `total` must not be negative.
// - Duplicate keys: the last one wins (a later `"id":null` makes `id` absent again; a second
//   `instances` array replaces the first).
// - Invalid JSON (including invalid UTF-8, and nesting deeper than 64 levels) is reported with
//   the parser's message and the byte offset. The offset is exact for a body decoded whole;
//   when a bad token began in an earlier piece of the body it may be off by the length of the
//   token (Boost.JSON counts from where it resumed), the message being otherwise the same.
// - A string where none belongs is refused once the parser has validated all of it, so the
//   error is the same whole or in pieces.
// - The root's own path is written `$`, e.g. `bad response: $: expected an object, got an array`.

#include "json/decode.hpp"

#include <cstddef>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <new>
#include <string>
#include <utility>

namespace apig::json {
namespace {

using boost::system::error_code;

constexpr std::size_t max_depth = 64;

enum class field : std::uint8_t {
    unknown,
    // root
    size,
    total,
    instances,
    // instance
    id,
    project_id,
    instance_name,
    status,
    instance_status,
    type,
    spec,
    create_time,
    enterprise_project_id,
    eip_address,
    charging_mode,
    cbc_metadata,
    loadbalancer_provider,
    cbc_operation_locks,
    // cbc_operation_lock
    lock_scene,
    lock_source_id,
};

enum class kind : std::uint8_t { none, string, enum_string, int32, int64, array };

constexpr std::uint32_t bit(field f) noexcept { return std::uint32_t{1} << static_cast<unsigned>(f); }
static_assert(static_cast<unsigned>(field::lock_source_id) < 32, "a field is a bit of a std::uint32_t");

constexpr std::string_view field_name(field f) noexcept {
    switch (f) {
    case field::unknown: return "?";
    case field::size: return "size";
    case field::total: return "total";
    case field::instances: return "instances";
    case field::id: return "id";
    case field::project_id: return "project_id";
    case field::instance_name: return "instance_name";
    case field::status: return "status";
    case field::instance_status: return "instance_status";
    case field::type: return "type";
    case field::spec: return "spec";
    case field::create_time: return "create_time";
    case field::enterprise_project_id: return "enterprise_project_id";
    case field::eip_address: return "eip_address";
    case field::charging_mode: return "charging_mode";
    case field::cbc_metadata: return "cbc_metadata";
    case field::loadbalancer_provider: return "loadbalancer_provider";
    case field::cbc_operation_locks: return "cbc_operation_locks";
    case field::lock_scene: return "lock_scene";
    case field::lock_source_id: return "lock_source_id";
    }
    return "?";
}

constexpr kind field_kind(field f) noexcept {
    switch (f) {
    case field::unknown: return kind::none;
    case field::size:
    case field::instance_status:
    case field::charging_mode: return kind::int32;
    case field::total:
    case field::create_time: return kind::int64;
    case field::instances:
    case field::cbc_operation_locks: return kind::array;
    case field::status:
    case field::spec:
    case field::loadbalancer_provider: return kind::enum_string;
    case field::id:
    case field::project_id:
    case field::instance_name:
    case field::type:
    case field::enterprise_project_id:
    case field::eip_address:
    case field::cbc_metadata:
    case field::lock_scene:
    case field::lock_source_id: return kind::string;
    }
    return kind::none;
}

// `k` (whose length the caller's switch has checked) equals `lit`: a fixed-size compare the
// compiler inlines, where string_view's == is a call to memcmp (a fifth of the decoder's time).
template <std::size_t N>
inline bool is(std::string_view k, char const (&lit)[N]) noexcept {
    return std::memcmp(k.data(), lit, N - 1) == 0;
}

field match_root_key(std::string_view k) noexcept {
    switch (k.size()) {
    case 4: if (is(k, "size")) return field::size; break;
    case 5: if (is(k, "total")) return field::total; break;
    case 9: if (is(k, "instances")) return field::instances; break;
    default: break;
    }
    return field::unknown;
}

field match_instance_key(std::string_view k) noexcept {
    switch (k.size()) {
    case 2: if (is(k, "id")) return field::id; break;
    case 4:
        if (is(k, "type")) return field::type;
        if (is(k, "spec")) return field::spec;
        break;
    case 6: if (is(k, "status")) return field::status; break;
    case 10: if (is(k, "project_id")) return field::project_id; break;
    case 11:
        if (is(k, "create_time")) return field::create_time;
        if (is(k, "eip_address")) return field::eip_address;
        break;
    case 12: if (is(k, "cbc_metadata")) return field::cbc_metadata; break;
    case 13:
        if (is(k, "instance_name")) return field::instance_name;
        if (is(k, "charging_mode")) return field::charging_mode;
        break;
    case 15: if (is(k, "instance_status")) return field::instance_status; break;
    case 19: if (is(k, "cbc_operation_locks")) return field::cbc_operation_locks; break;
    case 21:
        if (is(k, "enterprise_project_id")) return field::enterprise_project_id;
        if (is(k, "loadbalancer_provider")) return field::loadbalancer_provider;
        break;
    default: break;
    }
    return field::unknown;
}

field match_lock_key(std::string_view k) noexcept {
    switch (k.size()) {
    case 10: if (is(k, "lock_scene")) return field::lock_scene; break;
    case 14: if (is(k, "lock_source_id")) return field::lock_source_id; break;
    default: break;
    }
    return field::unknown;
}

inline std::string_view sv(boost::json::string_view s) noexcept { return {s.data(), s.size()}; }

void append_index(std::string& out, std::size_t i) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, i);
    out += '[';
    out.append(buf, r.ptr);
    out += ']';
}

/// The basic_parser handler. Public members are the parser's callbacks.
class handler {
public:
    static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);

    explicit handler(instance_page& out, instance_sink sink = {}) : out_(out), sink_(sink) {}

    /// "bad response: <path>: <what>" once a value was refused; empty otherwise.
    std::string const& message() const noexcept { return message_; }

    bool on_document_begin(error_code&) { return true; }
    bool on_document_end(error_code&) {
        if (!instances_seen_) out_.instances.clear();  // a reused page's instances were not replaced
        return true;
    }

    bool on_object_begin(error_code& ec) {
        if (skip_ != 0) { ++skip_; return true; }
        switch (ctx_) {
        case ctx::top: ctx_ = ctx::root; return true;
        case ctx::instances:
            // A reused page's earlier instance is overwritten in place: its strings keep
            // their storage (see `instance_page` reuse in the header).
            inst_ = count_ < out_.instances.size() ? &out_.instances[count_] : &out_.instances.emplace_back();
            ++count_;
            seen_ = 0;
            ctx_ = ctx::instance;
            return true;
        case ctx::locks:
            lock_ = &locks_->emplace_back();
            ctx_ = ctx::lock;
            return true;
        default:
            if (field_ == field::unknown) { skip_ = 1; return true; }
            return mismatch(ec, "an object");
        }
    }

    bool on_object_end(std::size_t, error_code&) {
        if (skip_ != 0) { --skip_; return true; }
        switch (ctx_) {
        case ctx::instance:
            if (seen_ != all_instance_fields) clear_unseen();
            if (sink_.fn) sink_.fn(sink_.ctx, count_ - 1, *inst_);
            ctx_ = ctx::instances;
            break;
        case ctx::lock: ctx_ = ctx::locks; break;
        default: ctx_ = ctx::end; break;  // the root
        }
        return true;
    }

    bool on_array_begin(error_code& ec) {
        if (skip_ != 0) { ++skip_; return true; }
        switch (ctx_) {
        case ctx::root:
        case ctx::instance:
        case ctx::lock:
            if (field_ == field::unknown) { skip_ = 1; return true; }
            if (field_ == field::instances) {
                count_ = 0;  // a duplicate key replaces the earlier array
                instances_seen_ = true;
                ctx_ = ctx::instances;
                return true;
            }
            if (field_ == field::cbc_operation_locks) {
                locks_ = &inst_->cbc_operation_locks.emplace();
                ctx_ = ctx::locks;
                return true;
            }
            return mismatch(ec, "an array");
        default: return mismatch(ec, "an array");
        }
    }

    bool on_array_end(std::size_t, error_code&) {
        if (skip_ != 0) { --skip_; return true; }
        if (ctx_ == ctx::instances) {  // a reused page may hold more instances than this one
            out_.instances.erase(out_.instances.begin() + static_cast<std::ptrdiff_t>(count_), out_.instances.end());
        }
        ctx_ = ctx_ == ctx::locks ? ctx::instance : ctx::root;
        return true;
    }

    // Whether a piece is a key's or a string's first (or its only one) is tracked here, not
    // read from the parser's running size `n`: Boost.JSON 1.90 and later leave the bytes of a
    // UTF-8 sequence completed across two chunks out of `n` (boostorg/json#1185), so
    // `n == s.size()` can hold for a later piece.
    bool on_key_part(boost::json::string_view s, std::size_t, error_code&) {
        bool const first = !std::exchange(key_partial_, true);
        if (skip_ != 0) return true;
        if (first) key_len_ = 0;
        append_key(sv(s));
        return true;
    }

    bool on_key(boost::json::string_view s, std::size_t, error_code&) {
        bool const whole = !std::exchange(key_partial_, false);
        if (skip_ != 0) return true;
        if (whole) {  // the whole key in one piece: match in place
            field_ = match_key(sv(s));
        } else {
            append_key(sv(s));
            field_ = key_len_ <= sizeof key_buf_ ? match_key({key_buf_, key_len_}) : field::unknown;
        }
        // A known key always sets its field (or fails): what is not seen by the end of the
        // instance was absent.
        if (ctx_ == ctx::instance) seen_ |= bit(field_);
        return true;
    }

    bool on_string_part(boost::json::string_view s, std::size_t, error_code&) {
        bool const first = !std::exchange(string_partial_, true);
        if (skip_ != 0) return true;
        // A string where none belongs is refused in on_string, once the parser has checked
        // all of it: the same error whether the body arrives whole or in pieces.
        if (!in_object()) return true;
        switch (field_kind(field_)) {
        case kind::none: return true;
        case kind::string: {
            auto& slot = string_slot();
            if (!slot) slot.emplace();
            else if (first) slot->clear();  // keeps a reused string's storage
            slot->append(s.data(), s.size());
            return true;
        }
        case kind::enum_string:
            if (first) scratch_.clear();
            scratch_.append(s.data(), s.size());
            return true;
        default: return true;  // refused in on_string
        }
    }

    bool on_string(boost::json::string_view s, std::size_t, error_code& ec) {
        bool const whole = !std::exchange(string_partial_, false);
        if (skip_ != 0) return true;
        if (!in_object()) return mismatch(ec, "a string");
        switch (field_kind(field_)) {
        case kind::none: return true;
        case kind::string: {
            auto& slot = string_slot();
            if (!slot) slot.emplace(s.data(), s.size());
            else if (whole) slot->assign(s.data(), s.size());  // keeps a reused string's storage
            else slot->append(s.data(), s.size());
            return true;
        }
        case kind::enum_string: {
            std::string_view wire = sv(s);
            if (!whole) {
                scratch_.append(s.data(), s.size());
                wire = scratch_;
            }
            set_enum(wire);
            return true;
        }
        default: return mismatch(ec, "a string");
        }
    }

    bool on_number_part(boost::json::string_view s, error_code& ec) {
        if (!scan_exponent(sv(s), ec)) return false;
        // A number split across chunks: remember whether any piece had a fraction or an
        // exponent, since on_double only sees the last piece.
        if (skip_ == 0 && has_float_syntax(sv(s))) float_syntax_ = true;
        return true;
    }

    bool on_int64(std::int64_t i, boost::json::string_view, error_code& ec) {
        in_exponent_ = false;  // the end of a number (an integer has no exponent)
        if (skip_ != 0) return true;
        if (!in_object()) return mismatch(ec, "a number");
        switch (field_kind(field_)) {
        case kind::none: return true;
        case kind::int32:
            if (i < std::numeric_limits<std::int32_t>::min() ||
                i > std::numeric_limits<std::int32_t>::max())
                return fail(ec, "integer out of int32 range");
            return set_int(ec, i);
        case kind::int64: return set_int(ec, i);
        default: return mismatch(ec, "a number");
        }
    }

    bool on_uint64(std::uint64_t, boost::json::string_view, error_code& ec) {
        // Only called for values above INT64_MAX.
        in_exponent_ = false;
        if (skip_ != 0) return true;
        if (!in_object()) return mismatch(ec, "a number");
        switch (field_kind(field_)) {
        case kind::none: return true;
        case kind::int32: return fail(ec, "integer out of int32 range");
        case kind::int64: return fail(ec, "integer out of int64 range");
        default: return mismatch(ec, "a number");
        }
    }

    bool on_double(double d, boost::json::string_view s, error_code& ec) {
        bool const exponent_ok = scan_exponent(sv(s), ec);
        in_exponent_ = false;  // the end of the number
        if (!exponent_ok) return false;
        // Named by how the number is written, not by its value: `1e19`, `2.0` and `1e400` are
        // floating-point numbers; only a plain run of digits is an integer.
        bool const written_as_integer = !std::exchange(float_syntax_, false) && !has_float_syntax(sv(s));
        if (skip_ != 0) return true;
        if (!in_object()) return mismatch(ec, "a number");
        switch (field_kind(field_)) {
        case kind::none: return true;
        case kind::int32:
        case kind::int64:
            // Digits only, yet a double: Boost.JSON's parser hands over an integer beyond
            // both int64 and uint64 (-2^63 - 1 or less, 2^64 or more) this way.
            if (written_as_integer)
                return fail(ec, field_kind(field_) == kind::int32 ? "integer out of int32 range"
                                                                  : "integer out of int64 range");
            // 1e400 parses as infinity: not an integer either, and no double holds it.
            if (!std::isfinite(d))
                return mismatch(ec, "a floating-point number beyond the range of a double");
            return mismatch(ec, "a floating-point number");
        default: return mismatch(ec, "a number");
        }
    }

    bool on_bool(bool, error_code& ec) {
        if (skip_ != 0) return true;
        if (in_object() && field_ == field::unknown) return true;
        return mismatch(ec, "a boolean");
    }

    bool on_null(error_code& ec) {
        if (skip_ != 0) return true;
        if (!in_object()) return mismatch(ec, "null");
        switch (field_) {
        case field::unknown: break;
        case field::size: out_.size.reset(); break;
        case field::total: out_.total.reset(); break;
        case field::instances:
            out_.instances.clear();
            count_ = 0;
            instances_seen_ = true;
            break;
        case field::status: inst_->status.reset(); break;
        case field::instance_status: inst_->instance_status.reset(); break;
        case field::spec: inst_->spec.reset(); break;
        case field::create_time: inst_->create_time.reset(); break;
        case field::charging_mode: inst_->charging_mode.reset(); break;
        case field::loadbalancer_provider: inst_->loadbalancer_provider.reset(); break;
        case field::cbc_operation_locks: inst_->cbc_operation_locks.reset(); break;
        default: string_slot().reset(); break;
        }
        return true;
    }

    bool on_comment_part(boost::json::string_view, error_code&) { return true; }
    bool on_comment(boost::json::string_view, error_code&) { return true; }

    /// After a failed write: how many bytes before the parser's stopping point the error
    /// lies (an exponent refused by scan_exponent is found at the end of its number).
    std::size_t error_back() const noexcept { return error_back_; }

private:
    enum class ctx : std::uint8_t { top, root, instances, instance, locks, lock, end };

    /// Boost.JSON 1.81 refuses a number whose exponent is beyond INT_MAX as invalid JSON
    /// ("exponent overflow", at the digit that takes it past); 1.83 and later accept it (as
    /// infinity or zero). Refused here as 1.81 does, anywhere in the document, so that what
    /// apig calls invalid JSON does not depend on the Boost it was built with. `text` is
    /// (a piece of) a number's text; the exponent's value carries over between pieces.
    bool scan_exponent(std::string_view text, error_code& ec) noexcept {
        for (std::size_t i = 0; i < text.size(); ++i) {
            char const c = text[i];
            if (c == 'e' || c == 'E') {
                in_exponent_ = true;
                exponent_ = 0;
            } else if (in_exponent_ && c >= '0' && c <= '9') {
                exponent_ = exponent_ * 10 + (c - '0');
                if (exponent_ > std::numeric_limits<std::int32_t>::max()) {
                    in_exponent_ = false;
                    error_back_ = text.size() - i;
                    ec = boost::json::error::exponent_overflow;
                    return false;
                }
            }
        }
        return true;
    }

    /// A fraction or an exponent in (a piece of) a number's text.
    static bool has_float_syntax(std::string_view number_text) noexcept {
        return number_text.find_first_of(".eE") != std::string_view::npos;
    }

    bool in_object() const noexcept {
        return ctx_ == ctx::root || ctx_ == ctx::instance || ctx_ == ctx::lock;
    }

    field match_key(std::string_view k) const noexcept {
        switch (ctx_) {
        case ctx::root: return match_root_key(k);
        case ctx::instance: return match_instance_key(k);
        case ctx::lock: return match_lock_key(k);
        default: return field::unknown;
        }
    }

    void append_key(std::string_view s) noexcept {
        // Keys longer than the buffer are unknown: only their length keeps counting.
        if (key_len_ + s.size() <= sizeof key_buf_) std::memcpy(key_buf_ + key_len_, s.data(), s.size());
        key_len_ += s.size();
    }

    static constexpr std::uint32_t all_instance_fields =
        bit(field::id) | bit(field::project_id) | bit(field::instance_name) | bit(field::status) |
        bit(field::instance_status) | bit(field::type) | bit(field::spec) | bit(field::create_time) |
        bit(field::enterprise_project_id) | bit(field::eip_address) | bit(field::charging_mode) |
        bit(field::cbc_metadata) | bit(field::loadbalancer_provider) | bit(field::cbc_operation_locks);

    // At the end of an instance: a field its object did not carry is absent, also when a
    // reused page had it set.
    void clear_unseen() noexcept {
        auto const unseen = [&](field f) { return (seen_ & bit(f)) == 0; };
        instance& i = *inst_;
        if (unseen(field::id)) i.id.reset();
        if (unseen(field::project_id)) i.project_id.reset();
        if (unseen(field::instance_name)) i.instance_name.reset();
        if (unseen(field::status)) i.status.reset();
        if (unseen(field::instance_status)) i.instance_status.reset();
        if (unseen(field::type)) i.type.reset();
        if (unseen(field::spec)) i.spec.reset();
        if (unseen(field::create_time)) i.create_time.reset();
        if (unseen(field::enterprise_project_id)) i.enterprise_project_id.reset();
        if (unseen(field::eip_address)) i.eip_address.reset();
        if (unseen(field::charging_mode)) i.charging_mode.reset();
        if (unseen(field::cbc_metadata)) i.cbc_metadata.reset();
        if (unseen(field::loadbalancer_provider)) i.loadbalancer_provider.reset();
        if (unseen(field::cbc_operation_locks)) i.cbc_operation_locks.reset();
    }

    std::optional<std::string>& string_slot() noexcept {
        switch (field_) {
        case field::id: return inst_->id;
        case field::project_id: return inst_->project_id;
        case field::instance_name: return inst_->instance_name;
        case field::type: return inst_->type;
        case field::enterprise_project_id: return inst_->enterprise_project_id;
        case field::eip_address: return inst_->eip_address;
        case field::cbc_metadata: return inst_->cbc_metadata;
        case field::lock_scene: return lock_->lock_scene;
        default: return lock_->lock_source_id;  // field::lock_source_id
        }
    }

    // The last known name seen for one enum field, so a page of "Running" instances looks
    // its status up once, not once an instance.
    template <class E>
    struct enum_cache {
        char name[24];
        std::size_t len = sizeof name + 1;  // nothing cached
        E value{};

        void set(std::optional<string_enum<E>>& slot, std::string_view wire) {
            if (wire.size() == len && std::memcmp(wire.data(), name, len) == 0) {
                slot.emplace(value);
                return;
            }
            if (auto v = from_string<E>(wire)) {
                slot.emplace(*v);
                if (wire.size() <= sizeof name) {
                    std::memcpy(name, wire.data(), wire.size());
                    len = wire.size();
                    value = *v;
                }
                return;
            }
            slot = string_enum<E>::from_wire(wire);  // unknown: kept verbatim
        }
    };

    void set_enum(std::string_view wire) {
        switch (field_) {
        case field::status: status_cache_.set(inst_->status, wire); break;
        case field::spec: spec_cache_.set(inst_->spec, wire); break;
        default: provider_cache_.set(inst_->loadbalancer_provider, wire); break;
        }
    }

    bool set_int(error_code& ec, std::int64_t i) {
        switch (field_) {
        case field::size:
            if (i < 0) return fail(ec, "must not be negative");
            out_.size = static_cast<std::int32_t>(i);
            // A hint only: spare the vector its regrowth (capped, the server may lie).
            if (out_.instances.empty())
                out_.instances.reserve(static_cast<std::size_t>(std::min<std::int64_t>(i, 1000)));
            return true;
        case field::total:
            if (i < 0) return fail(ec, "must not be negative");
            out_.total = i;
            return true;
        case field::create_time: inst_->create_time = i; return true;
        case field::instance_status:
            if (i != last_status_code_ || !last_status_) {
                last_status_code_ = i;
                last_status_ = int_enum<apig::status>::from_wire(static_cast<std::int32_t>(i));
            }
            inst_->instance_status = *last_status_;
            return true;
        default:  // field::charging_mode
            inst_->charging_mode =
                int_enum<apig::charging_mode>::from_wire(static_cast<std::int32_t>(i));
            return true;
        }
    }

    /// "expected <what the position wants>, got <got>".
    bool mismatch(error_code& ec, std::string_view got) {
        std::string_view expected = "an object";
        if (in_object()) {
            switch (field_kind(field_)) {
            case kind::string:
            case kind::enum_string: expected = "a string"; break;
            case kind::int32:
            case kind::int64: expected = "an integer"; break;
            case kind::array: expected = "an array"; break;
            case kind::none: break;
            }
        }
        std::string what;
        what.reserve(32);
        what.append("expected ").append(expected).append(", got ").append(got);
        return fail(ec, what);
    }

    bool fail(error_code& ec, std::string_view what) {
        std::string m = "bad response: ";
        switch (ctx_) {
        case ctx::top:
        case ctx::end: m += '$'; break;
        case ctx::root: m += field_name(field_); break;
        case ctx::instances:
            m += "instances";
            append_index(m, count_);
            break;
        case ctx::instance:
            m += "instances";
            append_index(m, count_ - 1);
            m += '.';
            m += field_name(field_);
            break;
        case ctx::locks:
            m += "instances";
            append_index(m, count_ - 1);
            m += ".cbc_operation_locks";
            append_index(m, locks_->size());
            break;
        case ctx::lock:
            m += "instances";
            append_index(m, count_ - 1);
            m += ".cbc_operation_locks";
            append_index(m, locks_->size() - 1);
            m += '.';
            m += field_name(field_);
            break;
        }
        m += ": ";
        m += what;
        message_ = std::move(m);
        ec = make_error_code(errc::bad_response);
        return false;
    }

    instance_page& out_;
    instance* inst_ = nullptr;
    instance_sink sink_;
    std::size_t count_ = 0;        // instances of the current `instances` array so far
    std::uint32_t seen_ = 0;       // bit(field) of the current instance's keys so far
    bool instances_seen_ = false;  // the body had an `instances` key
    std::vector<cbc_operation_lock>* locks_ = nullptr;
    cbc_operation_lock* lock_ = nullptr;
    std::size_t skip_ = 0;  // nesting depth inside an unknown value being skipped
    bool float_syntax_ = false;  // an earlier piece of the current number had `.`, `e` or `E`
    bool in_exponent_ = false;     // the current number's text so far ends in its exponent
    std::int64_t exponent_ = 0;    // the digits of that exponent so far (at most 10 digits)
    std::size_t error_back_ = 0;   // see error_back()
    ctx ctx_ = ctx::top;
    field field_ = field::unknown;
    std::size_t key_len_ = 0;
    bool key_partial_ = false;     // a piece of the current key was seen (on_key_part)
    bool string_partial_ = false;  // a piece of the current string was seen (on_string_part)
    char key_buf_[32];
    std::string scratch_;  // an enum name split across chunks
    enum_cache<apig::status> status_cache_;
    enum_cache<apig::spec> spec_cache_;
    enum_cache<apig::loadbalancer_provider> provider_cache_;
    std::int64_t last_status_code_ = 0;
    std::optional<int_enum<apig::status>> last_status_;
    std::string message_;
};

using parser_type = boost::json::basic_parser<handler>;

boost::json::parse_options parse_opts() noexcept {
    boost::json::parse_options o;
    o.max_depth = max_depth;
    return o;
}

void reset_page(instance_page& out) noexcept {
    out.size.reset();
    out.total.reset();
    // `instances` is left as it is: the decoder overwrites a reused page's instances in place
    // and drops the ones left over (or all of them if the body has no `instances`).
}

/// Turns the outcome of a write_some into `err`; `offset` is where the parser stopped.
void record_error(error_info& err, parser_type const& p, error_code const& ec, std::size_t offset) {
    err.code = make_error_code(errc::bad_response);
    if (!p.handler().message().empty()) {
        err.message = p.handler().message();
        return;
    }
    err.message = "bad response: invalid JSON at byte ";
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, offset - std::min(offset, p.handler().error_back()));
    err.message.append(buf, r.ptr);
    err.message += ": ";
    err.message += ec.message();
}

void record_extra_data(error_info& err, std::size_t offset) {
    err.code = make_error_code(errc::bad_response);
    err.message = "bad response: invalid JSON at byte ";
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, offset);
    err.message.append(buf, r.ptr);
    err.message += ": unexpected data after the JSON document";
}

void record_out_of_memory(error_info& err) noexcept {
    err.code = make_error_code(boost::system::errc::not_enough_memory);
    try {
        err.message = "out of memory while decoding the response";
    } catch (...) {
    }
}

/// One write_some; false (with `err` set) on error.
bool feed(parser_type& p, error_info& err, std::size_t& offset, bool more, std::string_view chunk) {
    try {
        error_code ec;
        std::size_t const n = p.write_some(more, chunk.data(), chunk.size(), ec);
        if (ec) {
            record_error(err, p, ec, offset + n);
            return false;
        }
        if (n < chunk.size()) {  // the document ended before the chunk did
            record_extra_data(err, offset + n);
            return false;
        }
        offset += n;
        return true;
    } catch (std::bad_alloc const&) {
        record_out_of_memory(err);
        return false;
    } catch (std::length_error const&) {
        record_out_of_memory(err);
        return false;
    }
}

}  // namespace

// Boost.JSON 1.81's basic_parser signals "suspended or failed" by returning its own address
// (`sentinel()`) where it otherwise returns the end of the input it consumed. When the input
// buffer ends exactly where the parser object begins (an allocator without per-block headers
// can place a full read buffer right before it), a chunk consumed to its end looks like a
// suspension that saved no state, and the next chunk is parsed as a new document: a spurious
// "syntax error" at a read boundary. Putting other members first makes the parser's address
// an interior address of this object, which no other buffer can end at.
struct page_decoder::state {
    explicit state(instance_page& out, instance_sink sink) : parser(parse_opts(), out, sink) {}
    error_info err;
    std::size_t offset = 0;
    bool finished = false;
    parser_type parser;  // must not be the first member (see above)
};

page_decoder::page_decoder(instance_page& out, instance_sink sink) : st_(std::make_unique<state>(out, sink)) { reset_page(out); }

page_decoder::~page_decoder() = default;

bool page_decoder::write(std::string_view chunk) {
    if (st_->err) return false;
    if (chunk.empty() || st_->finished) return true;
    return feed(st_->parser, st_->err, st_->offset, true, chunk);
}

bool page_decoder::finish() {
    if (st_->err) return false;
    if (st_->finished) return true;
    st_->finished = true;
    return feed(st_->parser, st_->err, st_->offset, false, std::string_view("", 0));
}

error_info const& page_decoder::error() const noexcept { return st_->err; }

error_info decode_page(std::string_view body, instance_page& out) {
    // The whole body at once: no heap-allocated decoder state, and the parser never has to
    // suspend.
    error_info err;
    reset_page(out);
    try {
        // The same guard as in page_decoder::state: the parser is not at the start of its
        // storage, so `body` cannot end at its address.
        struct guarded {
            std::size_t offset = 0;
            parser_type p;
        } g{0, parser_type(parse_opts(), out)};
        feed(g.p, err, g.offset, false, body);
    } catch (std::bad_alloc const&) {
        record_out_of_memory(err);
    }
    return err;
}

namespace {

/// The text of an error-body field: strings as they are, numbers in decimal.
bool field_text(boost::json::object const& o, std::string_view key, std::string& out) {
    auto const* v = o.if_contains(boost::json::string_view(key.data(), key.size()));
    if (!v) return false;
    char buf[32];
    switch (v->kind()) {
    case boost::json::kind::string: out.assign(v->get_string().data(), v->get_string().size()); return true;
    case boost::json::kind::int64: {
        auto r = std::to_chars(buf, buf + sizeof buf, v->get_int64());
        out.assign(buf, r.ptr);
        return true;
    }
    case boost::json::kind::uint64: {
        auto r = std::to_chars(buf, buf + sizeof buf, v->get_uint64());
        out.assign(buf, r.ptr);
        return true;
    }
    case boost::json::kind::double_: {
        double const d = v->get_double();
        if (std::trunc(d) == d && std::fabs(d) < 1e15) {
            auto r = std::to_chars(buf, buf + sizeof buf, static_cast<std::int64_t>(d));
            out.assign(buf, r.ptr);
        } else {
            auto r = std::to_chars(buf, buf + sizeof buf, d);
            out.assign(buf, r.ptr);
        }
        return true;
    }
    default: return false;  // null, bool, object, array: not a usable value
    }
}

}  // namespace

bool decode_error_body(std::string_view body, std::string& api_code, std::string& api_message) {
    try {
        error_code ec;
        boost::json::value v = boost::json::parse(boost::json::string_view(body.data(), body.size()), ec);
        if (ec || !v.is_object()) return false;
        auto const& o = v.get_object();
        std::string code, message;
        // {"error_code","error_msg"} (the documented shape) first, then {"code","message"}.
        bool const a = field_text(o, "error_code", code);
        bool const b = field_text(o, "error_msg", message);
        if (!a && !b) {
            bool const c = field_text(o, "code", code);
            bool const d = field_text(o, "message", message);
            if (!c && !d) return false;
        }
        api_code = std::move(code);
        api_message = std::move(message);
        return true;
    } catch (...) {
        return false;
    }
}

}  // namespace apig::json
