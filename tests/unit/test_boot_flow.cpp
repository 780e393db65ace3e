// run_boot(): the order of steps, the one-write rule, same-boot skipping of images that
// cannot be loaded or started, the watchdog's presence, damaged and foreign state.
#include <catch2/catch.hpp>

#include <algorithm>

#include <cstring>

#include "fixtures.hpp"
#include "wdboot/boot_flow.hpp"
#include "wdboot/crc32.hpp"

using namespace wdboot;
using wdtest::Machine;

TEST_CASE("a missing primary image: fallback boots in the same boot, one write per attempt", "[flow]") {
    Machine m(wdtest::make_config({"primary", "fallback"}));
    auto b = m.boot(ResetCause::power_on, {"primary"});
    REQUIRE(b.took_over);
    REQUIRE(b.slot == "fallback");
    // Each attempt is on record before its LoadImage (a hang there must be counted).
    REQUIRE(b.writes == 2);
    REQUIRE(b.loaded == std::vector<std::string>{"primary", "fallback"});
    BootState st = m.state();
    const SlotState& p = st.slots[st.find_slot("primary")];
    REQUIRE(p.tries_left == 0);
    REQUIRE(p.last_outcome == Outcome::load_failed);
    REQUIRE(st.slots[st.find_slot("fallback")].tries_left == 2);
    REQUIRE(st.journal_newest(0).event == Event::attempt);
    REQUIRE(st.journal_newest(1).event == Event::load_failed);
    bool said = false;
    for (const auto& l : b.lines) said |= l.find("\"primary\" could not be loaded") != std::string::npos;
    REQUIRE(said);
}

TEST_CASE("an image that returns from StartImage: next slot in the same boot", "[flow]") {
    Machine m(wdtest::make_config({"primary", "fallback"}));
    auto b = m.boot(ResetCause::power_on, {}, {"primary"});
    REQUIRE(b.slot == "fallback");
    REQUIRE(b.writes == 2);  // the attempt of primary, then the attempt of fallback
    BootState st = m.state();
    REQUIRE(st.slots[st.find_slot("primary")].last_outcome == Outcome::start_failed);
    REQUIRE(st.slots[st.find_slot("primary")].tries_left == 0);
    REQUIRE(st.attempt_slot == st.find_slot("fallback"));
}

TEST_CASE("nothing loadable: every slot tried once, then back to the firmware, watchdog disarmed", "[flow]") {
    Machine m(wdtest::make_config({"primary", "fallback"}));
    auto b = m.boot(ResetCause::power_on, {"primary", "fallback"});
    REQUIRE_FALSE(b.took_over);
    REQUIRE(b.result.action == Action::return_to_firmware);
    REQUIRE(b.disarms == 1);
    REQUIRE(b.writes == 3);  // each attempt, then the outcome
    REQUIRE(b.loaded == std::vector<std::string>{"primary", "fallback"});
    BootState st = m.state();
    REQUIRE(st.slots[0].last_outcome == Outcome::load_failed);
    REQUIRE(st.slots[1].last_outcome == Outcome::load_failed);
    REQUIRE(st.attempt_slot == kNoSlot);
}

TEST_CASE("the watchdog arguments are appended to the slot's command line", "[flow]") {
    Config cfg = wdtest::make_config({"primary"});
    std::strcpy(cfg.slots[0].options, "root=/dev/vda2 quiet");
    Machine m(cfg);
    auto b = m.boot(ResetCause::power_on);
    REQUIRE(b.cmdlines.at(0) == "root=/dev/vda2 quiet panic=5 modprobe.blacklist=i6300esb");
    REQUIRE(b.arms == 1);
    auto nowd = m.boot(ResetCause::unknown, {}, {}, false);
    REQUIRE(nowd.cmdlines.at(0) == "root=/dev/vda2 quiet panic=5");
    REQUIRE(nowd.arms == 0);
}

