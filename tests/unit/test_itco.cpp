// The ICH9 TCO register sequences against a model that behaves as QEMU 7.2's q35 TCO.
#include <catch2/catch.hpp>

#include <vector>

#include "itco_model.hpp"
#include "wdboot/itco.hpp"

using namespace wdboot;
using wdboot::test::Access;
using wdboot::test::ItcoModel;
using wdboot::test::wr;

namespace {

constexpr char T = ItcoModel::kTco;
constexpr char R = ItcoModel::kRcrb;
constexpr uint64_t kMs = 1000000;

// A q35 machine started with -global ICH9-LPC.noreboot=false, after OVMF.
void boot(ItcoModel& m) {
    m.noreboot_strap = false;
    m.firmware_setup();
    m.log.clear();
}

uint64_t reset_after_ms(uint32_t timeout_ms) { return 2ull * itco::ticks_for(timeout_ms) * itco::kTickMs; }

// Invariants over every write the driver made: never the lock bit, never NMI_NOW.
void check_cnt_writes(const ItcoModel& m) {
    for (const Access& a : m.log.writes(T)) {
        if (a.offset != itco::kTco1CntReg) continue;
        CHECK((a.value & itco::kTcoLock) == 0);
        CHECK((a.value & itco::kNmiNow) == 0);
    }
    CHECK_FALSE(m.nmi_written());
}

}  // namespace

TEST_CASE("itco: half the timeout per period, rounded up to 0.6 s ticks", "[itco]") {
    CHECK(itco::ticks_for(itco::kMinTimeoutMs) == 4);
    CHECK(itco::ticks_for(4801) == 5);
    CHECK(itco::ticks_for(15000) == 13);  // reset at 15.6 s
    CHECK(itco::ticks_for(itco::kMaxTimeoutMs) == 0x3FF);
    CHECK(itco::ticks_for(itco::kMaxTimeoutMs + 1) == 0x400);
    CHECK(itco::ticks_for(0xFFFFFFFFu) > 0x3FF);
    for (uint32_t ms = itco::kMinTimeoutMs; ms <= itco::kMaxTimeoutMs; ms += 37) {
        uint32_t t = itco::ticks_for(ms);
        INFO("timeout " << ms << " ms");
        REQUIRE(2ull * t * itco::kTickMs >= ms);
        REQUIRE(2ull * (t - 1) * itco::kTickMs < ms);
    }
}

TEST_CASE("itco: PMBASE and RCBA from the LPC bridge", "[itco]") {
    ItcoModel m;
    CHECK(itco::is_intel_lpc(m.lpc()));
    uint16_t base = 0;
    uint32_t rcba = 0;
    // Before firmware: ACPI I/O off, RCRB disabled.
    CHECK(itco::find_tco_base(m.lpc(), base) == Status::not_found);
    CHECK(itco::find_rcba(m.lpc(), rcba) == Status::not_found);
    CHECK(itco::read_reset_cause(m.tco()) == ResetCause::unknown);

    m.firmware_setup();
    REQUIRE(itco::find_tco_base(m.lpc(), base) == Status::ok);
    CHECK(base == 0x660);
    REQUIRE(itco::find_rcba(m.lpc(), rcba) == Status::ok);
    CHECK(rcba == 0xFED1C000);
    CHECK(rcba + itco::kGcsReg == 0xFED1F410);
    CHECK(m.log.writes().empty());
}

TEST_CASE("itco: arm writes exactly the documented sequence", "[itco]") {
    ItcoModel m;
    boot(m);
    REQUIRE(itco::arm(m.tco(), m.rcrb(), 15000) == Status::ok);
    std::vector<Access> want{
        wr(T, 16, 0x12, 13),          // TCO_TMR: 13 ticks, the upper bits as read
        wr(R, 32, 0x3410, 0x00),      // GCS: NO_REBOOT cleared
        wr(T, 16, 0x04, 0x0008),      // stale TIMEOUT cleared
        wr(T, 16, 0x00, 0x0001),      // reload
        wr(T, 16, 0x08, 0x0000),      // TMR_HLT cleared
    };
    CHECK(m.log.writes() == want);
    CHECK(m.counting());
    CHECK((m.gcs() & itco::kGcsNoReboot) == 0);
    CHECK(itco::is_running(m.tco()));
    CHECK_FALSE(itco::is_locked(m.tco()));
    check_cnt_writes(m);
}

