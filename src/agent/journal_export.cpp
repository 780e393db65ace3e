#include "journal_export.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "esp_files.hpp"
#include "report_commands.hpp"

namespace fs = std::filesystem;

namespace wdboot::agent {

// Generated once (uuid4) and never changed: a pipeline matches on them. Also in
// catalog/wdboot.catalog and docs/agent.md; test_journal_export checks the three agree.
const char* const kEventMessageIds[kEventMax + 1] = {
    "",                                  // none
    "ce33b5634492489196205287183ce275",  // attempt
    "a17edf0acf954025ad44eea6150b64bc",  // blessed
    "9d65f0b040a74f02a14d343c6e9bbf7c",  // watchdog-reset
    "13bb84992d1b488b8dceac9ce206c0cc",  // unclean-reset
    "7f2b16d78b464efbae989afe6d367e23",  // load-failed
    "3e1debbc11cb4326b41f7404a42d3204",  // start-failed
    "faa3d57166f54641adf9cea47d3bd6ff",  // exhausted
    "143d6305e15d4812a20d77cd62912a92",  // all-exhausted
    "20b709be977945f4ab3613a4dc8a7040",  // state-corrupt
    "609d855e0bea44c686be8c32c19c8b7e",  // state-created
    "f91d6800e2e84a55a669663db4e422ed",  // trial-requested
    "e36df834645a4762b385c2e66d04d14c",  // trial-abandoned
    "21f3c317e4854eba98614f3c3ef3c98f",  // marked-bad
    "c8c78d385fca47de83deb47f6f1d471e",  // default-set
    "3237477a1bd847f592dd75e6b2965518",  // counters-reset
    "bc08d2bc01a94d618b35f152a8bcae1d",  // attempt-forced
    "eb3288b842f54130a42acca12af4711e",  // disarm-failed
    "095d7e019e77429ca069555328655df7",  // panic
    "91c62927db074b97912c5a5af177390a",  // runtime-panic
    "449dd9443dff4cd7a163c182bd268d5e",  // runtime-hang
    "661aae8c378c4e819b51ce78484c9fbc",  // crash-loop
};

namespace {

std::string slot_of(const BootState& st, uint8_t i) {
    if (i == kNoSlot || i >= kMaxSlots || !st.slots[i].used()) return "";
    return std::string(st.slots[i].name, strnlen(st.slots[i].name, kSlotNameBytes));
}

// One entry as the cursor keeps it. Two entries alike in every field (e.g. two
// marked-bad of one slot in one second) are told apart by their position in the run.
std::string entry_key(const JournalEntry& e) {
    return std::to_string(e.boot_id) + " " + std::to_string(static_cast<unsigned>(e.event)) + " " +
           std::to_string(e.slot) + " " + std::to_string(static_cast<unsigned>(e.cause)) + " " +
           std::to_string(e.detail) + " " + std::to_string(e.time);
}

std::vector<std::string> read_cursor(const std::string& path) {
    std::vector<std::string> keys;
    std::string text;
    if (!read_file(path, text)) return keys;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line))
        if (!line.empty() && line[0] != '#') keys.push_back(line);
    return keys;
}

// How many of the newest entries were not sent: the smallest k such that the entries
// from k on continue the cursor's run (newest first) as far as both go. No match at all
// (first run, or the ring moved past everything sent): all of them.
size_t unsent_count(const std::vector<std::string>& ring, const std::vector<std::string>& sent) {
    if (sent.empty()) return ring.size();
    for (size_t k = 0; k < ring.size(); ++k) {
        bool match = true;
        for (size_t i = 0; k + i < ring.size() && i < sent.size(); ++i)
            if (ring[k + i] != sent[i]) {
                match = false;
                break;
            }
        if (match) return k;
    }
    return ring.size();
}

}  // namespace

std::string journal_fields_line(const std::vector<std::string>& fields) {
    std::string message, rest;
    for (const auto& f : fields) {
        if (f.rfind("MESSAGE=", 0) == 0) message = f.substr(8);
        else rest += " " + f;
    }
    return message + rest;
}

std::vector<std::string> journal_fields(const BootState& st, const JournalEntry& e) {
    const std::string slot = slot_of(st, e.slot);
    const std::string detail = event_detail(e);
    const unsigned ev = static_cast<unsigned>(e.event);
    std::string message = "wdboot: boot " + std::to_string(e.boot_id) + (slot.empty() ? "" : " of slot " + slot) + ": " +
                          to_string(e.event) + (detail.empty() ? "" : " (" + detail + ")");
    std::vector<std::string> f{
        "MESSAGE=" + message,
        std::string("MESSAGE_ID=") + (ev <= kEventMax ? kEventMessageIds[ev] : ""),
        std::string("PRIORITY=") + (is_failure_event(e.event) ? "4" : "6"),
        "SYSLOG_IDENTIFIER=wdbootctl",
        std::string("WDBOOT_EVENT=") + to_string(e.event),
        "WDBOOT_BOOT_ID=" + std::to_string(e.boot_id),
    };
    if (!slot.empty()) f.push_back("WDBOOT_SLOT=" + slot);
    f.push_back(std::string("WDBOOT_RESET_CAUSE=") + to_string(e.cause));
    f.push_back("WDBOOT_DETAIL=" + std::to_string(e.detail));
    if (!detail.empty()) f.push_back("WDBOOT_DETAIL_TEXT=" + detail);
    if (e.time != 0) f.push_back("WDBOOT_EVENT_TIME=" + std::to_string(e.time));
    return f;
}

