// Property test: 10,000 random machines, each living through a random sequence of
// boots and outcomes (blessing, watchdog reset, power cut — also in the middle of the
// state write —, images missing or refusing to start, operator commands). Invariants
// are checked after every step. A failure prints the seed and the step history.
#include <catch2/catch.hpp>

#include <cstring>
#include <random>
#include <sstream>

#include "fixtures.hpp"
#include "wdboot/slot_policy.hpp"

using namespace wdboot;
using wdtest::Machine;

namespace {

enum class Behaviour { good, hangs, missing, refuses };

struct World {
    std::mt19937 rng;
    Config cfg;
    std::vector<Behaviour> behaviour;
    std::ostringstream history;

    uint32_t pick(uint32_t n) { return static_cast<uint32_t>(rng() % n); }
};

const char* kNames[] = {"primary", "fallback", "rescue", "extra", "five"};

Config random_config(World& w) {
    uint32_t n = 1 + w.pick(4);
    Config cfg = wdtest::make_config({}, static_cast<uint8_t>(1 + w.pick(4)));
    for (uint32_t i = 0; i < n; ++i) {
        SlotConfig& s = cfg.slots[cfg.slot_count++];
        std::strcpy(s.name, kNames[i]);
        s.kind = ImageKind::linux_efi;
        if (w.pick(4) == 0) s.tries = static_cast<uint8_t>(1 + w.pick(5));
    }
    cfg.slots[n - 1].rescue = w.pick(2) == 0;
    const OnExhausted policies[] = {OnExhausted::last_good, OnExhausted::rescue, OnExhausted::reset, OnExhausted::halt};
    cfg.on_exhausted = policies[w.pick(4)];
    if (w.pick(3) == 0) std::strcpy(cfg.default_slot, kNames[w.pick(n)]);
    return cfg;
}

// One boot of one random machine, as the invariants see it.
struct Step {
    const World& w;
    const Machine::Boot& b;
    bool tear;
    const LoadedState& before_l;
    const LoadedState& after_l;
    const BootState& before;
    const BootState& after;
    uint32_t gen_before;
    bool expect_same_slot;  // the previous step blessed (or set as default) previous_slot
    const std::string& previous_slot;
};

// Each invariant returns "" when it holds, else what it saw. They are checked after
// every step; a failure names the invariant, the seed and the step history.
using Check = std::string (*)(const Step&);

// The state is always readable: at most the torn copy is damaged.
std::string state_readable(const Step& s) {
    if (s.after_l.corrupt_mask == 3) return "both copies damaged";
    if (!s.tear && s.after_l.corrupt && !s.before_l.corrupt) return "a copy was damaged without a torn write";
    if (!s.after_l.from_copy && s.gen_before > 0) return "state lost";
    return "";
}

// One write per attempt (each loaded image), and one for the outcome when nothing
// started; a torn write spends nothing more.
std::string writes_bounded(const Step& s) {
    if (s.b.writes > static_cast<int>(s.b.loaded.size()) + 1) return "too many writes in one boot";
    if (s.after_l.from_copy && !s.tear && s.after.generation != s.gen_before + static_cast<uint32_t>(s.b.writes))
        return "generation does not count the writes";
    return "";
}

// At most one try spent per boot on the booted slot; others only lose their tries when
// their image failed to load or start in this boot.
std::string one_try_per_boot(const Step& s) {
    if (s.tear) return "";
    const Config& cfg = s.w.cfg;
    for (uint8_t ci = 0; ci < cfg.slot_count; ++ci) {
        uint8_t ri = s.after.find_slot(cfg.slots[ci].name);
        uint8_t rb = s.before.find_slot(cfg.slots[ci].name);
        if (ri == kNoSlot) return "configured slot missing from the record";
        const SlotState& sa = s.after.slots[ri];
        if (sa.tries_left > sa.max_tries) return "tries above max";
        int tb = rb == kNoSlot ? cfg.tries_for(cfg.slots[ci]) : s.before.slots[rb].tries_left;
        bool failed_image = s.w.behaviour[ci] == Behaviour::missing || s.w.behaviour[ci] == Behaviour::refuses;
        // A crash-loop demotion takes every try: a watchdog reset whose attempt a torn
        // write lost looks like a runtime hang of the blessed boot before it.
        bool demoted = false;
        for (size_t k = 0; k < s.after.journal_count; ++k) {
            const JournalEntry& e = s.after.journal_newest(k);
            if (e.event == Event::crash_loop && e.slot == ri && e.boot_id == s.before.last_boot_id) demoted = true;
        }
        if (sa.tries_left < tb - 1 && !(failed_image && sa.tries_left == 0) && !demoted) return "more than one try spent";
        if (sa.tries_left == tb - 1 && !failed_image && s.b.slot != cfg.slots[ci].name &&
            s.b.result.action != Action::reset_machine)
            return "a try spent on a slot that did not boot";
    }
    return "";
}

// Never give up while a bootable slot exists under last-good/rescue; a booted slot's
// attempt is on record.
std::string boots_when_it_can(const Step& s) {
    const Config& cfg = s.w.cfg;
    bool any_loadable = false;
    for (uint8_t ci = 0; ci < cfg.slot_count; ++ci) {
        uint8_t ri = s.after.find_slot(cfg.slots[ci].name);
        bool bad = ri != kNoSlot && s.after.slots[ri].has(kSlotBad);
        if (!bad && (s.w.behaviour[ci] == Behaviour::good || s.w.behaviour[ci] == Behaviour::hangs)) any_loadable = true;
    }
    bool gentle = cfg.on_exhausted == OnExhausted::last_good || cfg.on_exhausted == OnExhausted::rescue;
    if (gentle && any_loadable && !s.b.took_over) return "returned without booting a loadable slot";
    if (s.b.took_over && !s.tear) {
        if (s.after.attempt_slot != s.after.find_slot(s.b.slot.c_str()) && !s.after_l.read_only)
            return "attempt marker not set for the booted slot";
        if (s.after.attempt_boot_id != s.b.boot_id) return "attempt boot id mismatch";
    }
    return "";
}

// A normal attempt needs a try left; a forced one happens only when no loadable slot
// has tries left.
std::string attempts_need_tries(const Step& s) {
    if (!s.b.took_over || s.tear || s.after_l.read_only) return "";
    const Config& cfg = s.w.cfg;
    const JournalEntry& last = s.after.journal_newest(0);
    uint8_t ri = s.after.find_slot(s.b.slot.c_str());
    uint8_t rb = s.before.find_slot(s.b.slot.c_str());
    int tb = rb == kNoSlot ? cfg.tries_for(cfg.slots[cfg.find(s.b.slot.c_str())]) : s.before.slots[rb].tries_left;
    if (last.event == Event::attempt) {
        // Every slot exhausted and this one never proven bad: its tries came back in this
        // boot (counters-reset, detail 1) before it was chosen.
        const bool restored_now = tb == 0 && !(s.before.flags & kStateUnprovenRestored) &&
                                  (s.after.flags & kStateUnprovenRestored);
        if (restored_now) tb = s.after.slots[ri].max_tries;
        if (tb < 1 || s.after.slots[ri].tries_left != tb - 1) {
            std::ostringstream j;
            for (size_t k = 0; k < s.after.journal_count; ++k) {
                const JournalEntry& e = s.after.journal_newest(k);
                j << " " << to_string(e.event) << "(" << int(e.slot) << "," << int(e.detail) << ")";
            }
            return "normal attempt without a try to spend: tries before " + std::to_string(tb) + ", after " +
                   std::to_string(s.after.slots[ri].tries_left) + "; journal" + j.str();
        }
        return "";
    }
    if (last.event == Event::attempt_forced) {
        for (uint8_t ci = 0; ci < cfg.slot_count; ++ci) {
            const SlotState& sa = s.after.slots[s.after.find_slot(cfg.slots[ci].name)];
            if (sa.tries_left > 0 && !sa.has(kSlotBad)) return "forced boot while a slot had tries";
        }
        return "";
    }
    return "the newest journal entry is not the attempt";
}

// The trial never becomes the default by itself.
std::string default_only_by_command(const Step& s) {
    if (s.after.default_slot != s.before.default_slot && !s.tear && s.before_l.from_copy)
        return "default changed without set-default";
    return "";
}

// A slot that was just blessed (or set as default) boots again next time.
std::string blessed_slot_boots_again(const Step& s) {
    if (s.expect_same_slot && !s.tear && s.b.took_over && s.before.trial_slot == kNoSlot &&
        s.b.slot != s.previous_slot)
        return "a blessed slot was not booted again (" + s.previous_slot + ", booted " + s.b.slot + ")";
    return "";
}

std::string journal_bounded(const Step& s) {
    return s.after.journal_count > kJournalEntries ? "journal overflow" : "";
}

struct Invariant {
    const char* name;
    Check check;
};
constexpr Invariant kInvariants[] = {
    {"state-readable", state_readable},
    {"writes-bounded", writes_bounded},
    {"one-try-per-boot", one_try_per_boot},
    {"boots-when-it-can", boots_when_it_can},
    {"attempts-need-tries", attempts_need_tries},
    {"default-only-by-command", default_only_by_command},
    {"blessed-slot-boots-again", blessed_slot_boots_again},
    {"journal-bounded", journal_bounded},
};

}  // namespace

