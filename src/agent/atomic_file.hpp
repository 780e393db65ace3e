// Replacing a file on the ESP so that a power cut leaves the old content or the new
// one, never an empty or half-written file. On vfat a rename() alone is not enough: the
// data of the new file may not be on the disk when its directory entry is, and an
// empty wdboot.conf makes the loader return to the firmware. So every file wdbootctl
// writes on the ESP (wdboot.conf, install.state, the loader, copied kernels and
// initrds) goes through replace_file(): a temporary file in the same directory, the
// content, fsync() of that file, rename() over the target, fsync() of the directory.
// Used by esp_files.cpp.
#pragma once
#include <functional>
#include <string>

namespace wdboot::agent {

// The two calls that make a replacement durable, behind an interface so that the tests
// can see their order and make them fail.
class FileSync {
public:
    virtual ~FileSync() = default;
    virtual int fsync(int fd);
    virtual int rename(const char* from, const char* to);
};

// The real calls (fsync(2), rename(2)).
FileSync& system_file_sync();

// The temporary file replace_file() uses for `path` (same directory).
std::string temp_path_for(const std::string& path);

// Writes the content through `fill` (which writes to the fd it is given and returns
// false with `err` set on failure) and replaces `path` with it as described above. On
// failure `path` keeps its old content (or stays absent), the temporary file is
// removed, and `err` says which step failed.
bool replace_file(FileSync& sync, const std::string& path, const std::function<bool(int fd, std::string& err)>& fill,
                  std::string& err);

// replace_file() with `text` as the content.
bool write_file_atomic(FileSync& sync, const std::string& path, const std::string& text, std::string& err);

// replace_file() with the content of the file `from` (e.g. a kernel from /boot).
bool copy_file_atomic(FileSync& sync, const std::string& from, const std::string& to, std::string& err);

}  // namespace wdboot::agent
