// The core's ICH9 TCO sequences against QEMU 7.2's TCO (hw/acpi/tco.c) on q35.
#include <chrono>

#include "action_watch.hpp"
#include "firmware_role.hpp"
#include "scenarios.hpp"
#include "wdboot/itco.hpp"

namespace wdboot::qtest {
namespace {

using namespace std::chrono_literals;
namespace tco = wdboot::itco;

// ticks_for() rounds up to whole 1.2 s steps; kMinTimeoutMs (4 ticks) is exact.
constexpr std::chrono::nanoseconds kResolution = 2 * std::chrono::milliseconds(tco::kTickMs);
constexpr uint32_t kTimeoutMs = tco::kMinTimeoutMs;
constexpr uint32_t kFirstExpiryMs = kTimeoutMs / 2;

// The machine property that lets the TCO reset the VM at all (QEMU 7.2 default: true).
const std::vector<std::string> kRebootAllowed = {"-global", "ICH9-LPC.noreboot=false"};

struct Tco {
    Ports io;
    Memory rcrb;
};

// Plays the firmware, then finds the TCO ports and the RCRB the way the loader does.
Tco open_tco(Check& c, Machine& m) {
    c.note("qemu: %s", m.command_line().c_str());
    PciConfig lpc(m, 0x1f, 0);
    EXPECT(c, tco::is_intel_lpc(lpc));
    set_up_lpc(lpc);
    uint16_t base = 0;
    uint32_t rcba = 0;
    EXPECT(c, tco::find_tco_base(lpc, base) == Status::ok);
    EXPECT(c, base == kPmBase + tco::kTcoOffsetInPmio);
    EXPECT(c, tco::find_rcba(lpc, rcba) == Status::ok);
    EXPECT(c, rcba == kRcba);
    return {Ports(m, base), Memory(m, rcba)};
}

bool no_reboot(Memory& rcrb) { return (rcrb.read32(tco::kGcsReg) & tco::kGcsNoReboot) != 0; }

}  // namespace

void itco_fire_scenario(Check& c, const QemuTools& t) {
    Machine m(t.qemu, t.timeout, kRebootAllowed);
    Tco w = open_tco(c, m);
    EXPECT(c, tco::read_reset_cause(w.io) == ResetCause::power_on);
    // QEMU puts NO_REBOOT in GCS on every reset: arm() must clear it or nothing fires.
    EXPECT(c, no_reboot(w.rcrb));

    unsigned events = m.watchdog_events();
    Clock::time_point begun = Clock::now();
    EXPECT(c, tco::arm(w.io, w.rcrb, kTimeoutMs) == Status::ok);
    Clock::time_point done = Clock::now();
    EXPECT(c, !no_reboot(w.rcrb));
    EXPECT(c, tco::is_running(w.io));
    expect_action(c, m, events, begun, done, kTimeoutMs, kResolution, "arm(4800)");
    EXPECT(c, (w.io.read16(tco::kTco1StsReg) & tco::kTimeoutSts) != 0);
    EXPECT(c, tco::read_reset_cause(w.io) == ResetCause::watchdog);
    EXPECT(c, tco::clear_reset_cause(w.io) == Status::ok);
    EXPECT(c, tco::read_reset_cause(w.io) == ResetCause::power_on);

    // Firmware locked the TCO (halted): both calls refuse and write nothing.
    w.io.write16(tco::kTco1CntReg, tco::kTcoLock | tco::kTmrHalt);
    EXPECT(c, tco::is_locked(w.io));
    uint16_t tmr = w.io.read16(tco::kTmrReg);
    uint32_t gcs = w.rcrb.read32(tco::kGcsReg);
    EXPECT(c, tco::arm(w.io, w.rcrb, 6000) == Status::locked);
    EXPECT(c, tco::disarm(w.io, w.rcrb) == Status::locked);
    EXPECT(c, w.io.read16(tco::kTmrReg) == tmr);
    EXPECT(c, w.rcrb.read32(tco::kGcsReg) == gcs);
    EXPECT(c, !tco::is_running(w.io));
}

void itco_ping_scenario(Check& c, const QemuTools& t) {
    Machine m(t.qemu, t.timeout, kRebootAllowed);
    Tco w = open_tco(c, m);
    unsigned events = m.watchdog_events();
    Clock::time_point begun = Clock::now();
    EXPECT(c, tco::arm(w.io, w.rcrb, kTimeoutMs) == Status::ok);

    // Wait for the first expiry (TIMEOUT), then ping: the reload must restart the
    // two-expiry count, or the action comes at the next expiry, 2.4 s after the ping
    // instead of 4.8 s.
    Clock::time_point first = poll_until(begun + std::chrono::milliseconds(kFirstExpiryMs) + kResolution + kLateSlack,
                                         [&] { return (w.io.read16(tco::kTco1StsReg) & tco::kTimeoutSts) != 0; });
    EXPECT(c, first != Clock::time_point{});
    c.note("first expiry seen %.1f ms after arm(4800)", ms_between(begun, first));
    EXPECT(c, first >= begun + std::chrono::milliseconds(kFirstExpiryMs));
    EXPECT(c, m.watchdog_events() == events);

    Clock::time_point pinged = Clock::now();
    EXPECT(c, tco::ping(w.io) == Status::ok);
    Clock::time_point done = Clock::now();
    expect_action(c, m, events, pinged, done, kTimeoutMs, kResolution, "ping after the first expiry");
}

void itco_rearm_scenario(Check& c, const QemuTools& t) {
    Machine m(t.qemu, t.timeout, kRebootAllowed);
    Tco w = open_tco(c, m);
    unsigned events = m.watchdog_events();
    Clock::time_point begun = Clock::now();
    EXPECT(c, tco::arm(w.io, w.rcrb, kTimeoutMs) == Status::ok);

    // arm() over a TCO that is running and has expired once, as the loader finds it
    // after a warm reset (the TCO block survives resets): arm() must restart the
    // two-expiry count, or the action comes 2.4 s after it instead of 4.8 s.
    Clock::time_point first = poll_until(begun + std::chrono::milliseconds(kFirstExpiryMs) + kResolution + kLateSlack,
                                         [&] { return (w.io.read16(tco::kTco1StsReg) & tco::kTimeoutSts) != 0; });
    EXPECT(c, first != Clock::time_point{});
    EXPECT(c, m.watchdog_events() == events);

    Clock::time_point rearmed = Clock::now();
    EXPECT(c, tco::arm(w.io, w.rcrb, kTimeoutMs) == Status::ok);
    Clock::time_point done = Clock::now();
    expect_action(c, m, events, rearmed, done, kTimeoutMs, kResolution, "arm(4800) again after the first expiry");
}

void itco_disarm_scenario(Check& c, const QemuTools& t) {
    Machine m(t.qemu, t.timeout, kRebootAllowed);
    Tco w = open_tco(c, m);
    unsigned events = m.watchdog_events();
    Clock::time_point begun = Clock::now();
    EXPECT(c, tco::arm(w.io, w.rcrb, kTimeoutMs) == Status::ok);
    sleep_until(begun + 1s);
    EXPECT(c, tco::disarm(w.io, w.rcrb) == Status::ok);
    EXPECT(c, !tco::is_running(w.io));
    EXPECT(c, no_reboot(w.rcrb));
    expect_no_action(c, m, events, begun + std::chrono::milliseconds(kTimeoutMs) + kResolution + kQuietWindow,
                     "disarm 1 s after arm(4800)");
    EXPECT(c, tco::read_reset_cause(w.io) == ResetCause::power_on);
}

void itco_strap_scenario(Check& c, const QemuTools& t) {
    // QEMU 7.2's default: the guest cannot see the strap, arm() succeeds, the timer
    // expires twice (SECOND_TO_STS), and still no reset: -global noreboot=false is
    // what makes the TCO usable in the QEMU harness.
    Machine m(t.qemu, t.timeout, {});
    Tco w = open_tco(c, m);
    unsigned events = m.watchdog_events();
    Clock::time_point begun = Clock::now();
    EXPECT(c, tco::arm(w.io, w.rcrb, kTimeoutMs) == Status::ok);
    Clock::time_point second = poll_until(begun + std::chrono::milliseconds(kTimeoutMs) + kResolution + kLateSlack,
                                          [&] { return tco::read_reset_cause(w.io) == ResetCause::watchdog; });
    EXPECT(c, second != Clock::time_point{});
    c.note("second expiry seen %.1f ms after arm(4800)", ms_between(begun, second));
    EXPECT(c, second >= begun + std::chrono::milliseconds(kTimeoutMs));
    // The action would have been performed in the same timer callback that set
    // SECOND_TO_STS; the window only adds margin.
    expect_no_action(c, m, events, Clock::now() + 300ms, "second expiry under noreboot=true");
}

}  // namespace wdboot::qtest
