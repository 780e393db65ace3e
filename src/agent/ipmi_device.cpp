#include "ipmi_device.hpp"

#include <errno.h>
#include <fcntl.h>
#include <linux/ipmi.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstring>

#include "fd.hpp"

namespace wdboot::agent {

std::vector<std::string> ipmi_device_candidates(const std::string& dev_dir) {
    return {dev_dir + "/ipmi0", dev_dir + "/ipmi/0", dev_dir + "/ipmidev/0"};
}

bool ipmi_device_request(const std::string& path, uint8_t netfn, uint8_t cmd, const std::vector<uint8_t>& data,
                         BmcResponse& out, unsigned timeout_ms, std::string& message) {
    Fd fd(open(path.c_str(), O_RDWR | O_CLOEXEC));
    if (!fd) {
        message = "cannot open " + path + ": " + std::strerror(errno);
        return false;
    }
    // The BMC itself, through the system interface (IPMI_BMC_CHANNEL).
    ipmi_system_interface_addr addr{};
    addr.addr_type = IPMI_SYSTEM_INTERFACE_ADDR_TYPE;
    addr.channel = IPMI_BMC_CHANNEL;
    addr.lun = 0;
    std::vector<uint8_t> body = data;
    ipmi_req req{};
    req.addr = reinterpret_cast<unsigned char*>(&addr);
    req.addr_len = sizeof(addr);
    req.msgid = 1;
    req.msg.netfn = netfn;
    req.msg.cmd = cmd;
    req.msg.data = body.empty() ? nullptr : body.data();
    req.msg.data_len = static_cast<unsigned short>(body.size());
    if (ioctl(fd.get(), IPMICTL_SEND_COMMAND, &req) < 0) {
        message = "IPMICTL_SEND_COMMAND on " + path + " failed: " + std::strerror(errno);
        return false;
    }
    pollfd p{fd.get(), POLLIN, 0};
    int n;
    do {
        n = poll(&p, 1, static_cast<int>(timeout_ms));
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {
        message = n == 0 ? "the BMC did not answer within " + std::to_string(timeout_ms) + " ms"
                         : std::string("poll on ") + path + " failed: " + std::strerror(errno);
        return false;
    }
    uint8_t buf[IPMI_MAX_MSG_LENGTH];
    ipmi_addr raddr{};
    ipmi_recv recv{};
    recv.addr = reinterpret_cast<unsigned char*>(&raddr);
    recv.addr_len = sizeof(raddr);
    recv.msg.data = buf;
    recv.msg.data_len = sizeof(buf);
    if (ioctl(fd.get(), IPMICTL_RECEIVE_MSG_TRUNC, &recv) < 0 && errno != EMSGSIZE) {
        message = "IPMICTL_RECEIVE_MSG_TRUNC on " + path + " failed: " + std::strerror(errno);
        return false;
    }
    if (recv.recv_type != IPMI_RESPONSE_RECV_TYPE || recv.msg.data_len < 1) {
        message = "unexpected message from " + path + " (type " + std::to_string(recv.recv_type) + ")";
        return false;
    }
    out.completion_code = buf[0];
    out.data.assign(buf + 1, buf + recv.msg.data_len);
    return true;
}

}  // namespace wdboot::agent
