// ACPI table lookup from the RSDP. Structures per ACPI 6.5 sections 5.2.5 to 5.2.8,
// read byte by byte in little-endian order (firmware tables are unaligned).
#include "wdboot/acpi.hpp"

#include "wdboot/little_endian.hpp"

namespace wdboot {
namespace {

bool same(const uint8_t* p, const char* s, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        if (p[i] != static_cast<uint8_t>(s[i])) return false;
    }
    return true;
}

// The RSDP of ACPI 2.0+ is 36 bytes; a Length far beyond that is damage, not a future
// extension we could use.
constexpr uint32_t kRsdpMaxBytes = 4096;

Status fail(AcpiTable& out, Status s, const char* problem) {
    out.problem = problem;
    return s;
}

// Maps the header, then the whole table, and checks signature, length and checksum.
// `what` gives the problem texts for this table.
struct TableText {
    const char* magic;
    const char* size;
    const char* crc;
    const char* unmapped;
};

Status map_table(PhysicalMemory& memory, uint64_t address, const char signature[4], const TableText& what,
                 AcpiTable& out) {
    const uint8_t* hdr = memory.map(address, kAcpiHeaderBytes);
    if (hdr == nullptr) return fail(out, Status::io_error, what.unmapped);
    if (!same(hdr, signature, 4)) return fail(out, Status::bad_magic, what.magic);
    uint32_t length = le32(hdr + 4);
    if (length < kAcpiHeaderBytes || length > kAcpiMaxTableBytes) return fail(out, Status::bad_size, what.size);
    const uint8_t* data = memory.map(address, length);
    if (data == nullptr) return fail(out, Status::io_error, what.unmapped);
    if (acpi_checksum(data, length) != 0) return fail(out, Status::bad_crc, what.crc);
    out.address = address;
    out.data = data;
    out.length = length;
    out.problem = "";
    return Status::ok;
}

constexpr TableText kXsdtText{"XSDT signature", "XSDT length", "XSDT checksum", "XSDT not mapped"};
constexpr TableText kRsdtText{"RSDT signature", "RSDT length", "RSDT checksum", "RSDT not mapped"};
constexpr TableText kEntryText{"table signature", "table length", "table checksum", "table not mapped"};

}  // namespace

uint8_t acpi_checksum(const uint8_t* data, size_t length) {
    uint8_t sum = 0;
    for (size_t i = 0; i < length; ++i) sum = static_cast<uint8_t>(sum + data[i]);
    return sum;
}

Status find_acpi_table(PhysicalMemory& memory, uint64_t rsdp_address, const char signature[4], AcpiTable& out) {
    out = AcpiTable{};
    const uint8_t* rsdp = memory.map(rsdp_address, kRsdpV1Bytes);
    if (rsdp == nullptr) return fail(out, Status::io_error, "RSDP not mapped");
    if (!same(rsdp, "RSD PTR ", 8)) return fail(out, Status::bad_magic, "RSDP signature");
    if (acpi_checksum(rsdp, kRsdpV1Bytes) != 0) return fail(out, Status::bad_crc, "RSDP checksum");
    uint8_t revision = rsdp[15];
    uint64_t root = le32(rsdp + 16);
    bool xsdt = false;
    if (revision >= 2) {
        // Only the first 20 bytes are known to exist until the Length is checked.
        const uint8_t* v2 = memory.map(rsdp_address, kRsdpV2Bytes);
        if (v2 == nullptr) return fail(out, Status::io_error, "RSDP not mapped");
        uint32_t length = le32(v2 + 20);
        if (length < kRsdpV2Bytes || length > kRsdpMaxBytes) return fail(out, Status::bad_size, "RSDP length");
        const uint8_t* whole = memory.map(rsdp_address, length);
        if (whole == nullptr) return fail(out, Status::io_error, "RSDP not mapped");
        if (acpi_checksum(whole, length) != 0) return fail(out, Status::bad_crc, "RSDP extended checksum");
        uint64_t xsdt_address = le64(whole + 24);
        // ACPI: an OS uses the XSDT when it exists; the RSDT is for ACPI 1.0 readers.
        if (xsdt_address != 0) {
            root = xsdt_address;
            xsdt = true;
        }
    }
    if (root == 0) return fail(out, Status::not_found, "RSDP lists no RSDT or XSDT");

    AcpiTable root_table;
    Status s = map_table(memory, root, xsdt ? "XSDT" : "RSDT", xsdt ? kXsdtText : kRsdtText, root_table);
    if (s != Status::ok) return fail(out, s, root_table.problem);

    const size_t entry_bytes = xsdt ? 8 : 4;
    // A trailing partial entry is ignored, as Linux and ACPICA do.
    const size_t entries = (root_table.length - kAcpiHeaderBytes) / entry_bytes;
    Status first_error = Status::not_found;
    const char* first_problem = "table not listed";
    for (size_t i = 0; i < entries; ++i) {
        const uint8_t* e = root_table.data + kAcpiHeaderBytes + i * entry_bytes;
        uint64_t address = xsdt ? le64(e) : le32(e);
        if (address == 0) continue;
        const uint8_t* hdr = memory.map(address, kAcpiHeaderBytes);
        if (hdr == nullptr || !same(hdr, signature, 4)) continue;
        AcpiTable candidate;
        s = map_table(memory, address, signature, kEntryText, candidate);
        if (s == Status::ok) {
            out = candidate;
            return Status::ok;
        }
        if (first_error == Status::not_found) {
            first_error = s;
            first_problem = candidate.problem;
        }
    }
    return fail(out, first_error, first_problem);
}

}  // namespace wdboot
