// What the loader learns about NVRAM as a whole, beyond its own variables: Linux's
// efi-pstore records (a kernel panic leaves them) and the room left. Called through
// EfiPlatform by run_boot() once per boot, before the previous boot is accounted.
#pragma once
#include <stdint.h>

namespace wdboot::efi {

// The variables of the efi-pstore vendor GUID whose names start with "dump-type"
// (wdboot/state_store.hpp), found with GetNextVariableName (UEFI 2.10 §8.2.2).
// -1 when the enumeration cannot be completed (an error, a name longer than our
// buffer, or more variables than any firmware store holds): the loader then learns
// nothing from pstore and believes the watchdog's flag alone.
int count_pstore_records();

// RemainingVariableStorageSize for NV|BS|RT variables from QueryVariableInfo (UEFI 2.10
// §8.2.5). False when the firmware lacks it (UEFI 1.x) or fails.
bool query_nvram_free(uint64_t& remaining_bytes);

}  // namespace wdboot::efi
