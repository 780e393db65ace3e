// A register model of the AMD SB7x0..FCH watchdog for the driver tests. QEMU has no
// such device, so this follows the documents (the fact table in
// include/wdboot/amd_fch.hpp): where they are silent, the choice is marked
// "assumed" and docs/watchdogs.md lists it as unverified. What it models:
//  - the SMBus controller's identity and config 0x41/0x9C (sp5100 layout);
//  - 256 PM bytes reached through the index/data ports 0xCD6/0xCD7 (which a Zen
//    board may switch off: they then read 0xFF and drop writes) or through MMIO at
//    0xFED80300; PMxC0..C3 (S5_RESET_STATUS) is write-1-to-clear;
//  - the watchdog block decoded at the layout's primary base when its decode bit is
//    set, and at the ACPI MMIO alias 0xFED80B00 when that is on; elsewhere all ones;
//  - WatchdogControl: RunStopB only moves to Running, an interval starts with a
//    Trigger in a LATER write (a Trigger in the same write is ignored); Fired is
//    write-1-to-clear, survives system resets, not power-on; Action 1 powers off;
//    Disabled mirrors the PM disable bits, and a disabled watchdog neither runs nor
//    counts; 32-bit accesses only (anything else throws: the driver must not);
//  - WatchdogCount: 16 bits, reads the ticks left while counting (assumed: the
//    reload value otherwise);
//  - a free-running tick clock (resolution from the PM: 32 us, 10 ms, 100 ms, 1 s)
//    whose first edge comes `tick_phase_ns` after power-on: a count of N fires at the
//    N-th edge after the Trigger, so between N-1 and N ticks later;
//  - an expiry sets Fired (and on efch_mmio S5_RESET_STATUS bit 25), then resets or
//    powers off; a system reset stops the timer, puts Action and the PM and SMBus
//    registers back to zero (firmware_setup() programs them again), keeps Fired,
//    S5_RESET_STATUS and the count (assumed).
// Every access is logged (register_log.hpp).
#pragma once
#include <stdint.h>

#include <array>
#include <map>
#include <memory>
#include <stdexcept>

#include "register_log.hpp"
#include "wdboot/amd_fch.hpp"
#include "wdboot/reg_io.hpp"

namespace wdboot::test {

class AmdFchModel {
public:
    static constexpr char kSmbus = 's';
    static constexpr char kPm = 'p';     // PM through MMIO (0xFED80300)
    static constexpr char kPorts = 'i';  // index/data ports 0xCD6/0xCD7
    static constexpr char kWdt = 'w';

    // A board whose SMBus controller carries vendor:device rev and whose registers
    // follow `layout` (the test states both, the model does not derive one from the other).
    AmdFchModel(amd_fch::Layout layout, uint16_t vendor, uint16_t device, uint8_t revision)
        : layout_(layout), vendor_(vendor), device_(device), revision_(revision), smbus_(*this, kSmbus),
          pm_(*this, kPm), ports_(*this, kPorts) {
        power_on();
    }
    AmdFchModel(const AmdFchModel&) = delete;
    AmdFchModel& operator=(const AmdFchModel&) = delete;

    RegisterIo& smbus() { return smbus_; }
    RegisterIo& pm_mmio() { return pm_; }
    RegisterIo& pm_ports() { return ports_; }
    // The watchdog block as mapped at a physical address.
    RegisterIo& wdt(uint32_t base) {
        auto& w = wdts_[base];
        if (!w) w = std::make_unique<Window>(*this, kWdt, base);
        return *w;
    }
    RegisterLog log;

    // Fault injection and firmware choices.
    bool ports_off = false;       // Zen boards may switch 0xCD6/0xCD7 off
    bool pm_mmio_off = false;     // ACPI MMIO block not decoded
    bool pin_disabled = false;    // firmware keeps the PM disable bit(s) set
    bool pin_decode_off = false;  // firmware keeps the watchdog decode bit clear
    bool drop_wdt_writes = false;
    bool pin_action_power_off = false;  // WatchDogAction stuck at power-off
    uint32_t count_register_mask = 0xFFFF;  // a narrower WatchdogCount than documented
    uint64_t tick_phase_ns = 0;   // first tick-clock edge after power-on (< one period)

