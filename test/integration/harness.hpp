#pragma once

// Shared set-up for integration tests: an in-process emulator and a client that trusts it.

#include <apig/client.hpp>
#include <apig/emulator.hpp>
#include <apig/version.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <utility>

namespace apig::test {

/// Options for a client of `srv` with verification on and the emulator's CA trusted.
inline client_options options_for(emulator::server const& srv,
                                  std::string project = "73d69ae0cfcf460190522d06b60f05ad") {
    client_options o;
    o.endpoint = srv.endpoint();
    o.project_id = std::move(project);
    o.credentials = token_credentials{"emulator-token"};
    o.tls.use_system_trust_store = false;
    o.tls.ca_pem = srv.ca_pem();
    return o;
}

/// Options for a client of a scripted test server (anything with `endpoint()` and `ca_pem()`):
/// verification on, only that server's CA trusted, project `p1`, `token` as the credentials.
/// Tests add their own retry and time limits.
template <class Server>
client_options trusting(Server const& srv, std::string token) {
    client_options o;
    o.endpoint = srv.endpoint();
    o.project_id = "p1";
    o.credentials = token_credentials{std::move(token)};
    o.tls.use_system_trust_store = false;
    o.tls.ca_pem = srv.ca_pem();
    return o;
}

/// Runs a coroutine on `io` to completion and returns its result (rethrowing its exception).
template <class Awaitable>
auto run(boost::asio::io_context& io, Awaitable&& aw) {
    auto fut = boost::asio::co_spawn(io, std::forward<Awaitable>(aw), boost::asio::use_future);
    io.restart();
    io.run();
    return fut.get();
}

/// Runs one list_instances call; returns the page or rethrows api_error.
inline instance_page list_once(emulator::server const& srv, list_request req,
                               client_options opts) {
    boost::asio::io_context io;
    client c(io.get_executor(), std::move(opts));
    return run(io, c.list_instances(std::move(req)));
    (void)srv;
}

/// The api_error a call fails with (fails the test if it succeeds).
inline api_error list_error(client_options opts, list_request req = {}) {
    boost::asio::io_context io;
    client c(io.get_executor(), std::move(opts));
    try {
        run(io, c.list_instances(std::move(req)));
    } catch (api_error const& e) {
        return e;
    }
    throw std::runtime_error("the call was expected to fail but succeeded");
}

}  // namespace apig::test
