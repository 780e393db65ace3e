#include "state_commands.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <nlohmann/json.hpp>

#include "blessing_margin.hpp"
#include "boot_entry_heal.hpp"
#include "journal_export.hpp"
#include "kernel_commands.hpp"
#include "loader_entries.hpp"
#include "pstore_command.hpp"
#include "wdboot/slot_policy.hpp"

namespace wdboot::agent {
namespace {

nlohmann::json watchdog_report_json(const WatchdogReport& r) {
    return {{"ok", r.ok},
            {"device", r.device.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.device)},
            {"state", r.state.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.state)},
            {"steps", r.steps},
            {"message", r.message}};
}

void print_report(AgentEnv& env, const WatchdogReport& r) {
    for (const auto& step : r.steps) note(env, "watchdog: " + step);
    if (r.ok) note(env, "watchdog: " + r.message);
}

// A slot named on the command line, looked up in the record. A slot that is configured
// in wdboot.conf but not yet in the record (added since the last boot) is brought in
// with the core's reconcile(), exactly as the loader will do on the next boot.
Exit resolve_slot(AgentEnv& env, BootState& st, const std::string& name, uint8_t& idx) {
    if (name.empty() || name.size() >= kSlotNameBytes) return fail(env, Exit::usage, "invalid slot name \"" + name + "\"");
    idx = st.find_slot(name.c_str());
    if (idx != kNoSlot) return Exit::ok;
    auto cfg = std::make_unique<Config>();
    std::string path;
    const bool have_config = load_boot_config(env, *cfg, path);
    if (have_config && cfg->find(name.c_str()) != kNoSlot) {
        reconcile(*cfg, st);
        idx = st.find_slot(name.c_str());
        if (idx != kNoSlot) return Exit::ok;
    }
    std::string known;
    for (const auto& s : st.slots)
        if (s.used()) known += std::string(known.empty() ? "" : ", ") + s.name;
    std::string message = "no slot \"" + name + "\" (known: " + (known.empty() ? "none" : known) + ")";
    // A slot added since the last boot is only in wdboot.conf: say when that was not read.
    if (!have_config)
        message += path.empty() ? "; wdboot.conf was not read: no ESP found (pass --esp PATH)"
                                : "; wdboot.conf was not read: cannot open " + path;
    return fail(env, Exit::usage, message);
}

Exit policy_failure(AgentEnv& env, Status s, const std::string& what) {
    Exit e = s == Status::invalid_argument || s == Status::not_found ? Exit::usage : Exit::refused;
    return fail(env, e, what + ": " + to_string(s));
}

void print_done(AgentEnv& env, const std::string& message, bool wrote, nlohmann::json extra = nlohmann::json::object()) {
    if (env.json) {
        extra["result"] = message;
        extra["written"] = wrote;
        *env.out << extra.dump(2) << "\n";
    } else {
        *env.out << message << (wrote ? "" : " (no change)") << "\n";
    }
}

// What a state-changing command reports once its change is saved.
struct Done {
    std::string message;
    nlohmann::json extra = nlohmann::json::object();
};

// The frame every state-changing command shares: a writable session (with `needs`
// beyond kNeedWrite, e.g. kNeedCurrent when the command acts on the current boot),
// `change` applied to a copy of the state (it returns non-ok to refuse), the save, the
// report.
template <typename Change>
Exit change_state(AgentEnv& env, unsigned needs, Change change) {
    Session s;
    Exit e = open_session(env, needs | kNeedWrite, s);
    if (e != Exit::ok) return e;
    BootState next = s.loaded.state;
    Done done;
    if ((e = change(s, next, done)) != Exit::ok) return e;
    bool wrote = false;
    if ((e = save_session(env, s, next, &wrote)) != Exit::ok) return e;
    print_done(env, done.message, wrote, done.extra);
    return Exit::ok;
}

