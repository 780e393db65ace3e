// The Boot Loader Interface's entry variables on the agent's side: sync_loader_entry_default()
// and `wdbootctl set-default`, and the loader's handling of LoaderEntryOneShot and
// LoaderEntryDefault over the fake efivarfs (the fixture's loader reads and deletes them
// as efi/loader_interface.cpp does).
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent_fixture.hpp"
#include "config_edit.hpp"
#include "loader_entries.hpp"
#include "state_commands.hpp"
#include "wdboot/loader_entries.hpp"

using namespace wdtest;

namespace {

// What `bootctl set-default NAME` / `set-oneshot NAME` leave in efivarfs: NV|BS|RT.
void bootctl_sets(Agent& a, const char* variable, const std::string& name, bool nul = true) {
    std::vector<uint8_t> v = utf16(name, nul);
    REQUIRE(a.vars->write(variable, kAttrNvBsRt, v.data(), v.size(), kLoaderVendorGuidText) == Status::ok);
}

bool present(Agent& a, const char* variable) {
    return std::filesystem::exists(a.vars->path_of(variable, kLoaderVendorGuidText));
}

std::vector<uint8_t> file_of(Agent& a, const char* variable) {
    return read_bytes(a.vars->path_of(variable, kLoaderVendorGuidText));
}

std::vector<uint8_t> with_attributes(const std::vector<uint8_t>& data) {
    std::vector<uint8_t> v(4 + data.size(), 0);
    v[0] = 7;
    std::copy(data.begin(), data.end(), v.begin() + 4);
    return v;
}

}  // namespace

TEST_CASE("sync_loader_entry_default: rewrites only an existing variable that names another slot") {
    Agent a;
    std::string why;
    SECTION("absent: nothing is created") {
        CHECK(sync_loader_entry_default(*a.vars, "primary", why) == EntryDefaultSync::absent);
        CHECK_FALSE(present(a, kLoaderEntryDefault));
        CHECK(why.empty());
    }
    SECTION("naming another slot: rewritten as bootctl writes it, NV|BS|RT kept") {
        bootctl_sets(a, kLoaderEntryDefault, "fallback");
        CHECK(sync_loader_entry_default(*a.vars, "primary", why) == EntryDefaultSync::rewritten);
        CHECK(file_of(a, kLoaderEntryDefault) == with_attributes(utf16("primary")));
    }
    SECTION("holding something that is not a name: rewritten") {
        const uint8_t junk[] = {0xff, 0xfe, 0x41};
        REQUIRE(a.vars->write(kLoaderEntryDefault, kAttrNvBsRt, junk, sizeof(junk), kLoaderVendorGuidText) ==
                Status::ok);
        CHECK(sync_loader_entry_default(*a.vars, "primary", why) == EntryDefaultSync::rewritten);
        CHECK(file_of(a, kLoaderEntryDefault) == with_attributes(utf16("primary")));
    }
    SECTION("already naming the slot, with or without its NUL: not written") {
        for (bool nul : {true, false}) {
            bootctl_sets(a, kLoaderEntryDefault, "primary", nul);
            std::vector<uint8_t> before = file_of(a, kLoaderEntryDefault);
            a.flags.gets = a.flags.sets = 0;
            CHECK(sync_loader_entry_default(*a.vars, "primary", why) == EntryDefaultSync::already);
            CHECK(file_of(a, kLoaderEntryDefault) == before);
            CHECK(a.flags.gets == 0);  // no write was even opened
        }
    }
    SECTION("a write that fails: failed, with the variable named, and the old value left") {
        bootctl_sets(a, kLoaderEntryDefault, "fallback");
        a.flags.fake_immutable = true;
        a.flags.fail_set_with = EPERM;
        CHECK(sync_loader_entry_default(*a.vars, "primary", why) == EntryDefaultSync::failed);
        CHECK(why.find("cannot rewrite LoaderEntryDefault to \"primary\"") != std::string::npos);
        CHECK(file_of(a, kLoaderEntryDefault) == with_attributes(utf16("fallback")));
    }
}

TEST_CASE("set-default keeps LoaderEntryDefault in step, so the loader does not revert it") {
    Agent a;
    a.write_config(kTwoSlotConfig);
    SECTION("bootctl set-default fallback, then wdbootctl set-default primary") {
        bootctl_sets(a, kLoaderEntryDefault, "fallback");
        CHECK(a.boot().slot == "fallback");  // the loader took bootctl's default
        CHECK(a.state().state.default_slot == a.state().state.find_slot("fallback"));
        REQUIRE(cmd_set_default(a.env, "primary") == Exit::ok);
        CHECK(a.out.str().find("LoaderEntryDefault rewritten to match") != std::string::npos);
        CHECK(file_of(a, kLoaderEntryDefault) == with_attributes(utf16("primary")));
        CHECK(a.boot(ResetCause::watchdog).slot == "primary");
        CHECK(a.state().state.default_slot == a.state().state.find_slot("primary"));
        SECTION("without the sync the loader would have reverted it (the test can fail)") {
            bootctl_sets(a, kLoaderEntryDefault, "fallback");
            CHECK(a.boot(ResetCause::watchdog).slot == "fallback");
        }
    }
    SECTION("no LoaderEntryDefault: set-default does not create one") {
        REQUIRE(a.boot().slot == "primary");
        REQUIRE(cmd_set_default(a.env, "fallback") == Exit::ok);
        CHECK_FALSE(present(a, kLoaderEntryDefault));
        CHECK(a.out.str().find("LoaderEntryDefault") == std::string::npos);
    }
    SECTION("--json says what happened to the variable") {
        bootctl_sets(a, kLoaderEntryDefault, "fallback");
        REQUIRE(a.boot().slot == "fallback");
        a.env.json = true;
        REQUIRE(cmd_set_default(a.env, "primary") == Exit::ok);
        CHECK(nlohmann::json::parse(a.out.str())["loader_entry_default"] == "rewritten");
    }
    SECTION("the variable cannot be rewritten: io_error, the record is not changed") {
        bootctl_sets(a, kLoaderEntryDefault, "fallback");
        (void)a.boot();
        LoadedState before = a.state();
        a.flags.fake_immutable = true;
        a.flags.fail_set_with = EPERM;
        CHECK(cmd_set_default(a.env, "primary") == Exit::io_error);
        CHECK(a.err.str().find("cannot rewrite LoaderEntryDefault") != std::string::npos);
        CHECK(a.state().state == before.state);
    }
}

