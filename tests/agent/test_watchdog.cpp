// Disarm and handover decisions against a fake watchdog system, and the Linux
// implementation against a fake sysfs and device directory.
#include <catch2/catch.hpp>
#include <algorithm>
#include <filesystem>

#include "agent_fixture.hpp"
#include "current_boot.hpp"
#include "report_commands.hpp"
#include "state_commands.hpp"

#include <nlohmann/json.hpp>

using namespace wdtest;

namespace {
WatchdogInfo itco_device(const char* state) { return {"watchdog0", "/dev/watchdog0", "iTCO_wdt", state}; }
WatchdogInfo esb(const char* state) { return {"watchdog1", "/dev/watchdog1", "i6300ESB timer", state}; }
}  // namespace

TEST_CASE("i6300esb: loading the driver is the disarm, verified by sysfs state") {
    FakeWatchdog w;
    AgentConfig cfg;
    cfg.watchdog_wait_s = 1;
    w.on_load["i6300esb"] = esb("inactive");
    WatchdogReport r = disarm_watchdog(w, "i6300esb", cfg);
    CHECK(r.ok);
    CHECK(w.loaded == std::vector<std::string>{"i6300esb"});
    CHECK(w.closed.empty());
    CHECK(r.device == "/dev/watchdog1");
    CHECK(r.state == "inactive");

    SECTION("already loaded and held open by someone else: not stopped") {
        FakeWatchdog held;
        held.devices = {esb("active")};
        WatchdogReport h = disarm_watchdog(held, "i6300esb", cfg);
        CHECK_FALSE(h.ok);
        CHECK(h.message.find("still active") != std::string::npos);
        CHECK(held.loaded.empty());
    }
    SECTION("disarm-method magic-close: load, then magic close observed") {
        FakeWatchdog m;
        m.on_load["i6300esb"] = esb("inactive");
        cfg.disarm_method = DisarmMethod::magic_close;
        WatchdogReport mc = disarm_watchdog(m, "i6300esb", cfg);
        CHECK(mc.ok);
        CHECK(m.closed == std::vector<std::string>{"/dev/watchdog1"});
    }
    SECTION("the device never appears: fails after watchdog-wait") {
        FakeWatchdog never;
        WatchdogReport n = disarm_watchdog(never, "i6300esb", cfg);
        CHECK_FALSE(n.ok);
        CHECK(never.sleeps == 10);
        CHECK(n.message.find("no watchdog device") != std::string::npos);
    }
    SECTION("modprobe fails: the message is passed on") {
        FakeWatchdog f;
        f.fail_load = "FATAL: Module i6300esb not found";
        WatchdogReport e = disarm_watchdog(f, "i6300esb", cfg);
        CHECK_FALSE(e.ok);
        CHECK(e.message.find("FATAL") != std::string::npos);
    }
}

TEST_CASE("iTCO: magic close, errors injected") {
    AgentConfig cfg;
    cfg.watchdog_wait_s = 0;
    FakeWatchdog w;
    w.devices = {itco_device("inactive")};
    WatchdogReport r = disarm_watchdog(w, "itco", cfg);
    CHECK(r.ok);
    CHECK(w.closed == std::vector<std::string>{"/dev/watchdog0"});
    CHECK(w.loaded.empty());

    FakeWatchdog busy;
    busy.devices = {itco_device("active")};
    busy.fail_close = "cannot open /dev/watchdog0: Device or resource busy";
    WatchdogReport b = disarm_watchdog(busy, "itco", cfg);
    CHECK_FALSE(b.ok);
    CHECK(b.message.find("busy") != std::string::npos);

    cfg.disarm_method = DisarmMethod::driver;
    WatchdogReport d = disarm_watchdog(w, "itco", cfg);
    CHECK_FALSE(d.ok);
    CHECK(d.message.find("magic-close") != std::string::npos);
}

TEST_CASE("driver_from_cmdline: the loader's arguments name the driver, shared ones name the first") {
    CHECK(driver_from_cmdline("root=/dev/vda2 modprobe.blacklist=i6300esb ro") == "i6300esb");
    // itco and itco-pch append the same argument (one Linux module, iTCO_wdt).
    CHECK(driver_from_cmdline("root=/dev/vda2 modprobe.blacklist=iTCO_wdt") == "itco");
    CHECK(driver_from_cmdline("root=/dev/vda2 ro quiet") == "");
}

