// The PCH TCO register sequences (include/wdboot/pch_tco.hpp) against a model of the
// SMBus, P2SB and TCO registers of a 100-series-or-later Intel PCH (pch_tco_model.hpp).
#include <catch2/catch.hpp>

#include <array>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "pch_tco_model.hpp"
#include "wdboot/config.hpp"
#include "wdboot/pch_tco.hpp"
#include "wdboot/watchdog_drivers.hpp"

using namespace wdboot;
using wdboot::pch_tco::Generation;
using wdboot::pch_tco::PchInfo;
using wdboot::test::Access;
using wdboot::test::PchTcoModel;
using wdboot::test::wr;

namespace {

constexpr char S = PchTcoModel::kSmbus;
constexpr char P = PchTcoModel::kP2sb;
constexpr char T = PchTcoModel::kTco;
constexpr char B = PchTcoModel::kSbreg;
constexpr uint64_t kMs = 1000000;

const PchInfo& pch(uint16_t smbus_id) {
    for (const PchInfo& p : pch_tco::kPchs) {
        if (p.smbus_device_id == smbus_id) return p;
    }
    throw std::logic_error("no such PCH in kPchs");
}
const PchInfo& kSunrisePointH = pch(0xA123);  // TCO version 4: NO_REBOOT behind the P2SB
const PchInfo& kAlderLakeS = pch(0x7AA3);     // TCO version 6: NO_REBOOT in TCO1_CNT

// The sbreg window a loader would pass: the SBREG BAR for version 4, none for version 6.
RegisterIo* sbreg_of(PchTcoModel& m, const PchInfo& p) {
    return p.generation == Generation::spt ? &m.sbreg() : nullptr;
}

// Firmware has run (coreboot-like: TCO at 0x400 and locked, timer halted, NO_REBOOT set,
// P2SB hidden); the log starts empty.
void boot(PchTcoModel& m, const PchTcoModel::Firmware& f = {}) {
    m.firmware_setup(f);
    m.log.clear();
}

uint64_t reset_after_ms(uint32_t timeout_ms) { return 2ull * itco::ticks_for(timeout_ms) * itco::kTickMs; }

// Invariants over every write the driver made: never TCO_LOCK or NMI_NOW in TCO1_CNT,
// never a change of the SMBus's FD bit, never a write to the SMBus configuration space.
void check_writes(const PchTcoModel& m) {
    for (const Access& a : m.log.writes(T)) {
        if (a.offset != pch_tco::kTco1CntReg) continue;
        CHECK((a.value & pch_tco::kTcoLock) == 0);
        CHECK((a.value & pch_tco::kNmiNow) == 0);
    }
    for (const Access& a : m.log.writes(B)) CHECK((a.value & pch_tco::kGcFunctionDisable) == 0);
    CHECK(m.log.writes(S).empty());
    CHECK(m.nmis() == 0);
}

// A configuration space of 256 bytes, for identities the model does not produce.
class FakeConfig final : public RegisterIo {
public:
    FakeConfig(uint16_t vendor, uint16_t device, uint16_t cls) {
        put(0x00, vendor);
        put(0x02, device);
        put(0x0A, cls);
    }
    uint8_t read8(uint32_t off) override { return b_[off & 0xFF]; }
    uint16_t read16(uint32_t off) override { return static_cast<uint16_t>(b_[off & 0xFF] | b_[(off + 1) & 0xFF] << 8); }
    uint32_t read32(uint32_t off) override { return read16(off) | static_cast<uint32_t>(read16(off + 2)) << 16; }
    void write8(uint32_t, uint8_t) override { ++writes; }
    void write16(uint32_t, uint16_t) override { ++writes; }
    void write32(uint32_t, uint32_t) override { ++writes; }
    int writes = 0;

private:
    void put(uint32_t off, uint16_t v) {
        b_[off] = static_cast<uint8_t>(v);
        b_[off + 1] = static_cast<uint8_t>(v >> 8);
    }
    std::array<uint8_t, 256> b_{};
};

}  // namespace

