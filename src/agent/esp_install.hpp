// Installing wdboot on a machine: files on the ESP, the starter wdboot.conf, the UEFI
// boot entry (through efibootmgr) and the record of the previous BootOrder that
// `uninstall` restores. Also the wdboot.conf edits behind add-slot / remove-slot.
// Called by main.cpp for `wdbootctl install|uninstall|add-slot|remove-slot`.
#pragma once
#include <stdint.h>

#include <string>
#include <vector>

#include "agent_env.hpp"

namespace wdboot::agent {

// ESP-relative locations (backslash paths as the loader sees them).
inline constexpr char kEspDir[] = "\\EFI\\wdboot";
inline constexpr char kEspLoader[] = "\\EFI\\wdboot\\wdbootx64.efi";
inline constexpr char kEspKernels[] = "\\EFI\\wdboot\\kernels";
inline constexpr char kEspInstallState[] = "\\EFI\\wdboot\\install.state";

struct InstallOptions {
    std::string esp;           // empty: find_esp()
    std::string disk;          // empty: derived from the ESP's block device
    std::string part;
    std::string label = "wdboot";
    uint32_t timeout_s = 120;  // hardware watchdog timeout written to the starter config
    bool force_config = false; // overwrite an existing wdboot.conf
    bool no_boot_entry = false;
    bool dry_run = false;      // print what would be done, change nothing
};

struct SlotSpec {
    std::string name;
    std::string kernel;                // a file to copy to the ESP (e.g. /boot/vmlinuz-6.1.0-18-amd64)
    std::string linux_path;            // or an ESP path already there (\EFI\...)
    std::string efi_path;              // or any EFI application on the ESP
    std::string boot_entry;            // or an existing Boot#### (XXXX)
    std::vector<std::string> initrds;  // files to copy, or ESP paths starting with a backslash
    std::string options;
    unsigned tries = 0;                // 0: the global `tries`
    bool rescue = false;
    bool same_options = false;         // use the running kernel's command line
    bool dry_run = false;              // print the copies and the stanza, change nothing
};

Exit cmd_install(AgentEnv& env, const InstallOptions& opts);
// purge: also delete \EFI\wdboot and the state variables.
Exit cmd_uninstall(AgentEnv& env, const std::string& esp, bool purge, bool dry_run);
// Checks everything first (name, the new stanza with the existing file through the
// loader's parser, readable sources, no file of another slot overwritten), then copies
// the files (each atomically), then replaces wdboot.conf atomically. Any refusal: nothing
// on the ESP changed.
Exit cmd_add_slot(AgentEnv& env, const SlotSpec& spec, const std::string& esp);
// Removes the stanza, then deletes the files in \EFI\wdboot\kernels\NAME\ that no
// remaining slot boots (never anything outside that folder).
Exit cmd_remove_slot(AgentEnv& env, const std::string& name, const std::string& esp);

// Pieces exposed for the tests.
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
// Kernel versions with a /boot/vmlinuz-VERSION file, newest first (version order).
std::vector<std::string> list_kernel_versions(const std::string& boot_dir);
// The kernel command line for a slot, from /proc/cmdline without the words that belong
// to the previous boot loader or to wdboot itself (BOOT_IMAGE=, initrd=, the watchdog
// blacklist wdboot appends).
std::string reusable_cmdline(const std::string& proc_cmdline);
// The text of `slot` stanza for spec (ESP paths already resolved).
std::string slot_stanza(const std::string& name, const std::string& image_key, const std::string& image,
                        const std::vector<std::string>& initrds, const std::string& options, unsigned tries,
                        bool rescue);
// wdboot.conf text without the stanza of slot `name`; false when there is none.
bool remove_stanza(const std::string& text, const std::string& name, std::string& out);

}  // namespace wdboot::agent
