// Policy scenarios asserted as whole sequences (as barebox's bootchooser tests do):
// counters boot by boot, trial revert, blessing, every on-exhausted policy.
#include <catch2/catch.hpp>

#include <algorithm>

#include <cstring>

#include "fixtures.hpp"
#include "wdboot/slot_policy.hpp"

using namespace wdboot;
using wdtest::Machine;

namespace {

bool journal_has(const BootState& st, Event e, size_t within = kJournalEntries) {
    for (size_t i = 0; i < st.journal_count && i < within; ++i) {
        if (st.journal_newest(i).event == e) return true;
    }
    return false;
}

bool journal_has_detail(const BootState& st, Event e, uint8_t detail) {
    for (size_t i = 0; i < st.journal_count; ++i) {
        if (st.journal_newest(i).event == e && st.journal_newest(i).detail == detail) return true;
    }
    return false;
}

}  // namespace

TEST_CASE("a failing primary is tried 3 times, then the fallback boots", "[policy]") {
    Machine m(wdtest::make_config({"primary", "fallback"}));
    // First boot ever: primary, 3 -> 2 tries left.
    auto b = m.boot(ResetCause::power_on);
    REQUIRE(b.took_over);
    REQUIRE(b.slot == "primary");
    REQUIRE(b.writes == 1);
    REQUIRE(m.slot("primary").tries_left == 2);
    REQUIRE(journal_has(m.state(), Event::state_created));

    // The watchdog resets the machine twice more: 2 -> 1 -> 0.
    for (uint8_t expect : {uint8_t{1}, uint8_t{0}}) {
        b = m.boot(ResetCause::watchdog);
        REQUIRE(b.slot == "primary");
        REQUIRE(b.writes == 1);
        REQUIRE(m.slot("primary").tries_left == expect);
        REQUIRE(m.slot("primary").last_outcome == Outcome::in_progress);
        REQUIRE(m.state().journal_newest(1).event == Event::watchdog_reset);
    }
    REQUIRE(m.slot("primary").consecutive_failures == 2);

    // Third failure: primary exhausted, fallback with full tries.
    b = m.boot(ResetCause::watchdog);
    REQUIRE(b.slot == "fallback");
    REQUIRE(b.writes == 1);
    BootState st = m.state();
    REQUIRE(st.slots[st.find_slot("primary")].tries_left == 0);
    REQUIRE(st.slots[st.find_slot("primary")].last_outcome == Outcome::watchdog_reset);
    REQUIRE(st.slots[st.find_slot("fallback")].tries_left == 2);
    REQUIRE(journal_has(st, Event::slot_exhausted, 3));
    // The decision line explains the failover.
    bool explained = false;
    for (const auto& l : b.lines) {
        if (l == "wdboot: slot \"primary\" failed (watchdog reset, attempt 3/3) -> booting \"fallback\" (tries 3/3); "
                 "skipped \"primary\" (no tries left)")
            explained = true;
    }
    INFO(b.lines.back());
    REQUIRE(explained);

    // The fallback is blessed: it stays the boot target with full tries.
    REQUIRE(m.bless(b.boot_id) == Status::ok);
    st = m.state();
    REQUIRE(st.slots[st.find_slot("fallback")].tries_left == 3);
    REQUIRE(st.slots[st.find_slot("fallback")].has(kSlotGood));
    REQUIRE(st.last_good_slot == st.find_slot("fallback"));
    REQUIRE(st.attempt_slot == kNoSlot);
    b = m.boot(ResetCause::power_on);
    REQUIRE(b.slot == "fallback");
}

TEST_CASE("a reset without the watchdog flag is counted as an unclean reset", "[policy]") {
    Machine m(wdtest::make_config({"primary", "fallback"}));
    m.boot(ResetCause::power_on);
    m.boot(ResetCause::power_on);  // power cut or panic reboot: no watchdog flag
    BootState st = m.state();
    REQUIRE(st.journal_newest(1).event == Event::unclean_reset);
    REQUIRE(st.journal_newest(1).cause == ResetCause::power_on);
    REQUIRE(st.slots[0].tries_left == 1);
}

TEST_CASE("a blessed primary keeps booting with full tries", "[policy]") {
    Machine m(wdtest::make_config({"primary", "fallback"}));
    for (int i = 0; i < 10; ++i) {
        auto b = m.boot(ResetCause::power_on);
        REQUIRE(b.slot == "primary");
        REQUIRE(b.writes == 1);
        REQUIRE(m.slot("primary").tries_left == 2);
        REQUIRE(m.bless(b.boot_id) == Status::ok);
        REQUIRE(m.slot("primary").tries_left == 3);
        REQUIRE(m.slot("primary").boots == static_cast<uint32_t>(i + 1));
    }
    // Blessing twice is harmless, blessing a stale boot is refused.
    REQUIRE(m.bless(m.state().last_boot_id) == Status::ok);
    auto b = m.boot(ResetCause::power_on);
    REQUIRE(m.bless(b.boot_id - 1) == Status::invalid_argument);
}

