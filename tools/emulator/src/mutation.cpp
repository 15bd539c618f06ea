// The projects' lists and their mutation: see mutation.hpp, and mutation_options for what a
// client walking a changing list sees.

#include "mutation.hpp"

#include <algorithm>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace apig::emulator {

std::string_view to_string(mutation_position p) noexcept {
    switch (p) {
    case mutation_position::front: return "front";
    case mutation_position::random: return "random";
    case mutation_position::back: return "back";
    }
    return "unknown";
}

namespace detail {
namespace {

// The two ways of reading a project's list, with one interface for build_page.
struct dataset_view {
    project_dataset const& ds;
    std::size_t size() const noexcept { return ds.size(); }
    std::string_view json(std::size_t i) const noexcept { return ds.json(i); }
    std::string_view id(std::size_t i) const noexcept { return ds.id(i); }
    std::string_view name(std::size_t i) const noexcept { return ds.name(i); }
    int status(std::size_t i) const noexcept { return ds.statuses[i]; }
};

struct live_view {
    project_dataset const& ds;
    live_list const& l;
    std::size_t size() const noexcept { return l.order.size(); }
    instance_record const* added(std::size_t i) const noexcept {
        std::uint64_t const e = l.order[i];
        return e < ds.size() ? nullptr : &l.added[static_cast<std::size_t>(e - ds.size())];
    }
    std::size_t base(std::size_t i) const noexcept { return static_cast<std::size_t>(l.order[i]); }
    std::string_view json(std::size_t i) const noexcept {
        auto const* a = added(i);
        return a != nullptr ? std::string_view(a->json) : ds.json(base(i));
    }
    std::string_view id(std::size_t i) const noexcept {
        auto const* a = added(i);
        return a != nullptr ? std::string_view(a->id) : ds.id(base(i));
    }
    std::string_view name(std::size_t i) const noexcept {
        auto const* a = added(i);
        return a != nullptr ? std::string_view(a->name) : ds.name(base(i));
    }
    int status(std::size_t i) const noexcept {
        auto const* a = added(i);
        return a != nullptr ? a->status : ds.statuses[base(i)];
    }
};

// Builds a page's instances: a slice of the dataset (no copy) for an unfiltered page of the
// dataset, otherwise a copy into `body`.
template <class View>
page build_page(View const& v, page_query const& q, std::string& body) {
    std::size_t const n = v.size();
    page pg;
    if (!q.filtered()) {
        std::size_t const b = static_cast<std::size_t>(std::min<std::uint64_t>(q.first, n));
        std::size_t const e = static_cast<std::size_t>(std::min<std::uint64_t>(q.last, n));
        pg.total = n;
        pg.size = e - b;
        if constexpr (std::is_same_v<View, dataset_view>) {
            // The common case: one contiguous slice of the pre-serialised dataset, no copy.
            pg.instances = v.ds.slice(b, e);
        } else {
            body.clear();
            for (std::size_t i = b; i < e; ++i) {
                if (i != b) body.push_back(',');
                body.append(v.json(i));
            }
            pg.instances = body;
        }
        return pg;
    }
    // Filtered: a linear scan (simple, and fast enough for a million instances), copying
    // the page's instances into the connection's body buffer.
    int const wanted_status = q.status.empty() ? -1 : find_status(q.status);
    body.clear();
    if (q.status.empty() || wanted_status >= 0) {
        for (std::size_t i = 0; i < n; ++i) {
            if (!q.instance_id.empty() && v.id(i) != q.instance_id) continue;
            if (wanted_status >= 0 && v.status(i) != wanted_status) continue;
            if (!q.instance_name.empty() &&
                v.name(i).find(q.instance_name) == std::string_view::npos)
                continue;
            if (pg.total >= q.first && pg.total < q.last) {
                if (pg.size != 0) body.push_back(',');
                body.append(v.json(i));
                ++pg.size;
            }
            ++pg.total;
        }
    }
    pg.instances = body;
    return pg;
}

// Each instance of a project's current list through `get` (json or id), as strings.
template <class Get>
std::vector<std::string> current_list(project_dataset const& ds, live_list const& live,
                                      Get get) {
    std::vector<std::string> out;
    auto fill = [&](auto const& view) {
        out.reserve(view.size());
        for (std::size_t i = 0; i < view.size(); ++i) out.emplace_back(get(view, i));
    };
    if (live.materialised)
        fill(live_view{ds, live});
    else
        fill(dataset_view{ds});
    return out;
}

}  // namespace

bool is_active(mutation_options const& m) noexcept {
    return m.insert_per_request != 0 || m.delete_per_request != 0;
}

void live_list::reseed(std::uint64_t seed, std::size_t project_index) noexcept {
    rng_state = fmix64(seed ^ fmix64(project_index + 0x632be59bd9b4e019ULL));
}

std::size_t live_list::below(std::size_t n) noexcept {
    rng_state += 0x9e3779b97f4a7c15ULL;
    return static_cast<std::size_t>(fmix64(rng_state) % n);
}

void project_lists::init(std::vector<std::string> const& project_ids, std::uint64_t seed,
                         std::size_t instance_count, mutation_options const& m) {
    seed_ = seed;
    datasets_.reserve(project_ids.size());
    for (std::size_t k = 0; k < project_ids.size(); ++k)
        datasets_.push_back(make_dataset(project_ids[k], k, seed, instance_count));
    lives_.resize(datasets_.size());
    set_mutation(m);
}

std::optional<std::size_t> project_lists::find(std::string_view pid) const noexcept {
    for (std::size_t p = 0; p < datasets_.size(); ++p)
        if (datasets_[p].project_id == pid) return p;
    return std::nullopt;
}

page project_lists::serve(std::size_t p, page_query const& q, std::string& body) {
    project_dataset const& ds = datasets_[p];
    if (!live_.load(std::memory_order_acquire)) return build_page(dataset_view{ds}, q, body);
    // Serve, then change the list, in one step: every request sees one whole list.
    std::lock_guard lock(mu_);
    live_list const& live = lives_[p];
    page const pg = live.materialised ? build_page(live_view{ds, live}, q, body)
                                      : build_page(dataset_view{ds}, q, body);
    mutate(p);
    return pg;
}

void project_lists::set_mutation(mutation_options const& m) {
    if (m.position != mutation_position::front && m.position != mutation_position::random &&
        m.position != mutation_position::back)
        throw std::invalid_argument("apig-emulator: mutation_options::position is invalid");
    std::lock_guard lock(mu_);
    cfg_ = m;
    bool any = false;
    for (std::size_t p = 0; p < lives_.size(); ++p) {
        lives_[p].reseed(m.seed, p);
        any = any || lives_[p].materialised;
    }
    live_.store(any || is_active(m), std::memory_order_release);
}

mutation_options project_lists::mutation() const {
    std::lock_guard lock(mu_);
    return cfg_;
}

mutation_stats project_lists::stats(std::size_t p) const {
    std::lock_guard lock(mu_);
    return lives_.at(p).stats;
}

std::vector<std::string> project_lists::instances_json(std::size_t p) const {
    auto const& ds = datasets_.at(p);
    std::lock_guard lock(mu_);
    return current_list(ds, lives_.at(p), [](auto const& v, std::size_t i) { return v.json(i); });
}

std::vector<std::string> project_lists::ids(std::size_t p) const {
    auto const& ds = datasets_.at(p);
    std::lock_guard lock(mu_);
    return current_list(ds, lives_.at(p), [](auto const& v, std::size_t i) { return v.id(i); });
}

void project_lists::mutate(std::size_t p) {
    mutation_options const& m = cfg_;
    if (!is_active(m)) return;
    project_dataset const& ds = datasets_[p];
    live_list& l = lives_[p];
    std::size_t const n = ds.size();
    if (!l.materialised) {
        l.order.resize(n);
        for (std::size_t i = 0; i < n; ++i) l.order[i] = i;
        l.materialised = true;
    }
    ++l.stats.requests;
    auto release = [&](std::uint64_t e) {
        if (e >= n) l.added[static_cast<std::size_t>(e - n)] = instance_record{};
    };

    std::size_t const d = std::min(m.delete_per_request, l.order.size());
    switch (m.position) {
    case mutation_position::front:
        for (std::size_t k = 0; k < d; ++k) release(l.order[k]);
        l.order.erase(l.order.begin(), l.order.begin() + static_cast<std::ptrdiff_t>(d));
        break;
    case mutation_position::back:
        for (std::size_t k = l.order.size() - d; k < l.order.size(); ++k) release(l.order[k]);
        l.order.resize(l.order.size() - d);
        break;
    case mutation_position::random:
        for (std::size_t k = 0; k < d; ++k) {
            std::size_t const at = l.below(l.order.size());
            release(l.order[at]);
            l.order.erase(l.order.begin() + static_cast<std::ptrdiff_t>(at));
        }
        break;
    }
    l.stats.deleted += d;

    std::size_t const ins = m.insert_per_request;
    if (ins == 0) return;
    l.added.reserve(l.added.size() + ins);
    l.order.reserve(l.order.size() + ins);
    std::size_t const first_new = l.added.size();
    for (std::size_t k = 0; k < ins; ++k)
        l.added.push_back(make_instance(ds.project_id, p, seed_, n + first_new + k));
    auto entry = [&](std::size_t k) { return static_cast<std::uint64_t>(n + first_new + k); };
    switch (m.position) {
    case mutation_position::front: {
        // As a block, in insertion order, so the first new instance is at offset 0.
        std::vector<std::uint64_t> block(ins);
        for (std::size_t k = 0; k < ins; ++k) block[k] = entry(k);
        l.order.insert(l.order.begin(), block.begin(), block.end());
        break;
    }
    case mutation_position::back:
        for (std::size_t k = 0; k < ins; ++k) l.order.push_back(entry(k));
        break;
    case mutation_position::random:
        for (std::size_t k = 0; k < ins; ++k) {
            std::size_t const at = l.below(l.order.size() + 1);
            l.order.insert(l.order.begin() + static_cast<std::ptrdiff_t>(at), entry(k));
        }
        break;
    }
    l.stats.inserted += ins;
}

}  // namespace detail
}  // namespace apig::emulator
