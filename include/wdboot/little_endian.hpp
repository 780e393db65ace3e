// Little-endian loads and stores of the wire formats the core reads and writes (the
// state record, ACPI and SMBIOS tables, PE headers, TCG events): a copy of the bytes, so
// that alignment never matters, swapped on a big-endian host, so that its byte order
// never matters. Portable core.
#pragma once
#include <stdint.h>

namespace wdboot {

// Why a copy and not shifts and ORs of single bytes: the compiler sees one load or
// store from the start, so -Oz inlines these at every call. The byte-wise form became
// one load only late in the compile, after the inliner had kept it a call (the EFI
// image had 34 calls of le32/le64 and their argument set-up).
template <typename T>
inline T host_from_le(T v) {
    if constexpr (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__) {
        if constexpr (sizeof(T) == 2) return __builtin_bswap16(v);
        if constexpr (sizeof(T) == 4) return __builtin_bswap32(v);
        if constexpr (sizeof(T) == 8) return __builtin_bswap64(v);
    }
    return v;
}

template <typename T>
inline T load_le(const uint8_t* p) {
    T v;
    __builtin_memcpy(&v, p, sizeof(v));
    return host_from_le(v);
}

template <typename T>
inline void store_le(uint8_t* p, T v) {
    v = host_from_le(v);  // the same swap both ways
    __builtin_memcpy(p, &v, sizeof(v));
}

inline uint16_t le16(const uint8_t* p) { return load_le<uint16_t>(p); }
inline uint32_t le32(const uint8_t* p) { return load_le<uint32_t>(p); }
inline uint64_t le64(const uint8_t* p) { return load_le<uint64_t>(p); }

inline void put_le16(uint8_t* p, uint16_t v) { store_le(p, v); }
inline void put_le32(uint8_t* p, uint32_t v) { store_le(p, v); }
inline void put_le64(uint8_t* p, uint64_t v) { store_le(p, v); }

}  // namespace wdboot
