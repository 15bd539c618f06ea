// Lists every instance of several projects at once on one io_context and merges them: ONE
// client (one connection pool, one retry budget) serves every project, each request naming its
// own (`list_request::project_id`); the walks of all projects run concurrently. With a key pair
// (AK/SK) each request is signed for its project; a token must be valid for every project.
//
// Usage: multi_project [--demo]
//   --demo  runs against an in-process emulator serving three projects (what the test runs);
//   otherwise reads APIG_ENDPOINT, APIG_AUTH_TOKEN and APIG_PROJECT_IDS (comma-separated).
#include <apig/apig.hpp>
#include <apig/emulator.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>

namespace asio = boost::asio;

int main(int argc, char** argv) {
    bool const demo = argc > 1 && std::string_view(argv[1]) == "--demo";
    std::unique_ptr<apig::emulator::server> emulator;
    apig::client_options base;
    std::vector<std::string> projects;
    if (demo) {
        emulator = std::make_unique<apig::emulator::server>(apig::emulator::options{
            .project_ids = {"project-a", "project-b", "project-c"}, .instance_count = 1'200});
        base.endpoint = emulator->endpoint();
        base.credentials = apig::token_credentials{"emulator-token"};
        base.tls.ca_pem = emulator->ca_pem();
        projects = {"project-a", "project-b", "project-c"};
    } else {
        char const* endpoint = std::getenv("APIG_ENDPOINT");
        char const* token = std::getenv("APIG_AUTH_TOKEN");
        char const* ids = std::getenv("APIG_PROJECT_IDS");
        if (!endpoint || !token || !ids) {
            std::fprintf(stderr, "usage: %s --demo, or set APIG_ENDPOINT, APIG_AUTH_TOKEN, APIG_PROJECT_IDS\n", argv[0]);
            return 2;
        }
        base.endpoint = endpoint;
        base.credentials = apig::token_credentials{token};
        std::stringstream ss(ids);
        for (std::string id; std::getline(ss, id, ',');) projects.push_back(id);
    }

    if (projects.empty()) {
        std::fprintf(stderr, "APIG_PROJECT_IDS names no project\n");
        return 2;
    }

    asio::io_context io;
    // The client's own project is the default of a request that names none; every request
    // below names its project.
    base.project_id = projects.front();
    // Room for the pages several walks keep in flight (4 each).
    base.pool.max_connections = 12;
    apig::client client(io.get_executor(), base);
    std::vector<std::pair<std::string, apig::instance>> merged;  // (project, instance)
    int failures = 0;
    for (auto const& project : projects) {
        asio::co_spawn(
            io,
            [&merged, &client, project]() -> asio::awaitable<void> {
                apig::list_request req;
                req.project_id = project;
                auto instances = client.instances(std::move(req), {.page_size = 500, .concurrency = 4});
                while (auto i = co_await instances.next()) merged.emplace_back(project, std::move(*i));
            },
            [&failures, project](std::exception_ptr e) {
                try {
                    if (e) std::rethrow_exception(e);
                } catch (apig::api_error const& err) {
                    std::fprintf(stderr, "%s: %s\n", project.c_str(), err.what());
                    ++failures;
                }
            });
    }
    io.run();  // all projects progress together on this one thread
    std::printf("%zu instances from %zu projects\n", merged.size(), projects.size());
    return failures == 0 ? 0 : 1;
}
