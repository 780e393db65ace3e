// The slot policy. Rules in words: docs/boot-flow.md. Every function here is pure
// over (Config, BootState); the loader and the agent persist the result.
#include "wdboot/slot_policy.hpp"

namespace wdboot {
namespace {

uint8_t sat_inc(uint8_t v) { return v == 0xFF ? v : static_cast<uint8_t>(v + 1); }
uint32_t sat_inc32(uint32_t v) { return v == 0xFFFFFFFFu ? v : v + 1; }

// The boot a journal entry made by an operator command belongs to: the attempt in
// progress if there is one, else the last boot handed out.
uint32_t current_boot_id(const BootState& st) {
    return st.attempt_slot != kNoSlot ? st.attempt_boot_id : st.last_boot_id;
}

bool valid_record_slot(const BootState& st, uint8_t ri) { return ri < kMaxSlots && st.slots[ri].used(); }

uint8_t record_index(const Config& cfg, const BootState& st, uint8_t ci) {
    return ci < cfg.slot_count ? st.find_slot(cfg.slots[ci].name) : kNoSlot;
}

uint8_t config_index(const Config& cfg, const BootState& st, uint8_t ri) {
    return valid_record_slot(st, ri) ? cfg.find(st.slots[ri].name) : kNoSlot;
}

void clear_trial(BootState& st) {
    if (st.trial_slot != kNoSlot) {
        st.slots[st.trial_slot].flags = static_cast<uint8_t>(st.slots[st.trial_slot].flags & ~kSlotTrial);
    }
    st.trial_slot = kNoSlot;
}

void clear_attempt(BootState& st) {
    st.attempt_slot = kNoSlot;
    st.attempt_boot_id = 0;
}

// Drops every reference to a record entry that is about to be reused.
void release_entry(BootState& st, uint8_t ri) {
    if (st.attempt_slot == ri) clear_attempt(st);
    if (st.trial_slot == ri) clear_trial(st);
    if (st.last_good_slot == ri) st.last_good_slot = kNoSlot;
    if (st.default_slot == ri) st.default_slot = kNoSlot;
    // Journal entries keep their index; they now name the new slot. Mark them as
    // unattributed so the journal never blames the wrong slot.
    for (auto& e : st.journal) {
        if (e.slot == ri) e.slot = kNoSlot;
    }
    st.slots[ri] = SlotState{};
}

void init_entry(SlotState& slot, const char* name, uint8_t tries) {
    slot = SlotState{};
    for (size_t i = 0; i + 1 < kSlotNameBytes && name[i]; ++i) slot.name[i] = name[i];
    slot.max_tries = tries;
    slot.tries_left = tries;
}

// Why a slot in the order was passed over, for the decision line.
const char* skip_reason(const SlotState& slot, bool skipped_this_boot) {
    if (skipped_this_boot) return "failed in this boot";
    if (slot.has(kSlotBad)) return "marked bad";
    return "no tries left";
}

bool is_failure(Outcome o) {
    return o == Outcome::watchdog_reset || o == Outcome::unclean_reset || o == Outcome::unstoppable ||
           o == Outcome::load_failed || o == Outcome::start_failed || o == Outcome::panic;
}

// The slot whose boot was the last one handed out, if that boot was blessed and is
// over: the one a runtime crash is blamed on. kNoSlot when none.
uint8_t blessed_last_boot(const BootState& st) {
    if (st.last_boot_id == 0) return kNoSlot;
    for (uint8_t i = 0; i < kMaxSlots; ++i) {
        const SlotState& slot = st.slots[i];
        if (slot.used() && slot.last_boot_id == st.last_boot_id && slot.last_outcome == Outcome::blessed) return i;
    }
    return kNoSlot;
}

// Whether a runtime crash at `now` falls in the window that began at `start`. Without a
// clock (either time 0) or with one that went backwards, it does: a crash loop must end
// even on a machine whose clock cannot be trusted.
bool in_crash_window(uint32_t start, uint64_t now, uint16_t hours) {
    if (start == 0 || now == 0 || now < start) return true;
    return now - start <= static_cast<uint64_t>(hours) * 3600u;
}

// Counts a runtime crash of slot ri (which was blessed) and demotes it when the
// runtime-crashes limit is reached. Returns true if it was demoted.
bool count_runtime_crash(const Config& cfg, BootState& st, uint8_t ri, Event event, const BootFacts& facts) {
    SlotState& slot = st.slots[ri];
    slot.last_outcome = Outcome::runtime_crash;
    if (cfg.runtime_crash_limit == 0) {
        st.journal_add(st.last_boot_id, ri, event, 0, facts);
        return false;
    }
    // One window at a time: the first crash of a slot (or the first after its window
    // closed) starts a new one, and the counts of other slots end with the old window.
    if (slot.runtime_crashes == 0 || !in_crash_window(st.crash_window_start, facts.now, cfg.runtime_crash_hours)) {
        for (SlotState& other : st.slots) other.runtime_crashes = 0;
        st.crash_window_start = facts.now > 0xFFFFFFFFu ? 0xFFFFFFFFu : static_cast<uint32_t>(facts.now);
    }
    slot.runtime_crashes = sat_inc(slot.runtime_crashes);
    st.journal_add(st.last_boot_id, ri, event, slot.runtime_crashes, facts);
    if (slot.runtime_crashes < cfg.runtime_crash_limit) return false;
    // Demoted: its tries are gone and it counts as failed with evidence, so it gets them
    // back only from the operator (set-default, reset) or by being blessed again when
    // nothing else boots (on-exhausted last-good). The next slot in the order boots.
    st.journal_add(st.last_boot_id, ri, Event::crash_loop, slot.runtime_crashes, facts);
    slot.tries_left = 0;
    slot.flags = static_cast<uint8_t>(slot.flags | kSlotFailedHard);
    slot.last_outcome = Outcome::crash_loop;
    slot.runtime_crashes = 0;
    st.crash_window_start = 0;
    return true;
}

// Config slots in the order they are tried, each once, each with a record entry.
struct SlotOrder {
    uint8_t slots[kMaxSlots];
    uint8_t n;

