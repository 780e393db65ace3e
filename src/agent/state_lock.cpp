#include "state_lock.hpp"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <time.h>

#include <cstring>

namespace wdboot::agent {

StateLock::Result StateLock::acquire(const std::string& path, unsigned wait_ms, std::string& why) {
    fd_.reset();
    Fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) {
        why = "cannot open the lock " + path + ": " + std::strerror(errno);
        return Result::unavailable;
    }
    // Poll with LOCK_NB rather than block: a stuck agent must not hang the bless unit
    // (and with it the watchdog step) for ever.
    for (unsigned waited = 0;; waited += 20) {
        if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) {
            fd_ = std::move(fd);
            return Result::locked;
        }
        if (errno != EWOULDBLOCK && errno != EINTR) {
            why = "cannot lock " + path + ": " + std::strerror(errno);
            return Result::unavailable;
        }
        if (waited >= wait_ms) {
            why = "another wdbootctl has held " + path + " for " + std::to_string(wait_ms / 1000) + " s";
            return Result::timed_out;
        }
        struct timespec ts {0, 20 * 1000 * 1000};
        ::nanosleep(&ts, nullptr);
    }
}

}  // namespace wdboot::agent
