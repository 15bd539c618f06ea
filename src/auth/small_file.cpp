// Bounded reading of a regular file (see small_file.hpp).
#include "small_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace apig::auth {

small_file read_small_file(std::string const& path, std::size_t max_bytes) {
    small_file r;
    int fd = -1;
    do {
        fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        r.failed = small_file::failure::open;
        r.error = errno;
        return r;
    }
    struct closer {
        int fd;
        ~closer() { ::close(fd); }
    } const guard{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        r.failed = small_file::failure::stat;
        r.error = errno;
        return r;
    }
    r.mode = st.st_mode;
    if (!S_ISREG(st.st_mode)) {
        r.failed = small_file::failure::not_regular;
        return r;
    }
    if (static_cast<std::uintmax_t>(st.st_size) > max_bytes) {
        r.failed = small_file::failure::too_large;
        return r;
    }
    std::string text(max_bytes + 1, '\0');
    std::size_t got = 0;
    while (got < text.size()) {
        ssize_t const n = ::read(fd, text.data() + got, text.size() - got);
        if (n < 0) {
            if (errno == EINTR) continue;
            r.failed = small_file::failure::stat;
            r.error = errno;
            return r;
        }
        if (n == 0) break;
        got += static_cast<std::size_t>(n);
    }
    if (got > max_bytes) {
        r.failed = small_file::failure::too_large;
        return r;
    }
    text.resize(got);
    r.content = std::move(text);
    return r;
}

}  // namespace apig::auth
