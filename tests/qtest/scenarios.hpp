// The scenarios of the watchdog register test, one QEMU machine each, so that they
// can run side by side (the machines idle while the watchdogs count).
#pragma once
#include <string>

#include "check_log.hpp"

namespace wdboot::qtest {

struct QemuTools {
    std::string qemu;     // qemu-system-x86_64, started with -nic none (qtest_machine.cpp)
    std::string timeout;  // coreutils timeout, the hard limit on each QEMU
};

// i6300esb: fire time and reset flag, ping, disarm, range refusal, firmware lock.
void i6300esb_scenario(Check& c, const QemuTools& t);
// TCO (noreboot=false): fire time at the second expiry, reset status, lock refusal.
void itco_fire_scenario(Check& c, const QemuTools& t);
// TCO (noreboot=false): a ping after the first expiry restarts both expiries.
void itco_ping_scenario(Check& c, const QemuTools& t);
// TCO (noreboot=false): arm() over a counter that already expired once.
void itco_rearm_scenario(Check& c, const QemuTools& t);
// TCO (noreboot=false): disarm keeps the machine from being reset.
void itco_disarm_scenario(Check& c, const QemuTools& t);
// TCO with QEMU 7.2's default noreboot=true: the second expiry happens, no reset.
void itco_strap_scenario(Check& c, const QemuTools& t);

}  // namespace wdboot::qtest
