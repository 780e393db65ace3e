// The real wdbootctl binary, run as a process against the fake efivarfs, a fake sysfs
// and a fake /dev: argument parsing, exit codes and JSON on stdout.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "agent_fixture.hpp"

using namespace wdtest;

namespace {

struct Run {
    int code;
    std::string out;
};

Run run(Agent& a, const std::string& args) {
    std::string cmd = "WDBOOT_EFIVARFS='" + a.efivars + "' WDBOOT_WATCHDOG_SYSFS='" + (a.dir / "sys") +
                      "' WDBOOT_DEV='" + (a.dir / "dev") + "' WDBOOT_PSTORE='" + a.env.pstore.pstorefs +
                      "' WDBOOT_SYSTEMD_PSTORE='" + a.env.pstore.systemd_archive + "' WDBOOT_PANIC_ARCHIVE='" +
                      a.env.pstore.archive + "' WDBOOT_JOURNAL_CURSOR='" + a.env.journal_cursor +
                      "' WDBOOT_JOURNAL_SINK=stderr '" WDBOOT_CTL "' --agent-config '" +
                      (a.dir / "agent.conf") + "' " + args + " 2>" + (a.dir / "stderr");
    FILE* p = popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    int st = pclose(p);
    return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

}  // namespace

TEST_CASE("binary: status --json, mark-good with a magic close on a fake device, log") {
    Agent a;
    a.write_config(kTwoSlotConfig);
    write_text(a.dir / "agent.conf", "esp = " + (a.dir / "esp") + "\ndisarm-method = magic-close\nwatchdog-wait = 0\n");
    write_text(a.dir / "sys/watchdog0/identity", "i6300ESB timer\n");
    write_text(a.dir / "sys/watchdog0/state", "inactive\n");
    write_text(a.dir / "dev/watchdog0", "");
    auto b = a.boot();
    REQUIRE(b.slot == "primary");

    Run s = run(a, "--json status");
    REQUIRE(s.code == 0);
    auto j = nlohmann::json::parse(s.out);
    CHECK(j["booted"]["slot"] == "primary");
    CHECK(j["booted"]["blessed"] == false);
    CHECK(j["watchdog"]["device"] == a.dir / "dev/watchdog0");

    Run g = run(a, "mark-good");
    CHECK(g.code == 0);
    CHECK(g.out.find("blessed boot") != std::string::npos);
    CHECK(read_text(a.dir / "dev/watchdog0") == "V");
    CHECK(a.state().state.attempt_slot == kNoSlot);
    // The record's journal went out once (here as stderr lines), the cursor kept it.
    CHECK(read_text(a.dir / "stderr").find("wdbootctl-journal: wdboot: boot ") != std::string::npos);
    CHECK(read_text(a.dir / "stderr").find("WDBOOT_EVENT=blessed") != std::string::npos);
    CHECK(read_text(a.env.journal_cursor).find("# record journal entries") == 0);
    Run x = run(a, "export-journal");
    CHECK(x.code == 0);
    CHECK(x.out.find("sent 0 record journal entries to stderr") != std::string::npos);

    Run l = run(a, "log -n 1");
    CHECK(l.code == 0);
    CHECK(l.out.find("blessed") != std::string::npos);
}

TEST_CASE("binary: exit codes for refusals and usage errors") {
    Agent a;
    a.write_config(kTwoSlotConfig);
    write_text(a.dir / "agent.conf", "esp = " + (a.dir / "esp") + "\n");
    CHECK(run(a, "mark-good").code == 5);  // never booted by wdboot
    CHECK(run(a, "mark-bad").code == 5);   // "the current boot"
    a.boot();
    CHECK(run(a, "try").code == 2);                       // missing SLOT
    CHECK(run(a, "frobnicate").code == 2);                // unknown command
    CHECK(run(a, "try nosuch").code == 2);
    CHECK(run(a, "try fallback --tries 2").code == 0);
    CHECK(run(a, "--efivarfs /nonexistent status").code == 3);
    Run e = run(a, "--json --efivarfs /nonexistent status");
    CHECK(nlohmann::json::parse(e.out)["exit_code"] == 3);
    write_text(a.dir / "agent.conf", "watchdog-mode = sometimes\n");
    CHECK(run(a, "status").code == 12);
    CHECK(read_text(a.dir / "stderr").find("agent.conf:1: error") != std::string::npos);
}

TEST_CASE("binary: add-slot --dry-run shows the stanza and changes nothing") {
    Agent a;
    a.write_config(kTwoSlotConfig);
    write_text(a.dir / "agent.conf", "esp = " + (a.dir / "esp") + "\n");
    write_text(a.dir / "boot/vmlinuz-7", "kernel");
    Run r = run(a, "add-slot extra --kernel '" + (a.dir / "boot/vmlinuz-7") + "' --options root=/dev/vda2 --dry-run");
    CHECK(r.code == 0);
    CHECK(r.out.find("would copy " + (a.dir / "boot/vmlinuz-7")) != std::string::npos);
    CHECK(r.out.find("slot extra\n    linux \\EFI\\wdboot\\kernels\\extra\\vmlinuz\n") != std::string::npos);
    CHECK(read_text(a.dir / "esp/EFI/wdboot/wdboot.conf") == kTwoSlotConfig);
    CHECK(access((a.dir / "esp/EFI/wdboot/kernels/extra").c_str(), F_OK) != 0);
}

TEST_CASE("binary: the global options go before or after the subcommand") {
    Agent a;
    a.write_config(kTwoSlotConfig);
    write_text(a.dir / "agent.conf", "watchdog-wait = 0\n");  // no esp=: only --esp names it
    write_text(a.dir / "boot/vmlinuz-7", "kernel");
    a.boot();
    const std::string esp = "'" + (a.dir / "esp") + "'";

    for (const char* args : {"--json status", "status --json"}) {
        INFO(args);
        Run s = run(a, args);
        CHECK(s.code == 0);
        CHECK(nlohmann::json::parse(s.out)["booted"]["slot"] == "primary");
    }
    CHECK(run(a, "--efivarfs /nonexistent status").code == 3);
    CHECK(run(a, "status --efivarfs /nonexistent").code == 3);
    CHECK(nlohmann::json::parse(run(a, "log --json -n 1").out).size() == 1);

    const std::string add = "add-slot extra --kernel '" + (a.dir / "boot/vmlinuz-7") + "' --dry-run";
    for (const std::string& args : {"--esp " + esp + " " + add, add + " --esp " + esp}) {
        INFO(args);
        Run r = run(a, args);
        CHECK(r.code == 0);
        CHECK(r.out.find("slot extra\n") != std::string::npos);
    }
    // The ESP of --esp is the one the operator commands read wdboot.conf from, too.
    a.write_config(std::string(kTwoSlotConfig) + "slot newer\n  linux \\EFI\\n\\vmlinuz\n");
    CHECK(run(a, "try newer --esp " + esp).code == 0);
    CHECK(run(a, "--esp " + esp + " remove-slot newer").code == 0);
    CHECK(read_text(a.dir / "esp/EFI/wdboot/wdboot.conf") == kTwoSlotConfig);
}

TEST_CASE("binary: rescue media (no WdbootCurrent): status, log and the operator commands run") {
    Agent a;
    a.write_config(kTwoSlotConfig);
    write_text(a.dir / "agent.conf", "esp = " + (a.dir / "esp") + "\n");
    a.boot();
    REQUIRE(a.vars->remove(kCurrentVariable) == Status::ok);

    Run s = run(a, "status");
    CHECK(s.code == 0);
    CHECK(s.out.find("booted:     (unknown: not booted by wdboot)") != std::string::npos);
    CHECK(nlohmann::json::parse(run(a, "status --json").out)["booted"].is_null());
    CHECK(run(a, "log").code == 0);
    CHECK(run(a, "mark-bad fallback").code == 0);
    CHECK(run(a, "set-default fallback").code == 0);
    CHECK(run(a, "try primary --tries 2").code == 0);
    CHECK(run(a, "reset").code == 0);
    CHECK(run(a, "mark-bad").code == 5);
    CHECK(run(a, "mark-good").code == 5);
    CHECK(run(a, "disarm").code == 5);
    const LoadedState l = a.state();
    CHECK(l.state.default_slot == l.state.find_slot("fallback"));
    CHECK(l.state.trial_slot == l.state.find_slot("primary"));
}
