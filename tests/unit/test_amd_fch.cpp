// The AMD SB7x0..FCH watchdog register sequences against the register model
// (amd_fch_model.hpp), for each of Linux's four register layouts.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "amd_fch_model.hpp"
#include "wdboot/amd_fch.hpp"

using namespace wdboot;
using amd_fch::Layout;
using wdboot::test::Access;
using wdboot::test::AmdFchModel;
using wdboot::test::wr;

namespace {

constexpr char W = AmdFchModel::kWdt;
constexpr char P = AmdFchModel::kPm;
constexpr uint64_t kMs = 1000000;

struct Board {
    const char* name;
    Layout layout;
    uint16_t vendor, device;
    uint8_t revision;
    uint32_t wdt_base;  // where the watchdog is found after firmware_setup()
};

// One board per layout, with the base a typical firmware leaves.
const Board kBoards[] = {
    {"SB710 (sp5100)", Layout::sp5100, 0x1002, 0x4385, 0x3C, 0xFEC000F0},
    {"SB850 (sb800)", Layout::sb800, 0x1002, 0x4385, 0x42, 0xFEC000F0},
    {"Family 16h FCH (efch)", Layout::efch, 0x1022, 0x780b, 0x42, 0xFEB00000},
    {"Zen FCH (efch_mmio)", Layout::efch_mmio, 0x1022, 0x790b, 0x59, 0xFEB00000},
};

// What the EFI glue does (docs/watchdogs.md "AMD FCH"): identify, the PM window the
// layout needs, the enable step, the base.
struct Probe {
    AmdFchModel& m;
    Layout layout{};
    std::unique_ptr<amd_fch::IndexedPmIo> indexed;
    RegisterIo* pm = nullptr;
    uint32_t base = 0;
    Status enabled = Status::not_found;
    Status found = Status::not_found;

    explicit Probe(AmdFchModel& model) : m(model) {
        REQUIRE(amd_fch::identify(m.smbus(), layout) == Status::ok);
        if (amd_fch::pm_through_mmio(layout)) {
            pm = &m.pm_mmio();
        } else {
            indexed = std::make_unique<amd_fch::IndexedPmIo>(m.pm_ports());
            pm = indexed.get();
        }
        enabled = amd_fch::enable_decoding(layout, m.smbus(), *pm);
        if (enabled == Status::ok) found = amd_fch::find_wdt_base(layout, m.smbus(), *pm, base);
    }
    RegisterIo& wdt() { return m.wdt(base); }
    Status arm(uint32_t ms) { return amd_fch::arm(layout, *pm, wdt(), ms); }
    ResetCause cause() { return amd_fch::read_reset_cause(layout, *pm, wdt()); }
    Status clear() { return amd_fch::clear_reset_cause(layout, *pm, wdt()); }
};

std::unique_ptr<AmdFchModel> board(const Board& b) {
    auto m = std::make_unique<AmdFchModel>(b.layout, b.vendor, b.device, b.revision);
    m->firmware_setup();
    return m;
}

// Invariants over every write the driver made to the watchdog block: the power-off
// action is never set, and Fired (write 1 to clear) is written only by
// clear_reset_cause, which the caller says by `clears`.
void check_wdt_writes(const AmdFchModel& m, bool clears = false) {
    for (const Access& a : m.log.writes(W)) {
        if (a.offset != amd_fch::kControlReg) continue;
        CHECK((a.value & amd_fch::kActionPowerOff) == 0);
        if (!clears) CHECK((a.value & amd_fch::kFired) == 0);
    }
}

// The writes of a sequence without the index-port writes that every PM access through
// IndexedPmIo makes (reads included): what changes registers.
std::vector<Access> register_writes(const AmdFchModel& m) {
    std::vector<Access> out;
    for (const Access& a : m.log.writes()) {
        if (!(a.window == AmdFchModel::kPorts && a.offset == 0)) out.push_back(a);
    }
    return out;
}

}  // namespace

