// The IPMI BMC watchdog and SEL commands against a model of QEMU 7.2's ipmi-bmc-sim.
#include <catch2/catch.hpp>

#include <vector>

#include "bmc_model.hpp"
#include "wdboot/ipmi_watchdog.hpp"

using namespace wdboot;
using wdboot::test::BmcModel;

namespace {

const auto kSet = std::make_pair(uint8_t{0x06}, uint8_t{0x24});
const auto kReset = std::make_pair(uint8_t{0x06}, uint8_t{0x22});
const auto kGet = std::make_pair(uint8_t{0x06}, uint8_t{0x25});
const auto kDeviceId = std::make_pair(uint8_t{0x06}, uint8_t{0x01});
const auto kAddSel = std::make_pair(uint8_t{0x0A}, uint8_t{0x44});

struct Rig {
    // spec: Get reports bit 6 as "running" and the initial countdown while stopped (a
    // BMC that follows the spec to the letter); otherwise QEMU's echo and 0.
    explicit Rig(bool spec = false) : kcs(m.io(), 1, m.delay()) {
        m.spec_running_bit = spec;
        m.present_when_stopped = spec;
    }
    BmcModel m;
    ipmi::Kcs kcs;

    std::vector<uint8_t> cmds() const {
        std::vector<uint8_t> out;
        for (const auto& h : m.handled()) out.push_back(h.cmd);
        return out;
    }
};

// What Linux's ipmi_watchdog leaves when it owns the timer (use SMS/OS, reset action).
void linux_takes_over(BmcModel& m, uint16_t countdown) {
    m.host_set_watchdog(ipmi::kUseDontStop | ipmi::kUseSmsOs, ipmi::kActionHardReset, 0, 0, countdown);
    m.host_reset_watchdog();
}

}  // namespace

TEST_CASE("ipmi watchdog: countdown in 100 ms units, rounded up", "[ipmi][watchdog]") {
    CHECK(ipmi::countdown_for(ipmi::kMinTimeoutMs) == 1);
    CHECK(ipmi::countdown_for(101) == 2);
    CHECK(ipmi::countdown_for(30000) == 300);
    CHECK(ipmi::countdown_for(ipmi::kMaxTimeoutMs) == 0xFFFF);
    CHECK(ipmi::countdown_for(0xFFFFFFFFu) > 0xFFFF);
    CHECK(ipmi::kMaxTimeoutMs == 6553500);
    CHECK(ipmi::kResolutionMs == 100);
}

TEST_CASE("ipmi watchdog: probe decodes Get Device ID", "[ipmi][watchdog]") {
    Rig r;
    ipmi::DeviceId id{};
    REQUIRE(ipmi::probe(r.kcs, id) == Status::ok);
    CHECK(id.device_id == 0x20);
    CHECK(id.device_revision == 1);
    CHECK(id.firmware_major == 2);
    CHECK(id.firmware_minor == 3);
    CHECK(id.ipmi_version == 0x02);
    CHECK(id.manufacturer_id == 0x000157);
    CHECK(id.product_id == 0x1234);
}

TEST_CASE("ipmi watchdog: probe failures", "[ipmi][watchdog]") {
    ipmi::DeviceId id{};
    {
        Rig r;
        r.m.absent = true;
        CHECK(ipmi::probe(r.kcs, id) == Status::not_found);
    }
    {
        Rig r;
        r.m.forced_cc[kDeviceId] = 0xC0;  // node busy
        CHECK(ipmi::probe(r.kcs, id) == Status::device_error);
    }
    {
        Rig r;
        r.m.forced_cc[kDeviceId] = 0xC1;  // a BMC must know Get Device ID
        CHECK(ipmi::probe(r.kcs, id) == Status::device_error);
    }
    {
        Rig r;
        r.m.long_response[kDeviceId] = 5;  // fewer than the 11 mandatory bytes
        CHECK(ipmi::probe(r.kcs, id) == Status::bad_size);
    }
    {
        Rig r;
        r.m.ibf_stuck = true;
        CHECK(ipmi::probe(r.kcs, id) == Status::device_error);
    }
}

