#include "pci_register_io.hpp"

namespace wdboot::efi {

namespace {

template <typename T>
constexpr EFI_PCI_IO_PROTOCOL_WIDTH width_of() {
    if constexpr (sizeof(T) == 1) return EfiPciIoWidthUint8;
    else if constexpr (sizeof(T) == 2) return EfiPciIoWidthUint16;
    else return EfiPciIoWidthUint32;
}

template <typename T>
T config_read(EFI_PCI_IO_PROTOCOL* pci, uint32_t offset, uint32_t& errors) {
    T v = 0;
    if (EFI_ERROR(pci->Pci.Read(pci, width_of<T>(), offset, 1, &v))) {
        ++errors;
        return static_cast<T>(~T(0));
    }
    return v;
}

template <typename T>
void config_write(EFI_PCI_IO_PROTOCOL* pci, uint32_t offset, T value, uint32_t& errors) {
    if (EFI_ERROR(pci->Pci.Write(pci, width_of<T>(), offset, 1, &value))) ++errors;
}

template <typename T>
T bar_read(EFI_PCI_IO_PROTOCOL* pci, uint8_t bar, uint32_t offset, uint32_t& errors) {
    T v = 0;
    if (EFI_ERROR(pci->Mem.Read(pci, width_of<T>(), bar, offset, 1, &v))) {
        ++errors;
        return static_cast<T>(~T(0));
    }
    return v;
}

template <typename T>
void bar_write(EFI_PCI_IO_PROTOCOL* pci, uint8_t bar, uint32_t offset, T value, uint32_t& errors) {
    if (EFI_ERROR(pci->Mem.Write(pci, width_of<T>(), bar, offset, 1, &value))) ++errors;
}

}  // namespace

uint8_t PciConfigIo::read8(uint32_t o) { return config_read<uint8_t>(pci_, o, errors_); }
uint16_t PciConfigIo::read16(uint32_t o) { return config_read<uint16_t>(pci_, o, errors_); }
uint32_t PciConfigIo::read32(uint32_t o) { return config_read<uint32_t>(pci_, o, errors_); }
void PciConfigIo::write8(uint32_t o, uint8_t v) { config_write(pci_, o, v, errors_); }
void PciConfigIo::write16(uint32_t o, uint16_t v) { config_write(pci_, o, v, errors_); }
void PciConfigIo::write32(uint32_t o, uint32_t v) { config_write(pci_, o, v, errors_); }

uint8_t PciBarIo::read8(uint32_t o) { return bar_read<uint8_t>(pci_, bar_, o, errors_); }
uint16_t PciBarIo::read16(uint32_t o) { return bar_read<uint16_t>(pci_, bar_, o, errors_); }
uint32_t PciBarIo::read32(uint32_t o) { return bar_read<uint32_t>(pci_, bar_, o, errors_); }
void PciBarIo::write8(uint32_t o, uint8_t v) { bar_write(pci_, bar_, o, v, errors_); }
void PciBarIo::write16(uint32_t o, uint16_t v) { bar_write(pci_, bar_, o, v, errors_); }
void PciBarIo::write32(uint32_t o, uint32_t v) { bar_write(pci_, bar_, o, v, errors_); }

}  // namespace wdboot::efi
