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

            // 1. The state is always readable: at most the torn copy is damaged.
            if (after_l.corrupt_mask == 3) fail("both copies damaged");
            if (!tear && after_l.corrupt && !before_l.corrupt) fail("a copy was damaged without a torn write");
            if (!after_l.from_copy && gen_before > 0) fail("state lost");

            // 2. One write per started image at most; a torn write spends nothing more.
            int start_failures = 0;
            for (const auto& l : b.lines) start_failures += l.find("returned from StartImage") != std::string::npos;
            // One write per attempt (each loaded image), and one for the outcome when nothing started.
            if (b.writes > static_cast<int>(b.loaded.size()) + 1) fail("too many writes in one boot");
            (void)start_failures;
            if (after_l.from_copy && after.generation != gen_before + static_cast<uint32_t>(b.writes) && !tear)
                fail("generation does not count the writes");

            // 3. At most one try spent per boot on the booted slot; others only lose
            //    their tries when their image failed to load or start in this boot.
            if (!tear) {
                for (uint8_t ci = 0; ci < w.cfg.slot_count; ++ci) {
                    uint8_t ri = after.find_slot(w.cfg.slots[ci].name);
                    uint8_t rb = before.find_slot(w.cfg.slots[ci].name);
                    if (ri == kNoSlot) fail("configured slot missing from the record");
                    const SlotState& sa = after.slots[ri];
                    if (sa.tries_left > sa.max_tries) fail("tries above max");
                    int tb = rb == kNoSlot ? w.cfg.tries_for(w.cfg.slots[ci]) : before.slots[rb].tries_left;
                    bool failed_image = w.behaviour[ci] == Behaviour::missing || w.behaviour[ci] == Behaviour::refuses;
                    bool restored = before.trial_slot == kNoSlot && sa.tries_left > tb;  // on-exhausted reset
                    if (sa.tries_left < tb - 1 && !(failed_image && sa.tries_left == 0)) fail("more than one try spent");
                    if (sa.tries_left == tb - 1 && !failed_image && b.slot != w.cfg.slots[ci].name &&
                        !(b.result.action == Action::reset_machine))
                        fail("a try spent on a slot that did not boot");
                    (void)restored;
                }
            }

            // 4. Never give up while a bootable slot exists under last-good/rescue.
            bool any_loadable = false;
            for (uint8_t ci = 0; ci < w.cfg.slot_count; ++ci) {
                uint8_t ri = after.find_slot(w.cfg.slots[ci].name);
                bool bad = ri != kNoSlot && after.slots[ri].has(kSlotBad);
                if (!bad && (w.behaviour[ci] == Behaviour::good || w.behaviour[ci] == Behaviour::hangs)) any_loadable = true;
            }
            bool gentle = w.cfg.on_exhausted == OnExhausted::last_good || w.cfg.on_exhausted == OnExhausted::rescue;
            if (gentle && any_loadable && !b.took_over) fail("returned without booting a loadable slot");
            if (b.took_over) {
                if (after.attempt_slot != after.find_slot(b.slot.c_str()) && !tear && !after_l.read_only)
                    fail("attempt marker not set for the booted slot");
                if (!tear && after.attempt_boot_id != b.boot_id) fail("attempt boot id mismatch");
            }

            // 5. A normal attempt needs a try left; a forced one happens only when no
            //    loadable slot has tries left.
            if (b.took_over && !tear && !after_l.read_only) {
                const JournalEntry& last = after.journal_newest(0);
                uint8_t ri = after.find_slot(b.slot.c_str());
                uint8_t rb = before.find_slot(b.slot.c_str());
                int tb = rb == kNoSlot ? w.cfg.tries_for(w.cfg.slots[w.cfg.find(b.slot.c_str())]) : before.slots[rb].tries_left;
                if (last.event == Event::attempt) {
                    // Every slot exhausted and this one never proven bad: its tries came back
                    // in this boot (counters-reset, detail 1) before it was chosen.
                    const bool restored_now = tb == 0 && !(before.flags & kStateUnprovenRestored) &&
                                              (after.flags & kStateUnprovenRestored);
                    if (restored_now) tb = after.slots[ri].max_tries;
                    if (tb < 1 || after.slots[ri].tries_left != tb - 1) {
                        std::ostringstream j;
                        for (size_t k = 0; k < after.journal_count; ++k) {
                            const JournalEntry& e = after.journal_newest(k);
                            j << " " << to_string(e.event) << "(" << int(e.slot) << "," << int(e.detail) << ")";
                        }
                        fail("normal attempt without a try to spend: tb " + std::to_string(tb) + " after " +
                             std::to_string(after.slots[ri].tries_left) + "; journal" + j.str());
                    }
                } else if (last.event == Event::attempt_forced) {
                    for (uint8_t ci = 0; ci < w.cfg.slot_count; ++ci) {
                        const SlotState& sa = after.slots[after.find_slot(w.cfg.slots[ci].name)];
                        if (sa.tries_left > 0 && !sa.has(kSlotBad)) fail("forced boot while a slot had tries");
                    }
                } else {
                    fail("the newest journal entry is not the attempt");
                }
            }

            // 6. The trial never becomes the default by itself.
            if (after.default_slot != before.default_slot && !tear && before_l.from_copy)
                fail("default changed without set-default");

            // 7. Liveness: a slot that was just blessed boots again next time.
            if (expect_same_slot && !tear && b.took_over && before.trial_slot == kNoSlot && b.slot != previous_slot)
                fail("a blessed slot was not booted again");
            expect_same_slot = false;

            if (after.journal_count > kJournalEntries) fail("journal overflow");

            // What happens to the machine after this boot.
            next_cause = ResetCause::power_on;
            if (!b.took_over) continue;
            uint8_t ci = w.cfg.find(b.slot.c_str());
            if (ci != 0 || true) {
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