TEST_CASE("the loader over efivarfs: LoaderEntryOneShot is one boot of its slot, then the default") {
    Agent a;
    a.write_config(kTwoSlotConfig);
    auto first = a.boot();
    REQUIRE(first.slot == "primary");
    bootctl_sets(a, kLoaderEntryOneShot, "fallback");
    auto t = a.boot(ResetCause::power_on);
    CHECK(t.slot == "fallback");
    CHECK_FALSE(present(a, kLoaderEntryOneShot));
    LoadedState l = a.state();
    CHECK(l.state.slots[l.state.find_slot("fallback")].has(kSlotTrial));
    CHECK(l.state.default_slot == kNoSlot);
    // Not blessed, reset by the watchdog: counted, and the default boots again.
    CHECK(a.boot(ResetCause::watchdog).slot == "primary");
    CHECK(a.state().state.trial_slot == kNoSlot);

    SECTION("an unknown name: deleted, ignored") {
        bootctl_sets(a, kLoaderEntryOneShot, "nosuch");
        CHECK(a.boot(ResetCause::power_on).slot == "primary");
        CHECK_FALSE(present(a, kLoaderEntryOneShot));
    }
}

TEST_CASE("the slots as Boot Loader Specification entries in /run/boot-loader-entries for logind and bootctl") {
    Agent a;
    a.write_config(kTwoSlotConfig);
    const std::filesystem::path entries = a.dir / "run/boot-loader-entries/loader/entries";
    a.watchdog.on_load["i6300esb"] = WatchdogInfo{"watchdog0", "/dev/watchdog0", "i6300ESB timer", "inactive"};
    SECTION("mark-good of a wdboot boot writes one entry per slot, named by the slot") {
        REQUIRE(a.boot().slot == "primary");
        a.watchdog.devices.clear();
        REQUIRE(cmd_mark_good(a.env) == Exit::ok);
        const std::string p = read_text(entries / "primary.conf");
        CHECK(p.find("\ntitle wdboot primary\n") != std::string::npos);
        CHECK(p.find("\nlinux /EFI/wdboot/kernels/new/vmlinuz\noptions root=/dev/vda2\n") != std::string::npos);
        CHECK(std::filesystem::exists(entries / "fallback.conf"));
        // A slot that left wdboot.conf leaves the entries; a stray file of ours too.
        write_text(entries / "old.conf", "title old\n");
        a.write_config(std::string(kTwoSlotConfig).substr(0, std::string(kTwoSlotConfig).find("slot fallback")));
        REQUIRE(cmd_mark_good(a.env) == Exit::ok);
        CHECK(std::filesystem::exists(entries / "primary.conf"));
        CHECK_FALSE(std::filesystem::exists(entries / "fallback.conf"));
        CHECK_FALSE(std::filesystem::exists(entries / "old.conf"));
    }
    SECTION("not a wdboot boot (no WdbootCurrent): nothing is written") {
        CHECK(cmd_mark_good(a.env) != Exit::ok);
        CHECK_FALSE(std::filesystem::exists(a.dir / "run/boot-loader-entries"));
    }
}

TEST_CASE("type1_entry_text: the slot's files as ESP-root paths with forward slashes") {
    auto cfg = std::make_unique<Config>();
    std::string problems;
    REQUIRE(check_config_text("slot k\n  linux \\EFI\\wdboot\\kernels\\6.1\\vmlinuz\n"
                              "  initrd \\EFI\\wdboot\\kernels\\6.1\\initrd.img\n  options root=/dev/vda2 quiet\n"
                              "\nslot shell\n  efi \\EFI\\tools\\shell.efi\n",
                              problems, &cfg));
    CHECK(type1_entry_text(cfg->slots[0]).find("title wdboot k\nsort-key wdboot\n"
                                              "linux /EFI/wdboot/kernels/6.1/vmlinuz\n"
                                              "initrd /EFI/wdboot/kernels/6.1/initrd.img\n"
                                              "options root=/dev/vda2 quiet\n") != std::string::npos);
    CHECK(type1_entry_text(cfg->slots[1]).find("efi /EFI/tools/shell.efi\n") != std::string::npos);
}
