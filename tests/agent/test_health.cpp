// The health runner with real scripts: passing, failing, timing out, skipped files,
// a parent that ignores SIGCHLD, wait errors, unsafe owners and modes.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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
    chmod((d / "health.d").c_str(), 0755);  // whatever the umask: only the owner may write
}

// The checks belong to whoever runs the tests; that is the owner the runner expects.
HealthOptions options_for(const TempDir& d) {
    HealthOptions o;
    o.dir = d / "health.d";
    o.owner = getuid();
    return o;
}

}  // namespace

TEST_CASE("checks run in name order with output forwarded, skipped files are listed") {
    TempDir d;
    script(d, "20-second", "echo second; echo to-stderr >&2");
    script(d, "10-first", "echo first slot=$WDBOOT_SLOT");
    script(d, "30-not-executable", "exit 1", 0644);
    script(d, "40-backup~", "exit 1");
    script(d, "50-x.dpkg-old", "exit 1");
    Fd out(open((d / "out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644));
    HealthOptions o = options_for(d);
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
    HealthOptions o = options_for(d);
    HealthReport r = run_health_checks(o);
    CHECK_FALSE(r.ok);
    REQUIRE(r.checks.size() == 1);
    CHECK(r.checks[0].exit_code == 3);
    CHECK(access((d / "ran").c_str(), F_OK) != 0);
}

TEST_CASE("a check that outlives its timeout is killed with its children") {
    TempDir d;
    script(d, "10-hang", "sleep 30 & sleep 30");
    HealthOptions o = options_for(d);
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

TEST_CASE("wdbootctl health: exit 11 on failure, mark-bad-reboot marks the booted slot and reboots") {
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

TEST_CASE("a parent that ignores SIGCHLD does not turn a failing check into a passing one") {
    TempDir d;
    IgnoredSigchld ignored;
    script(d, "10-ok", "exit 0");
    HealthOptions o = options_for(d);
    // Robust: the exit status is collected although the agent inherited SIG_IGN ...
    HealthReport good = run_health_checks(o);
    CHECK(good.ok);
    REQUIRE(good.checks.size() == 1);
    CHECK(good.checks[0].wait_errno == 0);
    script(d, "20-fail", "exit 3");
    HealthReport bad = run_health_checks(o);
    CHECK_FALSE(bad.ok);
    REQUIRE(bad.checks.size() == 2);
    CHECK(bad.checks[1].exit_code == 3);
    // ... and the agent's own disposition is given back afterwards.
    struct sigaction now {};
    sigaction(SIGCHLD, nullptr, &now);
    CHECK(now.sa_handler == SIG_IGN);
}

TEST_CASE("a check whose exit status cannot be collected fails") {
    TempDir d;
    script(d, "10-fail", "exit 3");
    HealthOptions o = options_for(d);
    o.wait = reaped_elsewhere;
    HealthReport r = run_health_checks(o);
    CHECK_FALSE(r.ok);
    REQUIRE(r.checks.size() == 1);
    CHECK(r.checks[0].wait_errno == ECHILD);
    CHECK_FALSE(r.checks[0].passed());
}

TEST_CASE("checks and a directory with an unsafe owner or mode are refused, not run") {
    TempDir d;
    script(d, "10-ok", "exit 0");
    script(d, "20-group", "touch " + (d / "group-ran"), 0775);
    script(d, "30-world", "touch " + (d / "world-ran"), 0757);
    HealthOptions o = options_for(d);
    SECTION("group- or world-writable checks") {
        HealthReport r = run_health_checks(o);
        CHECK(r.ok);
        REQUIRE(r.checks.size() == 1);
        CHECK(r.checks[0].name == "10-ok");
        REQUIRE(r.refused.size() == 2);
        CHECK(r.refused[0].path == d / "health.d/20-group");
        CHECK(r.refused[0].problem == "group-writable (mode 0775)");
        CHECK(r.refused[1].path == d / "health.d/30-world");
        CHECK(r.refused[1].problem == "world-writable (mode 0757)");
        CHECK(access((d / "group-ran").c_str(), F_OK) != 0);
        CHECK(access((d / "world-ran").c_str(), F_OK) != 0);
    }
    SECTION("checks owned by someone else") {
        o.owner = getuid() + 1;
        HealthReport r = run_health_checks(o);
        CHECK(r.checks.empty());
        REQUIRE(r.refused.size() == 1);  // the directory: nothing in it runs
        CHECK(r.refused[0].path == d / "health.d");
        CHECK(r.refused[0].problem.find("owned by uid " + std::to_string(getuid())) == 0);
    }
    SECTION("a group-writable directory") {
        chmod((d / "health.d").c_str(), 0775);
        HealthReport r = run_health_checks(o);
        CHECK(r.checks.empty());
        REQUIRE(r.refused.size() == 1);
        CHECK(r.refused[0].problem == "group-writable (mode 0775)");
    }
}

TEST_CASE("wdbootctl health: a refused check is exit 14 and takes no action, a failure still wins") {
    Agent a;
    a.write_config(kTwoSlotConfig);
    a.boot();
    a.env.config.health_dir = a.dir / "health.d";
    a.env.config.health_timeout_s = 5;
    a.env.config.health_action = HealthAction::mark_bad_reboot;
    write_text(a.dir / "health.d/10-ok", "#!/bin/sh\nexit 0\n", 0755);
    write_text(a.dir / "health.d/20-writable", "#!/bin/sh\nexit 1\n", 0777);
    chmod((a.dir / "health.d").c_str(), 0755);
    CHECK(cmd_health(a.env, false) == Exit::health_refused);
    CHECK(a.err.str().find("refused " + a.dir / "health.d/20-writable" + ": world-writable (mode 0777)") !=
          std::string::npos);
    // Not a failed boot: no mark-bad, no reboot, so the boot can still be blessed.
    CHECK(a.runner.calls.empty());
    CHECK_FALSE(a.state().state.slots[a.state().state.find_slot("primary")].has(kSlotBad));

    write_text(a.dir / "health.d/30-bad", "#!/bin/sh\nexit 1\n", 0755);
    CHECK(cmd_health(a.env, false) == Exit::health_failed);
    CHECK(a.runner.calls.size() == 1);
}
