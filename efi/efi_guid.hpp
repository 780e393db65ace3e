// EFI_GUID values built at compile time from their registry text form
// ("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"), so the GUIDs the core and the docs spell
// out (state_store.hpp's kVendorGuidText) exist only once.
#pragma once
#include <stdint.h>

#include "efi_api.hpp"

namespace wdboot::efi {

namespace detail {
// Deliberately not constexpr and never defined: reaching it in a consteval evaluation
// makes a malformed GUID text a compile error.
void guid_text_is_malformed();

constexpr uint64_t hex_field(const char* s, int digits) {
    uint64_t v = 0;
    for (int i = 0; i < digits; ++i) {
        char c = s[i];
        uint64_t d = 0;
        if (c >= '0' && c <= '9') d = uint64_t(c - '0');
        else if (c >= 'a' && c <= 'f') d = uint64_t(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') d = uint64_t(c - 'A' + 10);
        else guid_text_is_malformed();
        v = (v << 4) | d;
    }
    return v;
}
}  // namespace detail

// Parses a GUID in text form (fields are big-endian text, stored in EFI's mixed order).
consteval EFI_GUID guid_from_text(const char (&s)[37]) {
    if (s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-') detail::guid_text_is_malformed();
    EFI_GUID g{};
    g.Data1 = static_cast<UINT32>(detail::hex_field(s, 8));
    g.Data2 = static_cast<UINT16>(detail::hex_field(s + 9, 4));
    g.Data3 = static_cast<UINT16>(detail::hex_field(s + 14, 4));
    g.Data4[0] = static_cast<UINT8>(detail::hex_field(s + 19, 2));
    g.Data4[1] = static_cast<UINT8>(detail::hex_field(s + 21, 2));
    for (int i = 0; i < 6; ++i) g.Data4[2 + i] = static_cast<UINT8>(detail::hex_field(s + 24 + 2 * i, 2));
    return g;
}

// The firmware interfaces take a GUID as EFI_GUID* although they only read it. Each GUID
// is one constant object whose address is passed (through guid_arg): a stack copy per
// call, as gnu-efi's examples do it, costs ~30 bytes of code at every use.
inline EFI_GUID* guid_arg(const EFI_GUID& g) { return const_cast<EFI_GUID*>(&g); }

// gnu-efi's protocol and variable GUIDs the glue uses, each defined once.
inline constexpr EFI_GUID kLoadedImageGuid = LOADED_IMAGE_PROTOCOL;
inline constexpr EFI_GUID kDevicePathGuid = EFI_DEVICE_PATH_PROTOCOL_GUID;
inline constexpr EFI_GUID kSimpleFileSystemGuid = SIMPLE_FILE_SYSTEM_PROTOCOL;
inline constexpr EFI_GUID kFileInfoGuid = EFI_FILE_INFO_ID;
inline constexpr EFI_GUID kGlobalVariableGuid = EFI_GLOBAL_VARIABLE;
inline constexpr EFI_GUID kPciIoGuid = EFI_PCI_IO_PROTOCOL_GUID;

}  // namespace wdboot::efi
