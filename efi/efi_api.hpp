// The one place the EFI glue includes gnu-efi. Its headers are C without extern "C"
// guards, and CHAR16 is a UINT16, so C++ string literals (u"...") need a cast.
// Only efi/ includes this file; the portable core never does.
#pragma once

extern "C" {
#include <efi.h>
#include <efilib.h>
}

static_assert(sizeof(wchar_t) == 2, "compile the EFI glue with -fshort-wchar");
static_assert(sizeof(CHAR16) == sizeof(char16_t), "CHAR16 is UCS-2");

namespace wdboot::efi {

// A UCS-2 literal as the CHAR16* the firmware interfaces take (they do not write to it).
inline CHAR16* u16(const char16_t* s) { return reinterpret_cast<CHAR16*>(const_cast<char16_t*>(s)); }

}  // namespace wdboot::efi
