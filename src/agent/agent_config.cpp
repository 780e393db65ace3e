#include "agent_config.hpp"

#include <cctype>
#include <cstdlib>
#include <sstream>

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

bool parse_agent_config(const std::string& text, AgentConfig& out, std::vector<ConfigMessage>& messages) {
    std::istringstream in(text);
    std::string raw;
    unsigned line = 0;
    bool ok = true;
    auto error = [&](const std::string& m) {
        messages.push_back({line, true, m});
        ok = false;
    };
    while (std::getline(in, raw)) {
        ++line;
        size_t hash = raw.find('#');
        std::string l = trim(hash == std::string::npos ? raw : raw.substr(0, hash));
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
        } else if (key == "config") {
            if (value.rfind("\\", 0) == 0) out.config_path = value;
            else error("config must be an ESP path starting with a backslash");
        } else {
            messages.push_back({line, false, "unknown key \"" + key + "\" ignored"});
        }
    }
    return ok;
}

}  // namespace wdboot::agent