TEST_CASE("a one-shot trial that fails reverts to the default", "[policy]") {
    Machine m(wdtest::make_config({"primary", "fallback", "new"}));
    auto b = m.boot(ResetCause::power_on);
    REQUIRE(m.bless(b.boot_id) == Status::ok);
    REQUIRE(m.command([](BootState& s) { return request_trial(s, s.find_slot("new"), 1, 0); }) == Status::ok);
    REQUIRE(m.state().trial_slot == m.state().find_slot("new"));

    b = m.boot(ResetCause::power_on);
    REQUIRE(b.slot == "new");
    REQUIRE(m.slot("new").tries_left == 0);
    REQUIRE(m.slot("new").has(kSlotTrial));

    // It hangs: the watchdog fires. The trial is abandoned, the default order resumes.
    b = m.boot(ResetCause::watchdog);
    REQUIRE(b.slot == "primary");
    REQUIRE(b.lines.back().rfind("wdboot: slot \"new\" failed (watchdog reset, trial, 0 tries left) -> booting \"primary\"", 0) == 0);
    BootState st = m.state();
    REQUIRE(st.trial_slot == kNoSlot);
    REQUIRE_FALSE(st.slots[st.find_slot("new")].has(kSlotTrial));
    REQUIRE(journal_has(st, Event::trial_abandoned, 4));
    REQUIRE(st.default_slot == kNoSlot);  // the trial never became the default
    REQUIRE(st.slots[st.find_slot("primary")].tries_left == 2);
    // And the next boots stay on primary.
    REQUIRE(m.bless(b.boot_id) == Status::ok);
    REQUIRE(m.boot(ResetCause::power_on).slot == "primary");
}

TEST_CASE("a one-shot trial that is blessed stays good", "[policy]") {
    Machine m(wdtest::make_config({"primary", "new"}));
    auto b = m.boot(ResetCause::power_on);
    REQUIRE(m.bless(b.boot_id) == Status::ok);
    REQUIRE(m.command([](BootState& s) { return request_trial(s, s.find_slot("new"), 2, 0); }) == Status::ok);
    b = m.boot(ResetCause::power_on);
    REQUIRE(b.slot == "new");
    REQUIRE(m.bless(b.boot_id) == Status::ok);
    BootState st = m.state();
    const SlotState& n = st.slots[st.find_slot("new")];
    REQUIRE(n.has(kSlotGood));
    REQUIRE_FALSE(n.has(kSlotTrial));
    REQUIRE(n.tries_left == 3);
    REQUIRE(st.trial_slot == kNoSlot);
    REQUIRE(st.last_good_slot == st.find_slot("new"));
    // The default order is unchanged: set-default is the explicit promotion.
    REQUIRE(m.boot(ResetCause::power_on).slot == "primary");
}

TEST_CASE("a trial with several tries is retried, then abandoned", "[policy]") {
    Machine m(wdtest::make_config({"primary", "new"}));
    m.boot(ResetCause::power_on);
    REQUIRE(m.command([](BootState& s) { return request_trial(s, s.find_slot("new"), 2, 0); }) == Status::ok);
    REQUIRE(m.boot(ResetCause::watchdog).slot == "new");
    REQUIRE(m.boot(ResetCause::watchdog).slot == "new");
    REQUIRE(m.boot(ResetCause::watchdog).slot == "primary");
    REQUIRE(m.state().trial_slot == kNoSlot);
}

TEST_CASE("on-exhausted last-good boots the last blessed slot ignoring counters", "[policy]") {
    Config cfg = wdtest::make_config({"primary", "fallback"}, 2);
    cfg.on_exhausted = OnExhausted::last_good;
    Machine m(cfg);
    // fallback is blessed once, long ago.
    REQUIRE(m.command([](BootState& s) {
        reconcile(wdtest::make_config({"primary", "fallback"}, 2), s);
        return set_default(s, s.find_slot("fallback"), 0);
    }) == Status::ok);
    auto b = m.boot(ResetCause::power_on);
    REQUIRE(b.slot == "fallback");
    REQUIRE(m.bless(b.boot_id) == Status::ok);
    REQUIRE(m.command([](BootState& s) {
        s.default_slot = kNoSlot;
        return Status::ok;
    }) == Status::ok);
    // Now everything fails: primary twice, fallback twice.
    std::vector<std::string> seq;
    for (int i = 0; i < 4; ++i) seq.push_back(m.boot(ResetCause::watchdog).slot);
    REQUIRE(seq == std::vector<std::string>{"primary", "primary", "fallback", "fallback"});
    b = m.boot(ResetCause::watchdog);
    REQUIRE(b.took_over);
    REQUIRE(b.slot == "fallback");
    BootState st = m.state();
    REQUIRE(journal_has(st, Event::all_exhausted, 3));
    REQUIRE(st.journal_newest(0).event == Event::attempt_forced);
    REQUIRE(st.slots[st.find_slot("fallback")].tries_left == 0);  // forced: not decremented below 0
    // Blessing the forced boot makes the slot normal again.
    REQUIRE(m.bless(b.boot_id) == Status::ok);
    REQUIRE(m.slot("fallback").tries_left == 2);
}