TEST_CASE("pch_tco: the table holds Linux's version 4 and 6 SMBus IDs once each", "[pch_tco]") {
    std::set<uint16_t> ids;
    size_t spt = 0;
    for (const PchInfo& p : pch_tco::kPchs) {
        INFO(p.name);
        CHECK(ids.insert(p.smbus_device_id).second);
        if (p.generation == Generation::spt) {
            ++spt;
            CHECK((p.sbreg_port == 0xC6 || p.sbreg_port == 0xCF));
        } else {
            CHECK(p.sbreg_port == 0);
        }
    }
    CHECK(pch_tco::kPchCount == 30);
    CHECK(spt == 7);
    // i2c-i801's SBREG_SMBCTRL and SBREG_SMBCTRL_DNV.
    CHECK(pch_tco::gc_offset(kSunrisePointH) == 0xC6000C);
    CHECK(pch_tco::gc_offset(pch(0x19DF)) == 0xCF000C);
    CHECK(pch(0xA3A3).generation == Generation::spt);  // Comet Lake-V is a version 4 PCH
    CHECK(pch(0x06A3).generation == Generation::cnl);  // Comet Lake-H is version 6
}

TEST_CASE("pch_tco: identify takes only covered Intel SMBus controllers", "[pch_tco]") {
    for (const PchInfo& p : pch_tco::kPchs) {
        PchTcoModel m(p);
        INFO(p.name);
        CHECK(pch_tco::identify(m.smbus()) == &p);
    }
    SECTION("SMBus controllers with no TCO of these versions are refused") {
        // ICH9, Lynx Point, Broxton, Gemini Lake (TCO in the PMC), Birch Stream (no TCO).
        for (int id : {0x2930, 0x8C22, 0x5AD4, 0x31D4, 0x5796, 0x0000, 0xFFFF}) {
            FakeConfig c(0x8086, static_cast<uint16_t>(id), 0x0C05);
            INFO(std::hex << id);
            CHECK(pch_tco::identify(c) == nullptr);
        }
    }
    SECTION("a covered ID with another vendor or class is refused") {
        FakeConfig amd(0x1022, 0xA123, 0x0C05);
        CHECK(pch_tco::identify(amd) == nullptr);
        FakeConfig bridge(0x8086, 0xA123, 0x0601);
        CHECK(pch_tco::identify(bridge) == nullptr);
        FakeConfig absent(0xFFFF, 0xFFFF, 0xFFFF);
        CHECK(pch_tco::identify(absent) == nullptr);
        CHECK(amd.writes + bridge.writes + absent.writes == 0);
    }
}

TEST_CASE("pch_tco: the TCO base comes from the SMBus's TCOBASE when TCOCTL enables it", "[pch_tco]") {
    PchTcoModel m(kAlderLakeS);
    uint16_t base = 0;
    SECTION("before firmware: TCO_BASE_EN clear") {
        CHECK(pch_tco::find_tco_base(m.smbus(), base) == Status::not_found);
        CHECK(pch_tco::read_reset_cause(m.tco()) == ResetCause::unknown);
    }
    SECTION("firmware did not enable it") {
        boot(m, {.tco_enabled = false});
        CHECK(pch_tco::find_tco_base(m.smbus(), base) == Status::not_found);
    }
    SECTION("base programmed, decoding not enabled") {
        boot(m, {.lock_tco_base = false});
        m.smbus().write32(pch_tco::kTcoCtlReg, 0);
        CHECK(pch_tco::find_tco_base(m.smbus(), base) == Status::not_found);
    }
    SECTION("enabled with base 0") {
        boot(m, {.lock_tco_base = false});
        m.smbus().write32(pch_tco::kTcoBaseReg, 0x1);
        CHECK(pch_tco::find_tco_base(m.smbus(), base) == Status::not_found);
    }
    SECTION("enabled and locked by firmware") {
        boot(m);
        REQUIRE(pch_tco::find_tco_base(m.smbus(), base) == Status::ok);
        CHECK(base == 0x400);  // bit 0 (I/O space indicator) masked off
        CHECK(m.log.writes().empty());
    }
}

