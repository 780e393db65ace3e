#include "command_runner.hpp"

#include <errno.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstring>

#include "fd.hpp"

namespace wdboot::agent {

CommandResult ProcessRunner::run(const std::vector<std::string>& argv) {
    CommandResult result;
    if (argv.empty()) return result;
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0) {
        result.output = "pipe failed";
        return result;
    }
    Fd rd(pipefd[0]), wr(pipefd[1]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);

    ChildReaping reaping;
    pid_t pid = fork();
    if (pid < 0) {
        result.output = "fork failed";
        return result;
    }
    if (pid == 0) {
        dup2(wr.get(), STDOUT_FILENO);
        dup2(wr.get(), STDERR_FILENO);
        execvp(args[0], args.data());
        // Exit code 127 is what shells use for "command not found".
        _exit(127);
    }
    wr.reset();
    char buf[4096];
    for (;;) {
        ssize_t n = read(rd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        result.output.append(buf, static_cast<size_t>(n));
    }
    int status = 0;
    if (wait_child(wait_, pid, status, 0) != pid) {
        const int e = errno;
        if (!result.output.empty() && result.output.back() != '\n') result.output += "\n";
        result.output += std::string("cannot wait for ") + argv[0] + ": " + std::strerror(e) +
                         " (its exit status is unknown; counted as a failure)";
        return result;
    }
    if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
    else if (WIFSIGNALED(status)) result.exit_code = 128 + WTERMSIG(status);
    return result;
}

std::vector<std::string> split_words(const std::string& line) {
    std::vector<std::string> words;
    std::string cur;
    for (char c : line) {
        if (std::isspace(static_cast<unsigned char>(c))) {
            if (!cur.empty()) words.push_back(cur);
            cur.clear();
        } else {
            cur.push_back(c);
        }
    }
    if (!cur.empty()) words.push_back(cur);
    return words;
}

}  // namespace wdboot::agent
