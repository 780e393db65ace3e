// The record's boot journal in the systemd journal (issue 10 part 7). Each entry of the
// NVRAM record's journal (failovers, watchdog resets, panics, blessings, ...) goes to
// the journal once, as a structured entry with a MESSAGE_ID fixed per event type
// (kEventMessageIds, catalog/wdboot.catalog, docs/agent.md) and WDBOOT_* fields, so that
// a fleet's log pipeline can count failovers without parsing text.
//
// "Once": /var/lib/wdboot/journal-cursor keeps the entries already sent (one line each,
// newest first, as many as the record holds). The entries newer than the newest run of
// them are sent, oldest first, then the cursor is replaced atomically. A crash between
// the send and the cursor write sends those entries again on the next run (at least
// once); an entry the ring overwrote before any run is lost, as it is from the record.
// Exports run under the state lock, so two agents at once do not both send.
//
// Called by mark-good after the record step and by `wdbootctl export-journal` (for
// machines whose boots are blessed otherwise, or from a timer).
#pragma once
#include <string>
#include <vector>

#include "agent_env.hpp"
#include "wdboot/boot_record.hpp"

namespace wdboot::agent {

// 128-bit MESSAGE_IDs, 32 lower-case hex digits, indexed by Event (index 0: none, empty).
extern const char* const kEventMessageIds[kEventMax + 1];

// The fields of one record entry: MESSAGE, MESSAGE_ID, PRIORITY, SYSLOG_IDENTIFIER and
// WDBOOT_EVENT, WDBOOT_BOOT_ID, WDBOOT_SLOT (when the entry names one), WDBOOT_RESET_CAUSE,
// WDBOOT_DETAIL, WDBOOT_DETAIL_TEXT, WDBOOT_EVENT_TIME (unix seconds, when known).
std::vector<std::string> journal_fields(const BootState& st, const JournalEntry& e);

struct ExportReport {
    unsigned sent = 0;        // entries sent now
    unsigned known = 0;       // entries in the record already sent before
    std::string problem;      // empty: everything unsent went out and the cursor was saved
};

// Sends the unsent entries of `st`'s journal through env.journal_send and saves the
// cursor. The caller holds the state lock (or knows no other agent runs).
ExportReport export_journal_entries(AgentEnv& env, const BootState& st);

// mark-good's step: reads the record, exports, prints a problem as a warning; never
// changes mark-good's result.
void export_journal_after_blessing(AgentEnv& env);

// `wdbootctl export-journal`: exit 0 when everything unsent went out.
Exit cmd_export_journal(AgentEnv& env);

}  // namespace wdboot::agent
