// The paging loop's arithmetic and the exit statuses (listing.hpp).

#include "listing.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <limits>
#include <vector>

namespace {

namespace cli = apig::cli;

apig::instance_page page(std::size_t n, std::optional<std::int64_t> total) {
    apig::instance_page p;
    p.instances.resize(n);
    p.total = total;
    return p;
}

apig::list_request req(std::int64_t offset, std::int32_t limit) {
    apig::list_request r;
    r.offset = offset;
    r.limit = limit;
    return r;
}

/// Simulates a server holding `count` instances (total reported or not, optionally capping
/// the page size) and returns the offsets the cursor asked for.
std::vector<std::int64_t> walk(cli::page_cursor& c, std::int64_t count, bool report_total,
                               std::int32_t server_cap = 500) {
    std::vector<std::int64_t> offsets;
    while (!c.done()) {
        REQUIRE(offsets.size() < 1000);
        auto const& r = c.next_request();
        offsets.push_back(r.offset);
        auto const available = std::max<std::int64_t>(0, count - r.offset);
        auto const n = std::min<std::int64_t>({available, r.limit, server_cap});
        c.advance(page(static_cast<std::size_t>(n),
                       report_total ? std::optional<std::int64_t>(count) : std::nullopt));
    }
    return offsets;
}

}  // namespace

TEST_CASE("page_cursor: a single page without --all") {
    cli::page_cursor c(req(40, 20), false);
    CHECK(walk(c, 1000, true) == std::vector<std::int64_t>{40});
    CHECK(c.pages() == 1);
    CHECK(c.instances() == 20);
    CHECK(c.total() == 1000);
}

TEST_CASE("page_cursor: --all walks every page and stops at the total") {
    cli::page_cursor c(req(0, 100), true);
    CHECK(walk(c, 250, true) == std::vector<std::int64_t>{0, 100, 200});
    CHECK(c.instances() == 250);
    CHECK(c.pages() == 3);
}

TEST_CASE("page_cursor: an exact multiple stops at the total without an empty page") {
    cli::page_cursor c(req(0, 100), true);
    CHECK(walk(c, 200, true) == std::vector<std::int64_t>{0, 100});
}

TEST_CASE("page_cursor: without a total, stops at an empty or short page") {
    cli::page_cursor exact(req(0, 100), true);
    CHECK(walk(exact, 200, false) == std::vector<std::int64_t>{0, 100, 200});
    CHECK(exact.instances() == 200);
    cli::page_cursor shorter(req(0, 100), true);
    CHECK(walk(shorter, 150, false) == std::vector<std::int64_t>{0, 100});
}

TEST_CASE("page_cursor: starts at the given offset") {
    cli::page_cursor c(req(240, 100), true);
    CHECK(walk(c, 250, true) == std::vector<std::int64_t>{240});
    CHECK(c.instances() == 10);
}

TEST_CASE("page_cursor: an empty listing is one request") {
    cli::page_cursor c(req(0, 500), true);
    CHECK(walk(c, 0, true) == std::vector<std::int64_t>{0});
    CHECK(c.instances() == 0);
    CHECK(c.pages() == 1);
}

TEST_CASE("page_cursor: an offset past the total is one request") {
    cli::page_cursor c(req(300, 100), true);
    CHECK(walk(c, 250, true) == std::vector<std::int64_t>{300});
}

TEST_CASE("page_cursor: a server that claims a huge total cannot overflow the offset") {
    cli::page_cursor c(req(std::numeric_limits<std::int64_t>::max() - 5, 10), true);
    c.advance(page(10, std::numeric_limits<std::int64_t>::max()));
    CHECK(c.done());
}

TEST_CASE("exit_status_for") {
    CHECK(cli::exit_status_for({}) == 0);
    CHECK(cli::exit_status_for(apig::errc::invalid_argument) == 2);
    CHECK(cli::exit_status_for(apig::errc::unauthorized) == 3);
    CHECK(cli::exit_status_for(apig::errc::forbidden) == 3);
    CHECK(cli::exit_status_for(apig::errc::internal_server_error) == 4);
    CHECK(cli::exit_status_for(apig::errc::bad_response) == 4);
    CHECK(cli::exit_status_for(apig::errc::tls_verification_failed) == 4);
    CHECK(cli::exit_status_for(make_error_code(boost::system::errc::connection_refused)) == 4);
}
