#include "metrics_command.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <sstream>

#include "report_commands.hpp"
#include "wdboot/config.hpp"

namespace wdboot::agent {
namespace {

std::string escape_label(const std::string& v) {
    std::string o;
    for (char c : v) {
        if (c == '\\') o += "\\\\";
        else if (c == '"') o += "\\\"";
        else if (c == '\n') o += "\\n";
        else o += c;
    }
    return o;
}

// One metric family: HELP and TYPE once, then its samples.
class Family {
public:
    Family(std::ostringstream& o, const std::string& name, const char* type, const std::string& help)
        : o_(o), name_(name) {
        o_ << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
    }
    Family& sample(uint64_t value, const std::vector<std::pair<std::string, std::string>>& labels = {}) {
        o_ << name_;
        if (!labels.empty()) {
            o_ << "{";
            for (size_t i = 0; i < labels.size(); ++i)
                o_ << (i ? "," : "") << labels[i].first << "=\"" << escape_label(labels[i].second) << "\"";
            o_ << "}";
        }
        o_ << " " << value << "\n";
        return *this;
    }

private:
    std::ostringstream& o_;
    std::string name_;
};

bool has_flag(const nlohmann::json& slot, const char* flag) {
    for (const auto& f : slot["flags"])
        if (f == flag) return true;
    return false;
}

std::string str_or(const nlohmann::json& v, const char* none) { return v.is_string() ? v.get<std::string>() : none; }

// Failed attempts: an unblessed boot that ended badly and cost its slot a try.
bool is_failed_attempt(const JournalEntry& e) {
    switch (e.event) {
        case Event::watchdog_reset: return e.detail != kResetAfterBlessing;
        case Event::unclean_reset:
        case Event::panic:
        case Event::load_failed:
        case Event::start_failed:
        case Event::disarm_failed: return true;
        default: return false;
    }
}

// Failovers: the boot went on to another slot than the one that was due.
bool is_failover(Event e) { return e == Event::slot_exhausted || e == Event::trial_abandoned || e == Event::crash_loop; }

bool is_runtime_crash(const JournalEntry& e) {
    return e.event == Event::runtime_panic || e.event == Event::runtime_hang ||
           (e.event == Event::watchdog_reset && e.detail == kResetAfterBlessing);
}

}  // namespace

std::string metrics_text(const nlohmann::json& j, const BootState& st) {
    std::ostringstream o;
    Family(o, "wdboot_info", "gauge", "wdbootctl version and status schema; always 1.")
        .sample(1, {{"version", WDBOOT_VERSION}, {"schema", std::to_string(j["schema"].get<unsigned>())}});

    const auto& slots = j["slots"];
    auto per_slot = [&](const std::string& name, const std::string& help, auto value) {
        Family f(o, name, "gauge", help);
        for (const auto& s : slots) f.sample(value(s), {{"slot", s["name"].get<std::string>()}});
    };
    per_slot("wdboot_slot_tries_left", "Boot attempts the slot has left before it is skipped.",
             [](const nlohmann::json& s) { return s["tries_left"].get<uint64_t>(); });
    per_slot("wdboot_slot_max_tries", "Boot attempts the slot gets when its tries are restored.",
             [](const nlohmann::json& s) { return s["max_tries"].get<uint64_t>(); });
    per_slot("wdboot_slot_good", "1 when the slot has been blessed (flag good).",
             [](const nlohmann::json& s) { return uint64_t{has_flag(s, "good")}; });
    per_slot("wdboot_slot_bad", "1 when the slot is marked bad (flag bad).",
             [](const nlohmann::json& s) { return uint64_t{has_flag(s, "bad")}; });
    per_slot("wdboot_slot_failed_hard", "1 when the slot's image failed to load or start (flag failed-hard).",
             [](const nlohmann::json& s) { return uint64_t{has_flag(s, "failed-hard")}; });
    per_slot("wdboot_slot_consecutive_failures", "Failed attempts of the slot since its last blessing.",
             [](const nlohmann::json& s) { return s["consecutive_failures"].get<uint64_t>(); });
    per_slot("wdboot_slot_runtime_crashes", "Crashes after a blessing in the slot's current runtime-crashes window.",
             [](const nlohmann::json& s) { return s["runtime_crashes"].get<uint64_t>(); });

    // Counted over the record's journal ring (the newest kJournalEntries entries): these
    // go down as old entries are overwritten, hence gauges.
    uint64_t failovers = 0, failed = 0, crashes = 0;
    uint64_t per_event[kEventMax + 1] = {};
    for (size_t i = 0; i < st.journal_count; ++i) {
        const JournalEntry& e = st.journal_newest(i);
        if (static_cast<unsigned>(e.event) <= kEventMax) ++per_event[static_cast<unsigned>(e.event)];
        failovers += is_failover(e.event);
        failed += is_failed_attempt(e);
        crashes += is_runtime_crash(e);
    }
    Family(o, "wdboot_journal_entries", "gauge", "Entries in the NVRAM record's boot journal (a ring).")
        .sample(st.journal_count);
    {
        Family f(o, "wdboot_journal_events", "gauge", "Entries of each event type in the record's boot journal.");
        for (unsigned ev = 1; ev <= kEventMax; ++ev) f.sample(per_event[ev], {{"event", to_string(static_cast<Event>(ev))}});
    }
    Family(o, "wdboot_journal_failovers", "gauge",
           "Failovers in the record's journal: exhausted, trial-abandoned and crash-loop entries.")
        .sample(failovers);
    Family(o, "wdboot_journal_failed_attempts", "gauge",
           "Unblessed boots that ended badly in the record's journal: watchdog and unclean resets, panics, "
           "load and start failures, disarm failures.")
        .sample(failed);
    Family(o, "wdboot_journal_runtime_crashes", "gauge",
           "Crashes of blessed boots in the record's journal: runtime-panic and runtime-hang entries.")
        .sample(crashes);

    const auto& lf = j["last_failure"];
    if (!lf.is_null()) {
        Family(o, "wdboot_last_failure_info", "gauge", "The newest failure in the record's journal; always 1.")
            .sample(1, {{"event", lf["event"].get<std::string>()},
                        {"reset_cause", lf["reset_cause"].get<std::string>()},
                        {"slot", str_or(lf["slot"], "")},
                        {"boot_id", std::to_string(lf["boot_id"].get<uint64_t>())}});
        if (lf["time"].get<uint64_t>() != 0)
            Family(o, "wdboot_last_failure_timestamp_seconds", "gauge", "When the newest failure happened (unix time).")
                .sample(lf["time"].get<uint64_t>());
    }

    const auto& b = j["booted"];
    if (!b.is_null()) {
        Family(o, "wdboot_booted_slot_info", "gauge", "The slot wdboot booted now; always 1.")
            .sample(1, {{"slot", b["slot"].get<std::string>()}});
        Family(o, "wdboot_boot_blessed", "gauge", "1 when this boot has been blessed (mark-good).")
            .sample(b["blessed"].get<bool>() ? 1 : 0);
        Family(o, "wdboot_boot_id", "gauge", "wdboot's boot id of this boot.").sample(b["boot_id"].get<uint64_t>());
    }

    const auto& w = j["watchdog"];
    Family(o, "wdboot_watchdog_info", "gauge", "The watchdog wdboot armed and what the agent does after a blessing; always 1.")
        .sample(1, {{"driver", str_or(w["driver"], "unknown")}, {"mode", str_or(w["mode"], "unknown")}});
    if (!w["armed"].is_null())
        Family(o, "wdboot_watchdog_armed", "gauge", "1 when the hardware watchdog is running now.")
            .sample(w["armed"].get<bool>() ? 1 : 0);
    Family(o, "wdboot_watchdog_timeout_seconds", "gauge", "The hardware watchdog timeout wdboot armed (0: unknown).")
        .sample(w["timeout"].get<uint64_t>());

    Family(o, "wdboot_record_generation", "gauge", "Generation of the NVRAM record (goes up with every write).")
        .sample(j["generation"].get<uint64_t>());
    Family(o, "wdboot_blesser_conflicts", "gauge",
           "Things on this machine that also bless boots or feed the watchdog (status lists them).")
        .sample(j["blesser_conflicts"].size());
    return o.str();
}

Exit cmd_metrics(AgentEnv& env, const std::string& output) {
    Session s;
    Exit e = open_session(env, 0, s);
    if (e != Exit::ok) return e;
    auto cfg = std::make_unique<Config>();
    std::string cfg_path;
    const bool have_cfg = load_boot_config(env, *cfg, cfg_path);
    const std::string text = metrics_text(status_document(env, s, have_cfg ? cfg.get() : nullptr), s.loaded.state);
    if (output.empty()) {
        *env.out << text;
        return Exit::ok;
    }
    // Not write_file_atomic(): the collector wants exactly FILE.tmp beside FILE (it
    // ignores names not ending in .prom), and nothing else there.
    const std::string tmp = output + ".tmp";
    FileSync& sync = env.file_sync != nullptr ? *env.file_sync : system_file_sync();
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return fail(env, Exit::io_error, "cannot create " + tmp + ": " + std::strerror(errno));
    size_t off = 0;
    while (off < text.size()) {
        const ssize_t n = ::write(fd, text.data() + off, text.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const int err = errno;
            ::close(fd);
            ::unlink(tmp.c_str());
            return fail(env, Exit::io_error, "cannot write " + tmp + ": " + std::strerror(err));
        }
        off += static_cast<size_t>(n);
    }
    if (sync.fsync(fd) != 0) {
        const int err = errno;
        ::close(fd);
        ::unlink(tmp.c_str());
        return fail(env, Exit::io_error, "cannot fsync " + tmp + ": " + std::strerror(err));
    }
    ::close(fd);
    if (sync.rename(tmp.c_str(), output.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        return fail(env, Exit::io_error, "cannot rename " + tmp + " to " + output + ": " + std::strerror(err));
    }
    return Exit::ok;
}

}  // namespace wdboot::agent
