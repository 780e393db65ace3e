// AMD SB7x0..FCH watchdog register sequences. Behaviour from Linux
// drivers/watchdog/sp5100_tco.c, AMD's SB600 register reference and EFI Boot Guard's
// amdfch_wdt.c (read, not copied); the table of facts is in the header.
#include "wdboot/amd_fch.hpp"

namespace wdboot::amd_fch {
namespace {

// A window nobody decodes reads all ones. WatchdogControl never does on a decoding
// device: bits 6:4 are reserved (read 0) and Trigger reads 0.
constexpr uint32_t kNotDecoding = 0xFFFFFFFFu;

// The bits of WatchdogControl a read-modify-write must never write back as read:
// Fired is write-1-to-clear (writing it back would lose the reset cause) and Trigger
// would feed the timer; Disabled is read-only.
constexpr uint32_t kNotWrittenBack = kFired | kTrigger | kDisabled;

struct PmField {
    uint32_t reg;
    uint8_t mask;
    uint8_t value;
};

// Where each layout keeps the tick resolution, and the value for 1 s ticks.
PmField resolution_field(Layout l) {
    switch (l) {
        case Layout::sp5100: return {kSp5100PmControl, kSp5100PmResMask, kSp5100PmRes1s};
        case Layout::sb800: return {kSb800PmConfig, kSb800PmResMask, kSb800PmRes1s};
        case Layout::efch:
        case Layout::efch_mmio: break;
    }
    return {kEfchPmDecodeEn3, kEfchPmResMask, kEfchPmRes1s};
}

// Sets a PM field to its value, writing only if it differs, and reads it back.
bool set_pm_field(RegisterIo& pm, PmField f) {
    uint8_t v = pm.read8(f.reg);
    if ((v & f.mask) == f.value) return true;
    pm.write8(f.reg, static_cast<uint8_t>((v & ~f.mask) | f.value));
    return (pm.read8(f.reg) & f.mask) == f.value;
}

// The dword of PM registers that holds the layout's enable bits: all ones means the
// PM block itself is not reachable (ports switched off, MMIO not decoded).
uint32_t pm_enable_dword(Layout l) {
    switch (l) {
        case Layout::sp5100: return 0x68;
        case Layout::sb800: return kSb800PmControl;
        case Layout::efch:
        case Layout::efch_mmio: break;
    }
    return kEfchPmDecodeEn;
}

// A base from an AcpiMmioEn-style register: bit 0 decode on, bit 1 clear (memory, not
// I/O); the watchdog is 0xB00 into that 4 KiB-aligned block.
uint32_t acpi_mmio_wdt(uint32_t reg) {
    if ((reg & kAcpiMmioEnMask) != kAcpiMmioEnMemory) return 0;
    return (reg & ~0xFFFu) + (kAcpiMmioWdtBase - kAcpiMmioBase);
}

// A base register's address bits; all ones (not decoded) counts as none.
uint32_t base_from(uint32_t reg) { return reg == kNotDecoding ? 0 : reg & ~0x7u; }

}  // namespace

const char* to_string(Layout l) {
    switch (l) {
        case Layout::sp5100: return "sp5100";
        case Layout::sb800: return "sb800";
        case Layout::efch: return "efch";
        case Layout::efch_mmio: return "efch_mmio";
    }
    return "unknown";
}

uint32_t ticks_for(uint32_t timeout_ms) {
    // One tick more than the whole seconds: the first tick may come at once.
    return static_cast<uint32_t>((static_cast<uint64_t>(timeout_ms) + kTickMs - 1) / kTickMs + 1);
}

bool is_fch_smbus(RegisterIo& smbus) {
    uint16_t vendor = smbus.read16(kPciVendorReg);
    uint16_t device = smbus.read16(kPciDeviceReg);
    if (vendor == kAtiVendorId) return device == kSbx00SmbusId;
    if (vendor == kAmdVendorId) return device == kHudson2SmbusId || device == kKernczSmbusId;
    if (vendor == kHygonVendorId) return device == kKernczSmbusId;
    return false;
}

Status identify(RegisterIo& smbus, Layout& layout) {
    if (!is_fch_smbus(smbus)) return Status::unsupported;
    uint16_t vendor = smbus.read16(kPciVendorReg);
    uint16_t device = smbus.read16(kPciDeviceReg);
    uint8_t rev = smbus.read8(kPciRevisionReg);
    // Linux's order matters: the Zen check is AMD only (a Hygon 790b of any revision
    // takes the port-I/O efch path in Linux, so it does here).
    if (vendor == kAtiVendorId && rev < 0x40) {
        layout = Layout::sp5100;
    } else if (vendor == kAmdVendorId && device == kKernczSmbusId && rev >= 0x51) {
        layout = Layout::efch_mmio;
    } else if (vendor != kAtiVendorId &&
               ((device == kHudson2SmbusId && rev >= 0x41) || (device == kKernczSmbusId && rev >= 0x49))) {
        layout = Layout::efch;
    } else {
        layout = Layout::sb800;
    }
    return Status::ok;
}

bool pm_through_mmio(Layout l) { return l == Layout::efch_mmio; }

uint8_t IndexedPmIo::read8(uint32_t offset) {
    ports_.write8(0, static_cast<uint8_t>(offset));
    return ports_.read8(1);
}
uint16_t IndexedPmIo::read16(uint32_t offset) {
    return static_cast<uint16_t>(read8(offset) | (read8(offset + 1) << 8));
}
uint32_t IndexedPmIo::read32(uint32_t offset) {
    return static_cast<uint32_t>(read16(offset)) | (static_cast<uint32_t>(read16(offset + 2)) << 16);
}
void IndexedPmIo::write8(uint32_t offset, uint8_t value) {
    ports_.write8(0, static_cast<uint8_t>(offset));
    ports_.write8(1, value);
}
void IndexedPmIo::write16(uint32_t offset, uint16_t value) {
    write8(offset, static_cast<uint8_t>(value));
    write8(offset + 1, static_cast<uint8_t>(value >> 8));
}
void IndexedPmIo::write32(uint32_t offset, uint32_t value) {
    write16(offset, static_cast<uint16_t>(value));
    write16(offset + 2, static_cast<uint16_t>(value >> 16));
}

Status enable_decoding(Layout l, RegisterIo& smbus, RegisterIo& pm) {
    if (pm.read32(pm_enable_dword(l)) == kNotDecoding) return Status::not_found;
    switch (l) {
        case Layout::sp5100: {
            // A decode bit turned on over a base firmware left at 0 would put the
            // watchdog over physical address 0 (Linux sets it regardless): then only
            // the alias is used.
            uint8_t misc = smbus.read8(kSp5100PciMisc);
            if ((misc & kSp5100PciDecodeEn) == 0 && base_from(pm.read32(kSp5100PmBase)) != 0) {
                smbus.write8(kSp5100PciMisc, static_cast<uint8_t>(misc | kSp5100PciDecodeEn));
                if ((smbus.read8(kSp5100PciMisc) & kSp5100PciDecodeEn) == 0) return Status::device_error;
            }
            return set_pm_field(pm, {kSp5100PmControl, kSp5100PmDisable, 0}) ? Status::ok : Status::device_error;
        }
        case Layout::sb800: {
            // The same base-0 rule as above; PMx48 holds both the base and the bits.
            const uint8_t decode = base_from(pm.read32(kSb800PmControl)) != 0 ? kSb800PmDecodeEn : 0;
            const uint8_t mask = static_cast<uint8_t>(decode | kSb800PmDisable);
            return set_pm_field(pm, {kSb800PmControl, mask, decode}) ? Status::ok : Status::device_error;
        }
        case Layout::efch_mmio:
            // Linux: on these the bit both decodes 0xFEB00000 and enables the timer
            // block; if it will not set, there is no watchdog to use.
            if (!set_pm_field(pm, {kEfchPmDecodeEn, kEfchPmWdtTmrEn, kEfchPmWdtTmrEn})) return Status::device_error;
            break;
        case Layout::efch:
            // Linux leaves WDT_TMREN as firmware set it on these and falls back to the
            // ACPI MMIO alias: so does wdboot (find_wdt_base).
            break;
    }
    return set_pm_field(pm, {kEfchPmDecodeEn3, kEfchPmDisable, 0}) ? Status::ok : Status::device_error;
}

Status find_wdt_base(Layout l, RegisterIo& smbus, RegisterIo& pm, uint32_t& base) {
    uint32_t primary = 0, alternate = 0;
    switch (l) {
        case Layout::sp5100:
            primary = base_from(pm.read32(kSp5100PmBase));
            alternate = acpi_mmio_wdt(smbus.read32(kSp5100PciResourceMmio));
            break;
        case Layout::sb800:
            primary = base_from(pm.read32(kSb800PmControl));
            alternate = acpi_mmio_wdt(pm.read32(kSb800PmAcpiMmioEn));
            break;
        case Layout::efch:
        case Layout::efch_mmio: {
            uint8_t decode = pm.read8(kEfchPmDecodeEn);
            uint8_t isa = pm.read8(kEfchPmIsaControl);
            if (decode != 0xFF && (decode & kEfchPmWdtTmrEn) != 0) primary = kEfchWdtBase;
            if (isa != 0xFF && (isa & kEfchPmMmioEn) != 0) alternate = kAcpiMmioWdtBase;
            break;
        }
    }
    base = primary != 0 ? primary : alternate;
    return base != 0 ? Status::ok : Status::not_found;
}

ResetCause read_reset_cause(Layout l, RegisterIo& pm, RegisterIo& wdt) {
    uint32_t ctl = wdt.read32(kControlReg);
    if (ctl == kNotDecoding || (ctl & kDisabled) != 0) return ResetCause::unknown;
    if ((ctl & kFired) != 0) return ResetCause::watchdog;
    if (l == Layout::efch_mmio) {
        uint32_t s5 = pm.read32(kPmS5ResetStatus);
        if (s5 != kNotDecoding && (s5 & kS5WatchdogExpired) != 0) return ResetCause::watchdog;
    }
    return ResetCause::power_on;
}

Status clear_reset_cause(Layout l, RegisterIo& pm, RegisterIo& wdt) {
    uint32_t ctl = wdt.read32(kControlReg);
    if (ctl == kNotDecoding) return Status::device_error;
    // RunStopB and the action are written back as read (writing 1 to RunStopB of a
    // running timer changes nothing); no Trigger, so a running timer is not fed.
    if ((ctl & kFired) != 0) wdt.write32(kControlReg, (ctl & ~kNotWrittenBack) | kFired);
    if (l == Layout::efch_mmio) {
        uint32_t s5 = pm.read32(kPmS5ResetStatus);
        // Only the watchdog's reason: the others are Linux's to report and clear.
        if (s5 != kNotDecoding && (s5 & kS5WatchdogExpired) != 0) {
            pm.write8(kPmS5ResetStatus + 3, static_cast<uint8_t>(kS5WatchdogExpired >> 24));
        }
    }
    uint32_t after = wdt.read32(kControlReg);
    if (after == kNotDecoding || (after & kFired) != 0) return Status::device_error;
    return Status::ok;
}

Status arm(Layout l, RegisterIo& pm, RegisterIo& wdt, uint32_t timeout_ms) {
    if (timeout_ms < kMinTimeoutMs || timeout_ms > kMaxTimeoutMs) return Status::invalid_argument;
    const uint32_t ticks = ticks_for(timeout_ms);

    uint32_t ctl = wdt.read32(kControlReg);
    if (ctl == kNotDecoding || (ctl & kDisabled) != 0) return Status::device_error;

    // Stopped first, as Linux's probe does, so that neither the resolution nor the
    // count changes under a running timer (a finer resolution could fire it early).
    // The same write sets the action to reset: a machine powered off by its watchdog
    // stays off, and an off machine counts no failed attempt.
    const uint32_t stopped = ctl & ~(kNotWrittenBack | kRunStop | kActionPowerOff);
    wdt.write32(kControlReg, stopped);
    if ((wdt.read32(kControlReg) & (kRunStop | kActionPowerOff)) != 0) return Status::device_error;

    if (!set_pm_field(pm, resolution_field(l))) return Status::device_error;

    wdt.write32(kCountReg, ticks);
    if ((wdt.read32(kCountReg) & kCountMask) != ticks) return Status::device_error;

    // RunStopB only moves the watchdog to Running; the count interval starts with
    // Trigger, which the hardware takes only as a separate write (Linux, 2022).
    wdt.write32(kControlReg, stopped | kRunStop);
    wdt.write32(kControlReg, stopped | kRunStop | kTrigger);
    uint32_t after = wdt.read32(kControlReg);
    if (after == kNotDecoding || (after & kRunStop) == 0 || (after & kActionPowerOff) != 0) {
        return Status::device_error;
    }
    return Status::ok;
}

Status ping(RegisterIo& wdt) {
    uint32_t ctl = wdt.read32(kControlReg);
    if (ctl == kNotDecoding) return Status::device_error;
    wdt.write32(kControlReg, (ctl & ~kNotWrittenBack) | kTrigger);
    return Status::ok;
}

Status disarm(RegisterIo& wdt) {
    uint32_t ctl = wdt.read32(kControlReg);
    if (ctl == kNotDecoding) return Status::device_error;
    wdt.write32(kControlReg, ctl & ~(kNotWrittenBack | kRunStop));
    uint32_t after = wdt.read32(kControlReg);
    if (after == kNotDecoding || (after & kRunStop) != 0) return Status::device_error;
    return Status::ok;
}

bool is_running(RegisterIo& wdt) {
    uint32_t ctl = wdt.read32(kControlReg);
    return ctl != kNotDecoding && (ctl & kRunStop) != 0;
}

bool is_disabled(RegisterIo& wdt) {
    uint32_t ctl = wdt.read32(kControlReg);
    return ctl != kNotDecoding && (ctl & kDisabled) != 0;
}

}  // namespace wdboot::amd_fch
