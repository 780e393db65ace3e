// What wdboot knows about each hardware watchdog driver, in one table: the single place
// to add a watchdog. Readers: the loader (efi/efi_watchdog.cpp: probe order, kernel
// arguments), the config checks (finish_config: timeout range, argument length), the
// agent (watchdog_control.cpp: Linux module, identity, disarm method;
// driver_from_cmdline and the reusable command line: kernel arguments) and
// docs/watchdogs.md, whose support table lists each value.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "wdboot/amd_fch.hpp"
#include "wdboot/config.hpp"
#include "wdboot/i6300esb.hpp"
#include "wdboot/ipmi_watchdog.hpp"
#include "wdboot/itco.hpp"
#include "wdboot/pch_tco.hpp"

namespace wdboot {

// How the agent stops the timer once the boot is blessed, unless agent.conf says
// otherwise (docs/agent.md, disarm-method).
enum class AgentDisarm : uint8_t {
    load_driver,  // modprobe the Linux module: its probe stops a running timer
    magic_close,  // open /dev/watchdogN, write 'V', close: the Linux watchdog core stops it
    bmc_command,  // Set Watchdog Timer (stop) to the BMC through /dev/ipmi0 (ipmi_devintf),
                  // checked with Get Watchdog Timer: the IPMI watchdog is no watchdog-core device
};

// Everything wdboot knows about one hardware watchdog driver: the single place to add
// one (docs/watchdogs.md, "Adding a watchdog"). Each fact's source is given beside the
// driver's entry.
struct WatchdogDriverFacts {
    // The one-byte facts first, then the numbers, then the texts: no padding between
    // them (56 bytes an entry, not 72; the table is in the loader image).
    WatchdogChoice choice;
    uint8_t probe_order;           // `watchdog auto` probes drivers in this order (0 first)
    bool picked_by_auto;           // `watchdog auto` may choose this driver
    bool module_stops_timer;       // the module's probe stops a running timer (so it must not
                                   // load before the agent has blessed the boot)
    AgentDisarm disarm;            // how the agent stops it by default
    bool tells_watchdog_reset;     // the device keeps a flag that tells a watchdog reset
                                   // from a power-on (ResetCause::watchdog)
    bool open_timeout_handoff;     // the module tells the Linux watchdog core that the timer
                                   // runs (WDOG_HW_RUNNING), and the core feeds it until
                                   // watchdog.open_timeout: `early-timeout` may be used, and
                                   // then the module loads instead of being kept out
    uint32_t min_timeout_ms;       // the range arm() accepts; outside it arm() refuses
    uint32_t max_timeout_ms;
    uint32_t resolution_us;        // an armed timeout is a whole number of these
    const char* name;              // config keyword, WdbootCurrent's watchdog=, `wdbootctl` output
    const char* linux_module;      // the Linux driver (modprobe name)
    const char* linux_identity;    // lower-case substring of its /sys/class/watchdog/*/identity
    const char* kernel_args;       // appended to a kernel's command line by the loader: keeps
                                   // the module from loading by itself (space-separated words)
};

// Sources (details and the register facts: i6300esb.hpp, itco.hpp, docs/watchdogs.md):
// - i6300esb: the Intel 6300ESB datasheet's WDT chapter; QEMU hw/watchdog/wdt_i6300esb.c;
//   Linux drivers/watchdog/i6300esb.c (its probe writes 0 to config 0x68, stopping a
//   running timer; identity "i6300ESB timer"). Ticks of 2^15 PCI clocks = 983.04 us.
//   The timeout flag in the reload register tells a watchdog reset.
// open_timeout_handoff: the Linux watchdog core (drivers/watchdog/watchdog_dev.c) feeds a
//   timer whose driver set WDOG_HW_RUNNING at probe until open_timeout seconds after the
//   driver registered, unless /dev/watchdog was opened (watchdog_worker_should_ping).
//   iTCO_wdt sets it when TMR_HLT is clear (iTCO_wdt_probe), wdat_wdt when
//   QUERY_RUNNING_STATE says so (wdat_wdt_set_running). Both set their own heartbeat at
//   probe (iTCO_wdt.heartbeat, default 30 s), which is the deadline once feeding stops.
// - itco: the Intel ICH9 datasheet's TCO chapter; Linux drivers/watchdog/iTCO_wdt.c
//   (identity "iTCO_wdt"; a running timer is left to the watchdog core, which feeds it
//   (handle_boot_enabled), so loading it does not stop the timer). 0.6 s ticks, reset
//   on the second expiry: timeouts in steps of 1.2 s.
//   TCO2_STS.SECOND_TO_STS tells a watchdog reset.
// - amd-fch: Linux drivers/watchdog/sp5100_tco.c (identity "SP5100 TCO timer"; its
//   probe, sp5100_tco_timer_init, sets its own heartbeat and STOPS a running timer, and
//   clears the Fired bit); AMD's SB600 register reference (WatchDogTimer registers).
//   1 s ticks, one extra tick for the clock's unknown phase (amd_fch.hpp).
//   WatchdogControl.Fired (and on Zen PMxC0 bit 25) tells a watchdog reset. Not yet
//   probed by the loader: not picked by auto, and `watchdog amd-fch` is refused.
// - itco-pch: the Intel TCO of 100-series and later PCHs (pch_tco.hpp, its sources there):
//   found through the SMBus controller 00:1f.4 (TCOBASE/TCOCTL), NO_REBOOT in the SMBus's
//   sideband General Control (TCO v4) or TCO1_CNT (v6). The same TCO timer as itco (0.6 s
//   ticks, reset on the second expiry: steps of 1.2 s) and the same Linux driver, iTCO_wdt,
//   instantiated by i2c-i801 (not lpc_ich); since commits 1ae3e78c0820 and ef9b7bf52c2f
//   (stable series: October 2023) its probe leaves a running timer and NO_REBOOT alone and
//   the watchdog core feeds it (older kernels stop the timer at probe), so it gets itco's
//   hand-off, module kept from loading by itself. TCO2_STS.SECOND_TO_STS tells a watchdog
//   reset, unless firmware cleared it.
//   The loader does not probe it yet: `watchdog itco-pch` is refused by the config and
//   auto does not pick it (picked_by_auto becomes true when efi/ probes it).
// - wdat: the ACPI WDAT (wdat.hpp; Microsoft's Hardware Watchdog Timers Design
//   Specification). The firmware's table decides the period and the count range, so the
//   config checks only the global range and arm() refuses what the table cannot count;
//   1 ms is the finest period the specification allows. Linux drivers/watchdog/wdat_wdt.c
//   (identity "wdat_wdt") sets WDOG_HW_RUNNING when QUERY_RUNNING_STATE says so, so the
//   watchdog core feeds it: the early-timeout hand-off. QUERY_WATCHDOG_STATUS tells a
//   watchdog reset when the table has it. Probed first by auto, when the table is there
//   and its Flags say enabled: the firmware itself names its watchdog.
// - ipmi: the BMC watchdog over KCS (ipmi_watchdog.hpp; IPMI v2.0 ch. 27), found through
//   SMBIOS type 38. 100 ms units, 16 bits. Linux drivers/char/ipmi/ipmi_watchdog.c is a
//   misc device outside the watchdog core; loaded without start_now it STOPS a running
//   BMC timer (docs/watchdogs.md), so it is kept out until the blessing and the agent
//   stops the timer with a command to the BMC. The OS Load expiration flag tells a
//   watchdog reset; it lives in the BMC and survives the reset.
inline constexpr WatchdogDriverFacts kWatchdogDrivers[] = {
    {.choice = WatchdogChoice::wdat,
     .probe_order = 0,
     .picked_by_auto = true,
     .module_stops_timer = false,
     .disarm = AgentDisarm::magic_close,
     .tells_watchdog_reset = true,
     .open_timeout_handoff = true,
     .min_timeout_ms = kMinTimeoutSeconds * 1000u,
     .max_timeout_ms = kMaxTimeoutSeconds * 1000u,
     .resolution_us = 1000,
     .name = "wdat",
     .linux_module = "wdat_wdt",
     .linux_identity = "wdat_wdt",
     .kernel_args = "modprobe.blacklist=wdat_wdt"},
    {.choice = WatchdogChoice::ipmi,
     .probe_order = 1,
     .picked_by_auto = true,
     .module_stops_timer = true,
     .disarm = AgentDisarm::bmc_command,
     .tells_watchdog_reset = true,
     .open_timeout_handoff = false,
     .min_timeout_ms = ipmi::kMinTimeoutMs,
     .max_timeout_ms = ipmi::kMaxTimeoutMs,
     .resolution_us = ipmi::kResolutionMs * 1000,
     .name = "ipmi",
     .linux_module = "ipmi_watchdog",
     .linux_identity = "ipmi",
     .kernel_args = "modprobe.blacklist=ipmi_watchdog"},
    {.choice = WatchdogChoice::i6300esb,
     .probe_order = 2,
     .picked_by_auto = true,
     .module_stops_timer = true,
     .disarm = AgentDisarm::load_driver,
     .tells_watchdog_reset = true,
     .open_timeout_handoff = false,
     .min_timeout_ms = i6300esb::kMinTimeoutMs,
     .max_timeout_ms = i6300esb::kMaxTimeoutMs,
     .resolution_us = i6300esb::kTickNs / 1000,
     .name = "i6300esb",
     .linux_module = "i6300esb",
     .linux_identity = "i6300esb",
     .kernel_args = "modprobe.blacklist=i6300esb"},
    {.choice = WatchdogChoice::itco,
     .probe_order = 3,
     .picked_by_auto = true,
     .module_stops_timer = false,
     .disarm = AgentDisarm::magic_close,
     .tells_watchdog_reset = true,
     .open_timeout_handoff = true,
     .min_timeout_ms = itco::kMinTimeoutMs,
     .max_timeout_ms = itco::kMaxTimeoutMs,
     .resolution_us = 2u * itco::kTickMs * 1000,
     .name = "itco",
     .linux_module = "iTCO_wdt",
     .linux_identity = "itco",
     .kernel_args = "modprobe.blacklist=iTCO_wdt"},
    {.choice = WatchdogChoice::amd_fch,
     .probe_order = 5,
     .picked_by_auto = false,
     .module_stops_timer = true,
     .disarm = AgentDisarm::load_driver,
     .tells_watchdog_reset = true,
     .open_timeout_handoff = false,
     .min_timeout_ms = amd_fch::kMinTimeoutMs,
     .max_timeout_ms = amd_fch::kMaxTimeoutMs,
     .resolution_us = amd_fch::kTickMs * 1000,
     .name = "amd-fch",
     .linux_module = "sp5100_tco",
     .linux_identity = "sp5100 tco",
     .kernel_args = "modprobe.blacklist=sp5100_tco"},
    {.choice = WatchdogChoice::itco_pch,
     .probe_order = 4,
     .picked_by_auto = false,
     .module_stops_timer = false,
     .disarm = AgentDisarm::magic_close,
     .tells_watchdog_reset = true,
     .open_timeout_handoff = true,
     .min_timeout_ms = pch_tco::kMinTimeoutMs,
     .max_timeout_ms = pch_tco::kMaxTimeoutMs,
     .resolution_us = 2u * pch_tco::kTickMs * 1000,
     .name = "itco-pch",
     .linux_module = "iTCO_wdt",
     .linux_identity = "itco",
     .kernel_args = "modprobe.blacklist=iTCO_wdt"},
};

// Whether a `watchdog` choice may arm this driver: auto may arm every driver it may
// pick, any other choice only its own driver.
bool may_arm(WatchdogChoice choice, const WatchdogDriverFacts& f);

// The driver of a loader name ("wdat", "ipmi", "i6300esb", "itco", "amd-fch",
// "itco-pch"; case as written), or nullptr.
const WatchdogDriverFacts* watchdog_driver_named(const char* name);

// The facts of one driver, or nullptr for auto and none (not in the table).
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

// The early-timeout hand-off's kernel argument: `watchdog.open_timeout=` and the
// blessing deadline in seconds. It replaces the driver's kernel_args (the module must
// load to take the timer over). kHandoffArgsMax holds it for any timeout.
inline constexpr char kOpenTimeoutArg[] = "watchdog.open_timeout=";
inline constexpr size_t kHandoffArgsMax = sizeof(kOpenTimeoutArg) + 10;

// How the loader arms a found driver for one boot: the seconds to arm and the kernel
// arguments to append. With `early-timeout` set and a driver whose module takes the
// timer over (open_timeout_handoff): early_timeout_s and watchdog.open_timeout=timeout_s;
// otherwise timeout_s and the driver's kernel_args. `driver` may be nullptr (no
// watchdog): timeout_s and no arguments. Pure; called by run_boot for each slot.
struct WatchdogPlan {
    uint32_t arm_s;
    bool two_deadlines;
    char kernel_args[kHandoffArgsMax > 64 ? kHandoffArgsMax : 64];
};
WatchdogPlan plan_watchdog(const Config& cfg, const WatchdogDriverFacts* driver);

}  // namespace wdboot
