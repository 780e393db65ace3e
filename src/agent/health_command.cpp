#include "health_command.hpp"

#include <string.h>

#include <nlohmann/json.hpp>

#include "health.hpp"
#include "wdboot/slot_policy.hpp"

namespace wdboot::agent {
namespace {

std::string describe(const HealthCheckResult& r) {
    if (!r.started) return "could not be started";
    if (r.wait_errno != 0)
        return std::string("could not be waited for (") + strerror(r.wait_errno) + "): exit status unknown, counted as failed";
    if (r.timed_out) return "timed out after " + std::to_string(r.elapsed_ms / 1000) + " s and was killed";
    if (r.exit_code == 0) return "passed";
    if (r.exit_code > 128) return "killed by signal " + std::to_string(r.exit_code - 128);
    if (r.exit_code == 126) return "could not be executed (exit 126)";
    return "failed with exit code " + std::to_string(r.exit_code);
}

// The configured reaction to a failed check. Returns a description of what happened.
std::string take_action(AgentEnv& env, bool& taken) {
    taken = false;
    Session s;
    // Refusals are printed by open_session; the health failure stays the exit code.
    if (open_session(env, kNeedCurrent | kNeedWrite, s) != Exit::ok) return "action skipped (see above)";
    BootState next = s.loaded.state;
    uint8_t idx = next.find_slot(s.current.slot.c_str());
    if (idx == kNoSlot) return "action skipped: booted slot not in the state record";
    Status st = mark_bad(next, idx, env.now());
    if (st != Status::ok) return std::string("action skipped: mark_bad refused: ") + to_string(st);
    if (save_session(env, s, next) != Exit::ok) return "action skipped: state not saved";
    CommandResult r = env.runner->run(split_words(env.config.reboot_command));
    taken = true;
    if (r.exit_code != 0) {
        return "slot \"" + s.current.slot + "\" marked bad; reboot command \"" + env.config.reboot_command +
               "\" failed (" + std::to_string(r.exit_code) + "): " + r.output;
    }
    return "slot \"" + s.current.slot + "\" marked bad; rebooting into the next slot";
}

}  // namespace

Exit cmd_health(AgentEnv& env, bool no_action) {
    HealthOptions opts;
    opts.dir = env.config.health_dir;
    opts.timeout_ms = static_cast<uint64_t>(env.config.health_timeout_s) * 1000u;
    opts.owner = env.health_owner;
    CurrentBoot cb;
    std::string why;
    if (env.efivars->availability() != Availability::missing && read_current_boot(env, cb, why)) {
        opts.env["WDBOOT_SLOT"] = cb.slot;
        opts.env["WDBOOT_BOOT_ID"] = std::to_string(cb.boot_id);
    }
    // In JSON mode stdout carries the document, so the checks' stdout joins stderr.
    if (env.json) opts.out_fd = 2;

    env.out->flush();
    env.err->flush();
    HealthReport report = run_health_checks(opts);
    if (report.dir_missing) note(env, "health: " + opts.dir + " does not exist: no checks to run");
    for (const auto& n : report.skipped) note(env, "health: skipped " + n + " (not an executable check)");
    for (const auto& r : report.refused) {
        *env.err << "wdbootctl: error: health: refused " << r.path << ": " << r.problem
                 << "; not run (it would run as root: make it owned by root and not writable by group or others,"
                    " e.g. chown root: and chmod go-w)\n";
    }
    for (const auto& r : report.checks) {
        std::ostream& o = env.json || !r.passed() ? *env.err : *env.out;
        o << "health: " << r.name << " " << describe(r) << "\n";
    }

    std::string action_text = "none";
    bool taken = false;
    if (!report.ok && !no_action && env.config.health_action == HealthAction::mark_bad_reboot) {
        action_text = take_action(env, taken);
        *env.err << "wdbootctl: health: " << action_text << "\n";
    }
    if (env.json) {
        nlohmann::json checks = nlohmann::json::array();
        for (const auto& r : report.checks) {
            checks.push_back({{"name", r.name},
                              {"passed", r.passed()},
                              {"exit_code", r.exit_code},
                              {"timed_out", r.timed_out},
                              {"elapsed_ms", r.elapsed_ms}});
        }
        nlohmann::json refused = nlohmann::json::array();
        for (const auto& r : report.refused) refused.push_back({{"path", r.path}, {"problem", r.problem}});
        *env.out << nlohmann::json{{"ok", report.ok},
                                   {"dir", opts.dir},
                                   {"checks", checks},
                                   {"skipped", report.skipped},
                                   {"refused", refused},
                                   {"action", to_string(env.config.health_action)},
                                   {"action_taken", taken},
                                   {"action_result", action_text}}
                        .dump(2)
                 << "\n";
    } else if (report.ok && report.refused.empty()) {
        *env.out << "health: all " << report.checks.size() << " checks passed\n";
    } else if (report.ok) {
        *env.out << "health: " << report.checks.size() << " checks passed, " << report.refused.size()
                 << " refused and not run (see above)\n";
    }
    if (!report.ok) {
        if (!env.json) *env.err << "wdbootctl: health check failed: this boot must not be blessed\n";
        return Exit::health_failed;
    }
    // Not a failure: a file mode says nothing about this kernel (see HealthReport).
    if (!report.refused.empty()) return Exit::health_refused;
    return Exit::ok;
}

}  // namespace wdboot::agent
