// A register model of the i6300esb that behaves as QEMU 7.2's hw/watchdog/
// wdt_i6300esb.c does, for the driver tests: the unlock sequence allowing exactly one
// write, the two stage preloads, reload, the enable/lock/free-run bits at config 0x68
// (8-bit accesses only), the config register at 0x60 (16-bit accesses only), the
// timeout flag that outlives system resets, and a clock that runs stage 1 then
// stage 2 and fires the reset. Every access is logged (register_log.hpp).
#pragma once
#include <stdint.h>

#include <array>

#include "register_log.hpp"
#include "wdboot/reg_io.hpp"

namespace wdboot::test {

class I6300esbModel {
public:
    static constexpr char kConfig = 'c';
    static constexpr char kMmio = 'm';

    // A freshly started QEMU: flag clear, decoding off (OVMF does not enable it).
    I6300esbModel() : config_(*this), mmio_(*this) { power_on(); }
    I6300esbModel(const I6300esbModel&) = delete;
    I6300esbModel& operator=(const I6300esbModel&) = delete;

    RegisterIo& config() { return config_; }
    RegisterIo& mmio() { return mmio_; }
    RegisterLog log;

    // Fault injection: a device that reads normally but ignores every write.
    bool drop_writes = false;

    // --- machine events ---------------------------------------------------------
    // A new QEMU process: everything cleared, including the timeout flag.
    void power_on() {
        cfg_.fill(0);
        put(0x00, 16, 0x8086);
        put(0x02, 16, 0x25ab);
        put(0x0A, 16, 0x0880);  // class: other system peripheral
        put(0x10, 32, 0xFEBF1000);  // BAR0 as firmware assigned it (memory, 16 bytes)
        flag_ = false;
        device_reset();
    }

    // A system reset (reset button, reboot, or the watchdog action): PCI command
    // cleared, device state back to its defaults, the timeout flag kept.
    void system_reset() {
        put(0x04, 16, 0);
        device_reset();
    }

    void advance_ms(uint64_t ms) { advance_ns(ms * 1000000u); }
    void advance_ns(uint64_t ns) {
        uint64_t end = now_ns_ + ns;
        while (pending_ && deadline_ns_ <= end) {
            now_ns_ = deadline_ns_;
            pending_ = false;
            expire();
        }
        now_ns_ = end;
    }

    // --- observation --------------------------------------------------------------
    uint32_t resets_fired() const { return resets_fired_; }
    bool timer_pending() const { return pending_; }
    uint64_t ns_to_expiry() const { return pending_ ? deadline_ns_ - now_ns_ : 0; }
    int stage() const { return stage_; }
    bool enabled() const { return enabled_; }
    bool locked() const { return locked_; }
    bool free_run() const { return free_run_; }
    bool reboot_enabled() const { return reboot_enabled_; }
    bool clock_1mhz() const { return clock_1mhz_; }
    uint8_t int_type() const { return int_type_; }
    uint32_t preload1() const { return preload1_; }
    uint32_t preload2() const { return preload2_; }
    bool timeout_flag() const { return flag_; }
    bool decoding() const { return (get(0x04, 16) & 0x2) != 0; }
    // BAR0 writes the device threw away because no unlock sequence preceded them.
    uint32_t writes_without_unlock() const { return writes_without_unlock_; }
    // BAR0 accesses made while memory decoding was off (they went nowhere).
    uint32_t undecoded_accesses() const { return undecoded_accesses_; }

private:
    class Config final : public RegisterIo {
    public:
        explicit Config(I6300esbModel& m) : m_(m) {}
        uint8_t read8(uint32_t off) override { return static_cast<uint8_t>(m_.config_read(off, 8)); }
        uint16_t read16(uint32_t off) override { return static_cast<uint16_t>(m_.config_read(off, 16)); }
        uint32_t read32(uint32_t off) override { return m_.config_read(off, 32); }
        void write8(uint32_t off, uint8_t v) override { m_.config_write(off, 8, v); }
        void write16(uint32_t off, uint16_t v) override { m_.config_write(off, 16, v); }
        void write32(uint32_t off, uint32_t v) override { m_.config_write(off, 32, v); }

    private:
        I6300esbModel& m_;
    };

    class Mmio final : public RegisterIo {
    public:
        explicit Mmio(I6300esbModel& m) : m_(m) {}
        uint8_t read8(uint32_t off) override { return static_cast<uint8_t>(m_.mmio_read(off, 8)); }
        uint16_t read16(uint32_t off) override { return static_cast<uint16_t>(m_.mmio_read(off, 16)); }
        uint32_t read32(uint32_t off) override { return m_.mmio_read(off, 32); }
        void write8(uint32_t off, uint8_t v) override { m_.mmio_write(off, 8, v); }
        void write16(uint32_t off, uint16_t v) override { m_.mmio_write(off, 16, v); }
        void write32(uint32_t off, uint32_t v) override { m_.mmio_write(off, 32, v); }

    private:
        I6300esbModel& m_;
    };

    uint32_t get(uint32_t off, uint8_t width) const {
        uint32_t v = 0;
        for (uint32_t i = 0; i < width / 8u; ++i) v |= static_cast<uint32_t>(cfg_[(off + i) & 0xFF]) << (8 * i);
        return v;
    }
    void put(uint32_t off, uint8_t width, uint32_t v) {
        for (uint32_t i = 0; i < width / 8u; ++i) cfg_[(off + i) & 0xFF] = static_cast<uint8_t>(v >> (8 * i));
    }

