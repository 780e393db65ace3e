// Register sequences for the Intel 6300ESB watchdog (PCI 8086:25ab), the watchdog
// QEMU offers as `-device i6300esb`. Two windows are involved: the device's PCI
// configuration space (`config`) and its 16-byte memory BAR0 (`mmio`).
//
// The EFI loader calls these to arm the watchdog before it starts a kernel; the agent
// may call them to disarm it once the boot is blessed. Nothing here keeps state: the
// device is the state. Behaviour and the reasons for each choice: docs/watchdogs.md.
#pragma once
#include <stdint.h>

#include "wdboot/boot_record.hpp"
#include "wdboot/reg_io.hpp"
#include "wdboot/status.hpp"

namespace wdboot::i6300esb {

inline constexpr uint16_t kVendorId = 0x8086;
inline constexpr uint16_t kDeviceId = 0x25ab;

// PCI configuration space.
inline constexpr uint32_t kPciVendorReg = 0x00;   // 16 bit
inline constexpr uint32_t kPciDeviceReg = 0x02;   // 16 bit
inline constexpr uint32_t kPciCommandReg = 0x04;  // 16 bit
inline constexpr uint16_t kPciCommandMemory = 0x0002;
inline constexpr uint32_t kConfigReg = 0x60;  // WDT configuration, 16-bit accesses only
inline constexpr uint16_t kConfigNoReboot = 0x0020;    // 1: stage 2 only raises WDT_OUTPUT, no reset
inline constexpr uint16_t kConfigFreq1Mhz = 0x0004;    // 1: 1 MHz prescaler, 0: 1 kHz
inline constexpr uint16_t kConfigIntDisabled = 0x0003; // stage-1 interrupt type: none
inline constexpr uint32_t kLockReg = 0x68;  // WDT lock register, 8-bit accesses only
inline constexpr uint8_t kLockFreeRun = 0x04;
inline constexpr uint8_t kLockEnable = 0x02;
inline constexpr uint8_t kLockLock = 0x01;  // write-once until the next system reset

// Memory BAR0.
inline constexpr uint32_t kTimer1Reg = 0x00;  // stage-1 preload, 32-bit write, 20 bits used
inline constexpr uint32_t kTimer2Reg = 0x04;  // stage-2 preload
inline constexpr uint32_t kReloadReg = 0x0C;  // unlock sequence, reload, timeout flag
inline constexpr uint8_t kUnlock1 = 0x80;
inline constexpr uint8_t kUnlock2 = 0x86;
inline constexpr uint16_t kReloadBit = 0x0100;
inline constexpr uint16_t kTimeoutFlag = 0x0200;  // reads 1 after a watchdog reset; write 1 clears

// Timing. At the 1 kHz prescaler one tick is 2^15 periods of the 33.33 MHz PCI clock:
// 32768 x 30 ns = 983.04 us, in QEMU (which models exactly this) and on hardware.
inline constexpr uint32_t kTickNs = 983040;
inline constexpr uint32_t kMaxPreload = 0xFFFFF;  // 20-bit preload per stage
// The range arm() accepts. The minimum is Linux's (1 s); the maximum is the longest
// timeout whose two stages both fit 20 bits: 2 x 0xFFFFF ticks = 2061.58 s.
inline constexpr uint32_t kMinTimeoutMs = 1000;
inline constexpr uint32_t kMaxTimeoutMs = 2061582;

// The two stage preloads for a timeout: total = ceil(timeout_ms / 0.98304 ms) ticks,
// so the reset comes at least timeout_ms and less than one tick after arming; split
// stage1 = ceil(total / 2), stage2 = total - stage1. Pure; for arm() and the tests.
struct Preloads {
    uint32_t stage1;
    uint32_t stage2;
};
Preloads preloads_for(uint32_t timeout_ms);

// True if the configuration space carries 8086:25ab.
bool is_i6300esb(RegisterIo& config);

// Turns on memory decoding (PCI command bit 1) so BAR0 answers; OVMF leaves it off
// for a device it has no driver for. device_error if the bit does not stick.
Status enable_decoding(RegisterIo& config);

// What the timeout flag says about the last reset: watchdog after a stage-2 expiry,
// power_on when clear, unknown when the BAR reads as all ones (not decoding).
// The flag survives system resets until cleared, so read it before clear_reset_cause().
ResetCause read_reset_cause(RegisterIo& mmio);

// Clears what read_reset_cause() reads, the timeout flag (unlock, then write 1 to bit 9
// of the reload register; the timer is not reloaded), and reads it back. The loader
// calls it on every boot after read_reset_cause(): the flag outlives later resets, so a
// panic reboot after a watchdog reset would otherwise be reported as another watchdog
// reset. device_error if the flag stays set or BAR0 reads as all ones. (Same step, name
// and contract as itco::clear_reset_cause.)
Status clear_reset_cause(RegisterIo& mmio);

// Arms the watchdog: prescaler 1 kHz, reset at stage-2 expiry, no stage-1 interrupt,
// both preloads (see preloads_for), reload, enable WITHOUT the lock bit, and checks
// by reading the lock register back. Timeouts outside [kMinTimeoutMs, kMaxTimeoutMs]
// are refused with invalid_argument (never clamped: the caller's number is the one
// the operator configured). A device already locked is refused with Status::locked
// and not written to. device_error if the device did not take the enable.
Status arm(RegisterIo& config, RegisterIo& mmio, uint32_t timeout_ms);

// Restarts stage 1 from its preload (unlock, reload); no effect if not enabled.
// device_error if BAR0 reads as all ones (the write cannot have reached the device).
Status ping(RegisterIo& mmio);

// Stops the timer: reload, then clear enable. Status::locked if the lock bit is set
// (then nothing can stop it before the next system reset), device_error if the
// enable bit does not clear.
Status disarm(RegisterIo& config, RegisterIo& mmio);

bool is_running(RegisterIo& config);
bool is_locked(RegisterIo& config);

}  // namespace wdboot::i6300esb
