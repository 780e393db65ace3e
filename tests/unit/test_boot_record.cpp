// The NVRAM record: golden bytes pin the layout of docs/record-format.md; every bit
// flip and every truncation must be rejected; decode(encode(x)) == x.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <random>
#include <vector>

#include "wdboot/boot_record.hpp"
#include "wdboot/crc32.hpp"

using namespace wdboot;

namespace {

BootState golden_state() {
    BootState s = BootState::empty();
    s.generation = 0x01020304;
    s.last_boot_id = 7;
    s.attempt_slot = 0;
    s.attempt_boot_id = 7;
    s.last_good_slot = 1;
    std::strcpy(s.slots[0].name, "primary");
    s.slots[0].tries_left = 2;
    s.slots[0].max_tries = 3;
    s.slots[0].consecutive_failures = 1;
    s.slots[0].last_outcome = Outcome::in_progress;
    s.slots[0].last_boot_id = 7;
    s.slots[0].boots = 5;
    std::strcpy(s.slots[1].name, "fallback");
    s.slots[1].tries_left = 3;
    s.slots[1].max_tries = 3;
    s.slots[1].flags = kSlotGood;
    s.slots[1].last_outcome = Outcome::blessed;
    s.slots[1].last_boot_id = 4;
    s.slots[1].boots = 2;
    s.journal_add(6, 0, Event::watchdog_reset, ResetCause::watchdog, 2, 1700000000);
    s.journal_add(7, 0, Event::attempt, ResetCause::watchdog, 2, 1700000100);
    return s;
}

// The golden record written out field by field from docs/record-format.md.
std::vector<uint8_t> golden_bytes() {
    std::vector<uint8_t> b(548, 0);
    auto le = [&](size_t off, uint64_t v, int n) {
        for (int i = 0; i < n; ++i) b[off + i] = static_cast<uint8_t>(v >> (8 * i));
    };
    b[0] = 'W'; b[1] = 'D'; b[2] = 'B'; b[3] = 'S';
    b[4] = 3;  // major
    b[5] = 0;  // minor
    le(6, 548, 2);
    le(8, 0x01020304, 4);  // generation
    le(12, 7, 4);          // last boot id
    le(16, 7, 4);          // attempt boot id
    b[20] = 0;             // attempt slot
    b[21] = 0xFF;          // trial slot
    b[22] = 1;             // last good slot
    b[23] = 0xFF;          // default slot
    b[24] = 2;             // journal head
    b[25] = 2;             // journal count
    const char* n0 = "primary";
    std::memcpy(&b[32], n0, 7);
    b[32 + 16] = 2; b[32 + 17] = 3; b[32 + 18] = 0; b[32 + 19] = 1; b[32 + 20] = 1;
    le(32 + 24, 7, 4);
    le(32 + 28, 5, 4);
    const char* n1 = "fallback";
    std::memcpy(&b[64], n1, 8);
    b[64 + 16] = 3; b[64 + 17] = 3; b[64 + 18] = 1; b[64 + 19] = 0; b[64 + 20] = 2;
    le(64 + 24, 4, 4);
    le(64 + 28, 2, 4);
    for (size_t i = 0; i < 16; ++i) b[288 + i * 16 + 4] = 0xFF;  // unused journal entries name no slot
    le(288, 6, 4); b[292] = 0; b[293] = 3; b[294] = 2; b[295] = 2; le(296, 1700000000, 8);
    le(304, 7, 4); b[308] = 0; b[309] = 1; b[310] = 2; b[311] = 2; le(312, 1700000100, 8);
    le(544, 0x8695d389, 4);  // CRC32 of bytes 0..543, computed by an independent encoder (Python zlib)
    return b;
}

std::vector<uint8_t> encode(const BootState& s) {
    uint8_t b[kRecordSize];
    encode_record(s, b);
    return std::vector<uint8_t>(b, b + kRecordSize);
}

// Re-seals a hand-edited record so only the field checks can reject it.
void reseal(std::vector<uint8_t>& b) {
    uint32_t c = crc32(b.data(), kCrcOffset);
    for (int i = 0; i < 4; ++i) b[kCrcOffset + i] = static_cast<uint8_t>(c >> (8 * i));
}

}  // namespace

