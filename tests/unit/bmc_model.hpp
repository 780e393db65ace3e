// A model of a BMC behind a KCS system interface, as QEMU 7.2's isa-ipmi-kcs and
// ipmi-bmc-sim behave (hw/ipmi/ipmi_kcs.c, hw/ipmi/ipmi_bmc_sim.c, read for behaviour),
// for the KCS, watchdog and SEL tests. What it mirrors, quirks included:
//  - KCS: a write while IBF is set is dropped; the BMC handles a write after
//    `process_delay_us` (QEMU: at once) and then clears IBF; OBF is set after every
//    step of the write phase; WRITE_START is only accepted when idle; a READ byte past
//    the end of the response makes the interface idle with a dummy byte in OBF;
//    GET_STATUS/ABORT outside the error state enters it with status 0x01; any data
//    byte in the error state starts reading the error status;
//  - watchdog: Set validates the timer use (1..5) and the action (none, reset, power
//    down), clears the expiration flags given, and stops the timer unless it was
//    running and don't-stop is set (then it restarts with the new countdown); Reset
//    fails with 0x80 before the first Set and stops the timer if the action is none;
//    Get reports byte 1 as last written (QEMU echoes don't-stop where the spec has
//    "running") unless `spec_running_bit`, and a present countdown of 0 while stopped
//    unless `present_when_stopped`; on expiry the timer stops, sets the flag of
//    its timer use, and, with logging on and both the event message buffer and the
//    event log enabled in the BMC global enables, logs a watchdog 2 sensor event;
//  - SEL: Add SEL Entry needs 16 bytes, assigns the record ID (and the timestamp for
//    record types below 0xE0), fails with 0xC4 when full (128 entries).
// The BMC keeps all of it across a system reset, as QEMU's does.
#pragma once
#include <stdint.h>

#include <array>
#include <map>
#include <stdexcept>
#include <utility>
#include <vector>

#include "wdboot/ipmi_kcs.hpp"
#include "wdboot/ipmi_watchdog.hpp"
#include "wdboot/reg_io.hpp"

namespace wdboot::test {

class BmcModel {
public:
    static constexpr uint8_t kAbortedStatus = 0x01;
    static constexpr uint8_t kIllegalControlStatus = 0x02;
    static constexpr size_t kSelCapacity = 128;
    static constexpr uint8_t kGlobalEventMsgBuffer = 0x04;
    static constexpr uint8_t kGlobalEventLog = 0x08;

    explicit BmcModel(uint32_t spacing = 1) : spacing_(spacing), io_(*this), delay_(*this) {}
    BmcModel(const BmcModel&) = delete;
    BmcModel& operator=(const BmcModel&) = delete;

    RegisterIo& io() { return io_; }
    ipmi::Delay& delay() { return delay_; }

    // --- configuration and fault injection ------------------------------------------
    bool absent = false;             // nothing decodes the ports: reads 0xFF
    bool floating_low = false;       // reads 0x00 and ignores writes (a window with nothing in it)
    bool ibf_stuck = false;          // the BMC never takes a byte: IBF stays set
    bool hang_on_request = false;    // the BMC takes the request but never answers
    bool error_always = false;       // every write leaves the interface in the error state
    int glitches = 0;                // the next N WRITE_STARTs enter the error state
    uint32_t process_delay_us = 0;   // how long IBF stays set after a write
    bool spec_running_bit = false;   // Get byte 1 bit 6 = running (spec), not the echo (QEMU)
    bool present_when_stopped = false;  // Get reports the initial countdown while stopped
                                        // (as some BMCs do) instead of 0 (QEMU)
    uint8_t global_enables = kGlobalEventLog;  // QEMU's power-on value
    // Per (netfn, cmd): a completion code to answer instead, a response cut to netfn +
    // cmd only, a response naming another command, or one with this many data bytes.
    std::map<std::pair<uint8_t, uint8_t>, uint8_t> forced_cc;
    std::map<std::pair<uint8_t, uint8_t>, bool> short_response;
    std::map<std::pair<uint8_t, uint8_t>, bool> wrong_cmd_response;
    std::map<std::pair<uint8_t, uint8_t>, size_t> long_response;

    // Put the interface in the error state, as a transaction cut short by a reset leaves it.
    void leave_in_error() {
        state_ = kError;
        out_.clear();
        outpos_ = 0;
    }

    // --- time --------------------------------------------------------------------------
    void advance_us(uint64_t us) {
        uint64_t end = now_us_ + us;
        if (wd_running_ && wd_expiry_us_ <= end) {
            now_us_ = wd_expiry_us_;
            expire();
        }
        now_us_ = end;
    }
    void advance_ms(uint64_t ms) { advance_us(ms * 1000); }
    uint64_t now_us() const { return now_us_; }