TEST_CASE("on-exhausted last-good with nothing ever blessed: forced boots start at the default and rotate", "[policy]") {
    Machine m(wdtest::make_config({"primary", "fallback"}, 1));
    REQUIRE(m.boot(ResetCause::power_on).slot == "primary");
    REQUIRE(m.boot(ResetCause::watchdog).slot == "fallback");
    const char* expect[] = {"primary", "fallback", "primary", "fallback"};
    for (const char* name : expect) {
        auto b = m.boot(ResetCause::watchdog);
        REQUIRE(b.slot == name);
        REQUIRE(b.writes == 1);
        REQUIRE(m.state().journal_newest(0).event == Event::attempt_forced);
    }
}

TEST_CASE("forced boots rotate: a last-good slot that keeps failing does not hold the machine", "[policy]") {
    // Issue 7, loop case 7: the fallback's tries were lost to power cuts, then the
    // primary (last good) really broke: wdboot looped on a forced primary for ever.
    Config cfg = wdtest::make_config({"primary", "fallback"}, 2);
    Machine m(cfg);
    auto b = m.boot(ResetCause::power_on);
    REQUIRE(m.bless(b.boot_id) == Status::ok);  // primary is the last good slot
    // fallback loses its tries to power cuts during two trials.
    for (int i = 0; i < 2; ++i) {
        REQUIRE(m.command([](BootState& s) { return request_trial(s, s.find_slot("fallback"), 1, 0); }) == Status::ok);
        REQUIRE(m.boot(ResetCause::power_on).slot == "fallback");
    }
    // Now primary breaks (watchdog resets). fallback was never proven bad.
    std::vector<std::string> seq;
    for (int i = 0; i < 6; ++i) {
        b = m.boot(ResetCause::watchdog);
        seq.push_back(b.slot);
        if (b.slot == "fallback") break;
    }
    REQUIRE(seq.back() == "fallback");
    REQUIRE(seq.size() <= 4);
    REQUIRE(m.bless(b.boot_id) == Status::ok);
}

TEST_CASE("every slot exhausted by power cuts: the unproven slots get their tries back once", "[policy]") {
    Config cfg = wdtest::make_config({"primary", "fallback"}, 1);
    cfg.on_exhausted = OnExhausted::halt;
    Machine m(cfg);
    REQUIRE(m.boot(ResetCause::power_on).slot == "primary");
    REQUIRE(m.boot(ResetCause::power_on).slot == "fallback");
    // Both lost their only try to unclean resets: not proven bad, so no halt yet.
    auto b = m.boot(ResetCause::power_on);
    REQUIRE(b.slot == "primary");
    BootState st = m.state();
    REQUIRE((st.flags & kStateUnprovenRestored) != 0);
    REQUIRE(journal_has_detail(st, Event::counters_reset, static_cast<uint8_t>(CountersReset::unproven_exhausted)));
    REQUIRE(m.boot(ResetCause::power_on).slot == "fallback");
    // Exhausted again with no blessing in between: now on-exhausted applies.
    b = m.boot(ResetCause::power_on);
    REQUIRE_FALSE(b.took_over);
    REQUIRE(b.poweroffs == 1);
}

TEST_CASE("a slot exhausted by watchdog resets is proven bad: its tries stay spent", "[policy]") {
    Config cfg = wdtest::make_config({"primary", "fallback"}, 1);
    cfg.on_exhausted = OnExhausted::halt;
    Machine m(cfg);
    REQUIRE(m.boot(ResetCause::power_on).slot == "primary");
    REQUIRE(m.boot(ResetCause::watchdog).slot == "fallback");
    auto b = m.boot(ResetCause::watchdog);
    REQUIRE(b.poweroffs == 1);
    REQUIRE(m.slot("primary").has(kSlotFailedHard));
}

TEST_CASE("a run of power cuts does not cost a good slot its place", "[policy]") {
    Machine m(wdtest::make_config({"primary", "fallback"}, 2));
    auto b = m.boot(ResetCause::power_on);
    REQUIRE(m.bless(b.boot_id) == Status::ok);  // primary is good
    REQUIRE(m.boot(ResetCause::power_on).slot == "primary");
    REQUIRE(m.boot(ResetCause::power_on).slot == "primary");  // power cut, power cut
    b = m.boot(ResetCause::power_on);
    REQUIRE(b.slot == "fallback");
    REQUIRE(m.bless(b.boot_id) == Status::ok);
    // fallback is up and blessed; primary lost its tries only to power cuts.
    REQUIRE(m.slot("primary").tries_left == 2);
    REQUIRE(journal_has_detail(m.state(), Event::counters_reset, static_cast<uint8_t>(CountersReset::after_blessing)));
    REQUIRE(m.boot(ResetCause::power_on).slot == "primary");
}