TEST_CASE("crc32 matches the IEEE check value", "[record]") {
    const char* check = "123456789";
    REQUIRE(crc32(reinterpret_cast<const uint8_t*>(check), 9) == 0xCBF43926u);
    REQUIRE(crc32(nullptr, 0) == 0u);
    // Incremental use gives the same result as one call.
    uint32_t part = crc32(reinterpret_cast<const uint8_t*>(check), 4);
    REQUIRE(crc32(reinterpret_cast<const uint8_t*>(check) + 4, 5, part) == 0xCBF43926u);
}

TEST_CASE("record layout is pinned by golden bytes", "[record]") {
    REQUIRE(kRecordSize == 548);
    REQUIRE(encode(golden_state()) == golden_bytes());

    BootState decoded = BootState::empty();
    auto g = golden_bytes();
    REQUIRE(decode_record(g.data(), g.size(), decoded) == Status::ok);
    REQUIRE(decoded == golden_state());
    REQUIRE(decoded.slots[1].has(kSlotGood));
    REQUIRE(decoded.journal_newest(0).event == Event::attempt);
    REQUIRE(decoded.journal_newest(1).event == Event::watchdog_reset);
    REQUIRE(decoded.journal_newest(1).time == 1700000000u);
}

TEST_CASE("an empty state encodes to a valid record", "[record]") {
    auto b = encode(BootState::empty());
    BootState d = golden_state();
    REQUIRE(decode_record(b.data(), b.size(), d) == Status::ok);
    REQUIRE(d == BootState::empty());
    REQUIRE(d.attempt_slot == kNoSlot);
    REQUIRE(d.journal_count == 0);
}

TEST_CASE("every single-bit flip of a record is rejected", "[record]") {
    auto good = golden_bytes();
    size_t rejected = 0;
    for (size_t byte = 0; byte < good.size(); ++byte) {
        for (int bit = 0; bit < 8; ++bit) {
            auto b = good;
            b[byte] = static_cast<uint8_t>(b[byte] ^ (1u << bit));
            BootState out = BootState::empty();
            out.generation = 0xDEAD;
            Status s = decode_record(b.data(), b.size(), out);
            if (s != Status::ok) ++rejected;
            REQUIRE(s != Status::ok);
            REQUIRE(out.generation == 0xDEADu);  // untouched on error
        }
    }
    REQUIRE(rejected == good.size() * 8);
}

TEST_CASE("every truncation and an extension of a record is rejected", "[record]") {
    auto good = golden_bytes();
    for (size_t len = 0; len < good.size(); ++len) {
        BootState out = BootState::empty();
        INFO("length " << len);
        REQUIRE(decode_record(good.data(), len, out) != Status::ok);
    }
    auto longer = good;
    longer.push_back(0);
    BootState out = BootState::empty();
    REQUIRE(decode_record(longer.data(), longer.size(), out) == Status::bad_size);
    REQUIRE(decode_record(nullptr, 548, out) == Status::invalid_argument);
}

TEST_CASE("records with a valid CRC but impossible fields are rejected", "[record]") {
    struct Case {
        const char* what;
        size_t offset;
        uint8_t value;
    };
    const Case cases[] = {
        {"tries left above max", 32 + 16, 4},
        {"unknown slot flag", 32 + 18, 0x80},
        {"unknown outcome", 32 + 20, 99},
        {"reserved slot byte", 32 + 22, 1},
        {"attempt slot out of range", 20, 9},
        {"attempt slot names an unused entry", 20, 5},
        {"trial slot names an unused entry", 21, 3},
        {"journal head out of range", 24, 16},
        {"journal count out of range", 25, 17},
        {"unknown event", 288 + 5, 200},
        {"unknown reset cause", 288 + 6, 9},
        {"journal slot out of range", 288 + 4, 8},
        {"name not terminated", 32 + 15, 'x'},
        {"space in name", 32 + 2, ' '},
        {"unused entry with data", 32 * 4 + 17, 3},
    };
    for (const auto& c : cases) {
        auto b = golden_bytes();
        if (std::strcmp(c.what, "name not terminated") == 0) {
            for (size_t i = 7; i < 16; ++i) b[32 + i] = 'x';
        } else {
            b[c.offset] = c.value;
        }
        reseal(b);
        BootState out = BootState::empty();
        INFO(c.what);
        REQUIRE(decode_record(b.data(), b.size(), out) == Status::bad_field);
    }
    // Duplicate slot names.
    auto b = golden_bytes();
    std::memcpy(&b[64], "primary\0\0", 9);
    reseal(b);
    BootState out = BootState::empty();
    REQUIRE(decode_record(b.data(), b.size(), out) == Status::bad_field);
}

