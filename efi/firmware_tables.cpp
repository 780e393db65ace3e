#include "firmware_tables.hpp"

#include "efi_guid.hpp"

namespace wdboot::efi {

namespace {

bool same_guid(const EFI_GUID& a, const EFI_GUID& b) {
    const uint8_t* x = reinterpret_cast<const uint8_t*>(&a);
    const uint8_t* y = reinterpret_cast<const uint8_t*>(&b);
    for (unsigned i = 0; i < sizeof(EFI_GUID); ++i) {
        if (x[i] != y[i]) return false;
    }
    return true;
}

constexpr EFI_GUID kAcpi20Guid = guid_from_text("8868e871-e4f1-11d3-bc22-0080c73c8881");
constexpr EFI_GUID kSmbios3Guid = guid_from_text("f2fd1544-9794-4a2c-992e-e5bbcf20e394");
constexpr EFI_GUID kSmbiosGuid = guid_from_text("eb9d2d31-2d88-11d3-9a16-0090273fc14d");
// x86-64 with 4-level paging: canonical low half.
constexpr uint64_t kAddressLimit = 1ull << 47;

}  // namespace

uint64_t configuration_table(const EFI_GUID& guid) {
    for (UINTN i = 0; i < ST->NumberOfTableEntries; ++i) {
        const EFI_CONFIGURATION_TABLE& t = ST->ConfigurationTable[i];
        if (same_guid(t.VendorGuid, guid)) return reinterpret_cast<uintptr_t>(t.VendorTable);
    }
    return 0;
}

uint64_t acpi_rsdp() { return configuration_table(kAcpi20Guid); }

uint64_t smbios_entry_point() {
    uint64_t a = configuration_table(kSmbios3Guid);
    return a != 0 ? a : configuration_table(kSmbiosGuid);
}

const uint8_t* IdentityMemory::map(uint64_t address, size_t length) {
    if (address == 0 || address >= kAddressLimit || length > kAddressLimit - address) return nullptr;
    return reinterpret_cast<const uint8_t*>(static_cast<uintptr_t>(address));
}

}  // namespace wdboot::efi
