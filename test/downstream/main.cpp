// apig_downstream: lists every instance of a project, one line each, through an installed
// apig: a user's program in miniature.
//
// Usage: APIG_AUTH_TOKEN=... apig_downstream ENDPOINT PROJECT_ID CA_FILE
// Prints "<id> <name> <status>" per instance, then "<n> instances, <pages> pages".
// Exit status: 0 listed, 1 the API call failed, 2 usage.

#include <apig/apig.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

static_assert(sizeof(APIG_PACKAGE_VERSION) > 1);

namespace {

boost::asio::awaitable<void> list(apig::client& c) {
    auto all = c.instances({}, {.page_size = 100, .concurrency = 4});
    while (auto i = co_await all.next()) {
        std::string const status = i->status ? std::string(i->status->wire()) : "-";
        std::printf("%s %s %s\n", i->id.value_or("-").c_str(),
                    i->instance_name.value_or("-").c_str(), status.c_str());
    }
    auto const st = all.stats();
    std::printf("%llu instances, %llu pages\n", static_cast<unsigned long long>(st.instances),
                static_cast<unsigned long long>(st.pages));
}

}  // namespace

int main(int argc, char** argv) {
    char const* token = std::getenv("APIG_AUTH_TOKEN");
    if (argc != 4 || token == nullptr || *token == '\0') {
        std::fprintf(stderr, "usage: APIG_AUTH_TOKEN=... %s ENDPOINT PROJECT_ID CA_FILE\n",
                     argv[0]);
        return 2;
    }
    if (std::strcmp(apig::version_string, APIG_PACKAGE_VERSION) != 0) {
        std::fprintf(stderr, "apig headers %s, CMake package %s\n", apig::version_string,
                     APIG_PACKAGE_VERSION);
        return 1;
    }
    int status = 0;
    try {
        boost::asio::io_context io;
        apig::client_options opts;
        opts.endpoint = argv[1];
        opts.project_id = argv[2];
        opts.credentials = apig::token_credentials{token};
        opts.tls.ca_file = argv[3];  // on top of the system's trust store; verification is on
        apig::client c(io.get_executor(), std::move(opts));
        boost::asio::co_spawn(io, list(c), [&](std::exception_ptr e) {
            try {
                if (e) std::rethrow_exception(e);
            } catch (apig::api_error const& err) {
                std::fprintf(stderr, "apig_downstream: %s\n", err.what());
                status = 1;
            }
        });
        io.run();
    } catch (apig::api_error const& err) {  // unusable options
        std::fprintf(stderr, "apig_downstream: %s\n", err.what());
        return 2;
    }
    return status;
}
