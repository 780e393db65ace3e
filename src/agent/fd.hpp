// An owned file descriptor, closed when it goes out of scope. Used by every part of
// the agent that opens files or devices.
#pragma once
#include <unistd.h>

namespace wdboot::agent {

class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    Fd(Fd&& other) noexcept : fd_(other.release()) {}
    Fd& operator=(Fd&& other) noexcept {
        if (this != &other) reset(other.release());
        return *this;
    }
    ~Fd() { reset(); }

    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }
    int release() {
        int fd = fd_;
        fd_ = -1;
        return fd;
    }
    // Closes the current descriptor; returns close()'s result (0 when none was open).
    int reset(int fd = -1) {
        int rc = 0;
        if (fd_ >= 0) rc = ::close(fd_);
        fd_ = fd;
        return rc;
    }

private:
    int fd_ = -1;
};

}  // namespace wdboot::agent
