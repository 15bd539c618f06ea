// BOOST_ASSERT handler of the fuzz build (scripts/fuzz compiles everything, the library
// included, with -DBOOST_ENABLE_ASSERT_HANDLER): Boost's assertions stay on and abort, as in
// a build without NDEBUG, except one known-wrong assertion of Boost.Beast 1.81 (fuzz/README.md,
// finding 3), which is reported once and ignored unless APIG_FUZZ_STRICT=1.

#include "fuzz_common.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

bool known_wrong(char const* expr, char const* file) {
    // basic_parser<isRequest>::parse_chunk_header: BOOST_ASSERT(n >= 5) on re-entry after the
    // last chunk, false when the last chunk was the first one ("0\r\n", then a byte at a
    // time). Fixed upstream by boostorg/beast#2861 (Boost 1.86).
    return std::strcmp(expr, "n >= 5") == 0 && std::strstr(file, "beast/http/impl/basic_parser.ipp") != nullptr;
}

}  // namespace

namespace boost {

void assertion_failed_msg(char const* expr, char const* msg, char const* function, char const* file, long line) {
    if (!apig::fuzz::strict() && known_wrong(expr, file)) {
        static bool reported = false;
        if (!reported) std::fprintf(stderr, "fuzz: ignoring the known-wrong Beast assertion `%s' (%s:%ld)\n", expr, file, line);
        reported = true;
        return;
    }
    std::fprintf(stderr, "%s:%ld: %s: Assertion `%s' failed%s%s.\n", file, line, function, expr, msg ? ": " : "",
                 msg ? msg : "");
    std::abort();
}

void assertion_failed(char const* expr, char const* function, char const* file, long line) {
    assertion_failed_msg(expr, nullptr, function, file, line);
}

}  // namespace boost
