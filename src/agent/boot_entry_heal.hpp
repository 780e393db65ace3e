// The boot entry check after each blessing (issue 10 part 4). Firmware updates and CMOS
// resets delete or reorder Boot#### entries; the machine then boots something else, or
// only reaches wdboot through the removable media path \EFI\BOOT\BOOTX64.EFI. After a
// blessing, with the watchdog already stopped or handed over, the agent checks that the
// Boot#### named in install.state exists, points at \EFI\wdboot\wdbootx64.efi (on the
// ESP the loader booted from, when LoaderDevicePartUUID says which) and comes first in
// BootOrder; it re-creates the entry or moves it first. With agent.conf's
// removable-path it also keeps \EFI\BOOT\BOOTX64.EFI a copy of the loader.
//
// Every repair is said on stdout (the journal, under the bless unit) and recorded in
// install.state's `repaired=` line; the NVRAM record is not touched. Nothing here can
// undo or block the blessing: every failure is a warning on stderr. Called once by
// cmd_mark_good() after a successful blessing.
#pragma once
#include <string>
#include <vector>

#include "agent_env.hpp"

namespace wdboot::agent {

inline constexpr char kEspRemovableLoader[] = "\\EFI\\BOOT\\BOOTX64.EFI";
// systemd's Boot Loader Interface vendor GUID (LoaderImageIdentifier, LoaderDevicePartUUID).
inline constexpr char kLoaderInterfaceGuid[] = "4a67b082-0a4c-41cf-b6c7-440b29bb8c4f";

struct HealReport {
    std::vector<std::string> actions;   // what was repaired, in words
    std::vector<std::string> problems;  // what could not be checked or repaired
    std::vector<std::string> notes;     // facts worth saying (e.g. the boot came through the removable path)
    bool via_removable_path = false;    // LoaderImageIdentifier is \EFI\BOOT\BOOTX64.EFI
};

// Checks and repairs as described above; prints each action and note (stdout, or stderr
// with --json) and each problem (stderr, "wdbootctl: warning: ..."). Never fails.
HealReport heal_boot_entry(AgentEnv& env);

// A Boot Loader Interface string variable (UCS-2LE with its NUL) as ASCII; empty when
// absent or unreadable.
std::string read_loader_string(AgentEnv& env, const std::string& name);

// Whether an ESP path names the removable media path, as FAT compares paths.
bool is_removable_path(const std::string& esp_path);

// The fingerprint install.state's `removable=` keeps of a BOOTX64.EFI the agent wrote:
// "fnv1a64:HEX:SIZE" of the content (a name for our own file, not a security check).
std::string content_fingerprint(const std::string& content);

}  // namespace wdboot::agent
