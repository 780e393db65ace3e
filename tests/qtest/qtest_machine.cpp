// QEMU process and protocol plumbing for the qtest watchdog checks.
#include "qtest_machine.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace wdboot::qtest {
namespace {

// QEMU itself is bounded by the timeout tool; this bounds each wait for an answer so
// a wedged QEMU is reported with the command that hung instead of as a ctest timeout.
constexpr int kAnswerWaitMs = 30000;
// Hard limit on one QEMU process; the whole check needs a few seconds.
constexpr const char* kQemuLimit = "120";

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what); }

// The guest's whole firmware: 64 KiB (QEMU wants a multiple of 64 KiB) whose reset
// vector at offset 0xFFF0 is `cli; hlt; jmp back to hlt`. The vCPU sleeps from the
// first instruction on, so QEMU costs no CPU while the tests wait, and nothing but
// the test writes to the devices. Kept in a memfd: no file to create or clean up.
int halt_rom() {
    constexpr size_t kSize = 0x10000;
    static const uint8_t kResetVector[] = {0xFA, 0xF4, 0xEB, 0xFD};
    std::vector<uint8_t> rom(kSize, 0xF4);
    for (size_t i = 0; i < sizeof kResetVector; ++i) rom[0xFFF0 + i] = kResetVector[i];
    int fd = memfd_create("wdboot-halt-rom", MFD_CLOEXEC);
    if (fd < 0 || write(fd, rom.data(), rom.size()) != static_cast<ssize_t>(rom.size())) fail("memfd for the ROM failed");
    return fd;
}

}  // namespace

std::string hex(uint64_t v) {
    char b[24];
    snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
    return b;
}

Machine::Machine(const std::string& qemu, const std::string& timeout_tool, const std::vector<std::string>& extra) {
    int in[2], out[2], qmp[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 ||
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, qmp) != 0) {
        fail("pipe/socketpair failed");
    }
    int rom = halt_rom();
    // The QMP socket is handed to QEMU as an already connected chardev: no socket
    // file, no network, nothing another test could collide with.
    std::vector<std::string> args = {timeout_tool, "--kill-after=5", kQemuLimit, qemu,
        "-machine", "q35", "-accel", "tcg", "-m", "64", "-bios", "/dev/fd/" + std::to_string(rom),
        "-qtest", "stdio", "-qtest-log", "none",
        "-nodefaults", "-nic", "none", "-display", "none",
        "-serial", "none", "-parallel", "none", "-monitor", "none",
        "-chardev", "socket,id=qmp,fd=" + std::to_string(qmp[1]), "-mon", "chardev=qmp,mode=control",
        "-action", "watchdog=debug"};
    args.insert(args.end(), extra.begin(), extra.end());

    for (const auto& a : args) command_line_ += (command_line_.empty() ? "" : " ") + a;

    // Built before fork(): other scenario threads may hold the allocator's lock, so
    // the child calls nothing but async-signal-safe functions.
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = fork();
    if (pid_ < 0) fail("fork failed");
    if (pid_ == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        // The two descriptors QEMU inherits besides stdio; every other descriptor
        // of this process is close-on-exec, so parallel machines share nothing.
        fcntl(qmp[1], F_SETFD, 0);
        fcntl(rom, F_SETFD, 0);
        execv(argv[0], argv.data());
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    close(qmp[1]);
    close(rom);
    qtest_in_ = in[1];
    qtest_out_ = out[0];
    qmp_ = qmp[0];

    // QMP greets, then waits for capability negotiation before it sends any event.
    try {
        qmp_await("\"QMP\"");
        qmp_send("{\"execute\": \"qmp_capabilities\", \"id\": \"caps\"}");
        qmp_await("\"id\": \"caps\"");
    } catch (...) {
        // No destructor runs for a half-built object, and a QEMU left behind would
        // hold ctest's output pipe open until its time limit.
        stop();
        throw;
    }
}

Machine::~Machine() { stop(); }

void Machine::stop() {
    for (int* fd : {&qtest_in_, &qtest_out_, &qmp_}) {
        if (*fd >= 0) close(*fd);
        *fd = -1;
    }
    if (pid_ > 0) {
        // SIGTERM to the timeout tool, which passes it on to QEMU and waits for it.
        kill(pid_, SIGTERM);
        waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }
}

std::string Machine::read_line(int fd, std::string& buf, const char* what) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kAnswerWaitMs);
    for (;;) {
        auto nl = buf.find('\n');
        if (nl != std::string::npos) {
            std::string line = buf.substr(0, nl);
            buf.erase(0, nl + 1);
            if (!line.empty() && line.back() == '\r') line.pop_back();
            return line;
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) fail(std::string("no answer from QEMU within 30 s (") + what + ")");
        pollfd p{fd, POLLIN, 0};
        int r = poll(&p, 1, static_cast<int>(left.count()));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) fail("poll failed");
        if (r == 0) continue;
        char chunk[4096];
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n <= 0) fail(std::string("QEMU closed the channel (") + what + ")");
        buf.append(chunk, static_cast<size_t>(n));
    }
}

std::string Machine::command(const std::string& line) {
    std::string msg = line + "\n";
    if (write(qtest_in_, msg.data(), msg.size()) != static_cast<ssize_t>(msg.size())) fail("qtest write failed");
    for (;;) {
        std::string answer = read_line(qtest_out_, qtest_buf_, line.c_str());
        if (answer == "OK") return "";
        if (answer.rfind("OK ", 0) == 0) return answer.substr(3);
        if (answer.rfind("FAIL", 0) == 0 || answer.rfind("ERR", 0) == 0) fail("qtest '" + line + "' -> " + answer);
        // Anything else (IRQ notifications) is not an answer; we intercept no IRQs.
    }
}

uint64_t Machine::value(const std::string& line) {
    std::string v = command(line);
    char* end = nullptr;
    uint64_t n = strtoull(v.c_str(), &end, 0);
    if (end == v.c_str()) fail("qtest '" + line + "' -> not a number: " + v);
    return n;
}

void Machine::qmp_send(const std::string& json) {
    std::string msg = json + "\n";
    if (write(qmp_, msg.data(), msg.size()) != static_cast<ssize_t>(msg.size())) fail("QMP write failed");
}

std::string Machine::qmp_await(const std::string& needle) {
    for (;;) {
        std::string line = read_line(qmp_, qmp_buf_, "QMP");
        if (line.find("\"event\": \"WATCHDOG\"") != std::string::npos) {
            // -action watchdog=debug: anything else means the command line was not ours.
            if (line.find("\"action\": \"debug\"") == std::string::npos) fail("unexpected watchdog action: " + line);
            ++events_;
        }
        if (line.find(needle) != std::string::npos) return line;
        if (line.find("\"error\"") != std::string::npos) fail("QMP error: " + line);
    }
}

unsigned Machine::watchdog_events() {
    // Events and command answers share one ordered stream: once our answer is back,
    // every event QEMU emitted before it has been read.
    std::string id = "sync-" + std::to_string(++sync_id_);
    qmp_send("{\"execute\": \"query-status\", \"id\": \"" + id + "\"}");
    qmp_await("\"id\": \"" + id + "\"");
    return events_;
}

}  // namespace wdboot::qtest
