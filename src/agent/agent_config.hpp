// /etc/wdboot/agent.conf: the agent's own settings (the loader never reads it).
// Plain `key = value` lines, `#` comments. Every key and default: docs/agent.md and
// wdboot.conf(5). Read once by main() before any command runs.
#pragma once
#include <stdint.h>

#include <ostream>
#include <string>
#include <vector>

namespace wdboot::agent {

inline constexpr char kDefaultAgentConfig[] = "/etc/wdboot/agent.conf";

enum class WatchdogMode : uint8_t { disarm = 0, handover = 1 };
enum class DisarmMethod : uint8_t { automatic = 0, driver = 1, magic_close = 2 };
enum class HealthAction : uint8_t { none = 0, mark_bad_reboot = 1 };
// A copy of the loader at the removable media path \EFI\BOOT\BOOTX64.EFI, for firmware
// that forgets every boot entry: no; yes (only over a file that is ours); force (also
// over another boot loader's file). boot_entry_heal.hpp.
enum class RemovablePath : uint8_t { no = 0, yes = 1, force = 2 };
// What `wdbootctl kernel-add` makes of a new kernel once its slot exists (new-kernel).
enum class NewKernel : uint8_t { trial = 0, make_default = 1, none = 2 };

const char* to_string(WatchdogMode m);
const char* to_string(DisarmMethod m);
const char* to_string(HealthAction a);
const char* to_string(RemovablePath r);
const char* to_string(NewKernel n);

struct AgentConfig {
    WatchdogMode watchdog_mode = WatchdogMode::disarm;
    DisarmMethod disarm_method = DisarmMethod::automatic;
    std::string watchdog_device = "auto";   // or a /dev/watchdogN path
    uint32_t watchdog_wait_s = 10;           // wait for the device / for systemd to open it
    uint32_t runtime_watchdog_s = 60;        // handover: systemd's RuntimeWatchdogSec=
    std::string health_dir = "/etc/wdboot/health.d";
    uint32_t health_timeout_s = 60;          // per executable
    HealthAction health_action = HealthAction::none;
    std::string reboot_command = "systemctl reboot";
    std::string esp = "auto";                // ESP mount point, or auto-detect
    std::string config_path = "\\EFI\\wdboot\\wdboot.conf";  // on the ESP
    RemovablePath removable_path = RemovablePath::no;
    // Kernel hooks (kernel_commands.hpp): what a new kernel's slot becomes, whether a
    // blessed hook trial becomes the default, how many kernel slots the hooks keep.
    NewKernel new_kernel = NewKernel::trial;
    bool promote_on_bless = true;
    uint32_t keep = 3;
};

struct ConfigMessage {
    unsigned line;
    bool error;  // false: warning
    std::string text;
};

// Parses agent.conf text into `out` (which holds defaults). Unknown keys are warnings;
// bad values, and lines with a byte that is not printable ASCII or a tab outside a
// comment, are errors and leave the default in place. A UTF-8 byte order mark at the
// start and CRLF line ends are accepted. `config` is checked and normalised by the
// core's normalise_esp_path(), as the loader reads paths. Returns false on any error.
bool parse_agent_config(const std::string& text, AgentConfig& out, std::vector<ConfigMessage>& messages);

// Reads agent.conf at `path` into cfg (which holds defaults) and prints every message on
// `err` as "PATH:LINE: error: ..." / "warning: ...". A missing file is all defaults
// unless the path was given explicitly (--agent-config). Returns false when the file is
// unusable (unreadable explicit path, or any error in it); cfg then holds the built-in
// defaults, never half of the file. Called by main() before any command runs.
bool load_agent_config(const std::string& path, bool explicit_path, AgentConfig& cfg, std::ostream& err);

// Whether `command` still runs, with the built-in defaults, when agent.conf is unusable:
// mark-good and disarm, because no problem in agent.conf may keep the watchdog from
// being disarmed (the machine would be reset into the next slot although the boot was
// good). Every other command refuses with Exit::config.
bool runs_with_broken_agent_config(const std::string& command);

}  // namespace wdboot::agent