TEST_CASE("amd_fch: the SMBus IDs and revisions select Linux's layouts", "[amd_fch]") {
    struct Case {
        uint16_t vendor, device;
        uint8_t rev;
        Status status;
        Layout layout;
    };
    const Case cases[] = {
        {0x1002, 0x4385, 0x00, Status::ok, Layout::sp5100},
        {0x1002, 0x4385, 0x3F, Status::ok, Layout::sp5100},
        {0x1002, 0x4385, 0x40, Status::ok, Layout::sb800},
        {0x1002, 0x4385, 0x42, Status::ok, Layout::sb800},
        {0x1022, 0x780b, 0x14, Status::ok, Layout::sb800},
        {0x1022, 0x780b, 0x40, Status::ok, Layout::sb800},
        {0x1022, 0x780b, 0x41, Status::ok, Layout::efch},
        {0x1022, 0x790b, 0x48, Status::ok, Layout::sb800},
        {0x1022, 0x790b, 0x49, Status::ok, Layout::efch},
        {0x1022, 0x790b, 0x50, Status::ok, Layout::efch},
        {0x1022, 0x790b, 0x51, Status::ok, Layout::efch_mmio},
        {0x1022, 0x790b, 0x59, Status::ok, Layout::efch_mmio},
        {0x1022, 0x790b, 0x61, Status::ok, Layout::efch_mmio},
        {0x1022, 0x790b, 0x71, Status::ok, Layout::efch_mmio},
        // Hygon: Linux's Zen check is AMD only, so the port-I/O efch path.
        {0x1d94, 0x790b, 0x59, Status::ok, Layout::efch},
        {0x1d94, 0x790b, 0x48, Status::ok, Layout::sb800},
        // Not in Linux's table: refused.
        {0x1d94, 0x780b, 0x42, Status::unsupported, Layout::sp5100},
        {0x1022, 0x4385, 0x42, Status::unsupported, Layout::sp5100},
        {0x1002, 0x790b, 0x59, Status::unsupported, Layout::sp5100},
        {0x1022, 0x790c, 0x59, Status::unsupported, Layout::sp5100},
        {0x8086, 0x25ab, 0x02, Status::unsupported, Layout::sp5100},
        {0xFFFF, 0xFFFF, 0xFF, Status::unsupported, Layout::sp5100},
    };
    for (const Case& c : cases) {
        INFO(std::hex << c.vendor << ":" << c.device << " rev " << static_cast<int>(c.rev));
        AmdFchModel m(c.layout, c.vendor, c.device, c.rev);
        Layout got = Layout::sp5100;
        CHECK(amd_fch::is_fch_smbus(m.smbus()) == (c.status == Status::ok));
        CHECK(amd_fch::identify(m.smbus(), got) == c.status);
        if (c.status == Status::ok) {
            CHECK(got == c.layout);
        } else {
            // Refused on the identity alone: nothing but the SMBus config was touched.
            for (const Access& a : m.log.all()) CHECK(a.window == AmdFchModel::kSmbus);
            CHECK(m.log.writes().empty());
        }
    }
    CHECK(amd_fch::pm_through_mmio(Layout::efch_mmio));
    CHECK_FALSE(amd_fch::pm_through_mmio(Layout::efch));
    CHECK_FALSE(amd_fch::pm_through_mmio(Layout::sb800));
    CHECK_FALSE(amd_fch::pm_through_mmio(Layout::sp5100));
}

TEST_CASE("amd_fch: one tick more than the whole seconds", "[amd_fch]") {
    CHECK(amd_fch::ticks_for(amd_fch::kMinTimeoutMs) == 2);
    CHECK(amd_fch::ticks_for(1001) == 3);
    CHECK(amd_fch::ticks_for(15000) == 16);
    CHECK(amd_fch::ticks_for(amd_fch::kMaxTimeoutMs) == 0xFFFF);
    CHECK(amd_fch::ticks_for(amd_fch::kMaxTimeoutMs + 1) == 0x10000);
    CHECK(amd_fch::ticks_for(0xFFFFFFFFu) > 0xFFFF);
    for (uint32_t ms = amd_fch::kMinTimeoutMs; ms <= amd_fch::kMaxTimeoutMs; ms += 997) {
        uint32_t t = amd_fch::ticks_for(ms);
        INFO("timeout " << ms << " ms");
        // The first of t ticks may come at once: the remaining t - 1 must cover it.
        REQUIRE(static_cast<uint64_t>(t - 1) * 1000 >= ms);
        REQUIRE(static_cast<uint64_t>(t - 2) * 1000 < ms);
    }
}

