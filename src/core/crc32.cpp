#include "wdboot/crc32.hpp"

namespace wdboot {
namespace {

struct CrcTable {
    uint32_t v[256];
};

constexpr CrcTable make_table() {
    CrcTable t{};
    for (uint32_t i = 0; i < 256; ++i) {
        uint32_t c = i;
        for (int k = 0; k < 8; ++k) c = (c & 1) ? (0xEDB88320u ^ (c >> 1)) : (c >> 1);
        t.v[i] = c;
    }
    return t;
}

// Computed at compile time: no constructor has to run in the EFI image.
constexpr CrcTable kTable = make_table();

}  // namespace

uint32_t crc32(const uint8_t* data, size_t len, uint32_t crc) {
    crc = ~crc;
    for (size_t i = 0; i < len; ++i) crc = kTable.v[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

}  // namespace wdboot