TEST_CASE("a watchdog the agent cannot stop: counted, fails over, and the forced boot is unprotected", "[policy]") {
    // Issue 7, loop case 1: the blessing used to be recorded, the watchdog then reset a
    // blessed boot that the loader did not count, and the same slot booted for ever.
    Config cfg = wdtest::make_config({"primary", "fallback"}, 2);
    Machine m(cfg);
    auto unstoppable = [&](uint32_t id) {
        return m.command([&](BootState& s) { return record_unstoppable(s, id, 0); });
    };
    ResetCause cause = ResetCause::power_on;
    std::vector<std::string> seq;
    for (int i = 0; i < 4; ++i) {
        auto b = m.boot(cause);
        seq.push_back(b.slot);
        REQUIRE(b.arms == 1);
        REQUIRE(unstoppable(b.boot_id) == Status::ok);
        REQUIRE(m.state().journal_newest(0).event == Event::disarm_failed);
        cause = ResetCause::watchdog;
    }
    REQUIRE(seq == std::vector<std::string>{"primary", "primary", "fallback", "fallback"});
    // Every slot cannot be stopped: the forced boot runs without the watchdog, and the
    // agent then blesses it (nothing to stop).
    auto b = m.boot(cause);
    REQUIRE(b.took_over);
    REQUIRE(b.arms == 0);
    REQUIRE(b.disarms >= 1);
    bool said = false;
    for (const auto& l : b.lines) said |= l.find("watchdog not armed") != std::string::npos;
    REQUIRE(said);
    REQUIRE(m.bless(b.boot_id) == Status::ok);
    BootState st = m.state();
    REQUIRE(st.slots[st.find_slot(b.slot.c_str())].last_outcome == Outcome::blessed);
}

TEST_CASE("on-exhausted rescue boots the rescue slot", "[policy]") {
    Config cfg = wdtest::make_config({"primary", "fallback", "rescue"}, 1);
    cfg.slots[2].rescue = true;
    cfg.on_exhausted = OnExhausted::rescue;
    Machine m(cfg);
    // The rescue slot is also in the normal order, so exhaust all three.
    REQUIRE(m.boot(ResetCause::power_on).slot == "primary");
    REQUIRE(m.boot(ResetCause::watchdog).slot == "fallback");
    REQUIRE(m.boot(ResetCause::watchdog).slot == "rescue");
    auto b = m.boot(ResetCause::watchdog);
    REQUIRE(b.slot == "rescue");
    REQUIRE(m.state().journal_newest(0).event == Event::attempt_forced);
}

TEST_CASE("on-exhausted reset restores counters and resets the machine", "[policy]") {
    Config cfg = wdtest::make_config({"primary", "fallback"}, 1);
    cfg.on_exhausted = OnExhausted::reset;
    Machine m(cfg);
    m.boot(ResetCause::power_on);
    m.boot(ResetCause::watchdog);
    auto b = m.boot(ResetCause::watchdog);
    REQUIRE_FALSE(b.took_over);
    REQUIRE(b.result.action == Action::reset_machine);
    REQUIRE(b.resets == 1);
    REQUIRE(b.writes == 1);
    BootState st = m.state();
    REQUIRE(journal_has(st, Event::counters_reset, 2));
    REQUIRE(st.slots[0].tries_left == 1);
    REQUIRE(st.slots[1].tries_left == 1);
    // After the reset the cycle starts again from primary.
    REQUIRE(m.boot(ResetCause::power_on).slot == "primary");

    // A slot marked bad stays bad through the automatic reset.
    REQUIRE(m.command([](BootState& s) { return mark_bad(s, s.find_slot("primary"), 0); }) == Status::ok);
    REQUIRE(m.boot(ResetCause::power_on).slot == "fallback");
    b = m.boot(ResetCause::watchdog);
    REQUIRE(b.result.action == Action::reset_machine);
    REQUIRE(m.slot("primary").has(kSlotBad));
    REQUIRE(m.slot("primary").tries_left == 0);
    REQUIRE(m.slot("fallback").tries_left == 1);
}

TEST_CASE("on-exhausted halt powers off and journals why", "[policy]") {
    Config cfg = wdtest::make_config({"primary"}, 1);
    cfg.on_exhausted = OnExhausted::halt;
    Machine m(cfg);
    m.boot(ResetCause::power_on);
    auto b = m.boot(ResetCause::watchdog);
    REQUIRE(b.result.action == Action::power_off);
    REQUIRE(b.poweroffs == 1);
    REQUIRE(m.state().journal_newest(0).event == Event::all_exhausted);
    REQUIRE(m.state().journal_newest(0).detail == static_cast<uint8_t>(OnExhausted::halt));
}