TEST_CASE("ipmi watchdog: arm sends Set, Reset, Get and the timer runs", "[ipmi][watchdog]") {
    for (bool spec : {false, true}) {
        INFO((spec ? "spec running bit" : "QEMU echo"));
        Rig r(spec);
        REQUIRE(ipmi::arm(r.kcs, 30000) == Status::ok);
        CHECK(r.cmds() == std::vector<uint8_t>{0x24, 0x22, 0x25});
        // use: don't-stop | OS Load, logging on; action: hard reset, no pre-timeout;
        // no pre-timeout interval; clear the OS Load flag; 300 x 100 ms.
        CHECK(r.m.handled()[0].data == std::vector<uint8_t>{0x43, 0x01, 0x00, 0x08, 0x2C, 0x01});
        CHECK(r.m.watchdog_running());
        CHECK(r.m.us_to_expiry() == 30000000);
        CHECK((r.m.watchdog_use() & 0x07) == ipmi::kUseOsLoad);
        CHECK((r.m.watchdog_use() & ipmi::kUseDontLog) == 0);
    }
}

TEST_CASE("ipmi watchdog: arm takes over a running timer without stopping it", "[ipmi][watchdog]") {
    for (bool spec : {false, true}) {
        INFO((spec ? "spec BMC" : "QEMU"));
        Rig r(spec);
        // Linux's timer (SMS/OS, 12 s) still running after a warm reboot, 11 s gone.
        linux_takes_over(r.m, 120);
        r.m.advance_ms(11000);
        REQUIRE(r.m.watchdog_running());
        REQUIRE(ipmi::arm(r.kcs, 30000) == Status::ok);
        CHECK(r.m.watchdog_running());
        CHECK((r.m.watchdog_use() & 0x07) == ipmi::kUseOsLoad);
        CHECK(r.m.us_to_expiry() == 30000000);
        r.m.advance_ms(29999);
        CHECK(r.m.resets_fired() == 0);
        r.m.advance_ms(1);
        CHECK(r.m.resets_fired() == 1);
    }
}

TEST_CASE("ipmi watchdog: arm refuses timeouts out of range, never clamps", "[ipmi][watchdog]") {
    Rig r;
    CHECK(ipmi::arm(r.kcs, 0) == Status::invalid_argument);
    CHECK(ipmi::arm(r.kcs, ipmi::kMinTimeoutMs - 1) == Status::invalid_argument);
    CHECK(ipmi::arm(r.kcs, ipmi::kMaxTimeoutMs + 1) == Status::invalid_argument);
    CHECK(r.m.handled().empty());
    REQUIRE(ipmi::arm(r.kcs, ipmi::kMinTimeoutMs) == Status::ok);
    CHECK(r.m.initial_countdown() == 1);
    REQUIRE(ipmi::arm(r.kcs, ipmi::kMaxTimeoutMs) == Status::ok);
    CHECK(r.m.initial_countdown() == 0xFFFF);
}

TEST_CASE("ipmi watchdog: arm, expire, the next boot reads watchdog and clears it", "[ipmi][watchdog]") {
    for (bool spec : {false, true}) {
        INFO((spec ? "spec running bit" : "QEMU echo"));
        Rig r(spec);
        CHECK(ipmi::read_reset_cause(r.kcs) == ResetCause::power_on);
        REQUIRE(ipmi::clear_reset_cause(r.kcs) == Status::ok);
        REQUIRE(ipmi::arm(r.kcs, 10000) == Status::ok);
        r.m.advance_ms(9999);
        CHECK(r.m.resets_fired() == 0);
        r.m.advance_ms(1);
        CHECK(r.m.resets_fired() == 1);
        CHECK_FALSE(r.m.watchdog_running());
        CHECK((r.m.expiration_flags() & ipmi::kExpiredOsLoad) != 0);

        // Next boot: the flag survived the reset in the BMC.
        CHECK(ipmi::read_reset_cause(r.kcs) == ResetCause::watchdog);
        REQUIRE(ipmi::clear_reset_cause(r.kcs) == Status::ok);
        CHECK(r.m.expiration_flags() == 0);
        CHECK_FALSE(r.m.watchdog_running());  // clearing did not restart it
        CHECK(ipmi::read_reset_cause(r.kcs) == ResetCause::power_on);
        r.m.advance_ms(60000);
        CHECK(r.m.resets_fired() == 1);
    }
}

