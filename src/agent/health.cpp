#include "health.hpp"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "child_wait.hpp"

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

enum class Wait { exited, running, error };

// Waits for pid until deadline (monotonic ms). exited: status set; error: errno set.
Wait wait_until(const HealthOptions& opts, pid_t pid, uint64_t deadline, int& status) {
    for (;;) {
        pid_t r = wait_child(opts.wait, pid, status, WNOHANG);
        if (r == pid) return Wait::exited;
        if (r < 0) return Wait::error;
        if (now_ms() >= deadline) return Wait::running;
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
    Wait w = wait_until(opts, pid, start + opts.timeout_ms, status);
    if (w == Wait::running) {
        res.timed_out = true;
        kill(-pid, SIGTERM);
        w = wait_until(opts, pid, now_ms() + opts.kill_grace_ms, status);
        if (w == Wait::running) {
            kill(-pid, SIGKILL);
            w = wait_child(opts.wait, pid, status, 0) == pid ? Wait::exited : Wait::error;
        }
    }
    if (w == Wait::error) {
        // No exit status: the check did not pass. Kill whatever may still run of it.
        res.wait_errno = errno;
        kill(-pid, SIGKILL);
    } else {
        res.exit_code = exit_code_of(status);
    }
    res.elapsed_ms = now_ms() - start;
    return res;
}

// Why `path` must not be run as root, or empty: it must belong to `owner` and must not
// be writable by group or others (else anyone in that group could run code as root).
std::string unsafe_because(const std::string& path, uid_t owner) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) return std::string("cannot stat: ") + strerror(errno);
    char buf[96];
    if (st.st_uid != owner) {
        snprintf(buf, sizeof buf, "owned by uid %u, not %u", static_cast<unsigned>(st.st_uid), static_cast<unsigned>(owner));
        return buf;
    }
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        snprintf(buf, sizeof buf, "%s-writable (mode %04o)", (st.st_mode & S_IWOTH) ? "world" : "group",
                 static_cast<unsigned>(st.st_mode & 07777));
        return buf;
    }
    return "";
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
    ChildReaping reaping;
    std::string why = unsafe_because(opts.dir, opts.owner);
    if (!why.empty()) {
        report.refused.push_back({opts.dir, why});
        return report;
    }
    for (const auto& name : list_health_checks(opts.dir, &report.skipped)) {
        why = unsafe_because(opts.dir + "/" + name, opts.owner);
        if (!why.empty()) {
            report.refused.push_back({opts.dir + "/" + name, why});
            continue;
        }
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