TEST_CASE("amd_fch: the PM through the index/data ports", "[amd_fch]") {
    AmdFchModel m(Layout::sb800, 0x1002, 0x4385, 0x42);
    m.firmware_setup();
    amd_fch::IndexedPmIo pm(m.pm_ports());
    CHECK(pm.read32(amd_fch::kSb800PmControl) == 0xFEC000F0);
    CHECK(pm.read16(amd_fch::kSb800PmControl + 2) == 0xFEC0);
    m.log.clear();
    pm.write8(0x4C, 0x03);
    CHECK(m.log.writes() == std::vector<Access>{wr('i', 8, 0, 0x4C), wr('i', 8, 1, 0x03)});
    CHECK(m.pm_byte(0x4C) == 0x03);
    pm.write32(0x50, 0x11223344);
    CHECK(pm.read32(0x50) == 0x11223344);
    CHECK(m.pm_byte(0x53) == 0x11);
}

TEST_CASE("amd_fch: found, enabled and armed on every layout", "[amd_fch]") {
    for (const Board& b : kBoards) {
        INFO(b.name);
        auto m = board(b);
        Probe p(*m);
        REQUIRE(p.layout == b.layout);
        REQUIRE(p.enabled == Status::ok);
        REQUIRE(p.found == Status::ok);
        CHECK(p.base == b.wdt_base);
        CHECK_FALSE(amd_fch::is_disabled(p.wdt()));
        CHECK_FALSE(amd_fch::is_running(p.wdt()));
        CHECK(p.cause() == ResetCause::power_on);
        REQUIRE(p.arm(15000) == Status::ok);
        CHECK(amd_fch::is_running(p.wdt()));
        CHECK(m->counting());
        CHECK(m->tick_ns() == 1000000000u);
        CHECK(m->count_register() == 16);
        check_wdt_writes(*m);
        m->advance_ms(15000);
        CHECK(m->resets_fired() == 0);
        m->advance_ms(1000);
        CHECK(m->resets_fired() == 1);
        CHECK(m->power_offs() == 0);
    }
}

TEST_CASE("amd_fch: exact writes on a Zen FCH (PM through MMIO)", "[amd_fch]") {
    auto m = board(kBoards[3]);
    m->log.clear();
    Probe p(*m);
    CHECK(m->log.writes() == std::vector<Access>{wr(P, 8, 0x00, 0x80)});  // WDT_TMREN
    m->log.clear();
    REQUIRE(p.arm(15000) == Status::ok);
    std::vector<Access> want{
        wr(W, 32, 0x00, 0x00),  // stopped, action reset
        wr(P, 8, 0x03, 0x03),   // 1 s ticks
        wr(W, 32, 0x04, 16),    // count
        wr(W, 32, 0x00, 0x01),  // RunStopB
        wr(W, 32, 0x00, 0x81),  // Trigger, a separate write
    };
    CHECK(m->log.writes() == want);
    // Nothing went through the ports, which such boards may switch off.
    for (const Access& a : m->log.all()) CHECK(a.window != AmdFchModel::kPorts);
}

TEST_CASE("amd_fch: exact writes on an SP5100 (decode in the SMBus config)", "[amd_fch]") {
    auto m = board(kBoards[0]);
    m->log.clear();
    Probe p(*m);
    CHECK(register_writes(*m) == std::vector<Access>{wr('s', 8, 0x41, 0x08)});
    m->log.clear();
    REQUIRE(p.arm(15000) == Status::ok);
    std::vector<Access> want{
        wr(W, 32, 0x00, 0x00),
        wr('i', 8, 1, 0x06),  // PMx69: resolution 1 s, enabled
        wr(W, 32, 0x04, 16),
        wr(W, 32, 0x00, 0x01),
        wr(W, 32, 0x00, 0x81),
    };
    CHECK(register_writes(*m) == want);
    // The data write went to PMx69.
    CHECK(m->pm_byte(amd_fch::kSp5100PmControl) == 0x06);
}

