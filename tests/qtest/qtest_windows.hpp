// RegisterIo windows over a qtest Machine: what the EFI glue does with
// EFI_PCI_IO_PROTOCOL and port I/O, done here with qtest's in/out/read/write commands,
// so the core's register sequences run unchanged against QEMU's devices.
#pragma once
#include <stdint.h>

#include "qtest_machine.hpp"
#include "wdboot/reg_io.hpp"

namespace wdboot::qtest {

// PCI configuration space of bus 0 dev.fn through the 0xCF8/0xCFC mechanism.
class PciConfig final : public RegisterIo {
public:
    PciConfig(Machine& m, unsigned dev, unsigned fn) : m_(m), bdf_(0x80000000u | (dev << 11) | (fn << 8)) {}
    uint8_t read8(uint32_t o) override { select(o); return static_cast<uint8_t>(m_.value("inb " + hex(0xCFC + (o & 3)))); }
    uint16_t read16(uint32_t o) override { select(o); return static_cast<uint16_t>(m_.value("inw " + hex(0xCFC + (o & 2)))); }
    uint32_t read32(uint32_t o) override { select(o); return static_cast<uint32_t>(m_.value("inl 0xcfc")); }
    void write8(uint32_t o, uint8_t v) override { select(o); m_.command("outb " + hex(0xCFC + (o & 3)) + " " + hex(v)); }
    void write16(uint32_t o, uint16_t v) override { select(o); m_.command("outw " + hex(0xCFC + (o & 2)) + " " + hex(v)); }
    void write32(uint32_t o, uint32_t v) override { select(o); m_.command("outl 0xcfc " + hex(v)); }

private:
    void select(uint32_t o) { m_.command("outl 0xcf8 " + hex(bdf_ | (o & 0xFC))); }
    Machine& m_;
    uint32_t bdf_;
};

// A window of guest-physical memory (a memory BAR, the RCRB).
class Memory final : public RegisterIo {
public:
    Memory(Machine& m, uint64_t base) : m_(m), base_(base) {}
    uint8_t read8(uint32_t o) override { return static_cast<uint8_t>(m_.value("readb " + hex(base_ + o))); }
    uint16_t read16(uint32_t o) override { return static_cast<uint16_t>(m_.value("readw " + hex(base_ + o))); }
    uint32_t read32(uint32_t o) override { return static_cast<uint32_t>(m_.value("readl " + hex(base_ + o))); }
    void write8(uint32_t o, uint8_t v) override { m_.command("writeb " + hex(base_ + o) + " " + hex(v)); }
    void write16(uint32_t o, uint16_t v) override { m_.command("writew " + hex(base_ + o) + " " + hex(v)); }
    void write32(uint32_t o, uint32_t v) override { m_.command("writel " + hex(base_ + o) + " " + hex(v)); }

private:
    Machine& m_;
    uint64_t base_;
};

// A range of I/O ports (the TCO block).
class Ports final : public RegisterIo {
public:
    Ports(Machine& m, uint16_t base) : m_(m), base_(base) {}
    uint8_t read8(uint32_t o) override { return static_cast<uint8_t>(m_.value("inb " + hex(base_ + o))); }
    uint16_t read16(uint32_t o) override { return static_cast<uint16_t>(m_.value("inw " + hex(base_ + o))); }
    uint32_t read32(uint32_t o) override { return static_cast<uint32_t>(m_.value("inl " + hex(base_ + o))); }
    void write8(uint32_t o, uint8_t v) override { m_.command("outb " + hex(base_ + o) + " " + hex(v)); }
    void write16(uint32_t o, uint16_t v) override { m_.command("outw " + hex(base_ + o) + " " + hex(v)); }
    void write32(uint32_t o, uint32_t v) override { m_.command("outl " + hex(base_ + o) + " " + hex(v)); }

private:
    Machine& m_;
    uint16_t base_;
};

}  // namespace wdboot::qtest
