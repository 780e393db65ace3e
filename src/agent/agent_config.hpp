// /etc/wdboot/agent.conf: the agent's own settings (the loader never reads it).
// Plain `key = value` lines, `#` comments. Every key and default: docs/agent.md and
// wdboot.conf(5). Read once by main() before any command runs.
#pragma once
#include <stdint.h>

#include <string>
#include <vector>

namespace wdboot::agent {

inline constexpr char kDefaultAgentConfig[] = "/etc/wdboot/agent.conf";

enum class WatchdogMode : uint8_t { disarm = 0, handover = 1 };
enum class DisarmMethod : uint8_t { automatic = 0, driver = 1, magic_close = 2 };
enum class HealthAction : uint8_t { none = 0, mark_bad_reboot = 1 };

const char* to_string(WatchdogMode m);
const char* to_string(DisarmMethod m);
const char* to_string(HealthAction a);

struct AgentConfig {
    WatchdogMode watchdog_mode = WatchdogMode::disarm;
    DisarmMethod disarm_method = DisarmMethod::automatic;
    std::string watchdog_device = "auto";   // or a /dev/watchdogN path
    uint32_t watchdog_wait_s = 10;           // wait for the device / for systemd to open it
    std::string health_dir = "/etc/wdboot/health.d";
    uint32_t health_timeout_s = 60;          // per executable
    HealthAction health_action = HealthAction::none;
    std::string reboot_command = "systemctl reboot";
    std::string esp = "auto";                // ESP mount point, or auto-detect
    std::string config_path = "\\EFI\\wdboot\\wdboot.conf";  // on the ESP
};

struct ConfigMessage {
    unsigned line;
    bool error;  // false: warning
    std::string text;
};

// Parses agent.conf text into `out` (which holds defaults). Unknown keys are warnings;
// bad values are errors and leave the default in place. Returns false on any error.
bool parse_agent_config(const std::string& text, AgentConfig& out, std::vector<ConfigMessage>& messages);

}  // namespace wdboot::agent
