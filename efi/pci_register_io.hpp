// RegisterIo windows over EFI_PCI_IO_PROTOCOL, for the core's watchdog drivers:
// the device's PCI configuration space, and one of its memory BARs. Offsets are
// relative to the window. A failed access reads as all ones (like an absent device)
// and is counted, so the caller can tell the driver's result is not to be trusted.
#pragma once
#include <stdint.h>

#include "efi_api.hpp"
#include "wdboot/reg_io.hpp"

namespace wdboot::efi {

class PciConfigIo final : public RegisterIo {
public:
    explicit PciConfigIo(EFI_PCI_IO_PROTOCOL* pci) : pci_(pci) {}
    uint8_t read8(uint32_t offset) override;
    uint16_t read16(uint32_t offset) override;
    uint32_t read32(uint32_t offset) override;
    void write8(uint32_t offset, uint8_t value) override;
    void write16(uint32_t offset, uint16_t value) override;
    void write32(uint32_t offset, uint32_t value) override;
    uint32_t errors() const { return errors_; }

private:
    // Every width and direction in one routine: the value travels in the low bytes of a
    // uint32_t (x86 is little-endian), a failed read returns all ones for the caller to
    // cut to its width.
    uint32_t access(bool write, EFI_PCI_IO_PROTOCOL_WIDTH width, uint32_t offset, uint32_t value);

    EFI_PCI_IO_PROTOCOL* pci_;
    uint32_t errors_ = 0;
};

class PciBarIo final : public RegisterIo {
public:
    PciBarIo(EFI_PCI_IO_PROTOCOL* pci, uint8_t bar) : pci_(pci), bar_(bar) {}
    uint8_t read8(uint32_t offset) override;
    uint16_t read16(uint32_t offset) override;
    uint32_t read32(uint32_t offset) override;
    void write8(uint32_t offset, uint8_t value) override;
    void write16(uint32_t offset, uint16_t value) override;
    void write32(uint32_t offset, uint32_t value) override;
    uint32_t errors() const { return errors_; }

private:
    // As PciConfigIo's.
    uint32_t access(bool write, EFI_PCI_IO_PROTOCOL_WIDTH width, uint32_t offset, uint32_t value);

    EFI_PCI_IO_PROTOCOL* pci_;
    uint8_t bar_;
    uint32_t errors_ = 0;
};

}  // namespace wdboot::efi
