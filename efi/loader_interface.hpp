// What the loader tells the booted OS, as volatile (BS|RT) variables:
//  - the Boot Loader Interface (systemd.io/BOOT_LOADER_INTERFACE) under
//    4a67b082-0a4c-41cf-b6c7-440b29bb8c4f, UCS-2 strings with their NUL, so that
//    systemd-analyze and bootctl recognise wdboot;
//  - WdbootCurrent under wdboot's GUID, for wdbootctl: ASCII words, no NUL, e.g.
//      slot=primary index=0 boot_id=7 watchdog=i6300esb timeout=30 trial=0 forced=0
//    slot: record slot name; index: record slot index; boot_id: this attempt's id;
//    watchdog: driver armed ("none" if none was found or it refused to arm);
//    timeout: seconds (0 without an armed watchdog);
//    trial: 1 when this is a one-shot trial; forced: 1 when booted ignoring counters.
// Called by EfiPlatform::publish() right before StartImage.
#pragma once
#include <stdint.h>

#include "efi_api.hpp"

namespace wdboot::efi {

struct LoaderFacts {
    const char* slot_name;
    uint8_t record_index;
    uint32_t boot_id;
    const char* watchdog;  // "none" when no watchdog
    uint32_t timeout_s;
    bool trial;
    bool forced;
};

// Writes every variable; a refused write is logged and the others still written.
void publish_loader_variables(EFI_LOADED_IMAGE* self, const LoaderFacts& facts);

}  // namespace wdboot::efi
