// SMBIOS entry points and the search for the IPMI device (type 38), on tables built
// here byte by byte. Each table lives in its own exactly-sized buffer, so a read past
// it is a read past the allocation (ASan builds catch it).
#include <catch2/catch.hpp>

#include <cstring>
#include <map>
#include <vector>

#include "fake_memory.hpp"
#include "wdboot/smbios.hpp"

using namespace wdboot;

namespace {

using wdtest::FakeMemory;

constexpr uint64_t kEntryAddress = 0x7F000000;
constexpr uint64_t kTableAddress = 0x7F001000;

void fix_checksum(std::vector<uint8_t>& b, size_t at, size_t from, size_t len) {
    b[at] = 0;
    uint8_t sum = 0;
    for (size_t i = from; i < from + len; ++i) sum = static_cast<uint8_t>(sum + b[i]);
    b[at] = static_cast<uint8_t>(0x100 - sum);
}

void put(std::vector<uint8_t>& b, size_t at, uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

std::vector<uint8_t> entry3(uint64_t table, uint32_t max_len) {
    std::vector<uint8_t> e(smbios::kEntry3Length, 0);
    std::memcpy(e.data(), "_SM3_", 5);
    e[0x06] = static_cast<uint8_t>(smbios::kEntry3Length);
    e[0x07] = 3;
    e[0x08] = 4;
    e[0x0A] = 1;
    put(e, 0x0C, max_len, 4);
    put(e, 0x10, table, 8);
    fix_checksum(e, 0x05, 0, e.size());
    return e;
}

std::vector<uint8_t> entry2(uint32_t table, uint16_t len, uint16_t count) {
    std::vector<uint8_t> e(smbios::kEntry2Length, 0);
    std::memcpy(e.data(), "_SM_", 4);
    e[0x05] = static_cast<uint8_t>(smbios::kEntry2Length);
    e[0x06] = 2;
    e[0x07] = 8;
    std::memcpy(e.data() + 0x10, "_DMI_", 5);
    put(e, 0x16, len, 2);
    put(e, 0x18, table, 4);
    put(e, 0x1C, count, 2);
    e[0x1E] = 0x28;
    fix_checksum(e, 0x15, 0x10, 0x0F);
    fix_checksum(e, 0x04, 0, e.size());
    return e;
}

// One structure: formatted area (type, length, handle, fields) and its string set.
std::vector<uint8_t> structure(uint8_t type, std::vector<uint8_t> fields, std::vector<const char*> strings = {}) {
    std::vector<uint8_t> s{type, static_cast<uint8_t>(4 + fields.size()), 0x00, type};
    // push_back, not insert: GCC 12 warns falsely (-Warray-bounds) on insert here.
    for (uint8_t b : fields) s.push_back(b);
    for (const char* str : strings) {
        for (size_t i = 0; i <= std::strlen(str); ++i) s.push_back(static_cast<uint8_t>(str[i]));
    }
    if (strings.empty()) s.push_back(0);
    s.push_back(0);
    return s;
}

// Type 38 as QEMU's isa-ipmi-kcs describes it: KCS, IPMI 2.0, I/O 0xCA2, byte spacing.
std::vector<uint8_t> ipmi38(uint8_t interface, uint64_t base_field, uint8_t modifier, uint8_t irq = 5) {
    std::vector<uint8_t> f(0x12 - 4, 0);
    f[0x04 - 4] = interface;
    f[0x05 - 4] = 0x20;
    f[0x06 - 4] = 0x20;
    f[0x07 - 4] = 0xFF;
    for (int i = 0; i < 8; ++i) f[0x08 - 4 + i] = static_cast<uint8_t>(base_field >> (8 * i));
    f[0x10 - 4] = modifier;
    f[0x11 - 4] = irq;
    return structure(38, f);
}

std::vector<uint8_t> concat(std::initializer_list<std::vector<uint8_t>> parts) {
    std::vector<uint8_t> out;
    for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

std::vector<uint8_t> qemu_table() {
    return concat({structure(0, std::vector<uint8_t>(0x14, 0), {"EFI Development Kit II / OVMF", "0.0.0"}),
                   structure(1, std::vector<uint8_t>(0x17, 0), {"QEMU", "Standard PC (Q35 + ICH9, 2009)"}),
                   ipmi38(1, 0xCA3, 0x00), structure(127, {})});
}

FakeMemory memory_with(const std::vector<uint8_t>& entry, const std::vector<uint8_t>& table) {
    FakeMemory mem;
    mem.regions[kEntryAddress] = entry;
    mem.regions[kTableAddress] = table;
    return mem;
}

Status find(FakeMemory& mem, smbios::IpmiDevice& dev) {
    smbios::Table t{};
    Status st = smbios::read_entry_point(mem, kEntryAddress, t);
    if (st != Status::ok) return st;
    return smbios::find_ipmi_kcs(mem, t, dev);
}

}  // namespace

TEST_CASE("smbios: 3.0 entry point, QEMU's KCS at I/O 0xCA2", "[smbios]") {
    auto table = qemu_table();
    FakeMemory mem = memory_with(entry3(kTableAddress, static_cast<uint32_t>(table.size())), table);
    smbios::Table t{};
    REQUIRE(smbios::read_entry_point(mem, kEntryAddress, t) == Status::ok);
    CHECK(t.address == kTableAddress);
    CHECK(t.length == table.size());
    CHECK(t.major == 3);
    CHECK(t.minor == 4);
    CHECK(t.structure_count == 0);
    smbios::IpmiDevice dev{};
    REQUIRE(smbios::find_ipmi_kcs(mem, t, dev) == Status::ok);
    CHECK(dev.interface_type == smbios::IpmiInterface::kcs);
    CHECK(dev.io_space);
    CHECK(dev.base_address == 0xCA2);
    CHECK(dev.register_spacing == 1);
    CHECK(dev.interrupt == 5);
    CHECK(dev.spec_revision == 0x20);
    CHECK(dev.i2c_address == 0x20);
}

TEST_CASE("smbios: 2.x entry point with the _DMI_ intermediate anchor", "[smbios]") {
    auto table = qemu_table();
    FakeMemory mem = memory_with(entry2(static_cast<uint32_t>(kTableAddress), static_cast<uint16_t>(table.size()), 4),
                                 table);
    smbios::Table t{};
    REQUIRE(smbios::read_entry_point(mem, kEntryAddress, t) == Status::ok);
    CHECK(t.major == 2);
    CHECK(t.minor == 8);
    CHECK(t.structure_count == 4);
    smbios::IpmiDevice dev{};
    REQUIRE(smbios::find_ipmi_kcs(mem, t, dev) == Status::ok);
    CHECK(dev.base_address == 0xCA2);
}

TEST_CASE("smbios: legacy bare _DMI_ entry point", "[smbios]") {
    auto e2 = entry2(static_cast<uint32_t>(kTableAddress), 100, 3);
    std::vector<uint8_t> legacy(e2.begin() + 0x10, e2.end());
    FakeMemory mem;
    mem.regions[kEntryAddress] = legacy;
    smbios::Table t{};
    REQUIRE(smbios::read_entry_point(mem, kEntryAddress, t) == Status::ok);
    CHECK(t.address == kTableAddress);
    CHECK(t.length == 100);
    CHECK(t.major == 2);
    CHECK(t.minor == 8);
}

TEST_CASE("smbios: entry point checksums", "[smbios]") {
    auto table = qemu_table();
    smbios::Table t{};
    {
        auto e = entry3(kTableAddress, static_cast<uint32_t>(table.size()));
        e[0x10] ^= 1;
        FakeMemory mem = memory_with(e, table);
        CHECK(smbios::read_entry_point(mem, kEntryAddress, t) == Status::bad_crc);
    }
    {
        auto e = entry2(static_cast<uint32_t>(kTableAddress), static_cast<uint16_t>(table.size()), 4);
        e[0x08] ^= 1;
        FakeMemory mem = memory_with(e, table);
        CHECK(smbios::read_entry_point(mem, kEntryAddress, t) == Status::bad_crc);
    }
    {
        // Intermediate checksum wrong, outer one fixed up to match.
        auto e = entry2(static_cast<uint32_t>(kTableAddress), static_cast<uint16_t>(table.size()), 4);
        e[0x18] ^= 1;
        fix_checksum(e, 0x04, 0, e.size());
        FakeMemory mem = memory_with(e, table);
        CHECK(smbios::read_entry_point(mem, kEntryAddress, t) == Status::bad_crc);
    }
}

TEST_CASE("smbios: entry point anchors, lengths and mapping", "[smbios]") {
    smbios::Table t{};
    {
        FakeMemory mem;
        CHECK(smbios::read_entry_point(mem, kEntryAddress, t) == Status::not_found);
    }
    {
        FakeMemory mem;
        mem.regions[kEntryAddress] = std::vector<uint8_t>(0x20, 0);
        CHECK(smbios::read_entry_point(mem, kEntryAddress, t) == Status::not_found);
    }
    {
        auto e = entry3(kTableAddress, 0);
        FakeMemory mem = memory_with(e, {});
        CHECK(smbios::read_entry_point(mem, kEntryAddress, t) == Status::bad_size);
    }
    {
        auto e = entry3(kTableAddress, 100);
        e[0x06] = 0x10;  // shorter than a 3.0 entry point
        fix_checksum(e, 0x05, 0, e.size());
        FakeMemory mem = memory_with(e, {});
        CHECK(smbios::read_entry_point(mem, kEntryAddress, t) == Status::bad_size);
    }
    {
        // The entry point claims more bytes than are mapped there.
        auto e = entry3(kTableAddress, 100);
        e[0x06] = 0x20;
        fix_checksum(e, 0x05, 0, e.size());
        FakeMemory mem = memory_with(e, {});
        CHECK(smbios::read_entry_point(mem, kEntryAddress, t) == Status::not_found);
    }
}

TEST_CASE("smbios: a structure running past the table is bad_size", "[smbios]") {
    smbios::IpmiDevice dev{};
    {
        // Formatted length beyond the end.
        auto table = qemu_table();
        table.resize(table.size() - 4);  // drop type 127's header bytes
        auto bad = concat({structure(1, std::vector<uint8_t>(0x17, 0), {"QEMU"})});
        bad.push_back(2);
        bad.push_back(0x40);  // type 2 claiming 64 bytes in a table that ends here
        FakeMemory mem = memory_with(entry3(kTableAddress, static_cast<uint32_t>(bad.size())), bad);
        CHECK(find(mem, dev) == Status::bad_size);
    }
    {
        // Strings without the terminating double NUL.
        auto s = structure(1, std::vector<uint8_t>(0x17, 0), {"QEMU"});
        s.pop_back();
        FakeMemory mem = memory_with(entry3(kTableAddress, static_cast<uint32_t>(s.size())), s);
        CHECK(find(mem, dev) == Status::bad_size);
    }
    {
        // A header cut in half.
        auto s = concat({structure(0, std::vector<uint8_t>(0x14, 0)), std::vector<uint8_t>{38, 0x12}});
        FakeMemory mem = memory_with(entry3(kTableAddress, static_cast<uint32_t>(s.size())), s);
        CHECK(find(mem, dev) == Status::bad_size);
    }
    {
        // A formatted length below the header size.
        auto s = concat({std::vector<uint8_t>{38, 0x02, 0, 0, 0, 0}});
        FakeMemory mem = memory_with(entry3(kTableAddress, static_cast<uint32_t>(s.size())), s);
        CHECK(find(mem, dev) == Status::bad_size);
    }
    {
        // The table is not mapped at all.
        FakeMemory mem;
        mem.regions[kEntryAddress] = entry3(kTableAddress, 64);
        CHECK(find(mem, dev) == Status::not_found);
    }
}

TEST_CASE("smbios: a 3.0 table may end at its maximum length without type 127", "[smbios]") {
    auto table = concat({structure(1, std::vector<uint8_t>(0x17, 0), {"QEMU"}), ipmi38(1, 0xCA3, 0)});
    FakeMemory mem = memory_with(entry3(kTableAddress, static_cast<uint32_t>(table.size())), table);
    smbios::IpmiDevice dev{};
    CHECK(find(mem, dev) == Status::ok);
    auto none = concat({structure(1, std::vector<uint8_t>(0x17, 0), {"QEMU"})});
    FakeMemory mem2 = memory_with(entry3(kTableAddress, static_cast<uint32_t>(none.size())), none);
    CHECK(find(mem2, dev) == Status::not_found);
}

TEST_CASE("smbios: no type 38 is not_found, before and after the end marker", "[smbios]") {
    smbios::IpmiDevice dev{};
    auto table = concat({structure(0, std::vector<uint8_t>(0x14, 0), {"OVMF"}), structure(127, {})});
    FakeMemory mem = memory_with(entry3(kTableAddress, static_cast<uint32_t>(table.size())), table);
    CHECK(find(mem, dev) == Status::not_found);
    // A type 38 after the end-of-table structure does not count.
    auto after = concat({structure(127, {}), ipmi38(1, 0xCA3, 0)});
    FakeMemory mem2 = memory_with(entry3(kTableAddress, static_cast<uint32_t>(after.size())), after);
    CHECK(find(mem2, dev) == Status::not_found);
    // Nor one beyond the 2.x structure count.
    auto t = qemu_table();
    FakeMemory mem3 = memory_with(entry2(static_cast<uint32_t>(kTableAddress), static_cast<uint16_t>(t.size()), 2), t);
    CHECK(find(mem3, dev) == Status::not_found);
}

TEST_CASE("smbios: interfaces other than KCS are named as unsupported", "[smbios]") {
    smbios::IpmiDevice dev{};
    auto table = concat({ipmi38(3, 0xE5, 0x00), ipmi38(4, 0x20, 0x00), structure(127, {})});
    FakeMemory mem = memory_with(entry3(kTableAddress, static_cast<uint32_t>(table.size())), table);
    CHECK(find(mem, dev) == Status::unsupported);
    CHECK(dev.interface_type == smbios::IpmiInterface::bt);
    CHECK(std::string(smbios::to_string(dev.interface_type)) == "BT");
    CHECK(std::string(smbios::to_string(smbios::IpmiInterface::ssif)) == "SSIF");
    CHECK(std::string(smbios::to_string(smbios::IpmiInterface::smic)) == "SMIC");
    CHECK(std::string(smbios::to_string(smbios::IpmiInterface::kcs)) == "KCS");
    // A KCS after them is found.
    auto mixed = concat({ipmi38(3, 0xE5, 0x00), ipmi38(1, 0xCA3, 0x00), structure(127, {})});
    FakeMemory mem2 = memory_with(entry3(kTableAddress, static_cast<uint32_t>(mixed.size())), mixed);
    REQUIRE(find(mem2, dev) == Status::ok);
    CHECK(dev.base_address == 0xCA2);
    // An unknown type number.
    auto odd = concat({ipmi38(9, 0xCA3, 0x00), structure(127, {})});
    FakeMemory mem3 = memory_with(entry3(kTableAddress, static_cast<uint32_t>(odd.size())), odd);
    CHECK(find(mem3, dev) == Status::unsupported);
    CHECK(dev.interface_type == smbios::IpmiInterface::unknown);
    CHECK(dev.raw_interface_type == 9);
}

TEST_CASE("smbios: type 38 base address, modifier and spacing", "[smbios]") {
    smbios::IpmiDevice dev{};
    auto s = ipmi38(1, 0xCA3, 0x00);
    REQUIRE(smbios::decode_ipmi_device(s.data(), s[1], dev) == Status::ok);
    CHECK(dev.io_space);
    CHECK(dev.base_address == 0xCA2);
    CHECK(dev.register_spacing == 1);

    // I/O, address LSB set (bit 4), 32-bit spacing: 0xCA3 with status at 0xCA7.
    s = ipmi38(1, 0xCA3, 0x50);
    REQUIRE(smbios::decode_ipmi_device(s.data(), s[1], dev) == Status::ok);
    CHECK(dev.base_address == 0xCA3);
    CHECK(dev.register_spacing == 4);

    // Memory-mapped, 16-byte spacing.
    s = ipmi38(1, 0xFED40000, 0x80);
    REQUIRE(smbios::decode_ipmi_device(s.data(), s[1], dev) == Status::ok);
    CHECK_FALSE(dev.io_space);
    CHECK(dev.base_address == 0xFED40000);
    CHECK(dev.register_spacing == 16);

    // Reserved spacing.
    s = ipmi38(1, 0xCA3, 0xC0);
    CHECK(smbios::decode_ipmi_device(s.data(), s[1], dev) == Status::bad_field);
    // Base address 0.
    s = ipmi38(1, 0x1, 0x00);
    CHECK(smbios::decode_ipmi_device(s.data(), s[1], dev) == Status::bad_field);

    // Before SMBIOS 2.3 (0x10 bytes): I/O with byte spacing assumed, bit 0 ignored.
    s = ipmi38(1, 0xCA2, 0x00);
    REQUIRE(smbios::decode_ipmi_device(s.data(), 0x10, dev) == Status::ok);
    CHECK(dev.io_space);
    CHECK(dev.base_address == 0xCA2);
    CHECK(dev.register_spacing == 1);
    CHECK(dev.interrupt == 0);
    // Shorter still: not a type 38 we can use.
    CHECK(smbios::decode_ipmi_device(s.data(), 0x0F, dev) == Status::bad_size);

    // Inside a table, a bad type 38 is reported as such.
    auto table = concat({ipmi38(1, 0xCA3, 0xC0), structure(127, {})});
    FakeMemory mem = memory_with(entry3(kTableAddress, static_cast<uint32_t>(table.size())), table);
    CHECK(find(mem, dev) == Status::bad_field);
}
