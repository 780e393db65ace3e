// Text at the firmware boundary: ASCII <-> UCS-2, console output, EFI status names.
// The core works in ASCII; the firmware wants UCS-2 (CHAR16) everywhere.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "efi_api.hpp"

namespace wdboot::efi {

// Converts NUL-terminated ASCII to NUL-terminated UCS-2 in out[cap]. With
// `backslashes`, '/' becomes '\' (paths on the ESP). Returns false when it did not fit
// (out then holds a cut, terminated string).
bool ascii_to_ucs2(const char* in, CHAR16* out, size_t cap, bool backslashes = false);

// Converts UCS-2 (up to n units or a NUL) to ASCII; non-ASCII units become '?'.
// Returns false when it did not fit.
bool ucs2_to_ascii(const CHAR16* in, size_t n, char* out, size_t cap);

// Prints one ASCII line and a CRLF on the console (ConOut: screen and, under OVMF
// with -serial, the serial port).
void console_line(const char* line);
// "wdboot: " and the line that TextSink::appendf's format (wdboot/text.hpp) makes of
// `fmt` and the arguments, as console_line() does; cut at kConsoleLineMax - 1
// characters.
constexpr size_t kConsoleLineMax = 512;
[[gnu::format(printf, 1, 2)]] void console_logf(const char* fmt, ...);

// "EFI_NOT_FOUND" style name of an EFI status, for log lines. Never null.
const char* status_name(EFI_STATUS s);

}  // namespace wdboot::efi