TEST_CASE("panic=N is added unless the slot sets panic= itself or panic-timeout is 0", "[flow]") {
    Config cfg = wdtest::make_config({"primary"});
    std::strcpy(cfg.slots[0].options, "root=/dev/vda2 panic=30");
    Machine m(cfg);
    CHECK(m.boot(ResetCause::power_on).cmdlines.at(0) == "root=/dev/vda2 panic=30 modprobe.blacklist=i6300esb");
    // oops=panic and panic_on_warn= are other parameters: panic= is still added.
    std::strcpy(m.cfg.slots[0].options, "oops=panic panic_on_warn=1");
    CHECK(m.boot(ResetCause::power_on).cmdlines.at(0) == "oops=panic panic_on_warn=1 panic=5 modprobe.blacklist=i6300esb");
    m.cfg.panic_timeout_s = 0;
    CHECK(m.boot(ResetCause::power_on).cmdlines.at(0) == "oops=panic panic_on_warn=1 modprobe.blacklist=i6300esb");
    m.cfg.panic_timeout_s = 60;
    std::strcpy(m.cfg.slots[0].options, "");
    CHECK(m.boot(ResetCause::power_on).cmdlines.at(0) == "panic=60 modprobe.blacklist=i6300esb");
    // No room for it beside the watchdog's arguments: left out, the watchdog's kept.
    const size_t args = std::strlen(" modprobe.blacklist=i6300esb");
    std::memset(m.cfg.slots[0].options, 'x', kOptionsMax - 1 - args - 3);
    m.cfg.slots[0].options[kOptionsMax - 1 - args - 3] = '\0';
    auto b = m.boot(ResetCause::power_on);
    REQUIRE(b.took_over);
    CHECK(b.cmdlines.at(0).find("panic=") == std::string::npos);
    CHECK(b.cmdlines.at(0).size() == kOptionsMax - 1 - 3);
    CHECK(b.cmdlines.at(0).substr(b.cmdlines.at(0).size() - args + 1) == "modprobe.blacklist=i6300esb");
}

TEST_CASE("the loader warns when NVRAM is nearly full and names the efi-pstore records", "[flow]") {
    Machine m(wdtest::make_config({"primary"}));
    m.nvram_free_bytes = kLowNvramBytes;
    auto b = m.boot(ResetCause::power_on);
    CHECK_FALSE(std::any_of(b.lines.begin(), b.lines.end(), [](const std::string& l) { return l.find("NVRAM") != std::string::npos; }));
    m.nvram_free_bytes = 9000;
    m.pstore = 14;
    b = m.boot(ResetCause::power_on);
    CHECK(std::any_of(b.lines.begin(), b.lines.end(), [](const std::string& l) {
        return l == "wdboot: WARNING: NVRAM is nearly full: 9000 bytes free; 14 efi-pstore records (kernel panic logs) "
                    "take room: the agent removes them once archived";
    }));
    CHECK(b.took_over);  // it still boots
}

TEST_CASE("a command line that cannot hold the watchdog arguments is not booted cut short", "[flow]") {
    Config cfg = wdtest::make_config({"long", "short"});
    std::memset(cfg.slots[0].options, 'x', kOptionsMax - 5);
    cfg.slots[0].options[kOptionsMax - 5] = '\0';
    Machine m(cfg);
    auto b = m.boot(ResetCause::power_on);
    REQUIRE(b.slot == "short");
    REQUIRE(m.slot("long").last_outcome == Outcome::load_failed);
}

TEST_CASE("no hardware watchdog: a warning, and the boot goes on", "[flow]") {
    Machine m(wdtest::make_config({"primary"}));
    auto b = m.boot(ResetCause::unknown, {}, {}, false);
    REQUIRE(b.slot == "primary");
    bool warned = false;
    for (const auto& l : b.lines) warned |= l.find("no hardware watchdog found") != std::string::npos;
    REQUIRE(warned);
}

TEST_CASE("watchdog-required without a watchdog: nothing is started", "[flow]") {
    Config cfg = wdtest::make_config({"primary"});
    cfg.watchdog_required = true;
    Machine m(cfg);
    auto b = m.boot(ResetCause::unknown, {}, {}, false);
    REQUIRE_FALSE(b.took_over);
    REQUIRE(b.loaded.empty());
    REQUIRE(b.result.action == Action::return_to_firmware);
    REQUIRE(m.slot("primary").tries_left == 3);  // no try spent
}