TEST_CASE("amd_fch: the reset comes after the timeout, within a second for whole seconds", "[amd_fch]") {
    const uint32_t timeouts[] = {amd_fch::kMinTimeoutMs, 1001, 1500, 5000, 15000, 299999, 3600000,
                                 amd_fch::kMaxTimeoutMs};
    // Where the free-running tick clock is when the count starts: a tick right after
    // the trigger is the case that needs the extra tick.
    const uint64_t phases_ns[] = {0, 1, 1000, 500 * kMs, 999999999};
    for (const Board& b : {kBoards[1], kBoards[3]}) {
        for (uint32_t t : timeouts) {
            for (uint64_t phase : phases_ns) {
                INFO(b.name << ", timeout " << t << " ms, first tick at " << phase << " ns");
                auto m = board(b);
                m->tick_phase_ns = phase;
                Probe p(*m);
                REQUIRE(p.arm(t) == Status::ok);
                m->advance_ns(static_cast<uint64_t>(t) * kMs - 1);
                REQUIRE(m->resets_fired() == 0);
                uint64_t late_ns = (t % 1000 == 0 ? 1000 : 2000) * kMs;
                m->advance_ns(late_ns + 1);
                REQUIRE(m->resets_fired() == 1);
                REQUIRE(m->power_offs() == 0);
            }
        }
    }
}

TEST_CASE("amd_fch: timeouts outside the range are refused, not clamped", "[amd_fch]") {
    auto m = board(kBoards[3]);
    Probe p(*m);
    m->log.clear();
    for (uint32_t t : {0u, 1u, amd_fch::kMinTimeoutMs - 1, amd_fch::kMaxTimeoutMs + 1, 0xFFFFFFFFu}) {
        INFO("timeout " << t);
        CHECK(p.arm(t) == Status::invalid_argument);
    }
    CHECK(m->log.writes().empty());
    REQUIRE(p.arm(amd_fch::kMaxTimeoutMs) == Status::ok);
    CHECK(m->count_register() == 0xFFFF);
}

TEST_CASE("amd_fch: ping restarts the count", "[amd_fch]") {
    auto m = board(kBoards[2]);
    Probe p(*m);
    REQUIRE(p.arm(10000) == Status::ok);  // 11 ticks
    m->advance_ms(9500);
    m->log.clear();
    REQUIRE(amd_fch::ping(p.wdt()) == Status::ok);
    CHECK(m->log.writes() == std::vector<Access>{wr(W, 32, 0x00, 0x81)});
    m->advance_ms(10000);
    CHECK(m->resets_fired() == 0);
    REQUIRE(amd_fch::ping(p.wdt()) == Status::ok);
    m->advance_ns(10000 * kMs - 1);
    CHECK(m->resets_fired() == 0);
    m->advance_ms(1000);
    CHECK(m->resets_fired() == 1);
}

TEST_CASE("amd_fch: disarm stops it, and a ping does not restart a stopped timer", "[amd_fch]") {
    for (const Board& b : kBoards) {
        INFO(b.name);
        auto m = board(b);
        Probe p(*m);
        REQUIRE(p.arm(5000) == Status::ok);
        m->advance_ms(4000);
        m->log.clear();
        REQUIRE(amd_fch::disarm(p.wdt()) == Status::ok);
        CHECK(m->log.writes() == std::vector<Access>{wr(W, 32, 0x00, 0x00)});
        CHECK_FALSE(amd_fch::is_running(p.wdt()));
        CHECK_FALSE(m->counting());
        REQUIRE(amd_fch::ping(p.wdt()) == Status::ok);
        CHECK_FALSE(m->counting());
        m->advance_ms(10ull * 3600 * 1000);
        CHECK(m->resets_fired() == 0);
        // Armed again, it works again.
        REQUIRE(p.arm(2000) == Status::ok);
        m->advance_ms(3000);
        CHECK(m->resets_fired() == 1);
        check_wdt_writes(*m);
    }
}

