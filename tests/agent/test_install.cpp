// install / uninstall / add-slot / remove-slot against a temporary /boot and ESP and a
// model of efibootmgr; every ESP write durable; slot names and shared files.
#include <errno.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>

#include "../common/pe_builder.hpp"
#include "agent_fixture.hpp"
#include "boot_entry.hpp"
#include "install_commands.hpp"
#include "slot_commands.hpp"
#include "state_commands.hpp"

using namespace wdtest;
using wdboot::PeLayout;

namespace {

void machine(Agent& a) {
    write_text(a.dir / "boot/vmlinuz-6.1.0-9-amd64", "old kernel");
    write_text(a.dir / "boot/vmlinuz-6.1.0-17-amd64", "previous kernel");
    write_text(a.dir / "boot/initrd.img-6.1.0-17-amd64", "previous initrd");
    write_text(a.dir / "boot/vmlinuz-6.1.0-18-amd64", "running kernel");
    write_text(a.dir / "boot/initrd.img-6.1.0-18-amd64", "running initrd");
    write_text(a.dir / "boot/config-6.1.0-18-amd64", "not a kernel");
    write_text(a.dir / "cmdline", "BOOT_IMAGE=/vmlinuz-6.1.0-18-amd64 root=UUID=1234 ro quiet modprobe.blacklist=i6300esb\n");
    write_text(a.dir / "wdbootx64.efi", "MZ fake loader");
    a.env.kernel_release = "6.1.0-18-amd64";
    a.env.loader_image = a.dir / "wdbootx64.efi";
    a.runner.labels = {{"0000", "UiApp"}, {"0001", "debian"}};
    a.runner.order = {"0001", "0000"};
}

}  // namespace

TEST_CASE("efibootmgr output parsing") {
    auto st = parse_efibootmgr("BootCurrent: 0001\nBootOrder: 0001,000a\nBoot0001* debian\tHD(1,GPT)\nBoot000A  UiApp\n");
    CHECK(st.order == std::vector<std::string>{"0001", "000A"});
    REQUIRE(st.entries.size() == 2);
    CHECK(st.entries[0].label == "debian");
    CHECK(st.entries[0].active);
    CHECK(st.entries[1].num == "000A");
    CHECK_FALSE(st.entries[1].active);
}

