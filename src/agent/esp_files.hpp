// wdboot's files on the ESP and how the agent puts them there and takes them away:
// where they live, copies and writes that are each atomic (atomic_file.cpp), a set of
// copies undone when one fails, and deletion only of files that no slot of wdboot.conf
// still boots. Used by install_commands.cpp and slot_commands.cpp.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "agent_env.hpp"
#include "wdboot/config.hpp"
#include "wdboot/pe_image.hpp"

namespace wdboot::agent {

// ESP-relative locations (backslash paths as the loader sees them).
inline constexpr char kEspDir[] = "\\EFI\\wdboot";
inline constexpr char kEspLoader[] = "\\EFI\\wdboot\\wdbootx64.efi";
inline constexpr char kEspKernels[] = "\\EFI\\wdboot\\kernels";
inline constexpr char kEspInstallState[] = "\\EFI\\wdboot\\install.state";

// \EFI\wdboot\kernels\NAME: the folder `install` copies a kernel version's files to
// (NAME = the version) and `add-slot --kernel/--initrd` a slot's (NAME = the slot).
std::string esp_kernel_dir(const std::string& name);

// A file to copy to the ESP: from a local path to an ESP path (\EFI\...).
struct EspCopy {
    std::string from;
    std::string to;
};

// Reads a whole file (on the ESP or not: /proc/cmdline, sysfs). False if it cannot.
bool read_file(const std::string& path, std::string& out);

// Reads an image file and inspects its PE headers as stored (PeLayout::file), as the
// loader will once LoadImage placed it. `bytes` keeps the file: `info` points into it.
// unreadable: not a regular file, or it cannot be read; not_pe: *error says why.
enum class PeFileRead : uint8_t { ok, unreadable, not_pe };
PeFileRead read_pe_file(const std::string& path, std::string& bytes, PeImageInfo& info, PeError& error);

// Replaces the file at `path` (under the ESP mount point) with `text`, atomically.
bool write_to_esp(AgentEnv& env, const std::string& path, const std::string& text, std::string& err);

// Every copy's source is a readable regular file; otherwise false and why not in err.
bool sources_readable(const std::vector<EspCopy>& copies, std::string& err);

// Copies in order, each atomically, saying "copy FROM -> TO" for each; with dry_run it
// only says "would copy ...". `created`: the destinations that did not exist before. On
// a failure those are removed again (never a file that was replaced: that may be the
// loader) and err says why.
bool copy_to_esp(AgentEnv& env, const std::string& esp, const std::vector<EspCopy>& copies, bool dry_run,
                 std::vector<std::string>& created, std::string& err);

// Deletes files a command created (the `created` of copy_to_esp).
void remove_created(const std::vector<std::string>& created);

// An ESP path as FAT compares it: without case, '/' and '\' alike. The reference
// counts below compare these.
std::string esp_key(const std::string& esp_path);

// ESP files the slots of `cfg` boot (images and initrds), by esp_key, with the slot
// that uses each.
std::map<std::string, std::string> referenced_files(const Config& cfg);

// After slot `name` left the config (`rest` is what remains): deletes the files under
// \EFI\wdboot\kernels\NAME\ that no remaining slot boots, and the folders that end up
// empty, saying what it deleted and kept. Nothing outside that folder, never the
// loader, wdboot.conf or install.state, never through a symbolic link. Called by
// remove-slot.
void remove_unreferenced_slot_files(AgentEnv& env, const std::string& esp, const std::string& name, const Config& rest);

}  // namespace wdboot::agent
