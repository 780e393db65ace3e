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

enum class OptionsText : uint8_t {
    text,      // decoded (possibly empty)
    binary,    // not text: firmware-made entries carry binary data (a GUID)
    too_long,  // text that does not fit the output
};

// The first word load_options_text() dropped, and how many it dropped.
struct OptionsProblem {
    uint32_t code;         // the first character that is not printable ASCII (Unicode)
    size_t position;       // its position in the text, counting characters from 1
    char word[40];         // the start of its word, other characters shown as '?'
    size_t words_dropped;  // 0: none
};

// Decodes wdboot's own load options (efibootmgr --unicode) as ASCII words for
// parse_load_options(): UCS-2 or plain bytes (UTF-8), see classify() for what counts as
// text. A UTF-16LE byte order mark (0xFEFF) or a UTF-8 one at the start is skipped;
// NULs (efibootmgr separates arguments so), blanks, CR and LF separate words, which
// come out separated by one space. A word containing any other character (non-ASCII, a
// control character) is dropped alone and reported in `problem`, so that `config=`
// keeps working when a bad character is elsewhere. binary: not text, out empty.
// too_long: out[cap] is too small, out empty.
OptionsText load_options_text(const void* data, size_t size, char* out, size_t cap,
                              OptionsProblem* problem = nullptr);

// The message about `problem` for the console, e.g. "load option 'tim?out=30' ignored:
// non-ASCII character U+00E9 at character 4 (only ASCII is read)".
void describe_problem(const OptionsProblem& problem, char* out, size_t cap);

// The load options of a `bootentry` slot: the Boot#### entry's optional data when it
// is text (same test as above), then a space and `append` (ASCII: the slot's options
// and the watchdog's kernel arguments), as UCS-2 with its terminator in out[cap units].
// The entry's own characters are kept as they are, non-ASCII ones included (it is that
// entry's command line, not wdboot's to judge); only a byte order mark is dropped,
// NULs and line ends between words become one space and trailing blanks go. units:
// the units written, terminator included (0 when the result is empty). binary: the
// data is not text, nothing written (the caller passes it on unchanged).
OptionsText join_boot_entry_options(const void* data, size_t size, const char* append, uint16_t* out, size_t cap,
                                    size_t& units);

}  // namespace wdboot::efi
