// UEFI variables through Linux efivarfs (/sys/firmware/efi/efivars/NAME-GUID).
// A variable file holds 4 bytes of little-endian attributes followed by the data.
// The root directory is a parameter, so tests point it at a temporary directory
// that plays the part of efivarfs.
//
// Used by the agent's commands and, through EfivarfsStore, by the core's
// load_state()/save_state(); the QEMU guests' test tool (qemu/tool, wdtest-state) is
// built from this source too, so there is one set of efivarfs write rules.
#pragma once
#include <stdint.h>

#include <string>
#include <vector>

#include "wdboot/state_store.hpp"
#include "wdboot/status.hpp"

namespace wdboot::agent {

inline constexpr uint32_t kAttrNonVolatile = 0x1;
inline constexpr uint32_t kAttrBootService = 0x2;
inline constexpr uint32_t kAttrRuntime = 0x4;
inline constexpr uint32_t kAttrNvBsRt = kAttrNonVolatile | kAttrBootService | kAttrRuntime;
inline constexpr char kDefaultEfivarfsRoot[] = "/sys/firmware/efi/efivars";

// Inode flags of an open file (FS_IOC_GETFLAGS / FS_IOC_SETFLAGS). efivarfs marks most
// variable files immutable; they must be made writable first, as systemd does.
// Tests substitute a fake that counts calls and injects errors.
class FileFlags {
public:
    virtual ~FileFlags() = default;
    // Return 0 or an errno value.
    virtual int get(int fd, unsigned& flags) = 0;
    virtual int set(int fd, unsigned flags) = 0;
};

// The real thing: ioctl() on the file descriptor.
class IoctlFileFlags final : public FileFlags {
public:
    int get(int fd, unsigned& flags) override;
    int set(int fd, unsigned flags) override;
};

// Whether the filesystem holding a path is mounted read-only. Real: statvfs().
class MountProbe {
public:
    virtual ~MountProbe() = default;
    virtual bool read_only(const std::string& path) = 0;
};

class StatvfsMountProbe final : public MountProbe {
public:
    bool read_only(const std::string& path) override;
};

enum class Availability : uint8_t {
    writable = 0,
    missing,    // no such directory: not booted through UEFI, or efivarfs not mounted
    read_only,  // mounted read-only (common in containers and initramfs setups)
};
const char* to_string(Availability a);

class Efivarfs {
public:
    Efivarfs(std::string root, FileFlags& flags, MountProbe& mounts);

    const std::string& root() const { return root_; }
    // Path of the file for variable NAME under `guid` (default: wdboot's vendor GUID).
    std::string path_of(const std::string& name, const char* guid = kVendorGuidText) const;

    // Whether the directory exists and can be written.
    Availability availability();

    // Reads a whole variable. not_found when absent or empty (efivarfs's file of a
    // variable that is not set), bad_size when the file is shorter than the attribute
    // header, io_error otherwise (message in last_error()).
    Status read(const std::string& name, uint32_t& attributes, std::vector<uint8_t>& data,
                const char* guid = kVendorGuidText);

    // Writes a whole variable: attributes and data in ONE write() call (efivarfs
    // rejects partial writes). Clears the immutable flag of an existing file first and
    // restores it afterwards. read_only on EROFS, io_error otherwise.
    Status write(const std::string& name, uint32_t attributes, const uint8_t* data, size_t len,
                 const char* guid = kVendorGuidText);

    // Deletes a variable (clears the immutable flag first). not_found when absent.
    Status remove(const std::string& name, const char* guid = kVendorGuidText);

    // The errno-level explanation of the last failure, empty after success.
    const std::string& last_error() const { return last_error_; }

private:
    Status fail(Status s, const std::string& what, int err);
    // Makes an existing file writable; returns whether it was immutable before.
    Status make_mutable(int fd, const std::string& path, bool& was_immutable);

    std::string root_;
    FileFlags& flags_;
    MountProbe& mounts_;
    std::string last_error_;
};

// The core's VariableStore over efivarfs: WdbootStateA / WdbootStateB under our GUID.
class EfivarfsStore final : public VariableStore {
public:
    explicit EfivarfsStore(Efivarfs& fs) : fs_(fs) {}

    Status read(Copy copy, uint8_t* buf, size_t cap, size_t& len) override;
    Status write(Copy copy, const uint8_t* data, size_t len) override;

    unsigned writes() const { return writes_; }

private:
    Efivarfs& fs_;
    unsigned writes_ = 0;
};

}  // namespace wdboot::agent
