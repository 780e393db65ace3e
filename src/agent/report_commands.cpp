#include "report_commands.hpp"

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <memory>

#include "blesser_conflicts.hpp"
#include "panic_archive.hpp"
#include "secure_boot_check.hpp"
#include "wdboot/ipmi_watchdog.hpp"
#include "wdboot/config.hpp"
#include "wdboot/secure_boot.hpp"
#include "wdboot/slot_policy.hpp"

namespace wdboot::agent {
namespace {

std::string slot_name(const BootState& st, uint8_t i) {
    if (i == kNoSlot || i >= kMaxSlots || !st.slots[i].used()) return "";
    return std::string(st.slots[i].name, strnlen(st.slots[i].name, kSlotNameBytes));
}

nlohmann::json name_or_null(const BootState& st, uint8_t i) {
    std::string n = slot_name(st, i);
    return n.empty() ? nlohmann::json(nullptr) : nlohmann::json(n);
}

}  // namespace

bool is_failure_event(Event e) {
    switch (e) {
        case Event::watchdog_reset:
        case Event::unclean_reset:
        case Event::load_failed:
        case Event::start_failed:
        case Event::slot_exhausted:
        case Event::all_exhausted:
        case Event::state_corrupt:
        case Event::trial_abandoned:
        case Event::disarm_failed:
        case Event::panic:
        case Event::runtime_panic:
        case Event::runtime_hang:
        case Event::crash_loop:
        case Event::marked_bad: return true;
        default: return false;
    }
}

namespace {

nlohmann::json entry_json(const BootState& st, const JournalEntry& e) {
    return {{"time", e.time},
            {"time_text", format_time(e.time)},
            {"boot_id", e.boot_id},
            {"slot", name_or_null(st, e.slot)},
            {"event", to_string(e.event)},
            {"reset_cause", to_string(e.cause)},
            {"detail", e.detail},
            {"detail_text", event_detail(e)}};
}

// What a failure led to, journalled after the failure itself by the same boot.
bool is_consequence(Event e) {
    return e == Event::slot_exhausted || e == Event::all_exhausted || e == Event::trial_abandoned;
}

nlohmann::json last_failure_json(const BootState& st) {
    // The newest failure; when that is only a consequence (the slot ran out of tries,
    // its trial was abandoned), the failure that caused it in the same boot says why.
    for (size_t i = 0; i < st.journal_count; ++i) {
        const JournalEntry& e = st.journal_newest(i);
        if (!is_failure_event(e.event)) continue;
        if (is_consequence(e.event)) {
            for (size_t k = i + 1; k < st.journal_count; ++k) {
                const JournalEntry& c = st.journal_newest(k);
                if (c.boot_id != e.boot_id) break;
                if (is_failure_event(c.event) && !is_consequence(c.event)) return entry_json(st, c);
            }
        }
        return entry_json(st, e);
    }
    return nullptr;
}

// What can be told about the hardware watchdog from here. "armed" is true, false or
// null (cannot tell: e.g. iTCO registered and not open may be fed by the kernel).
nlohmann::json watchdog_json(AgentEnv& env, const Session& s) {
    nlohmann::json j = {{"driver", s.have_current ? s.current.watchdog : "unknown"},
                        {"timeout", s.have_current ? s.current.timeout : 0},
                        {"device", nullptr},
                        {"state", nullptr},
                        {"armed", nullptr},
                        {"detail", ""},
                        {"mode", to_string(env.config.watchdog_mode)}};
    if (!s.have_current) return j;
    const WatchdogDriverFacts* facts = driver_facts(s.current.watchdog);
    if (facts == nullptr) {
        j["armed"] = false;
        j["detail"] = s.current.watchdog == "none" ? "wdboot armed no hardware watchdog" : "unknown driver";
        return j;
    }
    if (facts->disarm == AgentDisarm::bmc_command) {
        // The BMC's timer has no /dev/watchdogN: ask the BMC (Get Watchdog Timer). This
        // may load ipmi_si and ipmi_devintf, which leave the timer alone.
        ipmi::TimerState t{};
        std::string why;
        j["device"] = "BMC";
        if (!read_bmc_timer(*env.watchdog, t, why)) {
            j["detail"] = why;
            return j;
        }
        j["armed"] = t.running();
        j["state"] = t.running() ? "active" : "inactive";
        j["detail"] = t.running() ? "BMC watchdog running, " + std::to_string(t.present / 10) + " s left"
                                  : std::string("BMC watchdog stopped");
        return j;
    }
    const WatchdogInfo* dev = nullptr;
    auto devices = env.watchdog->list();
    for (const auto& w : devices) {
        std::string id = w.identity;
        for (char& c : id) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (id.find(facts->linux_identity) != std::string::npos) dev = &w;
    }
    if (dev == nullptr) {
        if (facts->module_stops_timer) {
            j["armed"] = true;
            j["detail"] = std::string("running since boot: ") + facts->linux_module + " not loaded, nothing feeds it";
        } else {
            j["detail"] = std::string("no device registered for ") + facts->linux_module;
        }
        return j;
    }
    j["device"] = dev->device;
    j["state"] = dev->state;
    if (dev->state == "active") {
        j["armed"] = true;
        j["detail"] = "held open and fed by userspace";
    } else if (facts->module_stops_timer) {
        j["armed"] = false;
        j["detail"] = "stopped (driver loaded, device not open)";
    } else {
        j["detail"] = "not open: stopped, or fed by the kernel until userspace opens it";
    }
    return j;
}

// The first `Kernel panic - not syncing` line of an archived panic, or null.
nlohmann::json panic_line(const AgentEnv& env, uint32_t boot_id) {
    ArchivedPanic a;
    std::string error;
    if (!read_archived_panic(env.pstore.archive, boot_id, a, error)) return nullptr;
    for (const auto& l : panic_excerpt(a.text, kPanicExcerptLines))
        if (l.find("Kernel panic - not syncing") != std::string::npos) return l;
    return nullptr;
}

// The newest crash-loop entry, unless a later blessing, set-default or reset of that slot
// (or of every slot) gave it its tries back: the slot that crashed after its blessing
// too often within runtime-crashes' window, and what boots instead.
nlohmann::json crash_loop_json(const Session& s, const Config* cfg) {
    const BootState& st = s.loaded.state;
    bool every_slot_back = false;
    std::vector<uint8_t> slots_back;  // blessed or set-default since
    for (size_t i = 0; i < st.journal_count; ++i) {
        const JournalEntry& e = st.journal_newest(i);
        if (e.event == Event::blessed || e.event == Event::default_set) slots_back.push_back(e.slot);
        if (e.event == Event::counters_reset && static_cast<CountersReset>(e.detail) == CountersReset::all)
            every_slot_back = true;
        if (e.event != Event::crash_loop) continue;
        if (every_slot_back || std::find(slots_back.begin(), slots_back.end(), e.slot) != slots_back.end())
            return nullptr;
        const std::string name = slot_name(st, e.slot);
        nlohmann::json hours = nullptr;
        if (cfg != nullptr && cfg->runtime_crash_hours != 0) hours = cfg->runtime_crash_hours;
        nlohmann::json since = st.crash_window_start != 0 ? nlohmann::json(st.crash_window_start) : nlohmann::json(nullptr);
        return {{"slot", name.empty() ? nlohmann::json(nullptr) : nlohmann::json(name)},
                {"boot_id", e.boot_id},
                {"time", e.time},
                {"time_text", format_time(e.time)},
                {"crashes", e.detail},
                {"hours", hours},
                {"window_start", since},
                {"booted", s.have_current ? nlohmann::json(s.current.slot) : nlohmann::json(nullptr)},
                {"undo", {"wdbootctl set-default " + (name.empty() ? std::string("SLOT") : name), "wdbootctl reset"}}};
    }
    return nullptr;
}

// The newest crash of a blessed boot: runtime-panic, runtime-hang, or (records of major
// 1 and 2) a watchdog reset after a blessed boot.
nlohmann::json last_runtime_crash_json(const AgentEnv& env, const BootState& st) {
    for (size_t i = 0; i < st.journal_count; ++i) {
        const JournalEntry& e = st.journal_newest(i);
        const bool old_hang = e.event == Event::watchdog_reset && e.detail == kResetAfterBlessing;
        if (e.event != Event::runtime_panic && e.event != Event::runtime_hang && !old_hang) continue;
        nlohmann::json j = entry_json(st, e);
        j["panic_line"] = e.event == Event::runtime_panic ? panic_line(env, e.boot_id) : nlohmann::json(nullptr);
        return j;
    }
    return nullptr;
}

// Secure Boot, the secure-boot-policy and where it comes from (secure_boot_check.hpp),
// and the slots the next boot's policy keeps from starting. Images are read only when
// Secure Boot is on and the verdict depends on them.
nlohmann::json secure_boot_json(AgentEnv& env, const Session& s) {
    const bool on = secure_boot_enabled(env);
    const std::string esp = find_esp(env);
    std::string text;
    const bool have_text = !esp.empty() && read_file(esp_file(esp, env.config.config_path), text);
    const EffectivePolicy p = effective_policy(env, esp, have_text ? text : "");
    // The next boot reads the boot entry's load options: its policy, when they can be read.
    const SecureBootPolicy next = p.boot_entry ? *p.boot_entry : p.policy;
    nlohmann::json j = {
        {"enabled", on},
        {"loader_saw", s.have_current && s.current.secure_boot >= 0 ? nlohmann::json(s.current.secure_boot == 1)
                                                                    : nlohmann::json(nullptr)},
        {"policy", to_string(p.policy)},
        {"policy_source", p.source},
        {"policy_detail", p.detail},
        {"boot_entry", p.boot_entry_name.empty() ? nlohmann::json(nullptr) : nlohmann::json(p.boot_entry_name)},
        {"boot_entry_policy", p.boot_entry ? nlohmann::json(to_string(*p.boot_entry)) : nlohmann::json(nullptr)},
        {"next_boot_policy", to_string(next)},
        {"refused_slots", nlohmann::json::array()},
        {"unchecked_slots", nlohmann::json::array()}};
    if (!on || !have_text) return j;
    std::unique_ptr<Config> cfg = loader_config("", text);
    for (const SlotCheck& c : check_slots(*cfg, true, next, planned_image_files(esp, {}))) {
        nlohmann::json e = {{"slot", c.slot}, {"image", c.image}, {"reason", c.why}};
        if (c.verdict == SlotVerdict::refused) j["refused_slots"].push_back(e);
        else if (c.verdict == SlotVerdict::unknown) j["unchecked_slots"].push_back(e);
    }
    return j;
}

}  // namespace

nlohmann::json status_document(AgentEnv& env, const Session& s, const Config* cfg) {
    const BootState& st = s.loaded.state;
    nlohmann::json j;
    // The schema of this document (docs/agent.md): fields are only ever added; a change
    // of a field's meaning or type would be a new number.
    j["schema"] = kStatusSchema;
    nlohmann::json booted = nullptr;
    if (s.have_current) {
        uint8_t idx = st.find_slot(s.current.slot.c_str());
        const bool blessed = is_blessed(st, s.current.boot_id);
        booted = {{"slot", s.current.slot},
                  {"index", idx == kNoSlot ? nlohmann::json(nullptr) : nlohmann::json(idx)},
                  {"boot_id", s.current.boot_id},
                  {"blessed", blessed}};
    }
    j["booted"] = booted;
    j["watchdog"] = watchdog_json(env, s);
    std::string default_source = "operator";
    nlohmann::json def = name_or_null(st, st.default_slot);
    if (def.is_null()) {
        default_source = "config";
        if (cfg != nullptr && cfg->slot_count > 0)
            def = cfg->default_slot[0] ? cfg->default_slot : cfg->slots[0].name;
    }
    j["default"] = def;
    j["default_source"] = def.is_null() ? "unknown" : default_source;
    j["trial"] = name_or_null(st, st.trial_slot);
    j["last_good"] = name_or_null(st, st.last_good_slot);
    j["attempt"] = st.attempt_slot == kNoSlot
                       ? nlohmann::json(nullptr)
                       : nlohmann::json{{"slot", name_or_null(st, st.attempt_slot)}, {"boot_id", st.attempt_boot_id}};
    j["generation"] = st.generation;
    // Not `cond ? name : nullptr`: that is a null const char*, which json cannot take.
    j["source_copy"] = s.loaded.from_copy ? nlohmann::json(kCopyNames[static_cast<int>(s.loaded.source)])
                                          : nlohmann::json(nullptr);
    j["read_only"] = s.loaded.read_only;
    nlohmann::json copies = nlohmann::json::array();
    for (int i = 0; i < 2; ++i) {
        const CopyStatus& c = s.loaded.copies[i];
        copies.push_back({{"name", kCopyNames[i]},
                          {"present", c.present},
                          {"status", to_string(c.status)},
                          {"generation", c.status == Status::ok ? nlohmann::json(c.generation) : nlohmann::json(nullptr)}});
    }
    j["copies"] = copies;
    j["slots"] = slots_json(st);
    j["last_failure"] = last_failure_json(st);
    j["crash_loop"] = crash_loop_json(s, cfg);
    j["last_runtime_crash"] = last_runtime_crash_json(env, st);
    j["blesser_conflicts"] = conflicts_json(find_blesser_conflicts(env));
    j["secure_boot"] = secure_boot_json(env, s);
    return j;
}

namespace {

void print_status(std::ostream& o, const nlohmann::json& j) {
    auto str = [](const nlohmann::json& v, const char* none = "none") {
        return v.is_null() ? std::string(none) : v.is_string() ? v.get<std::string>() : v.dump();
    };
    if (j["booted"].is_null()) {
        o << "booted:     (unknown: not booted by wdboot)\n";
    } else {
        const auto& b = j["booted"];
        o << "booted:     " << str(b["slot"]) << ", boot id " << b["boot_id"].get<uint32_t>()
          << (b["blessed"].get<bool>() ? ", blessed" : ", not blessed yet") << "\n";
    }
    const auto& w = j["watchdog"];
    o << "watchdog:   " << str(w["driver"]) << ", timeout " << w["timeout"].get<uint32_t>() << " s, armed "
      << (w["armed"].is_null() ? "unknown" : w["armed"].get<bool>() ? "yes" : "no");
    if (!w["device"].is_null()) o << ", " << str(w["device"]) << " " << str(w["state"], "");
    if (!w["detail"].get<std::string>().empty()) o << " (" << str(w["detail"]) << ")";
    o << "; after blessing: " << str(w["mode"]) << "\n";
    const auto& sb = j["secure_boot"];
    o << "secure boot: " << (sb["enabled"].get<bool>() ? "on" : "off") << ", secure-boot-policy " << str(sb["policy"])
      << " (" << str(sb["policy_source"]);
    if (!sb["policy_detail"].get<std::string>().empty()) o << ": " << str(sb["policy_detail"]);
    o << ")";
    if (sb["next_boot_policy"] != sb["policy"]) o << "; " << str(sb["next_boot_policy"]) << " from the next boot ("
                                                  << str(sb["boot_entry"]) << ")";
    o << "\n";
    o << "default:    " << str(j["default"], "first slot in wdboot.conf") << " (" << str(j["default_source"]) << ")\n";
    o << "trial:      " << str(j["trial"]) << "\n";
    o << "last good:  " << str(j["last_good"]) << "\n";
    o << "attempt:    ";
    if (j["attempt"].is_null()) o << "none\n";
    else o << str(j["attempt"]["slot"]) << " (boot " << j["attempt"]["boot_id"].get<uint32_t>() << ")\n";
    o << "record:     generation " << j["generation"].get<uint32_t>() << " from " << str(j["source_copy"], "no copy");
    for (const auto& c : j["copies"]) {
        o << "; " << str(c["name"]) << " " << (c["present"].get<bool>() ? str(c["status"]) : "absent");
    }
    o << (j["read_only"].get<bool>() ? " (newer major version: read-only)" : "") << "\n\n";
    char line[160];
    std::snprintf(line, sizeof line, "%-16s %-7s %-16s %-5s %-15s %s\n", "SLOT", "TRIES", "FLAGS", "FAILS",
                  "LAST OUTCOME", "BOOTS");
    o << line;
    for (const auto& s : j["slots"]) {
        std::string tries = std::to_string(s["tries_left"].get<int>()) + "/" + std::to_string(s["max_tries"].get<int>());
        std::string flags;
        for (const auto& f : s["flags"]) flags += (flags.empty() ? "" : ",") + f.get<std::string>();
        std::snprintf(line, sizeof line, "%-16s %-7s %-16s %-5d %-15s %u\n", s["name"].get<std::string>().c_str(),
                      tries.c_str(), flags.empty() ? "-" : flags.c_str(), s["consecutive_failures"].get<int>(),
                      s["last_outcome"].get<std::string>().c_str(), s["boots"].get<uint32_t>());
        o << line;
    }
    if (!j["crash_loop"].is_null()) {
        const auto& c = j["crash_loop"];
        const std::string slot = str(c["slot"], "?");
        o << "\nCRASH LOOP: slot \"" << slot << "\" crashed " << c["crashes"].get<unsigned>()
          << " times after being blessed";
        if (!c["hours"].is_null()) o << " within " << c["hours"].get<unsigned>() << " hours";
        o << " (runtime-crashes in wdboot.conf; the last crash: boot " << c["boot_id"].get<uint32_t>() << ", "
          << str(c["time_text"]) << ").\n";
        o << "  It gets no more tries; "
          << (c["booted"].is_null() ? std::string("the next good slot boots instead")
                                    : "slot \"" + str(c["booted"]) + "\" boots now")
          << ".\n";
        o << "  To boot \"" << slot << "\" again: wdbootctl set-default " << slot
          << "   (or wdbootctl reset: every slot gets its tries back)\n";
    }
    if (!j["last_runtime_crash"].is_null()) {
        const auto& c = j["last_runtime_crash"];
        o << "\nlast crash after a blessing: " << str(c["time_text"]) << ", boot " << c["boot_id"].get<uint32_t>()
          << ", slot " << str(c["slot"], "-") << ": " << str(c["event"]);
        if (!c["panic_line"].is_null()) o << "\n  " << str(c["panic_line"]);
        o << "\n";
    }
    for (const auto& c : sb["refused_slots"]) {
        o << "\nWARNING: Secure Boot: the loader refuses slot \"" << str(c["slot"]) << "\" (" << str(c["image"])
          << "): " << str(c["reason"]) << ".\n  To boot it: a signed unified kernel image, or "
          << "wdbootctl install --secure-boot-policy permissive (docs/secure-boot.md)\n";
    }
    for (const auto& c : sb["unchecked_slots"])
        o << "\nnote: Secure Boot: slot \"" << str(c["slot"]) << "\": " << str(c["reason"]) << "\n";
    for (const auto& c : j["blesser_conflicts"]) {
        o << "\nWARNING: another blesser (" << str(c["id"]) << "): " << str(c["detail"])
          << ".\n  wdboot's counting needs exactly one; to fix: " << str(c["fix"]) << "\n";
    }
    if (!j["last_failure"].is_null()) {
        const auto& f = j["last_failure"];
        o << "\nlast failure: " << str(f["time_text"]) << ", boot " << f["boot_id"].get<uint32_t>() << ", slot "
          << str(f["slot"], "-") << ": " << str(f["event"]) << " (reset cause " << str(f["reset_cause"]) << ")";
        if (!f["detail_text"].get<std::string>().empty()) o << ", " << str(f["detail_text"]);
        o << "\n";
    }
}

}  // namespace

std::string format_time(uint64_t t) {
    if (t == 0) return "-";
    time_t tt = static_cast<time_t>(t);
    struct tm tm {};
    if (gmtime_r(&tt, &tm) == nullptr) return std::to_string(t);
    char buf[40];
    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return buf;
}

std::string slot_flags_text(uint8_t flags) {
    std::string s;
    if (flags & kSlotGood) s += "good";
    if (flags & kSlotBad) s += std::string(s.empty() ? "" : ",") + "bad";
    if (flags & kSlotTrial) s += std::string(s.empty() ? "" : ",") + "trial";
    if (flags & kSlotFailedHard) s += std::string(s.empty() ? "" : ",") + "failed-hard";
    return s.empty() ? "-" : s;
}

std::string event_detail(const JournalEntry& e) {
    const std::string d = std::to_string(e.detail);
    switch (e.event) {
        case Event::watchdog_reset:
            // 0xFF: the reset came after a blessed boot (a runtime hang), not counted.
            if (e.detail == kResetAfterBlessing) return "after a blessed boot, not counted";
            return d + " tries left";
        case Event::attempt:
        case Event::unclean_reset:
        case Event::panic:
        case Event::disarm_failed: return d + " tries left";
        case Event::runtime_panic:
        case Event::runtime_hang:
            // 0: runtime-crashes off, or no blessed boot on record to blame.
            return e.detail == 0 ? "after a blessed boot, not counted" : "runtime crash " + d + " in the slot's window";
        case Event::crash_loop: return d + " runtime crashes in the window: the slot lost its tries";
        // The loader's reason (LoadFailure); 0 from loaders before it was kept.
        case Event::load_failed:
            return e.detail == 0 ? "" : to_string(static_cast<LoadFailure>(e.detail));
        case Event::counters_reset:
            switch (static_cast<CountersReset>(e.detail)) {
                case CountersReset::all: return "";
                case CountersReset::unproven_exhausted: return "every slot exhausted: tries back to a slot never proven bad";
                case CountersReset::after_blessing: return "another slot was blessed: tries back to a good slot that lost them to power cuts";
            }
            return d;
        case Event::blessed: return "tries restored to " + d;
        case Event::trial_requested: return d + (e.detail == 1 ? " try" : " tries");
        case Event::all_exhausted:
            return e.detail <= static_cast<uint8_t>(OnExhausted::halt)
                       ? std::string("policy ") + to_string(static_cast<OnExhausted>(e.detail))
                       : "policy " + d;
        case Event::state_corrupt: {
            bool a = e.detail & 1, b = e.detail & 2;
            return a && b ? "copies A and B damaged" : a ? "copy A damaged" : b ? "copy B damaged" : "";
        }
        default: return e.detail == 0 ? "" : d;
    }
}

nlohmann::json slots_json(const BootState& st) {
    nlohmann::json arr = nlohmann::json::array();
    for (uint8_t i = 0; i < kMaxSlots; ++i) {
        const SlotState& s = st.slots[i];
        if (!s.used()) continue;
        nlohmann::json flags = nlohmann::json::array();
        if (s.has(kSlotGood)) flags.push_back("good");
        if (s.has(kSlotBad)) flags.push_back("bad");
        if (s.has(kSlotTrial)) flags.push_back("trial");
        if (s.has(kSlotFailedHard)) flags.push_back("failed-hard");
        arr.push_back({{"index", i},
                       {"runtime_crashes", s.runtime_crashes},
                       {"name", slot_name(st, i)},
                       {"tries_left", s.tries_left},
                       {"max_tries", s.max_tries},
                       {"flags", flags},
                       {"consecutive_failures", s.consecutive_failures},
                       {"last_outcome", to_string(s.last_outcome)},
                       {"last_boot_id", s.last_boot_id},
                       {"boots", s.boots}});
    }
    return arr;
}

nlohmann::json journal_json(const BootState& st) {
    nlohmann::json arr = nlohmann::json::array();
    for (size_t i = 0; i < st.journal_count; ++i) arr.push_back(entry_json(st, st.journal_newest(i)));
    return arr;
}

Exit cmd_status(AgentEnv& env) {
    Session s;
    Exit e = open_session(env, 0, s);
    if (e != Exit::ok) return e;
    auto cfg = std::make_unique<Config>();
    std::string cfg_path;
    bool have_cfg = load_boot_config(env, *cfg, cfg_path);
    nlohmann::json j = status_document(env, s, have_cfg ? cfg.get() : nullptr);
    if (env.json) *env.out << j.dump(2) << "\n";
    else print_status(*env.out, j);
    return Exit::ok;
}

nlohmann::json panic_json(const std::string& archive_dir, const JournalEntry& e) {
    if (!is_panic_event(e.event)) return nullptr;
    ArchivedPanic a;
    std::string error;
    if (!read_archived_panic(archive_dir, e.boot_id, a, error)) {
        if (error.empty()) return nullptr;
        return {{"source", nullptr}, {"read_from", nullptr}, {"reason", nullptr}, {"time", nullptr},
                {"lines", nlohmann::json::array()}, {"error", error}};
    }
    return {{"source", a.path},
            {"read_from", a.source},
            {"reason", a.reason},
            {"time", a.dump.time},
            {"lines", panic_excerpt(a.text, kPanicExcerptLines)},
            {"error", nullptr}};
}

Exit cmd_log(AgentEnv& env, unsigned limit) {
    Session s;
    Exit e = open_session(env, 0, s);
    if (e != Exit::ok) return e;
    const BootState& st = s.loaded.state;
    nlohmann::json entries = journal_json(st);
    // The kernel's own words for each panic, from wdboot's archive (panic_archive.hpp).
    for (size_t i = 0; i < entries.size(); ++i) entries[i]["panic"] = panic_json(env.pstore.archive, st.journal_newest(i));
    if (limit != 0 && entries.size() > limit) entries.erase(entries.begin() + limit, entries.end());
    if (env.json) {
        *env.out << entries.dump(2) << "\n";
        return Exit::ok;
    }
    char line[256];
    std::snprintf(line, sizeof line, "%-23s %-6s %-16s %-16s %-9s %s\n", "TIME", "BOOT", "SLOT", "EVENT", "CAUSE",
                  "DETAIL");
    *env.out << line;
    for (const auto& en : entries) {
        std::string slot = en["slot"].is_null() ? "-" : en["slot"].get<std::string>();
        std::snprintf(line, sizeof line, "%-23s %-6u %-16s %-16s %-9s %s\n", en["time_text"].get<std::string>().c_str(),
                      en["boot_id"].get<uint32_t>(), slot.c_str(), en["event"].get<std::string>().c_str(),
                      en["reset_cause"].get<std::string>().c_str(), en["detail_text"].get<std::string>().c_str());
        *env.out << line;
        const auto& p = en["panic"];
        if (p.is_null()) {
            if (en["event"] == "panic" || en["event"] == "runtime-panic")
                *env.out << "    (no kernel log of this panic in " << env.pstore.archive
                         << ": efi_pstore not loaded, or `wdbootctl pstore` has not run since)\n";
            continue;
        }
        if (!p["error"].is_null()) {
            *env.out << "    (" << p["error"].get<std::string>() << ")\n";
            continue;
        }
        for (const auto& l : p["lines"]) *env.out << "    | " << l.get<std::string>() << "\n";
        *env.out << "    (" << p["source"].get<std::string>() << ")\n";
    }
    if (entries.empty()) *env.out << "(journal empty)\n";
    return Exit::ok;
}

}  // namespace wdboot::agent
