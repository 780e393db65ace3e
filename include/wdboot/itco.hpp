// Register sequences for the Intel ICH9 TCO watchdog (the LPC bridge at 00:1f.0 of
// QEMU's q35 machine; the same TCO version 2 as on ICH6..ICH10 hardware). Windows:
//   lpc  - the LPC bridge's PCI configuration space (to find the two below);
//   tco  - 0x20 I/O ports at PMBASE + 0x60 (0x660 under OVMF);
//   rcrb - the chipset configuration registers at RCBA (0xFED1C000 under OVMF), for
//          the NO_REBOOT bit of GCS.
// The machine resets on the SECOND expiry of the timer, so arm() programs half the
// timeout. The EFI loader arms before starting a kernel; the agent may disarm.
// Behaviour and the reasons for each choice: docs/watchdogs.md.
#pragma once
#include <stdint.h>

#include "wdboot/boot_record.hpp"
#include "wdboot/reg_io.hpp"
#include "wdboot/status.hpp"

namespace wdboot::itco {

// LPC bridge configuration space.
inline constexpr uint16_t kIntelVendorId = 0x8086;
inline constexpr uint32_t kPciVendorReg = 0x00;     // 16 bit
inline constexpr uint32_t kPciClassReg = 0x0A;      // 16 bit: class << 8 | subclass
inline constexpr uint16_t kClassIsaBridge = 0x0601;
inline constexpr uint32_t kPmbaseReg = 0x40;        // 32 bit, I/O base in bits 15:7
inline constexpr uint32_t kPmbaseMask = 0xFF80;
inline constexpr uint32_t kAcpiCntlReg = 0x44;      // 8 bit
inline constexpr uint8_t kAcpiEnable = 0x80;        // PM I/O decoded only when set
inline constexpr uint32_t kRcbaReg = 0xF0;          // 32 bit
inline constexpr uint32_t kRcbaEnable = 0x1;
inline constexpr uint32_t kRcbaMask = 0xFFFFC000;
inline constexpr uint16_t kTcoOffsetInPmio = 0x60;
inline constexpr uint32_t kRcrbSize = 0x4000;

// TCO I/O registers (16-bit accesses).
inline constexpr uint32_t kRldReg = 0x00;      // any write reloads; reads the remaining ticks
inline constexpr uint32_t kTco1StsReg = 0x04;
inline constexpr uint32_t kTco2StsReg = 0x06;
inline constexpr uint32_t kTco1CntReg = 0x08;
inline constexpr uint32_t kTmrReg = 0x12;      // initial value, 10 bits
inline constexpr uint16_t kTimeoutSts = 0x0008;   // TCO1_STS: first expiry
inline constexpr uint16_t kSecondToSts = 0x0002;  // TCO2_STS: second expiry (reset)
inline constexpr uint16_t kBootSts = 0x0004;      // TCO2_STS
inline constexpr uint16_t kNmiNow = 0x0100;       // TCO1_CNT: writing 1 raises an NMI
inline constexpr uint16_t kTmrHalt = 0x0800;      // TCO1_CNT: 1 = counter halted
inline constexpr uint16_t kTcoLock = 0x1000;      // TCO1_CNT: write-once lock
inline constexpr uint16_t kTmrMask = 0x03FF;

// Chipset configuration (RCRB, 32-bit accesses).
inline constexpr uint32_t kGcsReg = 0x3410;
inline constexpr uint32_t kGcsNoReboot = 0x20;  // 1: the second expiry does not reset

// Timing: one tick is 0.6 s. Intel and Linux say values below 4 must not be used; the
// register holds 10 bits. With the reset at the second expiry the machine resets
// 2 x ticks x 0.6 s after a reload: 4.8 s .. 1227.6 s in steps of 1.2 s.
inline constexpr uint32_t kTickMs = 600;
inline constexpr uint16_t kMinTicks = 4;
inline constexpr uint16_t kMaxTicks = 0x3FF;
inline constexpr uint32_t kMinTimeoutMs = 2u * kMinTicks * kTickMs;
inline constexpr uint32_t kMaxTimeoutMs = 2u * kMaxTicks * kTickMs;

// TCO_TMR for a timeout: ceil(timeout_ms / 1200), so the reset (second expiry) comes
// at least timeout_ms and less than 1.2 s after arming. Pure; no range check.
uint32_t ticks_for(uint32_t timeout_ms);

// True if the configuration space is an Intel ISA (LPC) bridge.
bool is_intel_lpc(RegisterIo& lpc);

// The TCO I/O base, PMBASE + 0x60. not_found if ACPI I/O decoding is off or PMBASE is 0.
Status find_tco_base(RegisterIo& lpc, uint16_t& tco_base);

// The chipset configuration base (RCBA). not_found if the RCRB is not enabled.
Status find_rcba(RegisterIo& lpc, uint32_t& rcba);

// SECOND_TO_STS set: the timer expired twice since the status was last cleared (a
// reset, unless NO_REBOOT or QEMU's noreboot strap held it back); clear: power_on;
// all ones (ports not decoded): unknown. The status survives resets: read it before
// clear_reset_cause().
ResetCause read_reset_cause(RegisterIo& tco);

// Clears what read_reset_cause() reads: TIMEOUT, SECOND_TO_STS and BOOT_STS (write 1 to
// clear on hardware; QEMU clears them on any write), and reads it back. The loader calls
// it on every boot after reading the cause, so a later ordinary reset is not reported as
// a watchdog reset. device_error if SECOND_TO_STS stays set or the ports read as all
// ones. (Same step, name and contract as i6300esb::clear_reset_cause.)
Status clear_reset_cause(RegisterIo& tco);

// Arms: TCO_TMR = ticks_for(timeout_ms) (read back), NO_REBOOT cleared in GCS (read
// back), stale TIMEOUT cleared, reload, TMR_HLT cleared (read back). Timeouts outside
// [kMinTimeoutMs, kMaxTimeoutMs] are refused with invalid_argument, never clamped.
// Status::locked, with nothing written, if TCO_LOCK is set; device_error if a
// read-back differs or the ports read as all ones.
Status arm(RegisterIo& tco, RegisterIo& rcrb, uint32_t timeout_ms);

// Reloads the counter from TCO_TMR and restarts the two-expiry count.
// device_error if the ports read as all ones.
Status ping(RegisterIo& tco);

// Halts the counter (TMR_HLT, read back) and sets NO_REBOOT again, as Linux's stop
// does. Status::locked if TCO_LOCK is set, device_error if the halt does not stick.
Status disarm(RegisterIo& tco, RegisterIo& rcrb);

// TMR_HLT clear: the counter runs once started by a reload. QEMU comes up with the
// bit clear but counting only after the first write to TCO_RLD or TCO1_CNT.
bool is_running(RegisterIo& tco);
bool is_locked(RegisterIo& tco);

}  // namespace wdboot::itco