TEST_CASE("no watchdog, unknown watchdog") {
    AgentConfig cfg;
    FakeWatchdog w;
    CHECK(disarm_watchdog(w, "none", cfg).ok);
    CHECK(hand_over_watchdog(w, "none", cfg).ok);
    CHECK_FALSE(disarm_watchdog(w, "sp5100", cfg).ok);
    CHECK(w.loaded.empty());
}

TEST_CASE("an explicit watchdog-device wins over identity matching") {
    AgentConfig cfg;
    cfg.watchdog_device = "/dev/watchdog7";
    FakeWatchdog w;
    w.devices = {itco_device("inactive"), {"watchdog7", "/dev/watchdog7", "something else", "inactive"}};
    WatchdogReport r = disarm_watchdog(w, "itco", cfg);
    CHECK(r.ok);
    CHECK(w.closed == std::vector<std::string>{"/dev/watchdog7"});
}

TEST_CASE("LinuxWatchdogSystem over a fake sysfs and /dev") {
    TempDir d;
    write_text(d / "sys/watchdog0/identity", "iTCO_wdt\n");
    write_text(d / "sys/watchdog0/state", "inactive\n");
    write_text(d / "sys/watchdog10/identity", "i6300ESB timer\n");
    write_text(d / "sys/watchdog10/state", "active\n");
    write_text(d / "sys/watchdog10/nowayout", "1\n");
    write_text(d / "sys/watchdog0/nowayout", "0\n");
    write_text(d / "sys/watchdog2/identity", "wdat_wdt\n");
    write_text(d / "dev/watchdog0", "");
    FakeRunner runner;
    LinuxWatchdogSystem sys(d / "sys", d / "dev", d / "run/wdboot-watchdog.conf", runner);
    auto list = sys.list();
    REQUIRE(list.size() == 3);
    CHECK(list[0].name == "watchdog0");
    CHECK(list[1].name == "watchdog2");
    CHECK(list[2].identity == "i6300ESB timer");
    CHECK(list[2].state == "active");
    CHECK(list[1].state.empty());
    CHECK(list[2].nowayout);
    CHECK_FALSE(list[0].nowayout);
    CHECK_FALSE(list[1].nowayout);  // no attribute: not known, not assumed

    std::string msg;
    REQUIRE(sys.magic_close(d / "dev/watchdog0", msg));
    CHECK(read_text(d / "dev/watchdog0") == "V");  // the magic character, observed
    CHECK_FALSE(sys.magic_close(d / "dev/watchdog9", msg));
    CHECK(msg.find("No such file") != std::string::npos);

    REQUIRE(sys.load_driver("i6300esb", msg));
    REQUIRE(runner.calls.size() == 1);
    CHECK(runner.calls[0] == std::vector<std::string>{"modprobe", "i6300esb"});
    runner.fail_exit_for = 1;
    CHECK_FALSE(sys.load_driver("i6300esb", msg));
    CHECK(msg == "injected failure");
}

TEST_CASE("wdbootctl disarm: a failing watchdog gives exit 10 and a message") {
    Agent a;
    a.write_config(kTwoSlotConfig);
    a.boot();
    a.watchdog.devices = {esb("active")};
    CHECK(cmd_disarm(a.env, "") == Exit::watchdog);
    CHECK(a.err.str().find("not disarmed") != std::string::npos);
    a.watchdog.devices = {esb("inactive")};
    a.clear_output();
    CHECK(cmd_disarm(a.env, "") == Exit::ok);
    CHECK(cmd_disarm(a.env, "itco") == Exit::watchdog);  // --driver override: no iTCO here
}

