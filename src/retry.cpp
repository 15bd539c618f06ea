// Retry policy, budget and the sans-I/O pieces of the retry loop: backoff, Retry-After, and
// the classification of failures.
#include <apig/retry.hpp>

#include "error_detail.hpp"
#include "retry_detail.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>

namespace apig {
namespace detail {

// ---- backoff -----------------------------------------------------------------------------

std::chrono::milliseconds backoff_delay(retry_policy const& p, int attempt, double random01) noexcept {
    using ms = std::chrono::milliseconds;
    if (attempt < 1) attempt = 1;
    // r into [0, 1); NaN counts as 0.
    double r = random01;
    if (!(r >= 0.0)) r = 0.0;
    if (r >= 1.0) r = std::nextafter(1.0, 0.0);

    double const initial = static_cast<double>(p.initial_backoff.count());
    double const cap = static_cast<double>(p.max_backoff.count());
    // A non-positive initial backoff or cap means "no wait".
    if (!(initial > 0.0) || !(cap > 0.0)) return ms{0};
    // A multiplier below 1 (or NaN) would shrink the wait: it counts as 1 (constant backoff).
    double const mult = p.multiplier >= 1.0 ? p.multiplier : 1.0;

    // initial * mult^(attempt-1) in double: a huge exponent gives +inf (not UB), which the
    // cap then absorbs. Checking against the cap first keeps inf * 0 out of the picture.
    double ceiling = cap;
    if (initial < cap) {
        double const grown = initial * std::pow(mult, static_cast<double>(attempt - 1));
        if (grown < cap) ceiling = grown;  // false for +inf and NaN
    }
    double const v = std::floor(r * ceiling);
    constexpr auto max_count = std::numeric_limits<ms::rep>::max();
    if (!(v < static_cast<double>(max_count))) return ms{max_count};
    return ms{static_cast<ms::rep>(v)};
}

// ---- Retry-After -------------------------------------------------------------------------

namespace {

using std::string_view;

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }

/// A tiny cursor over the value: every step either consumes exactly what it expects or fails.
struct cursor {
    string_view s;
    std::size_t pos = 0;

    bool done() const noexcept { return pos == s.size(); }

    bool lit(char c) noexcept {
        if (pos < s.size() && s[pos] == c) {
            ++pos;
            return true;
        }
        return false;
    }

    bool lit(string_view text) noexcept {
        if (s.size() - pos < text.size() || !boost::beast::iequals(s.substr(pos, text.size()), text)) return false;
        pos += text.size();
        return true;
    }

    /// Exactly n digits.
    bool digits(int n, int& out) noexcept {
        if (s.size() - pos < static_cast<std::size_t>(n)) return false;
        int v = 0;
        for (int i = 0; i < n; ++i) {
            char const c = s[pos + static_cast<std::size_t>(i)];
            if (!is_digit(c)) return false;
            v = v * 10 + (c - '0');
        }
        pos += static_cast<std::size_t>(n);
        out = v;
        return true;
    }