TEST_CASE("ipmi watchdog: arm failures", "[ipmi][watchdog]") {
    {
        Rig r;
        r.m.forced_cc[kSet] = 0xCC;
        CHECK(ipmi::arm(r.kcs, 30000) == Status::device_error);
        CHECK(r.cmds() == std::vector<uint8_t>{0x24});
    }
    {
        Rig r;
        r.m.forced_cc[kSet] = 0xC1;
        CHECK(ipmi::arm(r.kcs, 30000) == Status::unsupported);
    }
    {
        Rig r;
        r.m.forced_cc[kReset] = 0x80;
        CHECK(ipmi::arm(r.kcs, 30000) == Status::device_error);
        CHECK_FALSE(r.m.watchdog_running());
    }
    {
        // The BMC says yes to Reset but the timer does not start: Get shows it.
        for (bool spec : {false, true}) {
            Rig r(spec);
            r.m.forced_cc[kReset] = 0x00;
            CHECK(ipmi::arm(r.kcs, 30000) == Status::device_error);
        }
    }
    {
        Rig r;
        r.m.short_response[kGet] = true;
        CHECK(ipmi::arm(r.kcs, 30000) == Status::bad_size);
    }
    {
        Rig r;
        r.m.absent = true;
        CHECK(ipmi::arm(r.kcs, 30000) == Status::not_found);
    }
}

TEST_CASE("ipmi watchdog: ping restarts the countdown", "[ipmi][watchdog]") {
    Rig r;
    REQUIRE(ipmi::arm(r.kcs, 10000) == Status::ok);
    r.m.advance_ms(9000);
    REQUIRE(ipmi::ping(r.kcs) == Status::ok);
    r.m.advance_ms(9000);
    CHECK(r.m.resets_fired() == 0);
    r.m.advance_ms(1000);
    CHECK(r.m.resets_fired() == 1);
}

TEST_CASE("ipmi watchdog: ping before any Set is device_error (completion code 0x80)", "[ipmi][watchdog]") {
    Rig r;
    CHECK(ipmi::ping(r.kcs) == Status::device_error);
    CHECK_FALSE(r.m.watchdog_running());
}

TEST_CASE("ipmi watchdog: disarm stops the timer and leaves the flags alone", "[ipmi][watchdog]") {
    for (bool spec : {false, true}) {
        INFO((spec ? "spec running bit" : "QEMU echo"));
        Rig r(spec);
        REQUIRE(ipmi::arm(r.kcs, 10000) == Status::ok);
        r.m.clear_handled();
        REQUIRE(ipmi::disarm(r.kcs) == Status::ok);
        CHECK(r.cmds() == std::vector<uint8_t>{0x25, 0x24, 0x25});
        CHECK(r.m.handled()[1].data == std::vector<uint8_t>{0x03, 0x00, 0x00, 0x00, 0x64, 0x00});
        CHECK_FALSE(r.m.watchdog_running());
        r.m.advance_ms(60000);
        CHECK(r.m.resets_fired() == 0);
        // A stray Reset Watchdog Timer cannot start a resetting timer now.
        r.m.host_reset_watchdog();
        r.m.advance_ms(60000);
        CHECK(r.m.resets_fired() == 0);
    }
}

TEST_CASE("ipmi watchdog: disarm that does not stop the timer is device_error", "[ipmi][watchdog]") {
    for (bool spec : {false, true}) {
        Rig r(spec);
        REQUIRE(ipmi::arm(r.kcs, 10000) == Status::ok);
        r.m.forced_cc[kSet] = 0x00;  // acknowledged, not done
        CHECK(ipmi::disarm(r.kcs) == Status::device_error);
        CHECK(r.m.watchdog_running());
    }
    Rig r;
    REQUIRE(ipmi::arm(r.kcs, 10000) == Status::ok);
    r.m.forced_cc[kSet] = 0xD5;
    CHECK(ipmi::disarm(r.kcs) == Status::device_error);
}