TEST_CASE("a newer major version is recognised and never decoded", "[record]") {
    auto b = golden_bytes();
    b[4] = 4;
    reseal(b);
    BootState out = BootState::empty();
    REQUIRE(is_newer_record(b.data(), b.size()));
    REQUIRE(decode_record(b.data(), b.size(), out) == Status::unsupported_version);
    // A newer record of another size: the header contract (size at 6-7, CRC-32 of all
    // but the last four bytes in the last four) is enough to recognise it intact.
    std::vector<uint8_t> big(600, 0);
    std::memcpy(big.data(), b.data(), 6);
    big[6] = 600 & 0xFF;
    big[7] = 600 >> 8;
    uint32_t c = crc32(big.data(), 596);
    for (int i = 0; i < 4; ++i) big[596 + i] = static_cast<uint8_t>(c >> (8 * i));
    REQUIRE(is_newer_record(big.data(), big.size()));
    // A header alone is not believed.
    REQUIRE_FALSE(is_newer_record(b.data(), 16));
    b[4] = 0;
    reseal(b);
    REQUIRE_FALSE(is_newer_record(b.data(), b.size()));
    REQUIRE(decode_record(b.data(), b.size(), out) == Status::bad_magic);
    auto g = golden_bytes();
    REQUIRE_FALSE(is_newer_record(g.data(), g.size()));
}

TEST_CASE("a damaged copy is never believed to be newer: CRC before version", "[record]") {
    // Issue 7, loop case 4: one flipped bit in the major byte of an older copy used to
    // make the whole store read-only (7 of the 8 single-bit flips raise the major).
    auto g = golden_bytes();
    int raised = 0;
    for (int bit = 0; bit < 8; ++bit) {
        auto b = g;
        b[4] = static_cast<uint8_t>(b[4] ^ (1u << bit));
        raised += b[4] > kRecordMajor;
        BootState out = BootState::empty();
        REQUIRE_FALSE(is_newer_record(b.data(), b.size()));
        REQUIRE(decode_record(b.data(), b.size(), out) == Status::bad_crc);
    }
    REQUIRE(raised >= 6);
}

TEST_CASE("major 1 and 2 records are read and upgraded, they may not carry what later majors added", "[record]") {
    auto v1 = golden_bytes();
    v1[4] = 1;
    reseal(v1);
    REQUIRE(crc32(v1.data(), kCrcOffset) == 0x542ad44a);  // the golden CRC of wdboot 0.1
    auto v2 = golden_bytes();
    v2[4] = 2;
    reseal(v2);
    REQUIRE(crc32(v2.data(), kCrcOffset) == 0x0272d348);  // the golden CRC of wdboot 0.2
    for (const auto* old : {&v1, &v2}) {
        BootState out = BootState::empty();
        REQUIRE(decode_record(old->data(), old->size(), out) == Status::ok);
        REQUIRE(out == golden_state());
        REQUIRE(encode(out) == golden_bytes());  // written back as major 3
        // What major 3 added: outcomes 9-11, events 18-21, reset cause 3, header bytes
        // 27-31 and slot byte 21.
        const std::pair<size_t, uint8_t> added[] = {
            {32 + 20, static_cast<uint8_t>(Outcome::panic)},
            {32 + 20, static_cast<uint8_t>(Outcome::crash_loop)},
            {288 + 5, static_cast<uint8_t>(Event::panic)},
            {288 + 5, static_cast<uint8_t>(Event::crash_loop)},
            {288 + 6, static_cast<uint8_t>(ResetCause::panic)},
            {27, 1},
            {31, 1},
            {32 + 21, 1},
        };
        for (auto [offset, value] : added) {
            auto bad = *old;
            bad[offset] = value;
            reseal(bad);
            INFO("major " << int((*old)[4]) << " offset " << offset);
            REQUIRE(decode_record(bad.data(), bad.size(), out) == Status::bad_field);
        }
    }
    BootState out = BootState::empty();
    auto bad = v1;
    bad[32 + 20] = static_cast<uint8_t>(Outcome::unstoppable);
    reseal(bad);
    REQUIRE(decode_record(bad.data(), bad.size(), out) == Status::bad_field);
    bad = v1;
    bad[32 + 18] = kSlotFailedHard;
    reseal(bad);
    REQUIRE(decode_record(bad.data(), bad.size(), out) == Status::bad_field);
    bad = v1;
    bad[26] = kStateUnprovenRestored;
    reseal(bad);
    REQUIRE(decode_record(bad.data(), bad.size(), out) == Status::bad_field);
}

