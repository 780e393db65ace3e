// The state commands as functions, over a fake efivarfs that the core's real run_boot()
// (with a fake loader platform) boots from.
#include <catch2/catch.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <thread>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "agent_fixture.hpp"
#include "blessing_margin.hpp"
#include "wdboot/crc32.hpp"
#include "report_commands.hpp"
#include "state_commands.hpp"
#include "wdboot/slot_policy.hpp"

using namespace wdtest;

namespace {

const SlotState& slot(const LoadedState& l, const char* name) {
    uint8_t i = l.state.find_slot(name);
    REQUIRE(i != kNoSlot);
    return l.state.slots[i];
}

void i6300esb_driver_available(Agent& a) {
    a.watchdog.on_load["i6300esb"] = WatchdogInfo{"watchdog0", "/dev/watchdog0", "i6300ESB timer", "inactive"};
}

}  // namespace

TEST_CASE("boot, status, mark-good, log: a whole good boot through the core") {
    Agent a;
    a.write_config(kTwoSlotConfig);
    i6300esb_driver_available(a);
    auto b = a.boot();
    REQUIRE(b.slot == "primary");
    LoadedState before = a.state();
    REQUIRE(before.state.attempt_slot != kNoSlot);
    CHECK(slot(before, "primary").tries_left == 2);

    a.env.json = true;
    REQUIRE(cmd_status(a.env) == Exit::ok);
    auto st = nlohmann::json::parse(a.out.str());
    CHECK(st["booted"]["slot"] == "primary");
    CHECK(st["booted"]["boot_id"] == b.boot_id);
    CHECK(st["booted"]["blessed"] == false);
    CHECK(st["watchdog"]["driver"] == "i6300esb");
    CHECK(st["watchdog"]["timeout"] == 30);
    CHECK(st["watchdog"]["armed"] == true);  // driver not loaded: nothing stopped it
    CHECK(st["slots"][0]["tries_left"] == 2);
    CHECK(st["attempt"]["slot"] == "primary");
    CHECK(st["default"] == "primary");

    a.clear_output();
    REQUIRE(cmd_mark_good(a.env) == Exit::ok);
    auto mg = nlohmann::json::parse(a.out.str());
    CHECK(mg["already_blessed"] == false);
    CHECK(mg["watchdog"]["ok"] == true);
    CHECK(a.watchdog.loaded == std::vector<std::string>{"i6300esb"});

    LoadedState after = a.state();
    CHECK(after.state.attempt_slot == kNoSlot);
    CHECK(slot(after, "primary").tries_left == 3);
    CHECK(slot(after, "primary").has(kSlotGood));
    CHECK(after.state.generation == before.state.generation + 1);
    CHECK(after.source != before.source);  // the write went to the other copy

    a.clear_output();
    REQUIRE(cmd_log(a.env, 0) == Exit::ok);
    auto log = nlohmann::json::parse(a.out.str());
    REQUIRE(log.size() >= 2);
    CHECK(log[0]["event"] == to_string(Event::blessed));  // newest first
    CHECK(log[0]["slot"] == "primary");
    CHECK(log[0]["time"] == a.clock);
    CHECK(log[1]["event"] == to_string(Event::attempt));

    SECTION("a second mark-good writes nothing and only redoes the watchdog step") {
        a.clear_output();
        REQUIRE(cmd_mark_good(a.env) == Exit::ok);
        CHECK(nlohmann::json::parse(a.out.str())["already_blessed"] == true);
        CHECK(a.state().state.generation == after.state.generation);
    }
    SECTION("the next boot stays on primary with full tries") {
        auto b2 = a.boot();
        CHECK(b2.slot == "primary");
        CHECK(slot(a.state(), "primary").tries_left == 2);
    }
    SECTION("text output of status and log") {
        a.env.json = false;
        a.clear_output();
        REQUIRE(cmd_status(a.env) == Exit::ok);
        CHECK(a.out.str().find("booted:     primary") != std::string::npos);
        CHECK(a.out.str().find("blessed") != std::string::npos);
        a.clear_output();
        REQUIRE(cmd_log(a.env, 1) == Exit::ok);
        CHECK(a.out.str().find("blessed") != std::string::npos);
        CHECK(a.out.str().find("2023-11-14 22:13:20 UTC") != std::string::npos);
        CHECK(a.out.str().find("attempt") == std::string::npos);  // limited to 1 entry
    }
}

