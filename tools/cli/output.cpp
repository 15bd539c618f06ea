#include "output.hpp"

#include "json/encode.hpp"

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cstdio>
#include <ostream>
#include <span>
#include <vector>

namespace apig::cli {
namespace {

constexpr std::string_view replacement = "\xEF\xBF\xBD";  // U+FFFD
constexpr std::string_view ellipsis = "\xE2\x80\xA6";     // U+2026, one column

/// Decodes one code point of strict UTF-8 at `i` (no overlongs, surrogates or values above
/// U+10FFFF) and advances `i`; on an invalid sequence advances by one byte and returns
/// nullopt.
std::optional<char32_t> next_code_point(std::string_view s, std::size_t& i) noexcept {
    auto const byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char const b0 = byte(i);
    if (b0 < 0x80) {
        ++i;
        return b0;
    }
    std::size_t len = 0;
    char32_t cp = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        len = 2;
        cp = b0 & 0x1F;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        len = 3;
        cp = b0 & 0x0F;
        if (b0 == 0xE0) lo = 0xA0;  // overlong
        if (b0 == 0xED) hi = 0x9F;  // surrogates
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        len = 4;
        cp = b0 & 0x07;
        if (b0 == 0xF0) lo = 0x90;  // overlong
        if (b0 == 0xF4) hi = 0x8F;  // above U+10FFFF
    } else {
        ++i;
        return std::nullopt;
    }
    if (i + len > s.size()) {
        ++i;
        return std::nullopt;
    }
    for (std::size_t k = 1; k < len; ++k) {
        unsigned char const b = byte(i + k);
        if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) {
            ++i;
            return std::nullopt;
        }
        cp = (cp << 6) | (b & 0x3F);
    }
    i += len;
    return cp;
}

struct cp_range {
    char32_t first, last;
};

bool in_ranges(char32_t cp, std::span<cp_range const> ranges) noexcept {
    return std::any_of(ranges.begin(), ranges.end(),
                       [cp](cp_range r) { return cp >= r.first && cp <= r.last; });
}

// A simple approximation of wcwidth(): the big East Asian Wide/Fullwidth blocks and the
// common emoji blocks are wide; combining marks, variation selectors and zero-width spaces
// take no column. Good enough to align instance names; no locale is involved.
constexpr cp_range wide_ranges[] = {
    {0x1100, 0x115F},   {0x2E80, 0x303E},   {0x3041, 0x33FF},   {0x3400, 0x4DBF},
    {0x4E00, 0x9FFF},   {0xA000, 0xA4CF},   {0xA960, 0xA97F},   {0xAC00, 0xD7A3},
    {0xF900, 0xFAFF},   {0xFE10, 0xFE19},   {0xFE30, 0xFE6F},   {0xFF00, 0xFF60},
    {0xFFE0, 0xFFE6},   {0x1F200, 0x1F251}, {0x1F300, 0x1F64F}, {0x1F680, 0x1F6FF},
    {0x1F900, 0x1F9FF}, {0x1FA70, 0x1FAFF}, {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD},
};
constexpr cp_range zero_width_ranges[] = {
    {0x0300, 0x036F}, {0x1AB0, 0x1AFF}, {0x1DC0, 0x1DFF}, {0x200B, 0x200F},
    {0x20D0, 0x20FF}, {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F},
};
// Characters that can make a terminal line lie: controls, bidirectional overrides and
// isolates, line and paragraph separators.
constexpr cp_range unsafe_ranges[] = {
    {0x0000, 0x001F}, {0x007F, 0x009F}, {0x2028, 0x202E}, {0x2066, 0x2069},
};

std::size_t cp_width(char32_t cp) noexcept {
    if (in_ranges(cp, zero_width_ranges)) return 0;
    if (in_ranges(cp, wide_ranges)) return 2;
    return 1;
}

// ---- table -----------------------------------------------------------------------------

constexpr std::size_t table_columns = 6;
using table_row = std::array<std::string, table_columns>;

/// Long names would push every other column off screen; ids and the rest are bounded by the
/// API, the cap only stops a broken server.
constexpr std::size_t name_max_width = 40;
constexpr std::size_t other_max_width = 64;

/// A table cell: sanitized, capped, "-" for absent or empty so columns stay readable.
std::string cell(std::optional<std::string_view> v, std::size_t max_width) {
    if (!v || v->empty()) return "-";
    return truncate_to_width(sanitize_for_terminal(*v), max_width);
}

/// The status column: the name when sent, else the name of `instance_status`, else its code.
std::optional<std::string> status_text(instance const& inst) {
    if (inst.status) return std::string(inst.status->wire());
    if (inst.instance_status) {
        if (!inst.instance_status->is_unknown())
            return std::string(apig::to_string(inst.instance_status->value()));
        return std::to_string(inst.instance_status->code());
    }
    return std::nullopt;
}