TEST_CASE("amd_fch: a power-off action is corrected to reset", "[amd_fch]") {
    auto m = board(kBoards[3]);
    Probe p(*m);
    // As Linux's sp5100_tco leaves it with action=1, or a firmware option.
    p.wdt().write32(amd_fch::kControlReg, amd_fch::kActionPowerOff);
    REQUIRE(m->action_power_off());
    REQUIRE(p.arm(5000) == Status::ok);
    CHECK_FALSE(m->action_power_off());
    m->advance_ms(6000);
    CHECK(m->resets_fired() == 1);
    CHECK(m->power_offs() == 0);

    SECTION("an action that will not change is an error, and the timer is not started") {
        auto m2 = board(kBoards[3]);
        Probe p2(*m2);
        m2->pin_action_power_off = true;
        p2.wdt().write32(amd_fch::kControlReg, amd_fch::kActionPowerOff);
        CHECK(p2.arm(5000) == Status::device_error);
        CHECK_FALSE(m2->counting());
        m2->advance_ms(60000);
        CHECK(m2->power_offs() == 0);
    }
}

TEST_CASE("amd_fch: reset cause after a watchdog reset, cleared every boot", "[amd_fch]") {
    for (const Board& b : kBoards) {
        INFO(b.name);
        auto m = board(b);
        {
            Probe p(*m);
            REQUIRE(p.arm(3000) == Status::ok);
        }
        m->advance_ms(4000);
        REQUIRE(m->resets_fired() == 1);
        REQUIRE(m->fired());
        m->firmware_setup();
        Probe p(*m);
        REQUIRE(p.enabled == Status::ok);
        CHECK(p.cause() == ResetCause::watchdog);

        SECTION(std::string(b.name) + ": arming without clearing keeps the cause") {
            REQUIRE(p.arm(60000) == Status::ok);
            REQUIRE(amd_fch::ping(p.wdt()) == Status::ok);
            REQUIRE(amd_fch::disarm(p.wdt()) == Status::ok);
            CHECK(p.cause() == ResetCause::watchdog);
            check_wdt_writes(*m);
        }
        SECTION(std::string(b.name) + ": not cleared, a later ordinary reset is misreported") {
            m->system_reset();
            m->firmware_setup();
            Probe again(*m);
            CHECK(again.cause() == ResetCause::watchdog);
        }
        SECTION(std::string(b.name) + ": cleared, a later ordinary reset reads as power-on") {
            m->log.clear();
            REQUIRE(p.clear() == Status::ok);
            CHECK(m->log.writes(W) == std::vector<Access>{wr(W, 32, 0x00, amd_fch::kFired)});
            CHECK_FALSE(m->fired());
            CHECK(p.cause() == ResetCause::power_on);
            m->system_reset();
            m->firmware_setup();
            Probe again(*m);
            CHECK(again.cause() == ResetCause::power_on);
        }
        SECTION(std::string(b.name) + ": a power cycle clears it") {
            m->power_on();
            m->firmware_setup();
            Probe again(*m);
            CHECK(again.cause() == ResetCause::power_on);
        }
    }
}

TEST_CASE("amd_fch: clearing the cause neither feeds nor stops a running timer", "[amd_fch]") {
    auto m = board(kBoards[3]);
    Probe p(*m);
    REQUIRE(p.arm(3000) == Status::ok);
    m->advance_ms(4000);
    REQUIRE(m->resets_fired() == 1);
    m->firmware_setup();
    Probe q(*m);
    REQUIRE(q.arm(5000) == Status::ok);
    m->advance_ms(4000);
    REQUIRE(q.clear() == Status::ok);
    CHECK(amd_fch::is_running(q.wdt()));
    m->advance_ms(2000);
    CHECK(m->resets_fired() == 2);
}

TEST_CASE("amd_fch: Zen's S5_RESET_STATUS tells a watchdog reset too", "[amd_fch]") {
    auto m = board(kBoards[3]);
    {
        Probe p(*m);
        REQUIRE(p.arm(2000) == Status::ok);
    }
    m->advance_ms(3000);
    REQUIRE(m->resets_fired() == 1);
    CHECK((m->s5_reset_status() & amd_fch::kS5WatchdogExpired) != 0);
    m->set_s5_bits(1u << 16);  // another reason latched (the reset pin)
    m->firmware_setup();
    Probe p(*m);

    SECTION("Fired cleared by someone else (Linux's probe): the PM still says watchdog") {
        p.wdt().write32(amd_fch::kControlReg, amd_fch::kFired);
        REQUIRE_FALSE(m->fired());
        CHECK(p.cause() == ResetCause::watchdog);
    }
    SECTION("clearing takes bit 25 only") {
        REQUIRE(p.clear() == Status::ok);
        CHECK(m->s5_reset_status() == (1u << 16));
        CHECK(p.cause() == ResetCause::power_on);
    }
}

