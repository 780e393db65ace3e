#include "child_wait.hpp"

#include <errno.h>
#include <sys/wait.h>

namespace wdboot::agent {

ChildReaping::ChildReaping() {
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    // sa_flags 0 also drops an inherited SA_NOCLDWAIT.
    changed_ = sigaction(SIGCHLD, &dfl, &previous_) == 0;
}

ChildReaping::~ChildReaping() {
    if (changed_) (void)sigaction(SIGCHLD, &previous_, nullptr);
}

pid_t wait_child(WaitFn wait, pid_t pid, int& status, int options) {
    for (;;) {
        pid_t r = wait(pid, &status, options);
        if (r >= 0 || errno != EINTR) return r;
    }
}

}  // namespace wdboot::agent