TEST_CASE("itco: the reset comes at the second expiry, not before", "[itco]") {
    const uint32_t timeouts[] = {itco::kMinTimeoutMs, 4801, 15000, 30000, 299999, itco::kMaxTimeoutMs};
    for (uint32_t t : timeouts) {
        INFO("timeout " << t << " ms");
        ItcoModel m;
        boot(m);
        REQUIRE(itco::arm(m.tco(), m.rcrb(), t) == Status::ok);
        uint64_t at = reset_after_ms(t);
        REQUIRE(at >= t);
        REQUIRE(at < t + 2 * itco::kTickMs);
        m.advance_ns(at * kMs - 1);
        REQUIRE(m.expiries() == 1);
        REQUIRE(m.resets_fired() == 0);
        m.advance_ns(1);
        REQUIRE(m.resets_fired() == 1);
        REQUIRE(itco::read_reset_cause(m.tco()) == ResetCause::unknown);  // firmware not run yet
        m.firmware_setup();
        REQUIRE(itco::read_reset_cause(m.tco()) == ResetCause::watchdog);
    }
}

TEST_CASE("itco: ping restarts the two-expiry count", "[itco]") {
    ItcoModel m;
    boot(m);
    REQUIRE(itco::arm(m.tco(), m.rcrb(), 15000) == Status::ok);  // 13 ticks: 7.8 s, 15.6 s

    SECTION("before the first expiry") { m.advance_ms(7000); }
    SECTION("after the first expiry") {
        m.advance_ms(10000);
        REQUIRE(m.expiries() == 1);
    }
    REQUIRE(itco::ping(m.tco()) == Status::ok);
    CHECK(m.log.writes().back() == wr(T, 16, 0x00, 0x0001));
    m.advance_ns(15600 * kMs - 1);
    CHECK(m.resets_fired() == 0);
    m.advance_ns(1);
    CHECK(m.resets_fired() == 1);
}

TEST_CASE("itco: disarm halts the counter and sets NO_REBOOT again", "[itco]") {
    ItcoModel m;
    boot(m);
    REQUIRE(itco::arm(m.tco(), m.rcrb(), 15000) == Status::ok);
    m.advance_ms(10000);
    m.log.clear();
    REQUIRE(itco::disarm(m.tco(), m.rcrb()) == Status::ok);
    CHECK(m.log.writes() == std::vector<Access>{wr(T, 16, 0x08, 0x0800), wr(R, 32, 0x3410, 0x20)});
    CHECK_FALSE(m.counting());
    CHECK_FALSE(itco::is_running(m.tco()));
    CHECK((m.gcs() & itco::kGcsNoReboot) != 0);
    m.advance_ms(10ull * 3600 * 1000);
    CHECK(m.resets_fired() == 0);

    // A ping after disarm does not restart it (TMR_HLT is set).
    REQUIRE(itco::ping(m.tco()) == Status::ok);
    CHECK_FALSE(m.counting());

    // Armed again, it works again.
    REQUIRE(itco::arm(m.tco(), m.rcrb(), 6000) == Status::ok);
    m.advance_ms(reset_after_ms(6000));
    CHECK(m.resets_fired() == 1);
    check_cnt_writes(m);
}

TEST_CASE("itco: firmware that halted the timer, and one that left it running", "[itco]") {
    ItcoModel m;
    boot(m);
    SECTION("halted") {
        m.tco().write16(itco::kTco1CntReg, itco::kTmrHalt);
        REQUIRE_FALSE(itco::is_running(m.tco()));
    }
    SECTION("running with a short timeout from before a warm reset") {
        // An earlier boot armed 4 ticks and rebooted normally: QEMU keeps the TCO
        // counting through the reset, GCS is back to NO_REBOOT, so it cannot fire.
        REQUIRE(itco::arm(m.tco(), m.rcrb(), itco::kMinTimeoutMs) == Status::ok);
        m.advance_ms(3000);
        m.system_reset();
        m.firmware_setup();
        REQUIRE(m.counting());
        m.advance_ms(3000);
        REQUIRE(m.resets_fired() == 0);
        REQUIRE(m.expiries() == 2);
        REQUIRE(itco::clear_reset_cause(m.tco()) == Status::ok);
    }
    REQUIRE(itco::arm(m.tco(), m.rcrb(), 20000) == Status::ok);
    m.advance_ns(reset_after_ms(20000) * kMs - 1);
    CHECK(m.resets_fired() == 0);
    m.advance_ns(1);
    CHECK(m.resets_fired() == 1);
}

TEST_CASE("itco: QEMU 7.2's default noreboot strap keeps the VM alive", "[itco]") {
    ItcoModel m;
    m.firmware_setup();  // noreboot_strap left at its default, true
    REQUIRE(itco::arm(m.tco(), m.rcrb(), 15000) == Status::ok);
    m.advance_ms(60000);
    CHECK(m.resets_fired() == 0);
    // The status still says the timer ran out twice: the guest cannot see the strap.
    CHECK(itco::read_reset_cause(m.tco()) == ResetCause::watchdog);
}

