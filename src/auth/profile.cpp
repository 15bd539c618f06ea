// The official SDKs' profile file: path, checks, INI parse of [basic].
#include "profile.hpp"

#include "error_detail.hpp"
#include "signer.hpp"
#include "small_file.hpp"

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <type_traits>
#include <sys/stat.h>

namespace apig::auth {
namespace {

constexpr std::size_t max_profile_size = 64 * 1024;
constexpr std::string_view section_name = "basic";
constexpr std::array<std::string_view, 5> known_keys{"ak", "sk", "security_token", "project_id", "iam_endpoint"};

// How a path appears in messages: printable, bounded.
std::string shown(std::string_view path) { return printable(path, 256); }

char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequal(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

bool has_control(std::string_view v) noexcept {
    for (char c : v) {
        auto const u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) return true;
    }
    return false;
}

std::string& field(profile_values& v, std::size_t key) {
    switch (key) {
    case 0: return v.ak;
    case 1: return v.sk;
    case 2: return v.security_token;
    case 3: return v.project_id;
    default: return v.iam_endpoint;
    }
}

profile_result failed(std::string_view origin, std::string const& why) {
    profile_result r;
    r.why_not = shown(origin) + ": " + why;
    return r;
}

std::string errno_text(int e) {
    char buf[256];
    // The GNU strerror_r returns the text (maybe not in buf); the XSI one fills buf.
    auto const* text = [&]() -> char const* {
        if constexpr (std::is_same_v<decltype(strerror_r(e, buf, sizeof buf)), char*>) {
            return strerror_r(e, buf, sizeof buf);
        } else {
            return strerror_r(e, buf, sizeof buf) == 0 ? buf : "unknown error";
        }
    }();
    return text;
}

// Why a file of this type is refused; empty for a regular file.
std::string_view not_regular(mode_t mode) noexcept {
    if (S_ISREG(mode)) return {};
    if (S_ISDIR(mode)) return "is a directory, not a file";
    if (S_ISFIFO(mode)) return "is a FIFO, not a file";
    if (S_ISSOCK(mode)) return "is a socket, not a file";
    if (S_ISCHR(mode) || S_ISBLK(mode)) return "is a device, not a file";
    return "is not a regular file";
}

std::string too_large() { return "is larger than " + std::to_string(max_profile_size / 1024) + " KiB"; }


}  // namespace

getenv_fn process_getenv() {
    return [](std::string_view name) -> std::optional<std::string> {
        std::string const n(name);
        char const* v = std::getenv(n.c_str());
        if (v == nullptr) return std::nullopt;
        return std::string(v);
    };
}

profile_result parse_profile(std::string_view text, std::string_view origin) {
    profile_result r;
    constexpr std::string_view bom = "\xEF\xBB\xBF";
    if (text.substr(0, bom.size()) == bom) text.remove_prefix(bom.size());

    profile_values values;
    std::array<std::size_t, known_keys.size()> seen_at{};  // line numbers; 0: not seen
    bool in_basic = false, has_basic = false;
    std::size_t line_no = 0;
    while (!text.empty()) {
        ++line_no;
        std::size_t const lf = text.find('\n');
        std::string_view line = text.substr(0, lf);
        text.remove_prefix(lf == std::string_view::npos ? text.size() : lf + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        line = trim(line);
        if (line.empty() || line.front() == ';' || line.front() == '#') continue;
        std::string const where = "line " + std::to_string(line_no);
        if (line.front() == '[') {
            if (line.back() != ']') return failed(origin, where + " is not a section header `[name]`");
            in_basic = trim(line.substr(1, line.size() - 2)) == section_name;
            has_basic = has_basic || in_basic;
            continue;
        }
        std::size_t const sep = line.find_first_of("=:");
        if (sep == std::string_view::npos) return failed(origin, where + " is not `key = value`");
        std::string_view const key = trim(line.substr(0, sep));
        if (key.empty()) return failed(origin, where + " has no key before `" + line[sep] + "`");
        if (!in_basic) continue;
        std::size_t k = 0;
        while (k < known_keys.size() && !iequal(key, known_keys[k])) ++k;
        if (k == known_keys.size()) continue;
        std::string_view value = trim(line.substr(sep + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
            value = value.substr(1, value.size() - 2);
        if (has_control(value))
            return failed(origin, "[basic] " + std::string(known_keys[k]) + " (" + where +
                                      ") contains a control character");
        if (seen_at[k] != 0)
            r.warnings.push_back(shown(origin) + ": [basic] has " + std::string(known_keys[k]) + " twice (lines " +
                                 std::to_string(seen_at[k]) + " and " + std::to_string(line_no) +
                                 "); the last one is used");
        seen_at[k] = line_no;
        field(values, k) = std::string(trim(value));
    }
    if (!has_basic) {
        r.why_not = shown(origin) + ": no [basic] section";
        return r;
    }
    for (std::size_t k = 0; k < 2; ++k) {
        if (field(values, k).empty()) {
            r.why_not = shown(origin) + ": [basic] " +
                        (seen_at[k] == 0 ? "has no " + std::string(known_keys[k])
                                         : "has an empty " + std::string(known_keys[k]));
            return r;
        }
    }
    r.values = std::move(values);
    return r;
}

std::optional<std::string> profile_path(getenv_fn const& getenv) {
    if (auto file = getenv("HUAWEICLOUD_SDK_CREDENTIALS_FILE"); file && !file->empty()) return *file;
    if (auto home = getenv("HOME"); home && !home->empty()) {
        std::string out = *home;
        if (out.back() != '/') out += '/';
        return out + ".huaweicloud/credentials";
    }
    return std::nullopt;
}

profile_result load_profile(std::string const& path) {
    // Judge the path before opening it (opening a FIFO or a device can have effects), then
    // judge what was opened (the path may have been replaced in between).
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        int const e = errno;
        if (e == ENOENT) return failed(path, "not found");
        return failed(path, "cannot be read: " + errno_text(e));
    }
    if (auto why = not_regular(st.st_mode); !why.empty()) return failed(path, std::string(why));
    if (static_cast<std::uintmax_t>(st.st_size) > max_profile_size) return failed(path, too_large());

    small_file f = read_small_file(path, max_profile_size);
    switch (f.failed) {
    case small_file::failure::none: break;
    case small_file::failure::open:
        if (f.error == ENOENT) return failed(path, "not found");
        return failed(path, "cannot be read: " + errno_text(f.error));
    case small_file::failure::stat: return failed(path, "cannot be read: " + errno_text(f.error));
    case small_file::failure::not_regular: return failed(path, std::string(not_regular(f.mode)));
    case small_file::failure::too_large: return failed(path, too_large());
    }

    std::string warning;
    if ((f.mode & 077) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(f.mode & 07777));
        warning = shown(path) + " is readable by group or others (mode " + mode + "); run chmod 600 " + shown(path);
    }
    std::string const& text = f.content;

    profile_result r = parse_profile(text, path);
    if (!warning.empty()) r.warnings.insert(r.warnings.begin(), std::move(warning));
    return r;
}

}  // namespace apig::auth
