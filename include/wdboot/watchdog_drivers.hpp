// What wdboot knows about each hardware watchdog driver, in one table: the name used in
// wdboot.conf and WdbootCurrent, the kernel arguments the loader appends to a slot's
// command line, and the timeout range the core's arm() accepts. The loader
// (efi/efi_watchdog.cpp) takes the kernel arguments from here, and the config checks
// (finish_config) take both facts from here, so a slot that the parser accepts also
// fits at boot. docs/watchdogs.md explains each value.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "wdboot/config.hpp"
#include "wdboot/i6300esb.hpp"
#include "wdboot/itco.hpp"

namespace wdboot {

struct WatchdogDriverFacts {
    WatchdogChoice choice;
    const char* name;          // as in wdboot.conf ("i6300esb", "itco")
    const char* kernel_args;   // appended to the slot's command line by the loader
    uint32_t min_timeout_ms;   // the range arm() accepts; outside it arm() refuses
    uint32_t max_timeout_ms;
    bool picked_by_auto;       // `watchdog auto` may choose this driver
};

// Each Linux driver would take over (i6300esb: stop; iTCO_wdt: reprogram to its own
// heartbeat and let the kernel feed it) a timer that must keep running until the agent
// has blessed the boot; the agent loads the driver itself then (docs/watchdogs.md).
inline constexpr WatchdogDriverFacts kWatchdogDrivers[] = {
    {WatchdogChoice::i6300esb, "i6300esb", "modprobe.blacklist=i6300esb", i6300esb::kMinTimeoutMs,
     i6300esb::kMaxTimeoutMs, true},
    {WatchdogChoice::itco, "itco", "modprobe.blacklist=iTCO_wdt", itco::kMinTimeoutMs, itco::kMaxTimeoutMs, true},
};

// The facts of one driver, or nullptr for auto, none and drivers the loader does not
// implement (wdat).
const WatchdogDriverFacts* watchdog_driver(WatchdogChoice choice);

// What a `watchdog` choice demands of the config: the whole-second timeouts every
// driver it may arm accepts (within kMinTimeoutSeconds..kMaxTimeoutSeconds), and the
// longest kernel arguments it may append. For auto: every driver auto may pick. For
// none and wdat: the global range and no arguments. `limiting` names the driver that
// sets the tighter timeout bound (nullptr when the global range applies) and
// `longest_args` the longest arguments (nullptr when none are appended).
struct WatchdogLimits {
    uint32_t min_timeout_s;
    uint32_t max_timeout_s;
    const WatchdogDriverFacts* limiting;
    const char* longest_args;
    size_t args_length;
};
WatchdogLimits watchdog_limits(WatchdogChoice choice);

}  // namespace wdboot
