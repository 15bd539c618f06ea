// The downstream matrix's common program: a host that lists a project's instances through
// apig while its own Asio code (a ticking timer, a TCP echo, ...) runs in the same
// io_context, then checks and prints both results. Nothing here includes apig: only
// listing.cpp does, so each scenario decides which of its translation units see apig's
// headers (and with which Asio configuration).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

// The shared-library wrapper (scenario W) exports start_listing from its .so.
#ifndef DOWNSTREAM_LISTING_API
#define DOWNSTREAM_LISTING_API
#endif

// Declared only: this header is the scenario mains' whole include, kept cheap to compile
// (driver.cpp, listing.cpp and the host code include <boost/asio/io_context.hpp>).
namespace boost {
namespace asio {
class io_context;
}  // namespace asio
}  // namespace boost

namespace downstream {

struct arguments {
    std::string endpoint;    ///< https://127.0.0.1:PORT
    std::string project_id;
    std::string ca_file;     ///< the emulator's CA (--write-ca)
    std::string token;       ///< APIG_AUTH_TOKEN
};

/// What the listing found, filled in as the io_context runs it.
struct listing {
    std::vector<std::string> lines;  ///< "<id> <name> <status>", in offset order
    std::uint64_t instances = 0;     ///< the pager's stats
    std::uint64_t pages = 0;
    /// apig::client_stats at the end: connections opened, requests resent on a connection
    /// the server had closed (replays), kept-alive connections found closed (discarded),
    /// retries. An Asio error the client misreads (e.g. a peer's close not recognised as
    /// such) shows as retries.
    std::uint64_t connections = 0, replays = 0, discarded = 0, retries = 0;
    bool done = false;               ///< completed (with or without an error)
    std::string error;               ///< apig::api_error::what() of a failure, else empty
};

/// Starts (co_spawn) a walk of every instance of args.project_id through an apig::client
/// bound to io; `out` must outlive io.run(). Defined in listing.cpp, the one file that
/// includes apig.
DOWNSTREAM_LISTING_API void start_listing(boost::asio::io_context& io, arguments const& args,
                                          listing& out);
using listing_starter = void (*)(boost::asio::io_context&, arguments const&, listing&);

/// Some Asio code of the host's, run in the same io_context as the listing.
struct host_task {
    /// Starts the task's asynchronous operations on io (before io.run()).
    std::function<void(boost::asio::io_context&)> start;
    /// After io.run(): a short report ("echo 4096 bytes"), or throws std::runtime_error
    /// saying what went wrong.
    std::function<std::string()> report;
};

/// The whole program: APIG_AUTH_TOKEN and `ENDPOINT PROJECT_ID CA_FILE` from the command
/// line, the listing (`start`: start_listing, named by the scenario's main so that the
/// driver's library needs nothing of the listing's) and `tasks` on one io_context, then one line per instance and a last
/// line "<n> instances, <p> pages; <report>; <report>..." on stdout. Returns main's exit
/// status: 0 all good, 1 the listing or a task failed (said on stderr), 2 usage.
int run(char const* scenario, int argc, char** argv, listing_starter start,
        std::vector<host_task> tasks);

}  // namespace downstream