// Resolves a slot name and applies one core slot operation to it; a refusal by the
// core is reported as `refused`.
template <typename Op>
Exit apply_to_slot(AgentEnv& env, BootState& st, const std::string& name, Op op, const std::string& refused) {
    uint8_t idx = kNoSlot;
    Exit e = resolve_slot(env, st, name, idx);
    if (e != Exit::ok) return e;
    Status status = op(st, idx);
    return status == Status::ok ? Exit::ok : policy_failure(env, status, refused);
}

}  // namespace

WatchdogReport apply_watchdog_mode(AgentEnv& env, const std::string& driver) {
    return env.config.watchdog_mode == WatchdogMode::handover ? hand_over_watchdog(*env.watchdog, driver, env.config)
                                                              : disarm_watchdog(*env.watchdog, driver, env.config);
}

namespace {

// Which watchdog wdboot armed for this boot: WdbootCurrent's word, else (no efivarfs,
// EFI runtime services off) the loader's kernel arguments on /proc/cmdline.
std::string armed_driver(AgentEnv& env, bool have_current, const CurrentBoot& cur) {
    if (have_current) return cur.watchdog;
    std::ifstream in(env.cmdline_file);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return driver_from_cmdline(cmdline);
}

}  // namespace

// The rule: the watchdog step comes first and always runs on a healthy system, whatever
// the state record allows (read-only efivarfs, NVRAM full, a record we may not write,
// a boot the loader could not record): a machine that cannot be told it is healthy
// must still stay up. Then the outcome is recorded in one write: blessed when the
// watchdog was stopped or handed over; otherwise record_unstoppable(), so that the
// reset that follows is counted against the slot instead of looping on it.
Exit cmd_mark_good(AgentEnv& env) {
    CurrentBoot cur;
    std::string current_error;
    const bool have_efivarfs = env.efivars->availability() != Availability::missing;
    const bool have_current = have_efivarfs && read_current_boot(env, cur, current_error);
    if (!have_efivarfs) {
        current_error = "efivarfs not found at " + env.efivars->root() + " (EFI runtime services off, or not mounted)";
    }
    const std::string driver = armed_driver(env, have_current, cur);
    const Exit no_current = have_efivarfs ? Exit::not_wdboot : Exit::no_efivarfs;
    if (!have_current && driver.empty()) return fail(env, no_current, current_error);
    if (!env.is_root) return fail(env, Exit::not_root, "blessing a boot and stopping its watchdog need root");

    // 1. The watchdog.
    if (!have_current) note(env, "wdbootctl: " + current_error + "; the kernel command line says wdboot armed the " + driver + " watchdog");
    WatchdogReport r = apply_watchdog_mode(env, driver);
    if (!env.json) print_report(env, r);
    // How much of the loader's deadline this boot used (blessing_margin.hpp): taken at
    // the watchdog step, the moment it stopped mattering.
    uint64_t elapsed_ms = 0;
    const bool have_elapsed = env.boot_time_ms && env.boot_time_ms(elapsed_ms);
    const BlessingMargin margin =
        blessing_margin(r.ok && have_current && cur.watchdog != "none" ? cur.timeout : 0, have_elapsed, elapsed_ms);

    // 2. The record. Problems are collected, not returned early: the report must say
    // what happened to both.
    Exit record_exit = Exit::ok;
    std::string record_error;
    bool wrote = false, already = false;
    nlohmann::json pstore = nullptr;
    std::unique_ptr<BootState> before_bless;  // for the kernel hooks' promotion
    if (!have_current) {
        record_exit = no_current;
        record_error = current_error + ": the boot cannot be blessed";
    } else {
        // open_session prints its own refusal; with --json that would be a second
        // document, so the JSON report carries it instead.
        std::ostringstream sink;
        AgentEnv quiet = capturing_errors(env, sink);
        Session s;
        record_exit = open_session(quiet, kNeedWrite, s);
        if (record_exit != Exit::ok) {
            record_error = captured_message(sink);
        } else {
            // efi_pstore's dumps: archived and out of NVRAM before the count that the
            // loader compares against goes into the same write as the blessing. Its
            // problems are warnings: nothing about a past panic may stop this blessing.
            SweepReport pr = pstore_sweep_for_bless(env, s.loaded.state);
            pstore = sweep_json(pr);
            BootState next = s.loaded.state;
            before_bless = std::make_unique<BootState>(s.loaded.state);
            Status st = record_healthy_boot(next, cur.boot_id, r.ok, env.now(), &already);
            // What is left after the sweep; uncounted (efivarfs unlistable): the old value.
            if (pr.counted) next.pstore_records = static_cast<uint8_t>(std::min(pr.variables_left, 255u));
            if (st != Status::ok) {
                record_exit = Exit::refused;
                record_error = "boot " + std::to_string(cur.boot_id) + " of slot \"" + cur.slot +
                               "\" is not the attempt on record (" + to_string(st) + "; the record's attempt is boot " +
                               std::to_string(s.loaded.state.attempt_boot_id) +
                               "): the loader could not record it, or another boot was blessed since";
            } else {
                sink.str("");
                record_exit = save_session(quiet, s, next, &wrote);
                if (record_exit != Exit::ok) record_error = captured_message(sink);
            }
        }
    }
    const bool blessed = r.ok && record_exit == Exit::ok;

    // 3. Only now, with the boot blessed and the watchdog stopped or handed over (and the
    // state lock released): a trial that kernel-add asked for becomes the default, old
    // kernel slots are pruned. Its problems are warnings; they never change the exit code.
    std::vector<std::string> kernel_notes;
    if (blessed && !already && before_bless != nullptr) kernel_notes = promote_after_blessing(env, cur, *before_bless);

    if (env.json) {
        nlohmann::json j = {{"slot", have_current ? nlohmann::json(cur.slot) : nlohmann::json(nullptr)},
                            {"boot_id", have_current ? nlohmann::json(cur.boot_id) : nlohmann::json(nullptr)},
                            {"blessed", blessed},
                            {"already_blessed", already},
                            {"written", wrote},
                            {"record_error", record_error.empty() ? nlohmann::json(nullptr) : nlohmann::json(record_error)},
                            {"watchdog_mode", to_string(env.config.watchdog_mode)},
                            {"watchdog", watchdog_report_json(r)},
                            {"blessing_margin", margin.known ? nlohmann::json{{"elapsed_ms", margin.elapsed_ms},
                                                                              {"timeout_s", margin.timeout_s},
                                                                              {"thin", margin.thin}}
                                                             : nlohmann::json(nullptr)},
                            {"pstore", pstore},
                            {"kernel", kernel_notes}};
        *env.out << j.dump(2) << "\n";
    } else if (blessed) {
        *env.out << (already ? "boot " : "blessed boot ") << cur.boot_id << " of slot \"" << cur.slot << "\""
                 << (already ? " was already blessed" : "");
        if (!already && margin.known) *env.out << ", " << blessing_margin_used(margin) << " watchdog timeout";
        *env.out << "\n";
    } else if (!r.ok && record_exit == Exit::ok) {
        *env.out << "boot " << cur.boot_id << " of slot \"" << cur.slot
                 << "\" is NOT blessed: its watchdog could not be stopped; recorded, so the coming reset counts "
                    "against the slot\n";
    }
    if (!r.ok) {
        *env.err << "wdbootctl: the watchdog step failed: " << r.message
                 << " — the watchdog will reset this machine in at most its timeout\n";
    }
    // Also when the record failed (the timing is the boot's); never for a boot blessed
    // before: a second mark-good's margin says nothing new.
    if (!already && margin.thin) *env.err << "wdbootctl: " << blessing_margin_warning(margin) << "\n";
    if (!record_error.empty()) {
        *env.err << "wdbootctl: " << (r.ok ? "the watchdog is stopped and the machine stays up, but " : "")
                 << "the boot is not blessed: " << record_error << "\n";
    }
    // Issue 10: after the blessing and the watchdog step, never undoing or blocking them
    // (each logs its own problems and changes no exit code).
    if (blessed) (void)heal_boot_entry(env);  // boot_entry_heal.hpp
    refresh_boot_loader_entries(env);         // loader_entries.hpp: after a promotion, too
    export_journal_after_blessing(env);        // journal_export.hpp
    // The watchdog's failure comes first: it is the one that resets the machine.
    if (!r.ok) return Exit::watchdog;
    return record_exit;
}

