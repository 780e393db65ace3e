// Running external programs (modprobe, efibootmgr, systemctl) and collecting their
// output. Behind an interface so the tests can see which commands the agent would run
// and inject failures, without touching the machine.
#pragma once
#include <string>
#include <vector>

namespace wdboot::agent {

struct CommandResult {
    int exit_code = -1;   // exit status; 128+N when killed by signal N; -1 could not start
    std::string output;   // stdout and stderr, interleaved
};

class CommandRunner {
public:
    virtual ~CommandRunner() = default;
    virtual CommandResult run(const std::vector<std::string>& argv) = 0;
};

// fork()/execvp() with stdout and stderr captured through a pipe.
class ProcessRunner final : public CommandRunner {
public:
    CommandResult run(const std::vector<std::string>& argv) override;
};

// Splits a configured command line such as "systemctl reboot" on blanks (no quoting).
std::vector<std::string> split_words(const std::string& line);

}  // namespace wdboot::agent
