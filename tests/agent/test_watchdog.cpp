// Disarm and handover decisions against a fake watchdog system, and the Linux
// implementation against a fake sysfs and device directory.
#include <catch2/catch.hpp>
#include <filesystem>

#include "agent_fixture.hpp"
#include "state_commands.hpp"

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
    LinuxWatchdogSystem sys(d / "sys", d / "dev", runner);
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