TEST_CASE("the fields major 2 added sit where docs/record-format.md says", "[record]") {
    BootState s = golden_state();
    s.flags = kStateUnprovenRestored | kStateLastAttemptForced;
    s.slots[0].flags = kSlotFailedHard;
    s.slots[0].last_outcome = Outcome::unstoppable;
    s.journal_add(7, 0, Event::disarm_failed, ResetCause::unknown, 1, 1700000200);
    auto b = encode(s);
    REQUIRE(b[26] == 0x03);
    REQUIRE(b[32 + 18] == 0x08);
    REQUIRE(b[32 + 20] == 8);
    REQUIRE(b[288 + 2 * 16 + 5] == 17);
    BootState out = BootState::empty();
    REQUIRE(decode_record(b.data(), b.size(), out) == Status::ok);
    REQUIRE(out == s);
    b[26] = 0x04;  // an unknown state flag
    reseal(b);
    REQUIRE(decode_record(b.data(), b.size(), out) == Status::bad_field);
}

TEST_CASE("the fields major 3 added sit where docs/record-format.md says", "[record]") {
    BootState s = golden_state();
    s.crash_window_start = 1700003600;
    s.pstore_records = 14;
    s.slots[0].runtime_crashes = 2;
    auto b = encode(s);
    auto g = golden_bytes();
    for (size_t i = 0; i < 4; ++i) g[27 + i] = static_cast<uint8_t>(1700003600u >> (8 * i));
    g[31] = 14;
    g[32 + 21] = 2;
    for (size_t i = 0; i < 4; ++i) g[544 + i] = static_cast<uint8_t>(0xcade585eu >> (8 * i));  // Python zlib
    REQUIRE(b == g);
    BootState out = BootState::empty();
    REQUIRE(decode_record(b.data(), b.size(), out) == Status::ok);
    REQUIRE(out == s);
    REQUIRE(out.crash_window_start == 1700003600u);
    REQUIRE(out.pstore_records == 14);
    REQUIRE(out.slots[0].runtime_crashes == 2);
    // The new codes decode; one past them is damage.
    s.slots[1].last_outcome = Outcome::crash_loop;
    s.journal_add(8, 1, Event::crash_loop, ResetCause::panic, 3, 1700003700);
    b = encode(s);
    REQUIRE(decode_record(b.data(), b.size(), out) == Status::ok);
    REQUIRE(out == s);
    b[32 + 32 + 20] = kOutcomeMax + 1;
    reseal(b);
    REQUIRE(decode_record(b.data(), b.size(), out) == Status::bad_field);
    b = encode(s);
    b[288 + 2 * 16 + 6] = kResetCauseMax + 1;
    reseal(b);
    REQUIRE(decode_record(b.data(), b.size(), out) == Status::bad_field);
}

TEST_CASE("a newer minor version is accepted, its reserved bytes dropped", "[record]") {
    auto b = golden_bytes();
    b[5] = 3;
    b[32 + 22] = 0x17;  // slot bytes reserved in minor 0
    b[32 + 23] = 0x42;
    reseal(b);
    BootState out = BootState::empty();
    REQUIRE(decode_record(b.data(), b.size(), out) == Status::ok);
    REQUIRE(out == golden_state());
    // Written back by this version: minor 0, reserved bytes zero again.
    REQUIRE(encode(out) == golden_bytes());
    // The same bytes in a minor-0 record are damage.
    b[5] = 0;
    reseal(b);
    REQUIRE(decode_record(b.data(), b.size(), out) == Status::bad_field);
}

