// SMBIOS tables (DMTF DSP0134): the entry points and the structure walk, as far as the
// loader needs them to find the BMC's system interface (type 38, IPMI Device
// Information). The EFI glue passes the entry point address from the EFI configuration
// table (SMBIOS3_TABLE_GUID, else SMBIOS_TABLE_GUID) and a PhysicalMemory; nothing here
// reads past what it mapped, and every length comes from the tables themselves.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "wdboot/physical_memory.hpp"
#include "wdboot/status.hpp"

namespace wdboot::smbios {

// Entry point anchors and lengths.
inline constexpr size_t kEntry3Length = 0x18;       // "_SM3_", 64-bit table address
inline constexpr size_t kEntry2Length = 0x1F;       // "_SM_" with "_DMI_" at 0x10
inline constexpr size_t kEntry21BuggyLength = 0x1E; // SMBIOS 2.1 said 0x1E; some firmware kept it
inline constexpr size_t kLegacyEntryLength = 0x0F;  // bare "_DMI_"
inline constexpr size_t kMaxEntryLength = 0x20;

inline constexpr uint8_t kTypeIpmiDevice = 38;
inline constexpr uint8_t kTypeEndOfTable = 127;
inline constexpr size_t kStructureHeaderLength = 4;  // type, length, handle

// Where the structure table is.
struct Table {
    uint64_t address;
    uint32_t length;          // 2.x: exact length; 3.0: maximum length
    uint16_t structure_count; // 2.x: number of structures; 0 in 3.0 (walk to type 127)
    uint8_t major;
    uint8_t minor;
};

// Reads the entry point at `address`: "_SM3_" (3.x), "_SM_" (2.x, its intermediate
// "_DMI_" checksum too) or a bare legacy "_DMI_". not_found if no anchor is there or
// the memory cannot be mapped; bad_crc if a checksum (byte sum) is not 0; bad_size if
// the entry point length is impossible or the table length is 0.
Status read_entry_point(PhysicalMemory& mem, uint64_t address, Table& table);

// IPMI Device Information, BMC interface type (byte 0x04 of type 38).
enum class IpmiInterface : uint8_t { unknown = 0, kcs = 1, smic = 2, bt = 3, ssif = 4 };

// "KCS", "SMIC", "BT", "SSIF", "unknown"; never null.
const char* to_string(IpmiInterface i);

struct IpmiDevice {
    IpmiInterface interface_type;
    uint8_t raw_interface_type;  // as in the table, for messages about unknown types
    uint8_t spec_revision;       // BCD: 0x20 = IPMI 2.0
    uint8_t i2c_address;         // the BMC's slave address (0x20 usually)
    bool io_space;               // base address is an I/O port (else memory-mapped)
    uint64_t base_address;       // the data register, with the address LSB applied
    uint32_t register_spacing;   // 1, 4 or 16 bytes between data and status/command
    uint8_t interrupt;           // 0: none
};

// Decodes one type 38 structure's formatted area (`length` bytes from its header).
// Structures shorter than 0x12 bytes (SMBIOS before 2.3) predate the base address
// modifier: I/O space with byte spacing is assumed, as Linux does. bad_size if shorter
// than 0x10; bad_field if the register spacing is the reserved value 3 or the base
// address is 0.
Status decode_ipmi_device(const uint8_t* structure, size_t length, IpmiDevice& dev);

// Walks the structure table for type 38. ok: a KCS interface, decoded into `dev`;
// unsupported: only other interface types (the first one is in `dev`, so the caller
// can name it); not_found: no type 38 (or the table cannot be mapped); bad_size: a
// structure runs past the table (its formatted area or its strings) before a KCS
// interface was found; bad_field as decode_ipmi_device.
Status find_ipmi_kcs(PhysicalMemory& mem, const Table& table, IpmiDevice& dev);

}  // namespace wdboot::smbios