    void add(const Config& cfg, const BootState& st, uint8_t ci) {
        if (ci == kNoSlot || ci >= cfg.slot_count || record_index(cfg, st, ci) == kNoSlot) return;
        for (uint8_t i = 0; i < n; ++i) {
            if (slots[i] == ci) return;
        }
        slots[n++] = ci;
    }
    // The default order: the operator's default, the config's default, file order.
    void add_default_order(const Config& cfg, const BootState& st) {
        add(cfg, st, config_index(cfg, st, st.default_slot));
        add(cfg, st, cfg.find(cfg.default_slot));
        for (uint8_t ci = 0; ci < cfg.slot_count; ++ci) add(cfg, st, ci);
    }
};

// The forced choice when every slot is exhausted: candidates in order (the rescue slot
// for on-exhausted rescue, the last good slot, the operator's default, the config's
// default, file order), configured, not bad and not failed in this boot. Forced boots
// rotate: if the most recent attempt was a forced one and it failed, the candidate
// after it is chosen, so a slot that keeps failing cannot hold the machine
// while another one could boot.
uint8_t forced_candidate(const Config& cfg, const BootState& st, BootSkips skips, OnExhausted policy) {
    SlotOrder order{};
    if (policy == OnExhausted::rescue) {
        for (uint8_t ci = 0; ci < cfg.slot_count; ++ci) {
            if (cfg.slots[ci].rescue) order.add(cfg, st, ci);
        }
    }
    order.add(cfg, st, config_index(cfg, st, st.last_good_slot));
    // Never blessed anything (for example the agent is not installed yet): keep
    // booting the normal order ignoring counters rather than leaving the machine dead.
    order.add_default_order(cfg, st);
    const uint8_t* list = order.slots;
    const uint8_t n = order.n;

    // Where to start: after the most recent attempt when it was forced and failed
    // (in an earlier boot, or in this one).
    uint8_t start = 0;
    for (uint8_t i = 0; i < n && (st.flags & kStateLastAttemptForced); ++i) {
        const SlotState& slot = st.slots[record_index(cfg, st, list[i])];
        if (st.last_boot_id != 0 && slot.last_boot_id == st.last_boot_id && is_failure(slot.last_outcome)) {
            start = static_cast<uint8_t>((i + 1) % n);
        }
    }
    for (uint8_t k = 0; k < n; ++k) {
        uint8_t ci = list[(start + k) % n];
        if (!skips.has(ci) && !st.slots[record_index(cfg, st, ci)].has(kSlotBad)) return ci;
    }
    return kNoSlot;
}

// A slot whose exhaustion proves nothing against its image: not bad, no hard failure.
bool unproven(const SlotState& slot) { return slot.used() && !slot.has(kSlotBad) && !slot.has(kSlotFailedHard); }

void restore_tries(SlotState& slot) {
    slot.tries_left = slot.max_tries;
    slot.consecutive_failures = 0;
    slot.flags = static_cast<uint8_t>(slot.flags & ~kSlotFailedHard);
}

// Every slot exhausted: the slots never proven bad get their tries back, once until the
// next blessing. True if any did.
bool restore_unproven(const Config& cfg, BootState& st, const BootFacts& facts, BootSkips skips, uint32_t boot) {
    if (st.flags & kStateUnprovenRestored) return false;
    bool any = false;
    for (uint8_t ci = 0; ci < cfg.slot_count; ++ci) {
        uint8_t ri = record_index(cfg, st, ci);
        if (ri == kNoSlot || skips.has(ci)) continue;
        SlotState& slot = st.slots[ri];
        if (!unproven(slot) || slot.tries_left != 0) continue;
        restore_tries(slot);
        st.journal_add(boot, ri, Event::counters_reset, static_cast<uint8_t>(CountersReset::unproven_exhausted),
                       facts);
        any = true;
    }
    if (any) st.flags = static_cast<uint8_t>(st.flags | kStateUnprovenRestored);
    return any;
}

}  // namespace

const char* to_string(Action a) {
    switch (a) {
        case Action::boot_slot: return "boot";
        case Action::reset_machine: return "reset";
        case Action::power_off: return "power off";
        case Action::return_to_firmware: return "return to firmware";
    }
    return "unknown";
}

void reconcile(const Config& cfg, BootState& st) {
    for (uint8_t ci = 0; ci < cfg.slot_count && ci < kMaxSlots; ++ci) {
        const SlotConfig& sc = cfg.slots[ci];
        uint8_t tries = cfg.tries_for(sc);
        uint8_t ri = st.find_slot(sc.name);
        if (ri != kNoSlot) {
            SlotState& slot = st.slots[ri];
            slot.max_tries = tries;
            if (slot.tries_left > tries) slot.tries_left = tries;
            continue;
        }
        // A new slot: a free entry, else one whose slot is no longer configured.
        for (uint8_t i = 0; i < kMaxSlots && ri == kNoSlot; ++i) {
            if (!st.slots[i].used()) ri = i;
        }
        for (uint8_t i = 0; i < kMaxSlots && ri == kNoSlot; ++i) {
            if (cfg.find(st.slots[i].name) == kNoSlot) ri = i;
        }
        if (ri == kNoSlot) continue;  // cannot happen: at most kMaxSlots configured
        release_entry(st, ri);
        init_entry(st.slots[ri], sc.name, tries);
    }
}

ResetCause note_reset_cause(BootState& st, ResetCause hardware, int pstore_records) {
    if (pstore_records < 0) return hardware;  // could not count: the hardware's word only
    uint8_t now = pstore_records > 0xFF ? 0xFF : static_cast<uint8_t>(pstore_records);
    bool panicked = now > st.pstore_records;
    st.pstore_records = now;
    return panicked ? ResetCause::panic : hardware;
}

PreviousAttempt account_previous_attempt(const Config& cfg, BootState& st, const BootFacts& facts,
                                         TextBuffer<200>* what) {
    const bool crashed = facts.cause == ResetCause::watchdog || facts.cause == ResetCause::panic;
    if (st.attempt_slot == kNoSlot) {
        if (!crashed) return PreviousAttempt::none;  // a clean reboot, a power cut, a reset button
        const Event event = facts.cause == ResetCause::panic ? Event::runtime_panic : Event::runtime_hang;
        const char* how = facts.cause == ResetCause::panic ? "kernel panic" : "watchdog reset";
        uint8_t ri = blessed_last_boot(st);
        if (what != nullptr) what->clear();
        if (ri == kNoSlot) {
            // Nothing booted that was blessed (a fresh or damaged record): explained, not counted.
            st.journal_add(st.last_boot_id, kNoSlot, event, 0, facts);
            if (what != nullptr) what->append(how).append(" after a boot wdboot has no record of (journalled)");
            return PreviousAttempt::runtime_crash;
        }
        bool demoted = count_runtime_crash(cfg, st, ri, event, facts);
        if (what != nullptr) {
            what->appendf("blessed slot \"%s\" crashed at run time (%s", st.slots[ri].name, how);
            if (cfg.runtime_crash_limit == 0) {
                what->append(", not counted: runtime-crashes off)");
            } else if (demoted) {
                what->appendf(", %u within %u h): crash loop, it loses its tries", cfg.runtime_crash_limit,
                              cfg.runtime_crash_hours);
            } else {
                what->appendf(", %u of %u within %u h)", st.slots[ri].runtime_crashes, cfg.runtime_crash_limit,
                              cfg.runtime_crash_hours);
            }
        }
        return demoted ? PreviousAttempt::crash_loop : PreviousAttempt::runtime_crash;
    }
    uint8_t ri = st.attempt_slot;
    SlotState& slot = st.slots[ri];
    bool by_watchdog = facts.cause == ResetCause::watchdog;
    // efi-pstore's records say the kernel panicked: evidence, like a watchdog reset.
    bool by_panic = facts.cause == ResetCause::panic;
    // The agent found this boot healthy but could not stop its watchdog: whatever reset
    // followed, the slot cannot keep the machine up, and that is evidence.
    bool unstoppable = slot.last_outcome == Outcome::unstoppable;
    if (!unstoppable) {
        slot.last_outcome = by_panic ? Outcome::panic : by_watchdog ? Outcome::watchdog_reset : Outcome::unclean_reset;
    }
    if (by_watchdog || by_panic || unstoppable) slot.flags = static_cast<uint8_t>(slot.flags | kSlotFailedHard);
    slot.consecutive_failures = sat_inc(slot.consecutive_failures);
    st.journal_add(st.attempt_boot_id, ri,
                   by_panic ? Event::panic : by_watchdog ? Event::watchdog_reset : Event::unclean_reset,
                   slot.tries_left, facts);
    if (slot.tries_left == 0 && !slot.has(kSlotBad)) {
        st.journal_add(st.attempt_boot_id, ri, Event::slot_exhausted, 0, facts);
    }
    if (what != nullptr) {
        what->clear();
        what->appendf("slot \"%s\" failed (%s", slot.name,
                      unstoppable ? "its watchdog could not be stopped"
                      : by_panic  ? "kernel panic"
                      : by_watchdog ? "watchdog reset"
                                    : "reset without blessing");
        if (st.trial_slot == ri) {
            // A trial's tries were granted by `try`, not by max_tries: say what is left.
            what->appendf(", trial, %u tries left)", slot.tries_left);
        } else {
            what->appendf(", attempt %u/%u)", static_cast<uint8_t>(slot.max_tries - slot.tries_left), slot.max_tries);
        }
    }
    clear_attempt(st);
    return PreviousAttempt::failed;
}

Decision choose(const Config& cfg, BootState& st, const BootFacts& facts, BootSkips skips) {
    Decision d{};
    d.action = Action::return_to_firmware;
    d.config_slot = kNoSlot;
    d.record_slot = kNoSlot;
    uint32_t boot = current_boot_id(st);

    // 1. A pending one-shot trial, while it has tries.
    if (st.trial_slot != kNoSlot) {
        uint8_t ri = st.trial_slot;
        uint8_t ci = config_index(cfg, st, ri);
        const SlotState& slot = st.slots[ri];
        if (ci != kNoSlot && !skips.has(ci) && slot.tries_left > 0 && !slot.has(kSlotBad)) {
            d.action = Action::boot_slot;
            d.config_slot = ci;
            d.record_slot = ri;
            d.trial = true;
            d.reason.appendf("booting trial \"%s\" (tries %u left)", slot.name, slot.tries_left);
            return d;
        }
        // Out of tries (or gone) without a blessing: the trial is over, the default
        // order resumes. The trial slot does not become the default.
        st.journal_add(boot, ri, Event::trial_abandoned, slot.tries_left, facts);
        clear_trial(st);
    }

    // 2. The default order: the operator's default, the config's default, file order.
    SlotOrder order{};
    order.add_default_order(cfg, st);

    TextBuffer<200> passed;
    for (int round = 0; round < 2; ++round) {
    if (round == 1) {
        // Every slot exhausted: first the slots never proven bad get their tries back.
        if (!restore_unproven(cfg, st, facts, skips, boot)) break;
        passed.clear();
        passed.append("; tries restored to slots never proven bad");
    }
    for (uint8_t i = 0; i < order.n; ++i) {
        uint8_t ci = order.slots[i];
        uint8_t ri = record_index(cfg, st, ci);
        if (ri == kNoSlot) continue;
        const SlotState& slot = st.slots[ri];
        if (skips.has(ci) || slot.has(kSlotBad) || slot.tries_left == 0) {
            passed.appendf("%s\"%s\" (%s)", passed.size() ? ", " : "; skipped ", slot.name,
                           skip_reason(slot, skips.has(ci)));
            continue;
        }
        d.action = Action::boot_slot;
        d.config_slot = ci;
        d.record_slot = ri;
        d.reason.appendf("booting \"%s\" (tries %u/%u)%s", slot.name, slot.tries_left, slot.max_tries,
                         passed.c_str());
        return d;
    }
    }

    // 3. Every slot exhausted: the configured policy.
    st.journal_add(boot, kNoSlot, Event::all_exhausted, static_cast<uint8_t>(cfg.on_exhausted), facts);
    d.reason.appendf("all slots exhausted, on-exhausted %s: ", to_string(cfg.on_exhausted));
    switch (cfg.on_exhausted) {
        case OnExhausted::reset: {
            // Unlike the operator's `reset`, slots marked bad stay bad: the automatic
            // retry must not undo an operator's or a health check's verdict.
            for (SlotState& slot : st.slots) {
                if (slot.used() && !slot.has(kSlotBad)) restore_tries(slot);
            }
            st.journal_add(boot, kNoSlot, Event::counters_reset, 0, facts);
            d.action = Action::reset_machine;
            d.reason.append("counters restored, resetting the machine");
            return d;
        }
        case OnExhausted::halt:
            d.action = Action::power_off;
            d.reason.append("powering off");
            return d;
        case OnExhausted::last_good:
        case OnExhausted::rescue:
            break;
    }
    uint8_t ci = forced_candidate(cfg, st, skips, cfg.on_exhausted);
    if (ci == kNoSlot) {
        d.action = Action::return_to_firmware;
        d.reason.append("nothing left to boot, returning to the firmware");
        return d;
    }
    d.action = Action::boot_slot;
    d.config_slot = ci;
    d.record_slot = record_index(cfg, st, ci);
    d.forced = true;
    d.reason.appendf("booting \"%s\" ignoring its counters", cfg.slots[ci].name);
    if (d.record_slot == st.last_good_slot) d.reason.append(" (last known good)");
    else if (cfg.slots[ci].rescue) d.reason.append(" (rescue)");
    if (st.slots[d.record_slot].last_outcome == Outcome::unstoppable) {
        // Its userspace was healthy but nothing could stop the watchdog: arming it again
        // would only reset a working machine. Keep the machine up, unprotected.
        d.unprotected = true;
        d.reason.append(", watchdog not armed: the agent could not stop it on this slot's last boot");
    }
    return d;
}

uint32_t begin_attempt(BootState& st, const Decision& d, const BootFacts& facts) {
    uint32_t boot_id = st.last_boot_id + 1;
    if (boot_id == 0) boot_id = 1;  // 0 means "none"
    st.last_boot_id = boot_id;
    SlotState& slot = st.slots[d.record_slot];
    if (!d.forced && slot.tries_left > 0) --slot.tries_left;
    slot.last_outcome = Outcome::in_progress;
    slot.last_boot_id = boot_id;
    slot.boots = sat_inc32(slot.boots);
    if (d.trial) slot.flags = static_cast<uint8_t>(slot.flags | kSlotTrial);
    st.flags =
        static_cast<uint8_t>(d.forced ? st.flags | kStateLastAttemptForced : st.flags & ~kStateLastAttemptForced);
    st.attempt_slot = d.record_slot;
    st.attempt_boot_id = boot_id;
    st.journal_add(boot_id, d.record_slot, d.forced ? Event::attempt_forced : Event::attempt, slot.tries_left,
                   facts);
    return boot_id;
}

void record_image_failure(BootState& st, const Config& cfg, uint8_t config_slot, Event event,
                          const BootFacts& facts, uint8_t detail) {
    uint8_t ri = record_index(cfg, st, config_slot);
    if (ri == kNoSlot) return;
    SlotState& slot = st.slots[ri];
    uint32_t boot = st.attempt_slot == ri ? st.attempt_boot_id : st.last_boot_id;
    slot.tries_left = 0;
    slot.flags = static_cast<uint8_t>(slot.flags | kSlotFailedHard);
    slot.last_outcome = event == Event::start_failed ? Outcome::start_failed : Outcome::load_failed;
    slot.consecutive_failures = sat_inc(slot.consecutive_failures);
    st.journal_add(boot, ri, event, detail, facts);
    if (st.attempt_slot == ri) clear_attempt(st);
}

namespace {

// The checks bless() and record_unstoppable() share: ok with the attempt's slot in *ri,
// or why not (already_blessed: the boot is blessed already, nothing to do).
enum class AttemptCheck : uint8_t { ok, already_blessed, none, stale };

AttemptCheck check_attempt(const BootState& st, uint32_t boot_id, uint8_t* ri) {
    if (st.attempt_slot == kNoSlot || st.attempt_boot_id != boot_id) {
        if (is_blessed(st, boot_id)) return AttemptCheck::already_blessed;
        return st.attempt_slot == kNoSlot ? AttemptCheck::none : AttemptCheck::stale;
    }
    *ri = st.attempt_slot;
    return AttemptCheck::ok;
}

Status attempt_error(AttemptCheck c) {
    return c == AttemptCheck::already_blessed ? Status::ok
           : c == AttemptCheck::none          ? Status::not_found
                                              : Status::invalid_argument;
}

}  // namespace

bool is_blessed(const BootState& st, uint32_t boot_id) {
    if (boot_id == 0 || (st.attempt_slot != kNoSlot && st.attempt_boot_id == boot_id)) return false;
    for (const SlotState& slot : st.slots) {
        if (slot.used() && slot.last_boot_id == boot_id && slot.last_outcome == Outcome::blessed) return true;
    }
    return false;
}

Status bless(BootState& st, uint32_t boot_id, uint64_t now, bool* already_blessed) {
    uint8_t ri = kNoSlot;
    AttemptCheck c = check_attempt(st, boot_id, &ri);
    if (already_blessed != nullptr) *already_blessed = c == AttemptCheck::already_blessed;
    if (c != AttemptCheck::ok) return attempt_error(c);
    SlotState& slot = st.slots[ri];
    restore_tries(slot);
    slot.flags = static_cast<uint8_t>((slot.flags | kSlotGood) & ~kSlotTrial);
    slot.last_outcome = Outcome::blessed;
    st.last_good_slot = ri;
    if (st.trial_slot == ri) st.trial_slot = kNoSlot;
    st.flags = static_cast<uint8_t>(st.flags & ~kStateUnprovenRestored);
    clear_attempt(st);
    st.journal_add(boot_id, ri, Event::blessed, ResetCause::unknown, slot.max_tries, now);
    // A good slot (blessed before) that lost tries only to unclean resets — power cuts
    // during its boots — was never proven bad: a working system is the moment to give
    // them back, so that it keeps its place in the order.
    for (uint8_t i = 0; i < kMaxSlots; ++i) {
        SlotState& other = st.slots[i];
        if (i == ri || i == st.trial_slot || !unproven(other) || !other.has(kSlotGood) ||
            other.tries_left == other.max_tries) {
            continue;
        }
        restore_tries(other);
        st.journal_add(boot_id, i, Event::counters_reset, ResetCause::unknown,
                       static_cast<uint8_t>(CountersReset::after_blessing), now);
    }
    return Status::ok;
}

Status record_unstoppable(BootState& st, uint32_t boot_id, uint64_t now) {
    uint8_t ri = kNoSlot;
    AttemptCheck c = check_attempt(st, boot_id, &ri);
    if (c != AttemptCheck::ok) return attempt_error(c);
    SlotState& slot = st.slots[ri];
    if (slot.last_outcome == Outcome::unstoppable) return Status::ok;  // recorded already
    slot.last_outcome = Outcome::unstoppable;
    st.journal_add(boot_id, ri, Event::disarm_failed, ResetCause::unknown, slot.tries_left, now);
    return Status::ok;
}

Status record_healthy_boot(BootState& st, uint32_t boot_id, bool watchdog_stopped, uint64_t now,
                           bool* already_blessed) {
    if (already_blessed != nullptr) *already_blessed = false;
    return watchdog_stopped ? bless(st, boot_id, now, already_blessed) : record_unstoppable(st, boot_id, now);
}

Status mark_bad(BootState& st, uint8_t ri, uint64_t now) {
    if (!valid_record_slot(st, ri)) return Status::not_found;
    uint32_t boot = current_boot_id(st);
    SlotState& slot = st.slots[ri];
    slot.flags = static_cast<uint8_t>((slot.flags | kSlotBad) & ~kSlotGood);
    slot.tries_left = 0;
    slot.last_outcome = Outcome::marked_bad;
    if (st.attempt_slot == ri) clear_attempt(st);
    if (st.trial_slot == ri) clear_trial(st);
    if (st.last_good_slot == ri) st.last_good_slot = kNoSlot;
    st.journal_add(boot, ri, Event::marked_bad, ResetCause::unknown, 0, now);
    return Status::ok;
}

Status set_default(BootState& st, uint8_t ri, uint64_t now) {
    if (!valid_record_slot(st, ri)) return Status::not_found;
    SlotState& slot = st.slots[ri];
    slot.flags = static_cast<uint8_t>(slot.flags & ~kSlotBad);
    restore_tries(slot);
    slot.runtime_crashes = 0;
    st.default_slot = ri;
    st.journal_add(current_boot_id(st), ri, Event::default_set, ResetCause::unknown, slot.max_tries, now);
    return Status::ok;
}

Status request_trial(BootState& st, uint8_t ri, uint8_t tries, uint64_t now) {
    if (!valid_record_slot(st, ri)) return Status::not_found;
    SlotState& slot = st.slots[ri];
    if (tries == 0 || tries > slot.max_tries) return Status::invalid_argument;
    clear_trial(st);
    slot.flags = static_cast<uint8_t>((slot.flags & ~(kSlotBad | kSlotFailedHard)) | kSlotTrial);
    slot.tries_left = tries;
    st.trial_slot = ri;
    st.journal_add(current_boot_id(st), ri, Event::trial_requested, ResetCause::unknown, tries, now);
    return Status::ok;
}

Status forget_slot(BootState& st, uint8_t ri) {
    if (!valid_record_slot(st, ri)) return Status::not_found;
    if (st.attempt_slot == ri) return Status::invalid_argument;
    release_entry(st, ri);
    return Status::ok;
}

Status reset_counters(BootState& st, uint64_t now) {
    for (SlotState& slot : st.slots) {
        if (!slot.used()) continue;
        restore_tries(slot);
        slot.flags = static_cast<uint8_t>(slot.flags & ~kSlotBad);
        slot.runtime_crashes = 0;
    }
    st.crash_window_start = 0;
    st.flags = static_cast<uint8_t>(st.flags & ~kStateUnprovenRestored);
    st.journal_add(current_boot_id(st), kNoSlot, Event::counters_reset, ResetCause::unknown, 0, now);
    return Status::ok;
}

}  // namespace wdboot
