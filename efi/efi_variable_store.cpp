#include "efi_variable_store.hpp"

#include "efi_text.hpp"

namespace wdboot::efi {

static_assert(kWdbootGuid.Data1 == 0x50eee850 && kWdbootGuid.Data4[7] == 0x14,
              "vendor GUID parsed from state_store.hpp");

namespace {
constexpr UINT32 kStateAttributes =
    EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS | EFI_VARIABLE_RUNTIME_ACCESS;
constexpr size_t kNameMax = 64;
}  // namespace

Status EfiVariableStore::read(Copy copy, uint8_t* buf, size_t cap, size_t& len) {
    CHAR16 name[kNameMax];
    ascii_to_ucs2(kCopyNames[static_cast<int>(copy)], name, kNameMax);
    UINT32 attributes = 0;
    UINTN size = cap;
    EFI_STATUS s = RT->GetVariable(name, guid_arg(kWdbootGuid), &attributes, &size, buf);
    len = 0;
    if (s == EFI_SUCCESS) {
        len = size;
        return Status::ok;
    }
    if (s == EFI_NOT_FOUND) return Status::not_found;
    if (s == EFI_BUFFER_TOO_SMALL) {
        len = size;
        return Status::bad_size;
    }
    return Status::io_error;
}

Status EfiVariableStore::write(Copy copy, const uint8_t* data, size_t len) {
    EFI_STATUS s = set_variable(kCopyNames[static_cast<int>(copy)], kWdbootGuid, kStateAttributes,
                                data, len);
    if (s == EFI_WRITE_PROTECTED) return Status::read_only;
    // NVRAM full: said as such on the console ("no space left"), not as an I/O error.
    if (s == EFI_OUT_OF_RESOURCES) return Status::no_space;
    return EFI_ERROR(s) ? Status::io_error : Status::ok;
}

EFI_STATUS set_variable(const char* name, const EFI_GUID& guid, UINT32 attributes,
                        const void* data, size_t len) {
    CHAR16 wname[kNameMax];
    if (!ascii_to_ucs2(name, wname, kNameMax)) return EFI_INVALID_PARAMETER;
    return RT->SetVariable(wname, guid_arg(guid), attributes, len, const_cast<void*>(data));
}

}  // namespace wdboot::efi