TEST_CASE("the copies alternate A/B on every change") {
    Agent a;
    a.write_config(kTwoSlotConfig);
    a.boot();
    Copy last = a.state().source;
    uint32_t gen = a.state().state.generation;
    auto step = [&](Exit e) {
        REQUIRE(e == Exit::ok);
        LoadedState l = a.state();
        CHECK(l.source != last);
        CHECK(l.state.generation == gen + 1);
        CHECK(l.copies[0].status == Status::ok);
        CHECK(l.copies[1].status == Status::ok);
        last = l.source;
        gen = l.state.generation;
    };
    step(cmd_try(a.env, "fallback", 2));
    step(cmd_set_default(a.env, "fallback"));
    step(cmd_mark_bad(a.env, "primary"));
    step(cmd_reset(a.env));
}

TEST_CASE("operator commands change exactly what the policy says") {
    Agent a;
    a.write_config(kTwoSlotConfig);
    auto b = a.boot();
    REQUIRE(b.slot == "primary");

    SECTION("mark-bad without a slot marks the booted one; the next boot takes fallback") {
        REQUIRE(cmd_mark_bad(a.env, "") == Exit::ok);
        LoadedState l = a.state();
        CHECK(slot(l, "primary").has(kSlotBad));
        CHECK(slot(l, "primary").tries_left == 0);
        CHECK(l.state.attempt_slot == kNoSlot);
        CHECK(a.boot().slot == "fallback");
    }
    SECTION("set-default makes fallback boot first") {
        REQUIRE(cmd_set_default(a.env, "fallback") == Exit::ok);
        CHECK(a.state().state.default_slot == a.state().state.find_slot("fallback"));
        CHECK(a.boot().slot == "fallback");
    }
    SECTION("try: the trial boots, is abandoned when never blessed, and the default resumes") {
        REQUIRE(cmd_mark_good(a.env) != Exit::usage);  // bless primary (watchdog step may fail here)
        REQUIRE(cmd_try(a.env, "fallback", 1) == Exit::ok);
        CHECK(a.state().state.trial_slot == a.state().state.find_slot("fallback"));
        CHECK(a.boot(ResetCause::power_on).slot == "fallback");
        // never blessed: a watchdog reset
        CHECK(a.boot(ResetCause::watchdog).slot == "primary");
        CHECK(a.state().state.trial_slot == kNoSlot);
    }
    SECTION("a blessed trial stays good") {
        REQUIRE(cmd_try(a.env, "fallback", 1) == Exit::ok);
        i6300esb_driver_available(a);
        auto t = a.boot(ResetCause::watchdog);
        REQUIRE(t.slot == "fallback");
        REQUIRE(cmd_mark_good(a.env) == Exit::ok);
        CHECK(slot(a.state(), "fallback").has(kSlotGood));
    }
    SECTION("reset restores every slot's tries and clears bad") {
        REQUIRE(cmd_mark_bad(a.env, "fallback") == Exit::ok);
        REQUIRE(cmd_reset(a.env) == Exit::ok);
        LoadedState l = a.state();
        CHECK(slot(l, "fallback").tries_left == 3);
        CHECK_FALSE(slot(l, "fallback").has(kSlotBad));
        CHECK(slot(l, "primary").tries_left == 3);
    }
    SECTION("a slot added to wdboot.conf after the boot can be tried at once (reconciled)") {
        a.write_config(std::string(kTwoSlotConfig) + "slot newer\n  linux \\EFI\\n\\vmlinuz\n");
        REQUIRE(cmd_try(a.env, "newer", 1) == Exit::ok);
        CHECK(a.boot().slot == "newer");
    }
    SECTION("unknown slots and bad --tries are usage errors, nothing written") {
        uint32_t gen = a.state().state.generation;
        CHECK(cmd_try(a.env, "nosuch", 1) == Exit::usage);
        CHECK(cmd_try(a.env, "fallback", 0) == Exit::usage);
        CHECK(cmd_set_default(a.env, "nosuch") == Exit::usage);
        CHECK(cmd_mark_bad(a.env, "this-is-way-too-long") == Exit::usage);
        CHECK(a.err.str().find("known: primary, fallback") != std::string::npos);
        CHECK(a.state().state.generation == gen);
    }
}

TEST_CASE("a watchdog reset is counted: 3 -> 2 -> 1 -> 0 -> fallback, visible in status and log") {
    Agent a;
    a.write_config(kTwoSlotConfig);
    std::vector<int> tries;
    for (int i = 0; i < 3; ++i) {
        REQUIRE(a.boot(ResetCause::watchdog).slot == "primary");
        tries.push_back(slot(a.state(), "primary").tries_left);
    }
    CHECK(tries == std::vector<int>{2, 1, 0});
    CHECK(a.boot(ResetCause::watchdog).slot == "fallback");
    a.env.json = true;
    REQUIRE(cmd_status(a.env) == Exit::ok);
    auto st = nlohmann::json::parse(a.out.str());
    CHECK(st["booted"]["slot"] == "fallback");
    CHECK(st["last_failure"]["slot"] == "primary");
    CHECK(st["last_failure"]["reset_cause"] == to_string(ResetCause::watchdog));
    // The newest failure entry is "exhausted"; the cause journalled before it says why.
    CHECK(st["last_failure"]["event"] == "watchdog-reset");
}

