// Finding an ACPI table from the RSDP against a fake physical memory made of
// exact-size byte buffers: a read past a mapped length is a heap overflow the
// sanitizer build reports, and map() refuses any range not inside one buffer.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "fake_memory.hpp"
#include "wdboot/acpi.hpp"

using namespace wdboot;

namespace {

using wdtest::FakeMemory;

void put32(std::vector<uint8_t>& t, size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) t[at + i] = static_cast<uint8_t>(v >> (8 * i));
}
void put64(std::vector<uint8_t>& t, size_t at, uint64_t v) {
    put32(t, at, static_cast<uint32_t>(v));
    put32(t, at + 4, static_cast<uint32_t>(v >> 32));
}
void fix_checksum(std::vector<uint8_t>& t, size_t at, size_t len) {
    t[at] = 0;
    t[at] = static_cast<uint8_t>(0x100 - acpi_checksum(t.data(), len));
}

std::vector<uint8_t> table(const char* sig, size_t payload) {
    std::vector<uint8_t> t(36 + payload, 0);
    for (int i = 0; i < 4; ++i) t[i] = static_cast<uint8_t>(sig[i]);
    put32(t, 4, static_cast<uint32_t>(t.size()));
    t[8] = 1;
    for (size_t i = 36; i < t.size(); ++i) t[i] = static_cast<uint8_t>(i * 7);
    fix_checksum(t, 9, t.size());
    return t;
}

std::vector<uint8_t> root_table(const char* sig, const std::vector<uint64_t>& entries, size_t width) {
    std::vector<uint8_t> t(36 + entries.size() * width, 0);
    for (int i = 0; i < 4; ++i) t[i] = static_cast<uint8_t>(sig[i]);
    put32(t, 4, static_cast<uint32_t>(t.size()));
    for (size_t i = 0; i < entries.size(); ++i) {
        if (width == 8) put64(t, 36 + 8 * i, entries[i]);
        else put32(t, 36 + 4 * i, static_cast<uint32_t>(entries[i]));
    }
    fix_checksum(t, 9, t.size());
    return t;
}

std::vector<uint8_t> rsdp(uint8_t revision, uint32_t rsdt, uint64_t xsdt) {
    std::vector<uint8_t> r(revision >= 2 ? 36 : 20, 0);
    std::string sig = "RSD PTR ";
    for (int i = 0; i < 8; ++i) r[i] = static_cast<uint8_t>(sig[i]);
    r[15] = revision;
    put32(r, 16, rsdt);
    fix_checksum(r, 8, 20);
    if (revision >= 2) {
        put32(r, 20, 36);
        put64(r, 24, xsdt);
        fix_checksum(r, 32, 36);
    }
    return r;
}

constexpr uint64_t kRsdp = 0xE0000;
constexpr uint64_t kXsdt = 0x7F000000;
constexpr uint64_t kRsdt = 0x7F001000;
constexpr uint64_t kFacp = 0x7F002000;
constexpr uint64_t kWdat = 0x7F003000;
constexpr uint64_t kWdat2 = 0x7F004000;

// OVMF-like: revision 2, XSDT and RSDT both listing FACP and WDAT.
FakeMemory firmware() {
    FakeMemory m;
    m.regions[kRsdp] = rsdp(2, static_cast<uint32_t>(kRsdt), kXsdt);
    m.regions[kXsdt] = root_table("XSDT", {kFacp, kWdat}, 8);
    m.regions[kRsdt] = root_table("RSDT", {kFacp, kWdat}, 4);
    m.regions[kFacp] = table("FACP", 240);
    m.regions[kWdat] = table("WDAT", 32 + 24 * 3);
    return m;
}

Status find(FakeMemory& m, AcpiTable& out, const char* sig = "WDAT") { return find_acpi_table(m, kRsdp, sig, out); }

void damage_checksum(FakeMemory& m, uint64_t at) { m.regions[at][9] ^= 0x01; }

}  // namespace

