// The loader's flow, in the order docs/boot-flow.md gives. The platform does the
// I/O; every decision is made here so that the whole flow runs in host tests.
#include "wdboot/boot_flow.hpp"

#include "wdboot/watchdog_drivers.hpp"

#include "wdboot/text.hpp"

namespace wdboot {
namespace {

constexpr size_t kLine = 320;
// Each pass either boots a slot or marks one as failed for this boot, so the flow ends
// after at most one pass per slot plus the forced/terminal choice.
constexpr int kMaxPasses = kMaxSlots + 2;

void log_copy_problems(BootPlatform& platform, const LoadedState& loaded) {
    // Bit i of corrupt_mask: copy i. Until no damaged copy is left rather than over both
    // copies: -Oz unrolled the loop of two.
    for (unsigned i = 0, damaged = loaded.corrupt_mask & 3u; damaged != 0; ++i, damaged >>= 1) {
        if (!(damaged & 1u)) continue;
        platform.logf("state copy %s is damaged (%s)%s", kCopyNames[i], to_string(loaded.copies[i].status),
                      loaded.from_copy ? ", using the other copy" : "");
    }
    if (loaded.corrupt && !loaded.from_copy) {
        platform.logf("no valid state copy: starting with fresh counters (journalled)");
    }
}

Status save(VariableStore& store, LoadedState& loaded, const BootState& st, BootPlatform& platform,
            BootResult& r) {
    bool wrote = false;
    Status s = save_state(store, loaded, st, &wrote);
    if (wrote) ++r.writes;
    if (s == Status::read_only) return s;  // already explained at load time
    if (s != Status::ok) {
        platform.logf("WARNING: could not write the state record (%s)", to_string(s));
    }
    return s;
}

// The chosen image could not be loaded (Event::load_failed) or returned from
// StartImage (Event::start_failed): the slot is marked failed and the flow chooses
// again in the same boot, without a reset.
void fail_image(BootPlatform& platform, BootState& st, const Config& cfg, uint8_t config_slot, Event event,
                Status s, const BootFacts& facts, BootSkips& skips, BootResult& r,
                LoadFailure reason = LoadFailure::unknown) {
    platform.logf("slot \"%s\" %s (%s): marked failed, choosing again without a reset",
                  cfg.slots[config_slot].name,
                  event == Event::load_failed ? "could not be loaded" : "returned from StartImage",
                  event == Event::load_failed && reason != LoadFailure::unknown ? to_string(reason) : to_string(s));
    record_image_failure(st, cfg, config_slot, event, facts, static_cast<uint8_t>(reason));
    skips.add(config_slot);
    r.status = s;
}

// The console line for a runtime crash or a crash-loop demotion.
void log_runtime_crash(BootPlatform& platform, PreviousAttempt prev, const TextBuffer<200>& what) {
    if (prev != PreviousAttempt::runtime_crash && prev != PreviousAttempt::crash_loop) return;
    platform.logf("%s", what.c_str());
}

// Says how much NVRAM is left when it is little: efi-pstore records of repeated panics
// are what usually fills it, and the state record must stay writable.
void log_low_nvram(BootPlatform& platform, int pstore_records) {
    uint64_t free_bytes = 0;
    if (!platform.nvram_free(free_bytes) || free_bytes >= kLowNvramBytes) return;
    TextBuffer<kLine> line;
    line.appendf("wdboot: WARNING: NVRAM is nearly full: %lu bytes free", free_bytes);
    if (pstore_records > 0) {
        line.appendf("; %u efi-pstore records (kernel panic logs) take room: the agent removes them once archived",
                     static_cast<uint32_t>(pstore_records));
    }
    platform.log(line.c_str());
}

}  // namespace

void panic_argument(const Config& cfg, const SlotConfig& slot, char (&out)[16]) {
    out[0] = '\0';
    if (cfg.panic_timeout_s == 0 || command_line_sets(slot.options, text_length(slot.options), "panic=")) return;
    TextBuffer<16> t;
    t.appendf("panic=%u", cfg.panic_timeout_s);
    text_copy(out, sizeof(out), t.c_str());
}

bool build_command_line(const SlotConfig& slot, const WatchdogProbe& wd, char (&out)[kOptionsMax]) {
    TextBuffer<kOptionsMax> t;
    t.append(slot.options);
    if (wd.present && wd.kernel_args != nullptr && wd.kernel_args[0] != '\0') {
        if (t.size() > 0) t.append_char(' ');
        t.append(wd.kernel_args);
    }
    text_copy(out, kOptionsMax, t.c_str());
    return !t.truncated();
}

void BootPlatform::logf(const char* fmt, ...) {
    TextBuffer<kLogLineMax> line;
    line.append("wdboot: ");
    va_list args;
    va_start(args, fmt);
    line.vappendf(fmt, args);
    va_end(args);
    log(line.c_str());
}

BootResult run_boot(const Config& cfg, VariableStore& store, BootPlatform& platform) {
    BootResult r{};
    r.action = Action::return_to_firmware;
    r.status = Status::ok;

    // 2. Inputs (the config came from the caller): the watchdog and why the machine last
    // reset, the firmware clock, both state copies.
    WatchdogProbe wd = platform.probe_watchdog(cfg);
    // One deadline or two (early-timeout): what to arm and which kernel arguments hand
    // the timer over. A driver not in the table keeps its own arguments and `timeout`.
    const WatchdogDriverFacts* driver = wd.present ? watchdog_driver_named(wd.driver) : nullptr;
    const WatchdogPlan plan = plan_watchdog(cfg, driver);
    if (driver != nullptr) wd.kernel_args = plan.kernel_args;
    LoadedState loaded = load_state(store);
    BootState st = loaded.state;
    // Why did the last boot end: the watchdog's flag, or new efi-pstore records (a panic).
    // The OS's requests through the Boot Loader Interface (LoaderEntryOneShot is gone
    // from NVRAM once this returns).
    LoaderEntryVariables entries{};
    platform.read_loader_entries(entries);
    const int pstore = platform.pstore_records();
    BootFacts facts{note_reset_cause(st, wd.cause, pstore), platform.now()};
    log_low_nvram(platform, pstore);
    if (loaded.read_only) {
        platform.logf("WARNING: the state record belongs to a newer wdboot; it is left untouched, "
                     "attempts are not counted and the hardware watchdog is not armed");
    }
    log_copy_problems(platform, loaded);
    if (loaded.corrupt) {
        st.journal_add(st.last_boot_id, kNoSlot, Event::state_corrupt, loaded.corrupt_mask, facts);
    } else if (loaded.created) {
        st.journal_add(0, kNoSlot, Event::state_created, 0, facts);
    }

    reconcile(cfg, st);
    TextBuffer<200> previous;
    // 3. Account for the previous attempt.
    const uint8_t previous_slot = st.attempt_slot;
    PreviousAttempt prev = account_previous_attempt(cfg, st, facts, &previous);
    bool failed_before = prev == PreviousAttempt::failed;
    log_runtime_crash(platform, prev, previous);
    // 3b. LoaderEntryDefault and LoaderEntryOneShot, written with this boot's attempt.
    LoaderEntryOutcome requested = apply_loader_entries(cfg, st, entries, facts);
    for (uint8_t i = 0; i < requested.line_count; ++i) platform.log(requested.lines[i].c_str());

    if (!wd.present) {
        if (cfg.watchdog_required) {
            platform.logf("ERROR: no hardware watchdog found and watchdog-required is set: not booting; "
                         "returning to the firmware");
            (void)save(store, loaded, st, platform, r);
            r.status = Status::not_found;
            return r;
        }
        if (cfg.watchdog != WatchdogChoice::none) {
            platform.logf("WARNING: no hardware watchdog found: a hang will not be recovered automatically");
        }
    }

    BootSkips skips{};
    for (int pass = 0; pass < kMaxPasses; ++pass) {
        // 4. Choose.
        Decision d = choose(cfg, st, facts, skips);
        platform.logf("%s%s%s", failed_before && pass == 0 ? previous.c_str() : "",
                      failed_before && pass == 0 ? " -> " : "", d.reason.c_str());
        r.action = d.action;
        if (failed_before && pass == 0 && previous_slot != kNoSlot &&
            (d.action != Action::boot_slot || d.record_slot != previous_slot)) {
            platform.note_failover(previous_slot, d.action == Action::boot_slot ? d.record_slot : kNoSlot);
        }

        if (d.action != Action::boot_slot) {
            (void)save(store, loaded, st, platform, r);
            if (d.action == Action::reset_machine) platform.reset_machine();
            if (d.action == Action::power_off) platform.power_off();
            if (d.action == Action::return_to_firmware) platform.disarm_watchdog();
            return r;
        }

        const SlotConfig& slot = cfg.slots[d.config_slot];
        char cmdline[kOptionsMax];
        if (!build_command_line(slot, wd, cmdline)) {
            // Settled in memory: nothing was started, no try is spent, no write.
            platform.logf("the command line with the watchdog arguments is too long");
            fail_image(platform, st, cfg, d.config_slot, Event::load_failed, Status::load_failed, facts, skips, r,
                       LoadFailure::command_line);
            continue;
        }

        // 5. Arm before recording the attempt: a refused arm under watchdog-required must
        // leave no attempt marker behind (the slot never ran).
        bool armed = false;
        if (wd.present && (d.unprotected || loaded.read_only)) {
            platform.disarm_watchdog();  // an earlier pass of this boot may have armed it
        } else if (wd.present) {
            Status a = platform.arm_watchdog(plan.arm_s);
            armed = a == Status::ok;
            if (armed && plan.two_deadlines && pass == 0) {
                platform.logf(
                    "two deadlines: %u s until Linux's %s driver takes the timer over, then %u s until the blessing "
                    "(%s)",
                    plan.arm_s, wd.driver, cfg.timeout_s, plan.kernel_args);
            }
            if (!armed) {
                platform.logf("could not arm the %s watchdog (%s)", wd.driver, to_string(a));
                if (cfg.watchdog_required) {
                    platform.logf("watchdog-required is set: not booting; returning to the firmware");
                    (void)save(store, loaded, st, platform, r);
                    r.action = Action::return_to_firmware;
                    r.status = a;
                    return r;
                }
            }
        }

        // 6. Record the attempt, before anything of the image runs: from here on a
        // hang or a reset at any instant (LoadImage, initrd reads, the kernel, its
        // userspace) is counted against this slot on the next boot.
        uint32_t boot_id = begin_attempt(st, d, facts);
        Status w = save(store, loaded, st, platform, r);
        if (w != Status::ok) {
            // Never leave a watchdog running whose expiry could not be counted: its
            // resets would loop on this slot forever, counting nothing.
            if (armed) platform.disarm_watchdog();
            armed = false;
            if (wd.present && cfg.watchdog_required) {
                platform.logf("the attempt cannot be recorded and watchdog-required is set: not booting; "
                             "returning to the firmware");
                r.action = Action::return_to_firmware;
                r.status = w;
                return r;
            }
            if (wd.present) {
                platform.logf("WARNING: the attempt is not on record, so a watchdog reset could not be "
                             "counted: booting without the hardware watchdog");
            }
        } else if (d.unprotected) {
            platform.logf("WARNING: booting without the hardware watchdog (its last boot was healthy but "
                         "the watchdog could not be stopped)");
        }

        // 7. Load the image and its initrds.
        char panic[16];
        panic_argument(cfg, slot, panic);
        LoadFailure load_failure = LoadFailure::unknown;
        Status s = platform.load_image(slot, CommandLineParts{slot.options, wd.present ? wd.kernel_args : "", panic},
                                       load_failure);
        ++r.attempts;
        if (s != Status::ok) {
            fail_image(platform, st, cfg, d.config_slot, Event::load_failed, s, facts, skips, r, load_failure);
            continue;
        }
        // 8. Tell the OS.
        platform.publish(st, d, boot_id, wd, armed ? cfg.timeout_s : 0);

        // 9. Start it.
        s = platform.start_image();
        // StartImage returned: the image refused to run or exited.
        platform.unload_image();
        fail_image(platform, st, cfg, d.config_slot, Event::start_failed, s == Status::ok ? Status::start_failed : s,
                   facts, skips, r);
    }
    platform.disarm_watchdog();
    (void)save(store, loaded, st, platform, r);
    r.action = Action::return_to_firmware;
    return r;
}

}  // namespace wdboot