template <class T>
std::optional<std::string_view> view(std::optional<T> const& v) {
    if (!v) return std::nullopt;
    return std::string_view(*v);
}

class table_writer final : public page_writer {
public:
    explicit table_writer(std::ostream& out) : out_(out) {}

    void write_page(instance_page const& page) override {
        // Buffered: the column widths depend on every row (like `column -t` or Go's
        // tabwriter). jsonl and csv are the streaming formats.
        for (auto const& inst : page.instances) {
            auto const status = status_text(inst);
            std::optional<std::string> created;
            if (inst.create_time) created = format_utc(*inst.create_time, false);
            std::optional<std::string_view> spec;
            if (inst.spec) spec = inst.spec->wire();
            rows_.push_back({cell(view(inst.id), other_max_width),
                             cell(view(inst.instance_name), name_max_width),
                             cell(view(status), other_max_width),
                             cell(spec, other_max_width),
                             cell(view(created), other_max_width),
                             cell(view(inst.eip_address), other_max_width)});
        }
    }

    void finish() override {
        if (finished_) return;
        finished_ = true;
        table_row const header{"ID", "NAME", "STATUS", "SPEC", "CREATED", "EIP"};
        std::array<std::size_t, table_columns> widths{};
        for (std::size_t c = 0; c < table_columns; ++c) widths[c] = display_width(header[c]);
        for (auto const& row : rows_)
            for (std::size_t c = 0; c < table_columns; ++c)
                widths[c] = std::max(widths[c], display_width(row[c]));
        std::string line;
        auto const print = [&](table_row const& row) {
            line.clear();
            for (std::size_t c = 0; c < table_columns; ++c) {
                line += row[c];
                if (c + 1 == table_columns) break;  // no trailing blanks
                line.append(widths[c] - display_width(row[c]) + 2, ' ');
            }
            line += '\n';
            out_ << line;
        };
        print(header);
        for (auto const& row : rows_) print(row);
        out_.flush();
        rows_.clear();
    }

private:
    std::ostream& out_;
    std::vector<table_row> rows_;
    bool finished_ = false;
};

// ---- json / jsonl ----------------------------------------------------------------------

class json_writer final : public page_writer {
public:
    json_writer(std::ostream& out, bool as_array) : out_(out), as_array_(as_array) {}

    void write_page(instance_page const& page) override {
        buf_.clear();
        // Array form: `[\n{page},\n{page}\n]\n`; one page object per line, so even the array
        // can be read line by line.
        if (as_array_) buf_ += pages_ == 0 ? "[\n" : ",\n";
        apig::json::append_page(buf_, page);
        if (!as_array_) buf_ += '\n';
        out_ << buf_;
        out_.flush();
        ++pages_;
    }

    void finish() override {
        if (finished_) return;
        finished_ = true;
        if (as_array_) out_ << (pages_ == 0 ? "[]\n" : "\n]\n");
        out_.flush();
    }

private:
    std::ostream& out_;
    bool as_array_;
    bool finished_ = false;
    std::size_t pages_ = 0;
    std::string buf_;
};

class jsonl_writer final : public page_writer {
public:
    explicit jsonl_writer(std::ostream& out) : out_(out) {}

    void write_page(instance_page const& page) override {
        buf_.clear();
        for (auto const& inst : page.instances) {
            apig::json::append_instance(buf_, inst);
            buf_ += '\n';
        }
        out_ << buf_;
        out_.flush();  // a consumer sees each page as soon as it arrived
    }

    void finish() override { out_.flush(); }

private:
    std::ostream& out_;
    std::string buf_;
};

// ---- csv -------------------------------------------------------------------------------

class csv_writer final : public page_writer {
public:
    explicit csv_writer(std::ostream& out) : out_(out) {}

    void write_page(instance_page const& page) override {
        buf_.clear();
        header();
        for (auto const& inst : page.instances) {
            buf_ += csv_row(inst);
            buf_ += '\n';
        }
        out_ << buf_;
        out_.flush();
    }

    void finish() override {
        buf_.clear();
        header();  // an empty listing is still a valid CSV file with its header
        out_ << buf_;
        out_.flush();
    }

private:
    void header() {
        if (header_written_) return;
        header_written_ = true;
        buf_ += csv_header();
        buf_ += '\n';
    }

    std::ostream& out_;
    std::string buf_;
    bool header_written_ = false;
};

class null_writer final : public page_writer {
public:
    void write_page(instance_page const&) override {}
    void finish() override {}
};

}  // namespace

