// The boot entry check after each blessing (boot_entry_heal.hpp): a deleted, wrong or
// reordered Boot#### is repaired and recorded in install.state; failures never touch
// the blessing; the removable path copy only over a file that is ours.
#include <unistd.h>

#include <catch2/catch.hpp>

#include "agent_fixture.hpp"
#include "boot_entry.hpp"
#include "boot_entry_heal.hpp"
#include "state_commands.hpp"

using namespace wdtest;

namespace {

// A machine installed earlier: wdboot's entry 0002 first, debian's 0001 after it.
void installed(Agent& a) {
    a.write_config(kTwoSlotConfig);
    a.watchdog.on_load["i6300esb"] = WatchdogInfo{"watchdog0", "/dev/watchdog0", "i6300ESB timer", "inactive"};
    write_text(a.dir / "esp/EFI/wdboot/wdbootx64.efi", "MZ wdboot loader v2");
    write_text(a.dir / "esp/EFI/wdboot/install.state",
               "bootnum=0002\nbootorder=0001\nlabel=wdboot\ndisk=/dev/vda\npart=1\n");
    a.runner.labels = {{"0001", "debian"}, {"0002", "wdboot"}};
    a.runner.loaders = {{"0001", "\\EFI\\debian\\shimx64.efi"}, {"0002", "\\EFI\\wdboot\\wdbootx64.efi"}};
    a.runner.order = {"0002", "0001"};
}

std::string install_state(Agent& a) { return read_text(a.dir / "esp/EFI/wdboot/install.state"); }

bool blessed(Agent& a) { return a.state().state.attempt_slot == kNoSlot; }

void set_loader_string(Agent& a, const std::string& name, const std::string& value) {
    std::vector<uint8_t> d = utf16(value);
    REQUIRE(a.vars->write(name, 6, d.data(), d.size(), kLoaderInterfaceGuid) == Status::ok);
}

size_t changing_calls(const Agent& a) {
    size_t n = 0;
    for (const auto& c : a.runner.calls)
        if (c.size() > 1) ++n;
    return n;
}

}  // namespace

TEST_CASE("boot entry check: a healthy entry first in BootOrder is left alone") {
    Agent a;
    installed(a);
    a.boot();
    const std::string before = install_state(a);
    REQUIRE(cmd_mark_good(a.env) == Exit::ok);
    CHECK(blessed(a));
    CHECK(changing_calls(a) == 0);  // only the listing
    CHECK(install_state(a) == before);
    CHECK(a.out.str().find("repaired") == std::string::npos);
}

TEST_CASE("boot entry check: an entry the firmware deleted is re-created after the blessing") {
    Agent a;
    installed(a);
    a.boot();
    a.runner.labels.erase("0002");  // a firmware update forgot it
    a.runner.loaders.erase("0002");
    a.runner.order = {"0001"};
    REQUIRE(cmd_mark_good(a.env) == Exit::ok);
    CHECK(blessed(a));
    REQUIRE_FALSE(a.runner.order.empty());
    const std::string num = a.runner.order.front();
    CHECK(a.runner.labels[num] == "wdboot");
    CHECK(a.runner.loaders[num] == "\\EFI\\wdboot\\wdbootx64.efi");
    const InstallState st = read_install_state(a.dir / "esp/EFI/wdboot/install.state");
    CHECK(st.bootnum == num);
    CHECK(st.bootorder == "0001");  // the order from before the first install is kept for uninstall
    REQUIRE(st.repaired.has_value());
    CHECK(st.repaired->rfind("1700000000 Boot0002 is gone", 0) == 0);
    CHECK(a.out.str().find("boot entry repaired: Boot0002 is gone") != std::string::npos);
    // The disk came from install.state: sysfs knows nothing of the test's ESP.
    bool created = false;
    for (const auto& c : a.runner.calls)
        if (c.size() > 1 && c[1] == "--create") created = c[3] == "/dev/vda" && c[5] == "1";
    CHECK(created);
}

TEST_CASE("boot entry check: an entry that boots another file is re-created") {
    Agent a;
    installed(a);
    a.boot();
    a.runner.loaders["0002"] = "\\EFI\\BOOT\\BOOTX64.EFI";
    REQUIRE(cmd_mark_good(a.env) == Exit::ok);
    const std::string num = a.runner.order.front();
    CHECK(a.runner.loaders[num] == "\\EFI\\wdboot\\wdbootx64.efi");
    CHECK(install_state(a).find("no longer boots wdboot") != std::string::npos);
}

TEST_CASE("boot entry check: an entry moved down BootOrder is moved first again") {
    Agent a;
    installed(a);
    a.boot();
    a.runner.order = {"0001", "0002"};  // a CMOS reset or another OS's installer
    REQUIRE(cmd_mark_good(a.env) == Exit::ok);
    CHECK(a.runner.order == std::vector<std::string>{"0002", "0001"});
    CHECK(a.runner.labels.size() == 2);  // nothing re-created
    const InstallState st = read_install_state(a.dir / "esp/EFI/wdboot/install.state");
    CHECK(st.bootnum == "0002");
    REQUIRE(st.repaired.has_value());
    CHECK(st.repaired->find("BootOrder started with Boot0001: Boot0002 moved first (0002,0001)") != std::string::npos);
}

