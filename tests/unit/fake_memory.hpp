// PhysicalMemory for the table parsers' tests (acpi.hpp, smbios.hpp): regions of bytes
// at physical addresses, each exactly as long as its vector, so a read past a region's
// end is a map() that fails (and, under ASan, never a silent overread).
#pragma once
#include <stdint.h>

#include <map>
#include <vector>

#include "wdboot/physical_memory.hpp"

namespace wdtest {

class FakeMemory final : public wdboot::PhysicalMemory {
public:
    std::map<uint64_t, std::vector<uint8_t>> regions;
    uint32_t maps = 0;  // map() calls

    const uint8_t* map(uint64_t address, size_t length) override {
        ++maps;
        for (auto& [base, bytes] : regions) {
            if (address >= base && address - base <= bytes.size() && length <= bytes.size() - (address - base)) {
                return bytes.data() + (address - base);
            }
        }
        return nullptr;
    }
};

}  // namespace wdtest