TEST_CASE("pch_tco: an SMBus controller firmware disabled (FD) is not found", "[pch_tco]") {
    PchTcoModel m(kSunrisePointH);
    boot(m);
    m.sbreg().write32(0xC6000C, pch_tco::kGcFunctionDisable);  // as a firmware would
    uint16_t base = 0;
    CHECK(pch_tco::identify(m.smbus()) == nullptr);
    CHECK(pch_tco::find_tco_base(m.smbus(), base) == Status::not_found);
}

TEST_CASE("pch_tco: the SBREG BAR from a hidden P2SB, which is hidden again", "[pch_tco]") {
    PchTcoModel m(kSunrisePointH);
    uint64_t sbreg = 0;
    SECTION("hidden (the usual case)") {
        boot(m);
        REQUIRE(m.p2sb_hidden());
        REQUIRE(pch_tco::find_sbreg(m.p2sb(), sbreg) == Status::ok);
        CHECK(sbreg == PchTcoModel::kFirmwareSbreg);
        CHECK(m.p2sb_hidden());
        CHECK(m.log.writes() == std::vector<Access>{wr(P, 8, 0xE1, 0x00), wr(P, 8, 0xE1, 0x01)});
    }
    SECTION("visible: nothing written") {
        boot(m, {.hide_p2sb = false});
        REQUIRE(pch_tco::find_sbreg(m.p2sb(), sbreg) == Status::ok);
        CHECK(sbreg == PchTcoModel::kFirmwareSbreg);
        CHECK_FALSE(m.p2sb_hidden());
        CHECK(m.log.writes().empty());
    }
    SECTION("a BAR above 4 GiB") {
        boot(m);
        m.put_p2sb_cfg(pch_tco::kSbregBarHighReg, 32, 0x1);
        REQUIRE(pch_tco::find_sbreg(m.p2sb(), sbreg) == Status::ok);
        CHECK(sbreg == 0x1FD000000ull);
    }
    SECTION("the hide bit is locked: not found, and left hidden") {
        boot(m);
        m.p2sb_hide_locked = true;
        CHECK(pch_tco::find_sbreg(m.p2sb(), sbreg) == Status::not_found);
        CHECK(m.p2sb_hidden());
    }
    SECTION("no P2SB") {
        boot(m);
        m.p2sb_present = false;
        CHECK(pch_tco::find_sbreg(m.p2sb(), sbreg) == Status::not_found);
    }
    SECTION("another device at its address: not trusted, hidden again") {
        boot(m);
        m.put_p2sb_cfg(pch_tco::kPciClassReg, 16, 0x0604);
        CHECK(pch_tco::find_sbreg(m.p2sb(), sbreg) == Status::not_found);
        CHECK(m.p2sb_hidden());
    }
    SECTION("BAR not programmed") {
        boot(m);
        m.put_p2sb_cfg(pch_tco::kSbregBarReg, 32, 0x4);
        CHECK(pch_tco::find_sbreg(m.p2sb(), sbreg) == Status::not_found);
        CHECK(m.p2sb_hidden());
    }
}

