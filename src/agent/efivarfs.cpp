#include "efivarfs.hpp"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cstring>

#include "fd.hpp"

namespace wdboot::agent {

int IoctlFileFlags::get(int fd, unsigned& flags) {
    // FS_IOC_GETFLAGS is declared with `long` but the kernel reads and writes an int.
    int value = 0;
    if (ioctl(fd, FS_IOC_GETFLAGS, &value) < 0) return errno;
    flags = static_cast<unsigned>(value);
    return 0;
}

int IoctlFileFlags::set(int fd, unsigned flags) {
    int value = static_cast<int>(flags);
    if (ioctl(fd, FS_IOC_SETFLAGS, &value) < 0) return errno;
    return 0;
}

bool StatvfsMountProbe::read_only(const std::string& path) {
    struct statvfs st {};
    if (statvfs(path.c_str(), &st) != 0) return false;
    return (st.f_flag & ST_RDONLY) != 0;
}

const char* to_string(Availability a) {
    switch (a) {
        case Availability::writable: return "writable";
        case Availability::missing: return "missing";
        case Availability::read_only: return "read-only";
    }
    return "?";
}

Efivarfs::Efivarfs(std::string root, FileFlags& flags, MountProbe& mounts)
    : root_(std::move(root)), flags_(flags), mounts_(mounts) {}

std::string Efivarfs::path_of(const std::string& name, const char* guid) const {
    return root_ + "/" + name + "-" + guid;
}

Availability Efivarfs::availability() {
    struct stat st {};
    if (stat(root_.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return Availability::missing;
    if (mounts_.read_only(root_)) return Availability::read_only;
    return Availability::writable;
}

Status Efivarfs::fail(Status s, const std::string& what, int err) {
    last_error_ = what;
    if (err != 0) last_error_ += std::string(": ") + std::strerror(err);
    return s;
}

Status Efivarfs::read(const std::string& name, uint32_t& attributes, std::vector<uint8_t>& data,
                      const char* guid) {
    last_error_.clear();
    const std::string path = path_of(name, guid);
    Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (!fd) {
        if (errno == ENOENT) return fail(Status::not_found, path, ENOENT);
        return fail(Status::io_error, "cannot open " + path, errno);
    }
    std::vector<uint8_t> bytes;
    uint8_t chunk[4096];
    for (;;) {
        ssize_t n = ::read(fd.get(), chunk, sizeof chunk);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail(Status::io_error, "cannot read " + path, errno);
        }
        if (n == 0) break;
        bytes.insert(bytes.end(), chunk, chunk + n);
    }
    // efivarfs shows a variable that is created but not (yet, or no longer) set — a
    // write that failed, a delete racing the read — as an empty file that reads EOF; the
    // firmware has no such variable.
    if (bytes.empty()) return fail(Status::not_found, path + " is empty (no variable set)", 0);
    if (bytes.size() < 4) return fail(Status::bad_size, path + " is shorter than its attribute header", 0);
    attributes = static_cast<uint32_t>(bytes[0]) | static_cast<uint32_t>(bytes[1]) << 8 |
                 static_cast<uint32_t>(bytes[2]) << 16 | static_cast<uint32_t>(bytes[3]) << 24;
    data.assign(bytes.begin() + 4, bytes.end());
    return Status::ok;
}

Status Efivarfs::make_mutable(int fd, const std::string& path, bool& was_immutable) {
    was_immutable = false;
    unsigned flags = 0;
    int err = flags_.get(fd, flags);
    // Filesystems without inode flags cannot have an immutable file either.
    if (err == ENOTTY || err == EOPNOTSUPP || err == ENOSYS) return Status::ok;
    if (err != 0) return fail(Status::io_error, "cannot read the flags of " + path, err);
    if ((flags & FS_IMMUTABLE_FL) == 0) return Status::ok;
    err = flags_.set(fd, flags & ~static_cast<unsigned>(FS_IMMUTABLE_FL));
    if (err != 0) return fail(Status::io_error, "cannot clear the immutable flag of " + path, err);
    was_immutable = true;
    return Status::ok;
}

Status Efivarfs::write(const std::string& name, uint32_t attributes, const uint8_t* data, size_t len,
                       const char* guid) {
    last_error_.clear();
    const std::string path = path_of(name, guid);

    // An existing file may carry the immutable flag; keep a read-only descriptor to
    // restore it afterwards so the variable stays protected against a stray `rm`.
    Fd existing(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    bool was_immutable = false;
    if (existing) {
        Status s = make_mutable(existing.get(), path, was_immutable);
        if (s != Status::ok) return s;
    } else if (errno != ENOENT) {
        return fail(errno == EROFS ? Status::read_only : Status::io_error, "cannot open " + path, errno);
    }

    std::vector<uint8_t> bytes(4 + len);
    for (int i = 0; i < 4; ++i) bytes[i] = static_cast<uint8_t>(attributes >> (8 * i));
    if (len != 0) std::memcpy(bytes.data() + 4, data, len);

    Status result = Status::ok;
    Fd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644));
    if (!fd) {
        int err = errno;
        result = fail(err == EROFS ? Status::read_only : Status::io_error, "cannot open " + path + " for writing", err);
    } else {
        // efivarfs turns each write() into one SetVariable call, so the attribute
        // header and the data must go in a single call; a short write is a failure.
        // EINTR: the signal came before SetVariable ran (efivarfs takes its lock
        // interruptibly), so the same write is simply made again.
        ssize_t n = -1;
        for (int attempt = 0; attempt < 8; ++attempt) {
            n = ::write(fd.get(), bytes.data(), bytes.size());
            if (n >= 0 || errno != EINTR) break;
        }
        if (n < 0) {
            int err = errno;
            Status s = err == EROFS ? Status::read_only : err == ENOSPC ? Status::no_space : Status::io_error;
            result = fail(s, "cannot write " + path, err);
        } else if (static_cast<size_t>(n) != bytes.size()) {
            result = fail(Status::io_error, "short write to " + path, 0);
        } else {
            // efivarfs replaces the whole variable on each write and cannot truncate;
            // an ordinary directory (the test double) keeps stale bytes unless cut.
            struct statfs sfs {};
            if (fstatfs(fd.get(), &sfs) == 0 && static_cast<unsigned long>(sfs.f_type) != EFIVARFS_MAGIC &&
                ftruncate(fd.get(), static_cast<off_t>(bytes.size())) != 0) {
                result = fail(Status::io_error, "cannot truncate " + path, errno);
            }
        }
    }

    if (was_immutable) {
        unsigned flags = 0;
        if (flags_.get(existing.get(), flags) == 0) (void)flags_.set(existing.get(), flags | FS_IMMUTABLE_FL);
    }
    return result;
}

Status Efivarfs::remove(const std::string& name, const char* guid) {
    last_error_.clear();
    const std::string path = path_of(name, guid);
    {
        Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
        if (!fd) {
            if (errno == ENOENT) return fail(Status::not_found, path, ENOENT);
            return fail(Status::io_error, "cannot open " + path, errno);
        }
        bool was_immutable = false;
        Status s = make_mutable(fd.get(), path, was_immutable);
        if (s != Status::ok) return s;
    }
    if (unlink(path.c_str()) != 0) {
        return fail(errno == EROFS ? Status::read_only : Status::io_error, "cannot delete " + path, errno);
    }
    return Status::ok;
}

Status EfivarfsStore::read(Copy copy, uint8_t* buf, size_t cap, size_t& len) {
    uint32_t attributes = 0;
    std::vector<uint8_t> data;
    Status s = fs_.read(kCopyNames[static_cast<int>(copy)], attributes, data);
    if (s != Status::ok) return s;
    len = data.size();
    if (data.size() > cap) return Status::bad_size;
    if (!data.empty()) std::memcpy(buf, data.data(), data.size());
    return Status::ok;
}

Status EfivarfsStore::write(Copy copy, const uint8_t* data, size_t len) {
    ++writes_;
    return fs_.write(kCopyNames[static_cast<int>(copy)], kAttrNvBsRt, data, len);
}

}  // namespace wdboot::agent
