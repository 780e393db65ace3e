// What the loader tells the booted OS, as volatile (BS|RT) variables:
//  - the Boot Loader Interface (systemd.io/BOOT_LOADER_INTERFACE) under
//    4a67b082-0a4c-41cf-b6c7-440b29bb8c4f, UCS-2 strings with their NUL, so that
//    systemd-analyze and bootctl recognise wdboot; LoaderFeatures (8 bytes LE: entry
//    default and entry one-shot) and LoaderEntries (the configured slot names) so that
//    `systemctl reboot --boot-loader-entry=SLOT` and `bootctl set-default/set-oneshot`
//    work and `bootctl list` shows the slots (wdboot/loader_entries.hpp);
//  - WdbootCurrent under wdboot's GUID, for wdbootctl: ASCII words, no NUL, e.g.
//      slot=primary index=0 boot_id=7 watchdog=i6300esb timeout=30 trial=0 forced=0
//    slot: record slot name; index: record slot index; boot_id: this attempt's id;
//    watchdog: driver armed ("none" if none was found or it refused to arm);
//    timeout: seconds (0 without an armed watchdog);
//    trial: 1 when this is a one-shot trial; forced: 1 when booted ignoring counters.
// Called by EfiPlatform::publish() right before StartImage. And what the OS asks of it:
// LoaderEntryOneShot and LoaderEntryDefault, read (the one-shot deleted) by
// read_loader_entry_variables() for run_boot().
#pragma once
#include <stdint.h>

#include "efi_api.hpp"
#include "wdboot/config.hpp"
#include "wdboot/loader_entries.hpp"

namespace wdboot::efi {

struct LoaderFacts {
    const char* slot_name;
    uint8_t record_index;
    uint32_t boot_id;
    const char* watchdog;  // "none" when no watchdog
    uint32_t timeout_s;
    bool trial;
    bool forced;
    const Config* config;  // its slots are LoaderEntries
};

// Writes every variable; a refused write is logged and the others still written.
void publish_loader_variables(EFI_LOADED_IMAGE* self, const LoaderFacts& facts);

// Reads LoaderEntryOneShot and LoaderEntryDefault (NV variables the OS writes) and
// deletes LoaderEntryOneShot at once. A read error other than "not found" is logged and
// treated as absent; a failed delete is logged and reported in one_shot_removed.
void read_loader_entry_variables(LoaderEntryVariables& out);

}  // namespace wdboot::efi
