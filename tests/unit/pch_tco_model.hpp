// A register model of the TCO watchdog of an Intel PCH from the 100 series on, with the
// PCI functions that locate it, for the driver tests (include/wdboot/pch_tco.hpp). QEMU
// has no such device, so this is built from the datasheets' and Linux's description
// (sources in pch_tco.hpp), not from an emulator. What it models:
//  - SMBus configuration space (00:1f.4): identity, TCOBASE (bit 0 reads 1), TCOCTL
//    (TCO_BASE_EN decodes the TCO ports; TCO_BASE_LOCK freezes both registers);
//  - P2SB configuration space (00:1f.1): reads all ones while P2SBC's hide bit is set,
//    yet takes writes to P2SBC; the hide bit may be locked; a 64-bit SBREG BAR;
//  - SBREG: the SMBus's General Control register at (port << 16) + 0x0C (FD hides the
//    SMBus configuration space, NR is NO_REBOOT for TCO version 4); other offsets read
//    all ones;
//  - the TCO ports (16-bit accesses only, as Linux and the driver make): TCO_TMR (10
//    bits), TCO_RLD (read: ticks left; write: reload), write-1-to-clear status bits,
//    TCO1_CNT with TMR_HLT, TCO_LOCK (write-once, locks nothing modelled here: on a PCH it
//    guards SMI_EN.TCO_EN), NMI_NOW (writing 1 inverts it and raises an NMI) and, for
//    version 6, NR_MSUS (NO_REBOOT);
//  - the timer: counts 0.6 s ticks while TMR_HLT is clear, from reset on (the PCH's
//    default); the first expiry sets TIMEOUT and reloads; the second sets SECOND_TO_STS
//    and resets the machine unless NO_REBOOT is set. Which expiry is "second" is either
//    the second since the last reload, or (timeout_sts_counting) any expiry while TIMEOUT
//    is still set: datasheets describe both, the driver must work with either;
//  - NO_REBOOT pinned by the strap or a firmware lock (no_reboot_pinned): reads 1,
//    writes cannot clear it;
//  - a system reset: core-well registers to defaults (timer counting from 4 ticks,
//    TCO_LOCK and TIMEOUT clear, TCO not decoded, P2SB visible, NO_REBOOT clear unless
//    pinned), SECOND_TO_STS kept (resume well).
// Every access through the windows is logged (register_log.hpp).
#pragma once
#include <stdint.h>

#include <array>
#include <stdexcept>

#include "register_log.hpp"
#include "wdboot/pch_tco.hpp"
#include "wdboot/reg_io.hpp"

namespace wdboot::test {

class PchTcoModel {
public:
    static constexpr char kSmbus = 's';
    static constexpr char kP2sb = 'p';
    static constexpr char kTco = 't';
    static constexpr char kSbreg = 'b';
    static constexpr uint64_t kTickNs = 600000000;
    static constexpr uint16_t kFirmwareTcoBase = 0x400;
    static constexpr uint64_t kFirmwareSbreg = 0xFD000000;

    explicit PchTcoModel(const pch_tco::PchInfo& pch)
        : pch_(pch), smbus_(*this, kSmbus), p2sb_(*this, kP2sb), tco_(*this, kTco), sbreg_(*this, kSbreg) {
        power_on();
    }
    PchTcoModel(const PchTcoModel&) = delete;
    PchTcoModel& operator=(const PchTcoModel&) = delete;

    RegisterIo& smbus() { return smbus_; }
    RegisterIo& p2sb() { return p2sb_; }
    RegisterIo& tco() { return tco_; }
    RegisterIo& sbreg() { return sbreg_; }
    RegisterLog log;

    // Straps and fault injection.
    bool no_reboot_pinned = false;      // NO_REBOOT strap sampled high, or a firmware lock
    bool timeout_sts_counting = false;  // second expiry = an expiry while TIMEOUT is set
    bool dmi_decodes_tco = true;        // the TCO range is forwarded (PCR[DMI] TCOBASE.TCOEN)
    bool p2sb_present = true;
    bool p2sb_hide_locked = false;      // P2SBC's hide bit ignores writes
    bool drop_writes = false;           // the TCO ports and SBREG ignore every write

