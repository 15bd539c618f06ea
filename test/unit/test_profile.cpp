// The profile file: INI parsing of [basic], its path, and loading real files with checks.
#include "auth/profile.hpp"

#include <doctest/doctest.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fcntl.h>
#include <map>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

using namespace apig::auth;

namespace {

bool contains(std::string_view hay, std::string_view needle) { return hay.find(needle) != std::string_view::npos; }

constexpr std::string_view ak = "AKEXAMPLE1234567";
constexpr std::string_view sk = "SKexample1234567890abcdef";

profile_values parsed(std::string_view text) {
    auto r = parse_profile(text, "/p");
    INFO(r.why_not);
    REQUIRE(r.values);
    CHECK(r.why_not.empty());
    return *r.values;
}

std::string why(std::string_view text) {
    auto r = parse_profile(text, "/p");
    CHECK(!r.values);
    return r.why_not;
}

// A temporary directory removed with everything in it at the end of a test.
class temp_dir {
public:
    temp_dir() {
        char const* base = std::getenv("TMPDIR");
        std::string pattern = std::string(base && *base ? base : "/tmp") + "/apig-profile-XXXXXX";
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        path_ = pattern;
    }
    ~temp_dir() {
        std::string const cmd = "rm -rf '" + path_ + "'";
        (void)std::system(cmd.c_str());
    }
    temp_dir(temp_dir const&) = delete;
    temp_dir& operator=(temp_dir const&) = delete;
    std::string const& path() const { return path_; }

    // A new file (mkstemp) holding `text`, with `mode`.
    std::string file(std::string_view text, mode_t mode = 0600) const {
        std::string name = path_ + "/credentials-XXXXXX";
        int const fd = ::mkstemp(name.data());
        REQUIRE(fd >= 0);
        std::size_t done = 0;
        while (done < text.size()) {
            ssize_t const n = ::write(fd, text.data() + done, text.size() - done);
            REQUIRE(n > 0);
            done += static_cast<std::size_t>(n);
        }
        ::close(fd);
        REQUIRE(::chmod(name.c_str(), mode) == 0);
        return name;
    }

private:
    std::string path_;
};

std::string const good = "[basic]\nak = " + std::string(ak) + "\nsk = " + std::string(sk) + "\n";

}  // namespace

TEST_CASE("profile: parse the [basic] section with every known key") {
    auto v = parsed("[basic]\n"
                    "ak = AKEXAMPLE1234567\n"
                    "sk = SKexample1234567890abcdef\n"
                    "security_token = TOKEN/with+base64==\n"
                    "project_id = 0123456789abcdef\n"
                    "iam_endpoint = https://iam.cn-north-4.myhuaweicloud.com\n");
    CHECK(v.ak == ak);
    CHECK(v.sk == sk);
    CHECK(v.security_token == "TOKEN/with+base64==");
    CHECK(v.project_id == "0123456789abcdef");
    CHECK(v.iam_endpoint == "https://iam.cn-north-4.myhuaweicloud.com");
}

TEST_CASE("profile: comments, blank lines, other sections and unknown keys are ignored") {
    auto v = parsed("; a comment\n"
                    "# another\n"
                    "\n"
                    "   \t\n"
                    "[global]\n"
                    "ak = GLOBALAKNOTTHIS1\n"
                    "sk = GLOBALSKNOTTHIS1\n"
                    "[basic]\n"
                    "  ; indented comment\n"
                    "idp_id = whatever\n"
                    "ak=AKEXAMPLE1234567\n"
                    "sk=SKexample1234567890abcdef\n"
                    "[other]\n"
                    "project_id = not-this-one\n");
    CHECK(v.ak == ak);
    CHECK(v.sk == sk);
    CHECK(v.project_id.empty());
    CHECK(v.security_token.empty());
}

TEST_CASE("profile: section names are trimmed and case-sensitive") {
    CHECK(parsed("[ basic ]\nak = AKEXAMPLE1234567\nsk = SKexample1234567890abcdef\n").ak == ak);
    auto const w = why("[Basic]\nak = AKEXAMPLE1234567\nsk = SKexample1234567890abcdef\n");
    CHECK(w == "/p: no [basic] section");
    CHECK(why("[BASIC]\nak=x\n") == "/p: no [basic] section");
}

