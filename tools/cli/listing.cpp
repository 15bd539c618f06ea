#include "listing.hpp"

#include <limits>

namespace apig::cli {

int exit_status_for(boost::system::error_code const& ec) noexcept {
    if (!ec) return exit_ok;
    if (ec == apig::errc::invalid_argument) return exit_usage;
    if (ec == apig::errc::unauthorized || ec == apig::errc::forbidden) return exit_auth;
    return exit_failure;
}

void page_cursor::advance(instance_page const& page) noexcept {
    auto const received = page.instances.size();
    ++pages_;
    instances_ += received;
    if (page.total) total_ = page.total;
    if (!all_ || received == 0 || received < static_cast<std::size_t>(req_.limit)) {
        done_ = true;
        return;
    }
    // received <= limit <= 500 here, so the cast is exact; the guard only stops a server
    // that claims a total near 2^63 from overflowing the offset.
    auto const n = static_cast<std::int64_t>(received);
    if (req_.offset > std::numeric_limits<std::int64_t>::max() - n) {
        done_ = true;
        return;
    }
    req_.offset += n;
    if (total_ && req_.offset >= *total_) done_ = true;
}

}  // namespace apig::cli
