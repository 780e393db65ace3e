// A register model of QEMU 7.2's q35 TCO watchdog (hw/acpi/tco.c, the GCS register
// of hw/isa/lpc_ich9.c, and the LPC bridge registers that locate them), for the
// driver tests. What it mirrors, deliberately including QEMU's quirks:
//  - the counter starts on a write to TCO_RLD or TCO1_CNT when TMR_HLT is clear and
//    TCO_TMR > 1; TMR_HLT is clear at power-on but nothing counts before that write;
//  - the machine resets on the second expiry, unless GCS.NO_REBOOT is set or the
//    `noreboot` strap (-global ICH9-LPC.noreboot, default true in 7.2) is on;
//    SECOND_TO_STS and BOOT_STS are set either way;
//  - a status write stores the value masked with the writable bits (not W1C);
//  - TCO_LOCK, once set, stays set; it locks nothing else;
//  - a system reset puts GCS back to 0x20 (NO_REBOOT) and the LPC bridge registers
//    back to their defaults, but leaves the TCO registers and a running counter alone;
//  - 8-bit accesses address whole registers, 32-bit accesses split into two 16-bit.
// Every access is logged (register_log.hpp).
#pragma once
#include <stdint.h>

#include <algorithm>
#include <array>
#include <stdexcept>
#include <vector>

#include "register_log.hpp"
#include "wdboot/reg_io.hpp"

namespace wdboot::test {

class ItcoModel {
public:
    static constexpr char kLpc = 'l';
    static constexpr char kTco = 't';
    static constexpr char kRcrb = 'r';
    static constexpr uint64_t kTickNs = 600000000;

    ItcoModel() : lpc_(*this, kLpc), tco_(*this, kTco), rcrb_(*this, kRcrb), cc_(0x4000, 0) { power_on(); }
    ItcoModel(const ItcoModel&) = delete;
    ItcoModel& operator=(const ItcoModel&) = delete;

    RegisterIo& lpc() { return lpc_; }
    RegisterIo& tco() { return tco_; }
    RegisterIo& rcrb() { return rcrb_; }
    RegisterLog log;

    // QEMU's ICH9-LPC.noreboot property: true by default in QEMU 7.2.
    bool noreboot_strap = true;
    // Fault injection: the TCO and RCRB ignore every write; NO_REBOOT pinned to 1.
    bool drop_writes = false;
    bool no_reboot_pinned = false;

    // --- machine events ---------------------------------------------------------
    // A new QEMU process.
    void power_on() {
        rld_ = 0;
        sts1_ = 0;
        sts2_ = 0;
        cnt1_ = 0;
        cnt2_ = 0x0008;
        tmr_ = 0x0004;
        other_.fill(0);
        other_[0x10] = 0x03;
        pending_ = false;
        timeouts_no_ = 0;
        system_reset_chipset();
    }

    // What OVMF does on every boot: PMBASE 0x600 with ACPI decoding, RCBA 0xFED1C000.
    void firmware_setup() {
        put(0x40, 32, 0x00000601);
        put(0x44, 8, 0x80);
        put(0xF0, 32, 0xFED1C001);
    }

    // Reset button, reboot, or the watchdog action.
    void system_reset() { system_reset_chipset(); }

    void advance_ms(uint64_t ms) { advance_ns(ms * 1000000u); }
    void advance_ns(uint64_t ns) {
        uint64_t end = now_ns_ + ns;
        int guard = 0;
        while (pending_ && deadline_ns_ <= end) {
            if (++guard > 100000) throw std::logic_error("TCO model: timer fires without advancing");
            now_ns_ = deadline_ns_;
            expire();
        }
        now_ns_ = end;
    }

    // --- observation --------------------------------------------------------------
    uint32_t resets_fired() const { return resets_fired_; }
    uint32_t expiries() const { return expiries_; }
    bool counting() const { return pending_; }
    uint64_t ns_to_expiry() const { return pending_ ? deadline_ns_ - now_ns_ : 0; }
    uint16_t tmr() const { return tmr_; }
    uint16_t cnt1() const { return cnt1_; }
    uint16_t sts1() const { return sts1_; }
    uint16_t sts2() const { return sts2_; }
    uint32_t gcs() const { return cc_get(0x3410, 32); }
    bool nmi_written() const { return nmi_written_; }

private:
    friend class ModelWindow<ItcoModel>;
    using Window = ModelWindow<ItcoModel>;

    static uint32_t ones(uint8_t width) { return width == 32 ? 0xFFFFFFFFu : (1u << width) - 1; }

    bool pm_decoded() const { return (get(0x44, 8) & 0x80) != 0 && (get(0x40, 32) & 0xFF80) != 0; }
    bool rcrb_decoded() const { return (get(0xF0, 32) & 1) != 0; }

    uint32_t read(char w, uint32_t off, uint8_t width) {
        uint32_t v;
        if (w == kLpc) {
            v = get(off, width);
        } else if (w == kTco) {
            if (!pm_decoded()) {
                v = ones(width);
            } else if (width == 32) {
                v = tco_read(off) | (static_cast<uint32_t>(tco_read(off + 2)) << 16);
            } else {
                v = tco_read(off) & ones(width);
            }
        } else {
            v = rcrb_decoded() ? cc_get(off, width) : ones(width);
        }
        log.add({w, false, width, off, v});
        return v;
    }