TEST_CASE("pch_tco: arm writes exactly the documented sequence", "[pch_tco]") {
    SECTION("version 6: NO_REBOOT in TCO1_CNT") {
        PchTcoModel m(kAlderLakeS);
        boot(m);
        REQUIRE(m.no_reboot());
        REQUIRE(pch_tco::arm(kAlderLakeS, m.tco(), nullptr, 15000) == Status::ok);
        std::vector<Access> want{
            wr(T, 16, 0x12, 13),      // TCO_TMR: 13 ticks (7.8 s, reset at 15.6 s)
            wr(T, 16, 0x04, 0x0008),  // stale TIMEOUT cleared
            wr(T, 16, 0x00, 0x0001),  // reload
            wr(T, 16, 0x08, 0x0800),  // NO_REBOOT (bit 0) cleared, still halted, lock bit not written
            wr(T, 16, 0x08, 0x0000),  // TMR_HLT cleared
        };
        CHECK(m.log.writes() == want);
        CHECK_FALSE(m.no_reboot());
        CHECK(m.counting());
        CHECK(pch_tco::is_running(m.tco()));
        CHECK_FALSE(pch_tco::no_reboot(kAlderLakeS, m.tco(), nullptr));
        check_writes(m);
    }
    SECTION("version 4: NO_REBOOT in the SMBus's General Control behind SBREG") {
        PchTcoModel m(kSunrisePointH);
        boot(m);
        m.sbreg().write32(0xC6000C, 0x6);  // NR and clock gating set by firmware
        m.log.clear();
        REQUIRE(pch_tco::arm(kSunrisePointH, m.tco(), &m.sbreg(), 15000) == Status::ok);
        std::vector<Access> want{
            wr(T, 16, 0x12, 13),
            wr(T, 16, 0x04, 0x0008),
            wr(T, 16, 0x00, 0x0001),
            wr(B, 32, 0xC6000C, 0x4),  // NR cleared, clock gating kept
            wr(T, 16, 0x08, 0x0000),
        };
        CHECK(m.log.writes() == want);
        CHECK(m.gc() == 0x4);
        CHECK(m.counting());
        CHECK_FALSE(pch_tco::no_reboot(kSunrisePointH, m.tco(), &m.sbreg()));
        check_writes(m);
    }
}

TEST_CASE("pch_tco: the reset comes at the second expiry, not before", "[pch_tco]") {
    const uint32_t timeouts[] = {pch_tco::kMinTimeoutMs, 4801, 15000, 299999, pch_tco::kMaxTimeoutMs};
    for (const PchInfo* p : {&kSunrisePointH, &kAlderLakeS}) {
        for (bool sts_counting : {false, true}) {
            for (uint32_t t : timeouts) {
                INFO(p->name << ", timeout " << t << " ms, TIMEOUT-status counting " << sts_counting);
                PchTcoModel m(*p);
                m.timeout_sts_counting = sts_counting;
                boot(m);
                REQUIRE(pch_tco::arm(*p, m.tco(), sbreg_of(m, *p), t) == Status::ok);
                uint64_t at = reset_after_ms(t);
                REQUIRE(at >= t);
                REQUIRE(at < t + 2 * pch_tco::kTickMs);
                m.advance_ns(at * kMs - 1);
                REQUIRE(m.expiries() == 1);
                REQUIRE(m.resets_fired() == 0);
                m.advance_ns(1);
                REQUIRE(m.resets_fired() == 1);
                REQUIRE(pch_tco::read_reset_cause(m.tco()) == ResetCause::unknown);  // not decoded yet
                m.firmware_setup();
                REQUIRE(pch_tco::read_reset_cause(m.tco()) == ResetCause::watchdog);
            }
        }
    }
}

TEST_CASE("pch_tco: every covered PCH is found and armed the way the loader would", "[pch_tco]") {
    for (const PchInfo& p : pch_tco::kPchs) {
        INFO(p.name);
        PchTcoModel m(p);
        boot(m);
        const PchInfo* found = pch_tco::identify(m.smbus());
        REQUIRE(found == &p);
        uint16_t base = 0;
        REQUIRE(pch_tco::find_tco_base(m.smbus(), base) == Status::ok);
        uint64_t sbreg = 0;
        if (found->generation == Generation::spt) {
            REQUIRE(pch_tco::find_sbreg(m.p2sb(), sbreg) == Status::ok);
            REQUIRE(sbreg == PchTcoModel::kFirmwareSbreg);
        }
        REQUIRE(pch_tco::arm(*found, m.tco(), sbreg_of(m, *found), 30000) == Status::ok);
        m.advance_ns(reset_after_ms(30000) * kMs - 1);
        REQUIRE(m.resets_fired() == 0);
        m.advance_ns(1);
        REQUIRE(m.resets_fired() == 1);
        check_writes(m);
    }
}