    // --- machine events ---------------------------------------------------------
    void power_on() {
        fired_ = false;
        count_reg_ = 0;
        pm_bytes_.fill(0);
        system_reset_registers();
    }

    // What a typical firmware leaves: the watchdog enabled in the PM but not decoded
    // (sp5100, sb800, efch_mmio: Linux sets the decode bit itself), its base programmed,
    // the ACPI MMIO alias on where the layout has one, resolution 32 us (PM reset value).
    void firmware_setup() {
        using namespace amd_fch;
        switch (layout_) {
            case Layout::sp5100:
                pm_put32(kSp5100PmBase, 0xFEC000F0);
                break;
            case Layout::sb800:
                pm_put32(kSb800PmControl, 0xFEC000F0);  // decode (bit 0) off, enabled
                pm_put32(kSb800PmAcpiMmioEn, kAcpiMmioBase | kAcpiMmioEnMemory);
                break;
            case Layout::efch:
                pm_bytes_[kEfchPmDecodeEn] = kEfchPmWdtTmrEn;  // Family 16h firmware decodes it
                pm_bytes_[kEfchPmIsaControl] = kEfchPmMmioEn;
                break;
            case Layout::efch_mmio:
                pm_bytes_[kEfchPmIsaControl] = kEfchPmMmioEn;
                break;
        }
        apply_pins();
    }

    // Sets the layout's PM disable bit(s), as a firmware "watchdog off" option does.
    void firmware_disables_watchdog() {
        using namespace amd_fch;
        switch (layout_) {
            case Layout::sp5100: pm_bytes_[kSp5100PmControl] |= kSp5100PmDisable; break;
            case Layout::sb800: pm_bytes_[kSb800PmControl] |= kSb800PmDisable; break;
            case Layout::efch:
            case Layout::efch_mmio: pm_bytes_[kEfchPmDecodeEn3] |= kEfchPmDisable; break;
        }
        stop_if_disabled();
    }

    // Other reset reasons the PM latched (e.g. bit 16, the reset pin).
    void set_s5_bits(uint32_t bits) { pm_put32(amd_fch::kPmS5ResetStatus, s5_reset_status() | bits); }

    // Reset button, reboot, or the watchdog's reset.
    void system_reset() { system_reset_registers(); }

    void advance_ms(uint64_t ms) { advance_ns(ms * 1000000u); }
    void advance_ns(uint64_t ns) {
        uint64_t end = now_ns_ + ns;
        if (counting_ && deadline_ns_ <= end) {
            now_ns_ = deadline_ns_;
            expire();
        }
        now_ns_ = end;
    }

    // --- observation --------------------------------------------------------------
    uint32_t resets_fired() const { return resets_; }
    uint32_t power_offs() const { return power_offs_; }
    bool counting() const { return counting_; }
    bool fired() const { return fired_; }
    uint64_t ns_to_expiry() const { return counting_ ? deadline_ns_ - now_ns_ : 0; }
    uint64_t tick_ns() const {
        switch (resolution()) {
            case 0: return 32000;
            case 1: return 10000000;
            case 2: return 100000000;
            default: return 1000000000;
        }
    }
    uint8_t pm_byte(uint32_t off) const { return pm_bytes_[off & 0xFF]; }
    uint32_t s5_reset_status() const { return pm_get32(amd_fch::kPmS5ResetStatus); }
    bool action_power_off() const { return action_power_off_; }
    uint32_t count_register() const { return count_reg_; }

private:
    class Window final : public RegisterIo {
    public:
        Window(AmdFchModel& m, char w, uint32_t base = 0) : m_(m), w_(w), base_(base) {}
        uint8_t read8(uint32_t off) override { return static_cast<uint8_t>(m_.read(w_, base_, off, 8)); }
        uint16_t read16(uint32_t off) override { return static_cast<uint16_t>(m_.read(w_, base_, off, 16)); }
        uint32_t read32(uint32_t off) override { return m_.read(w_, base_, off, 32); }
        void write8(uint32_t off, uint8_t v) override { m_.write(w_, base_, off, 8, v); }
        void write16(uint32_t off, uint16_t v) override { m_.write(w_, base_, off, 16, v); }
        void write32(uint32_t off, uint32_t v) override { m_.write(w_, base_, off, 32, v); }