TEST_CASE("a watchdog that cannot be armed: boot on unless it is required", "[flow]") {
    Config cfg = wdtest::make_config({"primary"});
    Machine m(cfg);
    wdtest::FakePlatform p;
    p.arm_result = Status::device_error;
    bool took = false;
    try {
        (void)run_boot(m.cfg, m.store, p);
    } catch (const wdtest::ImageTookOver&) {
        took = true;
    }
    REQUIRE(took);
    REQUIRE(p.logged("could not arm the i6300esb watchdog (device error)"));

    m.cfg.watchdog_required = true;
    wdtest::FakePlatform q;
    q.arm_result = Status::device_error;
    BootResult r = run_boot(m.cfg, m.store, q);
    REQUIRE(r.action == Action::return_to_firmware);
    REQUIRE(q.loaded.empty());  // armed before anything is loaded or recorded
    REQUIRE(q.started.empty());
    REQUIRE(m.state().attempt_slot == kNoSlot);  // no attempt left behind to be counted
}

TEST_CASE("damaged state copies are journalled and the boot goes on", "[flow]") {
    Machine m(wdtest::make_config({"primary", "fallback"}));
    auto first = m.boot(ResetCause::power_on);
    REQUIRE(m.bless(first.boot_id) == Status::ok);
    // Both copies exist now (one write by the loader, one by the blessing).
    REQUIRE(m.store.present[0]);
    REQUIRE(m.store.present[1]);

    SECTION("the older copy garbage: nothing is lost") {
        m.store.vars[0].assign(548, 0x5A);
        auto b = m.boot(ResetCause::power_on);
        REQUIRE(b.slot == "primary");
        BootState st = m.state();
        REQUIRE(st.slots[st.find_slot("primary")].has(kSlotGood));  // the blessing is in copy B
        REQUIRE(st.journal_newest(1).event == Event::state_corrupt);
        REQUIRE(st.journal_newest(1).detail == 1);
        REQUIRE(m.store.write_log.back() == Copy::a);  // the damaged copy is rewritten
    }
    SECTION("the newer copy garbage: the previous state is used") {
        m.store.vars[1].assign(548, 0x5A);
        auto b = m.boot(ResetCause::power_on);
        REQUIRE(b.slot == "primary");
        BootState st = m.state();
        // Copy A predates the blessing: the attempt it records counts as failed.
        REQUIRE_FALSE(st.slots[st.find_slot("primary")].has(kSlotGood));
        REQUIRE(st.slots[st.find_slot("primary")].tries_left == 1);
        REQUIRE(st.journal_newest(1).event == Event::unclean_reset);
        REQUIRE(st.journal_newest(2).event == Event::state_corrupt);
        REQUIRE(st.journal_newest(2).detail == 2);
    }
    SECTION("both copies wrong size or bad CRC") {
        m.store.vars[0].resize(100);
        m.store.vars[1][300] ^= 1;
        auto b = m.boot(ResetCause::power_on);
        REQUIRE(b.took_over);
        REQUIRE(b.slot == "primary");
        BootState st = m.state();
        REQUIRE(st.journal_newest(1).event == Event::state_corrupt);
        REQUIRE(st.journal_newest(1).detail == 3);
        REQUIRE(st.slots[st.find_slot("primary")].tries_left == 2);
        bool said = false;
        for (const auto& l : b.lines) said |= l.find("no valid state copy") != std::string::npos;
        REQUIRE(said);
    }
}

TEST_CASE("a newer wdboot's record: boots the default without counting or writing", "[flow]") {
    Machine m(wdtest::make_config({"primary", "fallback"}));
    m.boot(ResetCause::power_on);
    m.store.vars[0][4] = 9;  // major 9, intact
    uint32_t c = crc32(m.store.vars[0].data(), kCrcOffset);
    for (int i = 0; i < 4; ++i) m.store.vars[0][kCrcOffset + i] = static_cast<uint8_t>(c >> (8 * i));
    int writes = m.store.writes;
    for (int i = 0; i < 3; ++i) {
        auto b = m.boot(ResetCause::watchdog);
        REQUIRE(b.took_over);
        REQUIRE(b.slot == "primary");
        REQUIRE(b.arms == 0);  // its resets could not be counted: no watchdog
    }
    REQUIRE(m.store.writes == writes);
    REQUIRE(m.store.vars[0][4] == 9);
}

