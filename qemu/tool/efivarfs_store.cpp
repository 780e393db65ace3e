#include "efivarfs_store.hpp"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace wdtest {

using wdboot::Status;

void variable_path(const char* name, char* out, size_t cap) {
    snprintf(out, cap, "%s/%s-%s", kEfivarsDir, name, wdboot::kVendorGuidText);
}

namespace {

// efivarfs marks variables of unknown vendors immutable; writing or unlinking them
// needs the flag cleared first (as systemd and efivar do).
void clear_immutable(const char* path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    int flags = 0;
    if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0 && (flags & FS_IMMUTABLE_FL) != 0) {
        flags &= ~FS_IMMUTABLE_FL;
        (void)ioctl(fd, FS_IOC_SETFLAGS, &flags);
    }
    close(fd);
}

}  // namespace

Status read_variable(const char* name, uint8_t* buf, size_t cap, size_t& len) {
    char path[256];
    variable_path(name, path, sizeof path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? Status::not_found : Status::io_error;
    uint8_t raw[4 + 4096];
    size_t got = 0;
    for (;;) {
        ssize_t n = ::read(fd, raw + got, sizeof raw - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            close(fd);
            return Status::io_error;
        }
        if (n == 0 || got + static_cast<size_t>(n) == sizeof raw) {
            got += static_cast<size_t>(n);
            break;
        }
        got += static_cast<size_t>(n);
    }
    close(fd);
    // A variable that vanished between open and read reads as empty.
    if (got < 4) return Status::not_found;
    len = got - 4;
    if (len > cap) return Status::bad_size;
    memcpy(buf, raw + 4, len);
    return Status::ok;
}

Status write_variable(const char* name, const uint8_t* data, size_t len) {
    char path[256];
    variable_path(name, path, sizeof path);
    uint8_t raw[4 + 4096];
    if (len > sizeof raw - 4) return Status::bad_size;
    const uint32_t attr = kAttrNvBsRt;
    memcpy(raw, &attr, 4);
    memcpy(raw + 4, data, len);
    clear_immutable(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return errno == EROFS ? Status::read_only : Status::io_error;
    ssize_t n = ::write(fd, raw, len + 4);
    int saved = errno;
    close(fd);
    if (n != static_cast<ssize_t>(len + 4)) {
        fprintf(stderr, "wdtest: write %s: %s\n", path, strerror(saved));
        return Status::io_error;
    }
    return Status::ok;
}

Status delete_variable(const char* name) {
    char path[256];
    variable_path(name, path, sizeof path);
    clear_immutable(path);
    if (unlink(path) != 0 && errno != ENOENT) return Status::io_error;
    return Status::ok;
}

Status EfivarfsStore::read(wdboot::Copy copy, uint8_t* buf, size_t cap, size_t& len) {
    return read_variable(wdboot::kCopyNames[static_cast<int>(copy)], buf, cap, len);
}

Status EfivarfsStore::write(wdboot::Copy copy, const uint8_t* data, size_t len) {
    return write_variable(wdboot::kCopyNames[static_cast<int>(copy)], data, len);
}

}  // namespace wdtest
