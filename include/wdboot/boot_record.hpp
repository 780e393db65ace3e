// The wdboot state record: slot counters, attempt marker and boot journal, kept in
// UEFI NVRAM as two copies (WdbootStateA / WdbootStateB). Fixed size, explicit
// little-endian encoding, CRC32 over all preceding bytes. Layout: docs/record-format.md.
//
// Used by the loader (efi/) and by the agent (src/agent/) through the same code.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "wdboot/status.hpp"

namespace wdboot {

inline constexpr size_t kMaxSlots = 8;
inline constexpr size_t kJournalEntries = 16;
inline constexpr size_t kSlotNameBytes = 16;  // NUL-padded; names are at most 15 characters
inline constexpr uint8_t kNoSlot = 0xFF;

inline constexpr uint8_t kRecordMagic[4] = {'W', 'D', 'B', 'S'};
inline constexpr uint8_t kRecordMajor = 3;
inline constexpr uint8_t kRecordMinor = 0;
// Major 1 and 2 records (wdboot 0.1, 0.2) have the same layout without the values that
// later majors added; they are read and upgraded on the next write.
inline constexpr uint8_t kOldestReadableMajor = 1;

inline constexpr size_t kHeaderBytes = 32;
inline constexpr size_t kSlotBytes = 32;
inline constexpr size_t kJournalEntryBytes = 16;
inline constexpr size_t kSlotsOffset = kHeaderBytes;
inline constexpr size_t kJournalOffset = kSlotsOffset + kMaxSlots * kSlotBytes;
inline constexpr size_t kCrcOffset = kJournalOffset + kJournalEntries * kJournalEntryBytes;
inline constexpr size_t kRecordSize = kCrcOffset + 4;
static_assert(kRecordSize == 548, "record size is part of the on-NVRAM format");

// Slot flag bits (SlotState::flags).
inline constexpr uint8_t kSlotGood = 0x01;   // blessed since its counters were last reset
inline constexpr uint8_t kSlotBad = 0x02;    // marked bad by the operator or a health check
inline constexpr uint8_t kSlotTrial = 0x04;  // currently the pending one-shot trial
// Since its tries were last restored the slot failed with evidence against its image:
// a watchdog reset, a load or start failure, or a watchdog the agent could not stop.
// A slot exhausted only by unclean resets (power cuts, panic reboots) is unproven and
// gets its tries back (docs/boot-flow.md, "Tries are never lost for good").
inline constexpr uint8_t kSlotFailedHard = 0x08;
inline constexpr uint8_t kSlotFlagsKnown = kSlotGood | kSlotBad | kSlotTrial | kSlotFailedHard;

// Record-wide flag bits (BootState::flags).
// The tries of unproven slots were restored because every slot was exhausted, and no
// boot has been blessed since: the next exhaustion applies on-exhausted instead.
inline constexpr uint8_t kStateUnprovenRestored = 0x01;
// The most recent attempt was forced (on-exhausted last-good / rescue): if it failed,
// the next forced boot rotates to the next candidate.
inline constexpr uint8_t kStateLastAttemptForced = 0x02;
inline constexpr uint8_t kStateFlagsKnown = kStateUnprovenRestored | kStateLastAttemptForced;

// How the last attempt of a slot ended.
enum class Outcome : uint8_t {
    none = 0,
    in_progress = 1,     // attempt started, not yet blessed
    blessed = 2,
    watchdog_reset = 3,  // hardware watchdog reset the machine
    unclean_reset = 4,   // reset without blessing: panic reboot, power cut, reset button
    load_failed = 5,     // image missing or refused by LoadImage
    start_failed = 6,    // StartImage returned an error
    marked_bad = 7,
    unstoppable = 8,     // userspace was healthy, but the agent could not stop or hand over
                         // the watchdog: the boot was not blessed and its reset is counted
    panic = 9,           // the attempt, never blessed, ended in a kernel panic (efi-pstore
                         // wrote new records): counted, evidence against the image
    runtime_crash = 10,  // blessed, then ended in a kernel panic or a watchdog reset
    crash_loop = 11,     // runtime-crashes limit reached: the slot lost its tries
};
inline constexpr uint8_t kOutcomeMax = 11;

enum class Event : uint8_t {
    none = 0,
    attempt = 1,          // detail: tries left after this attempt
    blessed = 2,          // detail: tries restored to
    watchdog_reset = 3,   // previous attempt ended by the hardware watchdog; detail: tries left
    unclean_reset = 4,    // previous attempt never blessed, no watchdog flag; detail: tries left
    load_failed = 5,
    start_failed = 6,
    slot_exhausted = 7,   // slot has no tries left
    all_exhausted = 8,    // detail: the on-exhausted policy applied (OnExhausted)
    state_corrupt = 9,    // detail: bit0 copy A damaged, bit1 copy B damaged
    state_created = 10,   // no record existed: fresh state
    trial_requested = 11, // detail: tries granted
    trial_abandoned = 12, // trial ran out of tries without blessing
    marked_bad = 13,
    default_set = 14,
    counters_reset = 15,  // detail: CountersReset (why, and whose tries came back)
    attempt_forced = 16,  // booted ignoring counters (on-exhausted last-good / rescue)
    disarm_failed = 17,   // the agent could not stop or hand over the watchdog of a healthy
                          // boot; the boot stays unblessed. detail: tries left
    panic = 18,           // previous attempt, never blessed, ended in a kernel panic
                          // (new efi-pstore records); detail: tries left
    runtime_panic = 19,   // a blessed boot ended in a kernel panic; detail: the slot's
                          // runtime crashes in the current window, this one included
    runtime_hang = 20,    // the watchdog reset a blessed boot; detail: as runtime_panic
    crash_loop = 21,      // runtime-crashes N/HOURS reached: the slot lost its tries and
                          // the next good slot boots; detail: the crashes counted
};
inline constexpr uint8_t kEventMax = 21;

// The detail of Event::watchdog_reset when the reset came after a blessed boot, as
// major 1 and 2 records journalled a runtime hang (major 3 journals runtime_hang).
inline constexpr uint8_t kResetAfterBlessing = 0xFF;

// The detail of Event::counters_reset.
enum class CountersReset : uint8_t {
    all = 0,              // wdbootctl reset, or on-exhausted reset
    unproven_exhausted = 1,  // every slot exhausted: slots never proven bad got their tries back
    after_blessing = 2,   // another slot was blessed: this unproven slot got its tries back
};

// Why the machine last reset, as far as the watchdog hardware can tell.
enum class ResetCause : uint8_t {
    unknown = 0,   // no watchdog, or it cannot tell
    power_on = 1,  // watchdog present and reports no timeout
    watchdog = 2,  // watchdog reports it reset the machine
    panic = 3,     // the kernel panicked: efi-pstore left new records in NVRAM (not in
                   // major 1 and 2)
};
inline constexpr uint8_t kResetCauseMax = 3;

const char* to_string(Outcome o);
const char* to_string(Event e);
const char* to_string(ResetCause c);

struct SlotState {
    char name[kSlotNameBytes];  // empty name: unused entry
    uint8_t tries_left;
    uint8_t max_tries;
    uint8_t flags;
    uint8_t consecutive_failures;
    Outcome last_outcome;
    uint32_t last_boot_id;  // boot id of the slot's most recent attempt
    uint32_t boots;         // attempts started, saturating
    uint8_t runtime_crashes;  // runtime crashes (panic or hang after the blessing) in the
                              // current crash window (BootState::crash_window_start)