TEST_CASE("profile: keys are case-insensitive, `:` separates too, whitespace is trimmed") {
    auto v = parsed("[basic]\n  AK :  AKEXAMPLE1234567  \n\tSk\t=\tSKexample1234567890abcdef\t\nProject_ID: p1\n");
    CHECK(v.ak == ak);
    CHECK(v.sk == sk);
    CHECK(v.project_id == "p1");
}

TEST_CASE("profile: the first separator splits, the rest belongs to the value") {
    auto v = parsed("[basic]\nak = AKEXAMPLE1234567\nsk = SKexample1234567890abcdef\n"
                    "iam_endpoint = https://iam.example.com:8443\nsecurity_token = a=b==\n");
    CHECK(v.iam_endpoint == "https://iam.example.com:8443");
    CHECK(v.security_token == "a=b==");
}

TEST_CASE("profile: double quotes around the whole value are removed, others kept") {
    auto v = parsed("[basic]\nak = \"AKEXAMPLE1234567\"\nsk = \"SKexample1234567890abcdef\"\n"
                    "project_id = \"p\"1\"\nsecurity_token = \"\"\niam_endpoint = \"\n");
    CHECK(v.ak == ak);
    CHECK(v.sk == sk);
    CHECK(v.project_id == "p\"1");
    CHECK(v.security_token.empty());
    CHECK(v.iam_endpoint == "\"");
}

TEST_CASE("profile: CRLF line ends and a UTF-8 BOM") {
    auto v = parsed("\xEF\xBB\xBF[basic]\r\nak = AKEXAMPLE1234567\r\nsk = SKexample1234567890abcdef\r\n"
                    "project_id = p1\r\n");
    CHECK(v.ak == ak);
    CHECK(v.sk == sk);
    CHECK(v.project_id == "p1");
    // Without a final newline.
    CHECK(parsed("[basic]\nak = AKEXAMPLE1234567\nsk = SKexample1234567890abcdef").sk == sk);
    // A BOM elsewhere is not skipped: the first line is then not a section.
    CHECK(contains(why("\n\xEF\xBB\xBF[basic]\nak=a\nsk=b\n"), "line 2 is not `key = value`"));
}

TEST_CASE("profile: a key given twice warns (without values) and the last one wins") {
    auto r = parse_profile("[basic]\nak = AKFIRST1234567890\nsk = SKexample1234567890abcdef\n[x]\n[basic]\n"
                           "AK = AKEXAMPLE1234567\n",
                           "/home/u/.huaweicloud/credentials");
    REQUIRE(r.values);
    CHECK(r.values->ak == ak);
    REQUIRE(r.warnings.size() == 1);
    CHECK(r.warnings[0] ==
          "/home/u/.huaweicloud/credentials: [basic] has ak twice (lines 2 and 6); the last one is used");
    CHECK(!contains(r.warnings[0], "AKFIRST"));
    CHECK(!contains(r.warnings[0], ak));
    // A key twice in another section is not [basic]'s business.
    CHECK(parse_profile("[x]\nak=1\nak=2\n" + good, "/p").warnings.empty());
}

TEST_CASE("profile: missing or empty ak/sk, no [basic], empty file") {
    CHECK(why("") == "/p: no [basic] section");
    CHECK(why("\n\n; only comments\n") == "/p: no [basic] section");
    CHECK(why("ak = AKEXAMPLE1234567\nsk = SKexample1234567890abcdef\n") == "/p: no [basic] section");
    CHECK(why("[basic]\n") == "/p: [basic] has no ak");
    CHECK(why("[basic]\nsk = SKexample1234567890abcdef\n") == "/p: [basic] has no ak");
    CHECK(why("[basic]\nak = AKEXAMPLE1234567\n") == "/p: [basic] has no sk");
    CHECK(why("[basic]\nak = \nsk = SKexample1234567890abcdef\n") == "/p: [basic] has an empty ak");
    CHECK(why("[basic]\nak = AKEXAMPLE1234567\nsk = \"  \"\n") == "/p: [basic] has an empty sk");
    // The keys are in another section only.
    CHECK(why("[basic]\n[global]\nak = AKEXAMPLE1234567\nsk = SKexample1234567890abcdef\n") ==
          "/p: [basic] has no ak");
}

