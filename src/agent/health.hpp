// The health checks behind `wdbootctl health`: every executable in a directory
// (default /etc/wdboot/health.d), run one after the other in name order, each with a
// timeout. Their output goes straight to the agent's stdout/stderr, so under systemd it
// lands in the journal. Any failure means the boot must not be blessed.
#pragma once
#include <stdint.h>

#include <map>
#include <string>
#include <vector>

namespace wdboot::agent {

struct HealthCheckResult {
    std::string name;
    bool started = false;
    bool timed_out = false;
    int exit_code = -1;    // 128+N when killed by signal N
    uint64_t elapsed_ms = 0;
    bool passed() const { return started && !timed_out && exit_code == 0; }
};

struct HealthReport {
    bool ok = true;                  // every check passed (true for an empty directory)
    bool dir_missing = false;
    std::vector<HealthCheckResult> checks;
    std::vector<std::string> skipped;  // present but not run (not executable, backup files)
};

struct HealthOptions {
    std::string dir;
    uint64_t timeout_ms = 60000;   // per check
    uint64_t kill_grace_ms = 2000; // SIGTERM, then SIGKILL after this
    std::map<std::string, std::string> env;  // added to each check's environment
    int out_fd = 1;   // where the checks' stdout goes
    int err_fd = 2;   // and their stderr
    bool stop_at_first_failure = true;
};

// Which files of `dir` are checks, in the order they run. Regular executable files
// (symlinks followed); names starting with '.', ending in '~' or containing ".dpkg-"
// are skipped and listed in `skipped`.
std::vector<std::string> list_health_checks(const std::string& dir, std::vector<std::string>* skipped);

// Runs the checks. A check that outlives its timeout gets SIGTERM and then SIGKILL,
// with its whole process group.
HealthReport run_health_checks(const HealthOptions& opts);

}  // namespace wdboot::agent