    bool used() const { return name[0] != '\0'; }
    bool has(uint8_t flag) const { return (flags & flag) != 0; }
};

struct JournalEntry {
    uint32_t boot_id;
    uint8_t slot;  // index into BootState::slots, or kNoSlot
    Event event;
    ResetCause cause;
    uint8_t detail;
    uint64_t time;  // seconds since 1970-01-01 UTC (from EFI GetTime or the agent's clock), 0 unknown
};

// Facts about this boot that the policy cannot know by itself (slot_policy.hpp); every
// journal entry the loader writes carries them as its cause and time.
struct BootFacts {
    ResetCause cause;  // why the machine last reset: note_reset_cause() of the watchdog's
                       // flag and the efi-pstore records
    uint64_t now;      // seconds since 1970 (0: unknown)
};

struct BootState {
    uint32_t generation;      // incremented on every write; the higher valid copy wins
    uint8_t flags;            // kState* bits
    uint32_t last_boot_id;    // the most recent boot id handed out (0: none yet)
    uint8_t attempt_slot;     // kNoSlot: no attempt in progress
    uint32_t attempt_boot_id;
    uint8_t trial_slot;       // pending one-shot trial, or kNoSlot
    uint8_t last_good_slot;   // last slot ever blessed, or kNoSlot
    uint8_t default_slot;     // operator's set-default, or kNoSlot (config default applies)
    uint8_t journal_head;     // index of the next entry to write
    uint8_t journal_count;    // entries in use, at most kJournalEntries
    // Start of the current runtime-crash window: the time of the first runtime crash it
    // counts, seconds since 1970 (0: no window, or the clock was unknown then). One
    // window at a time: a crash of another slot starts a new one.
    uint32_t crash_window_start;
    // efi-pstore records (dump-type0-* variables) in NVRAM when the loader or a blessing
    // last wrote the record, saturating at 255: more of them at the next boot means the
    // kernel panicked in between.
    uint8_t pstore_records;
    SlotState slots[kMaxSlots];
    JournalEntry journal[kJournalEntries];

    // A state with no slots, no attempt and an empty journal.
    static BootState empty();

    // Index of the slot with this name, or kNoSlot.
    uint8_t find_slot(const char* name) const;
    // Appends to the journal ring, dropping the oldest entry when full. The entry's cause
    // and time are the boot's facts: the policy writes most entries this way, and one
    // reference is less code at each of its call sites than a cause and a time.
    void journal_add(uint32_t boot_id, uint8_t slot, Event event, uint8_t detail, const BootFacts& facts);
    void journal_add(uint32_t boot_id, uint8_t slot, Event event, ResetCause cause, uint8_t detail,
                     uint64_t time) {
        journal_add(boot_id, slot, event, detail, BootFacts{cause, time});
    }
    // i-th journal entry, 0 = newest. Requires i < journal_count.
    const JournalEntry& journal_newest(size_t i) const;

    bool operator==(const BootState& other) const;
};

// Encodes the state into exactly kRecordSize bytes, CRC included.
void encode_record(const BootState& state, uint8_t (&out)[kRecordSize]);

// Decodes and validates a record: size, magic, major version, CRC, field ranges.
// On any error `out` is left untouched.
Status decode_record(const uint8_t* data, size_t len, BootState& out);

// True if the bytes are an intact record of a newer major version: our magic, a major
// above ours, the record size at bytes 6-7 equal to len, and a CRC-32 of all bytes but
// the last four in those last four (the header contract every major keeps). Such a
// record belongs to a newer wdboot and must never be overwritten. A damaged copy is
// never believed to be newer: its CRC is checked before its version.
bool is_newer_record(const uint8_t* data, size_t len);

}  // namespace wdboot
