// Register models and a table builder for the WDAT interpreter tests (test_wdat.cpp):
//  - SpaceModel: a plain register space (I/O ports or physical memory) of bytes,
//    little-endian, every access logged (register_log.hpp); reads of bytes never
//    written return `fill`. Accesses outside [base, base + size) throw, so a test
//    fails if the interpreter touches a register the table does not name.
//  - TcoSpaces: the I/O and memory spaces of a q35 machine, forwarding 0x660..0x67F
//    to ItcoModel's TCO window and 0xFED1C000.. to its RCRB, so a WDAT describing
//    the TCO runs against the same model as itco.cpp's tests.
//  - WdatBuilder: a WDAT's bytes with a correct Length and checksum unless told not to.
#pragma once
#include <stdint.h>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "itco_model.hpp"
#include "register_log.hpp"
#include "wdboot/acpi.hpp"
#include "wdboot/reg_io.hpp"

namespace wdboot::test {

class SpaceModel final : public RegisterIo {
public:
    SpaceModel(char window, uint32_t base, uint32_t size) : window_(window), base_(base), size_(size) {}

    uint8_t read8(uint32_t off) override { return static_cast<uint8_t>(read(off, 8)); }
    uint16_t read16(uint32_t off) override { return static_cast<uint16_t>(read(off, 16)); }
    uint32_t read32(uint32_t off) override { return read(off, 32); }
    void write8(uint32_t off, uint8_t v) override { write(off, 8, v); }
    void write16(uint32_t off, uint16_t v) override { write(off, 16, v); }
    void write32(uint32_t off, uint32_t v) override { write(off, 32, v); }

    // Sets register contents without logging (the state firmware left).
    void poke(uint32_t off, uint8_t width, uint32_t v) {
        for (uint32_t i = 0; i < width / 8u; ++i) bytes_[off + i] = static_cast<uint8_t>(v >> (8 * i));
    }
    uint32_t peek(uint32_t off, uint8_t width) const {
        uint32_t v = 0;
        for (uint32_t i = 0; i < width / 8u; ++i) {
            auto it = bytes_.find(off + i);
            v |= static_cast<uint32_t>(it == bytes_.end() ? fill : it->second) << (8 * i);
        }
        return v;
    }

    RegisterLog log;
    RegisterLog* also = nullptr;  // a log shared with other spaces, for cross-window order
    uint8_t fill = 0;
    bool drop_writes = false;  // fault injection: the device ignores writes

private:
    void check(uint32_t off, uint8_t width) const {
        if (off < base_ || static_cast<uint64_t>(off) + width / 8u > static_cast<uint64_t>(base_) + size_) {
            throw std::out_of_range("access outside the modelled registers at " + std::to_string(off));
        }
    }
    uint32_t read(uint32_t off, uint8_t width) {
        check(off, width);
        uint32_t v = peek(off, width);
        add({window_, false, width, off, v});
        return v;
    }
    void write(uint32_t off, uint8_t width, uint32_t v) {
        check(off, width);
        add({window_, true, width, off, v});
        if (!drop_writes) poke(off, width, v);
    }

    void add(const Access& a) {
        log.add(a);
        if (also != nullptr) also->add(a);
    }

    char window_;
    uint32_t base_;
    uint32_t size_;
    std::map<uint32_t, uint8_t> bytes_;
};

// The q35 machine's port and memory spaces around an ItcoModel (after OVMF:
// TCO at 0x660, RCBA 0xFED1C000).
class TcoSpaces {
public:
    static constexpr uint32_t kTcoBase = 0x660;
    static constexpr uint32_t kRcba = 0xFED1C000;

