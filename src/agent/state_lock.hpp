// The agent's lock around every read-change-write of the state record. Two agents at
// once (the bless unit and an operator's `wdbootctl try`) would otherwise both read
// generation N and both write N+1 to the same copy: the last writer wins and the first
// one's change (a blessing) is lost. Holding an exclusive flock(2) on a file under /run
// from before the state is read until after it is written serializes them; the second
// agent then reads the first one's result.
#pragma once
#include <string>

#include "fd.hpp"

namespace wdboot::agent {

inline constexpr char kDefaultStateLock[] = "/run/wdbootctl.lock";

class StateLock {
public:
    enum class Result { locked, timed_out, unavailable };

    // Takes the lock at `path` (created 0600 if missing), waiting up to wait_ms.
    // unavailable: the file cannot be opened or locked at all (a read-only /run on
    // rescue media); `why` says so and the caller goes on unlocked, with a warning.
    Result acquire(const std::string& path, unsigned wait_ms, std::string& why);
    bool held() const { return static_cast<bool>(fd_); }
    void release() { fd_.reset(); }

private:
    Fd fd_;
};

}  // namespace wdboot::agent