TEST_CASE("nowayout: the magic close is taken and ignored, and the message says why") {
    AgentConfig cfg;
    cfg.watchdog_wait_s = 0;
    FakeWatchdog w;
    WatchdogInfo dev = itco_device("inactive");  // fed by the kernel since boot, not open
    dev.nowayout = true;
    w.devices = {dev};
    WatchdogReport r = disarm_watchdog(w, "itco", cfg);
    CHECK_FALSE(r.ok);
    CHECK(w.closed == std::vector<std::string>{"/dev/watchdog0"});  // the close was made
    CHECK(r.state == "active");
    CHECK(r.message.find("nowayout, so it cannot be stopped") != std::string::npos);
    CHECK(r.message.find("another process") == std::string::npos);

    SECTION("i6300esb with disarm-method magic-close and a nowayout driver") {
        FakeWatchdog e;
        WatchdogInfo loaded = esb("inactive");
        loaded.nowayout = true;
        e.on_load["i6300esb"] = loaded;
        cfg.disarm_method = DisarmMethod::magic_close;
        WatchdogReport m = disarm_watchdog(e, "i6300esb", cfg);
        CHECK_FALSE(m.ok);
        CHECK(m.message.find("nowayout") != std::string::npos);
    }
    SECTION("without nowayout, an active device is still blamed on another process") {
        FakeWatchdog held;
        held.devices = {esb("active")};
        cfg.disarm_method = DisarmMethod::driver;
        WatchdogReport h = disarm_watchdog(held, "i6300esb", cfg);
        CHECK_FALSE(h.ok);
        CHECK(h.message.find("another process") != std::string::npos);
        CHECK(h.message.find("nowayout") == std::string::npos);
    }
}

TEST_CASE("wdbootctl mark-good on a nowayout watchdog: exit 10, the record says so, the message names nowayout") {
    Agent a;
    a.write_config(kTwoSlotConfig);
    a.boot();
    a.env.config.disarm_method = DisarmMethod::magic_close;
    WatchdogInfo dev = esb("inactive");
    dev.nowayout = true;
    a.watchdog.devices = {dev};
    CHECK(cmd_mark_good(a.env) == Exit::watchdog);
    CHECK(a.err.str().find("built or loaded with nowayout, so it cannot be stopped") != std::string::npos);
    CHECK(a.err.str().find("another process") == std::string::npos);
    const BootState st = a.state().state;
    CHECK(st.slots[st.find_slot("primary")].last_outcome == Outcome::unstoppable);
    CHECK(st.attempt_slot != kNoSlot);
}