Exit cmd_mark_bad(AgentEnv& env, const std::string& slot_arg) {
    // Without a SLOT it means the booted slot, which only WdbootCurrent can tell.
    if (slot_arg.empty() && env.efivars->availability() != Availability::missing) {
        CurrentBoot cb;
        std::string why;
        if (!read_current_boot(env, cb, why)) return fail(env, Exit::not_wdboot, why + " (or name the SLOT to mark bad)");
    }
    return change_state(env, slot_arg.empty() ? kNeedCurrent : 0u, [&](const Session& s, BootState& next, Done& done) {
        const std::string name = slot_arg.empty() ? s.current.slot : slot_arg;
        done = {"slot \"" + name + "\" marked bad", {{"slot", name}}};
        return apply_to_slot(env, next, name, [&](BootState& st, uint8_t i) { return mark_bad(st, i, env.now()); },
                             "cannot mark \"" + name + "\" bad");
    });
}

Exit cmd_set_default(AgentEnv& env, const std::string& name) {
    return change_state(env, 0u, [&](const Session&, BootState& next, Done& done) {
        done = {"slot \"" + name + "\" is the default", {{"slot", name}}};
        Exit e = apply_to_slot(env, next, name, [&](BootState& st, uint8_t i) { return set_default(st, i, env.now()); },
                               "cannot make \"" + name + "\" the default");
        if (e != Exit::ok) return e;
        // A stale LoaderEntryDefault would make the loader revert this at the next boot.
        std::string why;
        EntryDefaultSync sync = sync_loader_entry_default(*env.efivars, name, why);
        if (sync == EntryDefaultSync::failed) return fail(env, Exit::io_error, why);
        done.extra["loader_entry_default"] = to_string(sync);
        if (sync == EntryDefaultSync::rewritten) done.message += " (LoaderEntryDefault rewritten to match)";
        return Exit::ok;
    });
}

