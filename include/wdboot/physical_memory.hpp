// Read access to physical memory for the table parsers (SMBIOS, ACPI). The core never
// dereferences a physical address itself: the EFI glue maps 1:1 (identity-mapped boot
// services memory), the tests serve byte arrays.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace wdboot {

class PhysicalMemory {
public:
    // A pointer to `length` readable bytes at physical `address`, or nullptr if that
    // range is not mapped (or the address does not fit the platform's pointers). The
    // pointer stays valid as long as the PhysicalMemory object.
    virtual const uint8_t* map(uint64_t address, size_t length) = 0;

protected:
    // Not virtual: parsers never own or delete the memory object they are given.
    ~PhysicalMemory() = default;
};

}  // namespace wdboot
