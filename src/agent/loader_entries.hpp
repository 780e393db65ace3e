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

#include "efivarfs.hpp"

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

}  // namespace wdboot::agent