TEST_CASE("operator commands: mark-bad, set-default, reset", "[policy]") {
    Machine m(wdtest::make_config({"primary", "fallback", "third"}));
    auto b = m.boot(ResetCause::power_on);
    REQUIRE(m.bless(b.boot_id) == Status::ok);

    REQUIRE(m.command([](BootState& s) { return mark_bad(s, s.find_slot("primary"), 5); }) == Status::ok);
    REQUIRE(m.slot("primary").has(kSlotBad));
    REQUIRE(m.boot(ResetCause::power_on).slot == "fallback");

    REQUIRE(m.command([](BootState& s) { return set_default(s, s.find_slot("third"), 5); }) == Status::ok);
    REQUIRE(m.boot(ResetCause::power_on).slot == "third");
    REQUIRE(m.boot(ResetCause::watchdog).slot == "third");

    REQUIRE(m.command([](BootState& s) { return reset_counters(s, 5); }) == Status::ok);
    BootState st = m.state();
    for (uint8_t i = 0; i < 3; ++i) REQUIRE(st.slots[i].tries_left == 3);
    REQUIRE_FALSE(st.slots[st.find_slot("primary")].has(kSlotBad));

    // Bad slot indices are refused without touching the state.
    BootState before = m.state();
    REQUIRE(m.command([](BootState& s) { return mark_bad(s, 7, 0); }) == Status::not_found);
    REQUIRE(m.command([](BootState& s) { return set_default(s, kNoSlot, 0); }) == Status::not_found);
    REQUIRE(m.command([](BootState& s) { return request_trial(s, 0, 0, 0); }) == Status::invalid_argument);
    REQUIRE(m.command([](BootState& s) { return request_trial(s, 0, 4, 0); }) == Status::invalid_argument);
    REQUIRE(m.state() == before);
}

TEST_CASE("marking the running slot bad clears its attempt", "[policy]") {
    Machine m(wdtest::make_config({"primary", "fallback"}));
    m.boot(ResetCause::power_on);
    REQUIRE(m.command([](BootState& s) { return mark_bad(s, s.attempt_slot, 0); }) == Status::ok);
    BootState st = m.state();
    REQUIRE(st.attempt_slot == kNoSlot);
    // The next boot does not count a second failure for it.
    auto b = m.boot(ResetCause::power_on);
    REQUIRE(b.slot == "fallback");
    REQUIRE(m.slot("primary").consecutive_failures == 0);
}

TEST_CASE("reconcile follows the config: new slots, removed slots, changed tries", "[policy]") {
    BootState st = BootState::empty();
    Config a = wdtest::make_config({"one", "two"}, 3);
    reconcile(a, st);
    REQUIRE(st.find_slot("one") == 0);
    REQUIRE(st.find_slot("two") == 1);
    st.slots[1].tries_left = 1;
    st.last_good_slot = 1;

    // Fewer tries clamp, renamed slot takes a free entry, old entries stay while room.
    Config b = wdtest::make_config({"two", "three"}, 2);
    reconcile(b, st);
    REQUIRE(st.find_slot("two") == 1);
    REQUIRE(st.slots[1].max_tries == 2);
    REQUIRE(st.slots[1].tries_left == 1);
    REQUIRE(st.find_slot("three") == 2);
    REQUIRE(st.slots[2].tries_left == 2);
    REQUIRE(st.find_slot("one") == 0);  // kept: history is not thrown away needlessly

    // A config of 8 new slots evicts the entries no longer configured.
    Config c = wdtest::make_config({"s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7"}, 3);
    reconcile(c, st);
    for (const char* n : {"s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7"}) REQUIRE(st.find_slot(n) != kNoSlot);
    REQUIRE(st.find_slot("two") == kNoSlot);
    REQUIRE(st.last_good_slot == kNoSlot);  // the reference to the evicted entry is gone
    uint8_t rec[kRecordSize];
    encode_record(st, rec);
    BootState d = BootState::empty();
    REQUIRE(decode_record(rec, sizeof(rec), d) == Status::ok);  // still a valid record
}