    /// One of the names; out = its index.
    template <std::size_t N>
    bool one_of(std::array<string_view, N> const& names, int& out) noexcept {
        for (std::size_t i = 0; i < N; ++i) {
            if (lit(names[i])) {
                out = static_cast<int>(i);
                return true;
            }
        }
        return false;
    }
};

constexpr std::array<string_view, 7> day_names{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
// Longest first is not needed: no long name is a prefix of another long name.
constexpr std::array<string_view, 7> long_day_names{"Monday", "Tuesday", "Wednesday", "Thursday",
                                                   "Friday", "Saturday", "Sunday"};
constexpr std::array<string_view, 12> month_names{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

struct civil_time {
    int year = 0;
    int month = 0;  // 1..12
    int day = 0;
    int hour = 0;
    int minute = 0;
    int second = 0;
};

bool time_of_day(cursor& c, civil_time& t) noexcept {
    return c.digits(2, t.hour) && c.lit(':') && c.digits(2, t.minute) && c.lit(':') &&
           c.digits(2, t.second);
}

bool month_name(cursor& c, civil_time& t) noexcept {
    int m = 0;
    if (!c.one_of(month_names, m)) return false;
    t.month = m + 1;
    return true;
}

// IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
bool imf_fixdate(string_view s, civil_time& t) noexcept {
    cursor c{s};
    int dn = 0;
    return c.one_of(day_names, dn) && c.lit(", ") && c.digits(2, t.day) && c.lit(' ') &&
           month_name(c, t) && c.lit(' ') && c.digits(4, t.year) && c.lit(' ') && time_of_day(c, t) &&
           c.lit(" GMT") && c.done();
}

// RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT" (two-digit year, resolved by the caller).
bool rfc850_date(string_view s, civil_time& t) noexcept {
    cursor c{s};
    int dn = 0;
    return c.one_of(long_day_names, dn) && c.lit(", ") && c.digits(2, t.day) && c.lit('-') &&
           month_name(c, t) && c.lit('-') && c.digits(2, t.year) && c.lit(' ') && time_of_day(c, t) &&
           c.lit(" GMT") && c.done();
}

// asctime: "Sun Nov  6 08:49:37 1994" (day as 2DIGIT or SP DIGIT).
bool asctime_date(string_view s, civil_time& t) noexcept {
    cursor c{s};
    int dn = 0;
    if (!(c.one_of(day_names, dn) && c.lit(' ') && month_name(c, t) && c.lit(' '))) return false;
    if (c.lit(' ')) {
        if (!c.digits(1, t.day)) return false;
    } else if (!c.digits(2, t.day)) {
        return false;
    }
    return c.lit(' ') && time_of_day(c, t) && c.lit(' ') && c.digits(4, t.year) && c.done();
}

/// Seconds since the epoch of a valid civil UTC time, or nullopt if a field is out of range.
/// Days-from-civil arithmetic (std::chrono::sys_days), never the local time zone.
std::optional<std::chrono::sys_seconds> to_sys_seconds(civil_time const& t) noexcept {
    using namespace std::chrono;
    year_month_day const ymd{year{t.year}, month{static_cast<unsigned>(t.month)},
                             day{static_cast<unsigned>(t.day)}};
    if (!ymd.ok()) return std::nullopt;  // day 32, 30 Feb, 29 Feb of a common year, ...
    // Second 60 is a leap second (RFC 9110 allows it); it counts as the next second.
    if (t.hour > 23 || t.minute > 59 || t.second > 60) return std::nullopt;
    return sys_days{ymd} + hours{t.hour} + minutes{t.minute} + seconds{t.second};
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                          std::chrono::system_clock::time_point now) {
    using namespace std::chrono;
    while (!value.empty() && is_ows(value.front())) value.remove_prefix(1);
    while (!value.empty() && is_ows(value.back())) value.remove_suffix(1);
    if (value.empty()) return std::nullopt;

    // delta-seconds: 1*DIGIT. Saturates at milliseconds::max() instead of overflowing.
    if (std::all_of(value.begin(), value.end(), is_digit)) {
        constexpr auto max_ms = milliseconds::max().count();
        constexpr auto max_s = max_ms / 1000;
        milliseconds::rep s = 0;
        for (char c : value) {
            int const d = c - '0';
            if (s > (max_s - d) / 10) return milliseconds::max();
            s = s * 10 + d;
        }
        return milliseconds{s * 1000};
    }

    civil_time t;
    if (imf_fixdate(value, t) || asctime_date(value, t)) {
        // four-digit year as written
    } else if (rfc850_date(value, t)) {
        // RFC 9110 §5.6.7: a two-digit year more than 50 years in the future is the most
        // recent past year with the same last two digits.
        int const now_year = static_cast<int>(year_month_day{floor<days>(now)}.year());
        int y = now_year - now_year % 100 + t.year;
        if (y > now_year + 50) y -= 100;
        t.year = y;
    } else {
        return std::nullopt;
    }
    auto const when = to_sys_seconds(t);
    if (!when) return std::nullopt;

    // In milliseconds (their range covers any 4-digit year, nanoseconds' does not). Flooring
    // `now` rounds the wait up, so a client never comes back before the date.
    auto const now_ms = floor<milliseconds>(now);
    auto const when_ms = time_point_cast<milliseconds>(*when);
    if (when_ms <= now_ms) return milliseconds{0};
    return when_ms - now_ms;
}

retry_seams& seams(retry_policy& p) {
    if (!p.internal_seams || p.internal_seams.use_count() > 1) {  // copy on write
        auto own = p.internal_seams ? std::make_shared<retry_seams>(*p.internal_seams)
                                    : std::make_shared<retry_seams>();
        p.internal_seams = own;
        return *own;
    }
    return const_cast<retry_seams&>(*p.internal_seams);  // made non-const above, owned alone
}

}  // namespace detail

// ---- budget ------------------------------------------------------------------------------

retry_budget::retry_budget(retry_budget_options opts) : opts_(opts), tokens_(opts.capacity) {}

bool retry_budget::try_acquire(bool after_timeout) noexcept {
    if (!opts_.enabled) return true;
    std::uint32_t const cost = after_timeout ? opts_.timeout_cost : opts_.retry_cost;
    std::uint32_t cur = tokens_.load(std::memory_order_relaxed);
    do {
        if (cur < cost) return false;
    } while (!tokens_.compare_exchange_weak(cur, cur - cost, std::memory_order_relaxed,
                                            std::memory_order_relaxed));
    return true;
}

void retry_budget::on_success(std::uint32_t refund_of_retries) noexcept {
    if (!opts_.enabled) return;
    std::uint64_t const add = refund_of_retries == 0 ? opts_.success_refund : refund_of_retries;
    std::uint32_t cur = tokens_.load(std::memory_order_relaxed);
    std::uint32_t next = 0;
    do {
        next = static_cast<std::uint32_t>(std::min<std::uint64_t>(opts_.capacity, cur + add));
        if (next <= cur) return;  // already full (or above a capacity it never exceeds)
    } while (!tokens_.compare_exchange_weak(cur, next, std::memory_order_relaxed,
                                            std::memory_order_relaxed));
}

std::uint32_t retry_budget::available() const noexcept {
    return tokens_.load(std::memory_order_relaxed);
}

namespace detail {

// ---- classification ----------------------------------------------------------------------

namespace {

bool is_http_status_errc(boost::system::error_code const& ec) noexcept {
    if (ec.category() != category()) return false;
    int const v = ec.value();
    return v >= static_cast<int>(errc::bad_request) && v <= static_cast<int>(errc::unexpected_status);
}

bool is_transport_failure(boost::system::error_code const& ec) noexcept {
    namespace asio_error = boost::asio::error;
    namespace sys_errc = boost::system::errc;
    // apig's own transport errors.
    if (ec == errc::connect_failed || ec == errc::resolve_failed || ec == errc::timed_out)
        return true;
    // System errors: compared as conditions, so the system and the generic category both match.
    if (ec == sys_errc::connection_reset || ec == sys_errc::connection_refused ||
        ec == sys_errc::connection_aborted || ec == sys_errc::broken_pipe ||
        ec == sys_errc::network_unreachable || ec == sys_errc::host_unreachable ||
        ec == sys_errc::timed_out)
        return true;
    // The Asio codes themselves (the same values in the system category on POSIX).
    if (is_error(ec, asio_error::connection_reset) || is_error(ec, asio_error::connection_refused) ||
        is_error(ec, asio_error::connection_aborted) || is_error(ec, asio_error::broken_pipe) ||
        is_error(ec, asio_error::network_unreachable) || is_error(ec, asio_error::host_unreachable) ||
        is_error(ec, asio_error::timed_out))
        return true;
    // The peer closed the connection before or during the response.
    if (is_error(ec, asio_error::eof) || is_error(ec, boost::beast::http::error::end_of_stream) ||
        is_error(ec, boost::beast::http::error::partial_message) ||
        is_error(ec, boost::asio::ssl::error::stream_truncated))
        return true;
    // A Beast stream's own timeout.
    return is_error(ec, boost::beast::error::timeout);
}

bool never_listed(unsigned status) noexcept {
    return status == 400 || status == 401 || status == 403 || status == 404;
}

retry_verdict classify_rules(retry_policy const& p, error_info const& e) {
    auto const& ec = e.code;
    if (ec == errc::tls_verification_failed || ec == errc::invalid_argument ||
        ec == errc::response_too_large)
        return retry_verdict::not_retryable;
    // A proxy's refusal of the tunnel is judged by its status like the API's (502, 503, 504:
    // the proxy could not reach the API; 407 and 403 are not listed).
    if (e.http_status != 0 && (is_http_status_errc(ec) || ec == errc::proxy_error)) {
        bool const listed = std::find(p.retry_statuses.begin(), p.retry_statuses.end(),
                                      e.http_status) != p.retry_statuses.end();
        return listed ? retry_verdict::retry : retry_verdict::not_retryable;
    }
    if (ec == errc::bad_response)
        return p.retry_bad_response ? retry_verdict::retry : retry_verdict::not_retryable;
    if (is_transport_failure(ec))
        return p.retry_transport_errors ? retry_verdict::retry : retry_verdict::not_retryable;
    return retry_verdict::not_retryable;
}

}  // namespace

retry_verdict classify(retry_policy const& p, error_info const& e) {
    if (e.code == boost::asio::error::operation_aborted ||
        e.code == boost::system::errc::operation_canceled)
        return retry_verdict::cancelled;
    if (never_listed(e.http_status)) return retry_verdict::not_retryable;
    retry_verdict const v = classify_rules(p, e);
    if (v == retry_verdict::retry && p.filter && !p.filter(e)) return retry_verdict::not_retryable;
    return v;
}

}  // namespace detail
}  // namespace apig
