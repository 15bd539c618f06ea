// The emulator's HTTPS server: Beast parses requests, Boost.URL splits targets, and responses
// are written straight from the pre-serialised dataset (see dataset.hpp).
//
// This file is server's public face: building and starting (the TLS context, the datasets,
// the listening socket, the threads), stopping, and the members that read or change what the
// other parts own. How those parts share state: server_impl.hpp. Routing and authentication:
// routing.cpp. Faults: faults.cpp. The lists and their mutation: mutation.cpp. The
// connections: session.cpp.

#include "server_impl.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/beast/core/error.hpp>

#include <openssl/rand.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <fstream>
#include <stdexcept>

namespace apig::emulator {

using namespace detail;

void server::impl::start() {
    if (opts.threads == 0) opts.threads = 1;
    auto const& mo = opts.metadata;
    if (mo.key_lifetime.count() <= 0)
        throw std::invalid_argument("apig-emulator: metadata.key_lifetime must be positive");
    if (mo.delay.count() < 0)
        throw std::invalid_argument("apig-emulator: metadata.delay must not be negative");
    if (mo.token_mode != metadata_token_mode::required &&
        mo.token_mode != metadata_token_mode::optional &&
        mo.token_mode != metadata_token_mode::unsupported_404 &&
        mo.token_mode != metadata_token_mode::unsupported_405)
        throw std::invalid_argument("apig-emulator: metadata.token_mode is not an enumerator");
    if (mo.pod_token.empty() ||
        std::any_of(mo.pod_token.begin(), mo.pod_token.end(), [](char ch) {
            auto const c = static_cast<unsigned char>(ch);
            return c < 0x20 || c == 0x7f;
        }))
        throw std::invalid_argument(
            "apig-emulator: metadata.pod_token must be non-empty without control characters");
    if (opts.iam_projects.empty())
        for (auto const& p : opts.project_ids) opts.iam_projects.push_back({p, "cn-north-4"});
    keys.set(opts.access_keys);
    delay_ms.store(opts.response_delay.count(), std::memory_order_relaxed);
    faults.set(opts.faults);
    if (RAND_bytes(reinterpret_cast<unsigned char*>(request_id_salt), sizeof request_id_salt) !=
        1)
        throw std::runtime_error("apig-emulator: RAND_bytes failed");

    tls = opts.tls ? *opts.tls : make_tls_material(opts.cert);
    ssl_ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                        asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                        asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
    if (SSL_CTX_set_min_proto_version(ssl_ctx.native_handle(), TLS1_2_VERSION) != 1)
        throw std::runtime_error("apig-emulator: cannot require TLS 1.2");
    if (opts.max_tls_version != TLS1_2_VERSION && opts.max_tls_version != TLS1_3_VERSION)
        throw std::invalid_argument("apig-emulator: max_tls_version must be 0x0303 (TLS 1.2) or 0x0304 (TLS 1.3)");
    if (SSL_CTX_set_max_proto_version(ssl_ctx.native_handle(), opts.max_tls_version) != 1)
        throw std::runtime_error("apig-emulator: cannot set the highest TLS version");
    // Resumption: the server-side session cache (TLS 1.2 session ids) and tickets (both
    // versions) are OpenSSL's defaults; the context id lets cached sessions be resumed.
    SSL_CTX_set_session_cache_mode(ssl_ctx.native_handle(), SSL_SESS_CACHE_SERVER);
    static unsigned char const sid_ctx[] = "apig-emulator";
    SSL_CTX_set_session_id_context(ssl_ctx.native_handle(), sid_ctx, sizeof sid_ctx - 1);
    if (!opts.session_tickets) SSL_CTX_set_options(ssl_ctx.native_handle(), SSL_OP_NO_TICKET);
    ssl_ctx.use_certificate_chain(asio::buffer(tls.server_cert_pem));
    ssl_ctx.use_private_key(asio::buffer(tls.server_key_pem), asio::ssl::context::pem);

    lists.init(opts.project_ids, opts.seed, opts.instance_count, opts.mutation);

    ioc = std::make_unique<asio::io_context>(static_cast<int>(opts.threads));
    tcp::endpoint ep;
    beast::error_code ec;
    auto const addr = asio::ip::make_address(opts.address, ec);
    if (!ec) {
        ep = tcp::endpoint(addr, opts.port);
    } else {
        // A host name (e.g. localhost): bind its first address.
        tcp::resolver resolver(*ioc);
        auto const results = resolver.resolve(opts.address, std::to_string(opts.port));
        ep = *results.begin();
    }
    acceptor.emplace(*ioc);
    acceptor->open(ep.protocol());
    acceptor->set_option(asio::socket_base::reuse_address(true));
    acceptor->bind(ep);
    acceptor->listen(asio::socket_base::max_listen_connections);
    auto const local = acceptor->local_endpoint();
    bound_port = local.port();

    auto shown = local.address();
    if (shown.is_unspecified())
        shown = shown.is_v6() ? asio::ip::address(asio::ip::address_v6::loopback())
                              : asio::ip::address(asio::ip::address_v4::loopback());
    endpoint_text = shown.is_v6() ? "https://[" + shown.to_string() + "]:"
                                  : "https://" + shown.to_string() + ":";
    endpoint_text += std::to_string(bound_port);

    asio::co_spawn(*ioc, accept_loop(), asio::detached);
    start_metadata();
    threads.reserve(opts.threads);
    for (std::size_t t = 0; t < opts.threads; ++t)
        threads.emplace_back([this] {
            for (;;) {
                try {
                    ioc->run();
                    return;
                } catch (...) {
                    // Handlers catch their own errors; if one escapes, keep serving the
                    // other connections.
                }
            }
        });
}

void server::impl::stop() {
    // Once, and a concurrent caller returns only when it is done.
    std::call_once(stopped, [this] {
        if (!ioc) return;
        // Stopping the io_context (rather than asking each connection to finish) cannot hang
        // on a client that is mid-request or not reading: run() returns at once on every
        // thread.
        ioc->stop();
        for (auto& t : threads)
            if (t.joinable()) t.join();
        threads.clear();
        // Then the acceptor, then the io_context, whose destruction destroys the pending
        // connection coroutines and so closes their sockets.
        beast::error_code ec;
        if (acceptor) acceptor->close(ec);
        acceptor.reset();
        if (metadata_acceptor) metadata_acceptor->close(ec);
        metadata_acceptor.reset();
        ioc.reset();
    });
}

server::server(options opts) : impl_(std::make_unique<impl>(std::move(opts))) {
    try {
        impl_->start();
    } catch (...) {
        impl_->stop();
        throw;
    }
}

server::~server() {
    if (impl_) impl_->stop();
}

std::uint16_t server::port() const noexcept { return impl_->bound_port; }

std::string server::endpoint() const { return impl_->endpoint_text; }

std::string const& server::ca_pem() const noexcept { return impl_->tls.ca_cert_pem; }

void server::write_ca_pem(std::string const& path) const {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << impl_->tls.ca_cert_pem;
    out.close();
    if (!out) throw std::runtime_error("apig-emulator: cannot write " + path);
}

std::size_t server::connections_accepted() const {
    return static_cast<std::size_t>(impl_->connections.load(std::memory_order_relaxed) -
                                    impl_->accepted_base.load(std::memory_order_relaxed));
}

std::size_t server::requests_served() const { return impl_->log.served(); }

std::size_t server::handshakes() const {
    return static_cast<std::size_t>(impl_->handshakes.load(std::memory_order_relaxed));
}

std::size_t server::resumed_handshakes() const {
    return static_cast<std::size_t>(impl_->resumed_handshakes.load(std::memory_order_relaxed));
}

std::vector<recorded_request> server::requests() const { return impl_->log.requests(); }

void server::fail_next(std::size_t count, unsigned status) {
    impl_->faults.fail_next(count, status);
}

void server::set_access_keys(std::vector<access_key> keys) {
    impl_->keys.set(std::move(keys));
}

void server::set_response_delay(std::chrono::milliseconds delay) {
    impl_->delay_ms.store(delay.count(), std::memory_order_relaxed);
}

void server::set_faults(fault_options const& faults) { impl_->faults.set(faults); }

fault_options server::faults() const { return impl_->faults.get(); }

std::size_t server::in_flight() const { return gauge_value(impl_->in_flight_now); }
std::size_t server::max_in_flight() const { return gauge_value(impl_->in_flight_high); }
std::size_t server::connections_open() const { return gauge_value(impl_->open_now); }
std::size_t server::max_connections_open() const { return gauge_value(impl_->open_high); }

void server::reset_stats() {
    auto& d = *impl_;
    d.log.clear();
    d.metadata_log.clear();
    d.accepted_base.store(d.connections.load(std::memory_order_relaxed),
                          std::memory_order_relaxed);
    d.handshakes.store(0, std::memory_order_relaxed);
    d.resumed_handshakes.store(0, std::memory_order_relaxed);
    d.in_flight_high.store(d.in_flight_now.load(std::memory_order_relaxed),
                           std::memory_order_relaxed);
    d.open_high.store(d.open_now.load(std::memory_order_relaxed), std::memory_order_relaxed);
}

void server::set_mutation(mutation_options const& mutation) {
    impl_->lists.set_mutation(mutation);
}

mutation_options server::mutation() const { return impl_->lists.mutation(); }

mutation_stats server::mutations(std::size_t project_index) const {
    return impl_->lists.stats(project_index);
}

std::vector<std::string> server::instances_json(std::size_t project_index) const {
    return impl_->lists.instances_json(project_index);
}

std::vector<std::string> server::ids(std::size_t project_index) const {
    return impl_->lists.ids(project_index);
}

void server::iam_fail_next(std::size_t count, unsigned status) {
    impl_->iam_failures.set(count, status);
}

std::string server::metadata_endpoint() const {
    if (!impl_->opts.metadata.enabled)
        throw std::logic_error("apig-emulator: the metadata listener is disabled "
                               "(options::metadata.enabled)");
    return impl_->metadata_endpoint_text;
}

std::uint16_t server::metadata_port() const noexcept { return impl_->metadata_bound_port; }

std::vector<metadata_request> server::metadata_requests() const {
    return impl_->metadata_log.requests();
}

std::size_t server::issued_keys() const { return impl_->issued.issued(); }

void server::metadata_fail_next(std::size_t count, unsigned status) {
    impl_->metadata_failures.set(count, status);
}

void server::expire_session_tokens() { impl_->sessions.expire_all(); }

void server::set_metadata_delay(std::chrono::milliseconds delay) {
    if (delay.count() < 0)
        throw std::invalid_argument("apig-emulator: a metadata delay must not be negative");
    impl_->metadata_delay_ms.store(delay.count(), std::memory_order_relaxed);
}

void server::stop() { impl_->stop(); }

}  // namespace apig::emulator
