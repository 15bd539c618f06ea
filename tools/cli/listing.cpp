#include "listing.hpp"

#include <algorithm>

namespace apig::cli {

int exit_status_for(boost::system::error_code const& ec, bool requests_sent) noexcept {
    if (!ec) return exit_ok;
    if (ec == apig::errc::invalid_argument) return requests_sent ? exit_failure : exit_usage;
    if (ec == apig::errc::unauthorized || ec == apig::errc::forbidden) return exit_auth;
    return exit_failure;
}

std::optional<std::uint64_t> expected_pages(std::optional<std::int64_t> total,
                                            std::int64_t offset, std::int32_t page_size) noexcept {
    if (!total || page_size < 1) return std::nullopt;
    auto const t = std::max<std::int64_t>(*total, 0);
    auto const left = static_cast<std::uint64_t>(t - std::clamp<std::int64_t>(offset, 0, t));
    auto const size = static_cast<std::uint64_t>(page_size);
    return std::max<std::uint64_t>(1, left / size + (left % size != 0 ? 1 : 0));
}

}  // namespace apig::cli
