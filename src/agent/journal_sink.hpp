// How a structured journal entry leaves wdbootctl. The sink is chosen when the binary
// is linked, not at run time: wdbootctl links journal_sink_systemd.cpp (libsystemd's
// sd_journal_sendv()), wdbootctl-static, for which Debian has no static libsystemd,
// links journal_sink_stderr.cpp (the same fields as one line on stderr, which an
// initramfs console or a service's log keeps). See src/agent/CMakeLists.txt.
#pragma once
#include <functional>
#include <string>
#include <vector>

namespace wdboot::agent {

inline constexpr char kDefaultJournalCursor[] = "/var/lib/wdboot/journal-cursor";

// Sends one entry given as "KEY=value" fields. False, with why, when it was not sent.
using JournalSend = std::function<bool(const std::vector<std::string>& fields, std::string& why)>;

// The linked sink (one definition per binary) and its name ("systemd-journal" or "stderr").
bool send_journal_fields(const std::vector<std::string>& fields, std::string& why);
const char* journal_sink_name();

// The stderr sink's line for an entry: MESSAGE first, then the other fields as
// KEY=value, space separated (shared by the stderr sink and the tests).
std::string journal_fields_line(const std::vector<std::string>& fields);

}  // namespace wdboot::agent