    // --- observation -----------------------------------------------------------------
    uint32_t resets_fired() const { return resets_fired_; }
    bool watchdog_running() const { return wd_running_; }
    uint8_t watchdog_use() const { return wd_use_; }
    uint8_t watchdog_action() const { return wd_action_; }
    uint8_t expiration_flags() const { return wd_expired_; }
    uint16_t initial_countdown() const { return wd_timeout_; }
    uint64_t us_to_expiry() const { return wd_running_ ? wd_expiry_us_ - now_us_ : 0; }
    const std::vector<std::array<uint8_t, 16>>& sel() const { return sel_; }
    bool idle() const { return state_ == kIdle && !ibf_; }
    // Every request the BMC handled: netfn, cmd, data.
    struct Handled {
        uint8_t netfn;
        uint8_t cmd;
        std::vector<uint8_t> data;
    };
    const std::vector<Handled>& handled() const { return handled_; }
    void clear_handled() { handled_.clear(); }
    uint32_t status_reads() const { return status_reads_; }

    // Commands another host user (Linux, ipmitool) would send, to set up scenarios.
    void host_set_watchdog(uint8_t use, uint8_t action, uint8_t pretimeout, uint8_t clear, uint16_t countdown) {
        std::vector<uint8_t> rsp;
        set_watchdog({use, action, pretimeout, clear, static_cast<uint8_t>(countdown), static_cast<uint8_t>(countdown >> 8)},
                     rsp);
        if (rsp.empty() || rsp[0] != 0) throw std::logic_error("BMC model: host Set Watchdog Timer refused");
    }
    void host_reset_watchdog() {
        std::vector<uint8_t> rsp;
        reset_watchdog(rsp);
    }

private:
    enum State : uint8_t { kIdle = 0, kRead = 1, kWrite = 2, kError = 3 };

    class Io final : public RegisterIo {
    public:
        explicit Io(BmcModel& m) : m_(m) {}
        uint8_t read8(uint32_t off) override { return m_.read(off); }
        uint16_t read16(uint32_t) override { throw std::logic_error("KCS: 16-bit read"); }
        uint32_t read32(uint32_t) override { throw std::logic_error("KCS: 32-bit read"); }
        void write8(uint32_t off, uint8_t v) override { m_.write(off, v); }
        void write16(uint32_t, uint16_t) override { throw std::logic_error("KCS: 16-bit write"); }
        void write32(uint32_t, uint32_t) override { throw std::logic_error("KCS: 32-bit write"); }

    private:
        BmcModel& m_;
    };

    class ModelDelay final : public ipmi::Delay {
    public:
        explicit ModelDelay(BmcModel& m) : m_(m) {}
        void stall_us(uint32_t us) override { m_.advance_us(us); }

    private:
        BmcModel& m_;
    };

    uint8_t status_byte() const {
        return static_cast<uint8_t>((state_ << 6) | (cd_ ? 0x08 : 0) | (ibf_ ? 0x02 : 0) | (obf_ ? 0x01 : 0));
    }

    void run_pending() {
        if (ibf_ && pending_ && !ibf_stuck && now_us_ >= pending_at_us_) {
            pending_ = false;
            process(pending_is_cmd_, pending_value_);
        }
    }

    uint8_t read(uint32_t off) {
        if (absent) return 0xFF;
        if (floating_low) return 0x00;
        run_pending();
        if (off == 0) {
            obf_ = false;
            return data_out_;
        }
        if (off == spacing_) {
            ++status_reads_;
            return status_byte();
        }
        return 0xFF;
    }

    void write(uint32_t off, uint8_t v) {
        if (absent || floating_low) return;
        run_pending();
        if (ibf_) return;  // dropped, as on QEMU
        if (off != 0 && off != spacing_) return;
        ibf_ = true;
        cd_ = off == spacing_;
        pending_ = true;
        pending_is_cmd_ = cd_;
        pending_value_ = v;
        pending_at_us_ = now_us_ + process_delay_us;
        run_pending();
    }

    void set_obf(uint8_t v) {
        data_out_ = v;
        obf_ = true;
    }

    void enter_error(uint8_t code) {
        out_.assign(1, code);
        outpos_ = 0;
        state_ = kError;
    }

    void next_read_byte() {
        if (outpos_ >= out_.size()) {
            state_ = kIdle;
            set_obf(0);
        } else {
            set_obf(out_[outpos_++]);
        }
    }

