// apig-instances: lists Huawei Cloud APIG dedicated instances (ListInstancesV2) from the
// command line. Data goes to stdout in the chosen --format; one summary line and errors go to
// stderr, and while listing a progress line when stderr is a terminal. See
// `apig-instances --help` and cli_options.hpp for the command line.

#include "auth.hpp"
#include "cli_options.hpp"
#include "listing.hpp"
#include "output.hpp"

#include <apig/apig.hpp>
#include <apig/emulator.hpp>
#include <apig/environment.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <sys/ioctl.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <iostream>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace {

namespace cli = apig::cli;

/// Instances the --demo emulator serves: more than two pages of the demo's default limit.
constexpr std::size_t demo_instance_count = 250;

/// Every error and warning line goes through cli::diagnostic_line, the one stderr filter:
/// messages carry server and user text (an API's error message, a quoted option value).
void print_error(std::string_view message) { std::cerr << cli::diagnostic_line("error", message); }

void print_warning(std::string_view message) { std::cerr << cli::diagnostic_line("warning", message); }

/// How often the progress line is redrawn, at most; a listing that ends sooner shows none.
constexpr std::chrono::milliseconds progress_interval{100};

/// What the listing has written so far; read by the progress line and the summary.
struct listing_counts {
    std::uint64_t pages = 0;
    std::uint64_t instances = 0;
    /// `total` of the last page that had one.
    std::optional<std::int64_t> total;
    /// Instances the walk dropped as repeated ids (walk_stats::duplicates_dropped).
    std::uint64_t duplicates = 0;
};

/// Lists one page, or with --all (and --demo) walks every page with the library's pager,
/// handing each page to the writer as it arrives. Returns the failure, or an empty
/// error_info.
boost::asio::awaitable<apig::error_info> list_pages(apig::client& client, cli::options const& opts,
                                                    cli::page_writer& writer,
                                                    listing_counts& counts) {
    auto const take = [&](apig::instance_page const& page) {
        ++counts.pages;
        counts.instances += page.instances.size();
        if (page.total) counts.total = page.total;
        writer.write_page(page);
        // stdout is gone (disk full, closed pipe with SIGPIPE ignored): stop; run() reports it.
        return static_cast<bool>(std::cout);
    };
    try {
        if (!opts.all) {
            take(co_await client.list_instances(opts.request));
            co_return apig::error_info{};
        }
        apig::page_options popts;
        popts.page_size = opts.request.limit;
        if (opts.concurrency) popts.concurrency = static_cast<std::size_t>(*opts.concurrency);
        // --timeout bounds the whole command: the walk as a whole, not only each request.
        if (opts.timeout) popts.timeout = *opts.timeout;
        auto pages = client.pages(opts.request, std::move(popts));
        apig::error_info failure;
        while (auto page = co_await pages.next(failure)) {
            counts.duplicates = pages.stats().duplicates_dropped;
            if (!take(*page)) break;  // leaving the loop cancels the pages still in flight
            // Written: its instance vector and strings are decoded into by a later request,
            // so a long walk allocates nothing per instance once warm.
            pages.recycle(std::move(*page));
        }
        counts.duplicates = pages.stats().duplicates_dropped;
        co_return failure;
    } catch (apig::api_error const& e) {
        co_return e.info();
    }
    co_return apig::error_info{};
}

/// Redraws the progress line every progress_interval until `timer` is cancelled or `done`.
boost::asio::awaitable<void> show_progress(boost::asio::steady_timer& timer, bool const& done,
                                           cli::progress_line& line, listing_counts const& counts,
                                           apig::client const& client, cli::options const& opts,
                                           std::chrono::steady_clock::time_point start) {
    while (!done) {
        timer.expires_after(progress_interval);
        co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
        if (done) break;
        cli::progress_stats p;
        p.pages = counts.pages;
        p.expected_pages = opts.all ? cli::expected_pages(counts.total, opts.request.offset,
                                                          opts.request.limit)
                                    : std::optional<std::uint64_t>(1);
        p.instances = counts.instances;
        p.total = counts.total;
        p.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        p.retries = client.stats().retries;
        line.draw(cli::format_progress(p));
    }
}

