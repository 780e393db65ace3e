// The journal sink of wdbootctl-static and of builds without libsystemd: one line per
// entry on stderr (journal_sink.hpp).
#include <cstdio>

#include "journal_sink.hpp"

namespace wdboot::agent {

bool send_journal_fields(const std::vector<std::string>& fields, std::string& why) {
    const std::string line = "wdbootctl-journal: " + journal_fields_line(fields) + "\n";
    if (std::fputs(line.c_str(), stderr) < 0 || std::fflush(stderr) != 0) {
        why = "cannot write to stderr";
        return false;
    }
    return true;
}

const char* journal_sink_name() { return "stderr"; }

}  // namespace wdboot::agent
