#pragma once

// apig's emulator of the ListInstancesV2 API: a real HTTPS server (Beast, OpenSSL) serving
// GET /v2/{project_id}/apigw/instances from a deterministic, seeded dataset. Tests and the
// CLI's --demo run it in-process; tools/emulator/main.cpp wraps it as `apig-emulator`.
//
// The server runs on its own threads (options::threads); every member function of `server`
// is thread-safe.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace apig::emulator {

/// PEM-encoded TLS material.
struct tls_material {
    std::string ca_cert_pem{};      ///< the CA clients must trust
    std::string server_cert_pem{};  ///< the server's certificate (signed by the CA)
    std::string server_key_pem{};   ///< the server's private key
};

/// What goes into a generated server certificate.
struct cert_options {
    /// subjectAltName DNS entries. Default: localhost.
    std::vector<std::string> dns_names{"localhost"};
    /// subjectAltName IP entries. Default: 127.0.0.1 and ::1.
    std::vector<std::string> ip_addresses{"127.0.0.1", "::1"};
    /// Validity window relative to now (not_before = now + not_before_offset).
    std::chrono::seconds not_before_offset = std::chrono::hours(-1);
    std::chrono::seconds validity = std::chrono::hours(24 * 7);
};

/// Makes a throwaway CA and a server certificate signed by it (EC P-256, SHA-256), with
/// OpenSSL. Throws std::runtime_error if OpenSSL fails.
tls_material make_tls_material(cert_options const& opts = {});

struct options {
    /// Address to bind. Default 127.0.0.1.
    std::string address = "127.0.0.1";
    /// Port to bind; 0 picks a free one (read it back with server::port()).
    std::uint16_t port = 0;
    /// Projects served, each with its own dataset; any other project id gets 403 APIC.7106.
    std::vector<std::string> project_ids{"73d69ae0cfcf460190522d06b60f05ad"};
    /// The only accepted X-Auth-Token; a missing or different one gets 401 APIC.7102.
    std::string token = "emulator-token";
    /// Instances per project.
    std::size_t instance_count = 100;
    /// Seed of the dataset; the same seed gives the same instances.
    std::uint64_t seed = 1;
    /// TLS material; when empty, make_tls_material(cert) is used.
    std::optional<tls_material> tls{};
    cert_options cert{};
    /// Threads running the server. Default 1.
    std::size_t threads = 1;

    // ---- knobs for tests of clients' edge cases (defaults behave like a normal server) ----

    /// A connection idle this long between requests (or this slow sending one, or in the TLS
    /// handshake) is closed without a response. Short values let tests exercise a client
    /// reusing a connection the server has already closed. Default 60 s.
    std::chrono::milliseconds idle_timeout = std::chrono::seconds(60);
    /// After this many requests on one connection the server answers with
    /// `Connection: close` and closes it; 0 means no limit. Default 0.
    std::size_t max_requests_per_connection = 0;
    /// Wait this long before answering each request (see also server::set_response_delay).
    /// Default 0.
    std::chrono::milliseconds response_delay{0};
    /// Keep every request for server::requests(). A long-running emulator under load (the
    /// executable) turns this off so memory stays bounded. Default true.
    bool record_requests = true;
};

/// One request as the emulator saw it (kept for tests).
struct recorded_request {
    std::chrono::steady_clock::time_point at{};
    std::uint64_t connection_id = 0;  ///< 1 for the first accepted connection, then 2, ...
    std::string method{};
    std::string target{};               ///< raw request target as received
    std::string project_id{};           ///< the decoded project-id path segment ("" if no match)
    unsigned status = 0;              ///< status answered
    std::string user_agent{};
    std::string accept{};
    bool had_token = false;           ///< an X-Auth-Token header was present (value not kept)
};

class server {
public:
    /// Builds the dataset and TLS context, binds and starts serving. Throws on failure.
    explicit server(options opts = {});
    /// Stops and joins the server's threads; open connections are closed.
    ~server();
    server(server const&) = delete;
    server& operator=(server const&) = delete;

    std::uint16_t port() const noexcept;
    /// `https://127.0.0.1:<port>`: the bound address (IPv6 in brackets); a wildcard address
    /// (0.0.0.0, ::) gives the loopback address of its family.
    std::string endpoint() const;
    /// The CA certificate clients must trust (PEM).
    std::string const& ca_pem() const noexcept;
    /// Writes ca_pem() to a file. Throws std::runtime_error on failure.
    void write_ca_pem(std::string const& path) const;

    /// Connections accepted and requests answered so far.
    std::size_t connections_accepted() const;
    std::size_t requests_served() const;
    /// Every request answered so far, in order.
    std::vector<recorded_request> requests() const;

    /// The next `count` requests (after authentication) are answered with `status` and an
    /// API error body (500 -> APIC.9000 "Failed to request internal service").
    void fail_next(std::size_t count, unsigned status = 500);

    /// Changes options::response_delay for requests answered from now on.
    void set_response_delay(std::chrono::milliseconds delay);

    /// The dataset of a project (default: the first) as the emulator serves it: each
    /// instance's JSON text, in dataset order.
    std::vector<std::string> instances_json(std::size_t project_index = 0) const;
    /// The instance ids of a project, in dataset order.
    std::vector<std::string> ids(std::size_t project_index = 0) const;

    /// Stops serving: closes the listening socket and every open connection (abruptly,
    /// even mid-request) and joins the server's threads. Idempotent; the destructor calls
    /// it. Other members keep working afterwards (counters, requests(), the dataset).
    void stop();

private:
    struct impl;
    std::unique_ptr<impl> impl_{};
};

}  // namespace apig::emulator
