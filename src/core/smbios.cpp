// SMBIOS entry points and structure walk (DSP0134 sections 5.2, 6.1.2, 7.39). The
// type 38 decoding follows the spec and Linux's drivers/char/ipmi/ipmi_dmi.c (read,
// not copied); QEMU 7.2 writes type 38 for isa-ipmi-kcs from hw/smbios/smbios_type_38.c.
#include "wdboot/smbios.hpp"

#include "wdboot/little_endian.hpp"

namespace wdboot::smbios {
namespace {

bool anchor(const uint8_t* p, const char* a) {
    for (size_t i = 0; a[i] != '\0'; ++i) {
        if (p[i] != static_cast<uint8_t>(a[i])) return false;
    }
    return true;
}

bool sums_to_zero(const uint8_t* p, size_t n) {
    uint8_t sum = 0;
    for (size_t i = 0; i < n; ++i) sum = static_cast<uint8_t>(sum + p[i]);
    return sum == 0;
}

// Type 38 field offsets.
constexpr size_t kIpmiMinLength = 0x10;
constexpr size_t kIpmiModifierLength = 0x12;  // with the base address modifier and IRQ
constexpr size_t kIpmiInterfaceType = 0x04;
constexpr size_t kIpmiSpecRevision = 0x05;
constexpr size_t kIpmiI2cAddress = 0x06;
constexpr size_t kIpmiBaseAddress = 0x08;
constexpr size_t kIpmiModifier = 0x10;
constexpr size_t kIpmiInterrupt = 0x11;

Status read_legacy(const uint8_t* p, Table& table) {
    if (!sums_to_zero(p, kLegacyEntryLength)) return Status::bad_crc;
    table.length = le16(p + 0x06);
    table.address = le32(p + 0x08);
    table.structure_count = le16(p + 0x0C);
    table.major = static_cast<uint8_t>(p[0x0E] >> 4);
    table.minor = static_cast<uint8_t>(p[0x0E] & 0x0F);
    return table.length == 0 ? Status::bad_size : Status::ok;
}

}  // namespace

Status read_entry_point(PhysicalMemory& mem, uint64_t address, Table& table) {
    // Map the smallest entry point first, then the length it states, so a bad length
    // never makes us read further than it claims (and never more than kMaxEntryLength).
    const uint8_t* p = mem.map(address, kLegacyEntryLength);
    if (p == nullptr) return Status::not_found;
    if (anchor(p, "_SM3_")) {
        size_t len = p[0x06];
        if (len < kEntry3Length || len > kMaxEntryLength) return Status::bad_size;
        p = mem.map(address, len);
        if (p == nullptr) return Status::not_found;
        if (!sums_to_zero(p, len)) return Status::bad_crc;
        table.major = p[0x07];
        table.minor = p[0x08];
        table.length = le32(p + 0x0C);
        table.address = le64(p + 0x10);
        table.structure_count = 0;
        return table.length == 0 ? Status::bad_size : Status::ok;
    }
    if (anchor(p, "_SM_")) {
        size_t len = p[0x05];
        if (len != kEntry2Length && len != kEntry21BuggyLength) return Status::bad_size;
        p = mem.map(address, kEntry2Length);
        if (p == nullptr) return Status::not_found;
        if (!sums_to_zero(p, len)) return Status::bad_crc;
        if (!anchor(p + 0x10, "_DMI_")) return Status::not_found;
        Status st = read_legacy(p + 0x10, table);
        if (st != Status::ok) return st;
        table.major = p[0x06];
        table.minor = p[0x07];
        return Status::ok;
    }
    if (anchor(p, "_DMI_")) return read_legacy(p, table);
    return Status::not_found;
}

const char* to_string(IpmiInterface i) {
    switch (i) {
        case IpmiInterface::kcs: return "KCS";
        case IpmiInterface::smic: return "SMIC";
        case IpmiInterface::bt: return "BT";
        case IpmiInterface::ssif: return "SSIF";
        case IpmiInterface::unknown: break;
    }
    return "unknown";
}

Status decode_ipmi_device(const uint8_t* s, size_t length, IpmiDevice& dev) {
    if (length < kIpmiMinLength) return Status::bad_size;
    uint8_t raw = s[kIpmiInterfaceType];
    dev.raw_interface_type = raw;
    dev.interface_type = raw <= static_cast<uint8_t>(IpmiInterface::ssif) ? static_cast<IpmiInterface>(raw)
                                                                          : IpmiInterface::unknown;
    dev.spec_revision = s[kIpmiSpecRevision];
    dev.i2c_address = s[kIpmiI2cAddress];
    dev.interrupt = 0;
    uint64_t base = le64(s + kIpmiBaseAddress);
    if (length < kIpmiModifierLength) {
        // Before SMBIOS 2.3 bit 0 was not defined reliably; Linux assumes I/O too.
        dev.io_space = true;
        dev.base_address = base & 0xFFFE;
        dev.register_spacing = 1;
    } else {
        uint8_t mod = s[kIpmiModifier];
        dev.io_space = (base & 1) != 0;
        // Bit 0 says I/O or memory; the real address LSB is bit 4 of the modifier.
        uint64_t addr = dev.io_space ? (base & 0xFFFE) : (base & ~static_cast<uint64_t>(1));
        dev.base_address = addr | ((mod >> 4) & 1);
        switch (mod >> 6) {
            case 0: dev.register_spacing = 1; break;
            case 1: dev.register_spacing = 4; break;
            case 2: dev.register_spacing = 16; break;
            default: return Status::bad_field;
        }
        dev.interrupt = s[kIpmiInterrupt];
    }
    if (dev.base_address == 0) return Status::bad_field;
    return Status::ok;
}

Status find_ipmi_kcs(PhysicalMemory& mem, const Table& table, IpmiDevice& dev) {
    const uint8_t* t = mem.map(table.address, table.length);
    if (t == nullptr) return Status::not_found;
    size_t end = table.length;
    size_t pos = 0;
    bool other_seen = false;
    for (uint32_t n = 0; table.structure_count == 0 || n < table.structure_count; ++n) {
        if (end - pos < kStructureHeaderLength) {
            // A 3.0 table may end without type 127 exactly at its maximum length.
            if (pos == end) break;
            return Status::bad_size;
        }
        uint8_t type = t[pos];
        size_t formatted = t[pos + 1];
        if (formatted < kStructureHeaderLength || formatted > end - pos) return Status::bad_size;
        // The string set: strings each ending in NUL, the set ending in a second NUL
        // (two NULs right away when there are no strings).
        size_t strings = pos + formatted;
        size_t next = strings;
        for (;;) {
            if (end - next < 2) return Status::bad_size;
            if (t[next] == 0 && t[next + 1] == 0) break;
            ++next;
        }
        next += 2;
        if (type == kTypeIpmiDevice) {
            IpmiDevice found{};
            Status st = decode_ipmi_device(t + pos, formatted, found);
            if (st != Status::ok) return st;
            if (found.interface_type == IpmiInterface::kcs) {
                dev = found;
                return Status::ok;
            }
            if (!other_seen) dev = found;
            other_seen = true;
        }
        if (type == kTypeEndOfTable) break;
        pos = next;
    }
    return other_seen ? Status::unsupported : Status::not_found;
}

}  // namespace wdboot::smbios
