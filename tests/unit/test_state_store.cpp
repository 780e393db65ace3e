// The two-copy rule: highest valid generation wins, writes alternate, a torn write
// never loses the previous state, a newer major version is never overwritten.
#include <catch2/catch.hpp>

#include <cstring>

#include "fixtures.hpp"
#include "wdboot/crc32.hpp"
#include "wdboot/state_store.hpp"

using namespace wdboot;
using wdtest::FakeStore;

namespace {

BootState with_gen(uint32_t gen, const char* slot = "primary") {
    BootState s = BootState::empty();
    s.generation = gen;
    std::strcpy(s.slots[0].name, slot);
    s.slots[0].max_tries = 3;
    s.slots[0].tries_left = 3;
    return s;
}

}  // namespace

TEST_CASE("no copies: fresh state, first write goes to A with generation 1", "[store]") {
    FakeStore store;
    LoadedState l = load_state(store);
    REQUIRE(l.created);
    REQUIRE_FALSE(l.corrupt);
    REQUIRE_FALSE(l.from_copy);
    REQUIRE(l.state == BootState::empty());
    BootState next = with_gen(0);
    bool wrote = false;
    REQUIRE(save_state(store, l, next, &wrote) == Status::ok);
    REQUIRE(wrote);
    REQUIRE(store.write_log == std::vector<Copy>{Copy::a});
    LoadedState again = load_state(store);
    REQUIRE(again.from_copy);
    REQUIRE(again.source == Copy::a);
    REQUIRE(again.state.generation == 1u);
}

TEST_CASE("the higher generation wins and writes alternate between copies", "[store]") {
    FakeStore store;
    store.put(Copy::a, with_gen(5, "old"));
    store.put(Copy::b, with_gen(6, "new"));
    LoadedState l = load_state(store);
    REQUIRE(l.source == Copy::b);
    REQUIRE(std::string(l.state.slots[0].name) == "new");
    for (uint32_t i = 0; i < 6; ++i) {
        BootState next = l.state;
        next.slots[0].tries_left = static_cast<uint8_t>(i % 3);
        next.last_boot_id = 100 + i;
        REQUIRE(save_state(store, l, next, nullptr) == Status::ok);
        LoadedState reread = load_state(store);
        REQUIRE(reread.state == l.state);
        REQUIRE(reread.state.generation == 7 + i);
        REQUIRE(reread.source == (i % 2 == 0 ? Copy::a : Copy::b));
    }
    REQUIRE(store.writes == 6);
}

TEST_CASE("generation comparison survives wrap-around", "[store]") {
    FakeStore store;
    store.put(Copy::a, with_gen(0xFFFFFFFFu, "before"));
    store.put(Copy::b, with_gen(0, "after"));
    LoadedState l = load_state(store);
    REQUIRE(std::string(l.state.slots[0].name) == "after");
}

TEST_CASE("an unchanged state is not written again", "[store]") {
    FakeStore store;
    store.put(Copy::a, with_gen(3));
    LoadedState l = load_state(store);
    bool wrote = true;
    REQUIRE(save_state(store, l, l.state, &wrote) == Status::ok);
    REQUIRE_FALSE(wrote);
    REQUIRE(store.writes == 0);
}

TEST_CASE("a torn write leaves the previous state intact", "[store]") {
    for (int cut : {0, 1, 4, 31, 100, 300, 543, 547}) {
        FakeStore store;
        store.put(Copy::a, with_gen(10, "stable"));
        store.put(Copy::b, with_gen(9, "older"));
        LoadedState l = load_state(store);
        BootState next = l.state;
        next.slots[0].tries_left = 1;
        store.tear_next_write_at = cut;
        REQUIRE(save_state(store, l, next, nullptr) == Status::io_error);
        // The failed save did not pretend to succeed.
        REQUIRE(l.state.generation == 10u);
        LoadedState after = load_state(store);
        INFO("cut at " << cut);
        REQUIRE(after.source == Copy::a);
        REQUIRE(after.state.slots[0].tries_left == 3);
        REQUIRE(std::string(after.state.slots[0].name) == "stable");
        REQUIRE(after.corrupt == (cut > 0));  // an empty variable reads as deleted
    }
}

