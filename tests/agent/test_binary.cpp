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
                      "' WDBOOT_DEV='" + (a.dir / "dev") + "' '" WDBOOT_CTL "' --agent-config '" +
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

    Run l = run(a, "log -n 1");
    CHECK(l.code == 0);
    CHECK(l.out.find("blessed") != std::string::npos);
}

TEST_CASE("binary: exit codes for refusals and usage errors") {
    Agent a;
    a.write_config(kTwoSlotConfig);
    write_text(a.dir / "agent.conf", "esp = " + (a.dir / "esp") + "\n");
    CHECK(run(a, "status").code == 5);  // never booted by wdboot
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
