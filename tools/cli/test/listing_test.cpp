// The paging arithmetic and the exit statuses (listing.hpp).

#include "listing.hpp"

#include <doctest/doctest.h>

#include <limits>

namespace {

namespace cli = apig::cli;

}  // namespace

TEST_CASE("expected_pages: ceil((total - offset) / page size)") {
    CHECK(cli::expected_pages(250, 0, 100) == 3u);
    CHECK(cli::expected_pages(200, 0, 100) == 2u);  // an exact multiple: no extra page
    CHECK(cli::expected_pages(57, 0, 7) == 9u);
    CHECK(cli::expected_pages(250, 240, 100) == 1u);
    CHECK(cli::expected_pages(250, 40, 100) == 3u);
    CHECK(cli::expected_pages(1, 0, 500) == 1u);
}

TEST_CASE("expected_pages: an empty listing or an offset past the end is one page") {
    CHECK(cli::expected_pages(0, 0, 500) == 1u);
    CHECK(cli::expected_pages(250, 300, 100) == 1u);
    CHECK(cli::expected_pages(-5, 0, 100) == 1u);  // nonsense from a server
}

TEST_CASE("expected_pages: unknown without a total or a page size") {
    CHECK_FALSE(cli::expected_pages(std::nullopt, 0, 100));
    CHECK_FALSE(cli::expected_pages(100, 0, 0));
}

TEST_CASE("expected_pages: no overflow near the int64 limit") {
    constexpr auto max = std::numeric_limits<std::int64_t>::max();
    CHECK(cli::expected_pages(max, 0, 1) == static_cast<std::uint64_t>(max));
    CHECK(cli::expected_pages(max, 0, 500) == static_cast<std::uint64_t>(max) / 500 + 1);
    CHECK(cli::expected_pages(max, max - 5, 10) == 1u);
    CHECK(cli::expected_pages(max, -1, 1) == static_cast<std::uint64_t>(max));
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
