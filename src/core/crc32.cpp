#include "wdboot/crc32.hpp"

namespace wdboot {

// Bit by bit, without the usual 1 KB lookup table: the input is a state record of a few
// hundred bytes (or a kernel version string), and the table cost wdbootx64.efi 1 KB of
// its 64 KB budget (docs/performance.md, "Where the bytes go").
uint32_t crc32(const uint8_t* data, size_t len, uint32_t crc) {
    crc = ~crc;
    for (size_t i = 0; i < len; ++i) {
        crc ^= data[i];
        for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

}  // namespace wdboot