TEST_CASE("pch_tco: ping restarts both expiries", "[pch_tco]") {
    for (bool sts_counting : {false, true}) {
        for (uint64_t before_ping_ms : {7000u, 10000u}) {  // before and after the first expiry (7.8 s)
            INFO("TIMEOUT-status counting " << sts_counting << ", ping after " << before_ping_ms << " ms");
            PchTcoModel m(kAlderLakeS);
            m.timeout_sts_counting = sts_counting;
            boot(m);
            REQUIRE(pch_tco::arm(kAlderLakeS, m.tco(), nullptr, 15000) == Status::ok);  // 7.8 s, 15.6 s
            m.advance_ms(before_ping_ms);
            REQUIRE(m.expiries() == (before_ping_ms > 7800 ? 1u : 0u));
            m.log.clear();
            REQUIRE(pch_tco::ping(m.tco()) == Status::ok);
            CHECK(m.log.writes() == std::vector<Access>{wr(T, 16, 0x04, 0x0008), wr(T, 16, 0x00, 0x0001)});
            m.advance_ns(15600 * kMs - 1);
            CHECK(m.resets_fired() == 0);
            m.advance_ns(1);
            CHECK(m.resets_fired() == 1);
        }
    }
}

TEST_CASE("pch_tco: disarm halts the counter and sets NO_REBOOT again", "[pch_tco]") {
    for (const PchInfo* p : {&kSunrisePointH, &kAlderLakeS}) {
        INFO(p->name);
        PchTcoModel m(*p);
        boot(m);
        REQUIRE(pch_tco::arm(*p, m.tco(), sbreg_of(m, *p), 15000) == Status::ok);
        m.advance_ms(10000);
        m.log.clear();
        REQUIRE(pch_tco::disarm(*p, m.tco(), sbreg_of(m, *p)) == Status::ok);
        std::vector<Access> want{wr(T, 16, 0x08, 0x0800)};
        want.push_back(p->generation == Generation::spt ? wr(B, 32, 0xC6000C, 0x2) : wr(T, 16, 0x08, 0x0801));
        CHECK(m.log.writes() == want);
        CHECK_FALSE(m.counting());
        CHECK_FALSE(pch_tco::is_running(m.tco()));
        CHECK(m.no_reboot());
        m.advance_ms(10ull * 3600 * 1000);
        CHECK(m.resets_fired() == 0);

        // A ping after disarm does not restart it (TMR_HLT is set).
        REQUIRE(pch_tco::ping(m.tco()) == Status::ok);
        CHECK_FALSE(m.counting());

        // Armed again, it works again.
        REQUIRE(pch_tco::arm(*p, m.tco(), sbreg_of(m, *p), 6000) == Status::ok);
        m.advance_ms(reset_after_ms(6000));
        CHECK(m.resets_fired() == 1);
        check_writes(m);
    }
}

TEST_CASE("pch_tco: NO_REBOOT pinned by the strap or firmware is refused, never armed", "[pch_tco]") {
    for (const PchInfo* p : {&kSunrisePointH, &kAlderLakeS}) {
        for (bool firmware_left_it_running : {false, true}) {
            INFO(p->name << ", firmware left the timer running " << firmware_left_it_running);
            PchTcoModel m(*p);
            m.no_reboot_pinned = true;
            boot(m, {.halt_timer = !firmware_left_it_running});
            CHECK(pch_tco::arm(*p, m.tco(), sbreg_of(m, *p), 15000) == Status::locked);
            CHECK(pch_tco::no_reboot(*p, m.tco(), sbreg_of(m, *p)));
            // Not started by us: a timer firmware halted stays halted.
            CHECK(pch_tco::is_running(m.tco()) == firmware_left_it_running);
            m.advance_ms(3600 * 1000);
            CHECK(m.resets_fired() == 0);
            // Disarm still halts it.
            CHECK(pch_tco::disarm(*p, m.tco(), sbreg_of(m, *p)) == Status::ok);
            CHECK_FALSE(m.counting());
            check_writes(m);
        }
    }
}