std::unique_ptr<page_writer> make_writer(output_format format, std::ostream& out, bool as_array) {
    switch (format) {
    case output_format::table: return std::make_unique<table_writer>(out);
    case output_format::json: return std::make_unique<json_writer>(out, as_array);
    case output_format::jsonl: return std::make_unique<jsonl_writer>(out);
    case output_format::csv: return std::make_unique<csv_writer>(out);
    case output_format::none: return std::make_unique<null_writer>();
    }
    return std::make_unique<null_writer>();
}

std::size_t display_width(std::string_view utf8) noexcept {
    std::size_t width = 0;
    for (std::size_t i = 0; i < utf8.size();) {
        auto const cp = next_code_point(utf8, i);
        width += cp ? cp_width(*cp) : 1;
    }
    return width;
}

std::string sanitize_for_terminal(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        std::size_t const start = i;
        auto const cp = next_code_point(s, i);
        if (!cp || in_ranges(*cp, unsafe_ranges)) out += replacement;
        else out.append(s.substr(start, i - start));
    }
    return out;
}

std::string truncate_to_width(std::string_view s, std::size_t max_width) {
    if (display_width(s) <= max_width) return std::string(s);
    if (max_width == 0) return {};
    std::string out;
    std::size_t width = 0;
    for (std::size_t i = 0; i < s.size();) {
        std::size_t const start = i;
        auto const cp = next_code_point(s, i);
        std::size_t const w = cp ? cp_width(*cp) : 1;
        if (width + w > max_width - 1) break;  // keep one column for the ellipsis
        out.append(s.substr(start, i - start));
        width += w;
    }
    out += ellipsis;
    return out;
}

std::string format_utc(std::int64_t epoch_ms, bool with_millis) {
    constexpr std::int64_t ms_per_day = 86'400'000;
    // Floor division: times before 1970 count back from the previous midnight.
    std::int64_t days = epoch_ms / ms_per_day;
    std::int64_t ms_of_day = epoch_ms % ms_per_day;
    if (ms_of_day < 0) {
        ms_of_day += ms_per_day;
        --days;
    }
    // Days since 1970-01-01 to a civil date (H. Hinnant's days_from_civil inverse); exact
    // for the whole int64 range of days that epoch_ms can produce.
    std::int64_t const z = days + 719468;
    std::int64_t const era = (z >= 0 ? z : z - 146096) / 146097;
    auto const doe = static_cast<std::uint64_t>(z - era * 146097);
    std::uint64_t const yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    std::uint64_t const doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    std::uint64_t const mp = (5 * doy + 2) / 153;
    std::uint64_t const day = doy - (153 * mp + 2) / 5 + 1;
    std::uint64_t const month = mp < 10 ? mp + 3 : mp - 9;
    std::int64_t const year = static_cast<std::int64_t>(yoe) + era * 400 + (month <= 2 ? 1 : 0);
    if (year < 0 || year > 9999) return std::to_string(epoch_ms);

    auto const secs = static_cast<std::uint64_t>(ms_of_day / 1000);
    char buf[40];
    int const n = std::snprintf(
        buf, sizeof buf, "%04" PRId64 "-%02" PRIu64 "-%02" PRIu64 "T%02" PRIu64 ":%02" PRIu64
                         ":%02" PRIu64,
        year, month, day, secs / 3600, secs / 60 % 60, secs % 60);
    std::string out(buf, static_cast<std::size_t>(n));
    if (with_millis) {
        std::snprintf(buf, sizeof buf, ".%03" PRId64, ms_of_day % 1000);
        out += buf;
    }
    out += 'Z';
    return out;
}

std::string diagnostic_line(std::string_view severity, std::string_view message) {
    std::string out(program_name);
    out += ": ";
    if (!severity.empty()) {
        out.append(severity);
        out += ": ";
    }
    out += truncate_to_width(sanitize_for_terminal(message), max_diagnostic_width);
    out += '\n';
    return out;
}

std::string csv_field(std::string_view s) {
    // Checked on the value as received: a leading tab or CR is replaced below, but a
    // spreadsheet that trims it would see the formula behind it.
    bool const formula = !s.empty() && std::string_view("=+-@\t\r").find(s.front()) != std::string_view::npos;
    std::string text = sanitize_for_terminal(s);  // no CR or LF is left to quote
    if (!formula && text.find_first_of(",\"") == std::string::npos) return text;
    std::string out;
    out.reserve(text.size() + 3);
    out += '"';
    if (formula) out += '\'';
    for (char const c : text) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
    return out;
}

std::string csv_header() {
    return "id,instance_name,status,instance_status,spec,type,create_time,eip_address,"
           "charging_mode,enterprise_project_id,loadbalancer_provider";
}