TEST_CASE("a damaged copy is reported and repaired by the next write", "[store]") {
    FakeStore store;
    store.put(Copy::a, with_gen(4));
    store.put(Copy::b, with_gen(5));
    store.vars[1][100] ^= 0x40;
    LoadedState l = load_state(store);
    REQUIRE(l.corrupt);
    REQUIRE(l.corrupt_mask == 2);
    REQUIRE(l.copies[1].status == Status::bad_crc);
    REQUIRE(l.source == Copy::a);
    REQUIRE(l.write_target() == Copy::b);
    bool wrote = false;
    // Even an unchanged state is written, to repair the damaged copy.
    REQUIRE(save_state(store, l, l.state, &wrote) == Status::ok);
    REQUIRE(wrote);
    LoadedState after = load_state(store);
    REQUIRE_FALSE(after.corrupt);
    REQUIRE(after.source == Copy::b);
    REQUIRE(after.state.generation == 5u);
}

TEST_CASE("both copies damaged: fresh state, flagged corrupt, not 'created'", "[store]") {
    FakeStore store;
    store.vars[0].assign(548, 0xAB);
    store.present[0] = true;
    store.vars[1].assign(12, 0x00);
    store.present[1] = true;
    LoadedState l = load_state(store);
    REQUIRE(l.corrupt);
    REQUIRE(l.corrupt_mask == 3);
    REQUIRE_FALSE(l.created);
    REQUIRE_FALSE(l.from_copy);
    REQUIRE(l.copies[0].status == Status::bad_magic);
    REQUIRE(l.copies[1].status == Status::bad_size);
    REQUIRE(l.state == BootState::empty());
}

TEST_CASE("an oversized variable and a read error count as damaged copies", "[store]") {
    FakeStore store;
    store.put(Copy::a, with_gen(2));
    store.vars[1].assign(4096, 0x11);
    store.present[1] = true;
    LoadedState l = load_state(store);
    REQUIRE(l.copies[1].status == Status::bad_size);
    REQUIRE(l.source == Copy::a);

    FakeStore failing;
    failing.put(Copy::b, with_gen(8));
    failing.fail_read[0] = Status::io_error;
    LoadedState f = load_state(failing);
    REQUIRE(f.copies[0].status == Status::io_error);
    REQUIRE(f.corrupt_mask == 1);
    REQUIRE(f.source == Copy::b);
}

TEST_CASE("a record from a newer major version is never overwritten", "[store]") {
    for (int which = 0; which < 2; ++which) {
        FakeStore store;
        store.put(Copy::a, with_gen(4));
        store.put(Copy::b, with_gen(3));
        std::vector<uint8_t>& v = store.vars[which];
        v[4] = kRecordMajor + 1;  // an intact record of a newer major
        uint32_t c = crc32(v.data(), kCrcOffset);
        for (int i = 0; i < 4; ++i) v[kCrcOffset + i] = static_cast<uint8_t>(c >> (8 * i));
        LoadedState l = load_state(store);
        REQUIRE(l.read_only);
        REQUIRE_FALSE(l.corrupt);  // foreign, not damaged
        BootState next = l.state;
        next.slots[0].tries_left = 0;
        bool wrote = true;
        REQUIRE(save_state(store, l, next, &wrote) == Status::read_only);
        REQUIRE_FALSE(wrote);
        REQUIRE(store.writes == 0);
    }
}

TEST_CASE("a failing write is reported and nothing is claimed", "[store]") {
    FakeStore store;
    store.put(Copy::a, with_gen(1));
    store.fail_write = Status::io_error;
    LoadedState l = load_state(store);
    BootState next = l.state;
    next.last_boot_id = 9;
    bool wrote = true;
    REQUIRE(save_state(store, l, next, &wrote) == Status::io_error);
    REQUIRE_FALSE(wrote);
    REQUIRE(l.state.last_boot_id == 0u);
}
