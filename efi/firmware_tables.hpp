// The firmware's own tables, reached through the EFI system table's configuration
// table (UEFI 2.10, 4.6): the ACPI 2.0+ RSDP (for the WDAT) and the SMBIOS entry
// points (for the BMC's IPMI interface, type 38). The core parses them
// (wdboot/acpi.hpp, wdboot/smbios.hpp) through IdentityMemory.
#pragma once
#include <stdint.h>

#include "efi_api.hpp"
#include "wdboot/physical_memory.hpp"

namespace wdboot::efi {

// The table the configuration table lists under `guid`, as a physical address; 0 if
// none. Pure lookup, no allocation.
uint64_t configuration_table(const EFI_GUID& guid);

// ACPI_20_TABLE_GUID (8868e871-e4f1-11d3-bc22-0080c73c8881): the RSDP, revision >= 2.
uint64_t acpi_rsdp();
// SMBIOS3_TABLE_GUID (f2fd1544-9794-4a2c-992e-e5bbcf20e394, "_SM3_") if present, else
// SMBIOS_TABLE_GUID (eb9d2d31-2d88-11d3-9a16-0090273fc14d, "_SM_"); 0 if neither.
uint64_t smbios_entry_point();

// Boot services run identity-mapped (UEFI 2.10, 2.3.4): a physical address is its own
// pointer. Refuses (nullptr) address 0 and ranges that wrap or lie beyond 2^48.
class IdentityMemory final : public PhysicalMemory {
public:
    const uint8_t* map(uint64_t address, size_t length) override;
};

}  // namespace wdboot::efi