TEST_CASE("random states survive encode and decode", "[record]") {
    std::mt19937 rng(1234);
    auto r = [&](uint32_t n) { return static_cast<uint32_t>(rng() % n); };
    auto u32 = [&]() { return static_cast<uint32_t>(rng()); };
    for (int iter = 0; iter < 2000; ++iter) {
        BootState s = BootState::empty();
        s.generation = u32();
        s.last_boot_id = u32();
        int used = static_cast<int>(r(9));
        for (int i = 0; i < used; ++i) {
            SlotState& slot = s.slots[i];
            int len = 1 + static_cast<int>(r(15));
            for (int k = 0; k < len; ++k) slot.name[k] = static_cast<char>('a' + r(26));
            slot.name[0] = static_cast<char>('A' + i);  // unique
            slot.max_tries = static_cast<uint8_t>(r(256));
            slot.tries_left = static_cast<uint8_t>(slot.max_tries ? r(slot.max_tries + 1u) : 0);
            slot.flags = static_cast<uint8_t>(r(8));
            slot.consecutive_failures = static_cast<uint8_t>(r(256));
            slot.last_outcome = static_cast<Outcome>(r(kOutcomeMax + 1));
            slot.last_boot_id = u32();
            slot.boots = u32();
            slot.runtime_crashes = static_cast<uint8_t>(r(256));
        }
        s.crash_window_start = u32();
        s.pstore_records = static_cast<uint8_t>(r(256));
        if (used > 0) {
            s.attempt_slot = static_cast<uint8_t>(r(static_cast<uint32_t>(used)));
            s.attempt_boot_id = u32();
            s.trial_slot = r(2) ? kNoSlot : static_cast<uint8_t>(r(static_cast<uint32_t>(used)));
            s.last_good_slot = r(2) ? kNoSlot : static_cast<uint8_t>(r(static_cast<uint32_t>(used)));
            s.default_slot = r(2) ? kNoSlot : static_cast<uint8_t>(r(static_cast<uint32_t>(used)));
        }
        int events = static_cast<int>(r(40));
        for (int e = 0; e < events; ++e) {
            s.journal_add(u32(), r(3) ? static_cast<uint8_t>(r(8)) : kNoSlot, static_cast<Event>(r(kEventMax + 1)),
                          static_cast<ResetCause>(r(kResetCauseMax + 1)), static_cast<uint8_t>(r(256)),
                          (static_cast<uint64_t>(u32()) << 32) | u32());
        }
        auto b = encode(s);
        BootState d = BootState::empty();
        REQUIRE(decode_record(b.data(), b.size(), d) == Status::ok);
        REQUIRE(d == s);
        REQUIRE(encode(d) == b);
    }
}

TEST_CASE("the journal ring keeps the newest 16 events", "[record]") {
    BootState s = BootState::empty();
    for (uint32_t i = 1; i <= 40; ++i) s.journal_add(i, kNoSlot, Event::attempt, ResetCause::unknown, 0, i);
    REQUIRE(s.journal_count == kJournalEntries);
    for (size_t i = 0; i < kJournalEntries; ++i) REQUIRE(s.journal_newest(i).boot_id == 40 - i);
}

TEST_CASE("every enum has a readable name", "[record]") {
    for (uint8_t e = 0; e <= kEventMax; ++e) REQUIRE(std::strcmp(to_string(static_cast<Event>(e)), "unknown") != 0);
    for (uint8_t o = 0; o <= kOutcomeMax; ++o) REQUIRE(std::strcmp(to_string(static_cast<Outcome>(o)), "unknown") != 0);
    REQUIRE(std::string(to_string(ResetCause::power_on)) == "power-on");
    REQUIRE(std::string(to_string(ResetCause::watchdog)) == "watchdog");
    REQUIRE(std::string(to_string(static_cast<ResetCause>(77))) == "unknown");
    REQUIRE(std::strcmp(to_string(Status::bad_crc), "checksum mismatch") == 0);
}