TEST_CASE("pch_tco: TCO_LOCK set by firmware does not stop arming, TCO_LOCK and NMI_NOW are never written", "[pch_tco]") {
    PchTcoModel m(kAlderLakeS);
    SECTION("locked (coreboot's tco_lockdown)") { boot(m, {.lock_tco = true}); }
    SECTION("not locked") { boot(m, {.lock_tco = false}); }
    SECTION("locked, NMI_NOW left reading 1: writing it back would invert it") {
        boot(m, {.lock_tco = true, .nmi_now = true});
    }
    const bool locked = (m.cnt1() & pch_tco::kTcoLock) != 0;
    REQUIRE(pch_tco::arm(kAlderLakeS, m.tco(), nullptr, 20000) == Status::ok);
    CHECK(((m.cnt1() & pch_tco::kTcoLock) != 0) == locked);
    REQUIRE(pch_tco::disarm(kAlderLakeS, m.tco(), nullptr) == Status::ok);
    CHECK(((m.cnt1() & pch_tco::kTcoLock) != 0) == locked);
    check_writes(m);
}

TEST_CASE("pch_tco: a TCO firmware did not enable or decode is reported, not armed", "[pch_tco]") {
    for (bool enabled : {false, true}) {
        INFO("TCO_BASE_EN " << enabled << " (else: the DMI does not forward the range)");
        PchTcoModel m(kAlderLakeS);
        boot(m, {.tco_enabled = enabled});
        m.dmi_decodes_tco = !enabled;
        if (!enabled) {
            uint16_t base = 0;
            CHECK(pch_tco::find_tco_base(m.smbus(), base) == Status::not_found);
        }
        CHECK(pch_tco::arm(kAlderLakeS, m.tco(), nullptr, 15000) == Status::device_error);
        CHECK(pch_tco::ping(m.tco()) == Status::device_error);
        CHECK(pch_tco::disarm(kAlderLakeS, m.tco(), nullptr) == Status::device_error);
        CHECK(pch_tco::clear_reset_cause(m.tco()) == Status::device_error);
        CHECK(pch_tco::read_reset_cause(m.tco()) == ResetCause::unknown);
        CHECK_FALSE(pch_tco::is_running(m.tco()));
        CHECK(pch_tco::no_reboot(kAlderLakeS, m.tco(), nullptr));
    }
    SECTION("version 4 with SBREG not answering") {
        PchTcoModel m(kSunrisePointH);
        boot(m);
        struct AllOnes final : RegisterIo {
            uint8_t read8(uint32_t) override { return 0xFF; }
            uint16_t read16(uint32_t) override { return 0xFFFF; }
            uint32_t read32(uint32_t) override { return 0xFFFFFFFF; }
            void write8(uint32_t, uint8_t) override {}
            void write16(uint32_t, uint16_t) override {}
            void write32(uint32_t, uint32_t) override {}
        } nothing;
        CHECK(pch_tco::arm(kSunrisePointH, m.tco(), &nothing, 15000) == Status::device_error);
        CHECK_FALSE(m.counting());
        CHECK(pch_tco::no_reboot(kSunrisePointH, m.tco(), &nothing));
    }
}