    void process(bool is_cmd, uint8_t v) {
        bool clear_ibf = true;
        if (error_always) {
            enter_error(kIllegalControlStatus);
            set_obf(0);
        } else if (is_cmd) {
            if (v == ipmi::kCtrlGetStatusAbort) {
                if (state_ != kError) {
                    enter_error(kAbortedStatus);
                    set_obf(0);
                }
            } else if (v == ipmi::kCtrlWriteStart && state_ == kIdle) {
                if (glitches > 0) {
                    --glitches;
                    enter_error(kIllegalControlStatus);
                } else {
                    state_ = kWrite;
                    in_.clear();
                    write_end_ = false;
                    set_obf(0);
                }
            } else if (v == ipmi::kCtrlWriteEnd && state_ == kWrite && !write_end_) {
                write_end_ = true;
                set_obf(0);
            } else {
                enter_error(kIllegalControlStatus);
            }
        } else {
            switch (state_) {
                case kIdle: break;
                case kWrite:
                    in_.push_back(v);
                    if (write_end_) {
                        if (hang_on_request) {
                            clear_ibf = false;
                            break;
                        }
                        out_ = dispatch(in_);
                        outpos_ = 0;
                        state_ = kRead;
                        next_read_byte();
                    } else {
                        set_obf(0);
                    }
                    break;
                case kRead:
                    if (outpos_ >= out_.size()) {
                        state_ = kIdle;
                        set_obf(0);
                    } else if (v == ipmi::kCtrlRead) {
                        set_obf(out_[outpos_++]);
                    } else {
                        enter_error(kIllegalControlStatus);
                        set_obf(0);
                    }
                    break;
                case kError:
                    state_ = kRead;
                    next_read_byte();
                    break;
            }
        }
        if (clear_ibf) ibf_ = false;
    }

    // --- the BMC ---------------------------------------------------------------------
    std::vector<uint8_t> dispatch(const std::vector<uint8_t>& msg) {
        std::vector<uint8_t> rsp;
        if (msg.size() < 2) return {static_cast<uint8_t>(msg.empty() ? 0 : msg[0] | 4), 0, 0xC7};
        uint8_t netfn = static_cast<uint8_t>(msg[0] >> 2);
        uint8_t cmd = msg[1];
        std::vector<uint8_t> data(msg.begin() + 2, msg.end());
        handled_.push_back({netfn, cmd, data});
        auto key = std::make_pair(netfn, cmd);
        std::vector<uint8_t> out{static_cast<uint8_t>((netfn + 1) << 2),
                                 wrong_cmd_response.count(key) ? static_cast<uint8_t>(cmd + 1) : cmd};
        if (short_response.count(key)) return out;
        if (forced_cc.count(key)) {
            out.push_back(forced_cc[key]);
            return out;
        }
        if (long_response.count(key)) {
            out.push_back(0);
            out.insert(out.end(), long_response[key], 0x5A);
            return out;
        }
        if (netfn == ipmi::kNetfnApp && cmd == 0x01) {
            rsp = {0, 0x20, 0x01, 0x02, 0x03, 0x02, 0x07, 0x57, 0x01, 0x00, 0x34, 0x12};
        } else if (netfn == ipmi::kNetfnApp && cmd == 0x22) {
            reset_watchdog(rsp);
        } else if (netfn == ipmi::kNetfnApp && cmd == 0x24) {
            if (data.size() < 6) {
                rsp = {0xC7};
            } else {
                set_watchdog(data, rsp);
            }
        } else if (netfn == ipmi::kNetfnApp && cmd == 0x25) {
            get_watchdog(rsp);
        } else if (netfn == ipmi::kNetfnStorage && cmd == 0x44) {
            if (data.size() < 16) {
                rsp = {0xC7};
            } else {
                add_sel(data, rsp);
            }
        } else {
            rsp = {0xC1};
        }
        out.insert(out.end(), rsp.begin(), rsp.end());
        return out;
    }

    void reset_watchdog(std::vector<uint8_t>& rsp) {
        if (!wd_initialized_) {
            rsp = {0x80};
            return;
        }
        restart();
        rsp = {0};
    }

    void restart() {
        if ((wd_action_ & 0x07) == 0) {
            wd_running_ = false;
            return;
        }
        wd_expiry_us_ = now_us_ + static_cast<uint64_t>(wd_timeout_) * 100000;
        wd_running_ = true;
    }

