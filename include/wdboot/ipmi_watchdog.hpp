// The IPMI BMC watchdog (IPMI v2.0 chapter 27) over a KCS interface (ipmi_kcs.hpp).
// The EFI loader probes for a BMC, reads and clears the reset cause, arms the timer
// with the timer use "OS Load" before starting a kernel and may log a fallback to the
// SEL; Linux's ipmi_watchdog (or `ipmitool mc watchdog`) takes it over or stops it.
// Behaviour and the reasons for each choice: docs/watchdogs.md, "IPMI BMC watchdog".
#pragma once
#include <stdint.h>

#include "wdboot/boot_record.hpp"
#include "wdboot/ipmi_kcs.hpp"
#include "wdboot/status.hpp"

namespace wdboot::ipmi {

// Network functions and commands.
inline constexpr uint8_t kNetfnApp = 0x06;
inline constexpr uint8_t kNetfnStorage = 0x0A;
inline constexpr uint8_t kCmdGetDeviceId = 0x01;
inline constexpr uint8_t kCmdResetWatchdog = 0x22;
inline constexpr uint8_t kCmdSetWatchdog = 0x24;
inline constexpr uint8_t kCmdGetWatchdog = 0x25;
inline constexpr uint8_t kCmdAddSelEntry = 0x44;

// Set/Get Watchdog Timer, byte 1 (timer use).
inline constexpr uint8_t kUseDontLog = 0x80;
inline constexpr uint8_t kUseDontStop = 0x40;  // Set: keep running; Get: 1 = running
inline constexpr uint8_t kUseMask = 0x07;
inline constexpr uint8_t kUseBiosFrb2 = 1;
inline constexpr uint8_t kUseBiosPost = 2;
inline constexpr uint8_t kUseOsLoad = 3;
inline constexpr uint8_t kUseSmsOs = 4;  // Linux's ipmi_watchdog
inline constexpr uint8_t kUseOem = 5;
// Byte 2 (timer actions): pre-timeout interrupt in bits 6:4, action in bits 2:0.
inline constexpr uint8_t kActionNone = 0;
inline constexpr uint8_t kActionHardReset = 1;
inline constexpr uint8_t kActionMask = 0x07;
inline constexpr uint8_t kPretimeoutMask = 0x70;
// Byte 4 (expiration flags clear, Set) and the expiration flags (Get, byte 4): one bit
// per timer use, 1 << use.
inline constexpr uint8_t kExpiredOsLoad = 1u << kUseOsLoad;
inline constexpr uint8_t kExpiredSmsOs = 1u << kUseSmsOs;
// The flags that say "a watchdog we or the kernel armed reset the machine": ours (OS
// Load) and the one Linux's ipmi_watchdog sets when it takes the timer over (SMS/OS).
inline constexpr uint8_t kExpiredOurs = kExpiredOsLoad | kExpiredSmsOs;
// Reset Watchdog Timer: "attempt to start un-initialized watchdog".
inline constexpr uint8_t kCcWatchdogUninitialized = 0x80;

// Timing, for the driver table: countdown in 100 ms units, 16 bits.
inline constexpr uint32_t kResolutionMs = 100;
inline constexpr uint32_t kMinTimeoutMs = kResolutionMs;
inline constexpr uint32_t kMaxTimeoutMs = 0xFFFFu * kResolutionMs;  // 6553.5 s

// The countdown for a timeout: ceil(timeout_ms / 100), so the reset never comes early.
// Pure; no range check.
uint32_t countdown_for(uint32_t timeout_ms);

// What Get Device ID told us, for the loader's log.
struct DeviceId {
    uint8_t device_id;
    uint8_t device_revision;
    uint8_t firmware_major;
    uint8_t firmware_minor;  // BCD
    uint8_t ipmi_version;    // BCD: 0x20 = 2.0
    uint32_t manufacturer_id;
    uint16_t product_id;
};

// The watchdog timer state as Get Watchdog Timer reports it.
struct TimerState {
    uint8_t use;             // byte 1 as reported (don't-log, running, timer use)
    uint8_t actions;         // byte 2
    uint8_t pretimeout_s;    // byte 3
    uint8_t expired;         // byte 4: expiration flags
    uint16_t initial;        // initial countdown, 100 ms units
    uint16_t present;        // present countdown, 100 ms units

