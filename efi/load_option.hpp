// Parsing of an EFI_LOAD_OPTION (the value of a Boot#### variable), for `bootentry`
// slots, and of load options as text. Pure and freestanding (no efi.h), so they are
// unit-tested on the host (tests/unit/test_efi_load_option.cpp).
//   UINT32 Attributes; UINT16 FilePathListLength; CHAR16 Description[] (NUL-terminated);
//   device path list (FilePathListLength bytes); optional data (the rest).
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace wdboot::efi {

struct LoadOptionView {
    uint32_t attributes;
    const uint8_t* description;  // UCS-2, NUL-terminated, description_units units before NUL
    size_t description_units;
    const uint8_t* device_path;  // first node of the first device path instance
    size_t device_path_bytes;
    const uint8_t* optional_data;
    size_t optional_bytes;
};

// Splits the variable's bytes into its parts. False if the layout is inconsistent: too
// short, description without terminator, path list beyond the end, or a first device
// path whose nodes do not end with an End node inside the list.
bool parse_load_option(const uint8_t* data, size_t len, LoadOptionView& out);

// Decodes load options (our own LoadOptions, or a Boot#### entry's optional data) as
// text: UCS-2 (efibootmgr --unicode) or plain ASCII bytes (efibootmgr without it),
// printable ASCII only; NULs between words (efibootmgr separates arguments so) read as
// spaces, trailing NULs end the text. Binary data (firmware-created boot options
// carry a GUID) is not text: returns false and out is empty. Also false when the text
// does not fit out[cap].
bool load_options_text(const void* data, size_t size, char* out, size_t cap);

}  // namespace wdboot::efi