    void set_watchdog(const std::vector<uint8_t>& d, std::vector<uint8_t>& rsp) {
        uint8_t use = d[0] & 0x07;
        uint8_t action = d[1] & 0x07;
        uint8_t pre = (d[1] >> 4) & 0x07;
        if (use == 0 || use > 5 || action > 2 || (pre != 0 && pre != 2 && pre != 3)) {
            rsp = {0xCC};
            return;
        }
        wd_initialized_ = true;
        wd_use_ = d[0] & 0xC7;
        wd_action_ = d[1] & 0x77;
        wd_pretimeout_ = d[2];
        wd_expired_ = static_cast<uint8_t>(wd_expired_ & ~d[3]);
        wd_timeout_ = static_cast<uint16_t>(d[4] | (d[5] << 8));
        if (wd_running_ && (wd_use_ & 0x40) != 0) {
            restart();
        } else {
            wd_running_ = false;
        }
        rsp = {0};
    }

    void get_watchdog(std::vector<uint8_t>& rsp) {
        uint8_t use = wd_use_;
        if (spec_running_bit) use = static_cast<uint8_t>((use & ~0x40) | (wd_running_ ? 0x40 : 0));
        uint16_t present = 0;
        if (wd_running_) {
            present = static_cast<uint16_t>((wd_expiry_us_ - now_us_ + 50000) / 100000);
        } else if (present_when_stopped) {
            present = wd_timeout_;
        }
        rsp = {0,
               use,
               wd_action_,
               wd_pretimeout_,
               wd_expired_,
               static_cast<uint8_t>(wd_timeout_),
               static_cast<uint8_t>(wd_timeout_ >> 8),
               static_cast<uint8_t>(present),
               static_cast<uint8_t>(present >> 8)};
    }

    void add_sel(const std::vector<uint8_t>& d, std::vector<uint8_t>& rsp) {
        std::array<uint8_t, 16> rec{};
        for (size_t i = 0; i < 16; ++i) rec[i] = d[i];
        if (!log_event(rec)) {
            rsp = {0xC4};
            return;
        }
        rsp = {0, rec[0], rec[1]};
    }

    bool log_event(std::array<uint8_t, 16>& rec) {
        if (sel_.size() >= kSelCapacity) return false;
        uint16_t id = static_cast<uint16_t>(sel_.size());
        rec[0] = static_cast<uint8_t>(id);
        rec[1] = static_cast<uint8_t>(id >> 8);
        if (rec[2] < 0xE0) {
            uint32_t ts = 0x60000000u + static_cast<uint32_t>(now_us_ / 1000000);
            for (int i = 0; i < 4; ++i) rec[3 + i] = static_cast<uint8_t>(ts >> (8 * i));
        }
        sel_.push_back(rec);
        return true;
    }

    void expire() {
        wd_running_ = false;
        wd_expired_ = static_cast<uint8_t>(wd_expired_ | (1u << (wd_use_ & 0x07)));
        uint8_t action = wd_action_ & 0x07;
        bool log = (wd_use_ & 0x80) == 0 && (global_enables & kGlobalEventMsgBuffer) != 0 &&
                   (global_enables & kGlobalEventLog) != 0;
        if (log) {
            // Watchdog 2 sensor (type 0x23), sensor 0, sensor-specific; offset = action.
            std::array<uint8_t, 16> rec{0, 0, 0x02, 0, 0, 0, 0, 0x20, 0, 0x04, 0x23, 0x00, 0x6F,
                                        static_cast<uint8_t>(0xC0 | action), static_cast<uint8_t>(wd_use_ & 0x0F),
                                        0xFF};
            (void)log_event(rec);
        }
        if (action == 1) ++resets_fired_;
    }

    uint32_t spacing_;
    Io io_;
    ModelDelay delay_;
    uint64_t now_us_ = 0;

    // KCS
    State state_ = kIdle;
    bool ibf_ = false;
    bool obf_ = false;
    bool cd_ = false;
    uint8_t data_out_ = 0;
    bool pending_ = false;
    bool pending_is_cmd_ = false;
    uint8_t pending_value_ = 0;
    uint64_t pending_at_us_ = 0;
    bool write_end_ = false;
    std::vector<uint8_t> in_;
    std::vector<uint8_t> out_;
    size_t outpos_ = 0;
    uint32_t status_reads_ = 0;

    // BMC
    std::vector<Handled> handled_;
    bool wd_initialized_ = false;
    uint8_t wd_use_ = 0;
    uint8_t wd_action_ = 0;
    uint8_t wd_pretimeout_ = 0;
    uint8_t wd_expired_ = 0;
    uint16_t wd_timeout_ = 0;
    bool wd_running_ = false;
    uint64_t wd_expiry_us_ = 0;
    uint32_t resets_fired_ = 0;
    std::vector<std::array<uint8_t, 16>> sel_;
};

}  // namespace wdboot::test
