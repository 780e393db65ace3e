// ProcessRunner (efibootmgr, modprobe, the reboot command) under a parent that ignores
// SIGCHLD, and when waiting fails: an exit status is never invented.
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>

#include "agent_fixture.hpp"
#include "command_runner.hpp"

using namespace wdboot::agent;
using wdtest::IgnoredSigchld;
using wdtest::reaped_elsewhere;

TEST_CASE("ProcessRunner reports the real exit status when SIGCHLD is ignored") {
    IgnoredSigchld ignored;
    ProcessRunner runner;
    CHECK(runner.run({"sh", "-c", "echo hi; exit 3"}).exit_code == 3);
    CommandResult ok = runner.run({"sh", "-c", "echo hi"});
    CHECK(ok.exit_code == 0);
    CHECK(ok.output == "hi\n");
}

TEST_CASE("ProcessRunner counts a failed wait as a failure, not as exit 0") {
    ProcessRunner runner(reaped_elsewhere);
    CommandResult r = runner.run({"sh", "-c", "exit 0"});
    CHECK(r.exit_code == -1);
    CHECK(r.output.find("cannot wait for sh") != std::string::npos);
}
