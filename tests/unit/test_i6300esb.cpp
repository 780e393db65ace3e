// The i6300esb register sequences against a model that behaves as QEMU's device.
#include <catch2/catch.hpp>

#include <vector>

#include "i6300esb_model.hpp"
#include "wdboot/i6300esb.hpp"

using namespace wdboot;
using wdboot::test::Access;
using wdboot::test::I6300esbModel;
using wdboot::test::wr;
namespace esb = wdboot::i6300esb;

namespace {

constexpr char C = I6300esbModel::kConfig;
constexpr char M = I6300esbModel::kMmio;
constexpr uint64_t kMs = 1000000;

// The state the loader finds after OVMF: device present, decoding turned on by us.
void decode(I6300esbModel& m) {
    REQUIRE(esb::enable_decoding(m.config()) == Status::ok);
    m.log.clear();
}

// Invariant over a whole log: every BAR0 write other than the unlock bytes comes
// right after 0x80, 0x86 to the reload register.
bool is_unlock_byte(const Access& a) {
    return a.width == 8 && a.offset == 0x0C && (a.value == 0x80 || a.value == 0x86);
}

void require_every_write_unlocked(const I6300esbModel& m) {
    std::vector<Access> w = m.log.writes(M);
    for (size_t i = 0; i < w.size(); ++i) {
        if (is_unlock_byte(w[i])) continue;
        INFO("write " << i << ": " << w[i]);
        REQUIRE(i >= 2);
        CHECK(w[i - 2] == wr(M, 8, 0x0C, 0x80));
        CHECK(w[i - 1] == wr(M, 8, 0x0C, 0x86));
    }
    CHECK(m.writes_without_unlock() == 0);
}

std::vector<Access> unlocked(uint8_t width, uint32_t off, uint32_t value) {
    return {wr(M, 8, 0x0C, 0x80), wr(M, 8, 0x0C, 0x86), wr(M, width, off, value)};
}

}  // namespace

TEST_CASE("i6300esb: preloads cover the timeout to within one tick", "[i6300esb]") {
    CHECK(esb::preloads_for(1000).stage1 == 509);  // ceil(1000 / 0.98304) = 1018
    CHECK(esb::preloads_for(1000).stage2 == 509);
    CHECK(esb::preloads_for(1001).stage1 == 510);  // 1019 ticks: the odd one goes first
    CHECK(esb::preloads_for(1001).stage2 == 509);
    CHECK(esb::preloads_for(esb::kMaxTimeoutMs).stage1 == esb::kMaxPreload);
    CHECK(esb::preloads_for(esb::kMaxTimeoutMs).stage2 == esb::kMaxPreload);
    CHECK(esb::preloads_for(esb::kMaxTimeoutMs + 1).stage1 > esb::kMaxPreload);

    for (uint32_t ms = esb::kMinTimeoutMs; ms <= esb::kMaxTimeoutMs; ms += 997) {
        esb::Preloads p = esb::preloads_for(ms);
        uint64_t total = uint64_t{p.stage1} + p.stage2;
        INFO("timeout " << ms << " ms");
        REQUIRE(total * esb::kTickNs >= ms * kMs);
        REQUIRE((total - 1) * esb::kTickNs < ms * kMs);
        REQUIRE(p.stage1 >= p.stage2);
        REQUIRE(p.stage1 - p.stage2 <= 1);
        REQUIRE(p.stage1 <= esb::kMaxPreload);
    }
}

TEST_CASE("i6300esb: identity and memory decoding", "[i6300esb]") {
    I6300esbModel m;
    CHECK(esb::is_i6300esb(m.config()));
    CHECK_FALSE(m.decoding());

    CHECK(esb::enable_decoding(m.config()) == Status::ok);
    CHECK(m.decoding());
    CHECK(m.log.writes() == std::vector<Access>{wr(C, 16, 0x04, 0x0002)});

    m.log.clear();
    CHECK(esb::enable_decoding(m.config()) == Status::ok);  // already on: no write
    CHECK(m.log.writes().empty());

    I6300esbModel deaf;
    deaf.drop_writes = true;
    CHECK(esb::enable_decoding(deaf.config()) == Status::device_error);
}

