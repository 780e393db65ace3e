// libFuzzer target for the NVRAM record decoder: whatever decode_record() accepts must
// encode back to exactly the same bytes (one canonical form per state), so a record
// read from NVRAM and written back unchanged can never drift. The documented exceptions
// (docs/record-format.md, "Versioning"): a newer minor version is accepted and written
// back as ours: byte 5 becomes our minor, the bytes reserved in the record's major
// (which the newer minor may use) become zero; a major 1 or 2 record is written back as
// major 3 (byte 4); the CRC changes with them.
//
// Random mutations almost never carry a valid CRC, so each input is also tried with
// its CRC recomputed: that is what lets the fuzzer reach the field checks.
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wdboot/boot_record.hpp"
#include "wdboot/crc32.hpp"

using namespace wdboot;

namespace {

constexpr size_t kMajorOffset = 4;
constexpr size_t kMinorOffset = 5;
// Bytes reserved in minor 0 of each major (docs/record-format.md): header 26..31 in
// major 1, 27..31 in major 2, none in major 3; slot bytes 21..23 in majors 1 and 2,
// 22..23 in major 3.
size_t reserved_header_from(uint8_t major) { return major == 1 ? 26 : major == 2 ? 27 : kHeaderBytes; }
size_t reserved_slot_from(uint8_t major) { return major < 3 ? 21 : 22; }
constexpr size_t kReservedSlotLast = 23;

void seal(uint8_t (&bytes)[kRecordSize]) {
    uint32_t crc = crc32(bytes, kCrcOffset);
    for (size_t i = 0; i < 4; ++i) bytes[kCrcOffset + i] = static_cast<uint8_t>(crc >> (8 * i));
}

void check(const uint8_t* data, size_t size) {
    BootState st = BootState::empty();
    Status s = decode_record(data, size, st);
    if (is_newer_record(data, size) && s == Status::ok) abort();  // never accepted, never rewritten
    if (s != Status::ok) return;
    uint8_t out[kRecordSize];
    encode_record(st, out);
    if (size != kRecordSize) abort();
    uint8_t expected[kRecordSize];
    memcpy(expected, data, kRecordSize);
    const bool upgraded = expected[kMajorOffset] != kRecordMajor;
    const bool newer_minor = expected[kMinorOffset] != kRecordMinor;
    if (newer_minor) {
        const uint8_t major = expected[kMajorOffset];
        for (size_t i = reserved_header_from(major); i < kHeaderBytes; ++i) expected[i] = 0;
        for (size_t slot = 0; slot < kMaxSlots; ++slot) {
            uint8_t* p = expected + kSlotsOffset + slot * kSlotBytes;
            for (size_t i = reserved_slot_from(major); i <= kReservedSlotLast; ++i) p[i] = 0;
        }
    }
    if (upgraded || newer_minor) {
        expected[kMajorOffset] = kRecordMajor;
        expected[kMinorOffset] = kRecordMinor;
        seal(expected);
    }
    if (memcmp(out, expected, kRecordSize) != 0) abort();
    BootState again = BootState::empty();
    if (decode_record(out, sizeof(out), again) != Status::ok || !(again == st)) abort();
    if (st.journal_count > kJournalEntries || st.journal_head >= kJournalEntries) abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    check(data, size);
    if (size == kRecordSize) {
        uint8_t fixed[kRecordSize];
        memcpy(fixed, data, kRecordSize);
        seal(fixed);
        check(fixed, sizeof(fixed));
    }
    return 0;
}