    // Running: bit 6 of the timer use and a countdown left. The spec defines bit 6 of
    // the Get response as "timer is started"; QEMU's simulated BMC instead echoes the
    // don't-stop bit of the last Set, so bit 6 alone would call a stopped QEMU timer
    // running after a Set with don't-stop. Both agree when both conditions hold.
    bool running() const { return (use & kUseDontStop) != 0 && present != 0; }
};

// Get Device ID: confirms a BMC answers on this interface. not_found if nothing decodes
// the ports; device_error if the KCS protocol fails or the completion code is not 0;
// bad_size if the response is shorter than the 11 mandatory bytes.
Status probe(Kcs& kcs, DeviceId& id);

// Decodes the data of a Get Watchdog Timer response (after the completion code):
// bad_size if shorter than its 8 bytes. Pure; shared with the agent, which asks through
// Linux's IPMI device instead of KCS.
Status parse_timer_state(const uint8_t* data, size_t length, TimerState& state);

// Get Watchdog Timer. unsupported if the BMC does not know the command (0xC1), other
// failures as probe().
Status get_timer(Kcs& kcs, TimerState& state);

// Arms the BMC watchdog: Set Watchdog Timer (use OS Load with don't-stop, logging on,
// action hard reset, no pre-timeout interrupt, clears the OS Load expiration flag,
// countdown_for(timeout_ms)), then Reset Watchdog Timer (starts the countdown), then
// Get Watchdog Timer, which must report our settings and a running timer. Timeouts
// outside [kMinTimeoutMs, kMaxTimeoutMs] are refused with invalid_argument before
// anything is sent, never clamped. unsupported if the BMC has no watchdog commands;
// device_error if a completion code is not 0 or the timer does not run as set.
// Because the Set clears the OS Load expiration flag, read_reset_cause() must come
// first. A timer already running (Linux's, after a warm reboot) never stops: it goes
// on with our parameters. Called by the EFI loader just before it starts the kernel.
Status arm(Kcs& kcs, uint32_t timeout_ms);

// Reset Watchdog Timer: restarts the countdown from the initial value. device_error
// if the BMC answers with a completion code other than 0 (0x80: never set up).
Status ping(Kcs& kcs);

// Stops the timer: Set Watchdog Timer with don't-stop clear and action none (so even a
// later Reset Watchdog Timer cannot reset the machine), expiration flags untouched;
// then Get must report it stopped, else device_error.
Status disarm(Kcs& kcs);

// OS Load or SMS/OS expiration flag set: a watchdog armed by us (or taken over by
// Linux's ipmi_watchdog) expired since the flags were last cleared -> watchdog; flags
// clear -> power_on; no BMC or a failed command -> unknown. The flags live in the BMC
// and survive the reset: read them before clear_reset_cause().
ResetCause read_reset_cause(Kcs& kcs);

// Clears the OS Load and SMS/OS expiration flags, so a later ordinary reset is not
// reported as a watchdog reset. Set Watchdog Timer needs every parameter, so this
// writes back what Get reported (timer use, logging, actions, pre-timeout, initial
// countdown) with don't-stop set only if the timer is running: a stopped timer stays
// stopped, a running one keeps running (restarted from its initial countdown). Sends
// nothing if the flags are already clear. device_error if they stay set. (Same step,
// name and contract as itco::clear_reset_cause.)
Status clear_reset_cause(Kcs& kcs);

// The SEL record for "wdboot failed over from one slot to another", as `ipmitool sel
// list` (1.8.19) shows it:  "<id> | <date> | <time> | System Event | System
// Reconfigured | Asserted"; `ipmitool sel get <id>` shows "Event Data : a0<failed><next>".
// Record type 2 (system event), generator ID 0x0041 (software ID 0x20, "system
// management software", as `ipmitool sel add` uses), EvM revision 4, sensor type 0x12
// (System Event), sensor number 0, event type 0x6F (sensor-specific, assertion),
// event data 1 = 0xA0 (offset 0 "System Reconfigured"; data 2 and 3 are OEM codes),
// event data 2 = the slot that failed, event data 3 = the slot booted instead
// (kNoSlot: none). The BMC fills in the record ID and the timestamp.
inline constexpr uint8_t kSelRecordTypeSystem = 0x02;
inline constexpr uint8_t kSelGeneratorId = 0x41;
inline constexpr uint8_t kSelEvmRev = 0x04;
inline constexpr uint8_t kSelSensorTypeSystemEvent = 0x12;
inline constexpr uint8_t kSelSensorNumber = 0x00;
inline constexpr uint8_t kSelEventTypeSensorSpecific = 0x6F;
inline constexpr uint8_t kSelEventData1 = 0xA0;  // OEM data 2 and 3, offset 0
inline constexpr size_t kSelRecordBytes = 16;

// The 16 bytes of that record (record ID and timestamp zero). Pure.
void sel_failover_record(uint8_t failed_slot, uint8_t next_slot, uint8_t (&record)[kSelRecordBytes]);

// Add SEL Entry with sel_failover_record(). record_id gets the ID the BMC assigned.
// device_error on a completion code other than 0 (e.g. 0x80/0xC4: SEL full); the
// loader logs it and boots on: the SEL is a courtesy, never a reason to stop.
Status add_sel_event(Kcs& kcs, uint8_t failed_slot, uint8_t next_slot, uint16_t& record_id);

}  // namespace wdboot::ipmi
