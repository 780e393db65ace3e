// The core's i6300esb sequences against QEMU 7.2's wdt_i6300esb device.
#include <chrono>

#include "action_watch.hpp"
#include "firmware_role.hpp"
#include "scenarios.hpp"
#include "wdboot/i6300esb.hpp"

namespace wdboot::qtest {
namespace {

using namespace std::chrono_literals;
namespace esb = wdboot::i6300esb;

constexpr std::chrono::nanoseconds kTick{esb::kTickNs};
// The shortest timeout arm() accepts, so the scenario waits as little as possible.
constexpr uint32_t kTimeoutMs = esb::kMinTimeoutMs;

// The reload register read without unlocking: QEMU answers with the timeout flag
// (0x1200 after a stage-2 expiry, 0 otherwise) to a 16-bit read.
uint16_t raw_flag(Memory& mmio) { return mmio.read16(esb::kReloadReg); }

}  // namespace

void i6300esb_scenario(Check& c, const QemuTools& t) {
    Machine m(t.qemu, t.timeout, {"-device", "i6300esb,addr=0x5"});
    c.note("qemu: %s", m.command_line().c_str());
    PciConfig cfg(m, kEsbSlot, 0);
    EXPECT(c, esb::is_i6300esb(cfg));
    assign_esb_bar(cfg);
    Memory mmio(m, kEsbBar0);
    EXPECT(c, esb::enable_decoding(cfg) == Status::ok);
    EXPECT(c, esb::read_reset_cause(mmio) == ResetCause::power_on);

    // arm() alone: the device resets (QEMU performs the action and resets the
    // device) no earlier than the timeout, and leaves the flag the loader reads.
    unsigned events = m.watchdog_events();
    Clock::time_point begun = Clock::now();
    EXPECT(c, esb::arm(cfg, mmio, kTimeoutMs) == Status::ok);
    Clock::time_point done = Clock::now();
    EXPECT(c, esb::is_running(cfg) && !esb::is_locked(cfg));
    expect_action(c, m, events, begun, done, kTimeoutMs, kTick, "arm(1000)");
    EXPECT(c, !esb::is_running(cfg));
    c.note("reset flag after the action: 0x%04x", raw_flag(mmio));
    EXPECT(c, raw_flag(mmio) == 0x1200);
    EXPECT(c, esb::read_reset_cause(mmio) == ResetCause::watchdog);
    EXPECT(c, esb::clear_reset_cause(mmio) == Status::ok);
    EXPECT(c, raw_flag(mmio) == 0);
    EXPECT(c, esb::read_reset_cause(mmio) == ResetCause::power_on);

    // clear_reset_cause() must not feed the timer (the loader calls it with the
    // watchdog armed): called on every poll, a feeding clear would keep the action
    // from ever coming.
    events = m.watchdog_events();
    begun = Clock::now();
    EXPECT(c, esb::arm(cfg, mmio, kTimeoutMs) == Status::ok);
    done = Clock::now();
    expect_action(c, m, events, begun, done, kTimeoutMs, kTick, "arm(1000), clear_reset_cause every 5 ms",
                  [&] { (void)esb::clear_reset_cause(mmio); });
    EXPECT(c, esb::clear_reset_cause(mmio) == Status::ok);

    // ping() restarts the full timeout: without it the action would come at
    // arm + 1000 ms, 600 ms before the earliest time allowed after the ping.
    events = m.watchdog_events();
    begun = Clock::now();
    EXPECT(c, esb::arm(cfg, mmio, kTimeoutMs) == Status::ok);
    sleep_until(begun + 600ms);
    EXPECT(c, m.watchdog_events() == events);
    Clock::time_point pinged = Clock::now();
    EXPECT(c, esb::ping(mmio) == Status::ok);
    done = Clock::now();
    expect_action(c, m, events, pinged, done, kTimeoutMs, kTick, "ping 600 ms after arm(1000)");
    EXPECT(c, esb::clear_reset_cause(mmio) == Status::ok);

    // disarm() stops it: nothing happens up to well past the deadline.
    events = m.watchdog_events();
    begun = Clock::now();
    EXPECT(c, esb::arm(cfg, mmio, kTimeoutMs) == Status::ok);
    sleep_until(begun + 500ms);
    EXPECT(c, esb::disarm(cfg, mmio) == Status::ok);
    expect_no_action(c, m, events, begun + std::chrono::milliseconds(kTimeoutMs) + kTick + kQuietWindow,
                     "disarm 500 ms after arm(1000)");
    EXPECT(c, !esb::is_running(cfg));
    EXPECT(c, esb::read_reset_cause(mmio) == ResetCause::power_on);

    EXPECT(c, esb::arm(cfg, mmio, esb::kMinTimeoutMs - 1) == Status::invalid_argument);
    EXPECT(c, esb::arm(cfg, mmio, esb::kMaxTimeoutMs + 1) == Status::invalid_argument);
    EXPECT(c, !esb::is_running(cfg));

    // Firmware enables and locks the timer (it restarts on the preloads of the last
    // arm(1000)). arm() and disarm() must refuse without writing: had arm() written
    // its 60 s preloads and reload, the action would not come about 1 s after the
    // lock; had disarm() worked, not at all.
    events = m.watchdog_events();
    begun = Clock::now();
    cfg.write8(esb::kLockReg, esb::kLockEnable | esb::kLockLock);
    done = Clock::now();
    EXPECT(c, esb::is_locked(cfg) && esb::is_running(cfg));
    EXPECT(c, esb::arm(cfg, mmio, 60000) == Status::locked);
    EXPECT(c, esb::disarm(cfg, mmio) == Status::locked);
    EXPECT(c, esb::is_running(cfg));
    expect_action(c, m, events, begun, done, kTimeoutMs, kTick, "locked by firmware, arm(60000) and disarm refused");
}

}  // namespace wdboot::qtest
