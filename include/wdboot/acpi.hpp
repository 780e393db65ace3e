// Finding an ACPI table from the RSDP (ACPI 6.x, 5.2.5 RSDP, 5.2.7 RSDT, 5.2.8 XSDT).
// The core reaches firmware memory only through PhysicalMemory: the EFI glue maps the
// identity-mapped boot-services address space, the tests a fake made of byte buffers.
// Every length is checked before the bytes it covers are read; nothing outside a
// mapped range is touched. The loader's WDAT probe (efi/efi_watchdog.cpp) calls it.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "wdboot/physical_memory.hpp"
#include "wdboot/status.hpp"

namespace wdboot {

inline constexpr size_t kAcpiHeaderBytes = 36;       // common system description header
inline constexpr size_t kRsdpV1Bytes = 20;           // ACPI 1.0 RSDP, first checksum
inline constexpr size_t kRsdpV2Bytes = 36;           // ACPI 2.0+ RSDP
// Bound on any table we map: a WDAT of 64 entries is 1604 bytes, an XSDT of 1000
// tables 8036. A header claiming more is taken as damaged, not mapped.
inline constexpr uint32_t kAcpiMaxTableBytes = 64 * 1024;

// A table found and validated: signature, length in [36, kAcpiMaxTableBytes], checksum.
struct AcpiTable {
    uint64_t address = 0;
    const uint8_t* data = nullptr;  // `length` mapped bytes
    uint32_t length = 0;
    // On failure, what was wrong, for the loader's console line ("RSDP checksum",
    // "XSDT length", ...). Static text, never null after a call.
    const char* problem = "";
};

// Sum of `length` bytes modulo 256: 0 for a table with a valid checksum.
uint8_t acpi_checksum(const uint8_t* data, size_t length);

// Finds the first table with `signature` listed by the XSDT (ACPI 2.0+ RSDP with a
// non-zero XsdtAddress) or else the RSDT (revision 0, or no XSDT).
// Validated: RSDP "RSD PTR " and its 20-byte checksum, for revision >= 2 its Length
// (36..4 KiB) and extended checksum; the XSDT/RSDT signature, length and checksum;
// each table with the signature: length and checksum.
// Results: ok (out filled); not_found (no such table, no RSDT/XSDT address);
// bad_magic (RSDP or root table signature); bad_size (a length out of bounds);
// bad_crc (a checksum); io_error (memory not mappable). A listed table of the right
// signature that fails its checks is skipped in favour of a later valid one; if none
// is valid its error is returned. `out.problem` names the failing item.
Status find_acpi_table(PhysicalMemory& memory, uint64_t rsdp_address, const char signature[4], AcpiTable& out);

}  // namespace wdboot
