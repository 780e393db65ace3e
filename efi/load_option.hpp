// Parsing of an EFI_LOAD_OPTION (the value of a Boot#### variable), for `bootentry`
// slots, and of load options as text. Pure and freestanding (no efi.h), so they are
// unit-tested on the host (tests/unit/test_efi_load_option.cpp).
//   UINT32 Attributes; UINT16 FilePathListLength; CHAR16 Description[] (NUL-terminated);
//   device path list (FilePathListLength bytes); optional data (the rest).
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "device_path.hpp"

namespace wdboot::efi {

struct LoadOptionView {
    uint32_t attributes;
    const uint8_t* description;  // UCS-2, NUL-terminated, description_units units before NUL
    size_t description_units;
    const uint8_t* device_path;  // first node of the first device path
    size_t device_path_bytes;    // FilePathListLength
    DevicePathCheck path_check;  // check_device_path() of the list (when the layout got that far)
    const uint8_t* optional_data;
    size_t optional_bytes;
};

enum class [[nodiscard]] LoadOptionError : uint8_t {
    ok,
    too_short,                  // shorter than Attributes + FilePathListLength
    description_unterminated,   // no NUL unit ends the description
    path_list_past_end,         // FilePathListLength runs past the variable
    device_path,                // the first device path failed check_device_path (see path_check)
};

const char* to_string(LoadOptionError e);

// Splits the variable's bytes into its parts and checks the first device path of the
// list with check_device_path(). Only on ok is `out` filled and device_path safe to
// hand to gnu-efi or the firmware; on device_path, out.path_check says why and where.
// Called by ImageLoader::load_boot_entry (efi_image.cpp).
LoadOptionError parse_load_option(const uint8_t* data, size_t len, LoadOptionView& out);

// Decodes load options (our own LoadOptions, or a Boot#### entry's optional data) as
// text: UCS-2 (efibootmgr --unicode) or plain ASCII bytes (efibootmgr without it),
// printable ASCII only; NULs between words (efibootmgr separates arguments so) read as
// spaces, trailing NULs end the text. Binary data (firmware-created boot options
// carry a GUID) is not text: returns false and out is empty. Also false when the text
// does not fit out[cap].
bool load_options_text(const void* data, size_t size, char* out, size_t cap);

}  // namespace wdboot::efi