    explicit TcoSpaces(ItcoModel& m) : io_(m.tco(), kTcoBase, 0x20), mem_(m.rcrb(), kRcba, 0x4000) {}
    RegisterIo& io() { return io_; }
    RegisterIo& mem() { return mem_; }

private:
    class Forward final : public RegisterIo {
    public:
        Forward(RegisterIo& to, uint32_t base, uint32_t size) : to_(to), base_(base), size_(size) {}
        uint8_t read8(uint32_t off) override { return to_.read8(rel(off, 1)); }
        uint16_t read16(uint32_t off) override { return to_.read16(rel(off, 2)); }
        uint32_t read32(uint32_t off) override { return to_.read32(rel(off, 4)); }
        void write8(uint32_t off, uint8_t v) override { to_.write8(rel(off, 1), v); }
        void write16(uint32_t off, uint16_t v) override { to_.write16(rel(off, 2), v); }
        void write32(uint32_t off, uint32_t v) override { to_.write32(rel(off, 4), v); }

    private:
        uint32_t rel(uint32_t off, uint32_t bytes) const {
            if (off < base_ || static_cast<uint64_t>(off) + bytes > static_cast<uint64_t>(base_) + size_) {
                throw std::out_of_range("access outside the TCO/RCRB at " + std::to_string(off));
            }
            return off - base_;
        }
        RegisterIo& to_;
        uint32_t base_;
        uint32_t size_;
    };

    Forward io_;
    Forward mem_;
};

struct WdatEntry {
    uint8_t action;
    uint8_t instruction;
    uint8_t space;
    uint8_t bit_width;
    uint8_t bit_offset;
    uint8_t access_width;  // encoded: 1 byte .. 4 qword
    uint64_t address;
    uint32_t value;
    uint32_t mask;
};

class WdatBuilder {
public:
    uint32_t header_length = 32;
    uint16_t pci_segment = 0x00FF;
    uint32_t period_ms = 1000;
    uint32_t max_count = 600;
    uint32_t min_count = 2;
    uint8_t flags = 0x01;
    std::vector<WdatEntry> entries;
    // Damage to apply: a declared entry count other than entries.size(), a Length
    // other than the real one, no checksum fix-up.
    long count_override = -1;
    long length_override = -1;
    bool bad_checksum = false;

    WdatBuilder& add(const WdatEntry& e) {
        entries.push_back(e);
        return *this;
    }

    std::vector<uint8_t> bytes() const {
        std::vector<uint8_t> t;
        auto u8 = [&](uint32_t v) { t.push_back(static_cast<uint8_t>(v)); };
        auto u16 = [&](uint32_t v) { u8(v); u8(v >> 8); };
        auto u32 = [&](uint32_t v) { u16(v); u16(v >> 16); };
        auto u64 = [&](uint64_t v) { u32(static_cast<uint32_t>(v)); u32(static_cast<uint32_t>(v >> 32)); };
        for (char c : std::string("WDAT")) u8(static_cast<uint8_t>(c));
        u32(0);  // Length, below
        u8(1);   // Revision
        u8(0);   // Checksum, below
        for (char c : std::string("WDBOOTUNITTEST")) u8(static_cast<uint8_t>(c));  // OEM ID + table ID
        u32(1);
        for (char c : std::string("TEST")) u8(static_cast<uint8_t>(c));
        u32(1);
        u32(header_length);
        u16(pci_segment);
        u8(0xFF); u8(0xFF); u8(0xFF);
        u8(0); u8(0); u8(0);
        u32(period_ms);
        u32(max_count);
        u32(min_count);
        u8(flags);
        u8(0); u8(0); u8(0);
        u32(count_override >= 0 ? static_cast<uint32_t>(count_override) : static_cast<uint32_t>(entries.size()));
        for (const WdatEntry& e : entries) {
            u8(e.action); u8(e.instruction); u16(0);
            u8(e.space); u8(e.bit_width); u8(e.bit_offset); u8(e.access_width); u64(e.address);
            u32(e.value);
            u32(e.mask);
        }
        uint32_t len = length_override >= 0 ? static_cast<uint32_t>(length_override) : static_cast<uint32_t>(t.size());
        for (int i = 0; i < 4; ++i) t[4 + i] = static_cast<uint8_t>(len >> (8 * i));
        uint8_t sum = acpi_checksum(t.data(), t.size() < len ? t.size() : len);
        t[9] = static_cast<uint8_t>(0x100 - sum);
        if (bad_checksum) t[9] = static_cast<uint8_t>(t[9] + 1);
        return t;
    }
};

}  // namespace wdboot::test
