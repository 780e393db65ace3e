// Parsing WdbootCurrent as the loader writes it, and the ways it can be odd.
#include <catch2/catch.hpp>

#include "agent_fixture.hpp"
#include "current_boot.hpp"

using namespace wdboot::agent;

namespace {
std::vector<uint8_t> bytes(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }
}  // namespace

TEST_CASE("the loader's format") {
    CurrentBoot cb;
    std::string err;
    REQUIRE(parse_current_boot(bytes("slot=primary index=0 boot_id=7 watchdog=i6300esb timeout=30 trial=0 forced=0"),
                               cb, err));
    CHECK(cb.slot == "primary");
    CHECK(cb.index == 0);
    CHECK(cb.boot_id == 7);
    CHECK(cb.watchdog == "i6300esb");
    CHECK(cb.timeout == 30);
    CHECK(cb.other.at("trial") == "0");
}

TEST_CASE("tolerated variations") {
    CurrentBoot cb;
    std::string err;
    SECTION("trailing NUL and newline, extra blanks, upper-case keys, quotes") {
        std::string s = "  SLOT=\"fallback\"\tBOOT_ID=12  watchdog=itco\n";
        s.push_back('\0');
        REQUIRE(parse_current_boot(bytes(s), cb, err));
        CHECK(cb.slot == "fallback");
        CHECK(cb.boot_id == 12);
        CHECK(cb.watchdog == "itco");
        CHECK(cb.timeout == 0);
    }
    SECTION("UTF-16LE") {
        REQUIRE(parse_current_boot(wdtest::utf16("slot=a boot_id=3"), cb, err));
        CHECK(cb.slot == "a");
        CHECK(cb.boot_id == 3);
    }
    SECTION("bad index and timeout are not fatal") {
        REQUIRE(parse_current_boot(bytes("slot=a boot_id=3 index=99 timeout=x"), cb, err));
        CHECK(cb.index == -1);
        CHECK(cb.timeout == 0);
    }
}

TEST_CASE("refused contents") {
    CurrentBoot cb;
    std::string err;
    const char* bad[] = {"", "boot_id=3", "slot=a", "slot=a boot_id=0", "slot=a boot_id=99999999999",
                         "slot=a boot_id=1x", "slot=this-name-is-far-too-long boot_id=1", "slot=a/b boot_id=1"};
    for (const char* s : bad) {
        INFO(s);
        CHECK_FALSE(parse_current_boot(bytes(s), cb, err));
        CHECK_FALSE(err.empty());
    }
}

TEST_CASE("the loader's Secure Boot words: secure_boot and secure_boot_policy") {
    CurrentBoot cb;
    std::string err;
    SECTION("as the loader writes them") {
        REQUIRE(parse_current_boot(bytes("slot=a boot_id=3 trial=0 forced=0 secure_boot=1 secure_boot_policy=strict"),
                                   cb, err));
        CHECK(cb.secure_boot == 1);
        CHECK(cb.secure_boot_policy == "strict");
        CHECK(cb.other.count("secure_boot") == 0);
        REQUIRE(parse_current_boot(bytes("slot=a boot_id=3 secure_boot=0 secure_boot_policy=permissive"), cb, err));
        CHECK(cb.secure_boot == 0);
        CHECK(cb.secure_boot_policy == "permissive");
    }
    SECTION("a loader before issue 12 says neither") {
        REQUIRE(parse_current_boot(bytes("slot=a boot_id=3 trial=0 forced=0"), cb, err));
        CHECK(cb.secure_boot == -1);
        CHECK(cb.secure_boot_policy.empty());
    }
    SECTION("values the loader never writes are not taken, only kept") {
        REQUIRE(parse_current_boot(bytes("slot=a boot_id=3 secure_boot=2 secure_boot_policy=lax"), cb, err));
        CHECK(cb.secure_boot == -1);
        CHECK(cb.secure_boot_policy.empty());
        CHECK(cb.other.at("secure_boot") == "2");
        CHECK(cb.other.at("secure_boot_policy") == "lax");
    }
}
