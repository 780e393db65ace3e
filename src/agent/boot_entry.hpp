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
};
struct BootManagerState {
    std::vector<BootEntry> entries;
    std::vector<std::string> order;
};
// Parses `efibootmgr` output (BootOrder line and Boot#### lines).
BootManagerState parse_efibootmgr(const std::string& output);
// A BootOrder as efibootmgr --bootorder takes it and install.state keeps it: "0004,0001".
std::string boot_order_text(const std::vector<std::string>& order);

// install.state: `bootnum=XXXX` and `bootorder=XXXX,...` lines; a key that is not
// there is empty (nullopt), e.g. when the file is missing.
struct InstallState {
    std::optional<std::string> bootnum;
    std::optional<std::string> bootorder;
};
InstallState read_install_state(const std::string& path);
std::string install_state_text(const std::string& bootnum, const std::string& bootorder);

struct BootEntryRequest {
    std::string disk;  // empty (or part empty): the ESP's disk and partition, from sysfs
    std::string part;
    std::string label;
    bool dry_run = false;  // say which efibootmgr calls would change something, change nothing
};
struct InstalledEntry {
    std::string num;                 // the new entry; empty after a dry run
    std::vector<std::string> order;  // BootOrder now, the new entry first
    std::string previous_order;      // what install.state keeps for uninstall
    std::string state_path;          // install.state under the mount point
};
// Creates a boot entry `label` for \EFI\wdboot\wdbootx64.efi on the ESP's partition and
// puts it first in BootOrder; the entry an earlier install recorded is deleted first.
// Then writes install.state with the new number and the BootOrder from before the
// first install (a reinstall keeps the saved one). Every failure is reported (exit 13).
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
