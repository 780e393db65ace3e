// The health runner with real scripts: passing, failing, timing out, skipped files.
#include <fcntl.h>

#include <catch2/catch.hpp>
#include <chrono>

#include "agent_fixture.hpp"
#include "fd.hpp"
#include "health.hpp"
#include "health_command.hpp"

using namespace wdtest;

namespace {
void script(const TempDir& d, const std::string& name, const std::string& body, unsigned mode = 0755) {
    write_text(d / ("health.d/" + name), "#!/bin/sh\n" + body + "\n", mode);
}
}  // namespace

TEST_CASE("checks run in name order with output forwarded; skipped files are listed") {
    TempDir d;
    script(d, "20-second", "echo second; echo to-stderr >&2");
    script(d, "10-first", "echo first slot=$WDBOOT_SLOT");
    script(d, "30-not-executable", "exit 1", 0644);
    script(d, "40-backup~", "exit 1");
    script(d, "50-x.dpkg-old", "exit 1");
    Fd out(open((d / "out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644));
    HealthOptions o;
    o.dir = d / "health.d";
    o.out_fd = out.get();
    o.err_fd = out.get();
    o.env["WDBOOT_SLOT"] = "primary";
    HealthReport r = run_health_checks(o);
    CHECK(r.ok);
    REQUIRE(r.checks.size() == 2);
    CHECK(r.checks[0].name == "10-first");
    CHECK(r.skipped == std::vector<std::string>{"30-not-executable", "40-backup~", "50-x.dpkg-old"});
    CHECK(read_text(d / "out") == "first slot=primary\nsecond\nto-stderr\n");
}

TEST_CASE("a failing check stops the run and fails it") {
    TempDir d;
    script(d, "10-fail", "exit 3");
    script(d, "20-never", "touch " + (d / "ran"));
    HealthOptions o;
    o.dir = d / "health.d";
    HealthReport r = run_health_checks(o);
    CHECK_FALSE(r.ok);
    REQUIRE(r.checks.size() == 1);
    CHECK(r.checks[0].exit_code == 3);
    CHECK(access((d / "ran").c_str(), F_OK) != 0);
}

TEST_CASE("a check that outlives its timeout is killed with its children") {
    TempDir d;
    script(d, "10-hang", "sleep 30 & sleep 30");
    HealthOptions o;
    o.dir = d / "health.d";
    o.timeout_ms = 300;
    o.kill_grace_ms = 300;
    auto t0 = std::chrono::steady_clock::now();
    HealthReport r = run_health_checks(o);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    CHECK_FALSE(r.ok);
    REQUIRE(r.checks.size() == 1);
    CHECK(r.checks[0].timed_out);
    CHECK(ms < 3000);
}

TEST_CASE("no health.d directory: nothing to run, passes") {
    HealthOptions o;
    o.dir = "/nonexistent/wdboot/health.d";
    HealthReport r = run_health_checks(o);
    CHECK(r.ok);
    CHECK(r.dir_missing);
}

TEST_CASE("wdbootctl health: exit 11 on failure; mark-bad-reboot marks the booted slot and reboots") {
    Agent a;
    a.write_config(kTwoSlotConfig);
    a.boot();
    a.env.config.health_dir = a.dir / "health.d";
    a.env.config.health_timeout_s = 5;
    write_text(a.dir / "health.d/10-ok", "#!/bin/sh\nexit 0\n", 0755);
    CHECK(cmd_health(a.env, false) == Exit::ok);
    write_text(a.dir / "health.d/20-bad", "#!/bin/sh\nexit 1\n", 0755);

    SECTION("action none: nothing but the exit code") {
        CHECK(cmd_health(a.env, false) == Exit::health_failed);
        CHECK(a.runner.calls.empty());
        CHECK_FALSE(a.state().state.slots[0].has(kSlotBad));
    }
    SECTION("mark-bad-reboot") {
        a.env.config.health_action = HealthAction::mark_bad_reboot;
        SECTION("acts") {
            CHECK(cmd_health(a.env, false) == Exit::health_failed);
            REQUIRE(a.runner.calls.size() == 1);
            CHECK(a.runner.calls[0] == std::vector<std::string>{"systemctl", "reboot"});
            CHECK(a.state().state.slots[a.state().state.find_slot("primary")].has(kSlotBad));
            CHECK(a.boot().slot == "fallback");
        }
        SECTION("--no-action only reports") {
            CHECK(cmd_health(a.env, true) == Exit::health_failed);
            CHECK(a.runner.calls.empty());
        }
    }
}
