// Exactly one blesser (blesser_conflicts.hpp): systemd's boot counting, GRUB's success
// tracking and a watchdog daemon are found from their files and reported in status
// (text and JSON) and at install.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "agent_fixture.hpp"
#include "blesser_conflicts.hpp"
#include "boot_entry_heal.hpp"
#include "install_commands.hpp"
#include "report_commands.hpp"

using namespace wdtest;
namespace fs = std::filesystem;

namespace {

void link(const std::string& target, const std::string& at) {
    fs::create_directories(fs::path(at).parent_path());
    fs::create_symlink(target, at);
}

std::vector<std::string> ids(Agent& a) {
    std::vector<std::string> v;
    for (const auto& c : find_blesser_conflicts(a.env)) v.push_back(c.id);
    return v;
}

}  // namespace

TEST_CASE("boot counter names (Boot Loader Specification)") {
    CHECK(has_boot_counter("linux+3.conf"));
    CHECK(has_boot_counter("linux+3-0.conf"));
    CHECK(has_boot_counter("uki+2-1.efi"));
    CHECK_FALSE(has_boot_counter("linux.conf"));
    CHECK_FALSE(has_boot_counter("a+b.conf"));
    CHECK_FALSE(has_boot_counter("linux+.conf"));
    CHECK_FALSE(has_boot_counter("linux+3-.conf"));
    CHECK_FALSE(has_boot_counter("linux+-1.conf"));
    CHECK_FALSE(has_boot_counter("linux+3"));
}

TEST_CASE("blessers: a clean machine has none, and status says nothing") {
    Agent a;
    a.write_config(kTwoSlotConfig);
    a.boot();
    write_text(a.dir / "esp/loader/entries/debian.conf", "title Debian\n");
    CHECK(ids(a).empty());
    a.env.json = true;
    REQUIRE(cmd_status(a.env) == Exit::ok);
    CHECK(nlohmann::json::parse(a.out.str())["blesser_conflicts"] == nlohmann::json::array());
}

TEST_CASE("blessers: systemd's boot counting") {
    Agent a;
    a.write_config(kTwoSlotConfig);
    a.boot();
    SECTION("a counted entry on the ESP") {
        write_text(a.dir / "esp/loader/entries/debian+3-0.conf", "title Debian\n");
        CHECK(ids(a) == std::vector<std::string>{"systemd-boot-counting"});
        CHECK(find_blesser_conflicts(a.env)[0].detail.find("debian+3-0.conf") != std::string::npos);
    }
    SECTION("a counted UKI in /boot") {
        write_text(a.dir / "boot/EFI/Linux/debian+2.efi", "MZ");
        CHECK(ids(a) == std::vector<std::string>{"systemd-boot-counting"});
    }
    SECTION("LoaderBootCountPath: systemd-boot counted this boot") {
        std::vector<uint8_t> d;
        for (char c : std::string("\\loader\\entries\\debian+2-1.conf")) d.insert(d.end(), {static_cast<uint8_t>(c), 0});
        d.insert(d.end(), {0, 0});
        REQUIRE(a.vars->write("LoaderBootCountPath", 6, d.data(), d.size(), kLoaderInterfaceGuid) == Status::ok);
        REQUIRE(ids(a) == std::vector<std::string>{"systemd-boot-counting"});
        CHECK(find_blesser_conflicts(a.env)[0].detail.find("LoaderBootCountPath=\\loader\\entries\\debian+2-1.conf") !=
              std::string::npos);
    }
    SECTION("systemd-bless-boot.service enabled by hand") {
        link("/lib/systemd/system/systemd-bless-boot.service",
             a.dir / "root/etc/systemd/system/basic.target.wants/systemd-bless-boot.service");
        CHECK(ids(a) == std::vector<std::string>{"systemd-boot-counting"});
    }
    SECTION("/etc/kernel/tries alone is not a conflict: wdboot's kernel-install plugin reads it") {
        write_text(a.dir / "root/etc/kernel/tries", "3\n");
        CHECK(ids(a).empty());
    }
}

TEST_CASE("blessers: GRUB's success tracking") {
    Agent a;
    a.write_config(kTwoSlotConfig);
    a.boot();
    SECTION("Ubuntu's grub-initrd-fallback.service") {
        link("/lib/systemd/system/grub-initrd-fallback.service",
             a.dir / "root/etc/systemd/system/multi-user.target.wants/grub-initrd-fallback.service");
        CHECK(ids(a) == std::vector<std::string>{"grub-initrd-fallback"});
        SECTION("masked") {
            link("/dev/null", a.dir / "root/etc/systemd/system/grub-initrd-fallback.service");
            CHECK(ids(a).empty());
        }
    }
    SECTION("Fedora's user timer grub-boot-success.timer, as grub2-tools ships it") {
        link("../grub-boot-success.timer", a.dir / "root/usr/lib/systemd/user/timers.target.wants/grub-boot-success.timer");
        CHECK(ids(a) == std::vector<std::string>{"grub-boot-success"});
        SECTION("masked globally") {
            link("/dev/null", a.dir / "root/etc/systemd/user/grub-boot-success.timer");
            CHECK(ids(a).empty());
        }
    }
    SECTION("the unit files alone are not a conflict") {
        write_text(a.dir / "root/lib/systemd/system/grub-initrd-fallback.service", "[Unit]\n");
        CHECK(ids(a).empty());
    }
}

TEST_CASE("blessers: a watchdog daemon, in status text and JSON and at install") {
    Agent a;
    a.write_config(kTwoSlotConfig);
    a.boot();
    link("/lib/systemd/system/watchdog.service", a.dir / "root/etc/systemd/system/default.target.wants/watchdog.service");
    write_text(a.dir / "root/etc/watchdog.conf", "# test\nwatchdog-device\t= /dev/watchdog1   # the iTCO\n");
    const auto c = find_blesser_conflicts(a.env);
    REQUIRE(c.size() == 1);
    CHECK(c[0].id == "watchdog-daemon");
    CHECK(c[0].detail.find("/dev/watchdog1") != std::string::npos);
    CHECK(c[0].fix.find("systemctl disable --now watchdog.service") != std::string::npos);

    REQUIRE(cmd_status(a.env) == Exit::ok);
    INFO(a.out.str());
    CHECK(a.out.str().find("WARNING: another blesser (watchdog-daemon)") != std::string::npos);
    a.clear_output();
    a.env.json = true;
    REQUIRE(cmd_status(a.env) == Exit::ok);
    auto j = nlohmann::json::parse(a.out.str());
    REQUIRE(j["blesser_conflicts"].size() == 1);
    CHECK(j["blesser_conflicts"][0]["id"] == "watchdog-daemon");
    CHECK(j["blesser_conflicts"][0]["fix"].get<std::string>().find("disable") != std::string::npos);

    a.clear_output();
    a.env.json = false;
    write_text(a.dir / "wdbootx64.efi", "MZ loader");
    a.env.loader_image = a.dir / "wdbootx64.efi";
    InstallOptions o;
    o.no_boot_entry = true;
    REQUIRE(cmd_install(a.env, o) == Exit::ok);
    CHECK(a.err.str().find("warning: watchdog.service is enabled") != std::string::npos);
    CHECK(a.err.str().find("exactly one blesser") != std::string::npos);
}