// Handover (systemd 252): the drop-in and the re-execution come before the driver is
// loaded, so that PID 1 opens the device as soon as it registers; FakeWatchdog models
// PID 1 (see agent_fixture.hpp).
TEST_CASE("handover: drop-in naming the next device, re-execution, then the driver, then systemd holds it") {
    AgentConfig cfg;
    cfg.watchdog_wait_s = 2;
    cfg.runtime_watchdog_s = 20;
    FakeWatchdog w;
    w.on_load["i6300esb"] = WatchdogInfo{"watchdog0", "/dev/watchdog0", "i6300ESB timer", "inactive"};
    WatchdogReport r = hand_over_watchdog(w, "i6300esb", cfg);
    INFO(r.message);
    CHECK(r.ok);
    CHECK(r.device == "/dev/watchdog0");
    CHECK(r.state == "active");
    // systemd's default device is /dev/watchdog0, the one to come: a reload applies
    // RuntimeWatchdogSec=, no re-execution needed.
    REQUIRE(w.events.size() >= 5);
    CHECK(std::vector<std::string>(w.events.begin(), w.events.begin() + 5) ==
          std::vector<std::string>{"drop-in", "query", "reload", "load i6300esb", "query"});
    CHECK(w.drop_in.find("[Manager]\nWatchdogDevice=/dev/watchdog0\nRuntimeWatchdogSec=20s\n") != std::string::npos);
    CHECK(w.systemd_device == "/dev/watchdog0");
    CHECK(r.message.find("handed over to systemd (RuntimeWatchdogSec=20s)") != std::string::npos);
    CHECK(w.sleeps == 0);  // taken at the first wake-up after the load

    SECTION("another watchdog is registered already: the next free number is named") {
        FakeWatchdog two;
        two.devices = {{"watchdog0", "/dev/watchdog0", "iTCO_wdt", "inactive"}};
        two.on_load["i6300esb"] = WatchdogInfo{"watchdog1", "/dev/watchdog1", "i6300ESB timer", "inactive"};
        WatchdogReport t = hand_over_watchdog(two, "i6300esb", cfg);
        CHECK(t.ok);
        CHECK(two.systemd_device == "/dev/watchdog1");
        CHECK(std::count(two.events.begin(), two.events.end(), "reexec") == 1);
        CHECK(std::count(two.events.begin(), two.events.end(), "reload") == 0);
        CHECK(two.devices[0].state == "inactive");  // the other watchdog is left alone
    }
    SECTION("the device registers under another number: systemd is pointed at it again") {
        FakeWatchdog odd;
        odd.on_load["i6300esb"] = WatchdogInfo{"watchdog3", "/dev/watchdog3", "i6300ESB timer", "inactive"};
        WatchdogReport o = hand_over_watchdog(odd, "i6300esb", cfg);
        CHECK(o.ok);
        CHECK(odd.systemd_device == "/dev/watchdog3");
        CHECK(std::count(odd.events.begin(), odd.events.end(), "reload") == 1);
        CHECK(std::count(odd.events.begin(), odd.events.end(), "reexec") == 1);
    }
    SECTION("watchdog-device names the device: the drop-in names it before the driver loads") {
        FakeWatchdog named;
        named.on_load["i6300esb"] = WatchdogInfo{"watchdog5", "/dev/watchdog5", "i6300ESB timer", "inactive"};
        AgentConfig c = cfg;
        c.watchdog_device = "/dev/watchdog5";
        CHECK(hand_over_watchdog(named, "i6300esb", c).ok);
        CHECK(std::count(named.events.begin(), named.events.end(), "reexec") == 1);
    }
    SECTION("systemd uses the device already (configured at boot): a reload is enough") {
        FakeWatchdog set;
        set.devices = {{"watchdog0", "/dev/watchdog0", "iTCO_wdt", "inactive"}};
        set.on_load["i6300esb"] = WatchdogInfo{"watchdog1", "/dev/watchdog1", "i6300ESB timer", "inactive"};
        set.systemd_device = "/dev/watchdog1";
        CHECK(hand_over_watchdog(set, "i6300esb", cfg).ok);
        CHECK(std::count(set.events.begin(), set.events.end(), "reexec") == 0);
        CHECK(std::count(set.events.begin(), set.events.end(), "reload") == 1);
        CHECK(set.systemd_runtime == "20s");
    }
    SECTION("PID 1 is slow: woken once a second until it takes the device") {
        FakeWatchdog slow;
        slow.on_load["i6300esb"] = WatchdogInfo{"watchdog0", "/dev/watchdog0", "i6300ESB timer", "inactive"};
        slow.systemd_ignores_wakes = 2;  // the query before the reload, and the first after the load
        CHECK(hand_over_watchdog(slow, "i6300esb", cfg).ok);
        CHECK(slow.sleeps == 10);
    }
    SECTION("systemd never takes it: fails after watchdog-wait, says the i6300esb is stopped") {
        FakeWatchdog never;
        never.on_load["i6300esb"] = WatchdogInfo{"watchdog0", "/dev/watchdog0", "i6300ESB timer", "inactive"};
        never.systemd_takes_device = false;
        WatchdogReport n = hand_over_watchdog(never, "i6300esb", cfg);
        CHECK_FALSE(n.ok);
        CHECK(never.sleeps == 20);
        CHECK(n.message.find("systemd did not open /dev/watchdog0 within 2 s") != std::string::npos);
        CHECK(n.message.find("the i6300esb is now stopped") != std::string::npos);
    }
    SECTION("no systemd to ask: the steps warn, and the handover fails") {
        FakeWatchdog none;
        none.on_load["i6300esb"] = WatchdogInfo{"watchdog0", "/dev/watchdog0", "i6300ESB timer", "inactive"};
        none.fail_service_manager = "Failed to connect to bus";
        WatchdogReport n = hand_over_watchdog(none, "i6300esb", cfg);
        CHECK_FALSE(n.ok);
        CHECK(none.loaded == std::vector<std::string>{"i6300esb"});
        CHECK(std::count(n.steps.begin(), n.steps.end(), "warning: Failed to connect to bus") == 2);
    }
}

TEST_CASE("handover: a device held already — by systemd it is done, by another process it fails") {
    AgentConfig cfg;
    cfg.watchdog_wait_s = 1;
    FakeWatchdog mine;
    mine.devices = {{"watchdog0", "/dev/watchdog0", "iTCO_wdt", "active"}};
    mine.systemd_device = "/dev/watchdog0";
    mine.systemd_runtime = "1min";
    WatchdogReport r = hand_over_watchdog(mine, "itco", cfg);
    CHECK(r.ok);
    CHECK(r.message.find("already handed over") != std::string::npos);
    CHECK(mine.drop_in.empty());
    CHECK(mine.events == std::vector<std::string>{"query"});

    FakeWatchdog other;
    other.devices = {{"watchdog0", "/dev/watchdog0", "iTCO_wdt", "active"}};
    WatchdogReport o = hand_over_watchdog(other, "itco", cfg);
    CHECK_FALSE(o.ok);
    CHECK(o.message.find("held open by a process other than systemd") != std::string::npos);
    CHECK(other.drop_in.empty());
}