TEST_CASE("account_previous_attempt decides who is blamed for a reset", "[policy]") {
    Machine m(wdtest::make_config({"primary", "fallback"}));
    auto b = m.boot(ResetCause::power_on);
    REQUIRE(b.slot == "primary");
    BootState st = m.state();
    const BootFacts watchdog{ResetCause::watchdog, 1000};
    const BootFacts panic{ResetCause::panic, 1000};
    const BootFacts power{ResetCause::power_on, 1000};
    TextBuffer<200> what;

    SECTION("an attempt still pending: counted against its slot") {
        BootState s = st;
        REQUIRE(account_previous_attempt(m.cfg, s, watchdog, &what) == PreviousAttempt::failed);
        CHECK(s.attempt_slot == kNoSlot);
        CHECK(s.slots[s.find_slot("primary")].consecutive_failures == 1);
        CHECK(std::string(what.c_str()).find("watchdog reset") != std::string::npos);
    }
    SECTION("an attempt that ended in a kernel panic: counted, with evidence") {
        BootState s = st;
        REQUIRE(account_previous_attempt(m.cfg, s, panic, &what) == PreviousAttempt::failed);
        const SlotState& p = s.slots[s.find_slot("primary")];
        CHECK(p.last_outcome == Outcome::panic);
        CHECK(p.has(kSlotFailedHard));
        CHECK(s.journal_newest(0).event == Event::panic);
        CHECK(s.journal_newest(0).cause == ResetCause::panic);
        CHECK(std::string(what.c_str()) == "slot \"primary\" failed (kernel panic, attempt 1/3)");
    }
    SECTION("a blessed boot reset by the watchdog: a runtime hang, counted in the window, no try lost") {
        REQUIRE(m.bless(b.boot_id) == Status::ok);
        BootState s = m.state();
        uint8_t tries = s.slots[s.find_slot("primary")].tries_left;
        REQUIRE(account_previous_attempt(m.cfg, s, watchdog, &what) == PreviousAttempt::runtime_crash);
        const JournalEntry& e = s.journal_newest(0);
        CHECK(e.event == Event::runtime_hang);
        CHECK(e.boot_id == b.boot_id);
        CHECK(e.detail == 1);
        CHECK(e.slot == s.find_slot("primary"));
        const SlotState& p = s.slots[s.find_slot("primary")];
        CHECK(p.tries_left == tries);
        CHECK(p.consecutive_failures == 0);
        CHECK(p.runtime_crashes == 1);
        CHECK(p.last_outcome == Outcome::runtime_crash);
        CHECK_FALSE(p.has(kSlotFailedHard));
        CHECK(s.crash_window_start == 1000);
        CHECK(std::string(what.c_str()) == "blessed slot \"primary\" crashed at run time (watchdog reset, 1 of 3 within 24 h)");
    }
    SECTION("a blessed boot that panicked: a runtime panic") {
        REQUIRE(m.bless(b.boot_id) == Status::ok);
        BootState s = m.state();
        REQUIRE(account_previous_attempt(m.cfg, s, panic, &what) == PreviousAttempt::runtime_crash);
        CHECK(s.journal_newest(0).event == Event::runtime_panic);
        CHECK(s.journal_newest(0).cause == ResetCause::panic);
    }
    SECTION("a clean reboot or a power cut after the blessing: nothing accounted, nothing journalled") {
        REQUIRE(m.bless(b.boot_id) == Status::ok);
        BootState p = m.state();
        size_t n = p.journal_count;
        CHECK(account_previous_attempt(m.cfg, p, power, nullptr) == PreviousAttempt::none);
        CHECK(p.journal_count == n);
        BootState u = p;
        CHECK(account_previous_attempt(m.cfg, u, BootFacts{ResetCause::unknown, 1000}, nullptr) == PreviousAttempt::none);
        CHECK(u == p);
    }
    SECTION("runtime-crashes off: journalled, never counted") {
        REQUIRE(m.bless(b.boot_id) == Status::ok);
        Config off = m.cfg;
        off.runtime_crash_limit = 0;
        BootState s = m.state();
        for (int i = 0; i < 10; ++i) {
            REQUIRE(account_previous_attempt(off, s, panic, &what) == PreviousAttempt::runtime_crash);
            s.slots[s.find_slot("primary")].last_outcome = Outcome::blessed;  // booted and blessed again
        }
        CHECK(s.slots[s.find_slot("primary")].runtime_crashes == 0);
        CHECK(s.slots[s.find_slot("primary")].tries_left == 3);
        CHECK(s.journal_newest(0).detail == 0);
        CHECK(std::string(what.c_str()).find("not counted: runtime-crashes off") != std::string::npos);
    }
}

TEST_CASE("note_reset_cause: more efi-pstore records than on record means a panic, seen once", "[policy]") {
    BootState st = BootState::empty();
    CHECK(note_reset_cause(st, ResetCause::power_on, 0) == ResetCause::power_on);
    CHECK(note_reset_cause(st, ResetCause::power_on, 14) == ResetCause::panic);
    CHECK(st.pstore_records == 14);
    CHECK(note_reset_cause(st, ResetCause::power_on, 14) == ResetCause::power_on);  // the same records again
    // systemd-pstore archived them (fewer): no panic, the lower count is remembered.
    CHECK(note_reset_cause(st, ResetCause::watchdog, 0) == ResetCause::watchdog);
    CHECK(st.pstore_records == 0);
    // A panic wins over the watchdog's flag (panic=0: the watchdog reset the panicked kernel).
    CHECK(note_reset_cause(st, ResetCause::watchdog, 3) == ResetCause::panic);
    // Cannot enumerate: the hardware's word, and the count is kept.
    CHECK(note_reset_cause(st, ResetCause::power_on, -1) == ResetCause::power_on);
    CHECK(st.pstore_records == 3);
    // Saturates: 255 is the most the record remembers.
    CHECK(note_reset_cause(st, ResetCause::power_on, 1000) == ResetCause::panic);
    CHECK(st.pstore_records == 255);
    CHECK(note_reset_cause(st, ResetCause::power_on, 300) == ResetCause::power_on);
}

