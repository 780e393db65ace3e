// Register sequences for the watchdog of AMD's southbridges and Fusion Controller Hubs
// (FCH): SB600/SB7x0/SP5100, SB8x0, the Hudson/Bolton FCH, the Carrizo-era FCH and the
// FCH of Family 17h and later (Ryzen, EPYC; Hygon) — the family Linux's sp5100_tco
// drives.
// QEMU has no such device: everything here is tested against a register model
// (tests/unit/amd_fch_model.hpp) built from the sources in the table below.
//
// Windows (the EFI glue provides them, in this order; docs/watchdogs.md "AMD FCH"):
//   smbus - the SMBus controller's PCI configuration space (00:14.0): identity,
//           revision and, on the SP5100 layout, the watchdog decode bit;
//   pm    - the 256 byte-wide PM registers ("PMx"), through the index/data ports
//           0xCD6/0xCD7 (IndexedPmIo over a 2-port window) or, on efch_mmio, through
//           the ACPI MMIO block at 0xFED80300 (the ports may be switched off there);
//   wdt   - the 8-byte watchdog block in memory: WatchdogControl at +0, WatchdogCount
//           at +4 (32-bit accesses only), at the base find_wdt_base() returns.
//
// Facts and their sources ("Linux" = drivers/watchdog/sp5100_tco.c/.h, mainline
// 2023..2025, read, not copied; "SB600 RRG" = AMD SB600 Register Reference Manual
// §2.3.4 WatchDogTimer Registers, the same block in all generations; "EBG" = EFI Boot
// Guard drivers/watchdog/amdfch_wdt.c; "PPR" = AMD PPR for Family 17h, FCH chapter, as
// cited by Linux arch/x86/kernel/cpu/amd.c and Documentation/arch/x86/amd-debugging.rst):
//
// | fact                                                   | source                               |
// |--------------------------------------------------------|--------------------------------------|
// | SMBus IDs 1002:4385, 1022:780b, 1022:790b, 1d94:790b   | Linux sp5100_tco_pci_tbl             |
// | 1002:4385 rev < 0x40: sp5100 layout                    | Linux tco_reg_layout                 |
// | 1022:790b rev >= 0x51: efch_mmio (Zen; rev 0x59, 0x61) | Linux tco_reg_layout, AMD_ZEN_SMBUS_PCI_REV; commit "Enable Family 17h+ CPUs"; EBG accepts 0x59, 0x61 |
// | 780b rev >= 0x41, 790b rev >= 0x49 (AMD or Hygon): efch| Linux tco_reg_layout                 |
// | everything else of the four IDs: sb800 layout          | Linux tco_reg_layout                 |
// | PM index/data ports 0xCD6/0xCD7                         | Linux SP5100_IO_PM_INDEX_REG; EBG    |
// | efch_mmio: PM at 0xFED80300, 0xCD6/7 may be disabled    | Linux EFCH_PM_ACPI_MMIO_PM_ADDR; commit message (Terry Bowman, AMD) |
// | sp5100: base PMx6C (32 bit, & ~7); decode PCI 0x41 bit3| Linux SP5100_PM_WATCHDOG_BASE, SP5100_PCI_WATCHDOG_DECODE_EN |
// | sp5100: PMx69 bit0 disable, bits 2:1 = 11: 1 s ticks   | Linux SP5100_PM_WATCHDOG_CONTROL     |
// | sp5100: alt. base PCI 0x9C (bits 1:0 = 01) + 0xB00      | Linux SP5100_SB_RESOURCE_MMIO_BASE   |
// | sb800: base PMx48 (& ~7); PMx48 bit0 decode, bit1 dis. | Linux SB800_PM_WATCHDOG_*            |
// | sb800: PMx4C bits 1:0 = 11: 1 s ticks                  | Linux SB800_PM_WATCHDOG_CONFIG       |
// | sb800: alt. base PMx24 AcpiMmioEn (bits 1:0 = 01)+0xB00| Linux SB800_PM_ACPI_MMIO_EN          |
// | efch: PMx00 bit7 WDT_TMREN: WDT decoded at 0xFEB00000  | Linux EFCH_PM_DECODEEN_WDT_TMREN     |
// | efch_mmio: set WDT_TMREN (decode + timer enable)       | Linux sp5100_tco_setupdevice_mmio    |
// | efch: PMx03 bits 1:0 ticks (0 32us,1 10ms,2 100ms,3 1s)| Linux EFCH_PM_DECODEEN3; EBG AMD_PM_WATCHDOG_*_RES |
// | efch: PMx03 bits 3:2 watchdog disable                  | Linux EFCH_PM_WATCHDOG_DISABLE       |
// | efch: alt. base 0xFED80B00 if PMx04 bit1 (MMIOEn)      | Linux EFCH_PM_ISACONTROL_MMIOEN      |
// | Control bit0 RunStopB: 1 runs, but no interval starts  | SB600 RRG WatchDogRunStopB           |
// |   until bit7 is written: a separate write              | Linux tco_timer_start ("distinct write") |
// | Control bit1 Fired: set by an expiry reset, survives   | SB600 RRG WatchDogFired; Linux       |
// |   resets but power cycles, write 1 to clear            |   sp5100_tco_timer_init (bootstatus) |
// | Control bit2 Action: 0 reset, 1 power off              | SB600 RRG WatchDogAction; Linux `action` parameter |
// | Control bit3 Disable: read-only mirror of PM disable   | SB600 RRG WatchDogDisable; Linux "Watchdog hardware is disabled" |
// | Control bit7 Trigger: write 1 restarts the count from  | SB600 RRG WatchDogTrigger; Linux tco_timer_ping |
// |   the value last written to Count; reads 0             |                                      |
// | Count (+4): 16 bits; reads the time left               | Linux max_timeout 0xffff, get_timeleft; EBG COUNT_MASK |
// | PMxC0 S5_RESET_STATUS bit 25 "hardware watchdog timer  | PPR via Linux s5_reset_reason_txt[25]; |
// |   expired", write 1 to clear (Zen only)                | Linux "Prevent reset reasons from being retained" |
// | Linux probe: clears Fired, sets action, sets its own   | Linux sp5100_tco_timer_init          |
// |   heartbeat and STOPS a running timer                  |                                      |
//
// The EFI loader calls these to arm the watchdog before it starts a kernel; the agent
// may disarm. Nothing here keeps state: the device is the state.
#pragma once
#include <stdint.h>