TEST_CASE("handover of the iTCO: its driver is loaded already (not blacklisted), it is named, not loaded") {
    AgentConfig cfg;
    cfg.watchdog_wait_s = 1;
    FakeWatchdog w;
    w.devices = {{"watchdog0", "/dev/watchdog0", "i6300ESB timer", "inactive"},
                 {"watchdog1", "/dev/watchdog1", "iTCO_wdt", "inactive"}};
    WatchdogReport r = hand_over_watchdog(w, "itco", cfg);
    CHECK(r.ok);
    CHECK(w.loaded.empty());
    CHECK(w.systemd_device == "/dev/watchdog1");
    CHECK(w.devices[0].state == "inactive");
    CHECK(w.devices[1].state == "active");
}

TEST_CASE("next_watchdog_device: the lowest free number") {
    CHECK(next_watchdog_device({}, "/dev") == "/dev/watchdog0");
    std::vector<WatchdogInfo> d = {{"watchdog0", "", "", ""}, {"watchdog2", "", "", ""}};
    CHECK(next_watchdog_device(d, "/x") == "/x/watchdog1");
    d.push_back({"watchdog1", "", "", ""});
    CHECK(next_watchdog_device(d, "/dev") == "/dev/watchdog3");
}

TEST_CASE("LinuxWatchdogSystem: the drop-in, daemon-reexec and systemctl show") {
    TempDir d;
    FakeRunner runner;
    LinuxWatchdogSystem sys(d / "sys", d / "dev", d / "run/system.conf.d/wdboot-watchdog.conf", runner);
    std::string msg;
    std::filesystem::create_directories(d / "run");
    REQUIRE(sys.write_service_manager_config("[Manager]\nA=1\n", msg));
    CHECK(read_text(d / "run/system.conf.d/wdboot-watchdog.conf") == "[Manager]\nA=1\n");
    REQUIRE(sys.write_service_manager_config("[Manager]\nB=2\n", msg));  // replaced whole
    CHECK(read_text(d / "run/system.conf.d/wdboot-watchdog.conf") == "[Manager]\nB=2\n");
    CHECK_FALSE(std::filesystem::exists(d / "run/system.conf.d/wdboot-watchdog.conf.tmp"));

    REQUIRE(sys.reexec_service_manager(msg));
    REQUIRE(sys.reload_service_manager(msg));
    runner.output_of["systemctl"] = "RuntimeWatchdogUSec=20s\nWatchdogDevice=/dev/watchdog1\n";
    ServiceManagerWatchdog sm;
    REQUIRE(sys.query_service_manager(sm, msg));
    CHECK(sm.device == "/dev/watchdog1");
    CHECK(sm.runtime == "20s");
    REQUIRE(runner.calls.size() == 3);
    CHECK(runner.calls[0] == std::vector<std::string>{"systemctl", "daemon-reexec"});
    CHECK(runner.calls[1] == std::vector<std::string>{"systemctl", "daemon-reload"});
    CHECK(runner.calls[2] ==
          std::vector<std::string>{"systemctl", "show", "-p", "WatchdogDevice", "-p", "RuntimeWatchdogUSec"});
    runner.fail_exit_for = 3;
    CHECK_FALSE(sys.reexec_service_manager(msg));
    CHECK(msg.find("injected failure") != std::string::npos);

    LinuxWatchdogSystem nowhere(d / "sys", d / "dev", d / "missing/deeper/wdboot-watchdog.conf", runner);
    CHECK_FALSE(nowhere.write_service_manager_config("x", msg));
    CHECK(msg.find("cannot create") != std::string::npos);
}

