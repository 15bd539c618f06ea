#pragma once

// A host that is an IP literal needs no name lookup.

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <charconv>
#include <optional>
#include <string_view>

namespace apig::http {

/// `host` (an IPv4 or IPv6 address, without brackets) and `port` (1..65535, decimal) as an
/// endpoint; nullopt when the host is a name (or the port is not a number), to be resolved.
inline std::optional<boost::asio::ip::tcp::endpoint> ip_endpoint(std::string const& host, std::string_view port) {
    boost::system::error_code ec;
    auto const address = boost::asio::ip::make_address(host, ec);
    if (ec) return std::nullopt;
    unsigned number = 0;
    auto const [end, err] = std::from_chars(port.data(), port.data() + port.size(), number);
    if (err != std::errc{} || end != port.data() + port.size() || number == 0 || number > 65535) return std::nullopt;
    return boost::asio::ip::tcp::endpoint(address, static_cast<unsigned short>(number));
}

}  // namespace apig::http
