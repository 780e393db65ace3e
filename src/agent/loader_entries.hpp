// The agent's side of the Boot Loader Interface's LoaderEntryDefault (vendor GUID
// 4a67b082-0a4c-41cf-b6c7-440b29bb8c4f, wdboot/loader_entries.hpp): `bootctl
// set-default SLOT` writes it, and the loader makes SLOT the record's default at the
// next boot whenever it differs. So that a default chosen on the wdboot side
// (`wdbootctl set-default`, a promotion) is not reverted by a stale variable, those
// callers rewrite it to their new default — only when it exists: the agent never
// creates it, so a machine where nobody used bootctl keeps its record as the only
// source of the default.
#pragma once
#include <stdint.h>

#include <string>

#include "agent_env.hpp"
#include "efivarfs.hpp"
#include "wdboot/config.hpp"

namespace wdboot::agent {

// What sync_loader_entry_default() found and did.
enum class EntryDefaultSync : uint8_t {
    absent = 0,  // no LoaderEntryDefault: nothing written
    already,     // it already names the slot: nothing written
    rewritten,   // it named something else (or nothing readable): now the slot
    failed,      // it could not be read or written; `message` says why
};
const char* to_string(EntryDefaultSync s);

// Rewrites LoaderEntryDefault to `slot` (UTF-16LE with its NUL, as bootctl writes it,
// keeping the variable's attributes) when, and only when, the variable exists and does
// not already name `slot`. Changes nothing else. Called by cmd_set_default (before it
// saves the record) and by the promotion of a blessed kernel trial.
EntryDefaultSync sync_loader_entry_default(Efivarfs& vars, const std::string& slot, std::string& message);

// The other way round: systemd's tools learn the slots as boot loader entries. logind
// (`systemctl reboot --boot-loader-entry=NAME`) accepts NAME only when it is a Boot
// Loader Specification entry, or an `auto-*` one of LoaderEntries: our slot names
// there are not enough. When /run/boot-loader-entries/ exists, logind and bootctl read
// the entries from it as if it were the ESP — systemd's provision "so that other boot
// loaders can pass boot loader entry information to our tools" (src/shared/bootspec.c,
// boot_config_load_auto). publish_boot_loader_entries() writes there one Type #1
// entry per slot, ROOT/loader/entries/NAME.conf (so the entry id is the slot name that
// LoaderEntryOneShot and LoaderEntryDefault carry), and removes entries of slots that
// are gone. It is /run: nothing of it outlives the boot, and the ESP is never touched
// (a loader/entries/ there would be systemd-boot's menu). False with `err` when a file
// cannot be written.
std::string type1_entry_text(const SlotConfig& slot);
bool publish_boot_loader_entries(const std::string& root, const Config& cfg, std::string& err);

// publish_boot_loader_entries() at env.boot_loader_entries for wdboot.conf as it is now,
// only when this boot was started by wdboot (WdbootCurrent): otherwise another boot
// loader's entries are the true ones. Called by mark-good (every boot) and after every
// command that changes the slots; a failure is a warning on env.err, never an error.
void refresh_boot_loader_entries(AgentEnv& env);

}  // namespace wdboot::agent
