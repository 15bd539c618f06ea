#pragma once

// Output of apig-instances: the five --format writers and the helpers they share. Writers get
// pages as they arrive and write to any std::ostream, so tests can capture their output.

#include "cli_options.hpp"

#include <apig/model.hpp>

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace apig::cli {

/// Receives every page of a listing, in order.
class page_writer {
public:
    virtual ~page_writer() = default;
    /// One page; streaming formats write (and flush) it at once.
    virtual void write_page(instance_page const& page) = 0;
    /// After the last page, also after a failure: leaves the output in a valid form with
    /// whatever was received (the table is printed, a JSON array is closed). Whether the
    /// listing is complete is told by the exit status and the summary line, not by stdout.
    virtual void finish() = 0;
};

/// The writer for `format`. `as_array` (json only): write a JSON array of page objects
/// instead of one page object; used whenever more than one page may come (--all, --demo).
std::unique_ptr<page_writer> make_writer(output_format format, std::ostream& out, bool as_array);

/// Terminal columns taken by UTF-8 text: one per code point, two for East Asian wide and
/// fullwidth characters, none for combining marks and zero-width characters. Invalid bytes
/// count one each.
std::size_t display_width(std::string_view utf8) noexcept;

/// `s` made safe to print to a terminal: invalid UTF-8, control characters (C0, DEL, C1) and
/// bidirectional overrides become U+FFFD, so data from the server cannot move the cursor,
/// change colours or reorder the line.
std::string sanitize_for_terminal(std::string_view s);

/// `s` cut to at most `max_width` columns, ending in "…" when cut. Expects sanitized text.
std::string truncate_to_width(std::string_view s, std::size_t max_width);

/// The longest message a diagnostic line shows, in terminal columns; longer ones end in "…".
inline constexpr std::size_t max_diagnostic_width = 4096;

/// The one filter for everything the CLI writes to stderr besides the progress line: the
/// line `apig-instances: <severity>: <message>\n` (`apig-instances: <message>\n` when
/// `severity` is empty), with `message` passed through sanitize_for_terminal and cut to
/// max_diagnostic_width. Error text holds server- and user-derived parts (an API's error
/// message, a quoted option value, a file name): this keeps escape sequences, C0/C1 controls,
/// bidi overrides and invalid UTF-8 in them from reaching the terminal, and keeps the message
/// on one line.
std::string diagnostic_line(std::string_view severity, std::string_view message);

/// `epoch_ms` as ISO-8601 UTC: `2020-03-27T09:53:45Z`, or with `with_millis`
/// `2020-03-27T09:53:45.070Z`. Years outside 0000..9999 (nonsense from the server) have no
/// plain ISO-8601 form; the raw number is returned instead so nothing is lost.
std::string format_utc(std::int64_t epoch_ms, bool with_millis);

/// One CSV cell of text (server data), safe to open in a spreadsheet:
/// - control characters (C0 with CR, LF and tab, DEL, C1), bidi overrides and isolates, line
///   and paragraph separators and invalid UTF-8 become U+FFFD (as in sanitize_for_terminal);
///   the exact value is in `--format json` / `jsonl`;
/// - a cell starting with `=`, `+`, `-`, `@`, tab or CR (a formula to Excel, LibreOffice and
///   Google Sheets) gets a leading `'` (OWASP's CSV-injection rule), so `=cmd|'/C calc'!A0`
///   is written `"'=cmd|'/C calc'!A0"`;
/// - RFC 4180 quoting: quoted when it contains `,` or `"` or was given the `'`, with `"`
///   doubled.
/// Numbers the CLI formats itself (csv_row's integer columns) are not text and skip this.
std::string csv_field(std::string_view s);

/// The header row and the row of an instance, without line end (columns: id, instance_name,
/// status, instance_status, spec, type, create_time, eip_address, charging_mode,
/// enterprise_project_id, loadbalancer_provider; absent fields are empty). Text columns go
/// through csv_field. `instance_status`, `charging_mode` and `create_time` are written by the
/// CLI from integers (create_time as ISO-8601, or as the raw number when its year is outside
/// 0000..9999): `-?[0-9]+` or a timestamp, never a formula, so they are written as they are and
/// a negative number stays a number (`-5`, not `'-5`).
std::string csv_header();
std::string csv_row(instance const& inst);

/// Counts for the summary line.
struct listing_stats {
    std::uint64_t instances = 0;
    std::uint64_t pages = 0;
    /// `total` of the last page received, if it had one.
    std::optional<std::int64_t> total;
    double seconds = 0;
    /// Retried attempts (client_stats::retries); shown only when not zero.
    std::uint64_t retries = 0;
    /// Instances the walk dropped because their id had been listed already
    /// (walk_stats::duplicates_dropped); shown only when not zero.
    std::uint64_t duplicates = 0;
    /// False when the listing stopped on an error.
    bool complete = true;
};

/// The summary line (no newline): `42 instances, 1 page, 0.123 s`, or with a known total
/// `42 of 10001 instances, 1 page, 0.123 s`; `, 3 retries` when requests were retried,
/// `, 5 duplicates dropped` when the walk dropped repeated ids, and `, incomplete` after a
/// failure.
std::string format_summary(listing_stats const& s);

/// The --stats line (no newline), one JSON object:
/// `{"instances":1000,"pages":2,"seconds":0.123456,"instances_per_s":8100.0,"total":1000,
/// "retries":0,"duplicates":0,"complete":true}`; `total` is null when no page had one, and
/// `instances_per_s` is 0 when no time passed.
std::string format_stats_json(listing_stats const& s);

/// What the progress line shows.
struct progress_stats {
    std::uint64_t pages = 0;
    /// Pages the listing should take, when known (see expected_pages in listing.hpp).
    std::optional<std::uint64_t> expected_pages;
    std::uint64_t instances = 0;
    /// `total` of the last page received, if it had one.
    std::optional<std::int64_t> total;
    /// Since the listing started.
    double seconds = 0;
    /// Retried attempts so far (client_stats::retries); shown only when not zero.
    std::uint64_t retries = 0;
};

/// The progress line, plain ASCII, without `\r` or newline:
/// `3/20 pages, 1500 of 10000 instances, 2345 instances/s, 2 retries`; without a known total
/// `3 pages, 1500 instances, 2345 instances/s`; `, N retries` only when there were some.
/// The expected count never shows below the pages done (the list may have grown). The rate
/// is left out before any time has passed.
std::string format_progress(progress_stats const& s);

/// One line of a terminal rewritten in place (the progress line on stderr). Only for a
/// terminal: the caller decides (isatty, --quiet); this class writes whatever it is told.
class progress_line {
public:
    /// `columns`: the terminal's width; lines are cut to `columns - 1` so they never wrap
    /// (a wrapped line could not be rewritten with `\r`). 0: unknown, not cut.
    explicit progress_line(std::ostream& out, std::size_t columns = 0) : out_(out), columns_(columns) {}
    /// Replaces the line with `text` (`\r`, text, erase to the end of the line), in one write.
    void draw(std::string_view text);
    /// Erases the line (`\r\x1b[K`) if anything was drawn, so that what follows (the summary,
    /// an error) starts on a clean line. Nothing is written when nothing was drawn.
    void clear();

private:
    std::ostream& out_;
    std::size_t columns_;
    bool drawn_ = false;
};

}  // namespace apig::cli
