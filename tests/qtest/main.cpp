// qemu.watchdog_registers: the core's watchdog drivers against QEMU's real devices.
//
// What it checks. The unchanged core functions (include/wdboot/i6300esb.hpp,
// itco.hpp) drive QEMU 7.2's own i6300esb and ICH9 TCO models over the qtest
// protocol (q35, TCG, -nic none, -display none, -action watchdog=debug so the VM
// stays up and each action shows as a QMP WATCHDOG event):
//   i6300esb  arm(1000) fires, never before 1000 ms; the reset flag reads 0x1200,
//             then 0 after clear_reset_cause(), which does not feed the timer; ping()
//             restarts the timeout; disarm() stops it; out-of-range timeouts are
//             refused; a device firmware locked with 0x03 makes arm() and disarm()
//             return locked and keeps running.
//   TCO       (-global ICH9-LPC.noreboot=false) arm(4800) clears NO_REBOOT and fires
//             at the second expiry, never before 4800 ms; the reset status reads and
//             clears; a ping, or a new arm(), after the first expiry restarts both
//             expiries; disarm() stops it and sets NO_REBOOT; a locked TCO is
//             refused and left as is. With QEMU's default noreboot=true the second
//             expiry happens but no reset does.
//
// Why. The unit tests run the drivers against register models written from QEMU's
// source; this test keeps those models honest by running the same code against QEMU
// itself on every CI run (label qemu).
//
// How time is handled. Debian's QEMU has no qtest accelerator (no clock_step), so
// the watchdogs count in real time; see action_watch.hpp for why "never before the
// timeout" is still checked exactly and cannot be failed by a slow host. The guest
// CPU only halts (a 64 KiB ROM, see qtest_machine.hpp), so each QEMU is idle, and the
// six scenarios run side by side in six machines: about 8 s in all.
//
// Usage: wdboot_qtest_watchdogs <qemu-system-x86_64> <timeout>. Exit 0 only when
// every check of every scenario passed.
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <thread>
#include <vector>

#include "scenarios.hpp"

using namespace wdboot::qtest;

namespace {

struct Scenario {
    const char* name;
    void (*run)(Check&, const QemuTools&);
};

const Scenario kScenarios[] = {
    {"i6300esb: fire time, reset flag, ping, disarm, range, firmware lock", i6300esb_scenario},
    {"itco: fire time at the second expiry, reset status, lock", itco_fire_scenario},
    {"itco: ping after the first expiry", itco_ping_scenario},
    {"itco: arm over a TCO that already expired once", itco_rearm_scenario},
    {"itco: disarm", itco_disarm_scenario},
    {"itco: QEMU's default noreboot strap", itco_strap_scenario},
};

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s <qemu-system-x86_64> <timeout>\n", argv[0]);
        return 2;
    }
    // A QEMU that died must show up as a failed write with a message, not kill us.
    signal(SIGPIPE, SIG_IGN);
    QemuTools tools{argv[1], argv[2]};
    auto start = std::chrono::steady_clock::now();

    std::vector<Check> checks;
    for (const Scenario& s : kScenarios) checks.emplace_back(s.name);
    std::vector<std::thread> threads;
    for (size_t i = 0; i < checks.size(); ++i) {
        threads.emplace_back([&, i] {
            try {
                kScenarios[i].run(checks[i], tools);
            } catch (const std::exception& e) {
                checks[i].note("aborted: %s", e.what());
                EXPECT(checks[i], !"the scenario ran to its end");
            }
        });
    }
    for (auto& th : threads) th.join();

    int failures = 0;
    for (const Check& c : checks) {
        printf("%s %s\n%s", c.failures() == 0 ? "PASS" : "FAIL", c.name().c_str(), c.log().c_str());
        failures += c.failures();
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    printf("%s: %d failed expectations, %.1f s\n", failures == 0 ? "PASSED" : "FAILED", failures, secs);
    return failures == 0 ? 0 : 1;
}
