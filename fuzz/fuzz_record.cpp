// libFuzzer target for the NVRAM record decoder: whatever decode_record() accepts must
// encode back to exactly the same bytes (one canonical form per state), so a record
// read from NVRAM and written back unchanged can never drift. The one documented
// exception (docs/record-format.md, "Versioning"): a newer minor version of our major
// is accepted and written back as ours, so byte 5 and therefore the CRC may change.
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

constexpr size_t kMinorOffset = 5;

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
    if (expected[kMinorOffset] != kRecordMinor) {
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
