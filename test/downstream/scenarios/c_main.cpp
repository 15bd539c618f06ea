// Scenario C: next to apig, a third-party static library that compiles Asio's implementation
// itself (thirdparty/). Its TLS probe of the emulator (an ssl::context and a TLS exchange of
// its own) runs in the host's io_context with the listing, the host's timer and its echo.
// Built twice: linked before apig (downstream_c_before) and after it (downstream_c_after).
#include "../common/host_asio.hpp"

#include <thirdparty/tls_probe.hpp>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>

int main(int argc, char** argv) {
    auto usage = [&] {  // run() prints it
        return downstream::run(DOWNSTREAM_SCENARIO, 0, argv, downstream::start_listing, {});
    };
    if (argc != 4) return usage();
    std::string const endpoint = argv[1];  // https://127.0.0.1:PORT
    auto const colon = endpoint.rfind(':');
    auto const slashes = endpoint.find("://");
    if (colon == std::string::npos || slashes == std::string::npos || colon < slashes + 3)
        return usage();
    std::string const host = endpoint.substr(slashes + 3, colon - slashes - 3);
    auto const port = static_cast<std::uint16_t>(std::stoul(endpoint.substr(colon + 1)));

    auto probe = std::make_shared<thirdparty::probe_result>();
    downstream::host_task tls{
        [=, ca = std::string(argv[3])](boost::asio::io_context& io) {
            thirdparty::start_tls_probe(io, host, port, ca, *probe);
        },
        [probe]() -> std::string {
            if (!probe->error.empty()) throw std::runtime_error("thirdparty: " + probe->error);
            if (!probe->done || probe->status_line.rfind("HTTP/1.1 ", 0) != 0)
                throw std::runtime_error("thirdparty: no HTTP answer over TLS: '" +
                                         probe->status_line + "'");
            if (probe->timer_fired != 1) throw std::runtime_error("thirdparty: its timer did not fire");
            return "thirdparty tls '" + probe->status_line + "'";
        }};
    return downstream::run(DOWNSTREAM_SCENARIO, argc, argv, downstream::start_listing,
                           {host::ticking_timer(5, std::chrono::milliseconds(20)),
                            host::tcp_echo(4096), tls});
}
