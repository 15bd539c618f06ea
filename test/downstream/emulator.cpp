// apig_downstream_emulator: a user's test in miniature, against the INSTALLED apig::emulator.
// It starts the emulator in-process on port 0 with a fault (the first request for each page is
// answered 500), lists every instance with apig::client (which retries each of those pages
// once), and checks what it got against the emulator's own view: the same ids in the same
// order, one injected failure and one retry per page.
//
// Usage: apig_downstream_emulator (no argument, nothing from the environment)
// Prints one summary line. Exit status: 0 every check passed, 1 one failed (why on stderr).

#include <apig/apig.hpp>
#include <apig/emulator.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

namespace {

int failed(char const* what) {
    std::fprintf(stderr, "apig_downstream_emulator: FAILED: %s\n", what);
    return 1;
}

}  // namespace

int main() {
    namespace emu = apig::emulator;
    constexpr std::size_t count = 250;  // 3 pages of 100, the last partial
    constexpr std::uint64_t pages = 3;

    emu::options eo;
    eo.port = 0;
    eo.instance_count = count;
    eo.faults.fail_first_per_page = 1;
    eo.faults.fail_first_status = 500;
    emu::server server(eo);
    if (server.port() == 0) return failed("the emulator reported port 0");

    std::vector<std::string> listed;
    apig::walk_stats walk{};
    std::string error;
    apig::client_stats client_stats{};
    {
        boost::asio::io_context io;
        apig::client_options co;
        co.endpoint = server.endpoint();
        co.project_id = eo.project_ids.front();
        co.credentials = apig::token_credentials{eo.token};
        co.tls.ca_pem = server.ca_pem();
        co.retry.initial_backoff = std::chrono::milliseconds(1);
        apig::client client(io.get_executor(), std::move(co));
        boost::asio::co_spawn(
            io,
            [&]() -> boost::asio::awaitable<void> {
                auto all = client.instances({}, {.page_size = 100, .concurrency = 1});
                while (auto i = co_await all.next()) listed.push_back(i->id.value_or("-"));
                walk = all.stats();
            },
            [&](std::exception_ptr e) {
                try {
                    if (e) std::rethrow_exception(e);
                } catch (std::exception const& x) {
                    error = x.what();
                }
            });
        io.run();
        client_stats = client.stats();
    }
    if (!error.empty()) {
        std::fprintf(stderr, "apig_downstream_emulator: the walk failed: %s\n", error.c_str());
        return 1;
    }

    if (listed != server.ids()) return failed("the ids listed are not the emulator's, in order");
    if (listed.size() != count) return failed("not every instance was listed");
    if (walk.pages != pages) return failed("the walk did not yield 3 pages");
    if (client_stats.retries != pages) return failed("the client did not retry each page once");
    std::uint64_t injected = 0;
    std::uint64_t ok = 0;
    for (auto const& r : server.requests()) {
        if (r.fault == emu::fault_kind::fail_first && r.status == 500) ++injected;
        if (r.fault == emu::fault_kind::none && r.status == 200) ++ok;
    }
    if (injected != pages || ok != pages || server.requests_served() != 2 * pages)
        return failed("the emulator did not record one injected 500 and one 200 per page");

    std::printf("apig::emulator on port %u: %zu instances, %llu pages, %llu retries after %llu "
                "injected 500s\n",
                static_cast<unsigned>(server.port()), listed.size(),
                static_cast<unsigned long long>(walk.pages),
                static_cast<unsigned long long>(client_stats.retries),
                static_cast<unsigned long long>(injected));
    return 0;
}
