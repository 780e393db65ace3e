// Encoding and validation of the state record. Every field is written byte by byte
// in little-endian order so the layout never depends on the compiler's struct layout.
#include "wdboot/boot_record.hpp"

#include "wdboot/little_endian.hpp"

#include "wdboot/crc32.hpp"

namespace wdboot {
namespace {

// Header field offsets (docs/record-format.md).
constexpr size_t kOffMagic = 0;
constexpr size_t kOffMajor = 4;
constexpr size_t kOffMinor = 5;
constexpr size_t kOffSize = 6;
constexpr size_t kOffGeneration = 8;
constexpr size_t kOffLastBootId = 12;
constexpr size_t kOffAttemptBootId = 16;
constexpr size_t kOffAttemptSlot = 20;
constexpr size_t kOffTrialSlot = 21;
constexpr size_t kOffLastGoodSlot = 22;
constexpr size_t kOffDefaultSlot = 23;
constexpr size_t kOffJournalHead = 24;
constexpr size_t kOffJournalCount = 25;
constexpr size_t kOffStateFlags = 26;
constexpr size_t kOffCrashWindowStart = 27;  // major 3
constexpr size_t kOffPstoreRecords = 31;     // major 3

// Slot entry offsets.
constexpr size_t kSlotName = 0;
constexpr size_t kSlotTriesLeft = 16;
constexpr size_t kSlotMaxTries = 17;
constexpr size_t kSlotFlags = 18;
constexpr size_t kSlotFailures = 19;
constexpr size_t kSlotOutcome = 20;
constexpr size_t kSlotRuntimeCrashes = 21;  // major 3
constexpr size_t kSlotLastBootId = 24;
constexpr size_t kSlotBoots = 28;

// Journal entry offsets.
constexpr size_t kJournalBootId = 0;
constexpr size_t kJournalSlot = 4;
constexpr size_t kJournalEvent = 5;
constexpr size_t kJournalCause = 6;
constexpr size_t kJournalDetail = 7;
constexpr size_t kJournalTime = 8;

// The values each readable major knew, by major from kOldestReadableMajor on.
struct MajorValues {
    uint8_t outcome_max;
    uint8_t event_max;
    uint8_t cause_max;
    uint8_t slot_flags;
};
constexpr MajorValues kMajorValues[] = {
    {7, 16, 2, kSlotGood | kSlotBad | kSlotTrial},               // major 1
    {8, 17, 2, kSlotFlagsKnown},                                 // major 2
    {kOutcomeMax, kEventMax, kResetCauseMax, kSlotFlagsKnown},  // major 3
};
static_assert(sizeof(kMajorValues) / sizeof(kMajorValues[0]) == kRecordMajor - kOldestReadableMajor + 1,
              "one row per readable major");

bool has_magic(const uint8_t* data, size_t len) {
    if (len < kOffMajor + 1) return false;
    for (size_t i = 0; i < 4; ++i) {
        if (data[kOffMagic + i] != kRecordMagic[i]) return false;
    }
    return true;
}

// A slot reference must be "none" or name a slot in use.
bool valid_slot_ref(const BootState& s, uint8_t ref) {
    return ref == kNoSlot || (ref < kMaxSlots && s.slots[ref].used());
}

bool valid_name(const uint8_t* p) {
    size_t n = 0;
    while (n < kSlotNameBytes && p[n] != 0) {
        if (p[n] < 0x21 || p[n] > 0x7E) return false;  // printable, no spaces
        ++n;
    }
    if (n == kSlotNameBytes) return false;  // must be NUL-terminated
    for (size_t i = n; i < kSlotNameBytes; ++i) {
        if (p[i] != 0) return false;  // canonical NUL padding
    }
    return true;
}

}  // namespace

const char* to_string(Outcome o) {
    switch (o) {
        case Outcome::none: return "none";
        case Outcome::in_progress: return "in progress";
        case Outcome::blessed: return "blessed";
        case Outcome::watchdog_reset: return "watchdog reset";
        case Outcome::unclean_reset: return "reset without blessing";
        case Outcome::load_failed: return "load failed";
        case Outcome::start_failed: return "start failed";
        case Outcome::marked_bad: return "marked bad";
        case Outcome::unstoppable: return "watchdog could not be stopped";
        case Outcome::panic: return "kernel panic";
        case Outcome::runtime_crash: return "crashed after blessing";
        case Outcome::crash_loop: return "crash loop";
    }
    return "unknown";
}

const char* to_string(Event e) {
    switch (e) {
        case Event::none: return "none";
        case Event::attempt: return "attempt";
        case Event::blessed: return "blessed";
        case Event::watchdog_reset: return "watchdog-reset";
        case Event::unclean_reset: return "unclean-reset";
        case Event::load_failed: return "load-failed";
        case Event::start_failed: return "start-failed";
        case Event::slot_exhausted: return "exhausted";
        case Event::all_exhausted: return "all-exhausted";
        case Event::state_corrupt: return "state-corrupt";
        case Event::state_created: return "state-created";
        case Event::trial_requested: return "trial-requested";
        case Event::trial_abandoned: return "trial-abandoned";
        case Event::marked_bad: return "marked-bad";
        case Event::default_set: return "default-set";
        case Event::counters_reset: return "counters-reset";
        case Event::attempt_forced: return "attempt-forced";
        case Event::disarm_failed: return "disarm-failed";
        case Event::panic: return "panic";
        case Event::runtime_panic: return "runtime-panic";
        case Event::runtime_hang: return "runtime-hang";
        case Event::crash_loop: return "crash-loop";
    }
    return "unknown";
}

const char* to_string(ResetCause c) {
    switch (c) {
        case ResetCause::unknown: return "unknown";
        case ResetCause::power_on: return "power-on";
        case ResetCause::watchdog: return "watchdog";
        case ResetCause::panic: return "panic";
    }
    return "unknown";
}

BootState BootState::empty() {
    BootState s{};
    s.attempt_slot = kNoSlot;
    s.trial_slot = kNoSlot;
    s.last_good_slot = kNoSlot;
    s.default_slot = kNoSlot;
    for (auto& e : s.journal) e.slot = kNoSlot;
    return s;
}

uint8_t BootState::find_slot(const char* name) const {
    if (name == nullptr || name[0] == '\0') return kNoSlot;
    for (uint8_t i = 0; i < kMaxSlots; ++i) {
        const char* a = slots[i].name;
        const char* b = name;
        size_t n = 0;
        while (n < kSlotNameBytes && a[n] && a[n] == b[n]) ++n;
        if (n < kSlotNameBytes && a[n] == '\0' && b[n] == '\0') return i;
    }
    return kNoSlot;
}

void BootState::journal_add(uint32_t boot_id, uint8_t slot, Event event, uint8_t detail, const BootFacts& facts) {
    JournalEntry& e = journal[journal_head % kJournalEntries];
    e.boot_id = boot_id;
    e.slot = slot;
    e.event = event;
    e.cause = facts.cause;
    e.detail = detail;
    e.time = facts.now;
    journal_head = static_cast<uint8_t>((journal_head + 1) % kJournalEntries);
    if (journal_count < kJournalEntries) ++journal_count;
}

const JournalEntry& BootState::journal_newest(size_t i) const {
    size_t idx = (journal_head + kJournalEntries - 1 - (i % kJournalEntries)) % kJournalEntries;
    return journal[idx];
}

bool BootState::operator==(const BootState& other) const {
    uint8_t a[kRecordSize];
    uint8_t b[kRecordSize];
    encode_record(*this, a);
    encode_record(other, b);
    for (size_t i = 0; i < kRecordSize; ++i) {
        if (a[i] != b[i]) return false;
    }
    return true;
}

void encode_record(const BootState& s, uint8_t (&out)[kRecordSize]) {
    for (auto& b : out) b = 0;
    for (size_t i = 0; i < 4; ++i) out[kOffMagic + i] = kRecordMagic[i];
    out[kOffMajor] = kRecordMajor;
    out[kOffMinor] = kRecordMinor;
    put_le16(out + kOffSize, static_cast<uint16_t>(kRecordSize));
    put_le32(out + kOffGeneration, s.generation);
    put_le32(out + kOffLastBootId, s.last_boot_id);
    put_le32(out + kOffAttemptBootId, s.attempt_boot_id);
    out[kOffAttemptSlot] = s.attempt_slot;
    out[kOffTrialSlot] = s.trial_slot;
    out[kOffLastGoodSlot] = s.last_good_slot;
    out[kOffDefaultSlot] = s.default_slot;
    out[kOffJournalHead] = s.journal_head;
    out[kOffJournalCount] = s.journal_count;
    out[kOffStateFlags] = s.flags;
    put_le32(out + kOffCrashWindowStart, s.crash_window_start);
    out[kOffPstoreRecords] = s.pstore_records;

    for (size_t i = 0; i < kMaxSlots; ++i) {
        uint8_t* p = out + kSlotsOffset + i * kSlotBytes;
        const SlotState& slot = s.slots[i];
        size_t n = 0;
        while (n + 1 < kSlotNameBytes && slot.name[n]) {
            p[kSlotName + n] = static_cast<uint8_t>(slot.name[n]);
            ++n;
        }
        p[kSlotTriesLeft] = slot.tries_left;
        p[kSlotMaxTries] = slot.max_tries;
        p[kSlotFlags] = slot.flags;
        p[kSlotFailures] = slot.consecutive_failures;
        p[kSlotOutcome] = static_cast<uint8_t>(slot.last_outcome);
        p[kSlotRuntimeCrashes] = slot.runtime_crashes;
        put_le32(p + kSlotLastBootId, slot.last_boot_id);
        put_le32(p + kSlotBoots, slot.boots);
    }

    for (size_t i = 0; i < kJournalEntries; ++i) {
        uint8_t* p = out + kJournalOffset + i * kJournalEntryBytes;
        const JournalEntry& e = s.journal[i];
        put_le32(p + kJournalBootId, e.boot_id);
        p[kJournalSlot] = e.slot;
        p[kJournalEvent] = static_cast<uint8_t>(e.event);
        p[kJournalCause] = static_cast<uint8_t>(e.cause);
        p[kJournalDetail] = e.detail;
        put_le64(p + kJournalTime, e.time);
    }

    put_le32(out + kCrcOffset, crc32(out, kCrcOffset));
}

bool is_newer_record(const uint8_t* data, size_t len) {
    if (data == nullptr || !has_magic(data, len) || len < kOffGeneration + 4) return false;
    if (data[kOffMajor] <= kRecordMajor) return false;
    // The version byte is believed only in an intact record: one flipped bit in the
    // major of a damaged copy must not make the whole store read-only.
    if (le16(data + kOffSize) != len) return false;
    return le32(data + len - 4) == crc32(data, len - 4);
}

Status decode_record(const uint8_t* data, size_t len, BootState& out) {
    if (data == nullptr) return Status::invalid_argument;
    if (!has_magic(data, len)) return len < kHeaderBytes ? Status::bad_size : Status::bad_magic;
    if (is_newer_record(data, len)) return Status::unsupported_version;
    // Size and CRC before the version: a damaged copy is damaged, whatever its version byte says.
    if (len != kRecordSize || le16(data + kOffSize) != kRecordSize) return Status::bad_size;
    if (le32(data + kCrcOffset) != crc32(data, kCrcOffset)) return Status::bad_crc;
    const uint8_t major = data[kOffMajor];
    // (An intact newer major was recognised above; an older one than we read is foreign.)
    if (major < kOldestReadableMajor || major > kRecordMajor) return Status::bad_magic;
    // What an older major did not know must not appear in its records.
    const MajorValues& known = kMajorValues[major - kOldestReadableMajor];

    // Zeroed, not empty(): every field is read below, and a value a major did not know
    // is zero (as empty() has it).
    BootState s{};
    s.generation = le32(data + kOffGeneration);
    s.last_boot_id = le32(data + kOffLastBootId);
    s.attempt_boot_id = le32(data + kOffAttemptBootId);
    s.attempt_slot = data[kOffAttemptSlot];
    s.trial_slot = data[kOffTrialSlot];
    s.last_good_slot = data[kOffLastGoodSlot];
    s.default_slot = data[kOffDefaultSlot];
    s.journal_head = data[kOffJournalHead];
    s.journal_count = data[kOffJournalCount];
    if (s.journal_head >= kJournalEntries || s.journal_count > kJournalEntries) return Status::bad_field;
    // Reserved bytes must be zero in records of our minor version; a newer minor may
    // have given them meaning, and we accept and drop them (docs/record-format.md).
    const bool strict = data[kOffMinor] <= kRecordMinor;
    // Reserved in older majors: byte 26 in major 1, bytes 27-31 in majors 1 and 2.
    size_t reserved_from = kOffStateFlags;
    if (major >= 2) {
        s.flags = data[kOffStateFlags];
        if ((s.flags & ~kStateFlagsKnown) != 0) return Status::bad_field;
        reserved_from = kOffStateFlags + 1;
    }
    if (major >= 3) {
        s.crash_window_start = le32(data + kOffCrashWindowStart);
        s.pstore_records = data[kOffPstoreRecords];
        reserved_from = kHeaderBytes;
    }
    for (size_t i = reserved_from; strict && i < kHeaderBytes; ++i) {
        if (data[i] != 0) return Status::bad_field;
    }

    for (size_t i = 0; i < kMaxSlots; ++i) {
        const uint8_t* p = data + kSlotsOffset + i * kSlotBytes;
        SlotState& slot = s.slots[i];
        if (!valid_name(p + kSlotName)) return Status::bad_field;
        for (size_t n = 0; n < kSlotNameBytes; ++n) slot.name[n] = static_cast<char>(p[kSlotName + n]);
        slot.tries_left = p[kSlotTriesLeft];
        slot.max_tries = p[kSlotMaxTries];
        slot.flags = p[kSlotFlags];
        slot.consecutive_failures = p[kSlotFailures];
        if (p[kSlotOutcome] > known.outcome_max) return Status::bad_field;
        slot.last_outcome = static_cast<Outcome>(p[kSlotOutcome]);
        slot.last_boot_id = le32(p + kSlotLastBootId);
        slot.boots = le32(p + kSlotBoots);
        if (slot.tries_left > slot.max_tries) return Status::bad_field;
        if ((slot.flags & ~known.slot_flags) != 0) return Status::bad_field;
        size_t slot_reserved_from = kSlotOutcome + 1;
        if (major >= 3) {
            slot.runtime_crashes = p[kSlotRuntimeCrashes];
            slot_reserved_from = kSlotRuntimeCrashes + 1;
        }
        for (size_t r = slot_reserved_from; strict && r < kSlotLastBootId; ++r) {
            if (p[r] != 0) return Status::bad_field;
        }
        if (!slot.used()) {
            // An unused entry carries no data at all.
            for (size_t r = 0; r < kSlotBytes; ++r) {
                if (p[r] != 0) return Status::bad_field;
            }
        }
    }

    for (size_t i = 0; i < kJournalEntries; ++i) {
        const uint8_t* p = data + kJournalOffset + i * kJournalEntryBytes;
        JournalEntry& e = s.journal[i];
        e.boot_id = le32(p + kJournalBootId);
        e.slot = p[kJournalSlot];
        if (p[kJournalEvent] > known.event_max || p[kJournalCause] > known.cause_max) return Status::bad_field;
        if (e.slot != kNoSlot && e.slot >= kMaxSlots) return Status::bad_field;
        e.event = static_cast<Event>(p[kJournalEvent]);
        e.cause = static_cast<ResetCause>(p[kJournalCause]);
        e.detail = p[kJournalDetail];
        e.time = le64(p + kJournalTime);
    }

    if (!valid_slot_ref(s, s.attempt_slot) || !valid_slot_ref(s, s.trial_slot) ||
        !valid_slot_ref(s, s.last_good_slot) || !valid_slot_ref(s, s.default_slot)) {
        return Status::bad_field;
    }
    if (s.attempt_slot == kNoSlot && s.attempt_boot_id != 0) return Status::bad_field;
    // Two used slots may not share a name.
    for (size_t i = 0; i < kMaxSlots; ++i) {
        if (!s.slots[i].used()) continue;
        if (s.find_slot(s.slots[i].name) != i) return Status::bad_field;
    }

    out = s;
    return Status::ok;
}

}  // namespace wdboot
