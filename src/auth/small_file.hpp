#pragma once

// Reading a small file a deployment provides (a profile, a token file) without letting it
// block or grow without bound: opened non-blocking (a FIFO in its place cannot hang the
// reader), only a regular file read, at most `max_bytes`. Callers word the failure; this says
// only what it was. Internal header.

#include <sys/types.h>

#include <cstddef>
#include <string>

namespace apig::auth {

struct small_file {
    enum class failure {
        none,
        open,         ///< open() failed: `error` is its errno
        stat,         ///< fstat() or read() failed: `error` is its errno
        not_regular,  ///< a directory, FIFO, socket, device: see `mode`
        too_large,    ///< more than `max_bytes`
    };
    failure failed = failure::none;
    int error = 0;    ///< errno, for open and stat
    mode_t mode = 0;  ///< of what was opened (after a successful fstat)
    std::string content{};
};

/// Opens `path` (O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, retried on EINTR), checks
/// with fstat that it is a regular file of at most `max_bytes`, and reads it (one byte more
/// than allowed is tried: the file may have grown since fstat).
small_file read_small_file(std::string const& path, std::size_t max_bytes);

}  // namespace apig::auth