TEST_CASE("ipmi watchdog: reset cause from the expiration flags", "[ipmi][watchdog]") {
    {
        Rig r;
        r.m.absent = true;
        CHECK(ipmi::read_reset_cause(r.kcs) == ResetCause::unknown);
    }
    {
        Rig r;
        r.m.forced_cc[kGet] = 0xC1;
        CHECK(ipmi::read_reset_cause(r.kcs) == ResetCause::unknown);
    }
    {
        // Linux's ipmi_watchdog took the timer over (SMS/OS) and the kernel hung.
        Rig r;
        linux_takes_over(r.m, 100);
        r.m.advance_ms(10000);
        REQUIRE(r.m.resets_fired() == 1);
        CHECK(ipmi::read_reset_cause(r.kcs) == ResetCause::watchdog);
        REQUIRE(ipmi::clear_reset_cause(r.kcs) == Status::ok);
        CHECK(ipmi::read_reset_cause(r.kcs) == ResetCause::power_on);
    }
    {
        // A BIOS FRB2 expiry is not ours to report.
        Rig r;
        r.m.host_set_watchdog(ipmi::kUseBiosFrb2, ipmi::kActionHardReset, 0, 0, 10);
        r.m.host_reset_watchdog();
        r.m.advance_ms(2000);
        REQUIRE(r.m.expiration_flags() == 0x02);
        CHECK(ipmi::read_reset_cause(r.kcs) == ResetCause::power_on);
    }
}

TEST_CASE("ipmi watchdog: clear_reset_cause keeps a running timer running", "[ipmi][watchdog]") {
    for (bool spec : {false, true}) {
        INFO((spec ? "spec running bit" : "QEMU echo"));
        Rig r(spec);
        // An earlier OS Load expiry, then (a warm reboot later) Linux's timer running.
        REQUIRE(ipmi::arm(r.kcs, 1000) == Status::ok);
        r.m.advance_ms(1000);
        linux_takes_over(r.m, 600);
        REQUIRE(r.m.watchdog_running());
        r.m.clear_handled();
        REQUIRE(ipmi::clear_reset_cause(r.kcs) == Status::ok);
        CHECK(r.m.expiration_flags() == 0);
        CHECK(r.m.watchdog_running());
        CHECK((r.m.watchdog_use() & 0x07) == ipmi::kUseSmsOs);
        CHECK((r.m.watchdog_action() & 0x07) == ipmi::kActionHardReset);
        CHECK(r.m.initial_countdown() == 600);
        CHECK(r.m.handled()[1].data[3] == ipmi::kExpiredOurs);
    }
}

TEST_CASE("ipmi watchdog: clear_reset_cause sends nothing when the flags are clear", "[ipmi][watchdog]") {
    Rig r;
    REQUIRE(ipmi::clear_reset_cause(r.kcs) == Status::ok);
    CHECK(r.cmds() == std::vector<uint8_t>{0x25});
}

TEST_CASE("ipmi watchdog: clear_reset_cause failures", "[ipmi][watchdog]") {
    {
        Rig r;
        r.m.absent = true;
        CHECK(ipmi::clear_reset_cause(r.kcs) == Status::not_found);
    }
    {
        Rig r;
        REQUIRE(ipmi::arm(r.kcs, 1000) == Status::ok);
        r.m.advance_ms(1000);
        r.m.forced_cc[kSet] = 0x00;  // acknowledged, flags not cleared
        CHECK(ipmi::clear_reset_cause(r.kcs) == Status::device_error);
        r.m.forced_cc[kSet] = 0xCC;
        CHECK(ipmi::clear_reset_cause(r.kcs) == Status::device_error);
        CHECK(ipmi::read_reset_cause(r.kcs) == ResetCause::watchdog);
    }
}