std::string csv_row(instance const& inst) {
    std::string row;
    auto const field = [&row](std::optional<std::string_view> v, bool first = false) {
        if (!first) row += ',';
        if (v) row += csv_field(*v);
    };
    // Written by the CLI from an integer (digits, a '-', a timestamp): no formula, no quoting.
    auto const number = [&row](std::optional<std::string_view> v) {
        row += ',';
        if (v) row.append(*v);
    };
    // Enumerations are written in their wire form (numbers stay numbers), as in the API.
    std::optional<std::string> instance_status, create_time, charging_mode;
    if (inst.instance_status) instance_status = std::to_string(inst.instance_status->code());
    if (inst.create_time) create_time = format_utc(*inst.create_time, true);
    if (inst.charging_mode) charging_mode = std::to_string(inst.charging_mode->code());
    std::optional<std::string_view> status, spec, lb;
    if (inst.status) status = inst.status->wire();
    if (inst.spec) spec = inst.spec->wire();
    if (inst.loadbalancer_provider) lb = inst.loadbalancer_provider->wire();

    field(view(inst.id), true);
    field(view(inst.instance_name));
    field(status);
    number(view(instance_status));
    field(spec);
    field(view(inst.type));
    number(view(create_time));
    field(view(inst.eip_address));
    number(view(charging_mode));
    field(view(inst.enterprise_project_id));
    field(lb);
    return row;
}

std::string format_summary(listing_stats const& s) {
    std::string out = std::to_string(s.instances);
    std::uint64_t plural_of = s.instances;
    if (s.total) {
        out += " of " + std::to_string(*s.total);
        plural_of = *s.total < 0 ? 0 : static_cast<std::uint64_t>(*s.total);
    }
    out += plural_of == 1 ? " instance, " : " instances, ";
    out += std::to_string(s.pages);
    out += s.pages == 1 ? " page, " : " pages, ";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f s", s.seconds);
    out += buf;
    if (s.retries) out += ", " + std::to_string(s.retries) + (s.retries == 1 ? " retry" : " retries");
    if (s.duplicates)
        out += ", " + std::to_string(s.duplicates) + (s.duplicates == 1 ? " duplicate" : " duplicates") + " dropped";
    if (!s.complete) out += ", incomplete";
    return out;
}

std::string format_stats_json(listing_stats const& s) {
    double const rate = s.seconds > 0 ? static_cast<double>(s.instances) / s.seconds : 0.0;
    char buf[96];
    std::string out = "{\"instances\":" + std::to_string(s.instances);
    out += ",\"pages\":" + std::to_string(s.pages);
    std::snprintf(buf, sizeof buf, ",\"seconds\":%.6f,\"instances_per_s\":%.1f", s.seconds, rate);
    out += buf;
    out += ",\"total\":" + (s.total ? std::to_string(*s.total) : std::string("null"));
    out += ",\"retries\":" + std::to_string(s.retries);
    out += ",\"duplicates\":" + std::to_string(s.duplicates);
    out += s.complete ? ",\"complete\":true}" : ",\"complete\":false}";
    return out;
}

std::string format_progress(progress_stats const& s) {
    // Plurals as in the summary: "1/1 page", "3/20 pages", "1 of 1 instance".
    std::string out = std::to_string(s.pages);
    std::uint64_t pages_plural_of = s.pages;
    if (s.expected_pages) {
        pages_plural_of = std::max(*s.expected_pages, s.pages);
        out += "/" + std::to_string(pages_plural_of);
    }
    out += pages_plural_of == 1 ? " page, " : " pages, ";
    out += std::to_string(s.instances);
    std::uint64_t instances_plural_of = s.instances;
    if (s.total) {
        out += " of " + std::to_string(*s.total);
        instances_plural_of = *s.total < 0 ? 0 : static_cast<std::uint64_t>(*s.total);
    }
    out += instances_plural_of == 1 ? " instance" : " instances";
    if (s.seconds > 0) {
        char buf[48];
        std::snprintf(buf, sizeof buf, ", %.0f instances/s",
                      static_cast<double>(s.instances) / s.seconds);
        out += buf;
    }
    if (s.retries) out += ", " + std::to_string(s.retries) + (s.retries == 1 ? " retry" : " retries");
    return out;
}

void progress_line::draw(std::string_view text) {
    if (columns_ > 1 && text.size() > columns_ - 1) text = text.substr(0, columns_ - 1);
    std::string buf;
    buf.reserve(text.size() + 8);
    buf += '\r';
    buf += text;
    buf += "\x1b[K";
    out_ << buf;
    out_.flush();
    drawn_ = true;
}

void progress_line::clear() {
    if (!drawn_) return;
    out_ << "\r\x1b[K";
    out_.flush();
    drawn_ = false;
}

}  // namespace apig::cli
