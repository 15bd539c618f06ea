#pragma once

/// apig's version, as sent in `User-Agent: apig-cpp/<version>`.
#define APIG_VERSION_MAJOR 0
#define APIG_VERSION_MINOR 1
#define APIG_VERSION_PATCH 0
#define APIG_VERSION_STRING "0.1.0"

namespace apig {
inline constexpr char const* version_string = APIG_VERSION_STRING;
}  // namespace apig
