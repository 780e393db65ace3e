#include "agent_config.hpp"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "wdboot/config.hpp"
#include "wdboot/text_encoding.hpp"

namespace wdboot::agent {
namespace {

std::string trim(const std::string& s) {
    size_t b = 0, e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
    return s.substr(b, e - b);
}

bool parse_seconds(const std::string& v, uint32_t lo, uint32_t hi, uint32_t& out) {
    if (v.empty() || v.size() > 6) return false;
    for (char c : v)
        if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    unsigned long n = std::strtoul(v.c_str(), nullptr, 10);
    if (n < lo || n > hi) return false;
    out = static_cast<uint32_t>(n);
    return true;
}

}  // namespace

const char* to_string(WatchdogMode m) { return m == WatchdogMode::handover ? "handover" : "disarm"; }

const char* to_string(DisarmMethod m) {
    switch (m) {
        case DisarmMethod::automatic: return "auto";
        case DisarmMethod::driver: return "driver";
        case DisarmMethod::magic_close: return "magic-close";
    }
    return "?";
}

const char* to_string(HealthAction a) { return a == HealthAction::mark_bad_reboot ? "mark-bad-reboot" : "none"; }

const char* to_string(RemovablePath r) {
    switch (r) {
        case RemovablePath::no: return "no";
        case RemovablePath::yes: return "yes";
        case RemovablePath::force: return "force";
    }
    return "?";
}

const char* to_string(NewKernel n) {
    switch (n) {
        case NewKernel::trial: return "trial";
        case NewKernel::make_default: return "default";
        case NewKernel::none: return "none";
    }
    return "?";
}

bool parse_agent_config(const std::string& text, AgentConfig& out, std::vector<ConfigMessage>& messages) {
    unsigned line = 0;
    bool ok = true;
    auto error = [&](const std::string& m) {
        messages.push_back({line, true, m});
        ok = false;
    };
    if (starts_with_utf16_bom(text.data(), text.size())) {
        line = 1;
        error("the file is UTF-16 text (it starts with a UTF-16 byte order mark); save it as ASCII or UTF-8");
        return ok;
    }
    // The same byte rules as wdboot.conf (wdboot/text_encoding.hpp): a UTF-8 byte order
    // mark at the start is skipped, CRLF line ends are accepted, and outside comments
    // any byte that is not printable ASCII or a tab makes its line an error.
    std::istringstream in(text.substr(utf8_bom_length(text.data(), text.size())));
    std::string raw;
    while (std::getline(in, raw)) {
        ++line;
        size_t hash = raw.find('#');
        std::string code = hash == std::string::npos ? raw : raw.substr(0, hash);
        while (!code.empty() && (code.back() == '\r' || code.back() == ' ' || code.back() == '\t')) code.pop_back();
        BadCharacter bad{};
        if (find_bad_character(code.data(), code.size(), bad)) {
            TextBuffer<120> m;
            m.append("line contains ");
            append_character_name(m, bad.code, bad.decoded);
            m.append(" at column ").append_uint(bad.offset + 1).append("; line ignored");
            error(m.c_str());
            continue;
        }
        std::string l = trim(code);
        if (l.empty()) continue;
        size_t eq = l.find('=');
        if (eq == std::string::npos) {
            error("expected key = value: \"" + l + "\"");
            continue;
        }
        const std::string key = trim(l.substr(0, eq));
        const std::string value = trim(l.substr(eq + 1));
        uint32_t n = 0;
        if (key == "watchdog-mode") {
            if (value == "disarm") out.watchdog_mode = WatchdogMode::disarm;
            else if (value == "handover") out.watchdog_mode = WatchdogMode::handover;
            else error("watchdog-mode must be disarm or handover, not \"" + value + "\"");
        } else if (key == "disarm-method") {
            if (value == "auto") out.disarm_method = DisarmMethod::automatic;
            else if (value == "driver") out.disarm_method = DisarmMethod::driver;
            else if (value == "magic-close") out.disarm_method = DisarmMethod::magic_close;
            else error("disarm-method must be auto, driver or magic-close, not \"" + value + "\"");
        } else if (key == "watchdog-device") {
            if (value == "auto" || value.rfind("/", 0) == 0) out.watchdog_device = value;
            else error("watchdog-device must be auto or an absolute path");
        } else if (key == "watchdog-wait") {
            if (parse_seconds(value, 0, 600, n)) out.watchdog_wait_s = n;
            else error("watchdog-wait must be 0..600 seconds");
        } else if (key == "runtime-watchdog") {
            // Every driver wdboot arms accepts this range as a Linux heartbeat (i6300esb
            // 1..2046 s, iTCO_wdt on ICH9 2..613 s); below 10 s a loaded machine's PID 1
            // may miss a ping.
            if (parse_seconds(value, 10, 600, n)) out.runtime_watchdog_s = n;
            else error("runtime-watchdog must be 10..600 seconds");
        } else if (key == "health-dir") {
            if (value.rfind("/", 0) == 0) out.health_dir = value;
            else error("health-dir must be an absolute path");
        } else if (key == "health-timeout") {
            if (parse_seconds(value, 1, 86400, n)) out.health_timeout_s = n;
            else error("health-timeout must be 1..86400 seconds");
        } else if (key == "health-action") {
            if (value == "none") out.health_action = HealthAction::none;
            else if (value == "mark-bad-reboot") out.health_action = HealthAction::mark_bad_reboot;
            else error("health-action must be none or mark-bad-reboot, not \"" + value + "\"");
        } else if (key == "reboot-command") {
            if (!value.empty()) out.reboot_command = value;
            else error("reboot-command must not be empty");
        } else if (key == "esp") {
            if (value == "auto" || value.rfind("/", 0) == 0) out.esp = value;
            else error("esp must be auto or an absolute path");
        } else if (key == "removable-path") {
            if (value == "no") out.removable_path = RemovablePath::no;
            else if (value == "yes") out.removable_path = RemovablePath::yes;
            else if (value == "force") out.removable_path = RemovablePath::force;
            else error("removable-path must be no, yes or force, not \"" + value + "\"");
        } else if (key == "config") {
            // The loader's own rule (config= in its load options, paths in wdboot.conf).
            char path[kPathMax];
            char why[kDiagnosticBytes];
            if (normalise_esp_path(value.data(), value.size(), path, why, sizeof(why))) out.config_path = path;
            else error(std::string("config: ") + why);
        } else if (key == "new-kernel") {
            if (value == "trial") out.new_kernel = NewKernel::trial;
            else if (value == "default") out.new_kernel = NewKernel::make_default;
            else if (value == "none") out.new_kernel = NewKernel::none;
            else error("new-kernel must be trial, default or none, not \"" + value + "\"");
        } else if (key == "promote-on-bless") {
            if (value == "yes") out.promote_on_bless = true;
            else if (value == "no") out.promote_on_bless = false;
            else error("promote-on-bless must be yes or no, not \"" + value + "\"");
        } else if (key == "keep") {
            // At least 2: the new kernel and the one it replaced. At most 7: wdboot.conf
            // holds 8 slots, and a new kernel needs room while the kept ones are there.
            if (parse_seconds(value, 2, 7, n)) out.keep = n;
            else error("keep must be 2..7 kernel slots, not \"" + value + "\"");
        } else {
            messages.push_back({line, false, "unknown key \"" + key + "\" ignored"});
        }
    }
    return ok;
}

bool load_agent_config(const std::string& path, bool explicit_path, AgentConfig& cfg, std::ostream& err) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        if (!explicit_path) return true;
        err << path << ": error: cannot read it\n";
        cfg = AgentConfig{};
        return false;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    std::vector<ConfigMessage> msgs;
    bool ok = parse_agent_config(ss.str(), cfg, msgs);
    for (const auto& m : msgs) err << path << ":" << m.line << ": " << (m.error ? "error: " : "warning: ") << m.text << "\n";
    if (!ok) cfg = AgentConfig{};
    return ok;
}

bool runs_with_broken_agent_config(const std::string& command) {
    return command == "mark-good" || command == "disarm";
}

}  // namespace wdboot::agent
