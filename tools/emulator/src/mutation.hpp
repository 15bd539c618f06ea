#pragma once

// The projects' lists as the emulator serves them: each project's immutable dataset and,
// once mutation (mutation_options) has changed it, its live list; serving a page from either.
//
// Thread-safety: the datasets never change once init() has returned. The mutation
// configuration and the live lists are behind project_lists' one mutex; `live_` (mutation
// is on, or some list has changed) is the fast path's only check: while it is false, a page
// is served from the dataset without the lock. Once true, every 200 page takes the lock, is
// built from its project's live list and then changes the list, in one critical section, so
// that every request sees one whole list. Once true, it stays true while any list has
// changed.

#include <apig/emulator.hpp>

#include "dataset.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace apig::emulator::detail {

bool is_active(mutation_options const& m) noexcept;

/// A project's list once mutation has changed it. Each entry of `order` is a generator index:
/// below the dataset's size an instance of the dataset, otherwise added[entry - size] (the
/// instances inserted so far, in insertion order; a deleted one's strings are freed).
struct live_list {
    bool materialised = false;
    std::vector<std::uint64_t> order;
    std::vector<instance_record> added;
    std::uint64_t rng_state = 0;  // random positions (splitmix64)
    mutation_stats stats;

    void reseed(std::uint64_t seed, std::size_t project_index) noexcept;
    /// Uniform enough in [0, n) for test data (n is far below 2^64).
    std::size_t below(std::size_t n) noexcept;
};

/// A page request after validation: instances [first, last) of the (filtered) list.
struct page_query {
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    std::string_view instance_id, instance_name, status;
    bool filtered() const noexcept {
        return !instance_id.empty() || !instance_name.empty() || !status.empty();
    }
};

/// A page served: its instances as one comma-separated JSON fragment (a slice of the dataset,
/// or the caller's body buffer), the list's (filtered) total and the page's size.
struct page {
    std::string_view instances;
    std::uint64_t total = 0;
    std::uint64_t size = 0;
};

class project_lists {
public:
    /// Builds each project's dataset, then set_mutation(m). Called once, before serving.
    void init(std::vector<std::string> const& project_ids, std::uint64_t seed,
              std::size_t instance_count, mutation_options const& m);

    /// The index of project `pid`, or nothing if it is not served.
    std::optional<std::size_t> find(std::string_view pid) const noexcept;

    /// Serves a page of project p (a slice of the dataset without copying when the list has
    /// never changed and the page is unfiltered, else a copy into `body`), then applies the
    /// mutation to the list: the change follows the page.
    page serve(std::size_t p, page_query const& q, std::string& body);

    /// server::set_mutation (throws std::invalid_argument for a bad position), mutation(),
    /// mutations(), instances_json() and ids(): see apig/emulator.hpp.
    void set_mutation(mutation_options const& m);
    mutation_options mutation() const;
    mutation_stats stats(std::size_t p) const;
    std::vector<std::string> instances_json(std::size_t p) const;
    std::vector<std::string> ids(std::size_t p) const;

private:
    // Applies cfg_ to project p's list after a 200 page. Caller holds mu_.
    void mutate(std::size_t p);

    std::vector<project_dataset> datasets_;  // immutable once init() has returned
    std::uint64_t seed_ = 0;
    std::atomic<bool> live_{false};
    mutable std::mutex mu_;  // guards cfg_ and lives_
    mutation_options cfg_;
    std::vector<live_list> lives_;  // one per project, like datasets_
};

}  // namespace apig::emulator::detail