TEST_CASE("amd_fch: a watchdog disabled by firmware", "[amd_fch]") {
    for (const Board& b : kBoards) {
        INFO(b.name);
        SECTION(std::string(b.name) + ": the documented enable step turns it on") {
            auto m = board(b);
            m->firmware_disables_watchdog();
            Probe p(*m);
            REQUIRE(p.enabled == Status::ok);
            CHECK_FALSE(amd_fch::is_disabled(p.wdt()));
            REQUIRE(p.arm(5000) == Status::ok);
            m->advance_ms(6000);
            CHECK(m->resets_fired() == 1);
        }
        SECTION(std::string(b.name) + ": locked off: a clear error, never armed") {
            auto m = board(b);
            m->firmware_disables_watchdog();
            m->pin_disabled = true;
            Probe p(*m);
            CHECK(p.enabled == Status::device_error);
            // A glue that went on anyway still gets no "armed".
            uint32_t base = 0;
            REQUIRE(amd_fch::find_wdt_base(p.layout, m->smbus(), *p.pm, base) == Status::ok);
            RegisterIo& wdt = m->wdt(base);
            CHECK(amd_fch::is_disabled(wdt));
            CHECK(amd_fch::read_reset_cause(p.layout, *p.pm, wdt) == ResetCause::unknown);
            m->log.clear();
            CHECK(amd_fch::arm(p.layout, *p.pm, wdt, 5000) == Status::device_error);
            CHECK(m->log.writes().empty());  // refused before touching anything
            CHECK_FALSE(amd_fch::is_running(wdt));
            CHECK_FALSE(m->counting());
        }
    }
}