    private:
        AmdFchModel& m_;
        char w_;
        uint32_t base_;
    };

    static uint32_t ones(uint8_t width) { return width == 32 ? 0xFFFFFFFFu : (1u << width) - 1; }

    uint32_t read(char w, uint32_t base, uint32_t off, uint8_t width) {
        uint32_t v = 0;
        if (w == kSmbus) {
            for (uint32_t i = 0; i < width / 8u; ++i) v |= static_cast<uint32_t>(cfg_[(off + i) & 0xFF]) << (8 * i);
        } else if (w == kPm) {
            v = pm_mmio_off ? ones(width) : 0;
            for (uint32_t i = 0; !pm_mmio_off && i < width / 8u; ++i) v |= pm_read_byte(off + i) << (8 * i);
        } else if (w == kPorts) {
            if (width != 8 || off > 1) throw std::logic_error("FCH model: PM ports take 8-bit accesses at +0/+1");
            v = ports_off ? 0xFF : off == 0 ? index_ : pm_read_byte(index_);
        } else {
            if (width != 32) throw std::logic_error("FCH model: watchdog block takes 32-bit accesses only");
            v = wdt_decoded(base) ? wdt_read(off) : 0xFFFFFFFFu;
        }
        log.add({w, false, width, off, v});
        return v;
    }

    void write(char w, uint32_t base, uint32_t off, uint8_t width, uint32_t v) {
        log.add({w, true, width, off, v});
        if (w == kSmbus) {
            for (uint32_t i = 0; i < width / 8u; ++i) {
                if (off + i >= 0x40) cfg_[(off + i) & 0xFF] = static_cast<uint8_t>(v >> (8 * i));
            }
        } else if (w == kPm) {
            for (uint32_t i = 0; !pm_mmio_off && i < width / 8u; ++i) pm_write_byte(off + i, static_cast<uint8_t>(v >> (8 * i)));
        } else if (w == kPorts) {
            if (width != 8 || off > 1) throw std::logic_error("FCH model: PM ports take 8-bit accesses at +0/+1");
            if (ports_off) return;
            if (off == 0) index_ = static_cast<uint8_t>(v);
            else pm_write_byte(index_, static_cast<uint8_t>(v));
        } else {
            if (width != 32) throw std::logic_error("FCH model: watchdog block takes 32-bit accesses only");
            if (!wdt_decoded(base) || drop_wdt_writes) return;
            wdt_write(off, v);
        }
        apply_pins();
    }

    uint32_t pm_read_byte(uint32_t off) const { return pm_bytes_[off & 0xFF]; }
    void pm_write_byte(uint32_t off, uint8_t v) {
        off &= 0xFF;
        if (off >= amd_fch::kPmS5ResetStatus && off < amd_fch::kPmS5ResetStatus + 4) {
            pm_bytes_[off] = static_cast<uint8_t>(pm_bytes_[off] & ~v);  // write 1 to clear
        } else {
            pm_bytes_[off] = v;
        }
    }
    uint32_t pm_get32(uint32_t off) const {
        uint32_t v = 0;
        for (uint32_t i = 0; i < 4; ++i) v |= static_cast<uint32_t>(pm_bytes_[(off + i) & 0xFF]) << (8 * i);
        return v;
    }
    void pm_put32(uint32_t off, uint32_t v) {
        for (uint32_t i = 0; i < 4; ++i) pm_bytes_[(off + i) & 0xFF] = static_cast<uint8_t>(v >> (8 * i));
    }
    uint32_t cfg_get32(uint32_t off) const {
        uint32_t v = 0;
        for (uint32_t i = 0; i < 4; ++i) v |= static_cast<uint32_t>(cfg_[(off + i) & 0xFF]) << (8 * i);
        return v;
    }

