// Intel ICH9 TCO watchdog register sequences. Behaviour checked against QEMU's
// hw/acpi/tco.c and hw/isa/lpc_ich9.c and Linux drivers/watchdog/iTCO_wdt.c (read,
// not copied).
#include "wdboot/itco.hpp"

namespace wdboot::itco {
namespace {

// Ports nobody decodes read as all ones. A live TCO1_CNT does not in QEMU (bit 8 is
// dropped on every write); on a chipset all ones would need NMI_NOW and reserved bits
// set at once, which we treat as "no TCO here".
constexpr uint16_t kNotDecoding = 0xFFFF;

// The value written back to TCO1_CNT: bit 8 (NMI_NOW) is never written as 1, so a
// read-modify-write cannot raise an NMI, and the lock bit is never set by us.
uint16_t cnt_write_value(uint16_t cnt, bool halt) {
    uint16_t v = static_cast<uint16_t>(cnt & ~(kNmiNow | kTcoLock | kTmrHalt));
    return halt ? static_cast<uint16_t>(v | kTmrHalt) : v;
}

}  // namespace

uint32_t ticks_for(uint32_t timeout_ms) {
    // The reset comes at the second expiry, so each period is half the timeout;
    // rounded up so it never comes early. 64-bit to avoid overflow near UINT32_MAX.
    return static_cast<uint32_t>((static_cast<uint64_t>(timeout_ms) + 2 * kTickMs - 1) / (2 * kTickMs));
}

bool is_intel_lpc(RegisterIo& lpc) {
    return lpc.read16(kPciVendorReg) == kIntelVendorId && lpc.read16(kPciClassReg) == kClassIsaBridge;
}

Status find_tco_base(RegisterIo& lpc, uint16_t& tco_base) {
    // QEMU (and the chipset) decode the PM I/O block only with ACPI_EN set.
    if ((lpc.read8(kAcpiCntlReg) & kAcpiEnable) == 0) return Status::not_found;
    uint32_t pmbase = lpc.read32(kPmbaseReg) & kPmbaseMask;
    if (pmbase == 0) return Status::not_found;
    tco_base = static_cast<uint16_t>(pmbase + kTcoOffsetInPmio);
    return Status::ok;
}

Status find_rcba(RegisterIo& lpc, uint32_t& rcba) {
    uint32_t v = lpc.read32(kRcbaReg);
    if ((v & kRcbaEnable) == 0 || (v & kRcbaMask) == 0) return Status::not_found;
    rcba = v & kRcbaMask;
    return Status::ok;
}

ResetCause read_reset_cause(RegisterIo& tco) {
    uint16_t sts2 = tco.read16(kTco2StsReg);
    if (sts2 == kNotDecoding) return ResetCause::unknown;
    return (sts2 & kSecondToSts) != 0 ? ResetCause::watchdog : ResetCause::power_on;
}

Status clear_reset_cause(RegisterIo& tco) {
    // Write-1-to-clear on the chipset. QEMU instead stores the written value masked
    // with the writable bits, which clears these status bits just the same.
    tco.write16(kTco1StsReg, kTimeoutSts);
    tco.write16(kTco2StsReg, static_cast<uint16_t>(kSecondToSts | kBootSts));
    uint16_t sts2 = tco.read16(kTco2StsReg);
    if (sts2 == kNotDecoding || (sts2 & kSecondToSts) != 0) return Status::device_error;
    return Status::ok;
}

Status arm(RegisterIo& tco, RegisterIo& rcrb, uint32_t timeout_ms) {
    if (timeout_ms < kMinTimeoutMs || timeout_ms > kMaxTimeoutMs) return Status::invalid_argument;
    uint16_t ticks = static_cast<uint16_t>(ticks_for(timeout_ms));

    uint16_t cnt = tco.read16(kTco1CntReg);
    if (cnt == kNotDecoding) return Status::device_error;
    // A lock we did not set (we never do) means firmware owns the TCO: refuse before
    // writing anything, the agent could not be trusted to stop it later.
    if ((cnt & kTcoLock) != 0) return Status::locked;

    uint16_t tmr = tco.read16(kTmrReg);
    tco.write16(kTmrReg, static_cast<uint16_t>((tmr & ~kTmrMask) | ticks));
    if ((tco.read16(kTmrReg) & kTmrMask) != ticks) return Status::device_error;

    // NO_REBOOT before the counter is (re)started: if it cannot be cleared (QEMU 7.2's
    // GCS comes up with it set; hardware straps or BIOS may pin it) the expiry would
    // be harmless, so say so instead of claiming a working watchdog.
    uint32_t gcs = rcrb.read32(kGcsReg);
    if ((gcs & kGcsNoReboot) != 0) {
        rcrb.write32(kGcsReg, gcs & ~kGcsNoReboot);
        if ((rcrb.read32(kGcsReg) & kGcsNoReboot) != 0) return Status::device_error;
    }

    // A TIMEOUT left from an earlier first expiry must not make our first expiry
    // count as the second one: Linux clears it on every ping for TCO v1 for that
    // reason. QEMU counts expiries internally, so there it only tidies the status.
    tco.write16(kTco1StsReg, kTimeoutSts);
    // The reload restarts the two-expiry count (QEMU resets it only here, not on the
    // TCO1_CNT write below) and loads the new TCO_TMR into a counter that may still
    // be running from before a warm reset.
    tco.write16(kRldReg, 0x0001);
    tco.write16(kTco1CntReg, cnt_write_value(cnt, false));
    if ((tco.read16(kTco1CntReg) & kTmrHalt) != 0) return Status::device_error;
    return Status::ok;
}

Status ping(RegisterIo& tco) {
    if (tco.read16(kTco1CntReg) == kNotDecoding) return Status::device_error;
    tco.write16(kRldReg, 0x0001);
    return Status::ok;
}

Status disarm(RegisterIo& tco, RegisterIo& rcrb) {
    uint16_t cnt = tco.read16(kTco1CntReg);
    if (cnt == kNotDecoding) return Status::device_error;
    if ((cnt & kTcoLock) != 0) return Status::locked;
    tco.write16(kTco1CntReg, cnt_write_value(cnt, true));
    if ((tco.read16(kTco1CntReg) & kTmrHalt) == 0) return Status::device_error;
    // Belt and braces, as Linux's stop: a halted counter cannot expire, and with
    // NO_REBOOT set even a later accidental start cannot reset the machine.
    rcrb.write32(kGcsReg, rcrb.read32(kGcsReg) | kGcsNoReboot);
    return Status::ok;
}

bool is_running(RegisterIo& tco) {
    uint16_t cnt = tco.read16(kTco1CntReg);
    return cnt != kNotDecoding && (cnt & kTmrHalt) == 0;
}

bool is_locked(RegisterIo& tco) {
    uint16_t cnt = tco.read16(kTco1CntReg);
    return cnt != kNotDecoding && (cnt & kTcoLock) != 0;
}

}  // namespace wdboot::itco