TEST_CASE("i6300esb: arm writes exactly the documented sequence", "[i6300esb]") {
    I6300esbModel m;
    decode(m);
    REQUIRE(esb::arm(m.config(), m.mmio(), 15000) == Status::ok);

    esb::Preloads p = esb::preloads_for(15000);
    std::vector<Access> want{wr(C, 16, 0x60, 0x0003)};
    for (const Access& a : unlocked(32, 0x00, p.stage1)) want.push_back(a);
    for (const Access& a : unlocked(32, 0x04, p.stage2)) want.push_back(a);
    for (const Access& a : unlocked(16, 0x0C, 0x0100)) want.push_back(a);
    want.push_back(wr(C, 8, 0x68, 0x02));
    CHECK(m.log.writes() == want);

    CHECK(m.enabled());
    CHECK_FALSE(m.locked());
    CHECK_FALSE(m.free_run());
    CHECK(m.reboot_enabled());
    CHECK_FALSE(m.clock_1mhz());
    CHECK(m.preload1() == p.stage1);
    CHECK(m.preload2() == p.stage2);
    CHECK(m.stage() == 1);
    CHECK(esb::is_running(m.config()));
    CHECK_FALSE(esb::is_locked(m.config()));
    require_every_write_unlocked(m);
}

TEST_CASE("i6300esb: the reset fires at the timeout, not before", "[i6300esb]") {
    const uint32_t timeouts[] = {esb::kMinTimeoutMs, 1001, 1017, 2500, 15000, 30000, 61234, 600000,
                                 esb::kMaxTimeoutMs};
    for (uint32_t t : timeouts) {
        INFO("timeout " << t << " ms");
        I6300esbModel m;
        decode(m);
        REQUIRE(esb::arm(m.config(), m.mmio(), t) == Status::ok);
        m.advance_ns(t * kMs - 1);
        REQUIRE(m.resets_fired() == 0);
        REQUIRE(m.stage() == 2);  // stage 1 (the first half) has run out by now
        m.advance_ms(1);
        REQUIRE(m.resets_fired() == 1);
        REQUIRE(m.timeout_flag());
    }
}

TEST_CASE("i6300esb: stage 1 then stage 2", "[i6300esb]") {
    I6300esbModel m;
    decode(m);
    REQUIRE(esb::arm(m.config(), m.mmio(), 20000) == Status::ok);
    esb::Preloads p = esb::preloads_for(20000);
    m.advance_ns(uint64_t{p.stage1} * esb::kTickNs - 1);
    CHECK(m.stage() == 1);
    m.advance_ns(1);
    CHECK(m.stage() == 2);
    CHECK(m.ns_to_expiry() == uint64_t{p.stage2} * esb::kTickNs);
    CHECK(m.resets_fired() == 0);
}

TEST_CASE("i6300esb: ping restarts stage 1 with the full timeout", "[i6300esb]") {
    I6300esbModel m;
    decode(m);
    REQUIRE(esb::arm(m.config(), m.mmio(), 10000) == Status::ok);

    SECTION("in stage 1") {
        m.advance_ms(4000);
        REQUIRE(m.stage() == 1);
    }
    SECTION("in stage 2") {
        m.advance_ms(7000);
        REQUIRE(m.stage() == 2);
    }
    REQUIRE(esb::ping(m.mmio()) == Status::ok);
    CHECK(m.stage() == 1);
    m.advance_ms(9999);
    CHECK(m.resets_fired() == 0);
    CHECK(esb::ping(m.mmio()) == Status::ok);
    m.advance_ms(9999);
    CHECK(m.resets_fired() == 0);
    m.advance_ms(2);
    CHECK(m.resets_fired() == 1);
    require_every_write_unlocked(m);
}

TEST_CASE("i6300esb: disarm stops the timer", "[i6300esb]") {
    I6300esbModel m;
    decode(m);
    REQUIRE(esb::arm(m.config(), m.mmio(), 10000) == Status::ok);
    m.advance_ms(9000);
    m.log.clear();
    REQUIRE(esb::disarm(m.config(), m.mmio()) == Status::ok);

    std::vector<Access> want = unlocked(16, 0x0C, 0x0100);
    want.push_back(wr(C, 8, 0x68, 0x00));
    CHECK(m.log.writes() == want);
    CHECK_FALSE(esb::is_running(m.config()));
    CHECK_FALSE(m.timer_pending());
    m.advance_ms(10ull * 3600 * 1000);
    CHECK(m.resets_fired() == 0);

    // And it can be armed again afterwards.
    REQUIRE(esb::arm(m.config(), m.mmio(), 5000) == Status::ok);
    m.advance_ms(5001);
    CHECK(m.resets_fired() == 1);
}

