// Register access for watchdog drivers. The core never touches hardware itself: the
// EFI glue implements these over EFI_PCI_IO_PROTOCOL / port I/O, the tests over
// register models of the devices (tests/unit/*_model.hpp).
#pragma once
#include <stdint.h>

#include "wdboot/status.hpp"

namespace wdboot {

// One register window: a PCI configuration space, a memory BAR or an I/O port range.
// Offsets are relative to the start of the window.
class RegisterIo {
public:
    virtual uint8_t read8(uint32_t offset) = 0;
    virtual uint16_t read16(uint32_t offset) = 0;
    virtual uint32_t read32(uint32_t offset) = 0;
    virtual void write8(uint32_t offset, uint8_t value) = 0;
    virtual void write16(uint32_t offset, uint16_t value) = 0;
    virtual void write32(uint32_t offset, uint32_t value) = 0;

protected:
    // Not virtual: drivers never own or delete the windows they are given.
    ~RegisterIo() = default;
};

}  // namespace wdboot
