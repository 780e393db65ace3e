// Running external programs (modprobe, efibootmgr, systemctl) and collecting their
// output. Behind an interface so the tests can see which commands the agent would run
// and inject failures, without touching the machine.
#pragma once
#include <sys/wait.h>

#include <string>
#include <vector>

#include "child_wait.hpp"

namespace wdboot::agent {

struct CommandResult {
    int exit_code = -1;   // exit status; 128+N when killed by signal N; -1 could not start
                          // or could not be waited for (never read as success)
    std::string output;   // stdout and stderr, interleaved
};

class CommandRunner {
public:
    virtual ~CommandRunner() = default;
    virtual CommandResult run(const std::vector<std::string>& argv) = 0;
};

// fork()/execvp() with stdout and stderr captured through a pipe. SIGCHLD has its
// default action while the child runs (see child_wait.hpp); if waiting still fails the
// result is exit_code -1 with the reason in `output`.
class ProcessRunner final : public CommandRunner {
public:
    explicit ProcessRunner(WaitFn wait = ::waitpid) : wait_(wait) {}
    CommandResult run(const std::vector<std::string>& argv) override;

private:
    WaitFn wait_;
};

// Splits a configured command line such as "systemctl reboot" on blanks (no quoting).
std::vector<std::string> split_words(const std::string& line);

}  // namespace wdboot::agent
