// The UEFI boot entry that starts wdboot, made and deleted through efibootmgr, and
// \EFI\wdboot\install.state, which remembers the entry's number and the BootOrder from
// before the first install so that uninstall can restore it. Called by
// install_commands.cpp for `wdbootctl install|uninstall`.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "agent_env.hpp"

namespace wdboot::agent {

struct BootEntry {
    std::string num;    // XXXX, upper-case hex
    std::string label;
    bool active = false;
    std::string path;  // the device path as efibootmgr prints it after the label; may be empty
};
struct BootManagerState {
    std::vector<BootEntry> entries;
    std::vector<std::string> order;
};
// Parses `efibootmgr` output (BootOrder line and Boot#### lines).
BootManagerState parse_efibootmgr(const std::string& output);
// A BootOrder as efibootmgr --bootorder takes it and install.state keeps it: "0004,0001".
std::string boot_order_text(const std::vector<std::string>& order);

// install.state: `key=value` lines; a key that is not there is empty (nullopt), e.g.
// when the file is missing. bootnum and bootorder are written by install; the other
// keys by the boot entry check after each blessing (boot_entry_heal.hpp). Readers
// ignore keys they do not know, so older agents still uninstall.
struct InstallState {
    std::optional<std::string> bootnum;    // XXXX: wdboot's Boot####
    std::optional<std::string> bootorder;  // BootOrder from before the first install
    std::optional<std::string> label;      // the entry's label, for a re-creation
    std::optional<std::string> disk;       // the ESP's disk and partition at install time:
    std::optional<std::string> part;       //   a re-creation's fallback when sysfs cannot tell
    std::optional<std::string> repaired;   // "UNIX-SECONDS WHAT": the last repair
    std::optional<std::string> removable;  // fingerprint of the \EFI\BOOT\BOOTX64.EFI we wrote
    // The load options install gave the entry (e.g. secure-boot-policy=permissive), so
    // that a re-creation after a blessing carries them too; absent: none.
    std::optional<std::string> load_options;
};
InstallState read_install_state(const std::string& path);
std::string install_state_text(const InstallState& st);

struct BootEntryRequest {
    std::string disk;  // empty (or part empty): the ESP's disk and partition, from sysfs
    std::string part;
    std::string label;
    bool dry_run = false;  // say which efibootmgr calls would change something, change nothing
    // ASCII words for the entry's load options (efibootmgr --unicode), e.g.
    // "secure-boot-policy=permissive"; empty: none.
    std::string load_options;
};
struct InstalledEntry {
    std::string num;                 // the new entry; empty after a dry run
    std::vector<std::string> order;  // BootOrder now, the new entry first
    std::string previous_order;      // what install.state keeps for uninstall
    std::string state_path;          // install.state under the mount point
};
// Creates a boot entry `label` for \EFI\wdboot\wdbootx64.efi on the ESP's partition and
// puts it first in BootOrder; the entry an earlier install recorded is deleted first.
// Without req.disk/part they come from sysfs, else from install.state. Called by
// install and by the boot entry check after a blessing (boot_entry_heal.cpp).
// Then writes install.state with the new number, the load options and the BootOrder
// from before the first install (a reinstall keeps the saved one). Every failure is reported (exit 13).
Exit install_boot_entry(AgentEnv& env, const std::string& esp, const BootEntryRequest& req, InstalledEntry& out);

struct RemovedEntry {
    std::string num;                 // the entry install.state names
    std::vector<std::string> order;  // the restored BootOrder; empty: BootOrder deleted
};
// Deletes the entry install.state names (if it still exists) and restores the
// BootOrder saved there, without the entries deleted since. install.state itself is
// left to the caller. With dry_run only says what it would run.
Exit remove_boot_entry(AgentEnv& env, const std::string& esp, bool dry_run, RemovedEntry& out);

}  // namespace wdboot::agent
