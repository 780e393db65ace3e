// The health checks behind `wdbootctl health`: every executable in a directory
// (default /etc/wdboot/health.d), run one after the other in name order, each with a
// timeout. Their output goes straight to the agent's stdout/stderr, so under systemd it
// lands in the journal. Any failure means the boot must not be blessed.
#pragma once
#include <stdint.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <map>
#include <string>
#include <vector>

#include "child_wait.hpp"

namespace wdboot::agent {

struct HealthCheckResult {
    std::string name;
    bool started = false;
    bool timed_out = false;
    int exit_code = -1;    // 128+N when killed by signal N; -1 unknown
    int wait_errno = 0;    // waitpid() failed (no exit status): the check did not pass
    uint64_t elapsed_ms = 0;
    bool passed() const { return started && !timed_out && wait_errno == 0 && exit_code == 0; }
};

// A check (or the directory) that was not run because running it as root is unsafe.
struct RefusedCheck {
    std::string path;
    std::string problem;  // e.g. "group-writable (mode 0775)", "owned by uid 1000, not 0"
};

// A refused check neither passes nor fails the run: a file mode says nothing about the
// kernel, and failing the boot for it would fail over to slots with the same root file
// system and the same file (docs/agent.md, "Health checks").
struct HealthReport {
    bool ok = true;                  // every check that ran passed (true for an empty directory)
    bool dir_missing = false;
    std::vector<HealthCheckResult> checks;
    std::vector<std::string> skipped;  // present but not run (not executable, backup files)
    std::vector<RefusedCheck> refused; // not run: unsafe owner or mode (the directory: none ran)
};

struct HealthOptions {
    std::string dir;
    uint64_t timeout_ms = 60000;   // per check
    uint64_t kill_grace_ms = 2000; // SIGTERM, then SIGKILL after this
    std::map<std::string, std::string> env;  // added to each check's environment
    int out_fd = 1;   // where the checks' stdout goes
    int err_fd = 2;   // and their stderr
    bool stop_at_first_failure = true;
    uid_t owner = 0;          // who must own the directory and each check (root; tests: themselves)
    WaitFn wait = ::waitpid;  // tests inject failures
};

// Which files of `dir` are checks, in the order they run. Regular executable files
// (symlinks followed); names starting with '.', ending in '~' or containing ".dpkg-"
// are skipped and listed in `skipped`.
std::vector<std::string> list_health_checks(const std::string& dir, std::vector<std::string>* skipped);

// Runs the checks. The directory and each check must belong to `owner` and must not be
// group- or world-writable; otherwise they are listed in `refused` and not run (a
// refused directory: nothing runs). A check that outlives its timeout gets SIGTERM and
// then SIGKILL, with its whole process group. A check whose exit status cannot be
// collected (waitpid error) fails.
HealthReport run_health_checks(const HealthOptions& opts);

}  // namespace wdboot::agent