TEST_CASE("install, then uninstall restores the BootOrder") {
    Agent a;
    machine(a);
    InstallOptions o;
    o.disk = "/dev/vda";
    o.part = "1";
    o.timeout_s = 45;
    REQUIRE(cmd_install(a.env, o) == Exit::ok);
    const std::string esp = a.dir / "esp";
    CHECK(read_text(esp + "/EFI/wdboot/wdbootx64.efi") == "MZ fake loader");
    CHECK(read_text(esp + "/EFI/wdboot/kernels/6.1.0-18-amd64/vmlinuz") == "running kernel");
    CHECK(read_text(esp + "/EFI/wdboot/kernels/6.1.0-17-amd64/initrd.img") == "previous initrd");

    // The config parses with the loader's parser: primary = running, fallback = previous.
    auto cfg = std::make_unique<Config>();
    std::string path;
    REQUIRE(load_boot_config(a.env, *cfg, path));
    CHECK(cfg->diagnostics.errors == 0);
    REQUIRE(cfg->slot_count == 2);
    CHECK(std::string(cfg->slots[0].name) == "primary");
    CHECK(std::string(cfg->slots[0].path) == "\\EFI\\wdboot\\kernels\\6.1.0-18-amd64\\vmlinuz");
    CHECK(std::string(cfg->slots[1].path) == "\\EFI\\wdboot\\kernels\\6.1.0-17-amd64\\vmlinuz");
    CHECK(std::string(cfg->slots[0].options) == "root=UUID=1234 ro quiet");
    CHECK(cfg->timeout_s == 45);

    // The new entry is first, the old order follows.
    REQUIRE(a.runner.order.size() == 3);
    const std::string num = a.runner.order[0];
    CHECK(a.runner.labels[num] == "wdboot");
    CHECK(a.runner.order[1] == "0001");
    bool created = false;
    for (const auto& c : a.runner.calls)
        if (c.size() > 1 && c[1] == "--create") {
            created = true;
            CHECK(c == std::vector<std::string>{"efibootmgr", "--create", "--disk", "/dev/vda", "--part", "1", "--label",
                                                "wdboot", "--loader", "\\EFI\\wdboot\\wdbootx64.efi"});
        }
    CHECK(created);
    CHECK(read_text(esp + "/EFI/wdboot/install.state").find("bootorder=0001,0000") != std::string::npos);

    SECTION("reinstall keeps the config and the original BootOrder, replaces the entry") {
        write_text(esp + "/EFI/wdboot/wdboot.conf", read_text(esp + "/EFI/wdboot/wdboot.conf") + "# mine\n");
        REQUIRE(cmd_install(a.env, o) == Exit::ok);
        CHECK(read_text(esp + "/EFI/wdboot/wdboot.conf").find("# mine") != std::string::npos);
        CHECK(a.runner.labels.size() == 3);
        CHECK(read_text(esp + "/EFI/wdboot/install.state").find("bootorder=0001,0000") != std::string::npos);
    }
    SECTION("uninstall") {
        REQUIRE(cmd_uninstall(a.env, "", false, false) == Exit::ok);
        CHECK(a.runner.order == std::vector<std::string>{"0001", "0000"});
        CHECK(a.runner.labels.count(num) == 0);
        CHECK(access((esp + "/EFI/wdboot/install.state").c_str(), F_OK) != 0);
        CHECK(access((esp + "/EFI/wdboot/wdbootx64.efi").c_str(), F_OK) == 0);
        CHECK(cmd_uninstall(a.env, "", false, false) == Exit::install);  // nothing recorded any more
    }
    SECTION("uninstall --purge also removes the files and the state variables") {
        const uint8_t rec[] = {1};
        REQUIRE(a.vars->write("WdbootStateA", 7, rec, 1) == Status::ok);
        REQUIRE(cmd_uninstall(a.env, "", true, false) == Exit::ok);
        CHECK(access((esp + "/EFI/wdboot").c_str(), F_OK) != 0);
        CHECK(access(a.vars->path_of("WdbootStateA").c_str(), F_OK) != 0);
    }
}

TEST_CASE("install failures") {
    Agent a;
    machine(a);
    InstallOptions o;
    o.disk = "/dev/vda";
    o.part = "1";
    SECTION("not root") {
        a.env.is_root = false;
        CHECK(cmd_install(a.env, o) == Exit::not_root);
    }
    SECTION("running kernel not in /boot") {
        a.env.kernel_release = "7.0";
        CHECK(cmd_install(a.env, o) == Exit::install);
    }
    SECTION("efibootmgr fails") {
        a.runner.fail_exit_for = 1;  // the --create
        CHECK(cmd_install(a.env, o) == Exit::install);
        CHECK(a.err.str().find("injected failure") != std::string::npos);
    }
    SECTION("dry run changes nothing") {
        o.dry_run = true;
        REQUIRE(cmd_install(a.env, o) == Exit::ok);
        CHECK(access((a.dir / "esp/EFI/wdboot/wdboot.conf").c_str(), F_OK) != 0);
        CHECK(a.runner.order.size() == 2);
        CHECK(a.out.str().find("would run: efibootmgr --create") != std::string::npos);
    }
}