TEST_CASE("an NVRAM write failure is reported and the boot still happens", "[flow]") {
    Machine m(wdtest::make_config({"primary"}));
    m.store.fail_write = Status::io_error;
    auto b = m.boot(ResetCause::power_on);
    REQUIRE(b.took_over);
    bool warned = false, unarmed = false;
    for (const auto& l : b.lines) {
        warned |= l.find("could not write the state record (I/O error)") != std::string::npos;
        unarmed |= l.find("booting without the hardware watchdog") != std::string::npos;
    }
    REQUIRE(warned);
    // Issue 7, loop case 2: a watchdog whose reset cannot be counted is never left
    // running: it would reset the same slot for ever, counting nothing.
    REQUIRE(unarmed);
    REQUIRE(b.arms == 1);
    REQUIRE(b.disarms == 1);
}

TEST_CASE("an attempt that cannot be recorded under watchdog-required returns to the firmware", "[flow]") {
    Config cfg = wdtest::make_config({"primary"});
    cfg.watchdog_required = true;
    Machine m(cfg);
    m.store.fail_write = Status::io_error;
    auto b = m.boot(ResetCause::power_on);
    REQUIRE_FALSE(b.took_over);
    REQUIRE(b.result.action == Action::return_to_firmware);
    REQUIRE(b.loaded.empty());
    REQUIRE(b.disarms == 1);
}

TEST_CASE("a hang in LoadImage is counted: the attempt is on record before the load", "[flow]") {
    // Issue 7, loop case 6: LoadImage and the initrd reads used to run before the write,
    // so a hang there left no marker and the same slot was chosen again for ever.
    struct HangingPlatform : wdtest::FakePlatform {
        Status load_image(const SlotConfig&, const CommandLineParts&, LoadFailure&) override {
            throw std::runtime_error("hang");
        }
    };
    Machine m(wdtest::make_config({"primary", "fallback"}, 2));
    for (int i = 0; i < 2; ++i) {
        HangingPlatform p;
        p.probe.cause = i == 0 ? ResetCause::power_on : ResetCause::watchdog;
        REQUIRE_THROWS(run_boot(m.cfg, m.store, p));
        REQUIRE(p.arms == 1);  // the hardware watchdog covers the load
    }
    // Two hangs in primary's LoadImage: the second boot counted the first, and the
    // next one counts the second and fails over.
    auto b = m.boot(ResetCause::watchdog);
    REQUIRE(b.slot == "fallback");
    BootState st = m.state();
    REQUIRE(st.slots[st.find_slot("primary")].tries_left == 0);
    REQUIRE(st.slots[st.find_slot("primary")].has(kSlotFailedHard));
}

TEST_CASE("a watchdog reset after a blessed boot is a runtime hang: journalled, no try lost", "[flow]") {
    Machine m(wdtest::make_config({"primary", "fallback"}));
    auto b = m.boot(ResetCause::power_on);
    REQUIRE(m.bless(b.boot_id) == Status::ok);
    auto b2 = m.boot(ResetCause::watchdog);
    REQUIRE(b2.slot == "primary");
    BootState st = m.state();
    REQUIRE(st.journal_newest(1).event == Event::runtime_hang);
    REQUIRE(st.journal_newest(1).boot_id == b.boot_id);
    REQUIRE(st.journal_newest(1).detail == 1);
    REQUIRE(st.slots[0].consecutive_failures == 0);
    REQUIRE(st.slots[0].tries_left == 2);
    REQUIRE(b2.lines.at(0) == "wdboot: blessed slot \"primary\" crashed at run time (watchdog reset, 1 of 3 within 24 h)");
}

