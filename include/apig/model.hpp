#pragma once

#include <apig/export.hpp>

// The data model of ListInstancesV2 (GET /v2/{project_id}/apigw/instances).
//
// Every field of the API may be absent, so every field is a std::optional: an absent field
// (or a JSON null) is std::nullopt, an empty string is an engaged empty string. Enumerations
// the server may extend are `string_enum` / `int_enum`: a value apig does not know yet decodes
// to `E::unknown` and keeps its wire form, so it survives a decode/encode round trip.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace apig {

/// Instance state. The API sends it twice: as a name in `status` ("Running") and as a code in
/// `instance_status` (6); both use this enum.
enum class status : std::uint8_t {
    unknown = 0,
    creating,            ///< Creating 1
    create_success,      ///< CreateSuccess 2
    create_fail,         ///< CreateFail 3
    initing,             ///< Initing 4
    registering,         ///< Registering 5
    running,             ///< Running 6
    initing_failed,      ///< InitingFailed 7
    register_failed,     ///< RegisterFailed 8
    installing,          ///< Installing 10
    install_failed,      ///< InstallFailed 11
    updating,            ///< Updating 12
    update_failed,       ///< UpdateFailed 13
    rollbacking,         ///< Rollbacking 20
    rollback_success,    ///< RollbackSuccess 21
    rollback_failed,     ///< RollbackFailed 22
    deleting,            ///< Deleting 23
    delete_failed,       ///< DeleteFailed 24
    unregistering,       ///< Unregistering 25
    unregister_failed,   ///< UnRegisterFailed 26
    create_timeout,      ///< CreateTimeout 27
    init_timeout,        ///< InitTimeout 28
    register_timeout,    ///< RegisterTimeout 29
    install_timeout,     ///< InstallTimeout 30
    update_timeout,      ///< UpdateTimeout 31
    rollback_timeout,    ///< RollbackTimeout 32
    delete_timeout,      ///< DeleteTimeout 33
    unregister_timeout,  ///< UnregisterTimeout 34
    starting,            ///< Starting 35
    freezing,            ///< Freezing 36
    frozen,              ///< Frozen 37
    restarting,          ///< Restarting 38
    restart_fail,        ///< RestartFail 39
    unhealthy,           ///< Unhealthy 40
    restart_timeout,     ///< RestartTimeout 41
    resizing,            ///< Resizing 42
    resize_failed,       ///< ResizeFailed 43
    resize_timeout,      ///< ResizeTimeout 44
};

/// Instance edition (`spec`).
enum class spec : std::uint8_t {
    unknown = 0,
    basic,              ///< BASIC
    professional,       ///< PROFESSIONAL
    enterprise,         ///< ENTERPRISE
    platinum,           ///< PLATINUM
    basic_ipv6,         ///< BASIC_IPV6
    professional_ipv6,  ///< PROFESSIONAL_IPV6
    enterprise_ipv6,    ///< ENTERPRISE_IPV6
    platinum_ipv6,      ///< PLATINUM_IPV6
    platinum_x2,        ///< PLATINUM_X2
    platinum_x3,        ///< PLATINUM_X3
    platinum_x4,        ///< PLATINUM_X4
    platinum_x5,        ///< PLATINUM_X5
    platinum_x6,        ///< PLATINUM_X6
    platinum_x7,        ///< PLATINUM_X7
    platinum_x8,        ///< PLATINUM_X8
};

/// Billing mode (`charging_mode`, a number on the wire).
enum class charging_mode : std::uint8_t {
    unknown = 0,
    pay_per_use,     ///< 0
    yearly_monthly,  ///< 1
};

/// Load balancer of the instance (`loadbalancer_provider`).
enum class loadbalancer_provider : std::uint8_t {
    unknown = 0,
    lvs,  ///< lvs
    elb,  ///< elb
};

/// The wire name of a known value ("Running", "PLATINUM_X2", "lvs"); for `charging_mode`,
/// "pay_per_use" / "yearly_monthly". Empty for `unknown`.
APIG_DECL std::string_view to_string(status v) noexcept;
APIG_DECL std::string_view to_string(spec v) noexcept;
APIG_DECL std::string_view to_string(charging_mode v) noexcept;
APIG_DECL std::string_view to_string(loadbalancer_provider v) noexcept;

/// The inverse of `to_string`: exact, case-sensitive match of a known wire name; nullopt
/// otherwise (never `unknown`). Defined for the four enums above.
template <class E>
std::optional<E> from_string(std::string_view s) noexcept;
template <> APIG_DECL std::optional<status> from_string<status>(std::string_view s) noexcept;
template <> APIG_DECL std::optional<spec> from_string<spec>(std::string_view s) noexcept;
template <> APIG_DECL std::optional<charging_mode> from_string<charging_mode>(std::string_view s) noexcept;
template <>
APIG_DECL std::optional<loadbalancer_provider> from_string<loadbalancer_provider>(std::string_view s) noexcept;

/// Numeric codes: `instance_status` for `status` (Running = 6; -1 for unknown) and the wire
/// value of `charging_mode` (0, 1; -1 for unknown).
APIG_DECL std::int32_t to_code(status v) noexcept;
APIG_DECL std::int32_t to_code(charging_mode v) noexcept;
/// The inverse of `to_code`; nullopt for a code apig does not know.
template <class E>
std::optional<E> from_code(std::int64_t code) noexcept;
template <> APIG_DECL std::optional<status> from_code<status>(std::int64_t code) noexcept;
template <> APIG_DECL std::optional<charging_mode> from_code<charging_mode>(std::int64_t code) noexcept;

