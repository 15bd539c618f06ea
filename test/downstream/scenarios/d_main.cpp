// Scenario D: a host whose code still uses Asio APIs that are deprecated but present in the
// Boost in use, in a translation unit that also includes apig's headers. apig must not
// define BOOST_ASIO_NO_DEPRECATED (or anything else) for its consumers.
#include <apig/apig.hpp>

#include "../common/host_asio.hpp"

#include <boost/version.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#if BOOST_VERSION < 108700
// Boost 1.81..1.86: io_service, io_context::work, io_context::post and
// basic_waitable_timer::expires_from_now, all deprecated (removed in 1.87).
#include <boost/asio/io_service.hpp>
#include <boost/asio/steady_timer.hpp>

namespace {

struct deprecated_state {
    explicit deprecated_state(boost::asio::io_service& io) : timer(io), work(io) {}
    boost::asio::steady_timer timer;
    std::optional<boost::asio::io_service::work> work;  // io_context::work
    bool posted = false, waited = false;
};

downstream::host_task deprecated_apis() {
    auto st = std::make_shared<std::shared_ptr<deprecated_state>>();
    return {[st](boost::asio::io_service& io) {
                auto s = std::make_shared<deprecated_state>(io);
                *st = s;
                io.post([s] { s->posted = true; });  // io_context::post
                s->timer.expires_from_now(std::chrono::milliseconds(30));
                s->timer.async_wait([s](boost::system::error_code ec) {
                    s->waited = !ec;
                    s->work.reset();  // the work object kept io.run() going until now
                });
            },
            [st]() -> std::string {
                auto const& s = **st;
                if (!s.posted || !s.waited || s.work)
                    throw std::runtime_error("deprecated Asio APIs: post, wait or work not done");
                return "deprecated io_service/work/post/expires_from_now ok";
            }};
}

}  // namespace
#else
// Boost 1.87 removed these APIs and has none deprecated-but-present of the same kind that
// hosts commonly use: this scenario then only checks that apig's headers do not break a
// host translation unit (it still runs the listing, timer and echo).
namespace {
downstream::host_task deprecated_apis() {
    return {[](boost::asio::io_context&) {},
            [] { return std::string("deprecated Asio APIs: none present in this Boost"); }};
}
}  // namespace
#endif

int main(int argc, char** argv) {
    return downstream::run(DOWNSTREAM_SCENARIO, argc, argv, downstream::start_listing,
                           {host::ticking_timer(5, std::chrono::milliseconds(20)),
                            host::tcp_echo(4096), deprecated_apis()});
}