    // What firmware did before the loader runs (coreboot-like defaults).
    struct Firmware {
        bool tco_enabled = true;   // TCOBASE = 0x400, TCOCTL.TCO_BASE_EN
        bool lock_tco_base = true; // TCOCTL.TCO_BASE_LOCK
        bool halt_timer = true;    // TMR_HLT set
        bool no_reboot = true;     // NO_REBOOT set
        bool lock_tco = true;      // TCO1_CNT.TCO_LOCK (coreboot tco_lockdown)
        bool hide_p2sb = true;
        bool clear_status = false; // read and cleared TCO1_STS/TCO2_STS (coreboot tco_reset_status)
        bool nmi_now = false;      // left NMI_NOW reading 1
    };

    // --- machine events ---------------------------------------------------------
    void power_on() {
        sts2_ = 0;
        system_reset();
    }

    void firmware_setup(const Firmware& f) {
        if (f.halt_timer) set_cnt_halt(true);
        if (f.tco_enabled) {
            put(smbus_cfg_, 0x50, 32, kFirmwareTcoBase | 1u);
            put(smbus_cfg_, 0x54, 32, 0x100u | (f.lock_tco_base ? 1u : 0u));
        }
        if (f.no_reboot) set_no_reboot_bit(true);
        if (f.lock_tco) cnt1_ = static_cast<uint16_t>(cnt1_ | 0x1000);
        if (f.nmi_now) cnt1_ = static_cast<uint16_t>(cnt1_ | 0x0100);
        if (f.clear_status) {
            sts1_ = 0;
            sts2_ = 0;
        }
        put(p2sb_cfg_, 0x10, 32, static_cast<uint32_t>(kFirmwareSbreg) | 0x4u);
        put(p2sb_cfg_, 0x14, 32, static_cast<uint32_t>(kFirmwareSbreg >> 32));
        if (f.hide_p2sb) p2sb_cfg_[0xE1] = static_cast<uint8_t>(p2sb_cfg_[0xE1] | 0x01);
    }
    void firmware_setup() { firmware_setup(Firmware{}); }

    // Reset button, reboot, or the watchdog's own reset.
    void system_reset() {
        smbus_cfg_.fill(0);
        put(smbus_cfg_, 0x00, 16, 0x8086);
        put(smbus_cfg_, 0x02, 16, pch_.smbus_device_id);
        put(smbus_cfg_, 0x0A, 16, 0x0C05);
        put(smbus_cfg_, 0x50, 32, 1);
        p2sb_cfg_.fill(0);
        put(p2sb_cfg_, 0x00, 16, 0x8086);
        put(p2sb_cfg_, 0x02, 16, 0xA120);
        put(p2sb_cfg_, 0x0A, 16, 0x0580);
        gc_ = 0;
        cnt1_ = 0;
        cnt2_ = 0;
        sts1_ = 0;
        tmr_ = 4;
        expiry_count_ = 0;
        halted_left_ns_ = 0;
        load_counter();
    }

    void advance_ms(uint64_t ms) { advance_ns(ms * 1000000u); }
    void advance_ns(uint64_t ns) {
        uint64_t end = now_ns_ + ns;
        int guard = 0;
        while (running() && deadline_ns_ <= end) {
            if (++guard > 100000) throw std::logic_error("PCH TCO model: timer fires without advancing");
            now_ns_ = deadline_ns_;
            expire();
        }
        now_ns_ = end;
    }

    // Test set-up: TCO2_STS bits another source set; raw configuration bytes, bypassing
    // the log and the hide bit.
    void set_sts2_bits(uint16_t bits) { sts2_ = static_cast<uint16_t>(sts2_ | bits); }
    void put_p2sb_cfg(uint32_t off, uint8_t width, uint32_t v) { put(p2sb_cfg_, off, width, v); }

    // --- observation --------------------------------------------------------------
    uint32_t resets_fired() const { return resets_fired_; }
    uint32_t expiries() const { return expiries_; }
    bool counting() const { return running(); }
    uint64_t ns_to_expiry() const { return running() ? deadline_ns_ - now_ns_ : 0; }
    uint16_t tmr() const { return tmr_; }
    uint16_t cnt1() const { return cnt1_; }
    uint16_t sts1() const { return sts1_; }
    uint16_t sts2() const { return sts2_; }
    uint32_t gc() const { return gc_; }
    bool no_reboot() const { return no_reboot_pinned || no_reboot_bit(); }
    bool p2sb_hidden() const { return (p2sb_cfg_[0xE1] & 0x01) != 0; }
    uint32_t nmis() const { return nmis_; }

private:
    friend class ModelWindow<PchTcoModel>;
    using Window = ModelWindow<PchTcoModel>;