Exit cmd_try(AgentEnv& env, const std::string& name, unsigned tries) {
    if (tries < 1 || tries > kMaxTries) return fail(env, Exit::usage, "--tries must be 1.." + std::to_string(kMaxTries));
    return change_state(env, 0u, [&](const Session&, BootState& next, Done& done) {
        done = {"slot \"" + name + "\" will be tried on the next boot (" + std::to_string(tries) +
                    (tries == 1 ? " try" : " tries") + "; without a blessing the default order resumes)",
                {{"slot", name}, {"tries", tries}}};
        return apply_to_slot(
            env, next, name,
            [&](BootState& st, uint8_t i) { return request_trial(st, i, static_cast<uint8_t>(tries), env.now()); },
            "cannot request a trial of \"" + name + "\"");
    });
}

Exit cmd_reset(AgentEnv& env) {
    return change_state(env, 0u, [&](const Session&, BootState& next, Done& done) {
        done = {"all slots have their tries back", nlohmann::json::object()};
        Status st = reset_counters(next, env.now());
        return st == Status::ok ? Exit::ok : policy_failure(env, st, "cannot reset the counters");
    });
}

Exit cmd_disarm(AgentEnv& env, const std::string& driver_arg) {
    std::string driver = driver_arg;
    if (driver.empty()) {
        CurrentBoot cb;
        std::string why;
        if (env.efivars->availability() == Availability::missing)
            return fail(env, Exit::no_efivarfs, "efivarfs not found at " + env.efivars->root() + " (or pass --driver)");
        if (!read_current_boot(env, cb, why)) return fail(env, Exit::not_wdboot, why + " (or pass --driver)");
        driver = cb.watchdog;
    }
    if (!env.is_root) return fail(env, Exit::not_root, "disarming the watchdog needs root");
    WatchdogReport r = disarm_watchdog(*env.watchdog, driver, env.config);
    if (env.json) *env.out << watchdog_report_json(r).dump(2) << "\n";
    else print_report(env, r);
    if (!r.ok) return fail(env, Exit::watchdog, "watchdog not disarmed: " + r.message);
    return Exit::ok;
}

}  // namespace wdboot::agent