TEST_CASE("ipmi: stopped through the BMC (Set Watchdog Timer), verified with Get, in both modes") {
    AgentConfig cfg;
    cfg.watchdog_wait_s = 1;
    FakeWatchdog w;
    w.bmc_running = true;
    WatchdogReport r = disarm_watchdog(w, "ipmi", cfg);
    CHECK(r.ok);
    CHECK_FALSE(w.bmc_running);
    CHECK(r.message == "BMC watchdog stopped (Set Watchdog Timer through the IPMI device)");
    CHECK(w.loaded.empty());  // ipmi_watchdog is never loaded: its probe would stop the timer unverified
    CHECK(w.closed.empty());
    REQUIRE(w.bmc_requests.size() == 3);  // Get, Set, Get
    // Set: timer use OS Load without don't-stop, action none, the initial countdown kept.
    CHECK(w.bmc_requests[1] == std::vector<uint8_t>{0x06, 0x24, 0x03, 0x00, 0x00, 0x00, 250, 0});

    SECTION("not running: nothing is sent but the Get") {
        FakeWatchdog idle;
        WatchdogReport i = disarm_watchdog(idle, "ipmi", cfg);
        CHECK(i.ok);
        CHECK(idle.bmc_requests.size() == 1);
        CHECK(i.message.find("not running") != std::string::npos);
    }
    SECTION("a BMC that cannot be reached: not ok, the message names it") {
        FakeWatchdog dead;
        dead.bmc_running = true;
        dead.bmc_unreachable = "no /dev/ipmi0 appeared";
        WatchdogReport d = disarm_watchdog(dead, "ipmi", cfg);
        CHECK_FALSE(d.ok);
        CHECK(d.message == "cannot reach the BMC: no /dev/ipmi0 appeared");
    }
    SECTION("a BMC that acknowledges the stop and keeps counting: not ok") {
        FakeWatchdog stubborn;
        stubborn.bmc_running = true;
        stubborn.bmc_ignores_stop = true;
        WatchdogReport s = disarm_watchdog(stubborn, "ipmi", cfg);
        CHECK_FALSE(s.ok);
        CHECK(s.message.find("still runs after Set Watchdog Timer") != std::string::npos);
    }
    SECTION("handover mode: impossible for the BMC timer, stopped instead and said so") {
        FakeWatchdog h;
        h.bmc_running = true;
        cfg.watchdog_mode = WatchdogMode::handover;
        WatchdogReport o = hand_over_watchdog(h, "ipmi", cfg);
        CHECK(o.ok);
        CHECK_FALSE(h.bmc_running);
        REQUIRE_FALSE(o.steps.empty());
        CHECK(o.steps[0].find("handover impossible for ipmi") != std::string::npos);
        CHECK(h.events.empty());  // systemd untouched
    }
}

TEST_CASE("status of the ipmi watchdog asks the BMC: running, stopped, unreachable") {
    Agent a;
    a.write_config("timeout 30\nwatchdog ipmi\n\nslot primary\n  linux \\vmlinuz\n");
    REQUIRE(a.boot().slot == "primary");
    // WdbootCurrent as the loader writes it with the BMC armed (the fixture's loader
    // always finds an i6300esb).
    uint32_t attrs = 0;
    std::vector<uint8_t> data;
    REQUIRE(a.vars->read(kCurrentVariable, attrs, data) == Status::ok);
    std::string text(data.begin(), data.end());
    const auto at = text.find("watchdog=i6300esb");
    REQUIRE(at != std::string::npos);
    text.replace(at, 17, "watchdog=ipmi");
    REQUIRE(a.vars->write(kCurrentVariable, attrs, reinterpret_cast<const uint8_t*>(text.data()), text.size()) ==
            Status::ok);
    a.env.json = true;
    auto status = [&] {
        a.clear_output();
        REQUIRE(cmd_status(a.env) == Exit::ok);
        return nlohmann::json::parse(a.out.str())["watchdog"];
    };
    a.watchdog.bmc_running = true;
    auto running = status();
    CHECK(running["driver"] == "ipmi");
    CHECK(running["armed"] == true);
    CHECK(running["detail"] == "BMC watchdog running, 25 s left");
    CHECK(a.watchdog.loaded.empty());
    a.watchdog.bmc_running = false;
    auto stopped = status();
    CHECK(stopped["armed"] == false);
    CHECK(stopped["detail"] == "BMC watchdog stopped");
    a.watchdog.bmc_unreachable = "no /dev/ipmi0";
    auto unknown = status();
    CHECK(unknown["armed"].is_null());
    CHECK(unknown["detail"] == "cannot reach the BMC: no /dev/ipmi0");
}