TEST_CASE("status: a failed trial's last_failure is its cause, not the abandoned trial") {
    Agent a;
    a.write_config(kTwoSlotConfig);
    a.watchdog.on_load["i6300esb"] = WatchdogInfo{"watchdog0", "/dev/watchdog0", "i6300ESB timer", "inactive"};
    REQUIRE(a.boot().slot == "primary");
    REQUIRE(cmd_mark_good(a.env) == Exit::ok);
    REQUIRE(cmd_try(a.env, "fallback", 1) == Exit::ok);
    REQUIRE(a.boot().slot == "fallback");
    REQUIRE(a.boot(ResetCause::power_on).slot == "primary");  // the trial never blessed
    a.clear_output();
    a.env.json = true;
    REQUIRE(cmd_status(a.env) == Exit::ok);
    auto st = nlohmann::json::parse(a.out.str());
    CHECK(st["last_failure"]["slot"] == "fallback");
    CHECK(st["last_failure"]["event"] == "unclean-reset");
}

TEST_CASE("refusals, each with its own exit code, and nothing written") {
    Agent a;
    a.write_config(kTwoSlotConfig);
    i6300esb_driver_available(a);
    a.boot();
    const auto snapshot = [&] {
        return std::make_pair(read_bytes(a.vars->path_of("WdbootStateA")), read_bytes(a.vars->path_of("WdbootStateB")));
    };
    const auto before = snapshot();

    SECTION("efivarfs missing") {
        std::filesystem::rename(a.efivars, a.dir / "moved");
        CHECK(cmd_status(a.env) == Exit::no_efivarfs);
        CHECK(cmd_mark_good(a.env) == Exit::no_efivarfs);
        CHECK(a.err.str().find("efivarfs not found") != std::string::npos);
        CHECK(a.watchdog.loaded.empty());  // the command line names no wdboot watchdog
        std::filesystem::rename(a.dir / "moved", a.efivars);
    }
    SECTION("efivarfs missing (efi=noruntime): the command line says which watchdog to stop") {
        // Issue 7, loop case 3: without EFI runtime services mark-good used to exit
        // before the watchdog step, and the watchdog reset a healthy machine.
        write_text(a.dir / "cmdline", "root=/dev/vda2 efi=noruntime modprobe.blacklist=i6300esb\n");
        a.env.cmdline_file = a.dir / "cmdline";
        std::filesystem::rename(a.efivars, a.dir / "moved");
        CHECK(cmd_mark_good(a.env) == Exit::no_efivarfs);
        CHECK(a.watchdog.loaded == std::vector<std::string>{"i6300esb"});
        CHECK(a.err.str().find("the boot is not blessed") != std::string::npos);
        std::filesystem::rename(a.dir / "moved", a.efivars);
    }
    SECTION("efivarfs read-only: reading works, writing is refused, the watchdog is stopped") {
        a.mounts.ro = true;
        CHECK(cmd_status(a.env) == Exit::ok);
        CHECK(cmd_mark_good(a.env) == Exit::efivarfs_read_only);
        CHECK(a.watchdog.loaded == std::vector<std::string>{"i6300esb"});
        CHECK(a.err.str().find("the watchdog is stopped and the machine stays up") != std::string::npos);
        CHECK(cmd_reset(a.env) == Exit::efivarfs_read_only);
        CHECK(a.err.str().find("read-only") != std::string::npos);
    }
    SECTION("a variable write that fails (NVRAM full): the watchdog is stopped, the failure reported") {
        REQUIRE(cmd_reset(a.env) == Exit::ok);  // both copies exist now
        const auto both = snapshot();
        a.flags.fake_immutable = true;  // the write path then has to clear the flag, and fails
        a.flags.fail_set_with = ENOSPC;
        CHECK(cmd_mark_good(a.env) == Exit::io_error);
        CHECK(a.watchdog.loaded == std::vector<std::string>{"i6300esb"});
        CHECK(a.err.str().find("the boot is not blessed") != std::string::npos);
        CHECK(snapshot() == both);
        return;
    }
    SECTION("not booted by wdboot: what needs this boot is refused, nothing written") {
        REQUIRE(a.vars->remove(kCurrentVariable) == Status::ok);
        CHECK(cmd_mark_good(a.env) == Exit::not_wdboot);
        CHECK(a.err.str().find("not booted by wdboot") != std::string::npos);
        CHECK(cmd_mark_bad(a.env, "") == Exit::not_wdboot);
        CHECK(cmd_disarm(a.env, "") == Exit::not_wdboot);
        CHECK(a.watchdog.loaded.empty());
    }
    SECTION("garbage in WdbootCurrent counts as not booted by wdboot") {
        const std::string junk = "hello";
        REQUIRE(a.vars->write(kCurrentVariable, 6, reinterpret_cast<const uint8_t*>(junk.data()), junk.size()) == Status::ok);
        CHECK(cmd_mark_good(a.env) == Exit::not_wdboot);
    }
    SECTION("not root") {
        a.env.is_root = false;
        CHECK(cmd_status(a.env) == Exit::ok);
        CHECK(cmd_mark_good(a.env) == Exit::not_root);
        CHECK(cmd_try(a.env, "fallback", 1) == Exit::not_root);
        CHECK(cmd_disarm(a.env, "") == Exit::not_root);
    }
    SECTION("a record from a newer major version is never overwritten") {
        LoadedState l = a.state();
        uint8_t rec[kRecordSize];
        BootState newer = l.state;
        newer.generation += 10;
        encode_record(newer, rec);
        rec[4] = kRecordMajor + 1;
        const uint32_t c = crc32(rec, kCrcOffset);  // intact: a real newer record
        for (int i = 0; i < 4; ++i) rec[kCrcOffset + i] = static_cast<uint8_t>(c >> (8 * i));
        const std::string copy = kCopyNames[static_cast<int>(l.write_target())];
        REQUIRE(a.vars->write(copy, 7, rec, sizeof rec) == Status::ok);
        const auto locked = snapshot();
        // Issue 7, loop case 4: the watchdog is stopped all the same.
        CHECK(cmd_mark_good(a.env) == Exit::state_locked);
        CHECK(a.watchdog.loaded == std::vector<std::string>{"i6300esb"});
        CHECK(cmd_reset(a.env) == Exit::state_locked);
        CHECK(cmd_mark_bad(a.env, "") == Exit::state_locked);
        CHECK(a.err.str().find("newer") != std::string::npos);
        CHECK(snapshot() == locked);
        a.clear_output();
        a.env.json = true;
        REQUIRE(cmd_status(a.env) == Exit::ok);
        CHECK(nlohmann::json::parse(a.out.str())["read_only"] == true);
        return;
    }
    SECTION("both copies corrupt: refuse to write, stop the watchdog") {
        const uint8_t junk[] = {1, 2, 3, 4, 5};
        REQUIRE(a.vars->write("WdbootStateA", 7, junk, sizeof junk) == Status::ok);
        REQUIRE(a.vars->write("WdbootStateB", 7, junk, sizeof junk) == Status::ok);
        const auto broken = snapshot();
        CHECK(cmd_mark_good(a.env) == Exit::state_locked);
        CHECK(a.watchdog.loaded == std::vector<std::string>{"i6300esb"});
        CHECK(snapshot() == broken);
        return;
    }
    SECTION("one bit flipped in the version byte of the older copy: not read-only, the boot is blessed") {
        // Issue 7, loop case 4: the version byte used to be believed before the CRC.
        REQUIRE(cmd_reset(a.env) == Exit::ok);  // both copies exist now
        LoadedState l = a.state();
        const std::string older = kCopyNames[static_cast<int>(l.write_target())];
        auto bytes = read_bytes(a.vars->path_of(older));
        bytes[4 + 4] ^= 0x40;  // major 2 -> 66
        REQUIRE(a.vars->write(older, 7, bytes.data() + 4, bytes.size() - 4) == Status::ok);
        REQUIRE_FALSE(a.state().read_only);
        CHECK(cmd_mark_good(a.env) == Exit::ok);
        CHECK(slot(a.state(), "primary").has(kSlotGood));
        return;
    }
    SECTION("one corrupt copy: the valid one wins and the write repairs the other") {
        REQUIRE(cmd_reset(a.env) == Exit::ok);  // now both copies exist
        LoadedState l = a.state();
        const std::string other = kCopyNames[static_cast<int>(l.write_target())];
        auto bytes = read_bytes(a.vars->path_of(other));
        REQUIRE(bytes.size() > 100);
        bytes[100] ^= 0x40;
        REQUIRE(a.vars->write(other, 7, bytes.data() + 4, bytes.size() - 4) == Status::ok);
        REQUIRE(a.state().corrupt);
        REQUIRE(cmd_mark_good(a.env) == Exit::ok);
        LoadedState fixed = a.state();
        CHECK_FALSE(fixed.corrupt);
        CHECK(fixed.copies[0].status == Status::ok);
        CHECK(fixed.copies[1].status == Status::ok);
        return;
    }
    SECTION("a boot the loader could not record: refused, but the watchdog is stopped") {
        // Issue 7, loop case 2: "cannot bless boot N" used to exit before the watchdog.
        const std::string text = "slot=primary boot_id=999 watchdog=i6300esb";
        REQUIRE(a.vars->write(kCurrentVariable, 6, reinterpret_cast<const uint8_t*>(text.data()), text.size()) == Status::ok);
        CHECK(cmd_mark_good(a.env) == Exit::refused);
        CHECK(a.watchdog.loaded == std::vector<std::string>{"i6300esb"});
        CHECK(a.err.str().find("not the attempt on record") != std::string::npos);
    }
    CHECK(snapshot() == before);
}