TEST_CASE("pch_tco: refusals write nothing", "[pch_tco]") {
    PchTcoModel m(kSunrisePointH);
    boot(m);
    SECTION("timeouts outside the range are refused, not clamped") {
        for (uint32_t t : {0u, 1200u, pch_tco::kMinTimeoutMs - 1, pch_tco::kMaxTimeoutMs + 1, 0xFFFFFFFFu}) {
            INFO("timeout " << t);
            CHECK(pch_tco::arm(kSunrisePointH, m.tco(), &m.sbreg(), t) == Status::invalid_argument);
        }
        CHECK(m.log.writes().empty());
        REQUIRE(pch_tco::arm(kSunrisePointH, m.tco(), &m.sbreg(), pch_tco::kMaxTimeoutMs) == Status::ok);
        CHECK((m.tmr() & pch_tco::kTmrMask) == 0x3FF);
    }
    SECTION("version 4 without its SBREG window") {
        CHECK(pch_tco::arm(kSunrisePointH, m.tco(), nullptr, 15000) == Status::invalid_argument);
        CHECK(pch_tco::disarm(kSunrisePointH, m.tco(), nullptr) == Status::invalid_argument);
        CHECK(pch_tco::no_reboot(kSunrisePointH, m.tco(), nullptr));
        CHECK(m.log.writes().empty());
    }
}

TEST_CASE("pch_tco: devices that do not take the writes are reported", "[pch_tco]") {
    for (const PchInfo* p : {&kSunrisePointH, &kAlderLakeS}) {
        INFO(p->name);
        PchTcoModel dropped(*p);
        boot(dropped);
        dropped.drop_writes = true;
        CHECK(pch_tco::arm(*p, dropped.tco(), sbreg_of(dropped, *p), 15000) == Status::device_error);
        CHECK_FALSE(dropped.counting());

        PchTcoModel stuck(*p);  // the halt does not stick
        boot(stuck);
        REQUIRE(pch_tco::arm(*p, stuck.tco(), sbreg_of(stuck, *p), 15000) == Status::ok);
        stuck.drop_writes = true;
        CHECK(pch_tco::disarm(*p, stuck.tco(), sbreg_of(stuck, *p)) == Status::device_error);
    }
}

TEST_CASE("pch_tco: a timer firmware left running is taken over with a fresh count", "[pch_tco]") {
    // The PCH counts from reset (4 ticks = 2.4 s per period). Firmware that neither halts
    // it nor sets NO_REBOOT leaves it 0.1 s from its first expiry when the loader arms.
    PchTcoModel m(kAlderLakeS);
    m.timeout_sts_counting = true;
    m.advance_ms(2300);
    boot(m, {.halt_timer = false, .no_reboot = false});
    REQUIRE(pch_tco::is_running(m.tco()));
    REQUIRE(pch_tco::arm(kAlderLakeS, m.tco(), nullptr, 15000) == Status::ok);
    m.advance_ns(15600 * kMs - 1);
    CHECK(m.resets_fired() == 0);
    m.advance_ns(1);
    CHECK(m.resets_fired() == 1);
}

TEST_CASE("pch_tco: reset cause after power-on, a watchdog reset and other resets", "[pch_tco]") {
    PchTcoModel m(kAlderLakeS);
    boot(m);
    CHECK(pch_tco::read_reset_cause(m.tco()) == ResetCause::power_on);
    REQUIRE(pch_tco::arm(kAlderLakeS, m.tco(), nullptr, 6000) == Status::ok);
    m.advance_ms(reset_after_ms(6000));
    REQUIRE(m.resets_fired() == 1);

    m.firmware_setup();
    CHECK(pch_tco::read_reset_cause(m.tco()) == ResetCause::watchdog);
    SECTION("not cleared: a later ordinary reset is misreported") {
        m.system_reset();
        m.firmware_setup();
        CHECK(pch_tco::read_reset_cause(m.tco()) == ResetCause::watchdog);
    }
    SECTION("cleared: a later ordinary reset reads as power-on") {
        m.set_sts2_bits(0x0004);  // BOOT_STS, or SMLINK_SLAVE_SMI on Denverton: not ours to clear
        m.log.clear();
        REQUIRE(pch_tco::clear_reset_cause(m.tco()) == Status::ok);
        CHECK(m.log.writes() == std::vector<Access>{wr(T, 16, 0x04, 0x0008), wr(T, 16, 0x06, 0x0002)});
        CHECK(m.sts2() == 0x0004);
        CHECK((m.sts2() & pch_tco::kSecondToSts) == 0);
        CHECK((m.sts1() & pch_tco::kTimeoutSts) == 0);
        m.system_reset();
        m.firmware_setup();
        CHECK(pch_tco::read_reset_cause(m.tco()) == ResetCause::power_on);
    }
    SECTION("power cycle clears it") {
        m.power_on();
        m.firmware_setup();
        CHECK(pch_tco::read_reset_cause(m.tco()) == ResetCause::power_on);
    }
}

