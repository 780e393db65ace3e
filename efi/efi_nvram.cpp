#include "efi_nvram.hpp"

#include "efi_api.hpp"
#include "efi_guid.hpp"
#include "wdboot/state_store.hpp"

namespace wdboot::efi {
namespace {

constexpr EFI_GUID kPstoreGuid = guid_from_text(kPstoreVendorGuidText);
static_assert(kPstoreGuid.Data1 == 0xcfc8fc79 && kPstoreGuid.Data4[7] == 0xa0,
              "LINUX_EFI_CRASH_GUID, include/linux/efi.h");

// Names longer than this end the count (-1): efi-pstore's are under 66 characters.
constexpr UINTN kNameChars = 512;
// A bound on the enumeration, so that a firmware that repeats itself cannot hang the
// boot: far more variables than fit in any variable store.
constexpr int kMaxVariables = 8192;

bool same_guid(const EFI_GUID& a, const EFI_GUID& b) {
    const auto* x = reinterpret_cast<const uint8_t*>(&a);
    const auto* y = reinterpret_cast<const uint8_t*>(&b);
    for (size_t i = 0; i < sizeof(EFI_GUID); ++i) {
        if (x[i] != y[i]) return false;
    }
    return true;
}

// The name as ASCII, far enough to match the prefix (non-ASCII becomes '?').
void prefix_ascii(const CHAR16* name, char (&out)[16]) {
    size_t i = 0;
    for (; i + 1 < sizeof(out) && name[i] != 0; ++i) out[i] = name[i] < 0x80 ? static_cast<char>(name[i]) : '?';
    out[i] = '\0';
}

}  // namespace

int count_pstore_records() {
    static CHAR16 name[kNameChars];  // static: the loader is single-threaded, the stack small
    EFI_GUID guid{};
    name[0] = 0;
    int records = 0;
    for (int n = 0; n < kMaxVariables; ++n) {
        UINTN size = sizeof(name);
        EFI_STATUS s = RT->GetNextVariableName(&size, name, &guid);
        if (s == EFI_NOT_FOUND) return records;  // the end of the list
        if (EFI_ERROR(s)) return -1;
        if (!same_guid(guid, kPstoreGuid)) continue;
        char ascii[16];
        prefix_ascii(name, ascii);
        if (is_pstore_record_name(ascii)) ++records;
    }
    return -1;
}

bool query_nvram_free(uint64_t& remaining_bytes) {
    if ((RT->Hdr.Revision >> 16) < 2) return false;  // QueryVariableInfo came with UEFI 2.0
    UINT64 max_storage = 0;
    UINT64 remaining = 0;
    UINT64 max_variable = 0;
    const UINT32 attributes =
        EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS | EFI_VARIABLE_RUNTIME_ACCESS;
    if (EFI_ERROR(RT->QueryVariableInfo(attributes, &max_storage, &remaining, &max_variable))) return false;
    remaining_bytes = remaining;
    return true;
}

}  // namespace wdboot::efi
