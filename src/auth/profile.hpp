#pragma once

// The profile file of Huawei Cloud's official SDKs (`~/.huaweicloud/credentials`, or the file
// HUAWEICLOUD_SDK_CREDENTIALS_FILE names): INI, section `[basic]`, keys `ak`, `sk`,
// `security_token`, `project_id`, `iam_endpoint`. Parsing is a pure function; loading checks
// the file (regular, bounded, its permissions) before reading it. Internal header.

#include <apig/credentials.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace apig::auth {

/// A lookup of an environment variable: the value, or nullopt when it is not set.
using getenv_fn = std::function<std::optional<std::string>(std::string_view)>;

/// The process environment (std::getenv).
getenv_fn process_getenv();

/// What the `[basic]` section holds, every value trimmed of ASCII whitespace. Holds secrets.
struct profile_values {
    std::string ak{};
    std::string sk{};
    std::string security_token{};
    std::string project_id{};
    std::string iam_endpoint{};
};

/// The result of parsing or loading a profile.
struct profile_result {
    /// Set when the section has both `ak` and `sk` (non-empty after trimming).
    std::optional<profile_values> values{};
    /// When `values` is empty: why, as `<path>: <phrase>` (the path made printable, at most
    /// 256 bytes), the phrase naming what is missing or wrong (never a value): "no [basic]
    /// section", "[basic] has no sk", "[basic] has an empty ak", "line 7 is not
    /// `key = value`", "not found", "is a directory, not a file", "is larger than 64 KiB",
    /// "cannot be read: Permission denied".
    std::string why_not{};
    /// One line each, naming the file: e.g. "<path> is readable by group or others (mode
    /// 0644); run chmod 600 <path>" (as ssh warns), a key given twice in [basic]. Never a value.
    std::vector<std::string> warnings{};
};

/// Parses INI text. Rules (those of the official SDKs' INI library, where they matter):
/// lines are separated by LF (a CR before it is dropped); leading/trailing whitespace is
/// ignored; empty lines and lines starting with `;` or `#` are comments; `[name]` opens a
/// section (name trimmed, compared case-sensitively: `basic`); `key = value` or `key: value`
/// sets a key (key trimmed and compared case-insensitively, value trimmed; a value may be
/// empty; surrounding double quotes around the whole value are removed). A later key in the
/// same section overrides an earlier one (with a warning). Keys outside `[basic]` and unknown
/// keys are ignored. A value with a control character inside is refused: `why_not` names the
/// key. A UTF-8 BOM at the start is skipped. `origin` (the path) is used in messages.
profile_result parse_profile(std::string_view text, std::string_view origin);

/// Where the profile is: HUAWEICLOUD_SDK_CREDENTIALS_FILE if set and non-empty, else
/// `$HOME/.huaweicloud/credentials`; nullopt when neither is set (no HOME).
std::optional<std::string> profile_path(getenv_fn const& getenv);

/// Loads the profile at `path`: refuses without opening a path that is not a regular file
/// (a directory, FIFO, device) and a file larger than 64 KiB; warns when it is readable by
/// group or others (mode & 077, as ssh does); then reads and parses it. `why_not` ends with
/// ": not found" (`<path>: not found`) exactly when the file does not exist (ENOENT), so the
/// chain can tell "absent" from "broken". The path is checked with stat before it is opened,
/// and what was opened (O_NONBLOCK, so a FIFO swapped in cannot block) is checked again.
profile_result load_profile(std::string const& path);

}  // namespace apig::auth