    void write(char w, uint32_t off, uint8_t width, uint32_t v) {
        log.add({w, true, width, off, v});
        if (w == kLpc) {
            if (off >= 0x40) put(off, width, v);
            return;
        }
        if (drop_writes) return;
        if (w == kTco) {
            if (!pm_decoded()) return;
            if (width == 32) {
                tco_write(off, static_cast<uint16_t>(v));
                tco_write(off + 2, static_cast<uint16_t>(v >> 16));
            } else {
                tco_write(off, static_cast<uint16_t>(v));
            }
            return;
        }
        if (!rcrb_decoded()) return;
        cc_put(off, width, v);
        if (no_reboot_pinned) cc_put(0x3410, 32, gcs() | 0x20);
    }

    // hw/acpi/tco.c tco_ioport_readw.
    uint16_t tco_read(uint32_t off) const {
        switch (off) {
            case 0x00:
                if (pending_) {
                    uint64_t left = (deadline_ns_ - now_ns_) / kTickNs;
                    return static_cast<uint16_t>(left | (rld_ & ~0x3FFu));
                }
                return rld_;
            case 0x04: return sts1_;
            case 0x06: return sts2_;
            case 0x08: return cnt1_;
            case 0x0A: return cnt2_;
            case 0x12: return tmr_;
            default: return byte_reg(off) ? other_[off] : 0;
        }
    }

    // hw/acpi/tco.c tco_ioport_writew.
    void tco_write(uint32_t off, uint16_t v) {
        switch (off) {
            case 0x00:
                timeouts_no_ = 0;
                if (can_start()) {
                    rld_ = tmr_;
                    reload();
                } else {
                    rld_ = v;
                }
                break;
            case 0x04: sts1_ = v & 0xE870; break;
            case 0x06: sts2_ = v & 0xFFF8; break;
            case 0x08:
                if ((v & 0x0100) != 0) nmi_written_ = true;
                cnt1_ = static_cast<uint16_t>((v & 0xFEFF) | (cnt1_ & 0x1000));
                if (can_start()) {
                    rld_ = tmr_;
                    reload();
                } else {
                    pending_ = false;
                }
                break;
            case 0x0A: cnt2_ = v; break;
            case 0x12: tmr_ = v; break;
            default:
                if (byte_reg(off)) other_[off] = static_cast<uint8_t>(v);
                break;
        }
    }

    // DAT_IN, DAT_OUT, MESSAGE1/2, WDCNT, SW_IRQ_GEN: stored, no behaviour modelled.
    static bool byte_reg(uint32_t off) {
        return off == 0x02 || off == 0x03 || off == 0x0C || off == 0x0D || off == 0x0E || off == 0x10;
    }

    bool can_start() const { return (cnt1_ & 0x0800) == 0 && tmr_ > 1; }

    void reload() {
        deadline_ns_ = now_ns_ + static_cast<uint64_t>(tmr_ & 0x3FF) * kTickNs;
        pending_ = true;
    }

    // hw/acpi/tco.c tco_timer_expired (the SMI of the first expiry is not modelled).
    void expire() {
        ++expiries_;
        rld_ = 0;
        sts1_ |= 0x0008;
        if (++timeouts_no_ == 2) {
            sts2_ |= 0x0002 | 0x0004;
            timeouts_no_ = 0;
            if (!noreboot_strap && (gcs() & 0x20) == 0) {
                ++resets_fired_;
                pending_ = false;
                system_reset();  // -action watchdog=reset
                return;
            }
        }
        rld_ = tmr_;
        reload();
    }

    // ich9_lpc_reset / ich9_cc_reset of QEMU 7.2: bridge registers and GCS to
    // defaults; the PM block (and with it the TCO) is not touched.
    void system_reset_chipset() {
        cfg_.fill(0);
        put(0x00, 16, 0x8086);
        put(0x02, 16, 0x2918);
        put(0x0A, 16, 0x0601);
        put(0x40, 32, 0x00000001);
        std::fill(cc_.begin(), cc_.end(), 0);
        cc_put(0x3410, 32, 0x20);
    }

    uint32_t get(uint32_t off, uint8_t width) const {
        uint32_t v = 0;
        for (uint32_t i = 0; i < width / 8u; ++i) v |= static_cast<uint32_t>(cfg_[(off + i) & 0xFF]) << (8 * i);
        return v;
    }
    void put(uint32_t off, uint8_t width, uint32_t v) {
        for (uint32_t i = 0; i < width / 8u; ++i) cfg_[(off + i) & 0xFF] = static_cast<uint8_t>(v >> (8 * i));
    }
    uint32_t cc_get(uint32_t off, uint8_t width) const {
        uint32_t v = 0;
        for (uint32_t i = 0; i < width / 8u; ++i) {
            if (off + i < cc_.size()) v |= static_cast<uint32_t>(cc_[off + i]) << (8 * i);
        }
        return v;
    }
    void cc_put(uint32_t off, uint8_t width, uint32_t v) {
        for (uint32_t i = 0; i < width / 8u; ++i) {
            if (off + i < cc_.size()) cc_[off + i] = static_cast<uint8_t>(v >> (8 * i));
        }
    }

    Window lpc_;
    Window tco_;
    Window rcrb_;
    std::array<uint8_t, 256> cfg_{};
    std::vector<uint8_t> cc_;
    std::array<uint8_t, 0x20> other_{};

    uint16_t rld_ = 0, sts1_ = 0, sts2_ = 0, cnt1_ = 0, cnt2_ = 0x0008, tmr_ = 0x0004;
    uint8_t timeouts_no_ = 0;
    uint64_t now_ns_ = 0;
    uint64_t deadline_ns_ = 0;
    bool pending_ = false;
    uint32_t resets_fired_ = 0;
    uint32_t expiries_ = 0;
    bool nmi_written_ = false;
};

}  // namespace wdboot::test
