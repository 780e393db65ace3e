// libFuzzer target for the ACPI side of the WDAT watchdog: wdat::parse() on the input,
// and find_acpi_table() with the input as physical memory (RSDP at address 0). The
// oracle: an accepted table holds only entries the interpreter can run (SystemMemory
// or SystemIO, 1/2/4-byte accesses, bit offset inside the access, I/O ports up to
// 0xFFFF, memory below 4 GiB, at most 64 of them), and running every action touches
// only registers the table names; a found table lies inside the input with a valid
// checksum. libFuzzer hands over an exactly sized heap copy, so ASan catches any read
// past the end.
#include <stddef.h>
#include <stdint.h>

#include <cstdlib>
#include <vector>

#include "wdboot/acpi.hpp"
#include "wdboot/wdat.hpp"

using namespace wdboot;

namespace {

void expect(bool ok) {
    if (!ok) std::abort();
}

// Registers that answer with a value derived from the offset, and check each access
// against the table's entries.
class CheckedSpace final : public RegisterIo {
public:
    CheckedSpace(const wdat::Wdat& w, uint8_t space) : w_(w), space_(space) {}
    uint8_t read8(uint32_t off) override { return static_cast<uint8_t>(access(off, 1)); }
    uint16_t read16(uint32_t off) override { return static_cast<uint16_t>(access(off, 2)); }
    uint32_t read32(uint32_t off) override { return access(off, 4); }
    void write8(uint32_t off, uint8_t) override { access(off, 1); }
    void write16(uint32_t off, uint16_t) override { access(off, 2); }
    void write32(uint32_t off, uint32_t) override { access(off, 4); }

private:
    uint32_t access(uint32_t off, uint8_t bytes) {
        bool named = false;
        for (uint32_t i = 0; i < w_.count; ++i) {
            const wdat::Register& r = w_.instructions[i].reg;
            if (r.space == space_ && r.address == off && r.access_bytes == bytes) named = true;
        }
        expect(named);
        return off * 2654435761u;
    }
    const wdat::Wdat& w_;
    uint8_t space_;
};

class InputMemory final : public PhysicalMemory {
public:
    InputMemory(const uint8_t* data, size_t size) : data_(data), size_(size) {}
    const uint8_t* map(uint64_t address, size_t length) override {
        if (address > size_ || length > size_ - address) return nullptr;
        return data_ + address;
    }

private:
    const uint8_t* data_;
    size_t size_;
};

void check_parsed(const uint8_t* data, size_t size) {
    static wdat::Wdat w;  // 1.6 KB; static so the fuzzer's stack stays small
    if (wdat::parse(data, size, w) == Status::ok) {
        expect(w.count <= wdat::kMaxInstructions);
        expect(w.timer_period_ms > 0 && w.max_count > 0 && w.min_count <= w.max_count);
        for (uint32_t i = 0; i < w.count; ++i) {
            const wdat::Instruction& in = w.instructions[i];
            const wdat::Register& r = in.reg;
            expect(r.space == wdat::kSpaceSystemMemory || r.space == wdat::kSpaceSystemIo);
            expect(r.access_bytes == 1 || r.access_bytes == 2 || r.access_bytes == 4);
            expect(r.bit_offset < 8u * r.access_bytes);
            expect((in.instruction & ~wdat::kPreserveRegister) <= wdat::kWriteCountdown);
            uint64_t last = static_cast<uint64_t>(r.address) + r.access_bytes - 1;
            expect(r.space == wdat::kSpaceSystemIo ? last <= 0xFFFF : last <= 0xFFFFFFFFu);
        }
        CheckedSpace io(w, wdat::kSpaceSystemIo);
        CheckedSpace mem(w, wdat::kSpaceSystemMemory);
        expect(wdat::min_timeout_ms(w) <= wdat::max_timeout_ms(w));
        Status s = wdat::arm(w, io, mem, wdat::min_timeout_ms(w));
        expect(s == Status::ok || s == Status::unsupported || s == Status::device_error ||
               s == Status::invalid_argument);
        (void)wdat::ping(w, io, mem);
        (void)wdat::disarm(w, io, mem);
        (void)wdat::read_reset_cause(w, io, mem);
        (void)wdat::clear_reset_cause(w, io, mem);
        (void)wdat::arm(w, io, mem, 0xFFFFFFFFu);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    check_parsed(data, size);
    // Again with the checksum made right, so mutations reach the fields behind it.
    if (size >= kAcpiHeaderBytes) {
        std::vector<uint8_t> copy(data, data + size);
        uint32_t length = static_cast<uint32_t>(copy[4]) | static_cast<uint32_t>(copy[5]) << 8 |
                          static_cast<uint32_t>(copy[6]) << 16 | static_cast<uint32_t>(copy[7]) << 24;
        size_t n = length < size ? length : size;
        copy[9] = 0;
        copy[9] = static_cast<uint8_t>(0x100 - acpi_checksum(copy.data(), n));
        check_parsed(copy.data(), copy.size());
    }

    InputMemory memory(data, size);
    AcpiTable t;
    if (find_acpi_table(memory, 0, "WDAT", t) == Status::ok) {
        expect(t.data >= data && t.length >= kAcpiHeaderBytes && t.length <= kAcpiMaxTableBytes);
        expect(static_cast<size_t>(t.data - data) + t.length <= size);
        expect(acpi_checksum(t.data, t.length) == 0);
        check_parsed(t.data, t.length);
    } else {
        expect(t.problem != nullptr && t.problem[0] != '\0');
    }
    return 0;
}
