// The starter wdboot.conf of `install` (a pure function of what is in /boot) and the
// command line a slot reuses from the running system.
#include <catch2/catch.hpp>
#include <memory>
#include <sstream>
#include <string>

#include "agent_fixture.hpp"
#include "config_edit.hpp"
#include "starter_config.hpp"
#include "wdboot/watchdog_drivers.hpp"

using namespace wdboot;
using namespace wdboot::agent;

namespace {

StarterInput machine() {
    StarterInput in;
    in.boot_dir = "/boot";
    in.running = "6.1.0-18-amd64";
    in.kernels = {{"6.1.0-9-amd64", false}, {"6.1.0-18-amd64", true}, {"6.1.0-17-amd64", true}};
    in.options = "root=UUID=1234 ro quiet";
    in.timeout_s = 45;
    return in;
}

}  // namespace

TEST_CASE("starter config: the running kernel as primary, the next older one as fallback") {
    StarterConfig c = starter_config(machine());
    REQUIRE(c.error.empty());
    CHECK(c.has_fallback);
    CHECK(c.text ==
          "# wdboot.conf written by wdbootctl install; syntax in wdboot.conf(5)\n"
          "timeout 45\ntries 3\nwatchdog auto\non-exhausted last-good\n"
          "\nslot primary\n    linux \\EFI\\wdboot\\kernels\\6.1.0-18-amd64\\vmlinuz\n"
          "    initrd \\EFI\\wdboot\\kernels\\6.1.0-18-amd64\\initrd.img\n    options root=UUID=1234 ro quiet\n"
          "\nslot fallback\n    linux \\EFI\\wdboot\\kernels\\6.1.0-17-amd64\\vmlinuz\n"
          "    initrd \\EFI\\wdboot\\kernels\\6.1.0-17-amd64\\initrd.img\n    options root=UUID=1234 ro quiet\n");
    REQUIRE(c.copies.size() == 4);
    CHECK(c.copies[0].from == "/boot/vmlinuz-6.1.0-18-amd64");
    CHECK(c.copies[0].to == "\\EFI\\wdboot\\kernels\\6.1.0-18-amd64\\vmlinuz");
    CHECK(c.copies[3].from == "/boot/initrd.img-6.1.0-17-amd64");
    CHECK(c.copies[3].to == "\\EFI\\wdboot\\kernels\\6.1.0-17-amd64\\initrd.img");
    std::string problems;
    CHECK(check_config_text(c.text, problems));
    CHECK(problems.empty());
}

TEST_CASE("starter config: the fallback is the newest older version, whatever the order, newer ones are no fallback") {
    StarterInput in = machine();
    in.running = "6.1.0-10-amd64";
    in.kernels = {{"6.1.0-18-amd64", true}, {"6.1.0-9-amd64", false}, {"6.1.0-10-amd64", true}, {"6.1.0-2-amd64", true}};
    StarterConfig c = starter_config(in);
    REQUIRE(c.error.empty());
    CHECK(c.text.find("slot fallback\n    linux \\EFI\\wdboot\\kernels\\6.1.0-9-amd64\\vmlinuz\n    options") !=
          std::string::npos);  // and no initrd line: it has none
    CHECK(c.copies.size() == 3);
    CHECK(c.text.find("6.1.0-18") == std::string::npos);
}

TEST_CASE("starter config: one kernel gives one slot, a running kernel not in /boot gives none") {
    StarterInput in = machine();
    in.kernels = {{"6.1.0-18-amd64", false}};
    in.options.clear();
    StarterConfig c = starter_config(in);
    REQUIRE(c.error.empty());
    CHECK_FALSE(c.has_fallback);
    CHECK(c.text.find("slot fallback") == std::string::npos);
    CHECK(c.text.find("options") == std::string::npos);
    CHECK(c.copies.size() == 1);

    in.running = "7.0";
    c = starter_config(in);
    CHECK(c.error == "the running kernel 7.0 has no vmlinuz in /boot");
    CHECK(c.text.empty());
    CHECK(c.copies.empty());
}

TEST_CASE("kernel versions sort by version, newest first") {
    wdtest::Agent a;
    for (const char* f : {"vmlinuz-6.1.0-9-amd64", "vmlinuz-6.1.0-17-amd64", "initrd.img-6.1.0-17-amd64",
                          "vmlinuz-6.1.0-18-amd64", "config-6.1.0-18-amd64", "vmlinuz-"})
        wdtest::write_text(a.dir / (std::string("boot/") + f), "x");
    CHECK(list_kernel_versions(a.dir / "boot") ==
          std::vector<std::string>{"6.1.0-18-amd64", "6.1.0-17-amd64", "6.1.0-9-amd64"});
    const auto kernels = installed_kernels(a.dir / "boot");
    REQUIRE(kernels.size() == 3);
    CHECK_FALSE(kernels[0].has_initrd);
    CHECK(kernels[1].has_initrd);
}

TEST_CASE("the reusable command line drops the old loader's words and every watchdog driver's arguments") {
    CHECK(reusable_cmdline("BOOT_IMAGE=/vmlinuz root=/dev/sda2 ro initrd=\\x modprobe.blacklist=i6300esb quiet\n") ==
          "root=/dev/sda2 ro quiet");
    // On a TCO machine: the loader appends it again, so it must not be in the options.
    CHECK(reusable_cmdline("root=/dev/sda2 modprobe.blacklist=iTCO_wdt ro modprobe.blacklist=i6300esb") ==
          "root=/dev/sda2 ro");
    // Only the exact words: other blacklists and look-alikes stay; nothing of wdboot's is
    // named wdboot.*, so such a word is the user's.
    CHECK(reusable_cmdline("modprobe.blacklist=nouveau modprobe.blacklist=iTCO_wdt,i6300esb wdboot.x=1") ==
          "modprobe.blacklist=nouveau modprobe.blacklist=iTCO_wdt,i6300esb wdboot.x=1");
    // Every word of every driver's arguments, as the table says.
    for (const WatchdogDriverFacts& f : kWatchdogDrivers) {
        INFO(f.name);
        CHECK(reusable_cmdline(std::string("root=/dev/sda2 ") + f.kernel_args + " quiet") == "root=/dev/sda2 quiet");
        std::istringstream words(f.kernel_args);
        std::string w;
        while (words >> w) CHECK(reusable_cmdline("a " + w + " b") == "a b");
    }
}
