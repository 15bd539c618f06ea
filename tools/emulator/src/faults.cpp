// Fault injection: see faults.hpp, and fault_options for the order in which faults apply.

#include "faults.hpp"

#include "dataset.hpp"  // fmix64

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace apig::emulator {

std::string_view to_string(fault_kind f) noexcept {
    switch (f) {
    case fault_kind::none: return "none";
    case fault_kind::status_500: return "status_500";
    case fault_kind::status_503: return "status_503";
    case fault_kind::reset: return "reset";
    case fault_kind::truncate: return "truncate";
    case fault_kind::malformed: return "malformed";
    case fault_kind::fail_first: return "fail_first";
    case fault_kind::fail_next: return "fail_next";
    case fault_kind::closed_after: return "closed_after";
    }
    return "unknown";
}

namespace detail {

void fault_context::reseed(std::uint64_t seed, std::uint64_t connection_id) noexcept {
    state = fmix64(seed ^ fmix64(connection_id + 0x9e3779b97f4a7c15ULL));
}

double fault_context::uniform() noexcept {
    state += 0x9e3779b97f4a7c15ULL;
    return static_cast<double>(fmix64(state) >> 11) * 0x1.0p-53;
}

bool is_active(fault_options const& f) noexcept {
    return f.probability_500 > 0 || f.probability_503 > 0 || f.probability_reset > 0 ||
           f.probability_truncate > 0 || f.probability_malformed_json > 0 ||
           f.delay.count() > 0 || f.delay_jitter.count() > 0 || f.close_after_requests > 0 ||
           f.fail_first_per_page > 0;
}

void validate(fault_options const& f) {
    auto check_p = [](double p, char const* name) {
        // Written so that NaN fails too.
        if (!(p >= 0.0 && p <= 1.0))
            throw std::invalid_argument(std::string("apig-emulator: fault_options::") + name +
                                        " must be in [0, 1]");
    };
    check_p(f.probability_500, "probability_500");
    check_p(f.probability_503, "probability_503");
    check_p(f.probability_reset, "probability_reset");
    check_p(f.probability_truncate, "probability_truncate");
    check_p(f.probability_malformed_json, "probability_malformed_json");
    if (f.fail_first_status < 400 || f.fail_first_status > 599)
        throw std::invalid_argument(
            "apig-emulator: fault_options::fail_first_status must be in 400..599");
    if (f.delay.count() < 0 || f.delay_jitter.count() < 0)
        throw std::invalid_argument("apig-emulator: fault_options delays must not be negative");
}

void fault_injector::set(fault_options const& f) {
    validate(f);
    std::lock_guard lock(mu_);
    cfg_ = f;
    ++generation_;
    fail_first_counts_.clear();
    active_.store(is_active(f), std::memory_order_relaxed);
}

fault_options fault_injector::get() const {
    std::lock_guard lock(mu_);
    return cfg_;
}

fault_context* fault_injector::load(std::optional<fault_context>& fc,
                                    std::uint64_t connection_id) {
    if (!active_.load(std::memory_order_relaxed)) return nullptr;
    if (!fc) fc.emplace();
    std::lock_guard lock(mu_);
    if (!is_active(cfg_)) return nullptr;
    if (fc->generation != generation_) {
        fc->generation = generation_;
        fc->reseed(cfg_.seed, connection_id);
    }
    fc->o = cfg_;
    return &*fc;
}

fault_draw fault_injector::draw(fault_context& fc, std::string const& project,
                                std::int64_t offset, std::int64_t limit) {
    fault_options const& o = fc.o;
    fault_draw d;
    if (o.fail_first_per_page > 0) {
        std::lock_guard lock(mu_);
        auto it = fail_first_counts_.find(std::forward_as_tuple(project, offset, limit));
        if (it == fail_first_counts_.end())
            it = fail_first_counts_.emplace(std::make_tuple(project, offset, limit), 0).first;
        if (it->second < o.fail_first_per_page) {
            ++it->second;
            d.status = o.fail_first_status;
            d.fault = fault_kind::fail_first;
        }
    }
    // Always six draws, so one request's outcome never shifts the next one's draws.
    double u[6];
    for (double& x : u) x = fc.uniform();
    if (d.fault == fault_kind::none) {
        if (u[0] < o.probability_500) {
            d.fault = fault_kind::status_500;
            d.status = 500;
        } else if (u[1] < o.probability_503) {
            d.fault = fault_kind::status_503;
            d.status = 503;
        } else if (u[2] < o.probability_reset) {
            d.fault = fault_kind::reset;
        } else if (u[3] < o.probability_truncate) {
            d.fault = fault_kind::truncate;
        } else if (u[4] < o.probability_malformed_json) {
            d.fault = fault_kind::malformed;
        }
    }
    auto const jitter = static_cast<double>(o.delay_jitter.count());
    auto const extra = std::min(static_cast<std::int64_t>(std::floor(u[5] * (jitter + 1))),
                                static_cast<std::int64_t>(o.delay_jitter.count()));
    d.delay = o.delay + std::chrono::milliseconds(extra);
    return d;
}

void fault_injector::fail_next(std::size_t count, unsigned status) noexcept {
    std::uint64_t const c = std::min<std::uint64_t>(count, (std::uint64_t{1} << 48) - 1);
    failures_.store((c << 16) | (status & 0xffff), std::memory_order_relaxed);
}

std::optional<unsigned> fault_injector::take_failure() noexcept {
    std::uint64_t cur = failures_.load(std::memory_order_relaxed);
    while ((cur >> 16) != 0) {
        if (failures_.compare_exchange_weak(cur, cur - (std::uint64_t{1} << 16),
                                            std::memory_order_relaxed))
            return static_cast<unsigned>(cur & 0xffff);
    }
    return std::nullopt;
}

}  // namespace detail
}  // namespace apig::emulator
