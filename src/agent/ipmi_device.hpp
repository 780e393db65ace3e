// One request to the BMC through Linux's IPMI device interface (drivers/char/ipmi/
// ipmi_devintf.c: /dev/ipmi0, include/uapi/linux/ipmi.h): IPMICTL_SEND_COMMAND to the
// system interface, then IPMICTL_RECEIVE_MSG_TRUNC for the response. The agent uses it
// to stop the IPMI BMC watchdog wdboot armed (watchdog_control.cpp, AgentDisarm::
// bmc_command): Linux's ipmi_watchdog is a misc device outside the watchdog core, so
// neither magic close on /dev/watchdogN nor systemd can reach that timer.
#pragma once
#include <stdint.h>

#include <string>
#include <vector>

namespace wdboot::agent {

struct BmcResponse {
    uint8_t completion_code = 0xFF;
    std::vector<uint8_t> data;  // after the completion code
};

// Sends netfn/cmd/data over the open device `path` and waits up to timeout_ms for the
// response. false with a message naming the step (open, send, poll, receive) on failure.
bool ipmi_device_request(const std::string& path, uint8_t netfn, uint8_t cmd, const std::vector<uint8_t>& data,
                         BmcResponse& out, unsigned timeout_ms, std::string& message);

// The device nodes ipmi_devintf creates, in the order tried (/dev/ipmi0 from devtmpfs,
// /dev/ipmi/0 and /dev/ipmidev/0 from older udev rules).
std::vector<std::string> ipmi_device_candidates(const std::string& dev_dir);

}  // namespace wdboot::agent