ExportReport export_journal_entries(AgentEnv& env, const BootState& st) {
    ExportReport rep;
    std::vector<std::string> ring;  // newest first
    for (size_t i = 0; i < st.journal_count; ++i) ring.push_back(entry_key(st.journal_newest(i)));
    const size_t unsent = unsent_count(ring, read_cursor(env.journal_cursor));
    rep.known = static_cast<unsigned>(ring.size() - unsent);
    if (unsent == 0) return rep;
    if (!env.journal_send) {
        rep.problem = "no journal sink in this build";
        return rep;
    }
    // Oldest first, as they happened. `done`: how many of the newest `unsent` went out.
    size_t first_sent = unsent;  // index (newest first) of the newest entry sent
    for (size_t i = unsent; i-- > 0;) {
        const JournalEntry& e = st.journal_newest(i);
        if (e.event == Event::none || static_cast<unsigned>(e.event) > kEventMax) {
            first_sent = i;
            continue;
        }
        std::string why;
        if (!env.journal_send(journal_fields(st, e), why)) {
            rep.problem = "sending boot " + std::to_string(e.boot_id) + "'s " + to_string(e.event) +
                          " to the journal failed: " + why;
            break;
        }
        ++rep.sent;
        first_sent = i;
    }
    if (first_sent == unsent) return rep;  // nothing went out: the cursor stays
    std::string text = "# record journal entries sent to the systemd journal, newest first (wdbootctl)\n";
    for (size_t i = first_sent; i < ring.size(); ++i) text += ring[i] + "\n";
    std::error_code ec;
    fs::create_directories(fs::path(env.journal_cursor).parent_path(), ec);
    std::string err;
    if (!write_file_atomic(env.file_sync != nullptr ? *env.file_sync : system_file_sync(), env.journal_cursor, text, err)) {
        const std::string p = "the cursor " + env.journal_cursor + " was not saved (" + err +
                              "): these entries will be sent again";
        rep.problem = rep.problem.empty() ? p : rep.problem + "; " + p;
    }
    return rep;
}

namespace {

// Takes the state lock, reads the record and exports. Problems in rep.problem;
// read_failed when the record could not be read at all.
Exit run_export(AgentEnv& env, ExportReport& rep, bool& read_failed) {
    read_failed = false;
    std::string why;
    StateLock lock;
    if (lock.acquire(env.state_lock, env.lock_wait_ms, why) == StateLock::Result::timed_out) {
        rep.problem = "the record journal was not exported: " + why;
        read_failed = true;
        return Exit::busy;
    }
    std::ostringstream sink;
    AgentEnv quiet = capturing_errors(env, sink);
    Session s;
    Exit e = open_session(quiet, 0, s);
    if (e != Exit::ok) {
        rep.problem = "the record journal was not exported: " + captured_message(sink);
        read_failed = true;
        return e;
    }
    rep = export_journal_entries(env, s.loaded.state);
    return rep.problem.empty() ? Exit::ok : Exit::io_error;
}

}  // namespace

void export_journal_after_blessing(AgentEnv& env) {
    // Without efivarfs there is no record to export, and mark-good has said so already.
    if (env.efivars == nullptr || env.efivars->availability() == Availability::missing) return;
    ExportReport rep;
    bool read_failed = false;
    (void)run_export(env, rep, read_failed);
    if (!rep.problem.empty()) *env.err << "wdbootctl: warning: " << rep.problem << "\n";
}

Exit cmd_export_journal(AgentEnv& env) {
    ExportReport rep;
    bool read_failed = false;
    Exit e = run_export(env, rep, read_failed);
    if (read_failed) return fail(env, e, rep.problem);
    if (env.json) {
        *env.out << nlohmann::json{{"sent", rep.sent},
                                   {"already_sent", rep.known},
                                   {"sink", env.journal_sink_name},
                                   {"cursor", env.journal_cursor},
                                   {"error", rep.problem.empty() ? nlohmann::json(nullptr) : nlohmann::json(rep.problem)}}
                        .dump(2)
                 << "\n";
    } else {
        *env.out << "sent " << rep.sent << " record journal entr" << (rep.sent == 1 ? "y" : "ies") << " to "
                 << env.journal_sink_name << " (" << rep.known << " sent before)\n";
    }
    if (!rep.problem.empty()) *env.err << "wdbootctl: " << rep.problem << "\n";
    return e;
}

}  // namespace wdboot::agent
