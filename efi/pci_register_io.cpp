#include "pci_register_io.hpp"

namespace wdboot::efi {

uint32_t PciConfigIo::access(bool write, EFI_PCI_IO_PROTOCOL_WIDTH width, uint32_t offset, uint32_t value) {
    EFI_PCI_IO_PROTOCOL_CONFIG op = write ? pci_->Pci.Write : pci_->Pci.Read;
    if (EFI_ERROR(op(pci_, width, offset, 1, &value))) {
        ++errors_;
        return ~0u;
    }
    return value;
}

uint32_t PciBarIo::access(bool write, EFI_PCI_IO_PROTOCOL_WIDTH width, uint32_t offset, uint32_t value) {
    EFI_PCI_IO_PROTOCOL_IO_MEM op = write ? pci_->Mem.Write : pci_->Mem.Read;
    if (EFI_ERROR(op(pci_, width, bar_, offset, 1, &value))) {
        ++errors_;
        return ~0u;
    }
    return value;
}

uint8_t PciConfigIo::read8(uint32_t o) { return static_cast<uint8_t>(access(false, EfiPciIoWidthUint8, o, 0)); }
uint16_t PciConfigIo::read16(uint32_t o) { return static_cast<uint16_t>(access(false, EfiPciIoWidthUint16, o, 0)); }
uint32_t PciConfigIo::read32(uint32_t o) { return access(false, EfiPciIoWidthUint32, o, 0); }
void PciConfigIo::write8(uint32_t o, uint8_t v) { access(true, EfiPciIoWidthUint8, o, v); }
void PciConfigIo::write16(uint32_t o, uint16_t v) { access(true, EfiPciIoWidthUint16, o, v); }
void PciConfigIo::write32(uint32_t o, uint32_t v) { access(true, EfiPciIoWidthUint32, o, v); }

uint8_t PciBarIo::read8(uint32_t o) { return static_cast<uint8_t>(access(false, EfiPciIoWidthUint8, o, 0)); }
uint16_t PciBarIo::read16(uint32_t o) { return static_cast<uint16_t>(access(false, EfiPciIoWidthUint16, o, 0)); }
uint32_t PciBarIo::read32(uint32_t o) { return access(false, EfiPciIoWidthUint32, o, 0); }
void PciBarIo::write8(uint32_t o, uint8_t v) { access(true, EfiPciIoWidthUint8, o, v); }
void PciBarIo::write16(uint32_t o, uint16_t v) { access(true, EfiPciIoWidthUint16, o, v); }
void PciBarIo::write32(uint32_t o, uint32_t v) { access(true, EfiPciIoWidthUint32, o, v); }

}  // namespace wdboot::efi