TEST_CASE("mark-good: a watchdog that cannot be stopped is recorded, not blessed, and counted (exit 10)") {
    // Issue 7, loop case 1: the bless used to be recorded; the watchdog then reset a
    // blessed boot, which the loader does not count: the same slot booted for ever.
    Agent a;
    a.write_config(kTwoSlotConfig);
    a.watchdog.fail_load = "modprobe: FATAL: Module i6300esb not found";
    auto b = a.boot();
    CHECK(cmd_mark_good(a.env) == Exit::watchdog);
    CHECK(a.err.str().find("Module i6300esb not found") != std::string::npos);
    LoadedState l = a.state();
    CHECK_FALSE(slot(l, "primary").has(kSlotGood));
    CHECK(slot(l, "primary").last_outcome == Outcome::unstoppable);
    CHECK(l.state.attempt_boot_id == b.boot_id);  // still in progress: the reset will count
    CHECK(l.state.journal_newest(0).event == Event::disarm_failed);
    // The watchdog resets the machine: the next boot counts it as evidence.
    a.boot(ResetCause::watchdog);
    l = a.state();
    CHECK(slot(l, "primary").has(kSlotFailedHard));
    CHECK(slot(l, "primary").tries_left == 1);
}

TEST_CASE("two agents at once: the second waits for the lock and keeps the first one's change") {
    // Issue 7, loop case 8: `mark-good` from the unit and an operator's `try` both wrote
    // the same copy at the same generation; the last writer won and the bless was lost.
    Agent a;
    a.write_config(kTwoSlotConfig);
    i6300esb_driver_available(a);
    auto b = a.boot();
    a.env.state_lock = a.dir / "wdbootctl.lock";
    std::ostringstream out2, err2;
    AgentEnv other = a.env;
    other.out = &out2;
    other.err = &err2;
    Exit other_exit = Exit::failure;
    std::atomic<bool> other_done{false};
    std::thread t;
    a.env.before_save = [&] {
        // mark-good holds the lock, has read and changed the state: now the operator.
        t = std::thread([&] {
            other_exit = cmd_try(other, "fallback", 1);
            other_done = true;
        });
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        CHECK_FALSE(other_done);  // it waits for the lock
    };
    CHECK(cmd_mark_good(a.env) == Exit::ok);
    t.join();
    CHECK(other_exit == Exit::ok);
    LoadedState l = a.state();
    CHECK(slot(l, "primary").last_outcome == Outcome::blessed);  // the bless survived
    CHECK(slot(l, "primary").last_boot_id == b.boot_id);
    CHECK(l.state.trial_slot == l.state.find_slot("fallback"));  // and so did the trial
    // A lock held for longer than the wait: exit 15, nothing written.
    StateLock held;
    std::string why;
    REQUIRE(held.acquire(a.env.state_lock, 0, why) == StateLock::Result::locked);
    other.lock_wait_ms = 100;
    other.before_save = nullptr;
    CHECK(cmd_reset(other) == Exit::busy);
}

