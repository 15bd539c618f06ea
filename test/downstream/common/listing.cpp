// The apig side of the downstream programs: list every instance of a project, as the
// README shows. The only file of the matrix that includes apig's headers (besides the
// scenarios that deliberately include them next to their own Asio code).
#include "downstream.hpp"

#include <apig/apig.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>
#include <utility>

namespace downstream {
namespace {

boost::asio::awaitable<void> list(boost::asio::io_context& io, arguments args, listing& out) {
    apig::client_options opts;
    opts.endpoint = args.endpoint;
    opts.project_id = args.project_id;
    opts.credentials = apig::token_credentials{args.token};
    opts.tls.ca_file = args.ca_file;  // on top of the system's trust store; verification is on
    // Built here so that it is gone (its pool closed) when the walk is done and io.run()
    // can return.
    apig::client c(io.get_executor(), std::move(opts));
    auto all = c.instances({}, {.page_size = 100, .concurrency = 4});
    while (auto i = co_await all.next()) {
        std::string line = i->id.value_or("-");
        line += ' ';
        line += i->instance_name.value_or("-");
        line += ' ';
        line += i->status ? std::string(i->status->wire()) : std::string("-");
        out.lines.push_back(std::move(line));
    }
    auto const st = all.stats();
    out.instances = st.instances;
    out.pages = st.pages;
    auto const cs = c.stats();
    out.connections = cs.created;
    out.replays = cs.replays;
    out.discarded = cs.discarded;
    out.retries = cs.retries;
}

}  // namespace

void start_listing(boost::asio::io_context& io, arguments const& args, listing& out) {
    boost::asio::co_spawn(io, list(io, args, out), [&out](std::exception_ptr e) {
        out.done = true;
        try {
            if (e) std::rethrow_exception(e);
        } catch (apig::api_error const& err) {
            out.error = err.what();
        } catch (std::exception const& err) {
            out.error = std::string("unexpected exception: ") + err.what();
        }
    });
}

}  // namespace downstream