TEST_CASE("10,000 random boot sequences keep every invariant", "[policy][random]") {
    int sequences = 0;
    int boots = 0;
    int failovers = 0;
    for (uint32_t seed = 1; seed <= 10000; ++seed) {
        World w{std::mt19937(seed), {}, {}, {}};
        w.cfg = random_config(w);
        for (uint8_t i = 0; i < w.cfg.slot_count; ++i) {
            uint32_t r = w.pick(10);
            w.behaviour.push_back(r < 5 ? Behaviour::good : r < 8 ? Behaviour::hangs : r < 9 ? Behaviour::missing : Behaviour::refuses);
        }
        Machine m(w.cfg);
        ResetCause next_cause = ResetCause::power_on;
        uint32_t steps = 10 + w.pick(30);
        std::string previous_slot;
        bool expect_same_slot = false;

        auto fail = [&](const std::string& what) {
            FAIL("seed " << seed << ": " << what << "\nhistory:\n" << w.history.str());
        };

        for (uint32_t step = 0; step < steps; ++step) {
            // Sometimes the power fails in the middle of the loader's state write.
            bool tear = w.pick(12) == 0;
            if (tear) m.store.tear_next_write_at = static_cast<int>(w.pick(kRecordSize));
            LoadedState before_l = load_state(m.store);
            BootState before = before_l.state;
            uint32_t gen_before = before_l.from_copy ? before.generation : 0;

            std::vector<std::string> missing, refuse;
            for (uint8_t i = 0; i < w.cfg.slot_count; ++i) {
                if (w.behaviour[i] == Behaviour::missing) missing.push_back(w.cfg.slots[i].name);
                if (w.behaviour[i] == Behaviour::refuses) refuse.push_back(w.cfg.slots[i].name);
            }
            auto b = m.boot(next_cause, missing, refuse);
            ++boots;
            w.history << "  boot(cause=" << to_string(next_cause) << (tear ? ", torn write" : "") << ") -> "
                      << (b.took_over ? b.slot : to_string(b.result.action)) << "\n";

            LoadedState after_l = load_state(m.store);
            BootState after = after_l.state;
            Step seen{w, b, tear, before_l, after_l, before, after, gen_before, expect_same_slot, previous_slot};
            for (const Invariant& inv : kInvariants) {
                std::string broken = inv.check(seen);
                if (!broken.empty()) fail(std::string("invariant ") + inv.name + " broke at step " +
                                          std::to_string(step) + ": " + broken);
            }
            expect_same_slot = false;

            // What happens to the machine after this boot.
            next_cause = ResetCause::power_on;
            if (!b.took_over) continue;
            uint8_t ci = w.cfg.find(b.slot.c_str());
            if (w.behaviour[ci] == Behaviour::good && w.pick(5) != 0) {
                Status s = m.bless(b.boot_id);
                if (!tear && s != Status::ok) fail(std::string("bless failed: ") + to_string(s));
                if (s == Status::ok) {
                    BootState blessed = m.state();
                    const SlotState& sl = blessed.slots[blessed.find_slot(b.slot.c_str())];
                    if (!sl.has(kSlotGood) || sl.tries_left != sl.max_tries || blessed.attempt_slot != kNoSlot)
                        fail("blessing did not restore the slot");
                    // A blessed trial is good, but the default order resumes after it.
                    bool was_trial = after.trial_slot != kNoSlot && after.trial_slot == after.find_slot(b.slot.c_str());
                    // A good slot earlier in the order that lost tries only to power
                    // cuts gets them back with this blessing, and boots next.
                    const bool gave_back = blessed.journal_newest(0).event == Event::counters_reset &&
                                           blessed.journal_newest(0).detail ==
                                               static_cast<uint8_t>(CountersReset::after_blessing);
                    previous_slot = b.slot;
                    expect_same_slot = !was_trial && !gave_back;
                    ++failovers;
                }
                w.history << "    blessed\n";
            } else {
                next_cause = w.pick(4) == 0 ? ResetCause::power_on : ResetCause::watchdog;
                w.history << "    " << (next_cause == ResetCause::watchdog ? "hang, watchdog" : "power cut") << "\n";
            }
            // Operator commands while the system is up.
            if (w.pick(8) == 0) {
                uint8_t target = static_cast<uint8_t>(w.pick(w.cfg.slot_count));
                const char* name = w.cfg.slots[target].name;
                uint32_t which = w.pick(4);
                Status s = m.command([&](BootState& st) {
                    uint8_t ri = st.find_slot(name);
                    switch (which) {
                        case 0: return mark_bad(st, ri, 0);
                        case 1: return set_default(st, ri, 0);
                        case 2: return request_trial(st, ri, 1, 0);
                        default: return reset_counters(st, 0);
                    }
                });
                const char* names[] = {"mark-bad", "set-default", "try", "reset"};
                w.history << "    " << names[which] << " " << name << " -> " << to_string(s) << "\n";
                expect_same_slot = false;
                if (which == 1 && s == Status::ok) {
                    // The new default is booted next unless a trial is pending.
                    previous_slot = name;
                    expect_same_slot = w.behaviour[target] != Behaviour::missing &&
                                       w.behaviour[target] != Behaviour::refuses;
                }
            }
        }
        ++sequences;
    }
    REQUIRE(sequences == 10000);
    REQUIRE(boots > 200000);
    REQUIRE(failovers > 10000);
}