TEST_CASE("add-slot and remove-slot edit wdboot.conf and keep it valid") {
    Agent a;
    machine(a);
    a.write_config(kTwoSlotConfig);
    SlotSpec s;
    s.name = "rescue";
    s.kernel = a.dir / "boot/vmlinuz-6.1.0-9-amd64";
    s.options = "root=/dev/vda2 single";
    s.rescue = true;
    REQUIRE(cmd_add_slot(a.env, s, "") == Exit::ok);
    auto cfg = std::make_unique<Config>();
    std::string path;
    REQUIRE(load_boot_config(a.env, *cfg, path));
    REQUIRE(cfg->slot_count == 3);
    CHECK(cfg->slots[2].rescue);
    CHECK(read_text(a.dir / "esp/EFI/wdboot/kernels/rescue/vmlinuz") == "old kernel");

    CHECK(cmd_add_slot(a.env, s, "") == Exit::usage);  // exists
    SlotSpec two = s;
    two.name = "x";
    two.efi_path = "\\EFI\\x.efi";
    CHECK(cmd_add_slot(a.env, two, "") == Exit::usage);  // two images

    REQUIRE(cmd_remove_slot(a.env, "fallback", "") == Exit::ok);
    REQUIRE(load_boot_config(a.env, *cfg, path));
    CHECK(cfg->slot_count == 2);
    CHECK(cfg->find("fallback") == kNoSlot);
    CHECK(cfg->find("rescue") != kNoSlot);
    CHECK(cmd_remove_slot(a.env, "fallback", "") == Exit::usage);
    REQUIRE(cmd_remove_slot(a.env, "rescue", "") == Exit::ok);
    // Removing the last slot would leave the loader nothing to boot.
    CHECK(cmd_remove_slot(a.env, "primary", "") == Exit::config);
}

TEST_CASE("remove-slot keeps the comment above the next stanza, add-slot --same-options drops every watchdog argument") {
    Agent a;
    machine(a);
    const std::string head = "timeout 30\nwatchdog i6300esb\n";
    const std::string fallback = "# fallback: last week's kernel\nslot fallback\n  linux \\EFI\\old\\vmlinuz\n";
    a.write_config(head + "slot primary\n  linux \\EFI\\new\\vmlinuz\n  # primary's own note\n  options ro\n" + fallback);
    REQUIRE(cmd_remove_slot(a.env, "primary", "") == Exit::ok);
    CHECK(read_text(a.dir / "esp/EFI/wdboot/wdboot.conf") == head + fallback);

    // On a TCO machine the loader appended modprobe.blacklist=iTCO_wdt; it is not copied.
    write_text(a.dir / "cmdline", "BOOT_IMAGE=/vmlinuz root=/dev/vda2 modprobe.blacklist=iTCO_wdt ro\n");
    SlotSpec s;
    s.name = "new";
    s.linux_path = "\\EFI\\new\\vmlinuz";
    s.same_options = true;
    REQUIRE(cmd_add_slot(a.env, s, "") == Exit::ok);
    CHECK(read_text(a.dir / "esp/EFI/wdboot/wdboot.conf") ==
          head + fallback + "\nslot new\n    linux \\EFI\\new\\vmlinuz\n    options root=/dev/vda2 ro\n");
    CHECK(cmd_add_slot(a.env, s, "") == Exit::usage);  // exists now
    CHECK_THAT(a.err.str(), Catch::Contains("slot \"new\" already exists"));
    CHECK(cmd_remove_slot(a.env, "primary", "") == Exit::usage);  // gone
    CHECK_THAT(a.err.str(), Catch::Contains("no slot \"primary\" in "));
}