TEST_CASE("i6300esb: arm never sets the lock bit", "[i6300esb]") {
    I6300esbModel m;
    decode(m);
    for (uint32_t t : {esb::kMinTimeoutMs, 30000u, esb::kMaxTimeoutMs}) {
        REQUIRE(esb::arm(m.config(), m.mmio(), t) == Status::ok);
        REQUIRE(esb::ping(m.mmio()) == Status::ok);
        REQUIRE_FALSE(m.locked());
    }
    for (const Access& a : m.log.writes(C)) {
        if (a.offset == 0x68) CHECK((a.value & esb::kLockLock) == 0);
    }
    CHECK(esb::disarm(m.config(), m.mmio()) == Status::ok);
}

TEST_CASE("i6300esb: a device locked by firmware is refused and left alone", "[i6300esb]") {
    I6300esbModel m;
    decode(m);
    uint8_t firmware_lock = GENERATE(uint8_t{0x01}, uint8_t{0x03});
    m.config().write8(0x68, firmware_lock);
    REQUIRE(m.locked());
    bool was_running = m.enabled();
    m.log.clear();

    CHECK(esb::is_locked(m.config()));
    CHECK(esb::arm(m.config(), m.mmio(), 30000) == Status::locked);
    CHECK(esb::disarm(m.config(), m.mmio()) == Status::locked);
    CHECK(m.log.writes().empty());
    CHECK(m.enabled() == was_running);
    CHECK(m.locked());
    CHECK(to_string(Status::locked) == std::string("device locked"));
}

TEST_CASE("i6300esb: arm replaces whatever mode firmware left", "[i6300esb]") {
    I6300esbModel m;
    decode(m);
    m.config().write16(0x60, 0x0024);  // no reboot, 1 MHz prescaler
    m.config().write8(0x68, 0x04);     // free-running, disabled
    REQUIRE_FALSE(m.reboot_enabled());
    REQUIRE(m.clock_1mhz());

    REQUIRE(esb::arm(m.config(), m.mmio(), 8000) == Status::ok);
    CHECK(m.reboot_enabled());
    CHECK_FALSE(m.clock_1mhz());
    CHECK_FALSE(m.free_run());
    m.advance_ns(8000 * kMs - 1);
    CHECK(m.resets_fired() == 0);
    m.advance_ms(1);
    CHECK(m.resets_fired() == 1);
}

TEST_CASE("i6300esb: re-arming a running timer restarts it with the new timeout", "[i6300esb]") {
    I6300esbModel m;
    decode(m);
    REQUIRE(esb::arm(m.config(), m.mmio(), 600000) == Status::ok);
    m.advance_ms(1000);
    REQUIRE(esb::arm(m.config(), m.mmio(), 5000) == Status::ok);
    m.advance_ns(5000 * kMs - 1);
    CHECK(m.resets_fired() == 0);
    m.advance_ms(1);
    CHECK(m.resets_fired() == 1);
}

TEST_CASE("i6300esb: a device that ignores writes is reported", "[i6300esb]") {
    I6300esbModel m;
    decode(m);
    m.drop_writes = true;
    CHECK(esb::arm(m.config(), m.mmio(), 30000) == Status::device_error);
    CHECK_FALSE(m.enabled());

    // Memory decoding off: the BAR writes would go nowhere, so nothing is enabled.
    I6300esbModel off;
    CHECK(esb::arm(off.config(), off.mmio(), 30000) == Status::device_error);
    CHECK(esb::ping(off.mmio()) == Status::device_error);
    CHECK_FALSE(off.enabled());
    for (const Access& a : off.log.writes(C)) CHECK(a.offset != 0x68);

    // Enabled, but the enable does not stick when cleared.
    I6300esbModel stuck;
    decode(stuck);
    REQUIRE(esb::arm(stuck.config(), stuck.mmio(), 30000) == Status::ok);
    stuck.drop_writes = true;
    CHECK(esb::disarm(stuck.config(), stuck.mmio()) == Status::device_error);
}

