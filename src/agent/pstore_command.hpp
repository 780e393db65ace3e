// `wdbootctl pstore`: the panic sweep of panic_archive.hpp as a command. Run early in
// every boot by wdboot-pstore.service (after systemd-pstore.service), so that the panic
// of the boot before is filed under its boot id for `wdbootctl log` even when this boot
// is never blessed; mark-good runs the same sweep (pstore_sweep_for_bless) before it
// writes the record.
#pragma once
#include <nlohmann/json.hpp>

#include "agent_env.hpp"

namespace wdboot::agent {

// Needs efivarfs (3) and root (6); holds the state lock while it sweeps, so that it and
// mark-good never archive the same dump twice. Exit 8 when something could not be read,
// archived or deleted (each problem on stderr); the sweep still did what it could.
Exit cmd_pstore(AgentEnv& env);

// The sweep's report as JSON: archived, pstorefs_removed, variables_removed,
// variables_saved_raw, variables_left (null when they could not be counted), problems.
nlohmann::json sweep_json(const SweepReport& r);

// The sweep inside mark-good, on the record it is about to write: every problem is a
// warning on stderr, never an error. Returns the report.
SweepReport pstore_sweep_for_bless(AgentEnv& env, const BootState& st);

}  // namespace wdboot::agent
