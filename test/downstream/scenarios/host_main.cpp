// The matrix's plain host: the listing through apig, and the host's timer and TCP echo, in
// one io_context. Scenarios A, B, E, F, W and the extra consumers differ only in how this
// program's files are built and linked (see CMakeLists.txt); DOWNSTREAM_SCENARIO names it.
#include "../common/host_asio.hpp"

#include <chrono>

#ifndef DOWNSTREAM_SCENARIO
#define DOWNSTREAM_SCENARIO "downstream"
#endif

int main(int argc, char** argv) {
    return downstream::run(DOWNSTREAM_SCENARIO, argc, argv, downstream::start_listing,
                           {host::ticking_timer(5, std::chrono::milliseconds(20)),
                            host::tcp_echo(4096)});
}
