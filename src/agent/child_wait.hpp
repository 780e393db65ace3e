// Waiting for the agent's own child processes (health checks, efibootmgr, modprobe,
// the reboot command) so that their exit status is never lost.
// A parent that ignores SIGCHLD (SIG_IGN or SA_NOCLDWAIT; the disposition survives
// exec) makes the kernel reap our children by itself: waitpid() then fails with ECHILD
// and there is no exit status. The agent used to read that as exit 0, so a failing
// health check passed. Both halves of the fix live here: ChildReaping makes waitpid()
// work again (robust), and a wait error is reported as such, never as a status
// (fail-safe).
#pragma once
#include <signal.h>
#include <sys/types.h>

namespace wdboot::agent {

// The waitpid() the agent calls; tests substitute one that fails.
using WaitFn = pid_t (*)(pid_t pid, int* status, int options);

// While alive, SIGCHLD has its default action (children stay waitable); the previous
// action is restored afterwards. Create it before fork() and keep it until the child
// has been waited for.
class ChildReaping {
public:
    ChildReaping();
    ~ChildReaping();
    ChildReaping(const ChildReaping&) = delete;
    ChildReaping& operator=(const ChildReaping&) = delete;

private:
    struct sigaction previous_ {};
    bool changed_ = false;
};

// waitpid(pid, status, options) through `wait`, retried on EINTR. Returns what waitpid
// returns: pid, 0 (WNOHANG and still running) or -1 with errno set (e.g. ECHILD).
pid_t wait_child(WaitFn wait, pid_t pid, int& status, int options);

}  // namespace wdboot::agent
