// downstream::run: the program every matrix cell runs (see downstream.hpp).
#include "downstream.hpp"

#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>

namespace downstream {

int run(char const* scenario, int argc, char** argv, listing_starter start,
        std::vector<host_task> tasks) {
    char const* token = std::getenv("APIG_AUTH_TOKEN");
    if (argc != 4 || token == nullptr || *token == '\0') {
        std::fprintf(stderr, "usage: APIG_AUTH_TOKEN=... %s ENDPOINT PROJECT_ID CA_FILE\n",
                     argv[0]);
        return 2;
    }
    arguments const args{argv[1], argv[2], argv[3], token};
    listing found;
    std::string summary;
    try {
        boost::asio::io_context io;
        start(io, args, found);
        for (auto& t : tasks) t.start(io);
        io.run();

        if (!found.done) throw std::runtime_error("the listing did not complete");
        if (!found.error.empty()) {
            std::fprintf(stderr, "%s: %s\n", scenario, found.error.c_str());
            return 1;
        }
        if (found.lines.size() != found.instances)
            throw std::runtime_error(std::to_string(found.lines.size()) + " instances listed, " +
                                     "the pager counted " + std::to_string(found.instances));
        std::set<std::string> ids;
        for (auto const& l : found.lines) ids.insert(l.substr(0, l.find(' ')));
        if (ids.size() != found.lines.size())
            throw std::runtime_error(std::to_string(ids.size()) + " distinct ids in " +
                                     std::to_string(found.lines.size()) + " instances");
        summary = std::to_string(found.instances) + " instances, " +
                  std::to_string(found.pages) + " pages; apig " +
                  std::to_string(found.connections) + " connections, " +
                  std::to_string(found.discarded) + " discarded, " +
                  std::to_string(found.replays) + " replays, " +
                  std::to_string(found.retries) + " retries";
        for (auto& t : tasks) summary += "; " + t.report();
    } catch (std::exception const& e) {
        std::fprintf(stderr, "%s: FAILED: %s\n", scenario, e.what());
        return 1;
    }
    for (auto const& l : found.lines) std::printf("%s\n", l.c_str());
    std::printf("%s\n", summary.c_str());
    return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace downstream