TEST_CASE("mark-good in handover mode waits for systemd to hold the device") {
    Agent a;
    a.write_config(kTwoSlotConfig);
    i6300esb_driver_available(a);
    a.env.config.watchdog_mode = WatchdogMode::handover;
    a.boot();
    SECTION("systemd opens it") {
        a.env.config.watchdog_wait_s = 1;
        a.watchdog.systemd_ignores_wakes = 1;  // taken at the second wake-up, a second later
        CHECK(cmd_mark_good(a.env) == Exit::ok);
        CHECK(a.out.str().find("handed over") != std::string::npos);
        CHECK(a.state().state.attempt_slot == kNoSlot);
    }
    SECTION("systemd never opens it") {
        a.watchdog.systemd_takes_device = false;
        CHECK(cmd_mark_good(a.env) == Exit::watchdog);
        CHECK(a.err.str().find("systemd did not open /dev/watchdog0") != std::string::npos);
    }
}

TEST_CASE("a watchdog reset after a blessed boot reads as a runtime hang, never as 255 tries left") {
    Agent a;
    a.write_config(kTwoSlotConfig);
    i6300esb_driver_available(a);
    a.boot();
    REQUIRE(cmd_mark_good(a.env) == Exit::ok);
    a.boot(ResetCause::watchdog);  // a runtime hang under a handed-over watchdog
    a.clear_output();
    REQUIRE(cmd_log(a.env, 0) == Exit::ok);
    CHECK(a.out.str().find("255") == std::string::npos);
    CHECK(a.out.str().find("runtime-hang") != std::string::npos);
    CHECK(a.out.str().find("runtime crash 1 in the slot's window") != std::string::npos);
    a.clear_output();
    a.env.json = true;
    REQUIRE(cmd_status(a.env) == Exit::ok);
    CHECK(a.out.str().find("255 tries") == std::string::npos);
    a.clear_output();
    REQUIRE(cmd_log(a.env, 0) == Exit::ok);
    auto j = nlohmann::json::parse(a.out.str());
    bool found = false;
    for (const auto& e : j) {
        if (e["event"] == "runtime-hang") found = e["detail_text"] == "runtime crash 1 in the slot's window";
    }
    CHECK(found);
}

