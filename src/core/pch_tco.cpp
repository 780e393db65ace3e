// Intel PCH (100 series and later) TCO watchdog register sequences. Behaviour taken from
// Linux drivers/watchdog/iTCO_wdt.c (versions 4 and 6), drivers/i2c/busses/i2c-i801.c and
// drivers/platform/x86/p2sb.c, and Intel's register definitions (sources in the header);
// read, not copied.
#include "wdboot/pch_tco.hpp"

namespace wdboot::pch_tco {
namespace {

// Ports or memory nobody decodes read as all ones. A live TCO1_CNT never does: its
// reserved bits 15:13 read 0.
constexpr uint16_t kNotDecoding16 = 0xFFFF;
constexpr uint32_t kNotDecoding32 = 0xFFFFFFFF;

// TCO1_CNT as written back: NMI_NOW is never written as 1 (on these PCHs that inverts the
// bit, Linux commit daa814d784ac) and TCO_LOCK never (write-once); NO_REBOOT and the other
// bits stay as read.
uint16_t cnt_write_value(uint16_t cnt, bool halt) {
    uint16_t v = static_cast<uint16_t>(cnt & ~(kNmiNow | kTcoLock | kTmrHalt));
    return halt ? static_cast<uint16_t>(v | kTmrHalt) : v;
}

// Sets or clears NO_REBOOT where this generation keeps it and reads it back.
// device_error: the register reads as all ones; locked: the bit did not take the value.
// Callers have checked that spt has its sbreg window.
Status write_no_reboot(const PchInfo& pch, RegisterIo& tco, RegisterIo* sbreg_window, bool set) {
    if (pch.generation == Generation::spt) {
        RegisterIo& sbreg = *sbreg_window;
        // General Control also holds FD (function disable) and clock gating: change NR only.
        const uint32_t off = gc_offset(pch);
        uint32_t gc = sbreg.read32(off);
        if (gc == kNotDecoding32) return Status::device_error;
        uint32_t want = set ? (gc | kGcNoReboot) : (gc & ~kGcNoReboot);
        if (want != gc) sbreg.write32(off, want);
        return ((sbreg.read32(off) & kGcNoReboot) != 0) == set ? Status::ok : Status::locked;
    }
    uint16_t cnt = tco.read16(kTco1CntReg);
    if (cnt == kNotDecoding16) return Status::device_error;
    uint16_t v = static_cast<uint16_t>(cnt & ~(kNmiNow | kTcoLock));
    v = set ? static_cast<uint16_t>(v | kCntNoReboot) : static_cast<uint16_t>(v & ~kCntNoReboot);
    tco.write16(kTco1CntReg, v);
    return ((tco.read16(kTco1CntReg) & kCntNoReboot) != 0) == set ? Status::ok : Status::locked;
}

// The P2SB's SBREG BAR, from a configuration space that answers.
Status read_sbreg_bar(RegisterIo& p2sb, uint64_t& sbreg_base) {
    // Linux refuses a device at the P2SB's address that is not a P2SB; so do we, before
    // trusting its BAR.
    if (p2sb.read16(kPciVendorReg) != kIntelVendorId || p2sb.read16(kPciClassReg) != kClassP2sb) {
        return Status::not_found;
    }
    uint32_t lo = p2sb.read32(kSbregBarReg);
    if ((lo & 0x1) != 0) return Status::not_found;  // an I/O BAR: not SBREG
    uint64_t base = lo & ~0xFu;
    if ((lo & 0x6) == 0x4) base |= static_cast<uint64_t>(p2sb.read32(kSbregBarHighReg)) << 32;
    if (base == 0) return Status::not_found;
    sbreg_base = base;
    return Status::ok;
}

}  // namespace

const PchInfo* identify(RegisterIo& smbus) {
    if (smbus.read16(kPciVendorReg) != kIntelVendorId || smbus.read16(kPciClassReg) != kClassSmbus) return nullptr;
    const uint16_t id = smbus.read16(kPciDeviceReg);
    for (const PchInfo& p : kPchs) {
        if (p.smbus_device_id == id) return &p;
    }
    return nullptr;
}

Status find_tco_base(RegisterIo& smbus, uint16_t& tco_base) {
    uint32_t ctl = smbus.read32(kTcoCtlReg);
    if (ctl == kNotDecoding32 || (ctl & kTcoBaseEnable) == 0) return Status::not_found;
    uint32_t base = smbus.read32(kTcoBaseReg) & kTcoBaseMask;
    if (base == 0) return Status::not_found;
    tco_base = static_cast<uint16_t>(base);
    return Status::ok;
}

Status find_sbreg(RegisterIo& p2sb, uint64_t& sbreg_base) {
    // A hidden P2SB reads all ones but still takes writes to P2SBC. Only the byte with
    // the hide bit is written (bits 15:9 are reserved), and it is put back on every path.
    const bool hidden = p2sb.read16(kPciVendorReg) == kNotDecoding16;
    if (hidden) p2sb.write8(kP2sbcHideReg, 0);
    Status s = read_sbreg_bar(p2sb, sbreg_base);
    if (hidden) p2sb.write8(kP2sbcHideReg, kP2sbHide);
    return s;
}

uint32_t gc_offset(const PchInfo& pch) { return (static_cast<uint32_t>(pch.sbreg_port) << 16) | kGcReg; }

// The same TCO2_STS.SECOND_TO_STS as the ICH9's, at the same offset from the TCO base.
ResetCause read_reset_cause(RegisterIo& tco) { return itco::read_reset_cause(tco); }

Status clear_reset_cause(RegisterIo& tco) {
    // Write 1 to clear, one bit each, as Linux's probe does for versions 4 and 6; TCO2_STS
    // bit 2 means different things on different PCHs and is left alone.
    tco.write16(kTco1StsReg, kTimeoutSts);
    tco.write16(kTco2StsReg, kSecondToSts);
    uint16_t sts2 = tco.read16(kTco2StsReg);
    if (sts2 == kNotDecoding16 || (sts2 & kSecondToSts) != 0) return Status::device_error;
    return Status::ok;
}

Status arm(const PchInfo& pch, RegisterIo& tco, RegisterIo* sbreg, uint32_t timeout_ms) {
    if (timeout_ms < kMinTimeoutMs || timeout_ms > kMaxTimeoutMs) return Status::invalid_argument;
    if (pch.generation == Generation::spt && sbreg == nullptr) return Status::invalid_argument;
    const uint16_t ticks = static_cast<uint16_t>(itco::ticks_for(timeout_ms));

    if (tco.read16(kTco1CntReg) == kNotDecoding16) return Status::device_error;

    uint16_t tmr = tco.read16(kTmrReg);
    tco.write16(kTmrReg, static_cast<uint16_t>((tmr & ~kTmrMask) | ticks));
    if ((tco.read16(kTmrReg) & kTmrMask) != ticks) return Status::device_error;

    // Whether the chipset counts the two expiries from the reload or by TIMEOUT still
    // being set (ICH datasheets describe both ways), a stale TIMEOUT must not make our
    // first expiry the second. The reload then puts the new period into a counter that
    // firmware may have left running, before NO_REBOOT is cleared: a running timer is
    // never armed with firmware's (possibly nearly expired) count.
    tco.write16(kTco1StsReg, kTimeoutSts);
    tco.write16(kRldReg, 0x0001);

    // A NO_REBOOT that stays set (strap, firmware lock) makes every expiry harmless: say
    // so instead of starting a timer that cannot reset the machine.
    Status s = write_no_reboot(pch, tco, sbreg, false);
    if (s != Status::ok) return s;

    uint16_t cnt = tco.read16(kTco1CntReg);
    tco.write16(kTco1CntReg, cnt_write_value(cnt, false));
    if ((tco.read16(kTco1CntReg) & kTmrHalt) != 0) return Status::device_error;
    return Status::ok;
}

Status ping(RegisterIo& tco) {
    if (tco.read16(kTco1CntReg) == kNotDecoding16) return Status::device_error;
    // Linux reloads only, for these versions; clearing TIMEOUT too costs one write and
    // makes the reset two full periods away on either kind of expiry counting.
    tco.write16(kTco1StsReg, kTimeoutSts);
    tco.write16(kRldReg, 0x0001);
    return Status::ok;
}

Status disarm(const PchInfo& pch, RegisterIo& tco, RegisterIo* sbreg) {
    if (pch.generation == Generation::spt && sbreg == nullptr) return Status::invalid_argument;
    uint16_t cnt = tco.read16(kTco1CntReg);
    if (cnt == kNotDecoding16) return Status::device_error;
    tco.write16(kTco1CntReg, cnt_write_value(cnt, true));
    if ((tco.read16(kTco1CntReg) & kTmrHalt) == 0) return Status::device_error;
    // Belt and braces, as Linux's stop: a halted counter cannot expire, and with NO_REBOOT
    // set even a later accidental start cannot reset the machine.
    (void)write_no_reboot(pch, tco, sbreg, true);
    return Status::ok;
}

bool is_running(RegisterIo& tco) {
    uint16_t cnt = tco.read16(kTco1CntReg);
    return cnt != kNotDecoding16 && (cnt & kTmrHalt) == 0;
}

bool no_reboot(const PchInfo& pch, RegisterIo& tco, RegisterIo* sbreg) {
    if (pch.generation == Generation::spt) {
        if (sbreg == nullptr) return true;
        uint32_t gc = sbreg->read32(gc_offset(pch));
        return gc == kNotDecoding32 || (gc & kGcNoReboot) != 0;
    }
    uint16_t cnt = tco.read16(kTco1CntReg);
    return cnt == kNotDecoding16 || (cnt & kCntNoReboot) != 0;
}

}  // namespace wdboot::pch_tco
