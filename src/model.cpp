// Enum <-> wire name / code tables of the ListInstancesV2 model. One table per enum; every
// conversion is a linear scan of its (small, static) table, so the tables are the single
// source of truth.

#include <apig/model.hpp>

#include <array>
#include <cstddef>

namespace apig {
namespace {

struct status_entry {
    status value;
    std::string_view name;
    std::int32_t code;
};

// Names and codes exactly as in the API documentation (note "UnRegisterFailed" but
// "UnregisterTimeout"; codes 9 and 14..19 are unused).
constexpr std::array<status_entry, 37> status_table{{
    {status::creating, "Creating", 1},
    {status::create_success, "CreateSuccess", 2},
    {status::create_fail, "CreateFail", 3},
    {status::initing, "Initing", 4},
    {status::registering, "Registering", 5},
    {status::running, "Running", 6},
    {status::initing_failed, "InitingFailed", 7},
    {status::register_failed, "RegisterFailed", 8},
    {status::installing, "Installing", 10},
    {status::install_failed, "InstallFailed", 11},
    {status::updating, "Updating", 12},
    {status::update_failed, "UpdateFailed", 13},
    {status::rollbacking, "Rollbacking", 20},
    {status::rollback_success, "RollbackSuccess", 21},
    {status::rollback_failed, "RollbackFailed", 22},
    {status::deleting, "Deleting", 23},
    {status::delete_failed, "DeleteFailed", 24},
    {status::unregistering, "Unregistering", 25},
    {status::unregister_failed, "UnRegisterFailed", 26},
    {status::create_timeout, "CreateTimeout", 27},
    {status::init_timeout, "InitTimeout", 28},
    {status::register_timeout, "RegisterTimeout", 29},
    {status::install_timeout, "InstallTimeout", 30},
    {status::update_timeout, "UpdateTimeout", 31},
    {status::rollback_timeout, "RollbackTimeout", 32},
    {status::delete_timeout, "DeleteTimeout", 33},
    {status::unregister_timeout, "UnregisterTimeout", 34},
    {status::starting, "Starting", 35},
    {status::freezing, "Freezing", 36},
    {status::frozen, "Frozen", 37},
    {status::restarting, "Restarting", 38},
    {status::restart_fail, "RestartFail", 39},
    {status::unhealthy, "Unhealthy", 40},
    {status::restart_timeout, "RestartTimeout", 41},
    {status::resizing, "Resizing", 42},
    {status::resize_failed, "ResizeFailed", 43},
    {status::resize_timeout, "ResizeTimeout", 44},
}};

struct spec_entry {
    spec value;
    std::string_view name;
};

constexpr std::array<spec_entry, 15> spec_table{{
    {spec::basic, "BASIC"},
    {spec::professional, "PROFESSIONAL"},
    {spec::enterprise, "ENTERPRISE"},
    {spec::platinum, "PLATINUM"},
    {spec::basic_ipv6, "BASIC_IPV6"},
    {spec::professional_ipv6, "PROFESSIONAL_IPV6"},
    {spec::enterprise_ipv6, "ENTERPRISE_IPV6"},
    {spec::platinum_ipv6, "PLATINUM_IPV6"},
    {spec::platinum_x2, "PLATINUM_X2"},
    {spec::platinum_x3, "PLATINUM_X3"},
    {spec::platinum_x4, "PLATINUM_X4"},
    {spec::platinum_x5, "PLATINUM_X5"},
    {spec::platinum_x6, "PLATINUM_X6"},
    {spec::platinum_x7, "PLATINUM_X7"},
    {spec::platinum_x8, "PLATINUM_X8"},
}};

struct charging_mode_entry {
    charging_mode value;
    std::string_view name;
    std::int32_t code;
};

constexpr std::array<charging_mode_entry, 2> charging_mode_table{{
    {charging_mode::pay_per_use, "pay_per_use", 0},
    {charging_mode::yearly_monthly, "yearly_monthly", 1},
}};

struct loadbalancer_provider_entry {
    loadbalancer_provider value;
    std::string_view name;
};

constexpr std::array<loadbalancer_provider_entry, 2> loadbalancer_provider_table{{
    {loadbalancer_provider::lvs, "lvs"},
    {loadbalancer_provider::elb, "elb"},
}};

// Every enumerator except `unknown` appears exactly once, in declaration order.
template <class Table>
constexpr bool dense(Table const& t) {
    for (std::size_t i = 0; i < t.size(); ++i)
        if (static_cast<std::size_t>(t[i].value) != i + 1) return false;
    return true;
}
static_assert(dense(status_table));
static_assert(dense(spec_table));
static_assert(dense(charging_mode_table));
static_assert(dense(loadbalancer_provider_table));
static_assert(static_cast<std::size_t>(status::resize_timeout) == status_table.size());
static_assert(static_cast<std::size_t>(spec::platinum_x8) == spec_table.size());

// Tables are dense (checked above), so value -> entry is an index.
template <class Table, class E>
constexpr auto const* entry_of(Table const& t, E v) noexcept {
    auto i = static_cast<std::size_t>(v);
    return (i >= 1 && i <= t.size()) ? &t[i - 1] : nullptr;
}

template <class Table>
constexpr auto find_name(Table const& t, std::string_view s) noexcept
    -> std::optional<decltype(t[0].value)> {
    for (auto const& e : t)
        if (e.name == s) return e.value;
    return std::nullopt;
}

template <class Table>
constexpr auto find_code(Table const& t, std::int64_t code) noexcept
    -> std::optional<decltype(t[0].value)> {
    for (auto const& e : t)
        if (e.code == code) return e.value;
    return std::nullopt;
}

}  // namespace

std::string_view to_string(status v) noexcept {
    auto const* e = entry_of(status_table, v);
    return e ? e->name : std::string_view{};
}
std::string_view to_string(spec v) noexcept {
    auto const* e = entry_of(spec_table, v);
    return e ? e->name : std::string_view{};
}
std::string_view to_string(charging_mode v) noexcept {
    auto const* e = entry_of(charging_mode_table, v);
    return e ? e->name : std::string_view{};
}
std::string_view to_string(loadbalancer_provider v) noexcept {
    auto const* e = entry_of(loadbalancer_provider_table, v);
    return e ? e->name : std::string_view{};
}

template <>
std::optional<status> from_string<status>(std::string_view s) noexcept {
    return find_name(status_table, s);
}
template <>
std::optional<spec> from_string<spec>(std::string_view s) noexcept {
    return find_name(spec_table, s);
}
template <>
std::optional<charging_mode> from_string<charging_mode>(std::string_view s) noexcept {
    return find_name(charging_mode_table, s);
}
template <>
std::optional<loadbalancer_provider> from_string<loadbalancer_provider>(std::string_view s) noexcept {
    return find_name(loadbalancer_provider_table, s);
}

std::int32_t to_code(status v) noexcept {
    auto const* e = entry_of(status_table, v);
    return e ? e->code : -1;
}
std::int32_t to_code(charging_mode v) noexcept {
    auto const* e = entry_of(charging_mode_table, v);
    return e ? e->code : -1;
}

template <>
std::optional<status> from_code<status>(std::int64_t code) noexcept {
    return find_code(status_table, code);
}
template <>
std::optional<charging_mode> from_code<charging_mode>(std::int64_t code) noexcept {
    return find_code(charging_mode_table, code);
}

}  // namespace apig