TEST_CASE("boot entry check: failures are warnings, the boot stays blessed") {
    Agent a;
    installed(a);
    a.boot();
    a.runner.order = {"0001", "0002"};
    SECTION("efibootmgr cannot list") {
        a.runner.fail_exit_for = static_cast<int>(a.runner.calls.size());
    }
    SECTION("efibootmgr --bootorder fails") {
        a.runner.fail_exit_for = static_cast<int>(a.runner.calls.size()) + 1;
    }
    SECTION("re-creating fails") {
        a.runner.labels.erase("0002");
        a.runner.order = {"0001"};
        a.runner.fail_exit_for = static_cast<int>(a.runner.calls.size()) + 2;  // listing, listing, --create
    }
    const std::string before = install_state(a);
    REQUIRE(cmd_mark_good(a.env) == Exit::ok);
    CHECK(blessed(a));
    CHECK(a.err.str().find("wdbootctl: warning:") != std::string::npos);
    CHECK(a.err.str().find("(the boot stays blessed)") != std::string::npos);
    CHECK(install_state(a) == before);  // nothing repaired, nothing recorded
}

TEST_CASE("boot entry check: not after a failed blessing") {
    Agent a;
    installed(a);
    a.boot();
    a.runner.order = {"0001", "0002"};
    a.watchdog.fail_load = "modprobe: FATAL: Module i6300esb not found";
    CHECK(cmd_mark_good(a.env) == Exit::watchdog);
    CHECK(a.runner.calls.empty());
}

TEST_CASE("boot entry check: a boot through the removable path is said") {
    Agent a;
    installed(a);
    a.boot();
    set_loader_string(a, "LoaderImageIdentifier", "\\EFI\\BOOT\\BOOTX64.EFI");
    REQUIRE(cmd_mark_good(a.env) == Exit::ok);
    CHECK(a.out.str().find("came through the removable media path") != std::string::npos);
    CHECK(is_removable_path("/efi/boot/bootx64.efi"));
    CHECK(is_removable_path("EFI\\BOOT\\BOOTX64.EFI"));
    CHECK_FALSE(is_removable_path("\\EFI\\wdboot\\wdbootx64.efi"));
}

TEST_CASE("boot entry check: an entry on another partition than the booted ESP is re-created") {
    Agent a;
    installed(a);
    a.boot();
    set_loader_string(a, "LoaderDevicePartUUID", "11111111-2222-3333-4444-555555555555");
    // The fake's entries name partition "abc".
    REQUIRE(cmd_mark_good(a.env) == Exit::ok);
    CHECK(install_state(a).find("names another partition") != std::string::npos);
}

TEST_CASE("removable-path: a copy of the loader as the removable media loader BOOTX64.EFI, only over our own file") {
    Agent a;
    installed(a);
    a.boot();
    const std::string target = a.dir / "esp/EFI/BOOT/BOOTX64.EFI";
    SECTION("no (default): never written") {
        REQUIRE(cmd_mark_good(a.env) == Exit::ok);
        CHECK(access(target.c_str(), F_OK) != 0);
    }
    SECTION("yes: written, then refreshed when the loader changes") {
        a.env.config.removable_path = RemovablePath::yes;
        REQUIRE(cmd_mark_good(a.env) == Exit::ok);
        CHECK(read_text(target) == "MZ wdboot loader v2");
        CHECK(read_install_state(a.dir / "esp/EFI/wdboot/install.state").removable ==
              content_fingerprint("MZ wdboot loader v2"));
        write_text(a.dir / "esp/EFI/wdboot/wdbootx64.efi", "MZ wdboot loader v3");
        a.clear_output();
        a.boot();
        REQUIRE(cmd_mark_good(a.env) == Exit::ok);
        CHECK(read_text(target) == "MZ wdboot loader v3");
        CHECK(a.out.str().find("refreshed") != std::string::npos);
        // Unchanged: no write, no repair line.
        a.clear_output();
        a.boot();
        const std::string before = install_state(a);
        REQUIRE(cmd_mark_good(a.env) == Exit::ok);
        CHECK(a.out.str().find("repaired") == std::string::npos);
        CHECK(install_state(a) == before);
    }
    SECTION("yes: another boot loader's file (Debian's shim) is left alone") {
        write_text(target, "MZ shim");
        a.env.config.removable_path = RemovablePath::yes;
        REQUIRE(cmd_mark_good(a.env) == Exit::ok);
        CHECK(blessed(a));
        CHECK(read_text(target) == "MZ shim");
        CHECK(a.err.str().find("is not wdboot's") != std::string::npos);
    }
    SECTION("yes: a BOOTX64.EFI identical to the loader is ours") {
        write_text(target, "MZ wdboot loader v2");
        a.env.config.removable_path = RemovablePath::yes;
        REQUIRE(cmd_mark_good(a.env) == Exit::ok);
        CHECK(read_install_state(a.dir / "esp/EFI/wdboot/install.state").removable ==
              content_fingerprint("MZ wdboot loader v2"));
        CHECK(a.err.str().find("is not wdboot's") == std::string::npos);
    }
    SECTION("force: replaces it") {
        write_text(target, "MZ shim");
        a.env.config.removable_path = RemovablePath::force;
        REQUIRE(cmd_mark_good(a.env) == Exit::ok);
        CHECK(read_text(target) == "MZ wdboot loader v2");
        CHECK(a.out.str().find("replaced another boot loader's") != std::string::npos);
    }
}

TEST_CASE("agent.conf: removable-path") {
    AgentConfig c;
    std::vector<ConfigMessage> m;
    CHECK(parse_agent_config("removable-path = yes\n", c, m));
    CHECK(c.removable_path == RemovablePath::yes);
    CHECK(parse_agent_config("removable-path = force\n", c, m));
    CHECK(c.removable_path == RemovablePath::force);
    AgentConfig d;
    CHECK_FALSE(parse_agent_config("removable-path = always\n", d, m));
    CHECK(d.removable_path == RemovablePath::no);
}