namespace {

std::string fd_path(int fd) {
    char buf[4096];
    ssize_t n = readlink(("/proc/self/fd/" + std::to_string(fd)).c_str(), buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

// Records every fsync (by path) and rename, in order; can fail the fsync of one file.
class RecordingSync final : public FileSync {
public:
    int fsync(int fd) override {
        const std::string p = fd_path(fd);
        events.push_back("fsync " + p);
        if (!fail_fsync_of.empty() && p == fail_fsync_of) {
            errno = EIO;
            return -1;
        }
        return ::fsync(fd);
    }
    int rename(const char* from, const char* to) override {
        events.push_back(std::string("rename ") + from + " " + to);
        return ::rename(from, to);
    }
    std::vector<std::string> events;
    std::string fail_fsync_of;
};

long index_of(const std::vector<std::string>& v, const std::string& x, long from = 0) {
    for (size_t i = static_cast<size_t>(from); i < v.size(); ++i)
        if (v[i] == x) return static_cast<long>(i);
    return -1;
}

// `file` was written as: temporary file fsync'ed, renamed over `file`, folder fsync'ed.
void check_durable(const RecordingSync& sync, const std::string& file) {
    INFO(file);
    const std::filesystem::path real_dir = std::filesystem::canonical(std::filesystem::path(file).parent_path());
    const std::string tmp = file + ".tmp";
    const long synced = index_of(sync.events, "fsync " + (real_dir / (std::filesystem::path(file).filename().string() + ".tmp")).string());
    const long renamed = index_of(sync.events, "rename " + tmp + " " + file, synced + 1);
    const long dir_synced = index_of(sync.events, "fsync " + real_dir.string(), renamed + 1);
    CHECK(synced >= 0);
    CHECK(renamed > synced);
    CHECK(dir_synced > renamed);
}

std::vector<std::string> files_under(const std::string& dir) {
    std::vector<std::string> files;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
        if (e.is_regular_file()) files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    return files;
}

}  // namespace

TEST_CASE("every file install, add-slot and remove-slot write on the ESP is fsynced, renamed, its folder fsynced") {
    Agent a;
    machine(a);
    RecordingSync sync;
    a.env.file_sync = &sync;
    InstallOptions o;
    o.disk = "/dev/vda";
    o.part = "1";
    REQUIRE(cmd_install(a.env, o) == Exit::ok);
    const std::string esp = a.dir / "esp";
    const auto installed = files_under(esp);
    // The loader, two kernels, two initrds, wdboot.conf, install.state.
    CHECK(installed.size() == 7);
    for (const auto& f : installed) {
        CHECK(f.find(".tmp") == std::string::npos);
        check_durable(sync, f);
    }

    sync.events.clear();
    SlotSpec s;
    s.name = "new";
    s.kernel = a.dir / "boot/vmlinuz-6.1.0-9-amd64";
    s.initrds = {a.dir / "boot/initrd.img-6.1.0-17-amd64"};
    REQUIRE(cmd_add_slot(a.env, s, "") == Exit::ok);
    check_durable(sync, esp + "/EFI/wdboot/kernels/new/vmlinuz");
    check_durable(sync, esp + "/EFI/wdboot/kernels/new/initrd.img");
    check_durable(sync, esp + "/EFI/wdboot/wdboot.conf");

    sync.events.clear();
    REQUIRE(cmd_remove_slot(a.env, "new", "") == Exit::ok);
    check_durable(sync, esp + "/EFI/wdboot/wdboot.conf");
}

TEST_CASE("a failed fsync leaves the old wdboot.conf and no copied files") {
    Agent a;
    machine(a);
    a.write_config(kTwoSlotConfig);
    RecordingSync sync;
    a.env.file_sync = &sync;
    const std::string conf = a.dir / "esp/EFI/wdboot/wdboot.conf";
    sync.fail_fsync_of = (std::filesystem::canonical(a.dir / "esp/EFI/wdboot") / "wdboot.conf.tmp").string();
    SlotSpec s;
    s.name = "extra";
    s.kernel = a.dir / "boot/vmlinuz-6.1.0-9-amd64";
    CHECK(cmd_add_slot(a.env, s, "") == Exit::install);
    CHECK(read_text(conf) == kTwoSlotConfig);
    CHECK(access((conf + ".tmp").c_str(), F_OK) != 0);
    CHECK(access((a.dir / "esp/EFI/wdboot/kernels/extra/vmlinuz").c_str(), F_OK) != 0);
    INFO(a.err.str());
    CHECK(a.err.str().find("cannot fsync") != std::string::npos);
}

TEST_CASE("add-slot checks everything before it copies anything") {
    Agent a;
    machine(a);
    a.write_config(kTwoSlotConfig);
    const std::string conf = a.dir / "esp/EFI/wdboot/wdboot.conf";
    const std::string copied = a.dir / "esp/EFI/wdboot/kernels/extra/vmlinuz";
    SlotSpec s;
    s.name = "extra";
    s.kernel = a.dir / "boot/vmlinuz-6.1.0-9-amd64";
    SECTION("a stanza the loader's parser rejects (options too long)") {
        s.options = std::string(kOptionsMax + 10, 'x');
        CHECK(cmd_add_slot(a.env, s, "") == Exit::config);
        CHECK(a.err.str().find("nothing changed") != std::string::npos);
    }
    SECTION("an initrd that cannot be read") {
        s.initrds = {a.dir / "boot/initrd.img-missing"};
        CHECK(cmd_add_slot(a.env, s, "") == Exit::install);
        CHECK(a.err.str().find("initrd.img-missing") != std::string::npos);
    }
    SECTION("a file another slot boots would be overwritten") {
        a.write_config(std::string(kTwoSlotConfig) + "slot other\n  linux \\EFI\\wdboot\\kernels\\extra\\vmlinuz\n");
        write_text(copied, "in use");
        CHECK(cmd_add_slot(a.env, s, "") == Exit::install);
        CHECK(a.err.str().find("used by slot \"other\"") != std::string::npos);
        CHECK(read_text(copied) == "in use");
        return;
    }
    SECTION("--dry-run shows the copies and the stanza (and needs no root)") {
        a.env.is_root = false;
        s.dry_run = true;
        s.options = "root=/dev/vda2";
        CHECK(cmd_add_slot(a.env, s, "") == Exit::ok);
        CHECK(a.out.str().find("would copy " + s.kernel + " -> " + copied) != std::string::npos);
        CHECK(a.out.str().find("slot extra\n    linux \\EFI\\wdboot\\kernels\\extra\\vmlinuz\n    options root=/dev/vda2\n") !=
              std::string::npos);
    }
    CHECK(access(copied.c_str(), F_OK) != 0);
    CHECK(access((a.dir / "esp/EFI/wdboot/kernels/extra").c_str(), F_OK) != 0);
    CHECK(read_text(conf) == kTwoSlotConfig);
}

TEST_CASE("slot names that are path components or options are refused by add-slot and remove-slot") {
    Agent a;
    machine(a);
    write_text(a.dir / "esp/EFI/wdboot/wdbootx64.efi", "MZ fake loader");
    // A hand-written stanza the loader drops (error), but that remove-slot could find.
    const std::string text = std::string(kTwoSlotConfig) + "slot ..\n  efi \\EFI\\x.efi\n";
    a.write_config(text);
    for (const char* bad : {".", "..", ".x", "-x", "--help"}) {
        INFO(bad);
        SlotSpec s;
        s.name = bad;
        s.efi_path = "\\EFI\\x.efi";
        CHECK(cmd_add_slot(a.env, s, "") == Exit::usage);
        CHECK(cmd_remove_slot(a.env, bad, "") == Exit::usage);
    }
    CHECK(read_text(a.dir / "esp/EFI/wdboot/wdboot.conf") == text);
    CHECK(read_text(a.dir / "esp/EFI/wdboot/wdbootx64.efi") == "MZ fake loader");
}

TEST_CASE("remove-slot deletes only the files of the slot's folder that no other slot uses") {
    Agent a;
    machine(a);
    const std::string k = a.dir / "esp/EFI/wdboot/kernels";
    SECTION("a kernel shared with another slot stays; the rest of the folder goes") {
        a.write_config("slot primary\n  linux \\EFI\\wdboot\\kernels\\primary\\vmlinuz\n"
                       "  initrd \\EFI\\wdboot\\kernels\\primary\\initrd.img\n"
                       "slot other\n  linux /EFI/wdboot/kernels/primary/vmlinuz\n"
                       "slot third\n  efi \\EFI\\x.efi\n");
        write_text(k + "/primary/vmlinuz", "shared kernel");
        write_text(k + "/primary/initrd.img", "own initrd");
        write_text(k + "/primary/sub/stale", "stale");
        REQUIRE(cmd_remove_slot(a.env, "primary", "") == Exit::ok);
        CHECK(read_text(k + "/primary/vmlinuz") == "shared kernel");
        CHECK(access((k + "/primary/initrd.img").c_str(), F_OK) != 0);
        CHECK(access((k + "/primary/sub").c_str(), F_OK) != 0);
        CHECK(a.out.str().find("used by slot \"other\"") != std::string::npos);

        // The slot that used it goes too: now the folder is deleted.
        write_text(k + "/other/own", "x");
        REQUIRE(cmd_remove_slot(a.env, "other", "") == Exit::ok);
        CHECK(access((k + "/other").c_str(), F_OK) != 0);
        CHECK(read_text(k + "/primary/vmlinuz") == "shared kernel");  // not other's folder
    }
    SECTION("wdboot.conf in the slot's folder is never deleted") {
        a.env.config.config_path = "\\EFI\\wdboot\\kernels\\primary\\wdboot.conf";
        write_text(k + "/primary/wdboot.conf", kTwoSlotConfig);
        write_text(k + "/primary/vmlinuz", "kernel");
        REQUIRE(cmd_remove_slot(a.env, "primary", "") == Exit::ok);
        CHECK(read_text(k + "/primary/wdboot.conf").find("slot fallback") != std::string::npos);
        CHECK(access((k + "/primary/vmlinuz").c_str(), F_OK) != 0);
    }
    SECTION("a slot folder that is a link is left alone") {
        a.write_config(std::string(kTwoSlotConfig) + "slot evil\n  efi \\EFI\\x.efi\n");
        write_text(a.dir / "esp/EFI/wdboot/keep-me", "keep");
        std::filesystem::create_directories(k);
        std::filesystem::create_directory_symlink("..", k + "/evil");
        REQUIRE(cmd_remove_slot(a.env, "evil", "") == Exit::ok);
        CHECK(read_text(a.dir / "esp/EFI/wdboot/keep-me") == "keep");
        CHECK(a.out.str().find("left " + k + "/evil alone") != std::string::npos);
    }
}

namespace {
uint8_t slot_flags(Agent& a, const char* name) {
    BootState st = a.state().state;
    uint8_t i = st.find_slot(name);
    return i == kNoSlot ? 0 : st.slots[i].flags;
}
}  // namespace

TEST_CASE("a slot name added again starts fresh: the record forgets a removed slot") {
    // Issue 7: re-adding a removed slot's name with a fixed kernel inherited its bad mark.
    Agent a;
    machine(a);
    a.write_config(kTwoSlotConfig);
    a.boot();
    REQUIRE(cmd_mark_bad(a.env, "fallback") == Exit::ok);
    REQUIRE(slot_flags(a, "fallback") & kSlotBad);
    REQUIRE(cmd_remove_slot(a.env, "fallback", "") == Exit::ok);
    CHECK(a.state().state.find_slot("fallback") == kNoSlot);
    CHECK(a.out.str().find("the state record forgot slot \"fallback\"") != std::string::npos);
    SlotSpec s;
    s.name = "fallback";
    s.kernel = a.dir / "boot/vmlinuz-6.1.0-9-amd64";
    s.options = "root=/dev/vda2";
    REQUIRE(cmd_add_slot(a.env, s, "") == Exit::ok);
    a.boot();  // the loader gives the new slot fresh counters
    BootState st = a.state().state;
    REQUIRE(st.find_slot("fallback") != kNoSlot);
    CHECK_FALSE(st.slots[st.find_slot("fallback")].has(kSlotBad));
    // The slot of the attempt in progress is kept until it is counted.
    CHECK(cmd_remove_slot(a.env, "primary", "") == Exit::ok);
    CHECK(a.state().state.find_slot("primary") != kNoSlot);
    CHECK(a.out.str().find("is the attempt in progress") != std::string::npos);
}

TEST_CASE("add-slot --efi says what the loader will give the image: UKI, kernel or application, Secure Boot") {
    Agent a;
    machine(a);
    a.write_config(kTwoSlotConfig);
    auto put = [&](const std::string& name, const std::vector<uint8_t>& bytes) {
        write_text(a.dir / ("esp/EFI/linux/" + name), std::string(bytes.begin(), bytes.end()));
    };
    put("uki.efi", wdtest::make_pe({{".cmdline", "root=/dev/vda2 ro quiet\n"}, {".linux", "k"}}, PeLayout::file));
    put("uki-wd.efi", wdtest::make_pe({{".cmdline", "root=/dev/vda2 modprobe.blacklist=i6300esb"}, {".linux", "k"}},
                                      PeLayout::file));
    put("shim.efi", wdtest::make_pe({{".text", "t"}}, PeLayout::file));
    auto add = [&](const std::string& image) {
        a.clear_output();
        SlotSpec s;
        s.name = "u";
        s.efi_path = "\\EFI\\linux\\" + image;
        s.dry_run = true;
        REQUIRE(cmd_add_slot(a.env, s, "") == Exit::ok);
        return a.out.str();
    };
    CHECK_THAT(add("uki.efi"), Catch::Contains("is a unified kernel image: its embedded command line "
                                               "\"root=/dev/vda2 ro quiet\" is kept, then the options"));
    CHECK_THAT(add("uki.efi"), !Catch::Contains("Secure Boot"));
    CHECK_THAT(add("shim.efi"), Catch::Contains("is not a kernel: it gets the options only"));

    // Secure Boot on: the stub uses the embedded command line alone.
    write_text(a.efivars + "/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c", std::string("\x06\0\0\0\x01", 5));
    CHECK_THAT(add("uki.efi"), Catch::Contains("Secure Boot is on, so systemd-stub ignores the options") &&
                                   Catch::Contains("warning: the embedded command line lacks "
                                                   "\"modprobe.blacklist=i6300esb\""));
    CHECK_THAT(add("uki-wd.efi"), !Catch::Contains("warning"));
    // A .cmdline of blanks still makes the stub ignore the options (systemd-stub 252).
    put("uki-blank.efi", wdtest::make_pe({{".cmdline", std::string(" \n\0", 3)}, {".linux", "k"}}, PeLayout::file));
    CHECK_THAT(add("uki-blank.efi"), Catch::Contains("lacks \"modprobe.blacklist=i6300esb\""));
}

TEST_CASE("add-slot --efi refuses an image the loader would never boot, and changes nothing") {
    Agent a;
    machine(a);
    a.write_config(kTwoSlotConfig);
    const std::string conf = read_text(a.dir / "esp/EFI/wdboot/wdboot.conf");
    auto refused = [&](const std::string& image, const std::string& why) {
        a.clear_output();
        SlotSpec s;
        s.name = "u";
        s.efi_path = "\\EFI\\linux\\" + image;
        CHECK(cmd_add_slot(a.env, s, "") == Exit::install);
        CHECK_THAT(a.err.str(), Catch::Contains(why) && Catch::Contains("nothing changed"));
        CHECK(read_text(a.dir / "esp/EFI/wdboot/wdboot.conf") == conf);
    };
    auto put = [&](const std::string& name, const std::string& bytes) {
        write_text(a.dir / ("esp/EFI/linux/" + name), bytes);
    };
    put("text.efi", "not a PE image at all, just text that is long enough to be read as a header.........");
    refused("text.efi", "is not an EFI image the firmware can load (no MZ header)");
    std::filesystem::create_directories(a.dir / "esp/EFI/linux/dir.efi");
    refused("dir.efi", "is not a readable file");
    auto bytes = [](const std::vector<uint8_t>& v) { return std::string(v.begin(), v.end()); };
    put("utf8.efi", bytes(wdtest::make_pe({{".cmdline", "root=/dev/vda2 lang=f\xc3\xb6o"}, {".linux", "k"}},
                                          PeLayout::file)));
    refused("utf8.efi", "its embedded .cmdline has bytes above 0x7F");
    put("huge.efi", bytes(wdtest::make_pe({{".cmdline", std::string(1000, 'x')}, {".linux", "k"}}, PeLayout::file)));
    refused("huge.efi", "exceed 1023 characters");
    // Not there yet (to be copied later): said, and accepted.
    a.clear_output();
    SlotSpec later;
    later.name = "later";
    later.efi_path = "\\EFI\\linux\\later.efi";
    later.dry_run = true;
    CHECK(cmd_add_slot(a.env, later, "") == Exit::ok);
    CHECK_THAT(a.out.str(), Catch::Contains("does not exist yet"));
}

TEST_CASE("add-slot says nothing about the state record when it has nothing to forget") {
    Agent a;
    machine(a);
    a.write_config(kTwoSlotConfig);
    // No record yet (wdboot never booted here): nothing to forget, nothing said, nothing written.
    SlotSpec s;
    s.name = "rescue";
    s.kernel = a.dir / "boot/vmlinuz-6.1.0-9-amd64";
    REQUIRE(cmd_add_slot(a.env, s, "") == Exit::ok);
    CHECK_THAT(a.out.str() + a.err.str(), !Catch::Contains("state record"));
    uint32_t attributes = 0;
    std::vector<uint8_t> data;
    CHECK(a.vars->read("WdbootStateA", attributes, data) == Status::not_found);
}