TEST_CASE("ipmi watchdog: the failover SEL record", "[ipmi][sel]") {
    uint8_t rec[ipmi::kSelRecordBytes];
    ipmi::sel_failover_record(1, 0, rec);
    const uint8_t want[16] = {0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x41,
                              0x00, 0x04, 0x12, 0x00, 0x6F, 0xA0, 0x01, 0x00};
    CHECK(std::vector<uint8_t>(rec, rec + 16) == std::vector<uint8_t>(want, want + 16));

    Rig r;
    uint16_t id = 0xFFFF;
    REQUIRE(ipmi::add_sel_event(r.kcs, 1, 0, id) == Status::ok);
    CHECK(id == 0);
    REQUIRE(r.m.sel().size() == 1);
    const auto& e = r.m.sel()[0];
    CHECK(e[2] == 0x02);
    CHECK(e[7] == 0x41);
    CHECK(e[10] == 0x12);
    CHECK(e[12] == 0x6F);
    CHECK(e[13] == 0xA0);
    CHECK(e[14] == 1);
    CHECK(e[15] == 0);
    CHECK((e[3] | e[4] | e[5] | e[6]) != 0);  // the BMC stamped it
    REQUIRE(ipmi::add_sel_event(r.kcs, 0, kNoSlot, id) == Status::ok);
    CHECK(id == 1);
    CHECK(r.m.sel()[1][15] == 0xFF);
}

TEST_CASE("ipmi watchdog: SEL full or refused is device_error", "[ipmi][sel]") {
    Rig r;
    uint16_t id = 0;
    for (size_t i = 0; i < BmcModel::kSelCapacity; ++i) REQUIRE(ipmi::add_sel_event(r.kcs, 1, 0, id) == Status::ok);
    CHECK(ipmi::add_sel_event(r.kcs, 1, 0, id) == Status::device_error);
    Rig r2;
    r2.m.forced_cc[kAddSel] = 0xC1;
    CHECK(ipmi::add_sel_event(r2.kcs, 1, 0, id) == Status::unsupported);
    Rig r3;
    r3.m.short_response[kAddSel] = true;
    CHECK(ipmi::add_sel_event(r3.kcs, 1, 0, id) == Status::bad_size);
}

TEST_CASE("ipmi watchdog: the BMC logs the expiry only with the event message buffer enabled", "[ipmi][sel]") {
    // QEMU's power-on global enables (event log only): the expiry is not logged.
    Rig r;
    REQUIRE(ipmi::arm(r.kcs, 1000) == Status::ok);
    r.m.advance_ms(1000);
    CHECK(r.m.resets_fired() == 1);
    CHECK(r.m.sel().empty());
    // As Linux's ipmi_si leaves them (event message buffer on): a watchdog 2 event,
    // offset 1 (hard reset), event data 2 = the timer use (OS Load).
    Rig l;
    l.m.global_enables = BmcModel::kGlobalEventLog | BmcModel::kGlobalEventMsgBuffer;
    REQUIRE(ipmi::arm(l.kcs, 1000) == Status::ok);
    l.m.advance_ms(1000);
    REQUIRE(l.m.sel().size() == 1);
    CHECK(l.m.sel()[0][10] == 0x23);
    CHECK(l.m.sel()[0][13] == 0xC1);
    CHECK((l.m.sel()[0][14] & 0x07) == ipmi::kUseOsLoad);
}

TEST_CASE("ipmi watchdog: boot, hang, fallback boot with a SEL record", "[ipmi][watchdog]") {
    Rig r;
    // Boot 1: power on, slot 0 starts and hangs.
    CHECK(ipmi::read_reset_cause(r.kcs) == ResetCause::power_on);
    REQUIRE(ipmi::clear_reset_cause(r.kcs) == Status::ok);
    REQUIRE(ipmi::arm(r.kcs, 15000) == Status::ok);
    r.m.advance_ms(15000);
    REQUIRE(r.m.resets_fired() == 1);
    // Boot 2: the loader sees the watchdog, falls back to slot 1 and says so.
    CHECK(ipmi::read_reset_cause(r.kcs) == ResetCause::watchdog);
    uint16_t id = 0;
    REQUIRE(ipmi::add_sel_event(r.kcs, 0, 1, id) == Status::ok);
    REQUIRE(ipmi::clear_reset_cause(r.kcs) == Status::ok);
    REQUIRE(ipmi::arm(r.kcs, 15000) == Status::ok);
    r.m.advance_ms(5000);
    REQUIRE(ipmi::disarm(r.kcs) == Status::ok);  // the agent, or Linux, stops it
    r.m.advance_ms(60000);
    CHECK(r.m.resets_fired() == 1);
    CHECK(ipmi::read_reset_cause(r.kcs) == ResetCause::power_on);
}
