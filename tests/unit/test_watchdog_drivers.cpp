// The core's driver table (include/wdboot/watchdog_drivers.hpp): the one place the loader,
// the agent and the config checks take a watchdog's facts from. These tests pin the
// table's own consistency, so that adding a driver cannot leave it half-described.
#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "wdboot/config.hpp"
#include "wdboot/watchdog_drivers.hpp"

using namespace wdboot;

TEST_CASE("driver table: names, probe order and choices are unique, every entry is complete") {
    std::set<std::string> names;
    std::set<int> orders, choices;
    for (const WatchdogDriverFacts& f : kWatchdogDrivers) {
        INFO(f.name);
        CHECK(names.insert(f.name).second);
        CHECK(orders.insert(f.probe_order).second);
        CHECK(choices.insert(static_cast<int>(f.choice)).second);
        // The config keyword parses to this driver's choice and prints back as its name.
        CHECK(std::string(to_string(f.choice)) == f.name);
        CHECK(f.min_timeout_ms > 0);
        CHECK(f.min_timeout_ms <= f.max_timeout_ms);
        CHECK(f.resolution_us > 0);
        CHECK(f.resolution_us <= f.min_timeout_ms * 1000u);
        CHECK(std::string(f.linux_module).size() > 0);
        // The sysfs identity is compared in lower case.
        for (const char* c = f.linux_identity; *c != '\0'; ++c) CHECK_FALSE((*c >= 'A' && *c <= 'Z'));
        // A module that stops the timer at probe must be kept from loading by itself.
        if (f.module_stops_timer) CHECK(std::string(f.kernel_args).find(f.linux_module) != std::string::npos);
        // Loading the module is a disarm only when its probe stops the timer.
        if (f.disarm == AgentDisarm::load_driver) CHECK(f.module_stops_timer);
        CHECK(watchdog_driver(f.choice) == &f);
    }
    // Probe orders are 0..n-1, so the loader's ordered walk reaches every driver.
    CHECK(*orders.begin() == 0);
    CHECK(static_cast<size_t>(*orders.rbegin()) == orders.size() - 1);
}

TEST_CASE("driver table: looked up by the name WdbootCurrent carries, in any case") {
    CHECK(watchdog_driver_named("i6300esb") == watchdog_driver(WatchdogChoice::i6300esb));
    CHECK(watchdog_driver_named("ITCO") == watchdog_driver(WatchdogChoice::itco));
    CHECK(watchdog_driver_named("iTCO") == watchdog_driver(WatchdogChoice::itco));
    CHECK(watchdog_driver_named("none") == nullptr);
    CHECK(watchdog_driver_named("wdat") == watchdog_driver(WatchdogChoice::wdat));
    CHECK(watchdog_driver_named("IPMI") == watchdog_driver(WatchdogChoice::ipmi));
    CHECK(watchdog_driver_named("amd-fch") == watchdog_driver(WatchdogChoice::amd_fch));
    CHECK(watchdog_driver_named("AMD-FCH") == watchdog_driver(WatchdogChoice::amd_fch));
    CHECK(watchdog_driver_named("itc") == nullptr);
    CHECK(watchdog_driver_named("itcox") == nullptr);
    CHECK(watchdog_driver_named("") == nullptr);
    CHECK(watchdog_driver_named(nullptr) == nullptr);
}

TEST_CASE("driver table: the AMD FCH entry is in the table but not yet picked by auto") {
    const WatchdogDriverFacts* f = watchdog_driver(WatchdogChoice::amd_fch);
    REQUIRE(f != nullptr);
    // The loader does not probe it yet (efi/efi_watchdog.cpp): auto must not count on
    // it, so auto's timeout range and arguments stay those of the drivers it can arm.
    CHECK_FALSE(f->picked_by_auto);
    CHECK_FALSE(may_arm(WatchdogChoice::auto_detect, *f));
    WatchdogLimits l = watchdog_limits(WatchdogChoice::auto_detect);
    CHECK(l.limiting != f);
    CHECK(std::string(l.longest_args) != f->kernel_args);
    // sp5100_tco's probe stops a running timer: kept from loading, loaded to disarm.
    CHECK(f->module_stops_timer);
    CHECK(std::string(f->kernel_args) == "modprobe.blacklist=sp5100_tco");
    CHECK(f->disarm == AgentDisarm::load_driver);
    CHECK(f->resolution_us == 1000000u);
}