TEST_CASE("pch_tco: firmware that clears the status first hides a watchdog reset", "[pch_tco]") {
    // coreboot's tco_reset_status() reads and clears TCO1_STS/TCO2_STS at boot: the loader
    // then reads power_on. The boot counter still counts the attempt (recorded before
    // the kernel started); only the cause's detail is lost.
    PchTcoModel m(kAlderLakeS);
    boot(m);
    REQUIRE(pch_tco::arm(kAlderLakeS, m.tco(), nullptr, 6000) == Status::ok);
    m.advance_ms(reset_after_ms(6000));
    REQUIRE(m.resets_fired() == 1);
    m.firmware_setup({.clear_status = true});
    CHECK(pch_tco::read_reset_cause(m.tco()) == ResetCause::power_on);
}

TEST_CASE("pch_tco: the driver table's entry says what the register sequences do", "[pch_tco]") {
    const WatchdogDriverFacts* f = watchdog_driver(WatchdogChoice::itco_pch);
    REQUIRE(f != nullptr);
    CHECK(watchdog_driver_named("itco-pch") == f);
    CHECK(f->min_timeout_ms == pch_tco::kMinTimeoutMs);
    CHECK(f->max_timeout_ms == pch_tco::kMaxTimeoutMs);
    CHECK(f->resolution_us == 2u * pch_tco::kTickMs * 1000u);
    CHECK(std::string(f->linux_module) == "iTCO_wdt");
    CHECK(std::string(f->kernel_args) == "modprobe.blacklist=iTCO_wdt");
    CHECK(f->tells_watchdog_reset);
    // The ICH9 TCO and this one are one Linux driver: the same hand-off.
    const WatchdogDriverFacts* ich = watchdog_driver(WatchdogChoice::itco);
    REQUIRE(ich != nullptr);
    CHECK(std::string(f->linux_identity) == ich->linux_identity);
    CHECK(f->module_stops_timer == ich->module_stops_timer);
    CHECK(f->disarm == ich->disarm);
}

TEST_CASE("pch_tco: `watchdog itco-pch` is refused by the config until the loader probes it", "[pch_tco]") {
    const std::string text = "watchdog i6300esb\nwatchdog itco-pch\nslot a\nlinux \\k\n";
    auto cfg = std::make_unique<Config>();
    config_defaults(*cfg);
    CHECK(parse_config(text.data(), text.size(), *cfg) == Status::invalid_argument);
    CHECK(cfg->watchdog == WatchdogChoice::i6300esb);  // the line is ignored
    bool refused = false;
    for (size_t i = 0; i < cfg->diagnostics.count; ++i) {
        const Diagnostic& d = cfg->diagnostics.items[i];
        refused |= d.line == 2 && d.severity == Severity::error &&
                   std::string(d.message) ==
                       "watchdog 'itco-pch' is not implemented yet; watchdog must be auto, none, i6300esb, itco, wdat or ipmi";
    }
    CHECK(refused);
    CHECK(std::string(to_string(WatchdogChoice::itco_pch)) == "itco-pch");
    // auto does not pick it yet, so the loader never reports a driver it cannot arm.
    CHECK_FALSE(may_arm(WatchdogChoice::auto_detect, *watchdog_driver(WatchdogChoice::itco_pch)));
}
