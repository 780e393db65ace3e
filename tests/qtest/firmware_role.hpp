// The part of platform firmware the halting ROM leaves undone, done the way OVMF
// leaves the q35 machine: the i6300esb's BAR0 assigned, the ICH9 PM I/O block at
// 0x600 with ACPI decoding on, and the chipset configuration registers at 0xFED1C000.
// The drivers then find everything through their own find_* and enable_* functions.
#pragma once
#include <stdint.h>

#include "qtest_windows.hpp"

namespace wdboot::qtest {

inline constexpr unsigned kEsbSlot = 5;  // -device i6300esb,addr=0x5
inline constexpr uint32_t kEsbBar0 = 0xFEBF1000;
inline constexpr uint16_t kPmBase = 0x600;
inline constexpr uint32_t kRcba = 0xFED1C000;

// PCI config 0x10 = BAR0; memory decoding stays off (the driver turns it on).
inline void assign_esb_bar(PciConfig& esb) { esb.write32(0x10, kEsbBar0); }

// LPC config: PMBASE (I/O space indicator bit 0), ACPI_CNTL.ACPI_EN, RCBA enable.
inline void set_up_lpc(PciConfig& lpc) {
    lpc.write32(0x40, kPmBase | 0x1u);
    lpc.write8(0x44, 0x80);
    lpc.write32(0xF0, kRcba | 0x1u);
}

}  // namespace wdboot::qtest