/// A string-valued enumeration the server may extend. A known wire name maps to its value;
/// any other keeps `value() == E::unknown` and the exact wire text in `wire()`.
template <class E>
class string_enum {
public:
    string_enum() = default;
    /// A known value (implicit, so `.status = apig::status::running` works).
    string_enum(E v) : value_(v) {}  // NOLINT(google-explicit-constructor)
    /// Decodes a wire name; unknown names are kept verbatim.
    static string_enum from_wire(std::string_view wire) {
        string_enum r;
        if (auto v = from_string<E>(wire)) r.value_ = *v;
        else r.raw_.assign(wire);
        return r;
    }
    E value() const noexcept { return value_; }
    bool is_unknown() const noexcept { return value_ == E{}; }
    /// The wire form: `to_string(value())` when known, the received text otherwise.
    std::string_view wire() const noexcept { return is_unknown() ? std::string_view(raw_) : to_string(value_); }

    friend bool operator==(string_enum const& a, string_enum const& b) noexcept { return a.wire() == b.wire(); }
    friend bool operator==(string_enum const& a, E b) noexcept { return !a.is_unknown() && a.value_ == b; }

private:
    E value_{};
    std::string raw_{};  // only set when value_ is unknown
};

/// A number-valued enumeration the server may extend; `code()` is always the wire number.
template <class E>
class int_enum {
public:
    int_enum() = default;
    int_enum(E v) : value_(v), code_(to_code(v)) {}  // NOLINT(google-explicit-constructor)
    static int_enum from_wire(std::int32_t code) {
        int_enum r;
        r.code_ = code;
        if (auto v = from_code<E>(code)) r.value_ = *v;
        return r;
    }
    E value() const noexcept { return value_; }
    bool is_unknown() const noexcept { return value_ == E{}; }
    std::int32_t code() const noexcept { return code_; }

    friend bool operator==(int_enum const& a, int_enum const& b) noexcept { return a.code_ == b.code_; }
    friend bool operator==(int_enum const& a, E b) noexcept { return !a.is_unknown() && a.value_ == b; }

private:
    E value_{};
    std::int32_t code_ = -1;
};

/// A billing lock on an instance (`cbc_operation_locks[]`).
struct cbc_operation_lock {
    std::optional<std::string> lock_scene{};      ///< e.g. TO_PERIOD_LOCK, SPEC_CHG_LOCK
    std::optional<std::string> lock_source_id{};

    friend bool operator==(cbc_operation_lock const&, cbc_operation_lock const&) = default;
};

/// One dedicated APIG instance (RespInstanceBase). Field names are the API's.
struct instance {
    std::optional<std::string> id{};
    std::optional<std::string> project_id{};
    std::optional<std::string> instance_name{};
    std::optional<string_enum<apig::status>> status{};         ///< "Running", ...
    std::optional<int_enum<apig::status>> instance_status{};   ///< 6, ...
    std::optional<std::string> type{};                         ///< "apig"
    std::optional<string_enum<apig::spec>> spec{};
    std::optional<std::int64_t> create_time{};                 ///< Unix epoch, milliseconds
    std::optional<std::string> enterprise_project_id{};
    std::optional<std::string> eip_address{};
    std::optional<int_enum<apig::charging_mode>> charging_mode{};
    std::optional<std::string> cbc_metadata{};
    std::optional<string_enum<apig::loadbalancer_provider>> loadbalancer_provider{};
    std::optional<std::vector<cbc_operation_lock>> cbc_operation_locks{};

    /// `create_time` as a time point (millisecond precision); nullopt when absent.
    std::optional<std::chrono::system_clock::time_point> created_at() const {
        if (!create_time) return std::nullopt;
        return std::chrono::system_clock::time_point(
            std::chrono::duration_cast<std::chrono::system_clock::duration>(
                std::chrono::milliseconds(*create_time)));
    }

    friend bool operator==(instance const&, instance const&) = default;
};

/// One page of results (RespInstancePage).
struct instance_page {
    std::optional<std::int32_t> size{};   ///< number of instances in this page, as sent
    std::optional<std::int64_t> total{};  ///< number of instances matching the request
    std::vector<instance> instances{};    ///< empty when the field is absent or null
    /// `X-Request-Id` of the response that carried this page (not part of the JSON).
    std::string request_id{};

    friend bool operator==(instance_page const&, instance_page const&) = default;
};

/// Parameters of one ListInstancesV2 call. Validated before any I/O: a value out of range
/// fails the call with `errc::invalid_argument` naming the field.
struct list_request {
    std::int64_t offset = 0;  ///< >= 0
    std::int32_t limit = 20;  ///< 1..500
    std::optional<std::string> instance_id{};
    std::optional<std::string> instance_name{};
    std::optional<string_enum<apig::status>> status{};
    /// The project to list, sent as one percent-encoded path segment (and, signed with a key
    /// pair, as X-Project-Id). None (the default): the client's `client_options::project_id`.
    /// One client may thus serve several projects of the same account and endpoint: a key
    /// pair signs each request for its project; a token must be valid for it (an IAM token
    /// is usually scoped to one project: another one is refused with HTTP 401/403). No
    /// control character, not empty (`errc::invalid_argument` before any I/O).
    std::optional<std::string> project_id{};
};

}  // namespace apig