    // Firmware locks: what the hardware would not let software change.
    void apply_pins() {
        using namespace amd_fch;
        if (pin_decode_off) {
            switch (layout_) {
                case Layout::sp5100: cfg_[kSp5100PciMisc] &= static_cast<uint8_t>(~kSp5100PciDecodeEn); break;
                case Layout::sb800: pm_bytes_[kSb800PmControl] &= static_cast<uint8_t>(~kSb800PmDecodeEn); break;
                case Layout::efch:
                case Layout::efch_mmio: pm_bytes_[kEfchPmDecodeEn] &= static_cast<uint8_t>(~kEfchPmWdtTmrEn); break;
            }
        }
        if (pin_disabled) {
            switch (layout_) {
                case Layout::sp5100: pm_bytes_[kSp5100PmControl] |= kSp5100PmDisable; break;
                case Layout::sb800: pm_bytes_[kSb800PmControl] |= kSb800PmDisable; break;
                case Layout::efch:
                case Layout::efch_mmio: pm_bytes_[kEfchPmDecodeEn3] |= kEfchPmDisable; break;
            }
        }
        stop_if_disabled();
    }

    bool disabled() const {
        using namespace amd_fch;
        switch (layout_) {
            case Layout::sp5100: return (pm_bytes_[kSp5100PmControl] & kSp5100PmDisable) != 0;
            case Layout::sb800: return (pm_bytes_[kSb800PmControl] & kSb800PmDisable) != 0;
            case Layout::efch: return (pm_bytes_[kEfchPmDecodeEn3] & kEfchPmDisable) != 0;
            case Layout::efch_mmio:
                // WDT_TMREN also enables the timer block on these (Linux).
                return (pm_bytes_[kEfchPmDecodeEn3] & kEfchPmDisable) != 0 ||
                       (pm_bytes_[kEfchPmDecodeEn] & kEfchPmWdtTmrEn) == 0;
        }
        return true;
    }

    uint8_t resolution() const {
        using namespace amd_fch;
        switch (layout_) {
            case Layout::sp5100: return static_cast<uint8_t>((pm_bytes_[kSp5100PmControl] >> 1) & 3);
            case Layout::sb800: return static_cast<uint8_t>(pm_bytes_[kSb800PmConfig] & 3);
            case Layout::efch:
            case Layout::efch_mmio: break;
        }
        return static_cast<uint8_t>(pm_bytes_[kEfchPmDecodeEn3] & 3);
    }

    static uint32_t alias_of(uint32_t reg) {
        return (reg & 3) == 1 ? (reg & ~0xFFFu) + 0xB00 : 0;
    }

    bool wdt_decoded(uint32_t base) const {
        using namespace amd_fch;
        uint32_t primary = 0, alias = 0;
        switch (layout_) {
            case Layout::sp5100:
                if ((cfg_[kSp5100PciMisc] & kSp5100PciDecodeEn) != 0) primary = pm_get32(kSp5100PmBase) & ~7u;
                alias = alias_of(cfg_get32(kSp5100PciResourceMmio));
                break;
            case Layout::sb800:
                if ((pm_bytes_[kSb800PmControl] & kSb800PmDecodeEn) != 0) primary = pm_get32(kSb800PmControl) & ~7u;
                alias = alias_of(pm_get32(kSb800PmAcpiMmioEn));
                break;
            case Layout::efch:
            case Layout::efch_mmio:
                if ((pm_bytes_[kEfchPmDecodeEn] & kEfchPmWdtTmrEn) != 0) primary = kEfchWdtBase;
                if ((pm_bytes_[kEfchPmIsaControl] & kEfchPmMmioEn) != 0) alias = kAcpiMmioWdtBase;
                break;
        }
        return base != 0 && (base == primary || base == alias);
    }