TEST_CASE("profile: malformed lines name the line, never its text") {
    auto const w = why("[basic]\nak = AKEXAMPLE1234567\nSKexample1234567890abcdef\n");
    CHECK(w == "/p: line 3 is not `key = value`");
    CHECK(!contains(w, "SKexample"));
    CHECK(why("[basic\nak=x\n") == "/p: line 1 is not a section header `[name]`");
    CHECK(why("[basic]\n = value\n") == "/p: line 2 has no key before `=`");
    // Malformed anywhere (as the SDKs' INI library) refuses the file.
    CHECK(why(good + "[other]\njunk\n") == "/p: line 5 is not `key = value`");
}

TEST_CASE("profile: a control character inside a known value is refused, naming the key") {
    auto const w = why("[basic]\nak = AKEXAMPLE1234567\nsk = SKexample\x01" "1234567890\n");
    CHECK(w == "/p: [basic] sk (line 3) contains a control character");
    CHECK(!contains(w, "SKexample"));
    CHECK(why("[basic]\nak = AKEX\tAMPLE1234567\nsk = SKexample1234567890abcdef\n") ==
          "/p: [basic] ak (line 2) contains a control character");
    CHECK(why("[basic]\nak = AKEX\rAMPLE1234567\nsk = SKexample1234567890abcdef\n") ==
          "/p: [basic] ak (line 2) contains a control character");
    CHECK(why(good + "project_id = p\x7f" "1\n") == "/p: [basic] project_id (line 4) contains a control character");
    // Unknown keys and other sections are not judged.
    CHECK(parsed(good + "other = a\x01z\n[x]\nak = \x02\n").ak == ak);
}

TEST_CASE("profile: the origin in messages is made printable") {
    auto r = parse_profile("", "/tmp/evil\x1b[31m");
    CHECK(r.why_not == "/tmp/evil?: no [basic] section");
}

TEST_CASE("profile: profile_path from an injected environment") {
    std::map<std::string, std::string> env;
    getenv_fn const get = [&](std::string_view name) -> std::optional<std::string> {
        auto it = env.find(std::string(name));
        if (it == env.end()) return std::nullopt;
        return it->second;
    };
    CHECK(!profile_path(get));
    env["HOME"] = "/home/u";
    CHECK(profile_path(get) == "/home/u/.huaweicloud/credentials");
    env["HOME"] = "/home/u/";
    CHECK(profile_path(get) == "/home/u/.huaweicloud/credentials");
    env["HUAWEICLOUD_SDK_CREDENTIALS_FILE"] = "";
    CHECK(profile_path(get) == "/home/u/.huaweicloud/credentials");
    env["HUAWEICLOUD_SDK_CREDENTIALS_FILE"] = "/etc/hc/creds";
    CHECK(profile_path(get) == "/etc/hc/creds");
    env.erase("HOME");
    CHECK(profile_path(get) == "/etc/hc/creds");
    env.erase("HUAWEICLOUD_SDK_CREDENTIALS_FILE");
    env["HOME"] = "";
    CHECK(!profile_path(get));
}

TEST_CASE("profile: process_getenv reads the process environment") {
    auto const get = process_getenv();
    REQUIRE(::setenv("APIG_TEST_PROFILE_VAR", "value 1", 1) == 0);
    CHECK(get("APIG_TEST_PROFILE_VAR") == "value 1");
    REQUIRE(::unsetenv("APIG_TEST_PROFILE_VAR") == 0);
    CHECK(!get("APIG_TEST_PROFILE_VAR"));
}

TEST_CASE("profile: load a private file: values, no warning") {
    temp_dir dir;
    auto const path = dir.file(good, 0600);
    auto r = load_profile(path);
    INFO(r.why_not);
    REQUIRE(r.values);
    CHECK(r.values->ak == ak);
    CHECK(r.values->sk == sk);
    CHECK(r.warnings.empty());
}

TEST_CASE("profile: a file readable by others loads with a warning naming the mode") {
    temp_dir dir;
    auto const path = dir.file(good, 0644);
    auto r = load_profile(path);
    REQUIRE(r.values);
    REQUIRE(r.warnings.size() == 1);
    CHECK(r.warnings[0] == path + " is readable by group or others (mode 0644); run chmod 600 " + path);
    CHECK(!contains(r.warnings[0], ak));
    CHECK(!contains(r.warnings[0], sk));
    // Group only.
    auto const group = dir.file(good, 0640);
    auto g = load_profile(group);
    REQUIRE(g.warnings.size() == 1);
    CHECK(contains(g.warnings[0], "(mode 0640)"));
    // 0400 is private too.
    CHECK(load_profile(dir.file(good, 0400)).warnings.empty());
}