namespace {

// Boots, blesses, and ends the boot with a runtime crash (the agent's count of pstore
// records at the blessing, then a panic adds 14, or the watchdog fires).
struct CrashMachine {
    Machine m;
    explicit CrashMachine(Config cfg) : m(cfg) {}
    Machine::Boot boot_and_bless(ResetCause cause) {
        auto b = m.boot(cause);
        REQUIRE(b.took_over);
        REQUIRE(m.bless(b.boot_id) == Status::ok);
        return b;
    }
};

}  // namespace

TEST_CASE("runtime crashes: 3 within 24 h demote the slot, fewer, or spread out, never do", "[policy]") {
    CrashMachine c(wdtest::make_config({"primary", "fallback"}));
    Machine& m = c.m;
    auto b1 = c.boot_and_bless(ResetCause::power_on);
    REQUIRE(b1.slot == "primary");
    // Crash 1: a panic (efi-pstore writes 14 records). The same slot boots again.
    m.pstore += 14;
    auto b2 = c.boot_and_bless(ResetCause::power_on);
    CHECK(b2.slot == "primary");
    CHECK(std::any_of(b2.lines.begin(), b2.lines.end(), [](const std::string& l) {
        return l == "wdboot: blessed slot \"primary\" crashed at run time (kernel panic, 1 of 3 within 24 h)";
    }));
    m.pstore = 0;  // systemd-pstore archived them; the agent's blessing recorded 0
    REQUIRE(m.bless(b2.boot_id) == Status::ok);  // already blessed: no change
    // Crash 2: a hang under the handed-over watchdog.
    auto b3 = c.boot_and_bless(ResetCause::watchdog);
    CHECK(b3.slot == "primary");
    CHECK(m.slot("primary").runtime_crashes == 2);
    // Crash 3: a panic again -> crash loop: fallback boots, primary keeps its good flag
    // but has no tries.
    m.pstore += 14;
    auto b4 = m.boot(ResetCause::power_on);
    CHECK(b4.slot == "fallback");
    BootState st = m.state();
    const SlotState p = m.slot("primary");
    CHECK(p.tries_left == 0);
    CHECK(p.has(kSlotFailedHard));
    CHECK(p.last_outcome == Outcome::crash_loop);
    CHECK(p.runtime_crashes == 0);
    bool saw_loop = false, saw_panic = false;
    for (size_t i = 0; i < st.journal_count; ++i) {
        const JournalEntry& e = st.journal_newest(i);
        if (e.event == Event::crash_loop && e.boot_id == b3.boot_id && e.detail == 3) saw_loop = true;
        if (e.event == Event::runtime_panic && e.boot_id == b3.boot_id && e.detail == 3) saw_panic = true;
    }
    CHECK(saw_loop);
    CHECK(saw_panic);
    CHECK(std::any_of(b4.lines.begin(), b4.lines.end(), [](const std::string& l) {
        return l.find("crash loop, it loses its tries") != std::string::npos;
    }));
    // The fallback is blessed and keeps booting; a blessing elsewhere does not give the
    // crash-looping slot its tries back.
    REQUIRE(m.bless(b4.boot_id) == Status::ok);
    auto b5 = m.boot(ResetCause::power_on);
    CHECK(b5.slot == "fallback");
    CHECK(m.slot("primary").tries_left == 0);
    // The operator undoes it: set-default primary.
    REQUIRE(m.command([&](BootState& s) { return set_default(s, s.find_slot("primary"), m.clock); }) == Status::ok);
    CHECK(m.slot("primary").tries_left == 3);
    CHECK_FALSE(m.slot("primary").has(kSlotFailedHard));
}

TEST_CASE("runtime crashes spread over more than the window never demote", "[policy]") {
    CrashMachine c(wdtest::make_config({"primary", "fallback"}));
    Machine& m = c.m;
    c.boot_and_bless(ResetCause::power_on);
    for (int i = 0; i < 10; ++i) {
        m.clock += 13 * 3600;  // a crash every 13 h: at most 2 in any 24 h window
        auto b = c.boot_and_bless(ResetCause::watchdog);
        CHECK(b.slot == "primary");
    }
    CHECK(m.slot("primary").tries_left == 3);
    CHECK(m.slot("primary").runtime_crashes <= 2);
}