    static uint32_t ones(uint8_t width) { return width == 32 ? 0xFFFFFFFFu : (1u << width) - 1; }

    bool cnl() const { return pch_.generation == pch_tco::Generation::cnl; }
    uint32_t gc_offset() const { return (static_cast<uint32_t>(pch_.sbreg_port) << 16) | 0x0C; }
    bool smbus_visible() const { return (gc_ & 0x1) == 0; }
    bool tco_decoded() const {
        return smbus_visible() && dmi_decodes_tco && (get(smbus_cfg_, 0x54, 32) & 0x100) != 0 &&
               (get(smbus_cfg_, 0x50, 32) & 0xFFE0) != 0;
    }

    uint32_t read(char w, uint32_t off, uint8_t width) {
        uint32_t v = ones(width);
        if (w == kSmbus) {
            if (smbus_visible()) v = get(smbus_cfg_, off, width);
        } else if (w == kP2sb) {
            if (p2sb_present && !p2sb_hidden()) v = get(p2sb_cfg_, off, width);
        } else if (w == kTco) {
            if (width != 16) throw std::logic_error("PCH TCO model: the TCO ports take 16-bit accesses here");
            if (tco_decoded()) v = tco_read(off);
        } else {
            if (off == gc_offset()) {
                if (width != 32) throw std::logic_error("PCH TCO model: General Control takes 32-bit accesses");
                v = gc_ | (no_reboot_pinned && !cnl() ? 0x2u : 0u);
            }
        }
        log.add({w, false, width, off, v});
        return v;
    }

    void write(char w, uint32_t off, uint8_t width, uint32_t v) {
        log.add({w, true, width, off, v});
        if (w == kSmbus) {
            // TCOBASE and TCOCTL: firmware's, frozen by TCO_BASE_LOCK; the rest is inert.
            bool locked = (get(smbus_cfg_, 0x54, 32) & 1) != 0;
            if (smbus_visible() && !(locked && off >= 0x50 && off < 0x58)) put(smbus_cfg_, off, width, v);
            return;
        }
        if (w == kP2sb) {
            if (!p2sb_present) return;
            // P2SBC (0xE0..0xE3) takes writes even while hidden; the rest only when visible.
            bool p2sbc = off >= 0xE0 && off < 0xE4;
            if (!p2sbc && p2sb_hidden()) return;
            uint8_t hide_before = p2sb_cfg_[0xE1] & 0x01;
            put(p2sb_cfg_, off, width, v);
            if (p2sb_hide_locked) p2sb_cfg_[0xE1] = static_cast<uint8_t>((p2sb_cfg_[0xE1] & ~0x01) | hide_before);
            return;
        }
        if (drop_writes) return;
        if (w == kTco) {
            if (width != 16) throw std::logic_error("PCH TCO model: the TCO ports take 16-bit accesses here");
            if (tco_decoded()) tco_write(off, static_cast<uint16_t>(v));
            return;
        }
        if (off == gc_offset()) {
            if (width != 32) throw std::logic_error("PCH TCO model: General Control takes 32-bit accesses");
            gc_ = v & 0x7u;  // FD, NR, SMBSCGE
        }
    }

    uint16_t tco_read(uint32_t off) const {
        switch (off) {
            case 0x00: return static_cast<uint16_t>(ticks_left() & 0x3FF);
            case 0x04: return sts1_;
            case 0x06: return sts2_;
            case 0x08: return static_cast<uint16_t>(cnt1_ | (no_reboot_pinned && cnl() ? 0x1 : 0x0));
            case 0x0A: return cnt2_;
            case 0x12: return tmr_;
            default: return 0;
        }
    }