TEST_CASE("profile: the permission warning comes first, before the parse's own warnings") {
    temp_dir dir;
    auto const path = dir.file(good + "sk = SKexample1234567890abcdef\n", 0604);
    auto r = load_profile(path);
    REQUIRE(r.values);
    REQUIRE(r.warnings.size() == 2);
    CHECK(contains(r.warnings[0], "(mode 0604)"));
    CHECK(contains(r.warnings[1], "has sk twice"));
}

TEST_CASE("profile: a broken file's reason names the path") {
    temp_dir dir;
    auto const path = dir.file("[basic]\nak = AKEXAMPLE1234567\n");
    auto r = load_profile(path);
    CHECK(!r.values);
    CHECK(r.why_not == path + ": [basic] has no sk");
    auto const empty = dir.file("");
    CHECK(load_profile(empty).why_not == empty + ": no [basic] section");
}

TEST_CASE("profile: an absent file is exactly \"not found\"") {
    temp_dir dir;
    auto const path = dir.path() + "/nope/credentials";
    auto r = load_profile(path);
    CHECK(!r.values);
    CHECK(r.why_not == path + ": not found");
    CHECK(load_profile(dir.path() + "/absent").why_not == dir.path() + "/absent: not found");
    // A broken file is not "not found".
    CHECK(!contains(load_profile(dir.file("junk")).why_not, "not found"));
}

TEST_CASE("profile: a directory is refused") {
    temp_dir dir;
    auto r = load_profile(dir.path());
    CHECK(!r.values);
    CHECK(r.why_not == dir.path() + ": is a directory, not a file");
}

TEST_CASE("profile: a FIFO is refused without blocking") {
    temp_dir dir;
    auto const path = dir.path() + "/fifo";
    REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
    // No writer ever opens it: reading it would block forever.
    auto r = load_profile(path);
    CHECK(!r.values);
    CHECK(r.why_not == path + ": is a FIFO, not a file");
}

TEST_CASE("profile: a device is refused") {
    auto r = load_profile("/dev/null");
    CHECK(!r.values);
    CHECK(r.why_not == "/dev/null: is a device, not a file");
}

TEST_CASE("profile: a file larger than 64 KiB is refused, 64 KiB exactly is read") {
    temp_dir dir;
    std::string big = good + "# " + std::string(65 * 1024, 'x') + "\n";
    auto r = load_profile(dir.file(big));
    CHECK(!r.values);
    CHECK(contains(r.why_not, ": is larger than 64 KiB"));

    std::string exact = good + "#";
    exact += std::string(64 * 1024 - exact.size(), 'y');
    REQUIRE(exact.size() == 64 * 1024);
    auto e = load_profile(dir.file(exact));
    INFO(e.why_not);
    CHECK(e.values);
}

TEST_CASE("profile: a file the process cannot read says why") {
    if (::geteuid() == 0) {
        MESSAGE("running as root: permissions do not apply, skipped");
        return;
    }
    temp_dir dir;
    auto const path = dir.file(good, 0000);
    auto r = load_profile(path);
    CHECK(!r.values);
    CHECK(r.why_not == path + ": cannot be read: Permission denied");
}

TEST_CASE("profile: a path through a file says why it cannot be read (not \"not found\")") {
    temp_dir dir;
    auto const file = dir.file(good);
    auto r = load_profile(file + "/credentials");
    CHECK(!r.values);
    CHECK(r.why_not == file + "/credentials: cannot be read: Not a directory");
}

TEST_CASE("profile: a symbolic link is followed, and judged by what it points to") {
    temp_dir dir;
    auto const file = dir.file(good);
    auto const link = dir.path() + "/link";
    REQUIRE(::symlink(file.c_str(), link.c_str()) == 0);
    CHECK(load_profile(link).values);
    auto const dir_link = dir.path() + "/dirlink";
    REQUIRE(::symlink(dir.path().c_str(), dir_link.c_str()) == 0);
    CHECK(load_profile(dir_link).why_not == dir_link + ": is a directory, not a file");
    auto const dangling = dir.path() + "/dangling";
    REQUIRE(::symlink((dir.path() + "/gone").c_str(), dangling.c_str()) == 0);
    CHECK(load_profile(dangling).why_not == dangling + ": not found");
}