TEST_CASE("without a clock every runtime crash falls in the window", "[policy]") {
    Config cfg = wdtest::make_config({"primary", "fallback"});
    Machine m(cfg);
    auto b = m.boot(ResetCause::power_on);
    REQUIRE(m.bless(b.boot_id) == Status::ok);
    BootState st = m.state();
    for (int i = 1; i <= 3; ++i) {
        PreviousAttempt r = account_previous_attempt(cfg, st, BootFacts{ResetCause::watchdog, 0}, nullptr);
        CHECK(r == (i < 3 ? PreviousAttempt::runtime_crash : PreviousAttempt::crash_loop));
        // The slot boots and is blessed again (what begin_attempt + bless would do).
        uint8_t ri = st.find_slot("primary");
        st.slots[ri].last_outcome = Outcome::blessed;
    }
    CHECK(st.slots[st.find_slot("primary")].tries_left == 0);
    // And a clock that went backwards counts too.
    Machine m2(cfg);
    auto b2 = m2.boot(ResetCause::power_on);
    REQUIRE(m2.bless(b2.boot_id) == Status::ok);
    BootState s2 = m2.state();
    uint64_t times[] = {5000000, 100, 200};
    for (int i = 0; i < 3; ++i) {
        (void)account_previous_attempt(cfg, s2, BootFacts{ResetCause::watchdog, times[i]}, nullptr);
        s2.slots[s2.find_slot("primary")].last_outcome = Outcome::blessed;
    }
    CHECK(s2.slots[s2.find_slot("primary")].tries_left == 0);
}

TEST_CASE("a crash of another slot starts a new window", "[policy]") {
    Config cfg = wdtest::make_config({"primary", "fallback"});
    Machine m(cfg);
    auto b = m.boot(ResetCause::power_on);
    REQUIRE(m.bless(b.boot_id) == Status::ok);
    BootState st = m.state();
    uint8_t p = st.find_slot("primary");
    uint8_t f = st.find_slot("fallback");
    (void)account_previous_attempt(cfg, st, BootFacts{ResetCause::watchdog, 2000}, nullptr);
    (void)account_previous_attempt(cfg, st, BootFacts{ResetCause::watchdog, 2000}, nullptr);  // not blessed again: nothing
    CHECK(st.slots[p].runtime_crashes == 1);
    // fallback now boots, is blessed, crashes.
    st.slots[f].last_boot_id = ++st.last_boot_id;
    st.slots[f].last_outcome = Outcome::blessed;
    (void)account_previous_attempt(cfg, st, BootFacts{ResetCause::watchdog, 3000}, nullptr);
    CHECK(st.slots[f].runtime_crashes == 1);
    CHECK(st.slots[p].runtime_crashes == 0);
    CHECK(st.crash_window_start == 3000);
}

TEST_CASE("a crash after a boot wdboot has no record of is journalled, not counted", "[policy]") {
    Config cfg = wdtest::make_config({"primary", "fallback"});
    BootState st = BootState::empty();
    reconcile(cfg, st);
    TextBuffer<200> what;
    CHECK(account_previous_attempt(cfg, st, BootFacts{ResetCause::panic, 5}, &what) == PreviousAttempt::runtime_crash);
    CHECK(st.journal_newest(0).event == Event::runtime_panic);
    CHECK(st.journal_newest(0).slot == kNoSlot);
    for (uint8_t i = 0; i < 2; ++i) CHECK(st.slots[i].runtime_crashes == 0);
    CHECK(std::string(what.c_str()) == "kernel panic after a boot wdboot has no record of (journalled)");
}

TEST_CASE("bless() says when the boot was already blessed, and changes nothing then", "[policy]") {
    Machine m(wdtest::make_config({"primary", "fallback"}));
    auto b = m.boot(ResetCause::power_on);
    BootState st = m.state();
    REQUIRE_FALSE(is_blessed(st, b.boot_id));

    bool already = true;
    REQUIRE(bless(st, b.boot_id, 0, &already) == Status::ok);
    CHECK_FALSE(already);
    CHECK(is_blessed(st, b.boot_id));

    const BootState blessed = st;
    REQUIRE(bless(st, b.boot_id, 0, &already) == Status::ok);
    CHECK(already);
    CHECK(st == blessed);
    REQUIRE(record_healthy_boot(st, b.boot_id, true, 0, &already) == Status::ok);
    CHECK(already);
    CHECK(st == blessed);

    // A watchdog that could not be stopped is never "already blessed".
    REQUIRE(record_healthy_boot(st, b.boot_id, false, 0, &already) == Status::ok);
    CHECK_FALSE(already);

    // A stale boot id, boot id 0, no attempt at all: not blessed, and said so.
    CHECK_FALSE(is_blessed(st, b.boot_id - 1));
    CHECK_FALSE(is_blessed(st, 0));
    REQUIRE(bless(st, b.boot_id + 1, 0, &already) == Status::not_found);
    CHECK_FALSE(already);
    auto next = m.boot(ResetCause::power_on);
    st = m.state();
    REQUIRE(bless(st, next.boot_id - 1, 0, &already) == Status::invalid_argument);
    CHECK_FALSE(already);
    // The attempt in progress is not blessed yet.
    CHECK_FALSE(is_blessed(st, next.boot_id));
}