// Rescue media or a chroot: efivarfs is there, WdbootCurrent is not (the running system
// was not booted by wdboot). bootctl's commands work there; so do these.
TEST_CASE("rescue media: status, log and the operator commands work without WdbootCurrent") {
    Agent a;
    a.write_config(kTwoSlotConfig);
    auto b = a.boot();
    REQUIRE(b.slot == "primary");
    REQUIRE(a.vars->remove(kCurrentVariable) == Status::ok);

    SECTION("status shows the record and says the current boot is unknown") {
        REQUIRE(cmd_status(a.env) == Exit::ok);
        CHECK(a.out.str().find("booted:     (unknown: not booted by wdboot)") != std::string::npos);
        CHECK(a.out.str().find("attempt:    primary (boot " + std::to_string(b.boot_id) + ")") != std::string::npos);
        a.clear_output();
        a.env.json = true;
        REQUIRE(cmd_status(a.env) == Exit::ok);
        auto j = nlohmann::json::parse(a.out.str());
        CHECK(j["booted"].is_null());
        CHECK(j["watchdog"]["driver"] == "unknown");
        CHECK(j["slots"].size() == 2);
    }
    SECTION("status and log need no root") {
        a.env.is_root = false;
        CHECK(cmd_status(a.env) == Exit::ok);
        CHECK(cmd_log(a.env, 0) == Exit::ok);
        CHECK(a.out.str().find("attempt") != std::string::npos);
    }
    SECTION("mark-bad SLOT, set-default, try and reset change the record") {
        REQUIRE(cmd_mark_bad(a.env, "primary") == Exit::ok);
        CHECK(slot(a.state(), "primary").has(kSlotBad));
        CHECK(a.state().state.attempt_slot == kNoSlot);  // that slot's attempt is cleared, as when booted
        REQUIRE(cmd_reset(a.env) == Exit::ok);
        CHECK_FALSE(slot(a.state(), "primary").has(kSlotBad));
        REQUIRE(cmd_set_default(a.env, "fallback") == Exit::ok);
        CHECK(a.state().state.default_slot == a.state().state.find_slot("fallback"));
        REQUIRE(cmd_try(a.env, "primary", 2) == Exit::ok);
        CHECK(a.state().state.trial_slot == a.state().state.find_slot("primary"));
        CHECK(a.boot().slot == "primary");  // the loader takes the change on the next boot
    }
    SECTION("a slot only in wdboot.conf is found on the ESP named by --esp") {
        a.env.config.esp = "auto";  // agent.conf says nothing; the candidates have no ESP
        a.env.esp = a.dir / "esp";
        a.write_config(std::string(kTwoSlotConfig) + "slot newer\n  linux \\EFI\\n\\vmlinuz\n");
        REQUIRE(cmd_try(a.env, "newer", 1) == Exit::ok);
        CHECK(a.boot().slot == "newer");
    }
    SECTION("writing still needs root and a writable efivarfs") {
        a.env.is_root = false;
        CHECK(cmd_set_default(a.env, "fallback") == Exit::not_root);
        CHECK(cmd_mark_bad(a.env, "fallback") == Exit::not_root);
        a.env.is_root = true;
        a.mounts.ro = true;
        CHECK(cmd_reset(a.env) == Exit::efivarfs_read_only);
        CHECK(cmd_try(a.env, "fallback", 1) == Exit::efivarfs_read_only);
    }
    SECTION("writing takes the state lock: a held lock is waited for, then refused") {
        StateLock other;
        std::string why;
        REQUIRE(other.acquire(a.env.state_lock, 0, why) == StateLock::Result::locked);
        a.env.lock_wait_ms = 50;
        CHECK(cmd_reset(a.env) == Exit::busy);
        CHECK(cmd_status(a.env) == Exit::ok);  // reading takes no lock
    }
    SECTION("no record yet (wdboot never ran here): reading shows the empty record, writing is refused") {
        REQUIRE(a.vars->remove("WdbootStateA") == Status::ok);
        (void)a.vars->remove("WdbootStateB");
        CHECK(cmd_status(a.env) == Exit::ok);
        CHECK(cmd_log(a.env, 0) == Exit::ok);
        CHECK(cmd_set_default(a.env, "fallback") == Exit::state_locked);
    }
    SECTION("mark-bad without a SLOT means the current boot: refused, and says to name one") {
        CHECK(cmd_mark_bad(a.env, "") == Exit::not_wdboot);
        CHECK(a.err.str().find("not booted by wdboot") != std::string::npos);
        CHECK(a.err.str().find("(or name the SLOT to mark bad)") != std::string::npos);
    }
    SECTION("an unknown slot says when wdboot.conf could not be read") {
        a.env.config.esp = "auto";
        a.env.esp_candidates = {a.dir / "no-esp-here"};
        CHECK(cmd_try(a.env, "newer", 1) == Exit::usage);
        CHECK(a.err.str().find("no slot \"newer\" (known: primary, fallback); wdboot.conf was not read: no ESP "
                               "found (pass --esp PATH)") != std::string::npos);
    }
    SECTION("no valid copy: the refusal says which copy is damaged and which absent") {
        REQUIRE(a.vars->remove("WdbootStateB") != Status::io_error);
        const uint8_t junk[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
        REQUIRE(a.vars->write("WdbootStateA", 7, junk, sizeof junk) == Status::ok);
        CHECK(cmd_reset(a.env) == Exit::state_locked);
        INFO(a.err.str());
        CHECK(a.err.str().find("no valid copy of the state record (copy WdbootStateA damaged (") != std::string::npos);
        CHECK(a.err.str().find("copy WdbootStateB absent)") != std::string::npos);
    }
}

TEST_CASE("status --json names every slot flag, failed-hard too, and the runtime crashes") {
    Agent a;
    a.write_config(kTwoSlotConfig);
    a.boot();
    a.boot(ResetCause::watchdog);  // primary's unblessed attempt ended in a watchdog reset
    a.clear_output();
    a.env.json = true;
    REQUIRE(cmd_status(a.env) == Exit::ok);
    auto j = nlohmann::json::parse(a.out.str());
    bool found = false;
    for (const auto& s : j["slots"]) {
        if (s["name"] != "primary") continue;
        found = true;
        CHECK(s["flags"] == nlohmann::json::array({"failed-hard"}));
        CHECK(s["runtime_crashes"] == 0);
    }
    CHECK(found);
}

TEST_CASE("blessing margin: thin past 3/4 of the timeout, unknown without a clock or a live deadline") {
    // 30 s timeout: 22.5 s is exactly 3/4 (not thin), one millisecond more is.
    CHECK_FALSE(blessing_margin(30, true, 22500).thin);
    CHECK(blessing_margin(30, true, 22500).known);
    CHECK(blessing_margin(30, true, 22501).thin);
    CHECK(blessing_margin(30, true, 30000).thin);  // at the deadline itself
    // Past the timeout the machine would have been reset: the deadline was not running.
    CHECK_FALSE(blessing_margin(30, true, 30001).known);
    CHECK_FALSE(blessing_margin(30, true, 30001).thin);
    CHECK_FALSE(blessing_margin(0, true, 1000).known);     // no watchdog armed, or not said
    CHECK_FALSE(blessing_margin(30, false, 25000).known);  // no clock
    // The largest timeout (2000 s) in milliseconds does not overflow.
    CHECK(blessing_margin(2000, true, 1999999).thin);
    CHECK_FALSE(blessing_margin(2000, true, 1500000).thin);
    CHECK(blessing_margin_warning(blessing_margin(30, true, 10000)).empty());
    CHECK(blessing_margin_warning(blessing_margin(30, true, 25000)) ==
          "warning: the watchdog was stopped 25.0 s into its 30 s timeout (past 75 %): a boot 5.0 s slower is "
          "reset before its blessing, on every slot; raise `timeout` in wdboot.conf, or bless earlier");
}

TEST_CASE("mark-good warns when the boot used most of its watchdog timeout, and still blesses it") {
    Agent a;
    a.write_config(kTwoSlotConfig);  // timeout 30
    i6300esb_driver_available(a);
    uint64_t boot_ms = 25400;
    bool clock_ok = true;
    a.env.boot_time_ms = [&](uint64_t& ms) {
        ms = boot_ms;
        return clock_ok;
    };
    a.boot();
    a.env.json = true;

    SECTION("25.4 s of 30 s: warned, blessed, exit 0") {
        REQUIRE(cmd_mark_good(a.env) == Exit::ok);
        auto mg = nlohmann::json::parse(a.out.str());
        CHECK(mg["blessed"] == true);
        CHECK(mg["blessing_margin"]["elapsed_ms"] == 25400);
        CHECK(mg["blessing_margin"]["timeout_s"] == 30);
        CHECK(mg["blessing_margin"]["thin"] == true);
        CHECK(a.err.str().find("wdbootctl: warning: the watchdog was stopped 25.4 s into its 30 s timeout") !=
              std::string::npos);
        CHECK(a.err.str().find("a boot 4.6 s slower") != std::string::npos);
        CHECK(slot(a.state(), "primary").has(kSlotGood));

        // A second mark-good: already blessed, nothing new to say.
        a.clear_output();
        boot_ms = 26000;
        REQUIRE(cmd_mark_good(a.env) == Exit::ok);
        CHECK(a.err.str().find("warning: the watchdog was stopped") == std::string::npos);
    }
    SECTION("efivarfs read-only: not blessed, the watchdog stopped, and the margin still warned about") {
        a.mounts.ro = true;
        REQUIRE(cmd_mark_good(a.env) == Exit::efivarfs_read_only);
        CHECK(nlohmann::json::parse(a.out.str())["blessing_margin"]["thin"] == true);
        CHECK(a.err.str().find("warning: the watchdog was stopped 25.4 s into its 30 s timeout") != std::string::npos);
    }
    SECTION("12 s of 30 s: the margin in JSON, no warning") {
        boot_ms = 12000;
        REQUIRE(cmd_mark_good(a.env) == Exit::ok);
        auto mg = nlohmann::json::parse(a.out.str());
        CHECK(mg["blessing_margin"]["thin"] == false);
        CHECK(a.err.str().find("warning: the watchdog was stopped") == std::string::npos);
    }
    SECTION("the text report says how much of the timeout the boot used") {
        a.env.json = false;
        boot_ms = 12345;
        REQUIRE(cmd_mark_good(a.env) == Exit::ok);
        CHECK(a.out.str().find("of slot \"primary\", 12.3 s into its 30 s watchdog timeout\n") != std::string::npos);
        CHECK(a.err.str().find("warning: the watchdog was stopped") == std::string::npos);
        a.clear_output();
        REQUIRE(cmd_mark_good(a.env) == Exit::ok);  // already blessed: no figure
        CHECK(a.out.str().find("was already blessed\n") != std::string::npos);
        CHECK(a.out.str().find("watchdog timeout") == std::string::npos);
    }
    SECTION("an hour after the start, or no clock: no margin to speak of") {
        boot_ms = 3600000;
        SECTION("late") {}
        SECTION("no clock") { clock_ok = false; }
        REQUIRE(cmd_mark_good(a.env) == Exit::ok);
        auto mg = nlohmann::json::parse(a.out.str());
        CHECK(mg["blessing_margin"].is_null());
        CHECK(a.err.str().find("warning: the watchdog was stopped") == std::string::npos);
    }
}

TEST_CASE("mark-good whose watchdog step fails says that, not the margin") {
    Agent a;
    a.write_config(kTwoSlotConfig);
    a.watchdog.fail_load = "modprobe: FATAL: Module i6300esb not found";
    a.env.boot_time_ms = [](uint64_t& ms) {
        ms = 29000;
        return true;
    };
    a.boot();
    a.env.json = true;
    CHECK(cmd_mark_good(a.env) == Exit::watchdog);
    auto mg = nlohmann::json::parse(a.out.str());
    CHECK(mg["blessing_margin"].is_null());
    CHECK(a.err.str().find("warning: the watchdog was stopped") == std::string::npos);
    CHECK(a.err.str().find("Module i6300esb not found") != std::string::npos);
}