TEST_CASE("acpi: finds a table through the XSDT", "[acpi]") {
    FakeMemory m = firmware();
    AcpiTable t;
    REQUIRE(find(m, t) == Status::ok);
    CHECK(t.address == kWdat);
    CHECK(t.length == 36 + 32 + 72);
    CHECK(t.data == m.regions[kWdat].data());
    CHECK(std::string(t.problem).empty());
    REQUIRE(find(m, t, "FACP") == Status::ok);
    CHECK(t.address == kFacp);
    CHECK(find(m, t, "HPET") == Status::not_found);
    CHECK(std::string(t.problem) == "table not listed");

    // The XSDT wins over an RSDT that lists something else.
    m.regions[kRsdt] = root_table("RSDT", {kFacp}, 4);
    CHECK(find(m, t) == Status::ok);
}

TEST_CASE("acpi: the RSDT is used for revision 0 and for a revision 2 without XSDT", "[acpi]") {
    FakeMemory m = firmware();
    m.regions[kRsdp] = rsdp(0, static_cast<uint32_t>(kRsdt), 0);  // exactly 20 bytes mapped
    m.regions.erase(kXsdt);
    AcpiTable t;
    REQUIRE(find(m, t) == Status::ok);
    CHECK(t.address == kWdat);

    m.regions[kRsdp] = rsdp(2, static_cast<uint32_t>(kRsdt), 0);
    REQUIRE(find(m, t) == Status::ok);
    CHECK(t.address == kWdat);

    m.regions[kRsdp] = rsdp(2, 0, 0);
    CHECK(find(m, t) == Status::not_found);
    CHECK(std::string(t.problem) == "RSDP lists no RSDT or XSDT");
}

TEST_CASE("acpi: a damaged RSDP is refused by name", "[acpi]") {
    AcpiTable t;
    FakeMemory m = firmware();
    m.regions[kRsdp][0] = 'X';
    CHECK(find(m, t) == Status::bad_magic);
    CHECK(std::string(t.problem) == "RSDP signature");

    m = firmware();
    m.regions[kRsdp][17] ^= 0x10;  // in the first 20 bytes
    CHECK(find(m, t) == Status::bad_crc);
    CHECK(std::string(t.problem) == "RSDP checksum");

    m = firmware();
    m.regions[kRsdp][30] ^= 0x10;  // XsdtAddress: only the extended checksum covers it
    CHECK(find(m, t) == Status::bad_crc);
    CHECK(std::string(t.problem) == "RSDP extended checksum");

    for (uint32_t len : {0u, 35u, 4097u, 0xFFFFFFFFu}) {
        INFO("RSDP length " << len);
        m = firmware();
        put32(m.regions[kRsdp], 20, len);
        fix_checksum(m.regions[kRsdp], 8, 20);
        CHECK(find(m, t) == Status::bad_size);
        CHECK(std::string(t.problem) == "RSDP length");
    }

    // Revision 2 but only the 20 bytes of an ACPI 1.0 RSDP are mapped.
    m = firmware();
    m.regions[kRsdp].resize(20);
    m.regions[kRsdp][15] = 2;
    fix_checksum(m.regions[kRsdp], 8, 20);
    CHECK(find(m, t) == Status::io_error);

    m = firmware();
    CHECK(find_acpi_table(m, 0x1234, "WDAT", t) == Status::io_error);
    CHECK(std::string(t.problem) == "RSDP not mapped");
}