/// Terminal columns of stderr; 0 when unknown.
std::size_t stderr_columns() {
    winsize ws{};
    if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0) return ws.ws_col;
    return 0;
}

/// Runs one listing on an io_context in this thread; the emulator (if any) runs on its own.
int run(cli::options const& opts, apig::client_options copts,
        std::shared_ptr<apig::credentials_chain> const& chain = nullptr) {
    if (opts.insecure)
        print_warning("--insecure: the server's certificate is not verified; anyone on the "
                      "network path can read (and replay) the credentials sent and the data");
    // --timeout: each call's limit here, and the walk's as a whole in list_pages.
    if (opts.timeout) copts.timeouts.total = *opts.timeout;
    if (opts.max_attempts) copts.retry.max_attempts = *opts.max_attempts;
    if (opts.max_connections) copts.pool.max_connections = static_cast<std::size_t>(*opts.max_connections);
    if (opts.rate) {
        copts.rate_limit.requests_per_second = *opts.rate;
        if (opts.burst) copts.rate_limit.burst = static_cast<std::uint32_t>(*opts.burst);
    }
    // The client lives on `ioc` below, run by this thread only (the --demo emulator has its
    // own io_context): no strand is needed.
    copts.thread_safe = false;

    boost::asio::io_context ioc;
    std::optional<apig::client> client;
    try {
        client.emplace(ioc.get_executor(), std::move(copts));
    } catch (apig::api_error const& e) {
        // Rejected options (endpoint not https, unreadable CA file, ...): nothing was sent.
        print_error(e.info().message.empty() ? std::string(e.what()) : e.info().message);
        return e.code() == apig::errc::invalid_argument ? cli::exit_usage : cli::exit_failure;
    }

    // The chain of credential sources is resolved first, to say which one is used (never a
    // value) and to fail before any request when none has credentials.
    if (chain) {
        std::exception_ptr failed_chain;
        boost::asio::co_spawn(ioc, chain->resolve(),
                              [&](std::exception_ptr e, apig::credentials_source) { failed_chain = e; });
        ioc.run();
        ioc.restart();
        if (failed_chain) {
            try {
                std::rethrow_exception(failed_chain);
            } catch (apig::api_error const& e) {
                print_error(e.info().message + "; or set " + std::string(apig::env_auth_token) + ", or " +
                            std::string(apig::env_access_key) + " and " + std::string(apig::env_secret_key) +
                            ", or use --token-file PATH");
                return cli::exit_usage;
            }
        }
        if (!opts.quiet) std::cerr << cli::diagnostic_line("", "credentials: " + chain->describe());
    }

    // Several pages can come (and --demo always walks them all): a JSON array then.
    auto const writer = cli::make_writer(opts.format, std::cout, opts.all);
    listing_counts counts;
    apig::error_info failure;
    std::exception_ptr crash;
    bool done = false;
    // The progress line only goes to a terminal: a file or pipe gets exactly the summary.
    bool const show = !opts.quiet && ::isatty(STDERR_FILENO) == 1;
    cli::progress_line progress(std::cerr, show ? stderr_columns() : 0);
    boost::asio::steady_timer ticker(ioc);
    auto const start = std::chrono::steady_clock::now();
    boost::asio::co_spawn(ioc, list_pages(*client, opts, *writer, counts),
                          [&](std::exception_ptr e, apig::error_info info) {
                              crash = e;
                              failure = std::move(info);
                              done = true;
                              ticker.cancel();
                          });
    if (show)
        boost::asio::co_spawn(ioc, show_progress(ticker, done, progress, counts, *client, opts, start),
                              boost::asio::detached);
    ioc.run();
    std::chrono::duration<double> const elapsed = std::chrono::steady_clock::now() - start;
    progress.clear();
    if (crash) std::rethrow_exception(crash);

    bool const failed = static_cast<bool>(failure.code);
    // A failure before the first page leaves stdout empty: a bare table header or "[]" would
    // look like an empty listing.
    if (!failed || counts.pages > 0) writer->finish();
    std::cout.flush();
    if (!std::cout) {
        print_error("cannot write to standard output");
        return cli::exit_failure;
    }
    cli::listing_stats stats;
    stats.instances = counts.instances;
    stats.pages = counts.pages;
    stats.total = counts.total;
    stats.seconds = elapsed.count();
    stats.complete = !failed;
    stats.retries = client->stats().retries;
    stats.duplicates = counts.duplicates;
    // After a failure the summary is only worth a line if something was received.
    if (!opts.quiet && (!failed || counts.pages > 0)) std::cerr << cli::format_summary(stats) << '\n';
    if (failed) {
        std::string message = failure.message.empty() ? failure.code.message() : failure.message;
        // Every time limit of the run is --timeout's: say so in the user's terms.
        if (failure.code == apig::errc::timed_out && opts.timeout)
            message += " (--timeout " + std::to_string(opts.timeout->count()) + " ms)";
        print_error(message);
    }
    // --stats: always stderr's last line, for a script to read ("complete":false after a
    // failure).
    if (opts.stats) std::cerr << cli::format_stats_json(stats) << '\n';
    if (!failed) return cli::exit_ok;
    // Once a request was sent, no failure is a usage error (exit 2 means nothing was sent).
    return cli::exit_status_for(failure.code, client->stats().requests > 0);
}

