// The KCS transaction against a model of QEMU 7.2's isa-ipmi-kcs and a BMC behind it.
#include <catch2/catch.hpp>

#include "bmc_model.hpp"
#include "wdboot/ipmi_kcs.hpp"

using namespace wdboot;
using wdboot::test::BmcModel;

namespace {

constexpr ipmi::Request kGetDeviceId{0x06, 0x01, nullptr, 0};
const auto kDeviceIdKey = std::make_pair(uint8_t{0x06}, uint8_t{0x01});

// The whole transaction may stall at most the budget (plus one poll interval).
void check_bounded(const ipmi::Kcs& kcs, const BmcModel& m) {
    CHECK(kcs.last_stalled_us() <= ipmi::kTransactionBudgetUs + ipmi::kPollIntervalUs);
    CHECK(m.now_us() <= ipmi::kTransactionBudgetUs + ipmi::kPollIntervalUs);
}

}  // namespace

TEST_CASE("ipmi kcs: Get Device ID round trip leaves the interface idle", "[ipmi][kcs]") {
    BmcModel m;
    ipmi::Kcs kcs(m.io(), 1, m.delay());
    ipmi::Response rsp{};
    REQUIRE(kcs.transact(kGetDeviceId, rsp) == Status::ok);
    CHECK(rsp.completion_code == 0);
    REQUIRE(rsp.length == 11);
    CHECK(rsp.data[0] == 0x20);
    CHECK(rsp.data[4] == 0x02);
    CHECK(m.idle());
    REQUIRE(m.handled().size() == 1);
    CHECK(m.handled()[0].netfn == 0x06);
    CHECK(m.handled()[0].cmd == 0x01);
    CHECK(m.handled()[0].data.empty());
    CHECK(kcs.last_stalled_us() == 0);  // QEMU answers at once: no stall needed
}

TEST_CASE("ipmi kcs: request data reaches the BMC byte for byte", "[ipmi][kcs]") {
    BmcModel m;
    ipmi::Kcs kcs(m.io(), 1, m.delay());
    const uint8_t set[6] = {0x03, 0x00, 0x00, 0x00, 0x2C, 0x01};
    ipmi::Response rsp{};
    REQUIRE(kcs.transact({0x06, 0x24, set, sizeof(set)}, rsp) == Status::ok);
    CHECK(rsp.completion_code == 0);
    CHECK(rsp.length == 0);
    REQUIRE(m.handled().size() == 1);
    CHECK(m.handled()[0].data == std::vector<uint8_t>(set, set + 6));
    // And twice in a row: the interface really is idle between transactions.
    REQUIRE(kcs.transact({0x06, 0x24, set, sizeof(set)}, rsp) == Status::ok);
    CHECK(m.handled().size() == 2);
}

TEST_CASE("ipmi kcs: register spacing is a parameter", "[ipmi][kcs]") {
    for (uint32_t spacing : {1u, 4u, 16u}) {
        INFO("spacing " << spacing);
        BmcModel m(spacing);
        ipmi::Kcs kcs(m.io(), spacing, m.delay());
        ipmi::Response rsp{};
        CHECK(kcs.transact(kGetDeviceId, rsp) == Status::ok);
        CHECK(m.idle());
    }
    // The wrong spacing reads an undecoded offset: all ones, no BMC there.
    BmcModel m(4);
    ipmi::Kcs kcs(m.io(), 1, m.delay());
    ipmi::Response rsp{};
    CHECK(kcs.transact(kGetDeviceId, rsp) == Status::not_found);
    CHECK(m.handled().empty());
}

TEST_CASE("ipmi kcs: a slow BMC is polled until it takes each byte", "[ipmi][kcs]") {
    BmcModel m;
    m.process_delay_us = 250;
    ipmi::Kcs kcs(m.io(), 1, m.delay());
    ipmi::Response rsp{};
    REQUIRE(kcs.transact(kGetDeviceId, rsp) == Status::ok);
    CHECK(rsp.length == 11);
    CHECK(kcs.last_stalled_us() >= 250);
    CHECK(m.idle());
}

TEST_CASE("ipmi kcs: absent BMC (ports read 0xFF) is not_found at once", "[ipmi][kcs]") {
    BmcModel m;
    m.absent = true;
    ipmi::Kcs kcs(m.io(), 1, m.delay());
    ipmi::Response rsp{};
    CHECK(kcs.transact(kGetDeviceId, rsp) == Status::not_found);
    CHECK(kcs.last_stalled_us() == 0);
    CHECK(m.now_us() == 0);
}

TEST_CASE("ipmi kcs: ports that read 0x00 and ignore writes end in device_error within the budget", "[ipmi][kcs]") {
    // Looks idle, but never enters the write state nor offers a byte.
    BmcModel m;
    m.floating_low = true;
    ipmi::Kcs kcs(m.io(), 1, m.delay());
    ipmi::Response rsp{};
    CHECK(kcs.transact(kGetDeviceId, rsp) == Status::device_error);
    check_bounded(kcs, m);
}

TEST_CASE("ipmi kcs: IBF that never clears ends in device_error within the budget", "[ipmi][kcs]") {
    BmcModel m;
    m.ibf_stuck = true;
    ipmi::Kcs kcs(m.io(), 1, m.delay());
    ipmi::Response rsp{};
    CHECK(kcs.transact(kGetDeviceId, rsp) == Status::device_error);
    check_bounded(kcs, m);
    CHECK(kcs.last_stalled_us() >= ipmi::kTransactionBudgetUs);
    CHECK(m.handled().empty());
}

