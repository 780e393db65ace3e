// `wdbootctl install` and `uninstall`: the loader and the starter wdboot.conf on the
// ESP, the UEFI boot entry first in BootOrder, and the way back. Called by main.cpp.
// The pieces: esp_files (copies), starter_config (the config), boot_entry (efibootmgr
// and install.state).
#pragma once
#include <stdint.h>

#include <string>

#include "agent_env.hpp"

namespace wdboot::agent {

struct InstallOptions {
    std::string esp;           // empty: find_esp()
    std::string disk;          // empty: derived from the ESP's block device
    std::string part;
    std::string label = "wdboot";
    uint32_t timeout_s = 120;  // hardware watchdog timeout written to the starter config
    bool force_config = false; // overwrite an existing wdboot.conf
    bool no_boot_entry = false;
    bool dry_run = false;      // print what would be done, change nothing
    // --secure-boot-policy: "permissive" puts secure-boot-policy=permissive in the boot
    // entry's load options; "strict" or empty (not given): no load options, strict is
    // the loader's default.
    std::string secure_boot_policy;
};

// Builds and checks the starter config (unless wdboot.conf exists and not
// force_config) and checks every source before anything is copied; then copies the
// loader, kernels and initrds, writes wdboot.conf, and (unless no_boot_entry) creates
// the boot entry and install.state.
// Under Secure Boot it first judges the config's slots by the policy the boot entry
// will carry (secure_boot_check.hpp): when that policy refuses some slot and starts
// none, install changes nothing and fails (Exit::refused) naming both ways out; when it
// refuses only some, it warns naming them.
Exit cmd_install(AgentEnv& env, const InstallOptions& opts);
// Deletes the boot entry and restores the saved BootOrder, then deletes install.state;
// purge: \EFI\wdboot and the state variables instead.
Exit cmd_uninstall(AgentEnv& env, const std::string& esp, bool purge, bool dry_run);

}  // namespace wdboot::agent
