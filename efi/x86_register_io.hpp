// RegisterIo windows that are not behind a PCI BAR: x86 I/O ports (the ICH9 TCO at
// PMBASE+0x60) and physical memory (the chipset's RCRB at RCBA). UEFI runs identity-
// mapped with I/O privilege, so both are plain in/out instructions and volatile
// accesses, as edk2's IoLib does it.
#pragma once
#include <stdint.h>

#include "wdboot/reg_io.hpp"

namespace wdboot::efi {

class PortIo final : public RegisterIo {
public:
    explicit PortIo(uint16_t base) : base_(base) {}
    uint8_t read8(uint32_t offset) override;
    uint16_t read16(uint32_t offset) override;
    uint32_t read32(uint32_t offset) override;
    void write8(uint32_t offset, uint8_t value) override;
    void write16(uint32_t offset, uint16_t value) override;
    void write32(uint32_t offset, uint32_t value) override;
    // in/out instructions cannot report a failure: always 0 (the same interface as
    // the PCI windows, so every driver step is checked the same way).
    uint32_t errors() const { return 0; }

private:
    uint16_t port(uint32_t offset) const { return static_cast<uint16_t>(base_ + offset); }
    uint16_t base_;
};

class PhysicalMmio final : public RegisterIo {
public:
    explicit PhysicalMmio(uint64_t base) : base_(base) {}
    uint8_t read8(uint32_t offset) override;
    uint16_t read16(uint32_t offset) override;
    uint32_t read32(uint32_t offset) override;
    void write8(uint32_t offset, uint8_t value) override;
    void write16(uint32_t offset, uint16_t value) override;
    void write32(uint32_t offset, uint32_t value) override;
    // Volatile accesses cannot report a failure: always 0.
    uint32_t errors() const { return 0; }

private:
    template <typename T>
    volatile T* at(uint32_t offset) const {
        return reinterpret_cast<volatile T*>(static_cast<uintptr_t>(base_ + offset));
    }
    uint64_t base_;
};

}  // namespace wdboot::efi
