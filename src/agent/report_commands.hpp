// Read-only commands: `wdbootctl status` and `wdbootctl log`. They need efivarfs, but
// neither root nor a wdboot boot: from rescue media or a chroot (no WdbootCurrent)
// `status` shows the record and says the booted slot is unknown. Text or, with --json,
// one JSON document (fields in docs/agent.md).
#pragma once
#include <nlohmann/json.hpp>

#include "agent_env.hpp"
#include "wdboot/boot_record.hpp"

namespace wdboot::agent {

Exit cmd_status(AgentEnv& env);
// limit: newest entries to show, 0 = all. Under a `panic` / `runtime-panic` entry it
// shows the start of that panic's kernel log from wdboot's archive (kPanicExcerptLines).
Exit cmd_log(AgentEnv& env, unsigned limit);
inline constexpr size_t kPanicExcerptLines = 16;

// Building blocks shared with other commands and the tests.
std::string format_time(uint64_t seconds_since_1970);  // "2024-05-01 12:00:00 UTC", "-" for 0
std::string slot_flags_text(uint8_t flags);            // "good,trial" or "-"
std::string event_detail(const JournalEntry& e);       // detail byte in words, per event
nlohmann::json journal_json(const BootState& st);       // newest first
nlohmann::json slots_json(const BootState& st);
// Whether an event is a failure (status's last_failure, the journal's PRIORITY).
bool is_failure_event(Event e);

// The `status --json` document (schema kStatusSchema, every field in docs/agent.md).
// cfg: wdboot.conf when it could be read, else nullptr. Also the source of `metrics`.
inline constexpr unsigned kStatusSchema = 1;
nlohmann::json status_document(AgentEnv& env, const Session& s, const Config* cfg);

}  // namespace wdboot::agent
