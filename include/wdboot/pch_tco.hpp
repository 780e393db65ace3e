// Register sequences for the TCO watchdog of Intel PCHs from the 100 series (Sunrise
// Point) on: the same TCO I/O block as the ICH9 (itco.hpp: 0.6 s ticks, reset on the
// second expiry), but found through the SMBus controller instead of the LPC bridge, and
// with NO_REBOOT moved out of the LPC's GCS. Linux calls these TCO versions 4 and 6
// (drivers/i2c/busses/i2c-i801.c creates the iTCO_wdt device for them). Windows:
//   smbus - the SMBus controller's PCI configuration space (00:1f.4): identity, TCOBASE,
//           TCOCTL;
//   p2sb  - the P2SB bridge's PCI configuration space (00:1f.1), usually hidden by
//           firmware; only for Generation::spt, to find the SBREG BAR;
//   tco   - 0x20 I/O ports at TCOBASE (0x400 under coreboot; EFI Boot Guard assumes it);
//   sbreg - memory at the SBREG BAR (16 MiB of private configuration registers, 64 KiB
//           per sideband port); only for Generation::spt, for NO_REBOOT.
// The EFI loader finds and arms it before starting a kernel; the agent may disarm it
// through Linux. Behaviour, sources and what is unverified: docs/watchdogs.md.
//
// Sources, cited below by these names:
//   [i801]   Linux drivers/i2c/busses/i2c-i801.c: i801_ids (which SMBus IDs carry a TCO and
//            which version), i801_add_tco, i801_add_tco_spt, i801_add_tco_cnl;
//   [itco]   Linux drivers/watchdog/iTCO_wdt.c: no_reboot_bit, update_no_reboot_bit_mem,
//            update_no_reboot_bit_cnt (and commit daa814d784ac, NMI_NOW), iTCO_wdt_start,
//            iTCO_wdt_stop, iTCO_wdt_set_timeout, iTCO_wdt_probe;
//   [p2sb]   Linux drivers/platform/x86/p2sb.c: p2sb_cache_resources (P2SBC hide bit,
//            class check, BAR0);
//   [smbreg] Intel's PchRegsSmbus.h (BSD-2-Clause reference code for the 100/C620 series):
//            TCOBASE mask 0xFFE0, TCOCTL bits, SMBus PCR GC register (FD, NR);
//   [tcoreg] Intel's TcoRegs.h (Alder Lake, Slim Bootloader): TCO1_CNT.NR_MSUS (bit 0),
//            TCO2_STS bits; coreboot soc/intel/common/block/smbus/tco.c (tco_lockdown
//            sets TCO_LOCK before the OS) and soc/*/smbus.h;
//   [pch]    Intel datasheets' TCO I/O register descriptions (ICH4, 6300ESB, Atom
//            N2820/Apollo Lake PMC: TCO_RLD, TCO1_STS, TCO2_STS, TCO1_CNT, TCO_TMR; TCO_LOCK
//            locks only SMI_EN.TCO_EN; TMR_HLT defaults to 0; 0.6 s ticks, values below 4
//            ignored), assumed unchanged on these PCHs: their Vol. 2 was not at hand, the
//            PCH-specific facts come from the reference code above.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "wdboot/boot_record.hpp"
#include "wdboot/itco.hpp"
#include "wdboot/reg_io.hpp"
#include "wdboot/status.hpp"