TEST_CASE("a panic after the blessing (new efi-pstore records) is a runtime panic, the records are seen once", "[flow]") {
    Machine m(wdtest::make_config({"primary", "fallback"}));
    auto b = m.boot(ResetCause::power_on);
    REQUIRE(m.bless(b.boot_id) == Status::ok);
    m.pstore = 14;
    auto b2 = m.boot(ResetCause::power_on);
    REQUIRE(b2.slot == "primary");
    BootState st = m.state();
    CHECK(st.journal_newest(1).event == Event::runtime_panic);
    CHECK(st.journal_newest(1).cause == ResetCause::panic);
    CHECK(st.journal_newest(0).event == Event::attempt);
    CHECK(st.journal_newest(0).cause == ResetCause::panic);
    CHECK(st.pstore_records == 14);
    // Nobody archived them, the next boot is blessed and rebooted cleanly: no new panic.
    REQUIRE(m.bless(b2.boot_id) == Status::ok);
    auto b3 = m.boot(ResetCause::power_on);
    CHECK(m.state().journal_newest(0).cause == ResetCause::power_on);
    CHECK(m.state().journal_newest(1).event == Event::blessed);
    // The firmware cannot enumerate variables: the watchdog's word alone.
    REQUIRE(m.bless(b3.boot_id) == Status::ok);
    m.pstore = -1;
    m.boot(ResetCause::power_on);
    CHECK(m.state().journal_newest(1).event == Event::blessed);
}

TEST_CASE("early-timeout: a hand-off driver is armed short and the kernel gets watchdog.open_timeout", "[flow]") {
    Config cfg = wdtest::make_config({"primary"});
    cfg.timeout_s = 120;
    cfg.early_timeout_s = 30;
    std::strcpy(cfg.slots[0].options, "root=/dev/vda2");
    wdtest::FakePlatform p;
    p.probe = WatchdogProbe{true, "itco", ResetCause::power_on, "modprobe.blacklist=iTCO_wdt"};
    wdtest::FakeStore store;
    REQUIRE_THROWS_AS(run_boot(cfg, store, p), wdtest::ImageTookOver);
    CHECK(p.armed_timeout == 30);
    // The module must load to take the timer over: no blacklist, the blessing deadline instead.
    CHECK(p.cmdlines.at(0) == "root=/dev/vda2 panic=5 watchdog.open_timeout=120");
    CHECK(p.logged("two deadlines: 30 s until Linux's itco driver takes the timer over, then 120 s"));

    SECTION("a driver whose module stops the timer keeps one deadline") {
        wdtest::FakePlatform q;  // i6300esb by default
        wdtest::FakeStore s2;
        REQUIRE_THROWS_AS(run_boot(cfg, s2, q), wdtest::ImageTookOver);
        CHECK(q.armed_timeout == 120);
        CHECK(q.cmdlines.at(0) == "root=/dev/vda2 panic=5 modprobe.blacklist=i6300esb");
        CHECK_FALSE(q.logged("two deadlines"));
    }
    SECTION("early-timeout off: one deadline and the blacklist, as before") {
        cfg.early_timeout_s = kEarlyTimeoutOff;
        wdtest::FakePlatform q;
        q.probe = p.probe;
        wdtest::FakeStore s2;
        REQUIRE_THROWS_AS(run_boot(cfg, s2, q), wdtest::ImageTookOver);
        CHECK(q.armed_timeout == 120);
        CHECK(q.cmdlines.at(0) == "root=/dev/vda2 panic=5 modprobe.blacklist=iTCO_wdt");
    }
}

TEST_CASE("a failover is reported once to the platform (the BMC's SEL), a retry of the same slot is not", "[flow]") {
    Config cfg = wdtest::make_config({"primary", "fallback"});
    cfg.slots[0].tries = 2;
    Machine m(cfg);
    auto b1 = m.boot(ResetCause::power_on);
    REQUIRE(b1.slot == "primary");
    CHECK(b1.failovers.empty());  // nothing failed before
    auto b2 = m.boot(ResetCause::watchdog);
    REQUIRE(b2.slot == "primary");  // its second try: a retry, not a failover
    CHECK(b2.failovers.empty());
    auto b3 = m.boot(ResetCause::watchdog);
    REQUIRE(b3.slot == "fallback");
    BootState st = m.state();
    REQUIRE(b3.failovers.size() == 1);
    CHECK(b3.failovers[0].first == st.find_slot("primary"));
    CHECK(b3.failovers[0].second == st.find_slot("fallback"));
    auto b4 = m.boot(ResetCause::power_on);  // a clean power cycle of the fallback: no failure
    CHECK(b4.failovers.empty());
}
