#include "health.hpp"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

namespace wdboot::agent {
namespace {

uint64_t now_ms() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000u + static_cast<uint64_t>(ts.tv_nsec) / 1000000u;
}

void sleep_ms(unsigned ms) {
    timespec ts{0, static_cast<long>(ms) * 1000000L};
    nanosleep(&ts, nullptr);
}

// Waits for pid until deadline (monotonic ms). True when it exited; status set.
bool wait_until(pid_t pid, uint64_t deadline, int& status) {
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) return true;
        if (r < 0 && errno != EINTR) {
            status = 0;
            return true;
        }
        if (now_ms() >= deadline) return false;
        sleep_ms(10);
    }
}

int exit_code_of(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

HealthCheckResult run_one(const HealthOptions& opts, const std::string& name) {
    HealthCheckResult res;
    res.name = name;
    const std::string path = opts.dir + "/" + name;
    // Our own buffered output must come out before the check's, in order.
    fflush(stdout);
    fflush(stderr);
    const uint64_t start = now_ms();
    pid_t pid = fork();
    if (pid < 0) return res;
    if (pid == 0) {
        // Own process group, so a timeout kills whatever the check started too.
        setpgid(0, 0);
        if (opts.out_fd != STDOUT_FILENO) dup2(opts.out_fd, STDOUT_FILENO);
        if (opts.err_fd != STDERR_FILENO) dup2(opts.err_fd, STDERR_FILENO);
        for (const auto& [k, v] : opts.env) setenv(k.c_str(), v.c_str(), 1);
        execl(path.c_str(), path.c_str(), static_cast<char*>(nullptr));
        _exit(126);
    }
    setpgid(pid, pid);  // also from the parent, so the group exists before we may kill it
    res.started = true;
    int status = 0;
    if (!wait_until(pid, start + opts.timeout_ms, status)) {
        res.timed_out = true;
        kill(-pid, SIGTERM);
        if (!wait_until(pid, now_ms() + opts.kill_grace_ms, status)) {
            kill(-pid, SIGKILL);
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
            }
        }
    }
    res.exit_code = exit_code_of(status);
    res.elapsed_ms = now_ms() - start;
    return res;
}

}  // namespace

std::vector<std::string> list_health_checks(const std::string& dir, std::vector<std::string>* skipped) {
    std::vector<std::string> names;
    DIR* d = opendir(dir.c_str());
    if (d == nullptr) return names;
    while (dirent* e = readdir(d)) {
        std::string n = e->d_name;
        if (n == "." || n == "..") continue;
        bool backup = n[0] == '.' || n.back() == '~' || n.find(".dpkg-") != std::string::npos;
        struct stat st {};
        bool runnable = stat((dir + "/" + n).c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
                        access((dir + "/" + n).c_str(), X_OK) == 0 && (st.st_mode & 0111) != 0;
        if (backup || !runnable) {
            if (skipped) skipped->push_back(n);
            continue;
        }
        names.push_back(n);
    }
    closedir(d);
    std::sort(names.begin(), names.end());
    if (skipped) std::sort(skipped->begin(), skipped->end());
    return names;
}

HealthReport run_health_checks(const HealthOptions& opts) {
    HealthReport report;
    struct stat st {};
    if (stat(opts.dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        report.dir_missing = true;
        return report;
    }
    for (const auto& name : list_health_checks(opts.dir, &report.skipped)) {
        HealthCheckResult r = run_one(opts, name);
        report.checks.push_back(r);
        if (!r.passed()) {
            report.ok = false;
            if (opts.stop_at_first_failure) break;
        }
    }
    return report;
}

}  // namespace wdboot::agent
