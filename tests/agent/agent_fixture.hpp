// Test doubles and a fixture for the agent tests: a temporary fake efivarfs, a fake
// watchdog system, a fake command runner with a small efibootmgr model, and a fake
// loader that boots through the core's real run_boot() and publishes WdbootCurrent.
#pragma once
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>

#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "../unit/utf16.hpp"
#include "agent_env.hpp"
#include "wdboot/boot_flow.hpp"
#include "wdboot/config.hpp"
#include "wdboot/secure_boot.hpp"

namespace wdtest {

using namespace wdboot;
using namespace wdboot::agent;

class TempDir {
public:
    TempDir();
    ~TempDir();
    const std::string& path() const { return path_; }
    std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

private:
    std::string path_;
};

void write_text(const std::string& path, const std::string& text, unsigned mode = 0644);
std::string read_text(const std::string& path);
std::vector<uint8_t> read_bytes(const std::string& path);

// Real ioctl flags, with call counters and an optional injected error.
class CountingFlags final : public FileFlags {
public:
    int get(int fd, unsigned& flags) override;
    int set(int fd, unsigned flags) override;
    unsigned gets = 0, sets = 0;
    int fail_set_with = 0;      // errno to return from set(), 0: none
    bool fake_immutable = false; // report FS_IMMUTABLE_FL without touching the inode
    std::vector<unsigned> set_values;
    IoctlFileFlags real;
};

class FakeMounts final : public MountProbe {
public:
    bool read_only(const std::string&) override { return ro; }
    bool ro = false;
};

class FakeWatchdog final : public WatchdogSystem {
public:
    std::vector<WatchdogInfo> list() override { return devices; }
    bool load_driver(const std::string& module, std::string& message) override;
    bool magic_close(const std::string& device, std::string& message) override;
    void sleep_ms(unsigned) override;
    bool bmc_request(uint8_t netfn, uint8_t cmd, const std::vector<uint8_t>& data, BmcResponse& out,
                     std::string& message) override;
    std::string device_dir() const override { return "/dev"; }
    bool write_service_manager_config(const std::string& text, std::string& message) override;
    bool reexec_service_manager(std::string& message) override;
    bool reload_service_manager(std::string& message) override;
    bool query_service_manager(ServiceManagerWatchdog& out, std::string& message) override;

    std::vector<WatchdogInfo> devices;
    std::map<std::string, WatchdogInfo> on_load;  // module -> device that appears
    std::vector<std::string> loaded;
    std::vector<std::string> closed;
    std::string fail_load;       // message: load fails
    std::string fail_close;      // message: magic close fails
    unsigned sleeps = 0;
    // A model of systemd 252's PID 1: a re-execution applies the drop-in's
    // WatchdogDevice= and RuntimeWatchdogSec=; every query wakes its main loop, and it
    // then opens that device if it is registered and free.
    std::string drop_in;            // the text written last
    std::string systemd_device;     // WatchdogDevice= applied at the last re-execution
    std::string systemd_runtime;    // RuntimeWatchdogUSec as systemctl shows it
    bool systemd_takes_device = true;  // false: PID 1 never opens it (a drop-in in /etc masks ours)
    unsigned systemd_ignores_wakes = 0;  // wake-ups before PID 1 gets to open it
    std::string fail_service_manager;  // message: the drop-in, re-execution and queries fail
    std::vector<std::string> events;   // "drop-in", "reexec", "reload", "load MODULE", "query", in order
    // A BMC as QEMU's simulator answers Get/Set Watchdog Timer (ipmi_bmc_sim.c): Get's
    // byte 1 bit 6 echoes the last Set's don't-stop bit; a Set without it stops the timer.
    bool bmc_running = false;
    uint8_t bmc_use = 0x43;           // OS Load, don't-stop: as the loader arms it
    uint8_t bmc_action = 0x01;        // hard reset
    uint16_t bmc_initial = 250;       // 25 s
    std::string bmc_unreachable;      // message: every request fails
    bool bmc_ignores_stop = false;    // the Set is acknowledged, the timer keeps running
    std::vector<std::vector<uint8_t>> bmc_requests;  // netfn, cmd, data...
};

// Records every command; answers efibootmgr from a small model of the boot manager.
class FakeRunner final : public CommandRunner {
public:
    CommandResult run(const std::vector<std::string>& argv) override;
    std::vector<std::vector<std::string>> calls;
    std::map<std::string, std::string> labels;  // Boot#### -> label
    std::map<std::string, std::string> loaders; // Boot#### -> --loader of its --create (default \EFI\x.efi)
    std::vector<std::string> order;
    int fail_exit_for = -1;  // index of the call that fails
    std::map<std::string, std::string> output_of;  // program (argv[0]) -> what it prints
    std::string efibootmgr_listing() const;
};

// A whole agent environment over a temporary directory.
class Agent {
public:
    Agent();
    TempDir dir;
    std::string efivars;
    CountingFlags flags;
    FakeMounts mounts;
    std::unique_ptr<Efivarfs> vars;
    FakeWatchdog watchdog;
    FakeRunner runner;
    std::ostringstream out, err;
    AgentEnv env;
    uint64_t clock = 1700000000;
    // What env.journal_send received (one vector of KEY=value per entry); a non-empty
    // journal_fail makes every send fail with that reason.
    std::vector<std::vector<std::string>> journal;
    std::string journal_fail;

    // Writes wdboot.conf on the fake ESP.
    void write_config(const std::string& text);
    // Boots like the loader: run_boot() over the fake efivarfs with a platform that
    // publishes WdbootCurrent and then "runs" the kernel (control does not return).
    // fail_load: slot names whose image fails to load, for the reason load_failure.
    struct BootOutcome {
        std::string slot;
        uint32_t boot_id = 0;
    };
    BootOutcome boot(ResetCause cause = ResetCause::power_on, std::set<std::string> fail_load = {});
    LoadFailure load_failure = LoadFailure::security_violation;
    LoadedState state();
    void clear_output();
};

// SIGCHLD ignored, as under a parent that set SIG_IGN before exec'ing the agent.
struct IgnoredSigchld {
    IgnoredSigchld() { previous = signal(SIGCHLD, SIG_IGN); }
    ~IgnoredSigchld() { signal(SIGCHLD, previous); }
    void (*previous)(int);
};

// A waitpid() that loses the status like an auto-reaping kernel: it reaps the child
// itself (no zombie left) and then reports ECHILD.
inline pid_t reaped_elsewhere(pid_t pid, int* status, int) {
    (void)waitpid(pid, status, 0);
    errno = ECHILD;
    return -1;
}

inline constexpr char kTwoSlotConfig[] =
    "timeout 30\ntries 3\nwatchdog i6300esb\n"
    "slot primary\n  linux \\EFI\\wdboot\\kernels\\new\\vmlinuz\n  options root=/dev/vda2\n"
    "slot fallback\n  linux \\EFI\\wdboot\\kernels\\old\\vmlinuz\n  options root=/dev/vda2\n";

}  // namespace wdtest
