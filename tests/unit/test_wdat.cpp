// The WDAT parser and interpreter: validation of every field we refuse, the
// interpreter's semantics (wdat_wdt.c) against a plain register model, and the q35
// TCO table of qemu/acpi/ against the QEMU TCO model, ending as itco::arm leaves it.
#include <catch2/catch.hpp>

#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "itco_model.hpp"
#include "wdat_model.hpp"
#include "wdboot/itco.hpp"
#include "wdboot/wdat.hpp"

using namespace wdboot;
using wdboot::test::Access;
using wdboot::test::ItcoModel;
using wdboot::test::SpaceModel;
using wdboot::test::TcoSpaces;
using wdboot::test::WdatBuilder;
using wdboot::test::WdatEntry;
using wdboot::test::wr;

namespace {

constexpr char I = 'i';
constexpr char M = 'm';
constexpr uint32_t kIoBase = 0x400;
constexpr uint32_t kMemBase = 0xFEE00000;

constexpr uint8_t kIo = wdat::kSpaceSystemIo;
constexpr uint8_t kMem = wdat::kSpaceSystemMemory;
constexpr uint8_t kP = wdat::kPreserveRegister;

// A generic watchdog: period 1 s, counts 2..600.
//   0x400 (word) command: writing 0x5A pings
//   0x402 (word) bits 13:4 countdown (preserve)
//   0x404 (byte) bit 2 reboot-on-expiry (preserve)
//   0x406 (byte) bit 7 "fired" status (read/write, cleared by writing 0, preserve)
//   0xFEE00010 (dword) bit 0 running (preserve)
WdatBuilder generic() {
    WdatBuilder b;
    b.add({0x01, 0x02, kIo, 16, 0, 2, 0x400, 0x5A, 0xFF})
        .add({0x06, 0x03 | kP, kIo, 16, 4, 2, 0x402, 0, 0x3FF})
        .add({0x05, 0x01, kIo, 16, 4, 2, 0x402, 0, 0x3FF})
        .add({0x11, 0x02 | kP, kIo, 8, 2, 1, 0x404, 1, 1})
        .add({0x09, 0x02 | kP, kMem, 32, 0, 3, kMemBase + 0x10, 1, 1})
        .add({0x08, 0x00, kMem, 32, 0, 3, kMemBase + 0x10, 1, 1})
        .add({0x0B, 0x02 | kP, kMem, 32, 0, 3, kMemBase + 0x10, 0, 1})
        .add({0x0A, 0x00, kMem, 32, 0, 3, kMemBase + 0x10, 0, 1})
        .add({0x20, 0x00, kIo, 8, 7, 1, 0x406, 1, 1})
        .add({0x21, 0x02 | kP, kIo, 8, 7, 1, 0x406, 0, 1});
    return b;
}

// Both spaces also log into `all`, so tests see the order across windows.
struct Machine {
    SpaceModel io{I, kIoBase, 0x10};
    SpaceModel mem{M, kMemBase, 0x100};
    wdboot::test::RegisterLog all;
    Machine() {
        io.also = &all;
        mem.also = &all;
    }
    Machine(const Machine&) = delete;
    Machine& operator=(const Machine&) = delete;
    std::vector<Access> writes() const { return all.writes(); }
    void clear_logs() {
        io.log.clear();
        mem.log.clear();
        all.clear();
    }
};

Status parse_bytes(const std::vector<uint8_t>& t, wdat::Wdat& w) { return wdat::parse(t.data(), t.size(), w); }

Status parse_with(WdatEntry e, wdat::Wdat& w) {
    WdatBuilder b = generic();
    b.add(e);
    return parse_bytes(b.bytes(), w);
}

std::vector<uint8_t> read_aml() {
    std::string path = WDBOOT_WDAT_AML;
    if (path.empty()) {
        FAIL("iasl was not found when CMake configured the build, so qemu/acpi/wdat-q35-tco.asl was not "
             "compiled: install acpica-tools (Debian) and reconfigure");
    }
    std::ifstream f(path, std::ios::binary);
    if (!f) FAIL("cannot read the compiled table " << path);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("wdat: a good table parses with its fields and entries in table order", "[wdat]") {
    wdat::Wdat w;
    REQUIRE(parse_bytes(generic().bytes(), w) == Status::ok);
    CHECK(w.pci_segment == 0x00FF);
    CHECK(w.pci_bus == 0xFF);
    CHECK(w.timer_period_ms == 1000);
    CHECK(w.min_count == 2);
    CHECK(w.max_count == 600);
    CHECK(wdat::is_enabled(w));
    REQUIRE(w.count == 10);
    CHECK(w.instructions[0].action == wdat::Action::reset);
    CHECK(w.instructions[1].instruction == (wdat::kWriteCountdown | wdat::kPreserveRegister));
    CHECK(w.instructions[1].reg.bit_offset == 4);
    CHECK(w.instructions[1].reg.access_bytes == 2);
    CHECK(w.instructions[4].reg.space == wdat::kSpaceSystemMemory);
    CHECK(w.instructions[4].reg.address == kMemBase + 0x10);
    CHECK(w.instructions[4].reg.access_bytes == 4);
    CHECK(w.instructions[3].reg.access_bytes == 1);
    CHECK(wdat::check_arm_actions(w) == Status::ok);
    CHECK(wdat::has_action(w, wdat::Action::set_reboot));
    CHECK_FALSE(wdat::has_action(w, wdat::Action::query_reboot));
    CHECK(std::string(w.problem).empty());

    WdatBuilder off = generic();
    off.flags = wdat::kFlagStoppedInSleep;
    REQUIRE(parse_bytes(off.bytes(), w) == Status::ok);
    CHECK_FALSE(wdat::is_enabled(w));
}

TEST_CASE("wdat: a damaged table is refused with its status and problem", "[wdat]") {
    wdat::Wdat w;
    std::vector<uint8_t> good = generic().bytes();

    std::vector<uint8_t> t = good;
    t[0] = 'X';
    t[9] = static_cast<uint8_t>(t[9] + 'W' - 'X');  // checksum still right
    CHECK(parse_bytes(t, w) == Status::bad_magic);

    WdatBuilder b = generic();
    b.bad_checksum = true;
    CHECK(parse_bytes(b.bytes(), w) == Status::bad_crc);
    CHECK(std::string(w.problem) == "checksum");

    // Truncated: fewer bytes than the table's Length.
    CHECK(wdat::parse(good.data(), good.size() - 1, w) == Status::bad_size);
    CHECK(wdat::parse(good.data(), 35, w) == Status::bad_size);
    CHECK(wdat::parse(nullptr, 0, w) == Status::bad_size);

    b = generic();
    b.entries.clear();
    b.count_override = 0;
    b.length_override = 67;  // one byte short of the watchdog header
    CHECK(parse_bytes(b.bytes(), w) == Status::bad_size);

    b = generic();
    b.count_override = 11;  // one entry more than Length holds
    CHECK(parse_bytes(b.bytes(), w) == Status::bad_size);
    CHECK(std::string(w.problem) == "entries beyond the table Length");

    b = generic();
    b.header_length = 36;
    CHECK(parse_bytes(b.bytes(), w) == Status::bad_size);

    b = generic();
    b.period_ms = 0;
    CHECK(parse_bytes(b.bytes(), w) == Status::bad_field);
    b = generic();
    b.min_count = 601;
    CHECK(parse_bytes(b.bytes(), w) == Status::bad_field);
    b = generic();
    b.max_count = 0;
    b.min_count = 0;
    CHECK(parse_bytes(b.bytes(), w) == Status::bad_field);
}

TEST_CASE("wdat: more than 64 entries is no_space, 64 fit", "[wdat]") {
    WdatBuilder b;
    for (int i = 0; i < 64; ++i) b.add({0x01, 0x02, kIo, 16, 0, 2, 0x400, 0x5A, 0xFF});
    wdat::Wdat w;
    REQUIRE(parse_bytes(b.bytes(), w) == Status::ok);
    CHECK(w.count == 64);
    b.add({0x01, 0x02, kIo, 16, 0, 2, 0x400, 0x5A, 0xFF});
    CHECK(parse_bytes(b.bytes(), w) == Status::no_space);
    CHECK(w.count == 0);
}

TEST_CASE("wdat: each bad instruction entry is refused and named", "[wdat]") {
    struct Case {
        const char* what;
        WdatEntry entry;
        Status want;
    };
    const Case cases[] = {
        {"PCI configuration space", {0x01, 0x02, 0x02, 16, 0, 2, 0x400, 1, 1}, Status::unsupported},
        {"embedded controller space", {0x01, 0x02, 0x03, 8, 0, 1, 0x400, 1, 1}, Status::unsupported},
        {"functional fixed hardware", {0x01, 0x02, 0x7F, 8, 0, 1, 0x400, 1, 1}, Status::unsupported},
        {"access width 0 (undefined)", {0x01, 0x02, kIo, 16, 0, 0, 0x400, 1, 1}, Status::bad_field},
        {"access width 5", {0x01, 0x02, kIo, 16, 0, 5, 0x400, 1, 1}, Status::bad_field},
        {"QWORD I/O", {0x01, 0x02, kIo, 64, 0, 4, 0x400, 1, 1}, Status::unsupported},
        {"QWORD memory", {0x01, 0x02, kMem, 64, 0, 4, kMemBase, 1, 1}, Status::unsupported},
        {"bit offset 16 in a word", {0x01, 0x02, kIo, 16, 16, 2, 0x400, 1, 1}, Status::bad_field},
        {"bit offset 8 in a byte", {0x01, 0x02, kIo, 8, 8, 1, 0x400, 1, 1}, Status::bad_field},
        {"instruction kind 4", {0x01, 0x04, kIo, 16, 0, 2, 0x400, 1, 1}, Status::bad_field},
        {"instruction kind 4 with preserve", {0x01, 0x84, kIo, 16, 0, 2, 0x400, 1, 1}, Status::bad_field},
        {"instruction with reserved bit 0x40", {0x01, 0x42, kIo, 16, 0, 2, 0x400, 1, 1}, Status::bad_field},
        {"I/O port 0x10000", {0x01, 0x02, kIo, 8, 0, 1, 0x10000, 1, 1}, Status::bad_field},
        {"word port 0xFFFF crosses 0xFFFF", {0x01, 0x02, kIo, 16, 0, 2, 0xFFFF, 1, 1}, Status::bad_field},
        {"memory at 4 GiB", {0x01, 0x02, kMem, 32, 0, 3, 0x100000000ull, 1, 1}, Status::unsupported},
        {"dword memory crossing 4 GiB", {0x01, 0x02, kMem, 32, 0, 3, 0xFFFFFFFEull, 1, 1}, Status::unsupported},
        {"memory far above 4 GiB", {0x01, 0x02, kMem, 32, 0, 3, 0xFED1F410ull << 8, 1, 1}, Status::unsupported},
    };
    for (const Case& c : cases) {
        INFO(c.what);
        wdat::Wdat w;
        CHECK(parse_with(c.entry, w) == c.want);
        CHECK(w.problem_entry == 10);  // the entry added after generic()'s ten
        CHECK_FALSE(std::string(w.problem).empty());
        CHECK(w.count == 0);
    }
    // The edges that are still fine.
    wdat::Wdat w;
    CHECK(parse_with({0x01, 0x02, kIo, 16, 0, 2, 0xFFFE, 1, 1}, w) == Status::ok);
    CHECK(parse_with({0x01, 0x02, kIo, 8, 7, 1, 0xFFFF, 1, 1}, w) == Status::ok);
    CHECK(parse_with({0x01, 0x02, kMem, 32, 31, 3, 0xFFFFFFFCull, 1, 1}, w) == Status::ok);
}

TEST_CASE("wdat: entries of undefined actions are skipped, only their address space checked, as Linux does", "[wdat]") {
    wdat::Wdat w;
    REQUIRE(parse_with({0x22, 0x02, kMem, 16, 0, 0, 0x100000000ull, 1, 1}, w) == Status::ok);
    CHECK(w.count == 10);
    REQUIRE(parse_with({0x07, 0x09, kIo, 16, 0, 2, 0x400, 1, 1}, w) == Status::ok);
    CHECK(w.count == 10);
    CHECK(parse_with({0x22, 0x02, 0x02, 16, 0, 2, 0x400, 1, 1}, w) == Status::unsupported);
    CHECK(w.problem_entry == 10);
}

TEST_CASE("wdat: timeout range is period x min .. period x max, saturating", "[wdat]") {
    wdat::Wdat w;
    REQUIRE(parse_bytes(generic().bytes(), w) == Status::ok);
    CHECK(wdat::min_timeout_ms(w) == 2000);
    CHECK(wdat::max_timeout_ms(w) == 600000);
    CHECK(wdat::count_for(w, 1) == 1);
    CHECK(wdat::count_for(w, 1000) == 1);
    CHECK(wdat::count_for(w, 1001) == 2);
    CHECK(wdat::count_for(w, 0xFFFFFFFFu) == 4294968u);

    WdatBuilder big = generic();
    big.period_ms = 0xFFFFFFFFu;
    big.max_count = 0xFFFFFFFFu;
    REQUIRE(parse_bytes(big.bytes(), w) == Status::ok);
    CHECK(wdat::max_timeout_ms(w) == 0xFFFFFFFFu);
    CHECK(wdat::min_timeout_ms(w) == 0xFFFFFFFFu);
    {
        // Both ends saturated: the largest timeout is one count, below min_count 2.
        Machine m;
        CHECK(wdat::arm(w, m.io, m.mem, 0xFFFFFFFFu) == Status::invalid_argument);
        CHECK(m.writes().empty());
    }

    WdatBuilder zero_min = generic();
    zero_min.min_count = 0;
    REQUIRE(parse_bytes(zero_min.bytes(), w) == Status::ok);
    CHECK(wdat::min_timeout_ms(w) == 1000);
}

TEST_CASE("wdat: arm runs the actions in order with preserve semantics", "[wdat]") {
    Machine m;
    m.io.poke(0x402, 16, 0xF00F);  // bits outside the countdown field must survive
    m.io.poke(0x404, 8, 0x81);
    m.mem.poke(kMemBase + 0x10, 32, 0xA5A5A5A4);
    wdat::Wdat w;
    REQUIRE(parse_bytes(generic().bytes(), w) == Status::ok);
    REQUIRE(wdat::arm(w, m.io, m.mem, 15000) == Status::ok);
    std::vector<Access> want{
        wr(I, 16, 0x402, 0xC00F | (15u << 4)),     // SET_COUNTDOWN_PERIOD, preserved
        wr(I, 8, 0x404, 0x85),                    // SET_REBOOT, preserved
        wr(I, 16, 0x400, 0x5A),                   // RESET
        wr(M, 32, kMemBase + 0x10, 0xA5A5A5A5),   // SET_RUNNING_STATE, preserved
    };
    CHECK(m.writes() == want);
    CHECK(w.armed_count == 15);
    CHECK(wdat::is_running(w, m.io, m.mem));

    m.clear_logs();
    REQUIRE(wdat::ping(w, m.io, m.mem) == Status::ok);
    CHECK(m.writes() == std::vector<Access>{wr(I, 16, 0x400, 0x5A)});

    m.clear_logs();
    REQUIRE(wdat::disarm(w, m.io, m.mem) == Status::ok);
    CHECK(m.writes() == std::vector<Access>{wr(M, 32, kMemBase + 0x10, 0xA5A5A5A4)});
    CHECK_FALSE(wdat::is_running(w, m.io, m.mem));
}

TEST_CASE("wdat: a timeout outside the range is refused, never clamped, nothing written", "[wdat]") {
    const uint32_t bad[] = {0, 1, 1000, 1999, 600001, 0xFFFFFFFFu};
    for (uint32_t t : bad) {
        INFO("timeout " << t);
        Machine m;
        wdat::Wdat w;
        REQUIRE(parse_bytes(generic().bytes(), w) == Status::ok);
        CHECK(wdat::arm(w, m.io, m.mem, t) == Status::invalid_argument);
        CHECK(m.writes().empty());
        CHECK(w.armed_count == 0);
    }
    const uint32_t good[] = {2000, 2001, 599001, 600000};
    for (uint32_t t : good) {
        INFO("timeout " << t);
        Machine m;
        wdat::Wdat w;
        REQUIRE(parse_bytes(generic().bytes(), w) == Status::ok);
        CHECK(wdat::arm(w, m.io, m.mem, t) == Status::ok);
        CHECK(w.armed_count == (t + 999) / 1000);
        CHECK(((m.io.peek(0x402, 16) >> 4) & 0x3FF) == w.armed_count);
    }
}

TEST_CASE("wdat: arm needs RESET, SET_COUNTDOWN_PERIOD and SET_RUNNING_STATE", "[wdat]") {
    const uint8_t required[] = {0x01, 0x06, 0x09};
    const char* names[] = {"RESET", "SET_COUNTDOWN_PERIOD", "SET_RUNNING_STATE"};
    for (int i = 0; i < 3; ++i) {
        INFO(names[i]);
        WdatBuilder b = generic();
        std::vector<WdatEntry> kept;
        for (const WdatEntry& e : b.entries) {
            if (e.action != required[i]) kept.push_back(e);
        }
        b.entries = kept;
        Machine m;
        wdat::Wdat w;
        REQUIRE(parse_bytes(b.bytes(), w) == Status::ok);
        CHECK(wdat::check_arm_actions(w) == Status::unsupported);
        CHECK(std::string(w.problem).find(names[i]) != std::string::npos);
        w.problem = "";
        CHECK(wdat::arm(w, m.io, m.mem, 15000) == Status::unsupported);
        CHECK(std::string(w.problem).find(names[i]) != std::string::npos);
        CHECK(m.writes().empty());
    }
}

TEST_CASE("wdat: arm reports a device that does not take the writes", "[wdat]") {
    wdat::Wdat w;
    REQUIRE(parse_bytes(generic().bytes(), w) == Status::ok);
    {
        Machine m;
        m.io.drop_writes = true;  // countdown does not read back
        CHECK(wdat::arm(w, m.io, m.mem, 15000) == Status::device_error);
        CHECK(std::string(w.problem) == "countdown period did not read back");
    }
    {
        Machine m;
        m.mem.drop_writes = true;  // QUERY_RUNNING_STATE stays false
        CHECK(wdat::arm(w, m.io, m.mem, 15000) == Status::device_error);
        CHECK(w.armed_count == 0);
    }
    {
        // Without the query actions nothing can be checked: ok is all arm can say.
        WdatBuilder b = generic();
        std::vector<WdatEntry> kept;
        for (const WdatEntry& e : b.entries) {
            if (e.action != 0x05 && e.action != 0x08) kept.push_back(e);
        }
        b.entries = kept;
        wdat::Wdat nq;
        REQUIRE(parse_bytes(b.bytes(), nq) == Status::ok);
        Machine m;
        m.mem.drop_writes = true;
        m.io.drop_writes = true;
        CHECK(wdat::arm(nq, m.io, m.mem, 15000) == Status::ok);
    }
}

TEST_CASE("wdat: disarm verifies the stopped state and needs SET_STOPPED_STATE", "[wdat]") {
    wdat::Wdat w;
    REQUIRE(parse_bytes(generic().bytes(), w) == Status::ok);
    Machine m;
    REQUIRE(wdat::arm(w, m.io, m.mem, 15000) == Status::ok);
    m.mem.drop_writes = true;
    CHECK(wdat::disarm(w, m.io, m.mem) == Status::device_error);

    WdatBuilder b = generic();
    std::vector<WdatEntry> kept;
    for (const WdatEntry& e : b.entries) {
        if (e.action != 0x0B) kept.push_back(e);
    }
    b.entries = kept;
    REQUIRE(parse_bytes(b.bytes(), w) == Status::ok);
    Machine n;
    CHECK(wdat::disarm(w, n.io, n.mem) == Status::unsupported);
    CHECK(std::string(w.problem).find("SET_STOPPED_STATE") != std::string::npos);
    CHECK(n.writes().empty());
}

TEST_CASE("wdat: reset cause from QUERY_WATCHDOG_STATUS, cleared by SET_WATCHDOG_STATUS", "[wdat]") {
    wdat::Wdat w;
    REQUIRE(parse_bytes(generic().bytes(), w) == Status::ok);
    Machine m;
    m.io.poke(0x406, 8, 0x7F);
    CHECK(wdat::read_reset_cause(w, m.io, m.mem) == ResetCause::power_on);
    m.io.poke(0x406, 8, 0xFF);
    CHECK(wdat::read_reset_cause(w, m.io, m.mem) == ResetCause::watchdog);
    REQUIRE(wdat::clear_reset_cause(w, m.io, m.mem) == Status::ok);
    CHECK(m.io.log.writes() == std::vector<Access>{wr(I, 8, 0x406, 0x7F)});  // preserve kept bits 6:0
    CHECK(wdat::read_reset_cause(w, m.io, m.mem) == ResetCause::power_on);

    m.io.poke(0x406, 8, 0x80);
    m.io.drop_writes = true;
    CHECK(wdat::clear_reset_cause(w, m.io, m.mem) == Status::device_error);

    // No status actions: the table cannot tell, and there is nothing to clear.
    WdatBuilder b = generic();
    std::vector<WdatEntry> kept;
    for (const WdatEntry& e : b.entries) {
        if (e.action != 0x20 && e.action != 0x21) kept.push_back(e);
    }
    b.entries = kept;
    REQUIRE(parse_bytes(b.bytes(), w) == Status::ok);
    Machine n;
    CHECK(wdat::read_reset_cause(w, n.io, n.mem) == ResetCause::unknown);
    CHECK(wdat::clear_reset_cause(w, n.io, n.mem) == Status::ok);
    CHECK(n.io.log.all().empty());

    // A status it can read but not clear would report every later boot as a
    // watchdog reset: refused by name.
    b.add({0x20, 0x00, kIo, 8, 7, 1, 0x406, 1, 1});
    REQUIRE(parse_bytes(b.bytes(), w) == Status::ok);
    CHECK(wdat::clear_reset_cause(w, n.io, n.mem) == Status::unsupported);
    CHECK(std::string(w.problem).find("SET_WATCHDOG_STATUS") != std::string::npos);
}

TEST_CASE("wdat: the interpreter's READ and WRITE semantics", "[wdat]") {
    WdatBuilder b;
    // Two reads in one action: the last read is the answer.
    b.add({0x20, 0x00, kIo, 16, 3, 2, 0x400, 0x5, 0x7})   // (reg >> 3) & 7 == 5
        .add({0x20, 0x00, kIo, 16, 0, 2, 0x402, 0x1, 0x1})
        .add({0x04, 0x01, kIo, 16, 6, 2, 0x404, 0, 0x3F})  // (reg >> 6) & 0x3F
        .add({0x13, 0x02, kIo, 16, 4, 2, 0x406, 0xABC, 0xF0})  // (value & mask) << 4, no preserve
        .add({0x12, 0x83, kIo, 16, 8, 2, 0x408, 0, 0x0F})   // countdown & 0xF << 8, preserve
        .add({0x12, 0x03, kIo, 16, 0, 2, 0x40A, 0, 0xFFFF}); // second entry of the same action
    wdat::Wdat w;
    REQUIRE(parse_bytes(b.bytes(), w) == Status::ok);
    Machine m;
    uint32_t r = 99;

    m.io.poke(0x400, 16, 5u << 3);
    m.io.poke(0x402, 16, 0);
    REQUIRE(wdat::run_action(w, m.io, m.mem, wdat::Action::query_watchdog_status, 0, &r) == Status::ok);
    CHECK(r == 0);  // the first read matched, the second (last) did not
    m.io.poke(0x402, 16, 1);
    REQUIRE(wdat::run_action(w, m.io, m.mem, wdat::Action::query_watchdog_status, 0, &r) == Status::ok);
    CHECK(r == 1);

    m.io.poke(0x404, 16, 0xFFFF);
    REQUIRE(wdat::run_action(w, m.io, m.mem, wdat::Action::query_current_countdown_period, 0, &r) == Status::ok);
    CHECK(r == 0x3F);
    m.io.poke(0x404, 16, 0x1A5 << 6);
    REQUIRE(wdat::run_action(w, m.io, m.mem, wdat::Action::query_current_countdown_period, 0, &r) == Status::ok);
    CHECK(r == (0x1A5u & 0x3F));

    m.io.poke(0x406, 16, 0xFFFF);
    REQUIRE(wdat::run_action(w, m.io, m.mem, wdat::Action::set_shutdown, 7, nullptr) == Status::ok);
    CHECK(m.io.peek(0x406, 16) == ((0xABCu & 0xF0) << 4));  // no preserve: the rest is 0

    m.io.poke(0x408, 16, 0xFFFF);
    m.clear_logs();
    REQUIRE(wdat::run_action(w, m.io, m.mem, wdat::Action::query_shutdown, 0x123, nullptr) == Status::ok);
    CHECK(m.io.peek(0x408, 16) == 0xF3FF);  // 0x123 & 0xF = 3 at bits 11:8, others kept
    CHECK(m.io.peek(0x40A, 16) == 0x0123);
    CHECK(m.io.log.writes() == std::vector<Access>{wr(I, 16, 0x408, 0xF3FF), wr(I, 16, 0x40A, 0x0123)});

    CHECK(wdat::run_action(w, m.io, m.mem, wdat::Action::reset, 0, &r) == Status::not_found);
    CHECK(wdat::ping(w, m.io, m.mem) == Status::unsupported);
}

TEST_CASE("wdat: action names", "[wdat]") {
    CHECK(std::string(wdat::to_string(wdat::Action::set_running_state)) == "SET_RUNNING_STATE");
    CHECK(std::string(wdat::to_string(wdat::Action::query_watchdog_status)) == "QUERY_WATCHDOG_STATUS");
    CHECK(std::string(wdat::to_string(static_cast<wdat::Action>(0x7E))) == "unknown action");
}

// ---------------------------------------------------------------------------------
// The table QEMU is given (qemu/acpi/wdat-q35-tco.asl, compiled by iasl at build time)
// against the QEMU TCO model.

namespace {

void boot(ItcoModel& m) {
    m.noreboot_strap = false;
    m.firmware_setup();
    m.log.clear();
}

struct TcoState {
    uint16_t tmr, cnt1, sts1, sts2;
    uint32_t gcs;
    bool counting;
    uint64_t ns_to_expiry;
    bool operator==(const TcoState&) const = default;
};

TcoState state(const ItcoModel& m) {
    return {m.tmr(), m.cnt1(), m.sts1(), m.sts2(), m.gcs(), m.counting(), m.ns_to_expiry()};
}

std::ostream& operator<<(std::ostream& os, const TcoState& s) {
    return os << std::hex << "tmr " << s.tmr << " cnt1 " << s.cnt1 << " sts1 " << s.sts1 << " sts2 " << s.sts2
              << " gcs " << s.gcs << std::dec << " counting " << s.counting << " ns " << s.ns_to_expiry;
}

}  // namespace

TEST_CASE("wdat: the q35 TCO table (qemu/acpi/wdat-q35-tco.asl) parses as declared", "[wdat]") {
    std::vector<uint8_t> aml = read_aml();
    wdat::Wdat w;
    REQUIRE(wdat::parse(aml.data(), aml.size(), w) == Status::ok);
    CHECK(w.pci_segment == 0x00FF);
    CHECK(w.timer_period_ms == 1200);
    CHECK(w.min_count == 4);
    CHECK(w.max_count == 0x3FF);
    CHECK(wdat::is_enabled(w));
    CHECK(wdat::min_timeout_ms(w) == itco::kMinTimeoutMs);
    CHECK(wdat::max_timeout_ms(w) == itco::kMaxTimeoutMs);
    const wdat::Action needed[] = {wdat::Action::reset,
                                   wdat::Action::set_countdown_period,
                                   wdat::Action::query_countdown_period,
                                   wdat::Action::set_running_state,
                                   wdat::Action::query_running_state,
                                   wdat::Action::set_stopped_state,
                                   wdat::Action::query_stopped_state,
                                   wdat::Action::set_reboot,
                                   wdat::Action::query_reboot,
                                   wdat::Action::query_watchdog_status,
                                   wdat::Action::set_watchdog_status};
    for (wdat::Action a : needed) {
        INFO(wdat::to_string(a));
        CHECK(wdat::has_action(w, a));
    }
    for (uint32_t ms = itco::kMinTimeoutMs; ms <= itco::kMaxTimeoutMs; ms += 997) {
        INFO("timeout " << ms);
        REQUIRE(wdat::count_for(w, ms) == itco::ticks_for(ms));
    }
}

TEST_CASE("wdat: the q35 TCO table arms, pings and disarms the TCO as itco does", "[wdat]") {
    std::vector<uint8_t> aml = read_aml();
    wdat::Wdat w;
    REQUIRE(wdat::parse(aml.data(), aml.size(), w) == Status::ok);

    const uint32_t timeouts[] = {itco::kMinTimeoutMs, 15000, 30001, itco::kMaxTimeoutMs};
    for (uint32_t t : timeouts) {
        INFO("timeout " << t << " ms");
        ItcoModel by_itco;
        ItcoModel by_wdat;
        boot(by_itco);
        boot(by_wdat);
        TcoSpaces spaces(by_wdat);
        REQUIRE(wdat::read_reset_cause(w, spaces.io(), spaces.mem()) == ResetCause::power_on);
        REQUIRE(itco::arm(by_itco.tco(), by_itco.rcrb(), t) == Status::ok);
        REQUIRE(wdat::arm(w, spaces.io(), spaces.mem(), t) == Status::ok);
        CHECK(state(by_wdat) == state(by_itco));
        CHECK((by_wdat.gcs() & itco::kGcsNoReboot) == 0);
        CHECK(itco::is_running(by_wdat.tco()));
        CHECK(wdat::is_running(w, spaces.io(), spaces.mem()));
        CHECK_FALSE(by_wdat.nmi_written());
        for (const Access& a : by_wdat.log.writes(ItcoModel::kTco)) {
            if (a.offset == itco::kTco1CntReg) CHECK((a.value & (itco::kTcoLock | itco::kNmiNow)) == 0);
        }

        // A ping half-way restarts the full count in both.
        by_itco.advance_ms(t / 2);
        by_wdat.advance_ms(t / 2);
        REQUIRE(itco::ping(by_itco.tco()) == Status::ok);
        REQUIRE(wdat::ping(w, spaces.io(), spaces.mem()) == Status::ok);
        // The table's RESET also clears a TIMEOUT of a first expiry (4.8 s: the ping
        // comes right at it), as iTCO_wdt's ping does on TCO v1; itco::ping does not.
        CHECK((by_wdat.sts1() & itco::kTimeoutSts) == 0);
        TcoState a = state(by_wdat);
        TcoState b = state(by_itco);
        b.sts1 = static_cast<uint16_t>(b.sts1 & ~itco::kTimeoutSts);
        CHECK(a == b);

        // Unfed: the reset comes at count x 1.2 s, never earlier.
        uint64_t at_ms = 1200ull * wdat::count_for(w, t);
        REQUIRE(at_ms >= t);
        by_wdat.advance_ns(at_ms * 1000000 - 1);
        CHECK(by_wdat.resets_fired() == 0);
        by_wdat.advance_ns(1);
        CHECK(by_wdat.resets_fired() == 1);
        by_wdat.firmware_setup();
        CHECK(wdat::read_reset_cause(w, spaces.io(), spaces.mem()) == ResetCause::watchdog);
        REQUIRE(wdat::clear_reset_cause(w, spaces.io(), spaces.mem()) == Status::ok);
        CHECK(wdat::read_reset_cause(w, spaces.io(), spaces.mem()) == ResetCause::power_on);
        CHECK(itco::read_reset_cause(by_wdat.tco()) == ResetCause::power_on);
    }
}

TEST_CASE("wdat: the q35 TCO table disarms like itco::disarm and refuses the noreboot pin", "[wdat]") {
    std::vector<uint8_t> aml = read_aml();
    wdat::Wdat w;
    REQUIRE(wdat::parse(aml.data(), aml.size(), w) == Status::ok);

    ItcoModel by_itco;
    ItcoModel by_wdat;
    boot(by_itco);
    boot(by_wdat);
    TcoSpaces spaces(by_wdat);
    REQUIRE(itco::arm(by_itco.tco(), by_itco.rcrb(), 15000) == Status::ok);
    REQUIRE(wdat::arm(w, spaces.io(), spaces.mem(), 15000) == Status::ok);
    REQUIRE(itco::disarm(by_itco.tco(), by_itco.rcrb()) == Status::ok);
    REQUIRE(wdat::disarm(w, spaces.io(), spaces.mem()) == Status::ok);
    CHECK(state(by_wdat) == state(by_itco));
    CHECK((by_wdat.cnt1() & itco::kTmrHalt) != 0);
    CHECK((by_wdat.gcs() & itco::kGcsNoReboot) != 0);
    CHECK_FALSE(wdat::is_running(w, spaces.io(), spaces.mem()));
    by_wdat.advance_ms(3600 * 1000);
    CHECK(by_wdat.resets_fired() == 0);

    // Armed again after a disarm: SET_RUNNING_STATE clears NO_REBOOT again.
    REQUIRE(wdat::arm(w, spaces.io(), spaces.mem(), 4800) == Status::ok);
    CHECK((by_wdat.gcs() & itco::kGcsNoReboot) == 0);

    // NO_REBOOT pinned by a strap: QUERY_REBOOT tells, arm says device_error.
    ItcoModel pinned;
    boot(pinned);
    pinned.no_reboot_pinned = true;
    TcoSpaces ps(pinned);
    CHECK(wdat::arm(w, ps.io(), ps.mem(), 15000) == Status::device_error);
    CHECK(std::string(w.problem) == "reboot mode did not stick");

    // Out of range for the TCO: refused before any TCO write.
    ItcoModel fresh;
    boot(fresh);
    TcoSpaces fs(fresh);
    CHECK(wdat::arm(w, fs.io(), fs.mem(), itco::kMinTimeoutMs - 1) == Status::invalid_argument);
    CHECK(wdat::arm(w, fs.io(), fs.mem(), itco::kMaxTimeoutMs + 1) == Status::invalid_argument);
    CHECK(fresh.log.writes().empty());
}