/// --demo: an in-process emulator with its own throwaway CA. The client trusts exactly that
/// CA (not the system store) and keeps verification on, so the demo goes through the same TLS
/// path as a real endpoint.
int run_demo(cli::options const& opts) {
    std::unique_ptr<apig::emulator::server> server;
    apig::emulator::options eo;
    eo.instance_count = demo_instance_count;
    try {
        server = std::make_unique<apig::emulator::server>(eo);
    } catch (std::exception const& e) {
        print_error(std::string("cannot start the demo server: ") + e.what());
        return cli::exit_failure;
    }
    apig::client_options copts;
    copts.endpoint = server->endpoint();
    copts.project_id = eo.project_ids.front();
    copts.credentials = apig::token_credentials{eo.token};
    copts.tls.use_system_trust_store = false;
    copts.tls.ca_pem = server->ca_pem();
    return run(opts, std::move(copts));  // the server outlives the client
}

/// A real endpoint, with credentials from --token-file or the environment (auth.hpp):
/// warnings always, then either the usage error or (unless --quiet) the line saying which
/// credentials are used when there was a choice. None of them shows a secret.
int run_remote(cli::options const& opts) {
    auto choice = cli::load_credentials(opts, cli::process_env());
    for (auto const& w : choice.warnings) print_warning(w);
    if (!choice.error.empty()) {
        print_error(choice.error);
        return cli::exit_usage;
    }
    if (!opts.quiet && !choice.notice.empty())
        std::cerr << cli::diagnostic_line("", choice.notice);
    apig::client_options copts;
    copts.endpoint = opts.endpoint;
    copts.region = opts.region;
    copts.project_id = opts.project_id;
    copts.credentials = std::move(choice.credentials);
    copts.tls.ca_file = opts.ca_file;
    copts.tls.insecure_skip_verify = opts.insecure;
    copts.proxy = opts.proxy;
    return run(opts, std::move(copts), choice.chain);
}

}  // namespace

int main(int argc, char** argv) {
    try {
        char const* const* const first = argc > 0 ? argv + 1 : argv;
        std::span<char const* const> const args(first,
                                                argc > 0 ? static_cast<std::size_t>(argc - 1) : 0);
        auto const parsed = cli::parse_args(args, cli::process_env());
        if (std::holds_alternative<cli::show_help>(parsed)) {
            std::cout << cli::usage_text() << std::flush;
            return std::cout ? cli::exit_ok : cli::exit_failure;
        }
        if (std::holds_alternative<cli::show_version>(parsed)) {
            std::cout << cli::program_name << ' ' << apig::version_string << '\n' << std::flush;
            return std::cout ? cli::exit_ok : cli::exit_failure;
        }
        if (auto const* err = std::get_if<cli::usage_error>(&parsed)) {
            print_error(err->message);
            return cli::exit_usage;
        }
        auto const& opts = std::get<cli::options>(parsed);
        return opts.demo ? run_demo(opts) : run_remote(opts);
    } catch (std::exception const& e) {
        print_error(e.what());
        return cli::exit_failure;
    } catch (...) {
        print_error("unexpected failure");
        return cli::exit_failure;
    }
}
