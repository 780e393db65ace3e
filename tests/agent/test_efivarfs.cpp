// Efivarfs and EfivarfsStore against a temporary directory standing in for efivarfs.
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/mount.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "agent_fixture.hpp"
#include "fd.hpp"

using namespace wdtest;

TEST_CASE("efivarfs file = 4 bytes of little-endian attributes, then the data") {
    Agent a;
    const uint8_t data[] = {1, 2, 3};
    REQUIRE(a.vars->write("Foo", 0x7, data, sizeof data) == Status::ok);
    auto bytes = read_bytes(a.efivars + "/Foo-50eee850-2e5c-44e5-ac3d-627587d76014");
    REQUIRE(bytes == std::vector<uint8_t>{0x07, 0, 0, 0, 1, 2, 3});
    uint32_t attrs = 0;
    std::vector<uint8_t> back;
    REQUIRE(a.vars->read("Foo", attrs, back) == Status::ok);
    CHECK(attrs == 7);
    CHECK(back == std::vector<uint8_t>{1, 2, 3});
    // A shorter rewrite leaves no stale tail behind.
    REQUIRE(a.vars->write("Foo", 0x7, data, 1) == Status::ok);
    CHECK(read_bytes(a.efivars + "/Foo-50eee850-2e5c-44e5-ac3d-627587d76014").size() == 5);
}

TEST_CASE("reading an absent or truncated variable") {
    Agent a;
    uint32_t attrs = 0;
    std::vector<uint8_t> data;
    CHECK(a.vars->read("Missing", attrs, data) == Status::not_found);
    write_text(a.efivars + "/Short-50eee850-2e5c-44e5-ac3d-627587d76014", "ab");
    CHECK(a.vars->read("Short", attrs, data) == Status::bad_size);
    // An empty file is how efivarfs shows a variable that is not set (a failed write of
    // a new variable leaves one): absent, as the firmware sees it, not a damaged copy.
    write_text(a.efivars + "/Empty-50eee850-2e5c-44e5-ac3d-627587d76014", "");
    CHECK(a.vars->read("Empty", attrs, data) == Status::not_found);
    write_text(a.vars->path_of("WdbootStateA"), "");
    EfivarfsStore store(*a.vars);
    const LoadedState l = load_state(store);
    CHECK_FALSE(l.copies[0].present);
    CHECK_FALSE(l.corrupt);
}

TEST_CASE("an immutable variable file is made writable, written, and made immutable again") {
    Agent a;
    const uint8_t v1[] = {9};
    REQUIRE(a.vars->write("Imm", 0x7, v1, 1) == Status::ok);
    const std::string path = a.vars->path_of("Imm");
    // A real immutable flag (ext4/tmpfs support it for root): without clearing it,
    // the open for writing would fail with EPERM.
    unsigned flags = 0;
    {
        Fd fd(open(path.c_str(), O_RDONLY));
        REQUIRE(a.flags.real.get(fd.get(), flags) == 0);
        if (a.flags.real.set(fd.get(), flags | FS_IMMUTABLE_FL) != 0) {
            WARN("this filesystem has no immutable flag; covered by the fake-flag test below");
            return;
        }
    }
    REQUIRE(open(path.c_str(), O_WRONLY) < 0);  // really immutable now
    const uint8_t v2[] = {7, 7};
    a.flags.gets = a.flags.sets = 0;
    REQUIRE(a.vars->write("Imm", 0x7, v2, 2) == Status::ok);
    CHECK(read_bytes(path) == std::vector<uint8_t>{7, 0, 0, 0, 7, 7});
    CHECK(a.flags.sets == 2);  // cleared, then restored
    Fd fd(open(path.c_str(), O_RDONLY));
    REQUIRE(a.flags.real.get(fd.get(), flags) == 0);
    CHECK((flags & FS_IMMUTABLE_FL) != 0);
}

TEST_CASE("immutable flag path with a fake flag hook: cleared before the write, restored after") {
    Agent a;
    const uint8_t v[] = {1};
    REQUIRE(a.vars->write("Imm", 0x7, v, 1) == Status::ok);
    a.flags.fake_immutable = true;
    REQUIRE(a.vars->write("Imm", 0x7, v, 1) == Status::ok);
    REQUIRE(a.flags.set_values.size() == 2);
    CHECK((a.flags.set_values[0] & FS_IMMUTABLE_FL) == 0);
    CHECK((a.flags.set_values[1] & FS_IMMUTABLE_FL) != 0);

    SECTION("a refused flag change fails the write and leaves the data alone") {
        a.flags.fail_set_with = EPERM;
        const uint8_t w[] = {2};
        CHECK(a.vars->write("Imm", 0x7, w, 1) == Status::io_error);
        CHECK(a.vars->last_error().find("immutable") != std::string::npos);
        CHECK(read_bytes(a.vars->path_of("Imm")) == std::vector<uint8_t>{7, 0, 0, 0, 1});
    }
}

TEST_CASE("availability: missing directory, read-only mount (fake probe), writable") {
    Agent a;
    CHECK(a.vars->availability() == Availability::writable);
    a.mounts.ro = true;
    CHECK(a.vars->availability() == Availability::read_only);
    IoctlFileFlags f;
    FakeMounts m;
    Efivarfs none(a.dir / "nowhere", f, m);
    CHECK(none.availability() == Availability::missing);
}

TEST_CASE("availability: a really read-only mount is detected by statvfs") {
    TempDir d;
    if (mount("tmpfs", d.path().c_str(), "tmpfs", MS_RDONLY, "size=64k") != 0) {
        WARN("cannot mount a tmpfs here (not root or no CAP_SYS_ADMIN): skipped");
        return;
    }
    IoctlFileFlags f;
    StatvfsMountProbe probe;
    Efivarfs vars(d.path(), f, probe);
    CHECK(vars.availability() == Availability::read_only);
    const uint8_t v[] = {1};
    CHECK(vars.write("X", 7, v, 1) == Status::read_only);
    umount(d.path().c_str());
}

TEST_CASE("EfivarfsStore reads copies with a capacity check and writes NV|BS|RT") {
    Agent a;
    EfivarfsStore store(*a.vars);
    uint8_t rec[kRecordSize] = {};
    REQUIRE(store.write(Copy::b, rec, sizeof rec) == Status::ok);
    auto bytes = read_bytes(a.vars->path_of("WdbootStateB"));
    REQUIRE(bytes.size() == 4 + kRecordSize);
    CHECK(bytes[0] == 7);
    uint8_t small[10];
    size_t len = 0;
    CHECK(store.read(Copy::b, small, sizeof small, len) == Status::bad_size);
    CHECK(len == kRecordSize);
    uint8_t buf[kRecordSize];
    CHECK(store.read(Copy::a, buf, sizeof buf, len) == Status::not_found);
}
