#include "x86_register_io.hpp"

namespace wdboot::efi {

uint8_t PortIo::read8(uint32_t offset) {
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port(offset)));
    return v;
}

uint16_t PortIo::read16(uint32_t offset) {
    uint16_t v;
    __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port(offset)));
    return v;
}

uint32_t PortIo::read32(uint32_t offset) {
    uint32_t v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port(offset)));
    return v;
}

void PortIo::write8(uint32_t offset, uint8_t value) {
    __asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port(offset)));
}

void PortIo::write16(uint32_t offset, uint16_t value) {
    __asm__ volatile("outw %0, %1" : : "a"(value), "Nd"(port(offset)));
}

void PortIo::write32(uint32_t offset, uint32_t value) {
    __asm__ volatile("outl %0, %1" : : "a"(value), "Nd"(port(offset)));
}

uint8_t PhysicalMmio::read8(uint32_t offset) { return *at<uint8_t>(offset); }
uint16_t PhysicalMmio::read16(uint32_t offset) { return *at<uint16_t>(offset); }
uint32_t PhysicalMmio::read32(uint32_t offset) { return *at<uint32_t>(offset); }
void PhysicalMmio::write8(uint32_t offset, uint8_t value) { *at<uint8_t>(offset) = value; }
void PhysicalMmio::write16(uint32_t offset, uint16_t value) { *at<uint16_t>(offset) = value; }
void PhysicalMmio::write32(uint32_t offset, uint32_t value) { *at<uint32_t>(offset) = value; }

}  // namespace wdboot::efi
