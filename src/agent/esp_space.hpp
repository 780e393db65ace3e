// Is there room on the ESP for a set of copies? Checked before anything is copied, so
// that a full ESP refuses a new kernel with a message instead of leaving half of it
// there (FAT: a file cut short by ENOSPC, a slot that cannot boot). Used by
// kernel_commands.cpp (kernel-add).
#pragma once
#include <stdint.h>

#include <string>
#include <vector>

namespace wdboot::agent {

// What statvfs(3) says about a file system: bytes free for an unprivileged writer
// (f_bavail * f_frsize) and its allocation unit (f_frsize, a FAT cluster).
struct FsSpace {
    uint64_t available = 0;
    uint64_t block = 4096;
};

// Room wdboot keeps on top of its copies: the temporary copy of wdboot.conf when it is
// rewritten, install.state, FAT directory entries. 1 MiB.
inline constexpr uint64_t kEspSpaceMargin = 1024 * 1024;

// One copy as the space check sees it: the size of the new file, and of the file it
// replaces (0: none).
struct SizedCopy {
    uint64_t new_bytes = 0;
    uint64_t old_bytes = 0;
};

// Bytes the copies need beyond what the ESP uses now, each file rounded up to `block`.
// The copies run in order and each replaces its file by a rename after the new one is
// complete (atomic_file.hpp), so the peak is, over every step i, the new files written
// up to i plus the old files still there from i on, less what the old ones use now.
uint64_t space_needed(const std::vector<SizedCopy>& copies, uint64_t block);

// statvfs(3) of `path`. False with errno's text in err.
bool statvfs_space(const std::string& path, FsSpace& out, std::string& err);

// "45.2 MiB": a size for a message.
std::string size_text(uint64_t bytes);

}  // namespace wdboot::agent