TEST_CASE("itco: a TCO locked by firmware is refused and left alone", "[itco]") {
    ItcoModel m;
    boot(m);
    m.tco().write16(itco::kTco1CntReg, itco::kTcoLock | itco::kTmrHalt);
    m.log.clear();
    CHECK(itco::is_locked(m.tco()));
    CHECK(itco::arm(m.tco(), m.rcrb(), 15000) == Status::locked);
    CHECK(itco::disarm(m.tco(), m.rcrb()) == Status::locked);
    CHECK(m.log.writes().empty());
    // QEMU keeps the lock through a system reset.
    m.system_reset();
    m.firmware_setup();
    CHECK(itco::is_locked(m.tco()));
}

TEST_CASE("itco: devices that do not take the writes are reported", "[itco]") {
    SECTION("TCO ignores writes") {
        ItcoModel m;
        boot(m);
        m.drop_writes = true;
        CHECK(itco::arm(m.tco(), m.rcrb(), 15000) == Status::device_error);
    }
    SECTION("NO_REBOOT pinned by a strap or BIOS lock: timer not started") {
        ItcoModel m;
        boot(m);
        m.tco().write16(itco::kTco1CntReg, itco::kTmrHalt);
        m.no_reboot_pinned = true;
        CHECK(itco::arm(m.tco(), m.rcrb(), 15000) == Status::device_error);
        CHECK_FALSE(m.counting());
        CHECK_FALSE(itco::is_running(m.tco()));
    }
    SECTION("PM I/O not decoded") {
        ItcoModel m;
        m.noreboot_strap = false;
        CHECK(itco::arm(m.tco(), m.rcrb(), 15000) == Status::device_error);
        CHECK(itco::ping(m.tco()) == Status::device_error);
        CHECK(itco::disarm(m.tco(), m.rcrb()) == Status::device_error);
        CHECK(itco::clear_reset_cause(m.tco()) == Status::device_error);
        CHECK_FALSE(itco::is_running(m.tco()));
    }
    SECTION("halt does not stick") {
        ItcoModel m;
        boot(m);
        REQUIRE(itco::arm(m.tco(), m.rcrb(), 15000) == Status::ok);
        m.drop_writes = true;
        CHECK(itco::disarm(m.tco(), m.rcrb()) == Status::device_error);
    }
}

TEST_CASE("itco: timeouts outside the range are refused, not clamped", "[itco]") {
    ItcoModel m;
    boot(m);
    for (uint32_t t : {0u, 1200u, itco::kMinTimeoutMs - 1, itco::kMaxTimeoutMs + 1, 0xFFFFFFFFu}) {
        INFO("timeout " << t);
        CHECK(itco::arm(m.tco(), m.rcrb(), t) == Status::invalid_argument);
    }
    CHECK(m.log.writes().empty());
    REQUIRE(itco::arm(m.tco(), m.rcrb(), itco::kMaxTimeoutMs) == Status::ok);
    CHECK((m.tmr() & itco::kTmrMask) == itco::kMaxTicks);
}

TEST_CASE("itco: reset cause after power-on, watchdog reset and other resets", "[itco]") {
    ItcoModel m;
    boot(m);
    CHECK(itco::read_reset_cause(m.tco()) == ResetCause::power_on);
    REQUIRE(itco::arm(m.tco(), m.rcrb(), 6000) == Status::ok);
    m.advance_ms(reset_after_ms(6000));
    REQUIRE(m.resets_fired() == 1);
    m.firmware_setup();
    CHECK(itco::read_reset_cause(m.tco()) == ResetCause::watchdog);

    SECTION("not cleared: a later ordinary reset is misreported") {
        m.system_reset();
        m.firmware_setup();
        CHECK(itco::read_reset_cause(m.tco()) == ResetCause::watchdog);
    }
    SECTION("cleared: a later ordinary reset reads as power-on") {
        m.log.clear();
        REQUIRE(itco::clear_reset_cause(m.tco()) == Status::ok);
        CHECK(m.log.writes() == std::vector<Access>{wr(T, 16, 0x04, 0x0008), wr(T, 16, 0x06, 0x0006)});
        CHECK(m.sts2() == 0);
        CHECK((m.sts1() & itco::kTimeoutSts) == 0);
        m.system_reset();
        m.firmware_setup();
        CHECK(itco::read_reset_cause(m.tco()) == ResetCause::power_on);
    }
    SECTION("power cycle clears it") {
        m.power_on();
        m.firmware_setup();
        CHECK(itco::read_reset_cause(m.tco()) == ResetCause::power_on);
    }
}