    uint32_t wdt_read(uint32_t off) const {
        if (off == amd_fch::kControlReg) {
            return (running_ ? 1u : 0u) | (fired_ ? 2u : 0u) | (action_power_off_ ? 4u : 0u) | (disabled() ? 8u : 0u);
        }
        if (off == amd_fch::kCountReg) {
            if (!counting_) return count_reg_;
            return static_cast<uint32_t>((deadline_ns_ - next_edge(now_ns_)) / tick_ns() + 1);
        }
        return 0;
    }

    void wdt_write(uint32_t off, uint32_t v) {
        if (off == amd_fch::kCountReg) {
            count_reg_ = v & count_register_mask;
            return;
        }
        if (off != amd_fch::kControlReg) return;
        if ((v & 2) != 0) fired_ = false;
        action_power_off_ = (v & 4) != 0 || pin_action_power_off;
        const bool was_running = running_;
        running_ = !disabled() && (v & 1) != 0;
        if (!running_) counting_ = false;
        if ((v & 0x80) != 0 && was_running && running_) {
            deadline_ns_ = next_edge(now_ns_) + (count_reg_ == 0 ? 0 : (count_reg_ - 1)) * tick_ns();
            counting_ = true;
        }
    }

    // The first tick-clock edge strictly after t.
    uint64_t next_edge(uint64_t t) const {
        const uint64_t p = tick_ns();
        if (t < tick_phase_ns) return tick_phase_ns;
        return tick_phase_ns + ((t - tick_phase_ns) / p + 1) * p;
    }

    void stop_if_disabled() {
        if (disabled()) {
            running_ = false;
            counting_ = false;
        }
    }

    void expire() {
        counting_ = false;
        fired_ = true;
        if (layout_ == amd_fch::Layout::efch_mmio) {
            pm_bytes_[amd_fch::kPmS5ResetStatus + 3] |= static_cast<uint8_t>(amd_fch::kS5WatchdogExpired >> 24);
        }
        if (action_power_off_) {
            ++power_offs_;
            running_ = false;
            return;
        }
        ++resets_;
        system_reset();
    }

    void system_reset_registers() {
        running_ = false;
        counting_ = false;
        action_power_off_ = false;
        index_ = 0;
        std::array<uint8_t, 4> s5{};
        for (uint32_t i = 0; i < 4; ++i) s5[i] = pm_bytes_[amd_fch::kPmS5ResetStatus + i];
        pm_bytes_.fill(0);
        for (uint32_t i = 0; i < 4; ++i) pm_bytes_[amd_fch::kPmS5ResetStatus + i] = s5[i];
        cfg_.fill(0);
        cfg_[0] = static_cast<uint8_t>(vendor_);
        cfg_[1] = static_cast<uint8_t>(vendor_ >> 8);
        cfg_[2] = static_cast<uint8_t>(device_);
        cfg_[3] = static_cast<uint8_t>(device_ >> 8);
        cfg_[8] = revision_;
        cfg_[0x0B] = 0x0C;  // serial bus controller
        cfg_[0x0A] = 0x05;  // SMBus
    }

    amd_fch::Layout layout_;
    uint16_t vendor_, device_;
    uint8_t revision_;
    Window smbus_, pm_, ports_;
    std::map<uint32_t, std::unique_ptr<Window>> wdts_;
    std::array<uint8_t, 256> cfg_{};
    std::array<uint8_t, 256> pm_bytes_{};
    uint8_t index_ = 0;

    bool running_ = false, counting_ = false, fired_ = false, action_power_off_ = false;
    uint32_t count_reg_ = 0;
    uint64_t now_ns_ = 0, deadline_ns_ = 0;
    uint32_t resets_ = 0, power_offs_ = 0;
};

}  // namespace wdboot::test
