#include "pstore_command.hpp"

namespace wdboot::agent {

nlohmann::json sweep_json(const SweepReport& r) {
    return {{"archived", r.archived},
            {"pstorefs_removed", r.pstorefs_removed},
            {"variables_removed", r.variables_removed},
            {"variables_saved_raw", r.variables_saved_raw},
            {"variables_left", r.counted ? nlohmann::json(r.variables_left) : nlohmann::json(nullptr)},
            {"problems", r.problems}};
}

namespace {

SweepReport run_sweep(AgentEnv& env, const BootState& st) {
    FileSync& sync = env.file_sync != nullptr ? *env.file_sync : system_file_sync();
    return sweep_pstore(env.pstore, *env.efivars, st, sync);
}

}  // namespace

SweepReport pstore_sweep_for_bless(AgentEnv& env, const BootState& st) {
    SweepReport r = run_sweep(env, st);
    for (const auto& p : r.problems) *env.err << "wdbootctl: warning: pstore: " << p << "\n";
    for (const auto& a : r.archived) note(env, "pstore: kernel panic archived in " + a);
    return r;
}

Exit cmd_pstore(AgentEnv& env) {
    if (env.efivars->availability() == Availability::missing)
        return fail(env, Exit::no_efivarfs, "efivarfs not found at " + env.efivars->root() + ": no efi_pstore records");
    if (!env.is_root) return fail(env, Exit::not_root, "archiving and deleting efi_pstore records needs root");
    // The record's journal names the boots that panicked. No lock for reading it, but
    // the sweep holds the state lock: mark-good sweeps under it too.
    Session s;
    Exit e = open_session(env, 0, s);
    if (e != Exit::ok) return e;
    std::string why;
    StateLock lock;
    StateLock::Result lr = lock.acquire(env.state_lock, env.lock_wait_ms, why);
    if (lr == StateLock::Result::timed_out) return fail(env, Exit::busy, why + ": try again");
    if (lr == StateLock::Result::unavailable) *env.err << "wdbootctl: warning: " << why << ": going on unlocked\n";
    SweepReport r = run_sweep(env, s.loaded.state);
    for (const auto& p : r.problems) *env.err << "wdbootctl: pstore: " << p << "\n";
    if (env.json) {
        *env.out << sweep_json(r).dump(2) << "\n";
    } else {
        for (const auto& a : r.archived) *env.out << "archived " << a << "\n";
        *env.out << "deleted " << r.pstorefs_removed << " pstorefs file" << (r.pstorefs_removed == 1 ? "" : "s")
                 << " and " << r.variables_removed << " efi-pstore variable" << (r.variables_removed == 1 ? "" : "s");
        if (r.variables_saved_raw != 0) *env.out << " (" << r.variables_saved_raw << " unread, saved under raw/ first)";
        *env.out << "; ";
        if (r.counted) *env.out << r.variables_left << " left in NVRAM\n";
        else *env.out << "NVRAM not counted\n";
    }
    return r.problems.empty() ? Exit::ok : Exit::io_error;
}

}  // namespace wdboot::agent