    void tco_write(uint32_t off, uint16_t v) {
        switch (off) {
            case 0x00:  // any write reloads and restarts the two-expiry count
                expiry_count_ = 0;
                load_counter();
                break;
            case 0x04: sts1_ = static_cast<uint16_t>(sts1_ & ~(v & 0x17FF)); break;  // W1C
            case 0x06: sts2_ = static_cast<uint16_t>(sts2_ & ~(v & 0x0007)); break;  // W1C
            case 0x08: {
                if ((v & 0x0100) != 0) {  // NMI_NOW: writing 1 inverts it (and raises an NMI)
                    ++nmis_;
                    cnt1_ ^= 0x0100;
                }
                uint16_t keep = static_cast<uint16_t>(cnt1_ & (0x1000 | 0x0100));  // TCO_LOCK sticky
                uint16_t rw = static_cast<uint16_t>(v & (0x1000 | 0x0800 | 0x0200 | (cnl() ? 0x0001 : 0)));
                bool was_halted = halted();
                cnt1_ = static_cast<uint16_t>(keep | rw);
                if (!was_halted && halted()) {
                    halted_left_ns_ = deadline_ns_ - now_ns_;
                } else if (was_halted && !halted()) {
                    deadline_ns_ = now_ns_ + halted_left_ns_;
                }
                break;
            }
            case 0x0A: cnt2_ = v; break;
            case 0x12: tmr_ = static_cast<uint16_t>(v & 0x3FF); break;
            default: break;
        }
    }

    bool halted() const { return (cnt1_ & 0x0800) != 0; }
    bool running() const { return !halted(); }
    uint64_t ticks_left() const { return (halted() ? halted_left_ns_ : deadline_ns_ - now_ns_) / kTickNs; }

    // The counter takes TCO_TMR: running, it restarts; halted, it waits with that count.
    void load_counter() {
        uint64_t period = static_cast<uint64_t>(tmr_ & 0x3FF) * kTickNs;
        if (period == 0) throw std::logic_error("PCH TCO model: a zero TCO_TMR would fire forever");
        if (halted()) {
            halted_left_ns_ = period;
        } else {
            deadline_ns_ = now_ns_ + period;
        }
    }

    void set_cnt_halt(bool halt) {
        if (halt == halted()) return;
        if (halt) {
            halted_left_ns_ = deadline_ns_ - now_ns_;
            cnt1_ = static_cast<uint16_t>(cnt1_ | 0x0800);
        } else {
            cnt1_ = static_cast<uint16_t>(cnt1_ & ~0x0800);
            deadline_ns_ = now_ns_ + halted_left_ns_;
        }
    }

    bool no_reboot_bit() const { return cnl() ? (cnt1_ & 0x1) != 0 : (gc_ & 0x2) != 0; }
    void set_no_reboot_bit(bool set) {
        if (cnl()) {
            cnt1_ = static_cast<uint16_t>(set ? (cnt1_ | 0x1) : (cnt1_ & ~0x1));
        } else {
            gc_ = set ? (gc_ | 0x2u) : (gc_ & ~0x2u);
        }
    }

    void expire() {
        ++expiries_;
        bool second = timeout_sts_counting ? (sts1_ & 0x0008) != 0 : ++expiry_count_ == 2;
        sts1_ = static_cast<uint16_t>(sts1_ | 0x0008);
        if (second) {
            expiry_count_ = 0;
            sts2_ = static_cast<uint16_t>(sts2_ | 0x0002);
            if (!no_reboot()) {
                ++resets_fired_;
                system_reset();
                return;
            }
        }
        load_counter();
    }

    static uint32_t get(const std::array<uint8_t, 256>& cfg, uint32_t off, uint8_t width) {
        uint32_t v = 0;
        for (uint32_t i = 0; i < width / 8u; ++i) v |= static_cast<uint32_t>(cfg[(off + i) & 0xFF]) << (8 * i);
        return v;
    }
    static void put(std::array<uint8_t, 256>& cfg, uint32_t off, uint8_t width, uint32_t v) {
        for (uint32_t i = 0; i < width / 8u; ++i) cfg[(off + i) & 0xFF] = static_cast<uint8_t>(v >> (8 * i));
    }

    const pch_tco::PchInfo& pch_;
    Window smbus_;
    Window p2sb_;
    Window tco_;
    Window sbreg_;
    std::array<uint8_t, 256> smbus_cfg_{};
    std::array<uint8_t, 256> p2sb_cfg_{};
    uint32_t gc_ = 0;
    uint16_t sts1_ = 0, sts2_ = 0, cnt1_ = 0, cnt2_ = 0, tmr_ = 4;
    uint8_t expiry_count_ = 0;
    uint64_t now_ns_ = 0;
    uint64_t deadline_ns_ = 0;
    uint64_t halted_left_ns_ = 0;
    uint32_t resets_fired_ = 0;
    uint32_t expiries_ = 0;
    uint32_t nmis_ = 0;
};

}  // namespace wdboot::test