TEST_CASE("ipmi kcs: a BMC that takes the request but never answers ends in device_error", "[ipmi][kcs]") {
    BmcModel m;
    m.hang_on_request = true;
    ipmi::Kcs kcs(m.io(), 1, m.delay());
    ipmi::Response rsp{};
    CHECK(kcs.transact(kGetDeviceId, rsp) == Status::device_error);
    check_bounded(kcs, m);
}

TEST_CASE("ipmi kcs: an interface stuck in the error state ends in device_error", "[ipmi][kcs]") {
    BmcModel m;
    m.error_always = true;
    ipmi::Kcs kcs(m.io(), 1, m.delay());
    ipmi::Response rsp{};
    CHECK(kcs.transact(kGetDeviceId, rsp) == Status::device_error);
    check_bounded(kcs, m);
    CHECK(m.handled().empty());
}

TEST_CASE("ipmi kcs: an interface left in the error state is recovered with GET_STATUS/ABORT", "[ipmi][kcs]") {
    BmcModel m;
    m.leave_in_error();
    ipmi::Kcs kcs(m.io(), 1, m.delay());
    ipmi::Response rsp{};
    REQUIRE(kcs.transact(kGetDeviceId, rsp) == Status::ok);
    CHECK(rsp.length == 11);
    CHECK(m.idle());
    CHECK(m.handled().size() == 1);
}

TEST_CASE("ipmi kcs: the error state is recovered before the first attempt, not by it", "[ipmi][kcs]") {
    // Left in the error state and then one glitch: the up-front recovery leaves both
    // attempts for the request, so the retry absorbs the glitch.
    BmcModel m;
    m.leave_in_error();
    m.glitches = 1;
    ipmi::Kcs kcs(m.io(), 1, m.delay());
    ipmi::Response rsp{};
    REQUIRE(kcs.transact(kGetDeviceId, rsp) == Status::ok);
    CHECK(m.handled().size() == 1);
}

TEST_CASE("ipmi kcs: one glitch is recovered and retried, two are device_error", "[ipmi][kcs]") {
    BmcModel m;
    m.glitches = 1;
    ipmi::Kcs kcs(m.io(), 1, m.delay());
    ipmi::Response rsp{};
    REQUIRE(kcs.transact(kGetDeviceId, rsp) == Status::ok);
    CHECK(m.handled().size() == 1);
    CHECK(m.idle());

    BmcModel m2;
    m2.glitches = 2;
    ipmi::Kcs kcs2(m2.io(), 1, m2.delay());
    CHECK(kcs2.transact(kGetDeviceId, rsp) == Status::device_error);
    CHECK(m2.handled().empty());
    CHECK(m2.idle());  // the final error exit leaves it usable for Linux
}

TEST_CASE("ipmi kcs: a response without a completion code is bad_size", "[ipmi][kcs]") {
    BmcModel m;
    m.short_response[kDeviceIdKey] = true;
    ipmi::Kcs kcs(m.io(), 1, m.delay());
    ipmi::Response rsp{};
    CHECK(kcs.transact(kGetDeviceId, rsp) == Status::bad_size);
    CHECK(m.idle());
}

TEST_CASE("ipmi kcs: a response longer than the buffer is read to the end and bad_size", "[ipmi][kcs]") {
    BmcModel m;
    m.long_response[kDeviceIdKey] = ipmi::kMaxResponseData + 1;
    ipmi::Kcs kcs(m.io(), 1, m.delay());
    ipmi::Response rsp{};
    CHECK(kcs.transact(kGetDeviceId, rsp) == Status::bad_size);
    CHECK(m.idle());
    // Exactly the buffer is fine.
    m.long_response[kDeviceIdKey] = ipmi::kMaxResponseData;
    REQUIRE(kcs.transact(kGetDeviceId, rsp) == Status::ok);
    CHECK(rsp.length == ipmi::kMaxResponseData);
}

TEST_CASE("ipmi kcs: a response to another command is device_error", "[ipmi][kcs]") {
    BmcModel m;
    m.wrong_cmd_response[kDeviceIdKey] = true;
    ipmi::Kcs kcs(m.io(), 1, m.delay());
    ipmi::Response rsp{};
    CHECK(kcs.transact(kGetDeviceId, rsp) == Status::device_error);
    CHECK(m.idle());
}

TEST_CASE("ipmi kcs: the completion code is passed to the caller", "[ipmi][kcs]") {
    BmcModel m;
    m.forced_cc[kDeviceIdKey] = 0xD5;
    ipmi::Kcs kcs(m.io(), 1, m.delay());
    ipmi::Response rsp{};
    REQUIRE(kcs.transact(kGetDeviceId, rsp) == Status::ok);
    CHECK(rsp.completion_code == 0xD5);
    CHECK(rsp.length == 0);
}

TEST_CASE("ipmi kcs: request data beyond the limit is refused before any access", "[ipmi][kcs]") {
    BmcModel m;
    ipmi::Kcs kcs(m.io(), 1, m.delay());
    uint8_t big[ipmi::kMaxRequestData + 1] = {};
    ipmi::Response rsp{};
    CHECK(kcs.transact({0x06, 0x24, big, sizeof(big)}, rsp) == Status::invalid_argument);
    CHECK(kcs.transact({0x06, 0x24, nullptr, 3}, rsp) == Status::invalid_argument);
    CHECK(m.status_reads() == 0);
    CHECK(m.handled().empty());
}