#include "wdboot/boot_record.hpp"
#include "wdboot/reg_io.hpp"
#include "wdboot/status.hpp"

namespace wdboot::amd_fch {

// SMBus controller identity (PCI configuration space).
inline constexpr uint16_t kAtiVendorId = 0x1002;
inline constexpr uint16_t kAmdVendorId = 0x1022;
inline constexpr uint16_t kHygonVendorId = 0x1d94;
inline constexpr uint16_t kSbx00SmbusId = 0x4385;   // SB600..SB900, SP5100
inline constexpr uint16_t kHudson2SmbusId = 0x780b;  // Hudson-1/2, Bolton, Family 16h FCH
inline constexpr uint16_t kKernczSmbusId = 0x790b;   // Carrizo FCH and later, Zen
inline constexpr uint32_t kPciVendorReg = 0x00;      // 16 bit
inline constexpr uint32_t kPciDeviceReg = 0x02;      // 16 bit
inline constexpr uint32_t kPciRevisionReg = 0x08;    // 8 bit

// The register layout of one generation, as Linux's sp5100_tco names it.
enum class Layout : uint8_t {
    sp5100,     // SB600 (its RRG: base in PMx6C..6F), SB7x0, SP5100: PMx69/PMx6C, decode in PCI 0x41
    sb800,      // SB8x0, early Hudson: PMx48/PMx4C
    efch,       // Family 16h..Carrizo FCH: PMx00/PMx03, WDT at 0xFEB00000
    efch_mmio,  // Zen and later: as efch, PM reached through MMIO at 0xFED80300
};
const char* to_string(Layout l);

// The PM index/data ports and the PM block in the ACPI MMIO region.
inline constexpr uint16_t kPmIndexPort = 0xCD6;  // the data port is kPmIndexPort + 1
inline constexpr uint32_t kAcpiMmioBase = 0xFED80000;
inline constexpr uint32_t kPmMmioBase = kAcpiMmioBase + 0x300;
inline constexpr uint32_t kAcpiMmioWdtBase = kAcpiMmioBase + 0xB00;
inline constexpr uint32_t kEfchWdtBase = 0xFEB00000;
inline constexpr uint32_t kWdtSize = 8;

// PM registers by layout (byte offsets).
inline constexpr uint32_t kSp5100PmControl = 0x69;  // bit0 disable, bits 2:1 resolution
inline constexpr uint32_t kSp5100PmBase = 0x6C;     // 32 bit, base & ~7
inline constexpr uint32_t kSp5100PciMisc = 0x41;    // SMBus config, 8 bit
inline constexpr uint8_t kSp5100PciDecodeEn = 0x08;
inline constexpr uint32_t kSp5100PciResourceMmio = 0x9C;  // SMBus config, 32 bit
inline constexpr uint8_t kSp5100PmDisable = 0x01;
inline constexpr uint8_t kSp5100PmResMask = 0x06;
inline constexpr uint8_t kSp5100PmRes1s = 0x06;

inline constexpr uint32_t kSb800PmAcpiMmioEn = 0x24;  // 32 bit
inline constexpr uint32_t kSb800PmControl = 0x48;     // bit0 decode, bit1 disable; also the base
inline constexpr uint32_t kSb800PmConfig = 0x4C;      // bits 1:0 resolution
inline constexpr uint8_t kSb800PmDecodeEn = 0x01;
inline constexpr uint8_t kSb800PmDisable = 0x02;
inline constexpr uint8_t kSb800PmResMask = 0x03;
inline constexpr uint8_t kSb800PmRes1s = 0x03;
inline constexpr uint32_t kAcpiMmioEnMask = 0x3;      // bit0 decode, bit1 1 = I/O instead of memory
inline constexpr uint32_t kAcpiMmioEnMemory = 0x1;

inline constexpr uint32_t kEfchPmDecodeEn = 0x00;     // bit7 WDT_TMREN
inline constexpr uint8_t kEfchPmWdtTmrEn = 0x80;
inline constexpr uint32_t kEfchPmDecodeEn3 = 0x03;    // bits 1:0 resolution, 3:2 disable
inline constexpr uint8_t kEfchPmResMask = 0x03;
inline constexpr uint8_t kEfchPmRes1s = 0x03;
inline constexpr uint8_t kEfchPmDisable = 0x0C;
inline constexpr uint32_t kEfchPmIsaControl = 0x04;   // bit1 MMIOEn: ACPI MMIO decoded
inline constexpr uint8_t kEfchPmMmioEn = 0x02;
inline constexpr uint32_t kPmS5ResetStatus = 0xC0;    // 32 bit, write 1 to clear (Zen)
inline constexpr uint32_t kS5WatchdogExpired = 1u << 25;

// Watchdog block (32-bit accesses).
inline constexpr uint32_t kControlReg = 0x00;
inline constexpr uint32_t kCountReg = 0x04;
inline constexpr uint32_t kRunStop = 1u << 0;
inline constexpr uint32_t kFired = 1u << 1;       // write 1 to clear
inline constexpr uint32_t kActionPowerOff = 1u << 2;
inline constexpr uint32_t kDisabled = 1u << 3;    // read-only
inline constexpr uint32_t kTrigger = 1u << 7;     // write-only, reads 0
inline constexpr uint32_t kCountMask = 0xFFFF;

// Timing. arm() programs 1 s ticks. Where in its second the free-running tick clock is
// when the count starts is not documented, so the first tick may come at once: arm()
// loads one tick more than the timeout's whole seconds, and the reset comes after the
// timeout and at most one second later for whole-second timeouts (less than 2 s for
// others). Range: 1 s (Linux's minimum) to 65534 s (16-bit count minus that tick).
inline constexpr uint32_t kTickMs = 1000;
inline constexpr uint32_t kMaxTicks = 0xFFFF;
inline constexpr uint32_t kMinTimeoutMs = 1000;
inline constexpr uint32_t kMaxTimeoutMs = (kMaxTicks - 1) * kTickMs;

// WatchdogCount for a timeout: ceil(timeout_ms / 1000) + 1. Pure; no range check.
uint32_t ticks_for(uint32_t timeout_ms);

// True if the configuration space carries one of the four SMBus IDs above.
bool is_fch_smbus(RegisterIo& smbus);

// The layout of the SMBus controller (Linux's rules). Status::unsupported, with
// nothing else read, for any other device: the probe never guesses at registers.
Status identify(RegisterIo& smbus, Layout& layout);

// Whether the PM registers must be reached through the MMIO block at kPmMmioBase
// (efch_mmio) rather than the index/data ports.
bool pm_through_mmio(Layout l);

// The PM registers through the index/data ports: offset N of this window is PM
// register N, reached by writing N to port +0 and accessing port +1 of `ports` (a
// 2-port window at kPmIndexPort). Wider accesses are composed of byte accesses,
// little-endian, as Linux's sp5100_tco_read_pm_reg32 does.
class IndexedPmIo final : public RegisterIo {
public:
    explicit IndexedPmIo(RegisterIo& ports) : ports_(ports) {}
    uint8_t read8(uint32_t offset) override;
    uint16_t read16(uint32_t offset) override;
    uint32_t read32(uint32_t offset) override;
    void write8(uint32_t offset, uint8_t value) override;
    void write16(uint32_t offset, uint16_t value) override;
    void write32(uint32_t offset, uint32_t value) override;

private:
    RegisterIo& ports_;
};

// The documented enable steps, each read back: the watchdog's memory decode (sp5100:
// PCI 0x41 bit 3; sb800: PMx48 bit 0 — both only when firmware programmed a base, so
// the block is never decoded over address 0; efch_mmio: PMx00 WDT_TMREN; efch: none,
// the firmware's decode is used as Linux does) and the PM disable bit(s) cleared.
// Changes no timer state. The loader calls it first, before reading the reset cause
// (the Fired bit is valid only while the watchdog is enabled).
// not_found if the PM registers read as all ones (the ports or the MMIO block are not
// decoded); device_error if the decode or the enable does not stick (firmware
// locked the watchdog off).
Status enable_decoding(Layout l, RegisterIo& smbus, RegisterIo& pm);

// The watchdog block's physical address: the layout's primary base (sp5100 PMx6C,
// sb800 PMx48, efch 0xFEB00000 when WDT_TMREN is set), else its alternate in the ACPI
// MMIO region when that is decoded (as Linux's sp5100_tco_prepare_base falls back).
// not_found when neither is available.
Status find_wdt_base(Layout l, RegisterIo& smbus, RegisterIo& pm, uint32_t& base);

// watchdog: WatchdogControl.Fired set, or (efch_mmio) PMxC0 bit 25; power_on: both
// clear; unknown: the block reads all ones or the watchdog is disabled (the bit is
// then not valid). The bits survive resets until cleared: read before clearing.
ResetCause read_reset_cause(Layout l, RegisterIo& pm, RegisterIo& wdt);

// Clears what read_reset_cause() reads (write 1 to Fired; efch_mmio: write 1 to PMxC0
// bit 25 only, the other reasons are left for Linux to report), without starting,
// stopping or feeding the timer, and reads it back. The loader calls it on every boot
// after read_reset_cause(), as for the other drivers. device_error if Fired stays set
// or the block reads all ones.
Status clear_reset_cause(Layout l, RegisterIo& pm, RegisterIo& wdt);

// Arms: 1 s resolution in the PM (read back), the timer stopped with the action set
// to reset (a power-off action left by firmware or Linux's `action=1` is corrected;
// read back), WatchdogCount = ticks_for(timeout_ms) (read back), RunStopB set, then
// Trigger in a separate write, and checks it runs. Timeouts outside [kMinTimeoutMs,
// kMaxTimeoutMs] are refused with invalid_argument, nothing written. device_error if
// the block reads all ones, the watchdog is disabled, or a read-back differs.
// Never writes Fired (so the reset cause is not lost) and never sets power-off.
Status arm(Layout l, RegisterIo& pm, RegisterIo& wdt, uint32_t timeout_ms);

// Restarts the count from WatchdogCount (Trigger). No effect on a stopped timer.
// device_error if the block reads all ones.
Status ping(RegisterIo& wdt);

// Stops the timer (RunStopB cleared, read back), as Linux's stop does. device_error if
// the block reads all ones or the timer keeps running.
Status disarm(RegisterIo& wdt);

// RunStopB set (and the block decoded); WatchDogDisable set.
bool is_running(RegisterIo& wdt);
bool is_disabled(RegisterIo& wdt);

}  // namespace wdboot::amd_fch
