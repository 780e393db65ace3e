// One idle QEMU q35 machine driven over QEMU's qtest protocol, for tests that run the
// core's watchdog register sequences against QEMU's own device models.
//
// Debian's QEMU 7.2 has no qtest accelerator, so the machine runs under TCG and its
// virtual clock is the host's CLOCK_MONOTONIC plus a constant: time passes in real
// time and the tests bracket every event with host timestamps. The guest CPU runs a
// 64 KiB ROM that only halts, so no firmware touches the devices and the machine
// never reboots on its own; the test plays the firmware's part. Watchdog actions
// (-action watchdog=debug) are observed as QMP WATCHDOG events on a second channel.
// Any protocol failure throws std::runtime_error; the destructor stops QEMU.
#pragma once
#include <stdint.h>
#include <sys/types.h>

#include <string>
#include <vector>

namespace wdboot::qtest {

class Machine {
public:
    // Starts `timeout <limit> qemu <fixed arguments> <extra>` and negotiates QMP.
    // Fixed: -machine q35 -accel tcg -nodefaults -nic none -display none, no serial,
    // parallel or monitor, the halting ROM as -bios, -action watchdog=debug.
    Machine(const std::string& qemu, const std::string& timeout_tool, const std::vector<std::string>& extra);
    ~Machine();
    Machine(const Machine&) = delete;
    Machine& operator=(const Machine&) = delete;

    // The command line QEMU was started with, for the test log.
    const std::string& command_line() const { return command_line_; }

    // Sends one qtest command and returns what follows "OK " in the answer.
    std::string command(const std::string& line);
    // command() for reads: the answer parsed as a number.
    uint64_t value(const std::string& line);

    // WATCHDOG events QEMU has emitted so far, i.e. watchdog actions performed.
    // Synchronous: a QMP round trip, so every event emitted before the answer was
    // written (and so before this returns) is counted.
    unsigned watchdog_events();

private:
    void stop();
    std::string read_line(int fd, std::string& buf, const char* what);
    void qmp_send(const std::string& json);
    std::string qmp_await(const std::string& needle);

    std::string command_line_;
    pid_t pid_ = -1;
    int qtest_in_ = -1;   // we write qtest commands here (QEMU's stdin)
    int qtest_out_ = -1;  // QEMU's answers (its stdout)
    int qmp_ = -1;        // our end of the QMP socket pair
    std::string qtest_buf_;
    std::string qmp_buf_;
    unsigned events_ = 0;
    unsigned sync_id_ = 0;
};

std::string hex(uint64_t v);

}  // namespace wdboot::qtest
