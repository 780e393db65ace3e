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

void append_quoted(TextBuffer<200>& t, const char* name) { t.append("\"").append(name).append("\""); }

// Why a slot in the order was passed over, for the decision line.
const char* skip_reason(const SlotState& slot, bool skipped_this_boot) {
    if (skipped_this_boot) return "failed in this boot";
    if (slot.has(kSlotBad)) return "marked bad";
    return "no tries left";
}

// The forced choice when every slot is exhausted: the first candidate that is
// configured, not bad and not already failed in this boot.
uint8_t forced_candidate(const Config& cfg, const BootState& st, BootSkips skips, OnExhausted policy) {
    auto usable = [&](uint8_t ci) {
        if (ci == kNoSlot || skips.has(ci)) return false;
        uint8_t ri = record_index(cfg, st, ci);
        return ri != kNoSlot && !st.slots[ri].has(kSlotBad);
    };
    if (policy == OnExhausted::rescue) {
        for (uint8_t ci = 0; ci < cfg.slot_count; ++ci) {
            if (cfg.slots[ci].rescue && usable(ci)) return ci;
        }
    }
    uint8_t lg = config_index(cfg, st, st.last_good_slot);
    if (usable(lg)) return lg;
    // Never blessed anything (for example the agent is not installed yet): keep
    // booting the normal order ignoring counters rather than leaving the machine dead.
    uint8_t def = config_index(cfg, st, st.default_slot);
    if (usable(def)) return def;
    def = cfg.find(cfg.default_slot);
    if (usable(def)) return def;
    for (uint8_t ci = 0; ci < cfg.slot_count; ++ci) {
        if (usable(ci)) return ci;
    }
    return kNoSlot;
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

bool account_previous_attempt(BootState& st, const BootFacts& facts, TextBuffer<200>* what) {
    if (st.attempt_slot == kNoSlot) return false;
    uint8_t ri = st.attempt_slot;
    SlotState& slot = st.slots[ri];
    bool by_watchdog = facts.cause == ResetCause::watchdog;
    slot.last_outcome = by_watchdog ? Outcome::watchdog_reset : Outcome::unclean_reset;
    slot.consecutive_failures = sat_inc(slot.consecutive_failures);
    st.journal_add(st.attempt_boot_id, ri, by_watchdog ? Event::watchdog_reset : Event::unclean_reset, facts.cause,
                   slot.tries_left, facts.now);
    if (slot.tries_left == 0 && !slot.has(kSlotBad)) {
        st.journal_add(st.attempt_boot_id, ri, Event::slot_exhausted, facts.cause, 0, facts.now);
    }
    if (what != nullptr) {
        what->clear();
        what->append("slot ");
        append_quoted(*what, slot.name);
        what->append(" failed (").append(by_watchdog ? "watchdog reset" : "reset without blessing");
        if (st.trial_slot == ri) {
            // A trial's tries were granted by `try`, not by max_tries: say what is left.
            what->append(", trial, ").append_uint(slot.tries_left).append(" tries left)");
        } else {
            what->append(", attempt ")
                .append_uint(static_cast<uint8_t>(slot.max_tries - slot.tries_left))
                .append("/")
                .append_uint(slot.max_tries)
                .append(")");
        }
    }
    clear_attempt(st);
    return true;
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
            d.reason.append("booting trial ");
            append_quoted(d.reason, slot.name);
            d.reason.append(" (tries ").append_uint(slot.tries_left).append(" left)");
            return d;
        }
        // Out of tries (or gone) without a blessing: the trial is over, the default
        // order resumes. The trial slot does not become the default.
        st.journal_add(boot, ri, Event::trial_abandoned, facts.cause, slot.tries_left, facts.now);
        clear_trial(st);
    }

    // 2. The default order: the operator's default, the config's default, file order.
    uint8_t order[kMaxSlots];
    uint8_t n = 0;
    auto push = [&](uint8_t ci) {
        if (ci == kNoSlot || ci >= cfg.slot_count) return;
        for (uint8_t i = 0; i < n; ++i) {
            if (order[i] == ci) return;
        }
        order[n++] = ci;
    };
    push(config_index(cfg, st, st.default_slot));
    push(cfg.find(cfg.default_slot));
    for (uint8_t ci = 0; ci < cfg.slot_count; ++ci) push(ci);

    TextBuffer<200> passed;
    for (uint8_t i = 0; i < n; ++i) {
        uint8_t ci = order[i];
        uint8_t ri = record_index(cfg, st, ci);
        if (ri == kNoSlot) continue;
        const SlotState& slot = st.slots[ri];
        if (skips.has(ci) || slot.has(kSlotBad) || slot.tries_left == 0) {
            passed.append(passed.size() ? ", " : "; skipped ");
            append_quoted(passed, slot.name);
            passed.append(" (").append(skip_reason(slot, skips.has(ci))).append(")");
            continue;
        }
        d.action = Action::boot_slot;
        d.config_slot = ci;
        d.record_slot = ri;
        d.reason.append("booting ");
        append_quoted(d.reason, slot.name);
        d.reason.append(" (tries ").append_uint(slot.tries_left).append("/").append_uint(slot.max_tries).append(")");
        d.reason.append(passed.c_str());
        return d;
    }

    // 3. Every slot exhausted: the configured policy.
    st.journal_add(boot, kNoSlot, Event::all_exhausted, facts.cause, static_cast<uint8_t>(cfg.on_exhausted), facts.now);
    d.reason.append("all slots exhausted, on-exhausted ").append(to_string(cfg.on_exhausted)).append(": ");
    switch (cfg.on_exhausted) {
        case OnExhausted::reset: {
            // Unlike the operator's `reset`, slots marked bad stay bad: the automatic
            // retry must not undo an operator's or a health check's verdict.
            for (SlotState& slot : st.slots) {
                if (!slot.used() || slot.has(kSlotBad)) continue;
                slot.tries_left = slot.max_tries;
                slot.consecutive_failures = 0;
            }
            st.journal_add(boot, kNoSlot, Event::counters_reset, facts.cause, 0, facts.now);
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
    d.reason.append("booting ");
    append_quoted(d.reason, cfg.slots[ci].name);
    d.reason.append(" ignoring its counters");
    if (d.record_slot == st.last_good_slot) d.reason.append(" (last known good)");
    else if (cfg.slots[ci].rescue) d.reason.append(" (rescue)");
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
    st.attempt_slot = d.record_slot;
    st.attempt_boot_id = boot_id;
    st.journal_add(boot_id, d.record_slot, d.forced ? Event::attempt_forced : Event::attempt, facts.cause,
                   slot.tries_left, facts.now);
    return boot_id;
}

void record_image_failure(BootState& st, const Config& cfg, uint8_t config_slot, Event event,
                          const BootFacts& facts) {
    uint8_t ri = record_index(cfg, st, config_slot);
    if (ri == kNoSlot) return;
    SlotState& slot = st.slots[ri];
    uint32_t boot = st.attempt_slot == ri ? st.attempt_boot_id : st.last_boot_id;
    slot.tries_left = 0;
    slot.last_outcome = event == Event::start_failed ? Outcome::start_failed : Outcome::load_failed;
    slot.consecutive_failures = sat_inc(slot.consecutive_failures);
    st.journal_add(boot, ri, event, facts.cause, 0, facts.now);
    if (st.attempt_slot == ri) clear_attempt(st);
}

Status bless(BootState& st, uint32_t boot_id, uint64_t now) {
    if (st.attempt_slot == kNoSlot) {
        // Blessing twice is harmless: the boot is already good.
        for (const SlotState& slot : st.slots) {
            if (slot.used() && slot.last_boot_id == boot_id && boot_id != 0 &&
                slot.last_outcome == Outcome::blessed) {
                return Status::ok;
            }
        }
        return Status::not_found;
    }
    if (st.attempt_boot_id != boot_id) return Status::invalid_argument;
    uint8_t ri = st.attempt_slot;
    SlotState& slot = st.slots[ri];
    slot.flags = static_cast<uint8_t>((slot.flags | kSlotGood) & ~kSlotTrial);
    slot.tries_left = slot.max_tries;
    slot.consecutive_failures = 0;
    slot.last_outcome = Outcome::blessed;
    st.last_good_slot = ri;
    if (st.trial_slot == ri) st.trial_slot = kNoSlot;
    clear_attempt(st);
    st.journal_add(boot_id, ri, Event::blessed, ResetCause::unknown, slot.max_tries, now);
    return Status::ok;
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
    slot.tries_left = slot.max_tries;
    slot.consecutive_failures = 0;
    st.default_slot = ri;
    st.journal_add(current_boot_id(st), ri, Event::default_set, ResetCause::unknown, slot.max_tries, now);
    return Status::ok;
}

Status request_trial(BootState& st, uint8_t ri, uint8_t tries, uint64_t now) {
    if (!valid_record_slot(st, ri)) return Status::not_found;
    SlotState& slot = st.slots[ri];
    if (tries == 0 || tries > slot.max_tries) return Status::invalid_argument;
    clear_trial(st);
    slot.flags = static_cast<uint8_t>((slot.flags & ~kSlotBad) | kSlotTrial);
    slot.tries_left = tries;
    st.trial_slot = ri;
    st.journal_add(current_boot_id(st), ri, Event::trial_requested, ResetCause::unknown, tries, now);
    return Status::ok;
}

Status reset_counters(BootState& st, uint64_t now) {
    for (SlotState& slot : st.slots) {
        if (!slot.used()) continue;
        slot.tries_left = slot.max_tries;
        slot.flags = static_cast<uint8_t>(slot.flags & ~kSlotBad);
        slot.consecutive_failures = 0;
    }
    st.journal_add(current_boot_id(st), kNoSlot, Event::counters_reset, ResetCause::unknown, 0, now);
    return Status::ok;
}

}  // namespace wdboot
