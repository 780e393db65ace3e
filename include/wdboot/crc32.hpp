// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320): the checksum of the state record.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace wdboot {

// CRC of data[0..len), continuing from `crc` (pass 0 to start).
uint32_t crc32(const uint8_t* data, size_t len, uint32_t crc = 0);

}  // namespace wdboot