TEST_CASE("acpi: a damaged XSDT or RSDT is refused by name", "[acpi]") {
    AcpiTable t;
    FakeMemory m = firmware();
    m.regions[kXsdt][0] = 'R';
    CHECK(find(m, t) == Status::bad_magic);
    CHECK(std::string(t.problem) == "XSDT signature");

    m = firmware();
    damage_checksum(m, kXsdt);
    CHECK(find(m, t) == Status::bad_crc);
    CHECK(std::string(t.problem) == "XSDT checksum");

    for (uint32_t len : {0u, 35u, kAcpiMaxTableBytes + 1, 0xFFFFFFFFu}) {
        INFO("XSDT length " << len);
        m = firmware();
        put32(m.regions[kXsdt], 4, len);
        CHECK(find(m, t) == Status::bad_size);
        CHECK(std::string(t.problem) == "XSDT length");
    }

    // A Length beyond the mapped bytes: never read.
    m = firmware();
    put32(m.regions[kXsdt], 4, 36 + 24);
    CHECK(find(m, t) == Status::io_error);
    CHECK(std::string(t.problem) == "XSDT not mapped");

    m = firmware();
    m.regions[kRsdp] = rsdp(0, static_cast<uint32_t>(kRsdt), 0);
    damage_checksum(m, kRsdt);
    CHECK(find(m, t) == Status::bad_crc);
    CHECK(std::string(t.problem) == "RSDT checksum");

    m = firmware();
    m.regions.erase(kXsdt);
    CHECK(find(m, t) == Status::io_error);
}

TEST_CASE("acpi: root table entries: a partial last entry and unmapped or zero entries are skipped", "[acpi]") {
    AcpiTable t;
    FakeMemory m = firmware();
    std::vector<uint8_t> x = root_table("XSDT", {0, 0xDEAD0000, kWdat}, 8);
    x.resize(x.size() + 4);  // half an entry more
    put32(x, 4, static_cast<uint32_t>(x.size()));
    fix_checksum(x, 9, x.size());
    m.regions[kXsdt] = x;
    REQUIRE(find(m, t) == Status::ok);
    CHECK(t.address == kWdat);

    // The WDAT listed last, only partly inside the XSDT's Length: not found.
    x = root_table("XSDT", {kFacp, kWdat}, 8);
    put32(x, 4, static_cast<uint32_t>(x.size() - 4));
    fix_checksum(x, 9, x.size() - 4);
    m.regions[kXsdt] = x;
    CHECK(find(m, t) == Status::not_found);
}

TEST_CASE("acpi: a damaged table of the signature gives its status, a later good copy wins", "[acpi]") {
    AcpiTable t;
    FakeMemory m = firmware();
    damage_checksum(m, kWdat);
    CHECK(find(m, t) == Status::bad_crc);
    CHECK(std::string(t.problem) == "table checksum");
    CHECK(t.data == nullptr);

    for (uint32_t len : {0u, 35u, kAcpiMaxTableBytes + 1, 0xFFFFFFFFu}) {
        INFO("WDAT length " << len);
        m = firmware();
        put32(m.regions[kWdat], 4, len);
        CHECK(find(m, t) == Status::bad_size);
        CHECK(std::string(t.problem) == "table length");
    }

    m = firmware();
    put32(m.regions[kWdat], 4, static_cast<uint32_t>(m.regions[kWdat].size() + 1));
    CHECK(find(m, t) == Status::io_error);
    CHECK(std::string(t.problem) == "table not mapped");

    // A second WDAT after the damaged one.
    m = firmware();
    damage_checksum(m, kWdat);
    m.regions[kWdat2] = table("WDAT", 32);
    m.regions[kXsdt] = root_table("XSDT", {kFacp, kWdat, kWdat2}, 8);
    REQUIRE(find(m, t) == Status::ok);
    CHECK(t.address == kWdat2);
    CHECK(t.length == 68);

    // A table at the top of 64 KiB is accepted; one byte more is not.
    m = firmware();
    m.regions[kWdat] = table("WDAT", kAcpiMaxTableBytes - 36);
    REQUIRE(find(m, t) == Status::ok);
    CHECK(t.length == kAcpiMaxTableBytes);
}

TEST_CASE("acpi: the checksum is the byte sum", "[acpi]") {
    const uint8_t bytes[] = {0x10, 0xF0, 0x01, 0xFF};
    CHECK(acpi_checksum(bytes, 0) == 0);
    CHECK(acpi_checksum(bytes, 2) == 0);
    CHECK(acpi_checksum(bytes, 4) == 0);
    CHECK(acpi_checksum(bytes, 3) == 1);
}
