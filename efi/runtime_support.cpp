// The few C/C++ runtime symbols a freestanding image needs (wdboot does not link
// gnu-efi's libefi, efi_services.hpp says why). GCC may emit calls to these from any
// object, including the core: see check_core_symbols.sh for the allow-list.
#include <stddef.h>

#include "efi_api.hpp"

extern "C" {

void* memcpy(void* __restrict dst, const void* __restrict src, size_t n) {
    auto* d = static_cast<unsigned char*>(dst);
    const auto* s = static_cast<const unsigned char*>(src);
    for (size_t i = 0; i < n; ++i) d[i] = s[i];
    return dst;
}

void* memset(void* dst, int value, size_t n) {
    auto* d = static_cast<unsigned char*>(dst);
    for (size_t i = 0; i < n; ++i) d[i] = static_cast<unsigned char>(value);
    return dst;
}

void* memmove(void* dst, const void* src, size_t n) {
    auto* d = static_cast<unsigned char*>(dst);
    const auto* s = static_cast<const unsigned char*>(src);
    if (d == s || n == 0) return dst;
    if (d < s) {
        for (size_t i = 0; i < n; ++i) d[i] = s[i];
    } else {
        for (size_t i = n; i > 0; --i) d[i - 1] = s[i - 1];
    }
    return dst;
}

int memcmp(const void* a, const void* b, size_t n) {
    const auto* x = static_cast<const unsigned char*>(a);
    const auto* y = static_cast<const unsigned char*>(b);
    for (size_t i = 0; i < n; ++i)
        if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
    return 0;
}

// A pure virtual call is a bug in wdboot: say so and stop the CPU rather than jump
// through a null slot. The hardware watchdog (if armed) or the UEFI watchdog resets.
[[noreturn]] void __cxa_pure_virtual() {
    if (ST != nullptr && ST->ConOut != nullptr)
        ST->ConOut->OutputString(ST->ConOut,
                                 wdboot::efi::u16(u"wdboot: internal error: pure virtual call\r\n"));
    for (;;) __asm__ volatile("cli; hlt");
}

// crt0 (gnu-efi) calls _relocate(ImageBase, _DYNAMIC, image, system table) before
// efi_main; gnu-efi's libgnuefi version applies the ELF .rela entries. wdboot's image
// carries them as PE base relocations instead (add_base_relocs.sh), which the firmware's
// loader has applied before the entry point runs, and has no .dynamic in the PE: so
// nothing is left to do here. crt0 ignores the result.
long _relocate(long, void*, void*, void*) { return 0; }

}  // extern "C"
