// install / uninstall / add-slot / remove-slot against a temporary /boot and ESP and a
// model of efibootmgr.
#include <catch2/catch.hpp>
#include <filesystem>

#include "agent_fixture.hpp"
#include "esp_install.hpp"

using namespace wdtest;

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

TEST_CASE("kernel versions sort by version, newest first") {
    Agent a;
    machine(a);
    CHECK(list_kernel_versions(a.dir / "boot") ==
          std::vector<std::string>{"6.1.0-18-amd64", "6.1.0-17-amd64", "6.1.0-9-amd64"});
}

TEST_CASE("the reusable command line drops the old loader's and wdboot's words") {
    CHECK(reusable_cmdline("BOOT_IMAGE=/vmlinuz root=/dev/sda2 ro initrd=\\x modprobe.blacklist=i6300esb quiet\n") ==
          "root=/dev/sda2 ro quiet");
}

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