TEST_CASE("amd_fch: decode off, no base, the PM unreachable", "[amd_fch]") {
    SECTION("SP5100, SB800 and Zen: a decode bit that will not set is an error") {
        for (const Board& b : {kBoards[0], kBoards[1], kBoards[3]}) {
            INFO(b.name);
            auto m = board(b);
            m->pin_decode_off = true;
            Probe p(*m);
            CHECK(p.enabled == Status::device_error);
        }
    }
    SECTION("efch without WDT_TMREN: the ACPI MMIO alias, as Linux falls back") {
        auto m = board(kBoards[2]);
        m->pin_decode_off = true;
        Probe p(*m);
        REQUIRE(p.enabled == Status::ok);
        REQUIRE(p.found == Status::ok);
        CHECK(p.base == amd_fch::kAcpiMmioWdtBase);
        REQUIRE(p.arm(5000) == Status::ok);
        m->advance_ms(6000);
        CHECK(m->resets_fired() == 1);
    }
    SECTION("efch with neither: not found") {
        AmdFchModel m(Layout::efch, 0x1022, 0x780b, 0x42);  // no firmware_setup
        Probe p(m);
        CHECK(p.enabled == Status::ok);
        CHECK(p.found == Status::not_found);
    }
    SECTION("SB800 whose firmware left the base 0: the alias, never a decode at 0") {
        auto m = board(kBoards[1]);
        amd_fch::IndexedPmIo pm(m->pm_ports());
        pm.write32(amd_fch::kSb800PmControl, amd_fch::kSb800PmDisable);  // and disabled
        Probe p(*m);
        REQUIRE(p.enabled == Status::ok);
        CHECK(m->pm_byte(amd_fch::kSb800PmControl) == 0);  // enabled, decode left off
        REQUIRE(p.found == Status::ok);
        CHECK(p.base == amd_fch::kAcpiMmioWdtBase);
        REQUIRE(p.arm(5000) == Status::ok);
        m->advance_ms(6000);
        CHECK(m->resets_fired() == 1);
    }
    SECTION("SP5100 whose firmware left the base 0: decode left off, the alias from SMBus 0x9C") {
        auto m = board(kBoards[0]);
        amd_fch::IndexedPmIo pm(m->pm_ports());
        pm.write32(amd_fch::kSp5100PmBase, 0);
        m->smbus().write32(amd_fch::kSp5100PciResourceMmio, 0xFED80001);
        Probe p(*m);
        REQUIRE(p.enabled == Status::ok);
        CHECK((m->smbus().read8(amd_fch::kSp5100PciMisc) & amd_fch::kSp5100PciDecodeEn) == 0);
        REQUIRE(p.found == Status::ok);
        CHECK(p.base == amd_fch::kAcpiMmioWdtBase);
        REQUIRE(p.arm(5000) == Status::ok);
    }
    SECTION("SP5100 with neither base nor alias: not found") {
        auto m = board(kBoards[0]);
        amd_fch::IndexedPmIo pm(m->pm_ports());
        pm.write32(amd_fch::kSp5100PmBase, 0);
        Probe p(*m);
        CHECK(p.enabled == Status::ok);
        CHECK(p.found == Status::not_found);
    }
    SECTION("a watchdog block that is not decoded: every step says so") {
        auto m = board(kBoards[3]);  // WDT_TMREN still off: 0xFEB00000 not decoded
        RegisterIo& wdt = m->wdt(amd_fch::kEfchWdtBase);
        CHECK(amd_fch::arm(Layout::efch_mmio, m->pm_mmio(), wdt, 5000) == Status::device_error);
        CHECK(amd_fch::ping(wdt) == Status::device_error);
        CHECK(amd_fch::disarm(wdt) == Status::device_error);
        CHECK(amd_fch::clear_reset_cause(Layout::efch_mmio, m->pm_mmio(), wdt) == Status::device_error);
        CHECK(amd_fch::read_reset_cause(Layout::efch_mmio, m->pm_mmio(), wdt) == ResetCause::unknown);
        CHECK_FALSE(amd_fch::is_running(wdt));
    }
    SECTION("Zen with the ports switched off: through the ports not found, through MMIO fine") {
        auto m = board(kBoards[3]);
        m->ports_off = true;
        amd_fch::IndexedPmIo ports(m->pm_ports());
        CHECK(amd_fch::enable_decoding(Layout::efch_mmio, m->smbus(), ports) == Status::not_found);
        Probe p(*m);
        CHECK(p.enabled == Status::ok);
        CHECK(p.found == Status::ok);
    }
    SECTION("the PM MMIO block off") {
        auto m = board(kBoards[3]);
        m->pm_mmio_off = true;
        Probe p(*m);
        CHECK(p.enabled == Status::not_found);
    }
}

TEST_CASE("amd_fch: a timer firmware left running fast is stopped before it is changed", "[amd_fch]") {
    auto m = board(kBoards[3]);
    Probe p(*m);
    // Firmware: 32 us ticks, 100 ticks, running.
    p.wdt().write32(amd_fch::kCountReg, 100);
    p.wdt().write32(amd_fch::kControlReg, amd_fch::kRunStop);
    p.wdt().write32(amd_fch::kControlReg, amd_fch::kRunStop | amd_fch::kTrigger);
    REQUIRE(m->counting());
    REQUIRE(m->tick_ns() == 32000);
    REQUIRE(p.arm(5000) == Status::ok);
    m->advance_ms(4999);
    CHECK(m->resets_fired() == 0);
    m->advance_ms(1001);
    CHECK(m->resets_fired() == 1);
}

TEST_CASE("amd_fch: devices that do not take the writes are reported", "[amd_fch]") {
    auto m = board(kBoards[2]);
    Probe p(*m);
    m->drop_wdt_writes = true;
    CHECK(p.arm(5000) == Status::device_error);
    m->drop_wdt_writes = false;
    REQUIRE(p.arm(5000) == Status::ok);
    m->drop_wdt_writes = true;
    CHECK(amd_fch::disarm(p.wdt()) == Status::device_error);
    m->drop_wdt_writes = false;
    REQUIRE(amd_fch::disarm(p.wdt()) == Status::ok);

    SECTION("a count register narrower than the timeout needs: refused, not started") {
        m->count_register_mask = 0xFF;
        CHECK(p.arm(300000) == Status::device_error);
        CHECK_FALSE(m->counting());
        CHECK(p.arm(254000) == Status::ok);  // 255 ticks still fit
    }
}
