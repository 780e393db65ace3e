// The slot policy: which slot boots, and how the state record changes around a boot.
// Pure functions over (Config, BootState): no I/O, no platform calls. The loader and
// the agent both call these; docs/boot-flow.md states the rules in words.
#pragma once
#include <stdint.h>

#include "wdboot/boot_record.hpp"
#include "wdboot/config.hpp"
#include "wdboot/status.hpp"
#include "wdboot/text.hpp"

namespace wdboot {

enum class Action : uint8_t {
    boot_slot = 0,           // load and start Decision::config_slot
    reset_machine = 1,       // on-exhausted reset: counters restored, cold reset
    power_off = 2,           // on-exhausted halt
    return_to_firmware = 3,  // nothing bootable at all: let the firmware try its next Boot####
};
const char* to_string(Action a);

struct Decision {
    Action action;
    uint8_t config_slot;  // index into Config::slots (boot_slot only)
    uint8_t record_slot;  // index into BootState::slots (boot_slot only)
    bool forced;          // booted ignoring counters (on-exhausted last-good / rescue)
    bool trial;           // this is the pending one-shot trial
    bool unprotected;     // do not arm the hardware watchdog: a forced boot of a slot whose
                          // watchdog the agent could not stop (it would only reset a healthy
                          // system); the machine stays up instead of looping
    TextBuffer<200> reason;  // one readable line, e.g. `slot "primary" failed ...`
};

// Slots already failed to load or start during this boot; the chooser skips them.
struct BootSkips {
    uint8_t mask;  // bit i: config slot i
    bool has(uint8_t i) const { return (mask >> i) & 1u; }
    void add(uint8_t i) { mask = static_cast<uint8_t>(mask | (1u << i)); }
};

// Makes the record describe the configured slots: a configured slot keeps its record
// entry (matched by name, index stable) or gets a free one with fresh counters; entries
// of slots no longer configured are released only when room is needed. max_tries follows
// the config; tries_left is clamped to it. References to released entries are cleared.
void reconcile(const Config& cfg, BootState& st);

// Why the machine last reset, from the watchdog hardware's word and the number of
// efi-pstore records (Linux's dump-type0-* variables) now in NVRAM (-1: could not be
// counted). More records than BootState::pstore_records means the kernel panicked since
// the record was last written: ResetCause::panic, which wins over a watchdog flag (a
// panic with panic=0 is reset by the watchdog later). Remembers the count, so each
// panic is seen once. Called by the loader before anything else uses the cause.
ResetCause note_reset_cause(BootState& st, ResetCause hardware, int pstore_records);

// What account_previous_attempt() found.
enum class PreviousAttempt : uint8_t {
    none,           // no attempt pending and no crash: a clean reboot, a power cut, a
                    // reset button after a blessed boot; nothing to account
    failed,         // the attempt never got blessed: counted against its slot
    runtime_crash,  // a blessed boot ended in a panic or a watchdog reset: counted in its
                    // slot's runtime-crash window, the slot boots again
    crash_loop,     // ...and that reached runtime-crashes N/HOURS: the slot is demoted
};

// Called once at boot, before choose(). Decides who is blamed for the reset:
// - an attempt marker still set: the previous attempt never got blessed. Counts it
//   against that slot (outcome, consecutive failures, journal with the reset cause) and
//   clears the marker. A watchdog reset, a kernel panic, or a watchdog the agent could
//   not stop is evidence against the image (kSlotFailedHard); an unclean reset (power
//   cut, reset button, a reboot without blessing) is not. -> failed
// - no marker, and the cause is a panic or a watchdog reset: the blessed boot that ran
//   last crashed at run time (runtime-panic / runtime-hang, journalled with its boot id).
//   It costs no try; cfg.runtime_crash_limit such crashes within runtime_crash_hours of
//   the first (one window at a time, BootState::crash_window_start; without a clock
//   every crash falls in the window) demote the slot: no tries, kSlotFailedHard,
//   crash-loop journalled, so the next slot in the order boots. -> runtime_crash /
//   crash_loop. A clean reboot and a power cut are never counted.
// `what` (may be nullptr) gets the one-line explanation.
PreviousAttempt account_previous_attempt(const Config& cfg, BootState& st, const BootFacts& facts,
                                         TextBuffer<200>* what);

// Chooses what to boot. Does not consume a try: begin_attempt() does that. Abandons an
// exhausted trial. When every slot is exhausted, first gives the slots never proven bad
// (not bad, not kSlotFailedHard) their tries back, once per exhaustion
// (kStateUnprovenRestored, cleared by a blessing); only then applies on-exhausted.
// Forced boots rotate: after a failed forced attempt the next candidate is tried.
// Never fails: the result is always an action.
Decision choose(const Config& cfg, BootState& st, const BootFacts& facts, BootSkips skips);

// Records the attempt before the image starts: a new boot id, tries decremented (not
// when forced), the attempt marker set, the journal written. Returns the boot id.
uint32_t begin_attempt(BootState& st, const Decision& d, const BootFacts& facts);

// The chosen image could not be loaded (load_failed) or returned from StartImage
// (start_failed): the slot loses its remaining tries at once and the event is journalled.
// If an attempt for it was already begun, the marker is cleared. `detail` goes to the
// journal entry (for load_failed: a LoadFailure, secure_boot.hpp).
void record_image_failure(BootState& st, const Config& cfg, uint8_t config_slot, Event event,
                          const BootFacts& facts, uint8_t detail = 0);

// Operator and agent commands. Each returns invalid_argument / not_found for a bad
// slot and leaves the state untouched then.
// Whether the boot `boot_id` is already blessed: it is not the attempt in progress, and
// a slot's last boot is `boot_id` with the outcome blessed. The one rule for "already
// blessed": bless() and `wdbootctl status` use it.
bool is_blessed(const BootState& st, uint32_t boot_id);
// Blesses the boot `boot_id` (must be the attempt in progress): slot good, tries restored.
// Every other good slot (blessed before) that was never proven bad gets its tries back
// too: a run of power cuts must not cost a good slot its place. Blessing a boot that is
// already blessed (is_blessed()) is ok, changes nothing and sets *already_blessed, so
// that `wdbootctl mark-good` can say so; a stale boot id is invalid_argument, no attempt
// at all not_found.
Status bless(BootState& st, uint32_t boot_id, uint64_t now, bool* already_blessed = nullptr);
// The agent found the boot `boot_id` healthy but could not stop or hand over the
// watchdog: the attempt stays in progress (so the coming reset is counted against the
// slot, as evidence), the outcome says why, and disarm-failed is journalled. Same
// errors as bless().
Status record_unstoppable(BootState& st, uint32_t boot_id, uint64_t now);
// The agent's record of a healthy boot, once it has tried to stop (or hand over) the
// watchdog: bless() if it did, record_unstoppable() if it could not. `wdbootctl
// mark-good` calls it after the watchdog step; the liveness checker calls it too.
// *already_blessed as for bless() (false when the watchdog was not stopped).
Status record_healthy_boot(BootState& st, uint32_t boot_id, bool watchdog_stopped, uint64_t now,
                           bool* already_blessed = nullptr);
// Marks a slot bad (no tries, skipped) and clears the attempt marker if it was that slot's.
Status mark_bad(BootState& st, uint8_t record_slot, uint64_t now);
// Makes a slot the default (first in order) and clears its bad flag with fresh tries
// and no runtime crashes (how an operator undoes a crash-loop demotion).
Status set_default(BootState& st, uint8_t record_slot, uint64_t now);
// Asks for a one-shot trial of a slot on the next boot(s), with `tries` attempts (1..max).
Status request_trial(BootState& st, uint8_t record_slot, uint8_t tries, uint64_t now);
// Forgets a slot's record entry (counters, flags, outcome; journal entries naming it
// become unattributed), as if it had never been there: `wdbootctl add-slot` and
// `remove-slot` call it so that a slot name added again starts fresh instead of
// inheriting the old slot's bad mark. Refuses (invalid_argument) the slot of the attempt
// in progress, which must still be counted.
Status forget_slot(BootState& st, uint8_t record_slot);
// Restores every slot's tries to its maximum and clears bad flags and runtime-crash counts.
Status reset_counters(BootState& st, uint64_t now);

}  // namespace wdboot
