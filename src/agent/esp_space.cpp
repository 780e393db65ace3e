#include "esp_space.hpp"

#include <errno.h>
#include <string.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cstdio>

namespace wdboot::agent {
namespace {

uint64_t rounded(uint64_t bytes, uint64_t block) {
    if (block == 0) block = 1;
    return (bytes + block - 1) / block * block;
}

}  // namespace

uint64_t space_needed(const std::vector<SizedCopy>& copies, uint64_t block) {
    uint64_t old_total = 0;
    for (const auto& c : copies) old_total += rounded(c.old_bytes, block);
    uint64_t written = 0, peak = old_total;
    uint64_t old_left = old_total;
    for (const auto& c : copies) {
        written += rounded(c.new_bytes, block);
        // During copy i the old file i is still there; it goes with the rename.
        peak = std::max(peak, written + old_left);
        old_left -= rounded(c.old_bytes, block);
    }
    return peak - old_total;
}

bool statvfs_space(const std::string& path, FsSpace& out, std::string& err) {
    struct statvfs v {};
    if (::statvfs(path.c_str(), &v) != 0) {
        err = std::string("statvfs ") + path + ": " + strerror(errno);
        return false;
    }
    out.block = v.f_frsize != 0 ? v.f_frsize : v.f_bsize;
    out.available = static_cast<uint64_t>(v.f_bavail) * out.block;
    return true;
}

std::string size_text(uint64_t bytes) {
    char buf[32];
    if (bytes < 1024 * 1024) std::snprintf(buf, sizeof(buf), "%.1f KiB", static_cast<double>(bytes) / 1024.0);
    else std::snprintf(buf, sizeof(buf), "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
    return buf;
}

}  // namespace wdboot::agent