namespace wdboot::pch_tco {

// Where NO_REBOOT lives, which is all that differs between the generations covered.
enum class Generation : uint8_t {
    // Linux's TCO version 4 (i801 FEATURE_TCO_SPT): bit 1 (NR) of the SMBus controller's
    // private "General Control" register, PCR[SMB] + 0x0C, reached through the P2SB's
    // SBREG BAR [i801 i801_add_tco_spt, itco no_reboot_bit, smbreg].
    spt,
    // Linux's TCO version 6 (i801 FEATURE_TCO_CNL): bit 0 (NR_MSUS) of TCO1_CNT, in the TCO
    // I/O block itself [itco update_no_reboot_bit_cnt, tcoreg].
    cnl,
};

// One SMBus controller that carries a PCH TCO.
struct PchInfo {
    uint16_t smbus_device_id;  // PCI device ID of 00:1f.4 (vendor 0x8086)
    Generation generation;
    uint8_t sbreg_port;        // spt: the SMBus's sideband port ID (0xC6; 0xCF on Denverton); cnl: 0
    const char* name;          // for messages
};

// The covered controllers: exactly those Linux's i801_ids marks FEATURE_TCO_SPT or
// FEATURE_TCO_CNL [i801], with the names of its table. Detection is by the SMBus device
// ID alone, as Linux does; the TCO must also be enabled (find_tco_base). Not covered:
// Broxton/Apollo Lake (0x5ad4) and Gemini Lake (0x31d4), whose NO_REBOOT is in the PMC
// behind an IPC (Linux TCO versions 3/5, lpc_ich and intel_pmc_bxt); Birch Stream
// (0x5796), for which Linux creates no TCO; older PCHs, whose TCO is found through the
// LPC bridge (itco.hpp family).
inline constexpr uint8_t kSmbusPort = 0xC6;     // [i801] SBREG_SMBCTRL = 0xc6000c
inline constexpr uint8_t kSmbusPortDnv = 0xCF;  // [i801] SBREG_SMBCTRL_DNV = 0xcf000c
inline constexpr PchInfo kPchs[] = {
    // TCO version 4.
    {0xA123, Generation::spt, kSmbusPort, "Sunrise Point-H (100 series)"},
    {0x9D23, Generation::spt, kSmbusPort, "Sunrise Point-LP"},
    {0xA1A3, Generation::spt, kSmbusPort, "Lewisburg (C620)"},
    {0xA223, Generation::spt, kSmbusPort, "Lewisburg Super SKU"},
    {0xA2A3, Generation::spt, kSmbusPort, "Kaby Lake PCH-H (200 series)"},
    {0xA3A3, Generation::spt, kSmbusPort, "Comet Lake-V"},
    {0x19DF, Generation::spt, kSmbusPortDnv, "Denverton"},
    // TCO version 6.
    {0xA323, Generation::cnl, 0, "Cannon Lake-H (300 series)"},
    {0x9DA3, Generation::cnl, 0, "Cannon Lake-LP"},
    {0x18DF, Generation::cnl, 0, "Cedar Fork"},
    {0x1BC9, Generation::cnl, 0, "Emmitsburg (C740)"},
    {0x34A3, Generation::cnl, 0, "Ice Lake-LP"},
    {0x38A3, Generation::cnl, 0, "Ice Lake-N"},
    {0x02A3, Generation::cnl, 0, "Comet Lake (PCH-LP)"},
    {0x06A3, Generation::cnl, 0, "Comet Lake-H (400 series)"},
    {0x4B23, Generation::cnl, 0, "Elkhart Lake"},
    {0xA0A3, Generation::cnl, 0, "Tiger Lake-LP"},
    {0x43A3, Generation::cnl, 0, "Tiger Lake-H (500 series)"},
    {0x4DA3, Generation::cnl, 0, "Jasper Lake"},
    {0x7AA3, Generation::cnl, 0, "Alder Lake-S (600 series)"},
    {0x51A3, Generation::cnl, 0, "Alder Lake-P"},
    {0x54A3, Generation::cnl, 0, "Alder Lake-M"},
    {0x7A23, Generation::cnl, 0, "Raptor Lake-S (700 series)"},
    {0x7E22, Generation::cnl, 0, "Meteor Lake-P"},
    {0xAE22, Generation::cnl, 0, "Meteor Lake SoC-S"},
    {0x7F23, Generation::cnl, 0, "Meteor Lake PCH-S"},
    {0x7722, Generation::cnl, 0, "Arrow Lake-H"},
    {0xE322, Generation::cnl, 0, "Panther Lake-H"},
    {0xE422, Generation::cnl, 0, "Panther Lake-P"},
    {0x4D22, Generation::cnl, 0, "Wildcat Lake-U"},
};
inline constexpr size_t kPchCount = sizeof(kPchs) / sizeof(kPchs[0]);

// PCI locations (bus 0) [i801, p2sb; smbreg PCI_DEVICE/FUNCTION_NUMBER_PCH_SMBUS].
inline constexpr uint8_t kPciDevice = 0x1F;
inline constexpr uint8_t kSmbusFunction = 4;
inline constexpr uint8_t kP2sbFunction = 1;

// Common PCI configuration registers.
inline constexpr uint16_t kIntelVendorId = 0x8086;
inline constexpr uint32_t kPciVendorReg = 0x00;  // 16 bit
inline constexpr uint32_t kPciDeviceReg = 0x02;  // 16 bit
inline constexpr uint32_t kPciClassReg = 0x0A;   // 16 bit: class << 8 | subclass
inline constexpr uint16_t kClassSmbus = 0x0C05;  // serial bus controller, SMBus
inline constexpr uint16_t kClassP2sb = 0x0580;   // memory controller, other [p2sb]

// SMBus configuration space [smbreg; i801 TCOBASE, TCOCTL, TCOCTL_EN].
inline constexpr uint32_t kTcoBaseReg = 0x50;     // 32 bit: I/O base in bits 15:5, bit 0 reads 1
inline constexpr uint32_t kTcoBaseMask = 0xFFE0;
inline constexpr uint32_t kTcoCtlReg = 0x54;      // 32 bit
inline constexpr uint32_t kTcoBaseEnable = 0x100; // TCO I/O decoded only when set
inline constexpr uint32_t kTcoBaseLock = 0x1;     // TCOBASE and TCOCTL frozen (firmware)

// P2SB configuration space [p2sb].
inline constexpr uint32_t kSbregBarReg = 0x10;      // 64-bit memory BAR: low dword
inline constexpr uint32_t kSbregBarHighReg = 0x14;  // high dword
inline constexpr uint32_t kP2sbcHideReg = 0xE1;     // 8 bit: bits 15:8 of P2SBC (0xE0)
inline constexpr uint8_t kP2sbHide = 0x01;          // P2SBC bit 8: config space reads all ones

// SMBus private configuration register behind SBREG: General Control [smbreg].
inline constexpr uint32_t kGcReg = 0x0C;       // 32 bit, at (port << 16) + 0x0C
inline constexpr uint32_t kGcFunctionDisable = 0x1;  // FD: 1 hides the SMBus controller
inline constexpr uint32_t kGcNoReboot = 0x2;         // NR [itco no_reboot_bit, version 4]

// TCO I/O registers: the ICH9's map (itco.hpp) [pch, tcoreg]. Differences on these PCHs:
// TCO1_CNT bit 0 is NO_REBOOT on Generation::cnl, and TCO2_STS bit 2 is not BOOT_STS on
// all of them (Denverton: SMLINK_SLAVE_SMI), so it is never written; Linux clears only
// TIMEOUT and SECOND_TO_STS for versions 4 and 6 [itco iTCO_wdt_probe].
inline constexpr uint32_t kRldReg = itco::kRldReg;
inline constexpr uint32_t kTco1StsReg = itco::kTco1StsReg;
inline constexpr uint32_t kTco2StsReg = itco::kTco2StsReg;
inline constexpr uint32_t kTco1CntReg = itco::kTco1CntReg;
inline constexpr uint32_t kTmrReg = itco::kTmrReg;
inline constexpr uint16_t kTimeoutSts = itco::kTimeoutSts;
inline constexpr uint16_t kSecondToSts = itco::kSecondToSts;
inline constexpr uint16_t kCntNoReboot = 0x0001;  // TCO1_CNT.NR_MSUS (cnl)
inline constexpr uint16_t kNmiNow = itco::kNmiNow;
inline constexpr uint16_t kTmrHalt = itco::kTmrHalt;
inline constexpr uint16_t kTcoLock = itco::kTcoLock;
inline constexpr uint16_t kTmrMask = itco::kTmrMask;

// Timing: the ICH9's [pch; itco seconds_to_ticks: 0.6 s ticks for every version but 3;
// iTCO_wdt_set_timeout: 4..0x3FF]. Without a TCO SMI handler that resets, the reset
// comes at the second expiry, so 4.8 s .. 1227.6 s in steps of 1.2 s (itco::ticks_for).
inline constexpr uint32_t kTickMs = itco::kTickMs;
inline constexpr uint32_t kMinTimeoutMs = itco::kMinTimeoutMs;
inline constexpr uint32_t kMaxTimeoutMs = itco::kMaxTimeoutMs;

// The covered PCH whose SMBus controller this configuration space is: Intel vendor, SMBus
// class and a device ID of kPchs. nullptr for anything else (a space that reads all ones,
// another vendor, an SMBus without a TCO of these versions). Reads only.
const PchInfo* identify(RegisterIo& smbus);

// The TCO I/O base from TCOBASE. not_found if firmware left TCOCTL.TCO_BASE_EN clear or
// TCOBASE at 0 (Linux creates no iTCO device then either [i801 i801_add_tco]). Reads only.
Status find_tco_base(RegisterIo& smbus, uint16_t& tco_base);

// The SBREG BAR of the P2SB (Generation::spt only). Firmware usually hides the P2SB
// (P2SBC bit 8: its configuration space reads all ones): then this clears the hide bit,
// reads the BAR and sets the hide bit again, whatever it found, as Linux does at boot
// [p2sb]. not_found if no P2SB answers even unhidden (the hide bit may be locked), if the
// device is not an Intel P2SB (class 0x0580), or if the BAR is not a programmed memory
// BAR. Changes nothing when it returns (the hide bit is as it was).
Status find_sbreg(RegisterIo& p2sb, uint64_t& sbreg_base);

// Offset of the SMBus's General Control register in the sbreg window of this PCH.
uint32_t gc_offset(const PchInfo& pch);

// SECOND_TO_STS set: the timer expired twice since the status was cleared (a reset,
// unless NO_REBOOT held it back); clear: power_on; all ones (ports not decoded): unknown.
// Firmware may clear the status before the loader reads it (coreboot does), and then a
// watchdog reset reads as power_on. Read it before clear_reset_cause().
ResetCause read_reset_cause(RegisterIo& tco);

// Clears TIMEOUT and SECOND_TO_STS (write 1 to clear) and reads SECOND_TO_STS back. The
// loader calls it on every boot after reading the cause, so a later ordinary reset is
// not reported as a watchdog reset. device_error if it stays set or the ports read as
// all ones. (Same step and contract as itco::clear_reset_cause.)
Status clear_reset_cause(RegisterIo& tco);

// Arms: TCO_TMR = itco::ticks_for(timeout_ms) (read back), stale TIMEOUT cleared,
// reload, NO_REBOOT cleared where this generation keeps it (read back), then TMR_HLT
// cleared (read back). `sbreg` is the SBREG window for Generation::spt and is not used
// for Generation::cnl. Refuses, never clamps: invalid_argument for a timeout outside
// [kMinTimeoutMs, kMaxTimeoutMs] or a missing sbreg window (nothing written);
// device_error if the ports read as all ones (TCO not decoded) or a read-back differs;
// Status::locked if NO_REBOOT will not clear (strap or firmware lock): the timer is
// then left halted, or as found if firmware left it running, and nothing claims a
// working watchdog. TCO_LOCK is not a refusal here: on these PCHs it locks only
// SMI_EN.TCO_EN [pch], and firmware commonly sets it before the OS (coreboot
// tco_lockdown). Never writes TCO_LOCK or NMI_NOW as 1 and never changes the SMBus's
// FD bit (General Control is read-modify-written).
Status arm(const PchInfo& pch, RegisterIo& tco, RegisterIo* sbreg, uint32_t timeout_ms);

// Clears TIMEOUT and reloads the counter from TCO_TMR, so the reset is again two full
// periods away whichever way the chipset counts the expiries. device_error if the
// ports read as all ones.
Status ping(RegisterIo& tco);

// Halts the counter (TMR_HLT, read back), then sets NO_REBOOT again as Linux's stop does
// [itco iTCO_wdt_stop]; the halt is what stops it, so a NO_REBOOT that will not set
// does not fail the disarm (a strap-pinned one is set anyway). invalid_argument for a
// missing sbreg window (spt), device_error if the ports read as all ones or the halt
// does not stick.
Status disarm(const PchInfo& pch, RegisterIo& tco, RegisterIo* sbreg);

// TMR_HLT clear (and the ports decoded): the counter runs. Unlike QEMU's ICH9 TCO, the
// PCH counts from reset until firmware halts it [pch: TMR_HLT defaults to 0].
bool is_running(RegisterIo& tco);

// NO_REBOOT as this generation keeps it: true when set, or when it cannot be read
// (ports or SBREG all ones, missing sbreg window).
bool no_reboot(const PchInfo& pch, RegisterIo& tco, RegisterIo* sbreg);

}  // namespace wdboot::pch_tco
