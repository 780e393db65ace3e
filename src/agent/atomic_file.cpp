#include "atomic_file.hpp"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fd.hpp"

namespace wdboot::agent {
namespace {

std::string why(const std::string& what, const std::string& path) { return what + " " + path + ": " + strerror(errno); }

bool write_all(int fd, const char* p, size_t n) {
    while (n > 0) {
        ssize_t w = ::write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        p += w;
        n -= static_cast<size_t>(w);
    }
    return true;
}

std::string dir_of(const std::string& path) {
    size_t slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

int FileSync::fsync(int fd) { return ::fsync(fd); }
int FileSync::rename(const char* from, const char* to) { return ::rename(from, to); }

FileSync& system_file_sync() {
    static FileSync sync;
    return sync;
}

std::string temp_path_for(const std::string& path) { return path + ".tmp"; }

bool replace_file(FileSync& sync, const std::string& path, const std::function<bool(int fd, std::string& err)>& fill,
                  std::string& err) {
    const std::string tmp = temp_path_for(path);
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644));
    if (!fd) {
        err = why("cannot create", tmp);
        return false;
    }
    bool ok = fill(fd.get(), err);
    if (ok && sync.fsync(fd.get()) != 0) {
        err = why("cannot fsync", tmp);
        ok = false;
    }
    // close() reports write-back errors that fsync() did not (e.g. on NFS; vfat: none).
    if (fd.reset() != 0 && ok) {
        err = why("cannot close", tmp);
        ok = false;
    }
    if (ok && sync.rename(tmp.c_str(), path.c_str()) != 0) {
        err = why("cannot rename " + tmp + " to", path);
        ok = false;
    }
    if (!ok) {
        (void)::unlink(tmp.c_str());
        return false;
    }
    // The rename is only durable once the directory is on the disk too.
    const std::string dir = dir_of(path);
    Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dfd) {
        err = why("cannot open the directory", dir);
        return false;
    }
    // EINVAL: this file system cannot sync a directory; there is nothing more to do.
    if (sync.fsync(dfd.get()) != 0 && errno != EINVAL) {
        err = why("cannot fsync the directory", dir);
        return false;
    }
    return true;
}

bool write_file_atomic(FileSync& sync, const std::string& path, const std::string& text, std::string& err) {
    return replace_file(
        sync, path,
        [&](int fd, std::string& e) {
            if (write_all(fd, text.data(), text.size())) return true;
            e = why("cannot write", temp_path_for(path));
            return false;
        },
        err);
}

bool copy_file_atomic(FileSync& sync, const std::string& from, const std::string& to, std::string& err) {
    Fd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
    if (!in) {
        err = why("cannot open", from);
        return false;
    }
    return replace_file(
        sync, to,
        [&](int fd, std::string& e) {
            char buf[65536];
            for (;;) {
                ssize_t n = ::read(in.get(), buf, sizeof buf);
                if (n < 0 && errno == EINTR) continue;
                if (n < 0) {
                    e = why("cannot read", from);
                    return false;
                }
                if (n == 0) return true;
                if (!write_all(fd, buf, static_cast<size_t>(n))) {
                    e = why("cannot write", temp_path_for(to));
                    return false;
                }
            }
        },
        err);
}

}  // namespace wdboot::agent