TEST_CASE("i6300esb: timeouts outside the range are refused, not clamped", "[i6300esb]") {
    I6300esbModel m;
    decode(m);
    for (uint32_t t : {0u, 1u, esb::kMinTimeoutMs - 1, esb::kMaxTimeoutMs + 1, 0xFFFFFFFFu}) {
        INFO("timeout " << t);
        CHECK(esb::arm(m.config(), m.mmio(), t) == Status::invalid_argument);
    }
    CHECK(m.log.writes().empty());
    CHECK_FALSE(m.enabled());

    REQUIRE(esb::arm(m.config(), m.mmio(), esb::kMinTimeoutMs) == Status::ok);
    REQUIRE(esb::arm(m.config(), m.mmio(), esb::kMaxTimeoutMs) == Status::ok);
    CHECK(m.preload1() == esb::kMaxPreload);
    CHECK(m.preload2() == esb::kMaxPreload);
}

TEST_CASE("i6300esb: reset cause after power-on, watchdog reset and other resets", "[i6300esb]") {
    I6300esbModel m;
    decode(m);
    CHECK(esb::read_reset_cause(m.mmio()) == ResetCause::power_on);

    REQUIRE(esb::arm(m.config(), m.mmio(), 3000) == Status::ok);
    m.advance_ms(3001);
    REQUIRE(m.resets_fired() == 1);
    CHECK_FALSE(m.decoding());  // the system reset turned decoding off again
    CHECK_FALSE(m.enabled());

    // Next boot: without decoding the cause cannot be read.
    CHECK(esb::read_reset_cause(m.mmio()) == ResetCause::unknown);
    // Not decoding: the clear cannot have reached the device, and says so.
    CHECK(esb::clear_reset_cause(m.mmio()) == Status::device_error);
    decode(m);
    CHECK(esb::read_reset_cause(m.mmio()) == ResetCause::watchdog);

    SECTION("not cleared: a later ordinary reset is misreported") {
        m.system_reset();
        decode(m);
        CHECK(esb::read_reset_cause(m.mmio()) == ResetCause::watchdog);
    }
    SECTION("cleared: a later ordinary reset reads as power-on") {
        m.log.clear();
        CHECK(esb::clear_reset_cause(m.mmio()) == Status::ok);
        CHECK(m.log.writes() == unlocked(16, 0x0C, 0x0200));
        CHECK(esb::read_reset_cause(m.mmio()) == ResetCause::power_on);
        m.system_reset();
        decode(m);
        CHECK(esb::read_reset_cause(m.mmio()) == ResetCause::power_on);
        require_every_write_unlocked(m);
    }
    SECTION("power cycle clears it") {
        m.power_on();
        decode(m);
        CHECK(esb::read_reset_cause(m.mmio()) == ResetCause::power_on);
    }
}

TEST_CASE("i6300esb: clearing the flag does not feed a running timer", "[i6300esb]") {
    I6300esbModel m;
    decode(m);
    REQUIRE(esb::arm(m.config(), m.mmio(), 10000) == Status::ok);
    m.advance_ms(9000);
    REQUIRE(esb::clear_reset_cause(m.mmio()) == Status::ok);
    m.advance_ms(1001);
    CHECK(m.resets_fired() == 1);
}

TEST_CASE("i6300esb: a whole boot keeps every BAR0 write behind an unlock", "[i6300esb]") {
    I6300esbModel m;
    REQUIRE(esb::enable_decoding(m.config()) == Status::ok);
    (void)esb::read_reset_cause(m.mmio());
    REQUIRE(esb::clear_reset_cause(m.mmio()) == Status::ok);
    REQUIRE(esb::arm(m.config(), m.mmio(), 30000) == Status::ok);
    for (int i = 0; i < 5; ++i) {
        m.advance_ms(20000);
        REQUIRE(esb::ping(m.mmio()) == Status::ok);
    }
    REQUIRE(esb::disarm(m.config(), m.mmio()) == Status::ok);
    CHECK(m.resets_fired() == 0);
    require_every_write_unlocked(m);
}
