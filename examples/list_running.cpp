// The README's embedding example, compiled with the project so it cannot rot.
// Usage: APIG_AUTH_TOKEN=... list_running https://apig.cn-north-4.myhuaweicloud.com PROJECT_ID
#include <apig/apig.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <cstdlib>

boost::asio::awaitable<void> print_running(apig::client& c) {
    apig::list_request req{.offset = 0, .limit = 500};
    req.status = apig::status::running;
    for (;;) {
        apig::instance_page page = co_await c.list_instances(req);  // throws apig::api_error
        for (auto const& i : page.instances)
            std::printf("%s %s\n", i.id.value_or("?").c_str(), i.instance_name.value_or("").c_str());
        req.offset += static_cast<std::int64_t>(page.instances.size());
        if (page.instances.empty() || req.offset >= page.total.value_or(0)) break;
    }
}

int main(int argc, char** argv) {
    char const* token = std::getenv("APIG_AUTH_TOKEN");
    if (argc != 3 || !token) {
        std::fprintf(stderr, "usage: APIG_AUTH_TOKEN=... %s ENDPOINT PROJECT_ID\n", argv[0]);
        return 2;
    }
    boost::asio::io_context io;
    apig::client c(io.get_executor(), {
        .endpoint = argv[1],
        .project_id = argv[2],
        .credentials = apig::token_credentials{token},
    });
    int status = 0;
    boost::asio::co_spawn(io, print_running(c), [&](std::exception_ptr e) {
        try {
            if (e) std::rethrow_exception(e);
        } catch (apig::api_error const& err) {  // err.code(), http_status(), api_code(), request_id()
            std::fprintf(stderr, "%s\n", err.what());
            status = 1;
        }
    });
    io.run();
    return status;
}