    uint32_t config_read(uint32_t off, uint8_t width) {
        uint32_t v;
        if (off == 0x60 && width == 16) {
            v = (reboot_enabled_ ? 0u : 0x20u) | (clock_1mhz_ ? 0x04u : 0u) | int_type_;
        } else if (off == 0x68 && width == 8) {
            v = (free_run_ ? 0x04u : 0u) | (locked_ ? 0x01u : 0u) | (enabled_ ? 0x02u : 0u);
        } else {
            v = get(off, width);
        }
        log.add({kConfig, false, width, off, v});
        return v;
    }

    void config_write(uint32_t off, uint8_t width, uint32_t v) {
        log.add({kConfig, true, width, off, v});
        if (drop_writes) return;
        if (off == 0x60 && width == 16) {
            reboot_enabled_ = (v & 0x20) == 0;
            clock_1mhz_ = (v & 0x04) != 0;
            int_type_ = static_cast<uint8_t>(v & 0x11);  // QEMU's mask (0x11, not 0x03)
        } else if (off == 0x68 && width == 8) {
            if (locked_) return;
            locked_ = (v & 0x01) != 0;
            free_run_ = (v & 0x04) != 0;
            bool was = enabled_;
            enabled_ = (v & 0x02) != 0;
            if (!was && enabled_) {
                restart(1);
            } else if (!enabled_) {
                pending_ = false;
            }
        } else {
            default_config_write(off, width, v);
        }
    }

    // QEMU's pci_default_write_config: the command register's writable bits, and
    // every byte of the device-specific area; the rest of the header is read-only here.
    void default_config_write(uint32_t off, uint8_t width, uint32_t v) {
        for (uint32_t i = 0; i < width / 8u; ++i) {
            uint32_t a = off + i;
            uint8_t byte = static_cast<uint8_t>(v >> (8 * i));
            uint8_t mask = 0;
            if (a == 0x04) mask = 0x47;
            else if (a == 0x05) mask = 0x05;
            else if (a >= 0x40 && a < 0x100) mask = 0xFF;
            cfg_[a & 0xFF] = static_cast<uint8_t>((cfg_[a & 0xFF] & ~mask) | (byte & mask));
        }
    }

    uint32_t mmio_read(uint32_t off, uint8_t width) {
        uint32_t v = 0;
        if (!decoding()) {
            ++undecoded_accesses_;
            v = width == 8 ? 0xFFu : width == 16 ? 0xFFFFu : 0xFFFFFFFFu;
        } else if (width == 16 && off == 0x0C) {
            v = flag_ ? 0x1200u : 0u;  // QEMU sets bit 9 and bit 12 (an old Linux bug)
        }
        log.add({kMmio, false, width, off, v});
        return v;
    }

    void mmio_write(uint32_t off, uint8_t width, uint32_t v) {
        log.add({kMmio, true, width, off, v});
        if (!decoding()) {
            ++undecoded_accesses_;
            return;
        }
        if (drop_writes) return;
        if (off == 0x0C && v == 0x80) {
            unlock_state_ = 1;
        } else if (off == 0x0C && v == 0x86 && unlock_state_ == 1) {
            unlock_state_ = 2;
        } else if (width == 8) {
            // QEMU's byte writes only ever drive the unlock sequence.
        } else if (unlock_state_ != 2) {
            ++writes_without_unlock_;
        } else {
            if (width == 16 && off == 0x0C) {
                if ((v & 0x100) != 0) restart(1);
                if ((v & 0x200) != 0 || (v & 0x1000) != 0) flag_ = false;
            } else if (width == 32 && off == 0x00) {
                preload1_ = v & 0xFFFFF;
            } else if (width == 32 && off == 0x04) {
                preload2_ = v & 0xFFFFF;
            }
            unlock_state_ = 0;
        }
    }

    // i6300esb_restart_timer: nothing unless enabled; the preload in ticks of
    // 2^15 (1 kHz) or 2^5 (1 MHz) PCI clocks of 30 ns.
    void restart(int stage) {
        if (!enabled_) return;
        stage_ = stage;
        uint64_t ticks = stage <= 1 ? preload1_ : preload2_;
        ticks <<= clock_1mhz_ ? 5 : 15;
        deadline_ns_ = now_ns_ + ticks * 30u;
        pending_ = true;
    }

    void expire() {
        if (stage_ == 1) {
            restart(2);
            return;
        }
        if (reboot_enabled_) {
            flag_ = true;
            ++resets_fired_;
            system_reset();  // -action watchdog=reset
        }
        if (free_run_) restart(1);
    }

    // i6300esb_reset: everything but the timeout flag.
    void device_reset() {
        pending_ = false;
        reboot_enabled_ = true;
        clock_1mhz_ = false;
        int_type_ = 0;
        free_run_ = false;
        locked_ = false;
        enabled_ = false;
        preload1_ = 0xFFFFF;
        preload2_ = 0xFFFFF;
        stage_ = 1;
        unlock_state_ = 0;
    }

    Config config_;
    Mmio mmio_;
    std::array<uint8_t, 256> cfg_{};

    bool reboot_enabled_ = true;
    bool clock_1mhz_ = false;
    uint8_t int_type_ = 0;
    bool free_run_ = false;
    bool locked_ = false;
    bool enabled_ = false;
    uint32_t preload1_ = 0xFFFFF;
    uint32_t preload2_ = 0xFFFFF;
    int stage_ = 1;
    int unlock_state_ = 0;
    bool flag_ = false;

    uint64_t now_ns_ = 0;
    uint64_t deadline_ns_ = 0;
    bool pending_ = false;
    uint32_t resets_fired_ = 0;
    uint32_t writes_without_unlock_ = 0;
    uint32_t undecoded_accesses_ = 0;
};

}  // namespace wdboot::test
