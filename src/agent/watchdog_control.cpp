#include "watchdog_control.hpp"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>
#include <sstream>

#include "fd.hpp"
#include "wdboot/ipmi_watchdog.hpp"
#include "wdboot/watchdog_drivers.hpp"

namespace wdboot::agent {
namespace {

std::string read_line(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    return line;
}

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// The device to act on: the configured path, else the one whose identity names the driver.
bool find_device(WatchdogSystem& sys, const WatchdogDriverFacts& facts, const AgentConfig& cfg, WatchdogInfo& out) {
    for (const auto& w : sys.list()) {
        bool match = cfg.watchdog_device != "auto" ? w.device == cfg.watchdog_device
                                                   : lower(w.identity).find(facts.linux_identity) != std::string::npos;
        if (match) {
            out = w;
            return true;
        }
    }
    return false;
}

// Polls for the device for up to watchdog-wait seconds (udev and the driver's probe
// run asynchronously after modprobe returns).
bool wait_for_device(WatchdogSystem& sys, const WatchdogDriverFacts& facts, const AgentConfig& cfg, WatchdogInfo& out) {
    const unsigned polls = cfg.watchdog_wait_s * 10;
    for (unsigned i = 0;; ++i) {
        if (find_device(sys, facts, cfg, out)) return true;
        if (i >= polls) return false;
        sys.sleep_ms(100);
    }
}

// Ensures the driver is loaded and the device registered; records the steps.
bool ensure_device(WatchdogSystem& sys, const WatchdogDriverFacts& facts, const AgentConfig& cfg, WatchdogReport& r,
                   WatchdogInfo& dev) {
    if (find_device(sys, facts, cfg, dev)) {
        r.steps.push_back("found " + dev.device + " (" + dev.identity + ")");
        return true;
    }
    std::string msg;
    r.steps.push_back(std::string("modprobe ") + facts.linux_module);
    if (!sys.load_driver(facts.linux_module, msg)) {
        r.message = std::string("cannot load ") + facts.linux_module + ": " + msg;
        return false;
    }
    if (!wait_for_device(sys, facts, cfg, dev)) {
        r.message = std::string("loaded ") + facts.linux_module + " but no watchdog device for it appeared within " +
                    std::to_string(cfg.watchdog_wait_s) + " s";
        return false;
    }
    r.steps.push_back("found " + dev.device + " (" + dev.identity + ")");
    return true;
}

bool bmc_timer(WatchdogSystem& sys, ipmi::TimerState& t, WatchdogReport& r) {
    return read_bmc_timer(sys, t, r.message);
}

// AgentDisarm::bmc_command: Set Watchdog Timer with don't-stop clear and action none
// (the same request as the loader's ipmi::disarm), keeping the timer use, logging,
// pre-timeout and initial countdown; then Get must say stopped.
WatchdogReport disarm_bmc(WatchdogSystem& sys) {
    WatchdogReport r;
    r.device = "BMC";
    ipmi::TimerState t{};
    r.steps.push_back("Get Watchdog Timer");
    if (!bmc_timer(sys, t, r)) return r;
    if (!t.running()) {
        r.ok = true;
        r.state = "inactive";
        r.message = "the BMC watchdog is not running: nothing to stop";
        return r;
    }
    const std::vector<uint8_t> set = {static_cast<uint8_t>(t.use & (ipmi::kUseDontLog | ipmi::kUseMask)),
                                      ipmi::kActionNone,
                                      t.pretimeout_s,
                                      0,  // expiration flags: left for the loader to read
                                      static_cast<uint8_t>(t.initial & 0xFF),
                                      static_cast<uint8_t>(t.initial >> 8)};
    BmcResponse rsp;
    std::string msg;
    r.steps.push_back("Set Watchdog Timer (stop, action none)");
    if (!sys.bmc_request(ipmi::kNetfnApp, ipmi::kCmdSetWatchdog, set, rsp, msg)) {
        r.message = "cannot reach the BMC: " + msg;
        return r;
    }
    if (rsp.completion_code != ipmi::kCcOk) {
        r.message = "the BMC refused Set Watchdog Timer (completion code " + std::to_string(rsp.completion_code) + ")";
        return r;
    }
    ipmi::TimerState after{};
    if (!bmc_timer(sys, after, r)) return r;
    if (after.running()) {
        r.state = "active";
        r.message = "the BMC watchdog still runs after Set Watchdog Timer (" + std::to_string(after.present) +
                    " x 100 ms left): not stopped";
        return r;
    }
    r.ok = true;
    r.state = "inactive";
    r.message = "BMC watchdog stopped (Set Watchdog Timer through the IPMI device)";
    return r;
}

}  // namespace

bool read_bmc_timer(WatchdogSystem& sys, ipmi::TimerState& t, std::string& why) {
    BmcResponse rsp;
    std::string msg;
    if (!sys.bmc_request(ipmi::kNetfnApp, ipmi::kCmdGetWatchdog, {}, rsp, msg)) {
        why = "cannot reach the BMC: " + msg;
        return false;
    }
    if (rsp.completion_code != ipmi::kCcOk ||
        ipmi::parse_timer_state(rsp.data.data(), rsp.data.size(), t) != Status::ok) {
        why = "the BMC refused Get Watchdog Timer (completion code " + std::to_string(rsp.completion_code) + ", " +
              std::to_string(rsp.data.size()) + " bytes)";
        return false;
    }
    return true;
}

std::vector<WatchdogInfo> LinuxWatchdogSystem::list() {
    std::vector<WatchdogInfo> out;
    DIR* d = opendir(sysfs_dir_.c_str());
    if (d == nullptr) return out;
    while (dirent* e = readdir(d)) {
        std::string name = e->d_name;
        if (name.rfind("watchdog", 0) != 0) continue;
        WatchdogInfo w;
        w.name = name;
        w.device = dev_dir_ + "/" + name;
        w.identity = read_line(sysfs_dir_ + "/" + name + "/identity");
        w.state = read_line(sysfs_dir_ + "/" + name + "/state");
        w.nowayout = read_line(sysfs_dir_ + "/" + name + "/nowayout") == "1";
        out.push_back(w);
    }
    closedir(d);
    std::sort(out.begin(), out.end(), [](const WatchdogInfo& a, const WatchdogInfo& b) {
        return a.name.size() != b.name.size() ? a.name.size() < b.name.size() : a.name < b.name;
    });
    return out;
}

bool LinuxWatchdogSystem::load_driver(const std::string& module, std::string& message) {
    CommandResult r = runner_.run({"modprobe", module});
    message = r.output;
    while (!message.empty() && std::isspace(static_cast<unsigned char>(message.back()))) message.pop_back();
    if (r.exit_code != 0 && message.empty()) message = "modprobe exited with " + std::to_string(r.exit_code);
    return r.exit_code == 0;
}

bool LinuxWatchdogSystem::magic_close(const std::string& device, std::string& message) {
    Fd fd(open(device.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY));
    if (!fd) {
        message = "cannot open " + device + ": " + std::strerror(errno);
        if (errno == EBUSY) message += " (another process, e.g. systemd with RuntimeWatchdogSec=, holds it)";
        return false;
    }
    if (::write(fd.get(), "V", 1) != 1) {
        message = "cannot write the magic close character to " + device + ": " + std::strerror(errno);
        return false;
    }
    if (fd.reset() != 0) {
        message = "closing " + device + " failed: " + std::strerror(errno);
        return false;
    }
    return true;
}

bool LinuxWatchdogSystem::bmc_request(uint8_t netfn, uint8_t cmd, const std::vector<uint8_t>& data,
                                      BmcResponse& out, std::string& message) {
    auto existing = [&]() -> std::string {
        for (const std::string& p : ipmi_device_candidates(dev_dir_)) {
            if (access(p.c_str(), F_OK) == 0) return p;
        }
        return "";
    };
    std::string path = existing();
    if (path.empty()) {
        // The system interface driver and the device interface: neither stops the timer
        // (ipmi_watchdog would, and is not needed).
        for (const char* m : {"ipmi_si", "ipmi_devintf"}) {
            std::string msg;
            if (!load_driver(m, msg)) {
                message = std::string("no ") + dev_dir_ + "/ipmi0 and modprobe " + m + " failed: " + msg;
                return false;
            }
        }
        // ipmi_si finds and registers the BMC asynchronously: up to 10 s.
        for (unsigned i = 0; i < 100 && (path = existing()).empty(); ++i) sleep_ms(100);
        if (path.empty()) {
            message = "no IPMI device node (" + dev_dir_ + "/ipmi0) appeared after loading ipmi_si and ipmi_devintf";
            return false;
        }
    }
    return ipmi_device_request(path, netfn, cmd, data, out, 5000, message);
}

void LinuxWatchdogSystem::sleep_ms(unsigned ms) {
    timespec ts{static_cast<time_t>(ms / 1000), static_cast<long>(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

bool LinuxWatchdogSystem::write_service_manager_config(const std::string& text, std::string& message) {
    const size_t slash = drop_in_.rfind('/');
    const std::string dir = drop_in_.substr(0, slash);
    // /run/systemd exists under systemd; only the drop-in folder may be missing.
    if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
        message = "cannot create " + dir + ": " + std::strerror(errno);
        return false;
    }
    const std::string tmp = drop_in_ + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << text;
        out.close();
        if (!out) {
            message = "cannot write " + tmp;
            ::unlink(tmp.c_str());
            return false;
        }
    }
    if (::rename(tmp.c_str(), drop_in_.c_str()) != 0) {
        message = "cannot rename " + tmp + " to " + drop_in_ + ": " + std::strerror(errno);
        ::unlink(tmp.c_str());
        return false;
    }
    return true;
}

bool LinuxWatchdogSystem::reexec_service_manager(std::string& message) {
    CommandResult r = runner_.run({"systemctl", "daemon-reexec"});
    if (r.exit_code == 0) return true;
    message = "systemctl daemon-reexec exited with " + std::to_string(r.exit_code) + ": " + r.output;
    while (!message.empty() && std::isspace(static_cast<unsigned char>(message.back()))) message.pop_back();
    return false;
}

bool LinuxWatchdogSystem::reload_service_manager(std::string& message) {
    CommandResult r = runner_.run({"systemctl", "daemon-reload"});
    if (r.exit_code == 0) return true;
    message = "systemctl daemon-reload exited with " + std::to_string(r.exit_code) + ": " + r.output;
    while (!message.empty() && std::isspace(static_cast<unsigned char>(message.back()))) message.pop_back();
    return false;
}

bool LinuxWatchdogSystem::query_service_manager(ServiceManagerWatchdog& out, std::string& message) {
    CommandResult r = runner_.run({"systemctl", "show", "-p", "WatchdogDevice", "-p", "RuntimeWatchdogUSec"});
    if (r.exit_code != 0) {
        message = "systemctl show exited with " + std::to_string(r.exit_code) + ": " + r.output;
        return false;
    }
    out = ServiceManagerWatchdog{};
    std::string line;
    std::istringstream in(r.output);
    while (std::getline(in, line)) {
        if (line.rfind("WatchdogDevice=", 0) == 0) out.device = line.substr(15);
        else if (line.rfind("RuntimeWatchdogUSec=", 0) == 0) out.runtime = line.substr(20);
    }
    return true;
}

const WatchdogDriverFacts* driver_facts(const std::string& loader_name) {
    return watchdog_driver_named(loader_name.c_str());
}

std::string driver_from_cmdline(const std::string& cmdline) {
    std::string word;
    std::string found;
    // The first driver with these arguments: drivers that share them (itco, itco-pch: one
    // Linux module) resolve to the table's first, whose facts are the same.
    auto check = [&] {
        for (const auto& d : kWatchdogDrivers) {
            if (d.kernel_args[0] != '\0' && word == d.kernel_args) {
                found = d.name;
                break;
            }
        }
        word.clear();
    };
    for (char c : cmdline) {
        if (std::isspace(static_cast<unsigned char>(c))) check();
        else word += c;
    }
    check();
    return found;
}

WatchdogReport disarm_watchdog(WatchdogSystem& sys, const std::string& driver, const AgentConfig& cfg) {
    WatchdogReport r;
    if (lower(driver) == "none" || driver.empty()) {
        r.ok = true;
        r.message = "wdboot armed no hardware watchdog: nothing to disarm";
        return r;
    }
    const WatchdogDriverFacts* facts = driver_facts(driver);
    if (facts == nullptr) {
        r.message = "unknown watchdog driver \"" + driver + "\" in WdbootCurrent";
        return r;
    }
    if (facts->disarm == AgentDisarm::bmc_command) {
        // Only the BMC itself can stop it: no /dev/watchdogN belongs to this timer, and
        // loading ipmi_watchdog would stop it unverified.
        WatchdogReport b = disarm_bmc(sys);
        if (cfg.disarm_method != DisarmMethod::automatic)
            b.steps.insert(b.steps.begin(), "disarm-method ignored: the IPMI watchdog is stopped through the BMC");
        return b;
    }
    DisarmMethod method = cfg.disarm_method;
    if (method == DisarmMethod::automatic)
        method = facts->disarm == AgentDisarm::load_driver ? DisarmMethod::driver : DisarmMethod::magic_close;
    if (method == DisarmMethod::driver && !facts->module_stops_timer) {
        r.message = std::string("disarm-method driver cannot stop ") + facts->linux_module +
                    ": loading it does not stop the timer; use magic-close";
        return r;
    }

    WatchdogInfo dev;
    if (!ensure_device(sys, *facts, cfg, r, dev)) return r;
    r.device = dev.device;
    if (method == DisarmMethod::magic_close) {
        std::string msg;
        r.steps.push_back("magic close of " + dev.device);
        if (!sys.magic_close(dev.device, msg)) {
            r.message = msg;
            return r;
        }
    }
    // Verify: the device is still registered and nobody holds it open. An "active"
    // device is being fed by someone else and will keep the timer running.
    WatchdogInfo after;
    if (!find_device(sys, *facts, cfg, after)) {
        r.message = dev.device + " disappeared while disarming";
        return r;
    }
    r.state = after.state;
    if (after.state == "active" && after.nowayout) {
        // The kernel took the magic close and ignored it: with nowayout, the watchdog
        // core refuses every stop. Nobody else holds the device (then the open would
        // have failed with EBUSY), and waiting or retrying cannot help.
        r.message = dev.device + " (" + dev.identity +
                    ") keeps running: its driver was built or loaded with nowayout, so it cannot be stopped "
                    "(load it with nowayout=0, or use watchdog-mode handover)";
        return r;
    }
    if (after.state == "active") {
        r.message = dev.device + " is still active (held open by another process): not stopped";
        return r;
    }
    if (after.state.empty()) {
        r.message = "cannot read the state of " + dev.device + " (no sysfs state attribute): not verified";
        return r;
    }
    r.ok = true;
    r.message = "watchdog " + dev.device + " (" + dev.identity + ") stopped";
    return r;
}

std::string service_manager_drop_in(const std::string& device, uint32_t runtime_s) {
    return "# Written by `wdbootctl mark-good` (agent.conf: watchdog-mode = handover) when it\n"
           "# blessed this boot: systemd feeds the hardware watchdog wdboot armed. Lasts for\n"
           "# this boot only; settings: runtime-watchdog and watchdog-device in agent.conf.\n"
           "[Manager]\n"
           "WatchdogDevice=" +
           device + "\nRuntimeWatchdogSec=" + std::to_string(runtime_s) + "s\n";
}

std::string next_watchdog_device(const std::vector<WatchdogInfo>& devices, const std::string& dev_dir) {
    for (unsigned n = 0;; ++n) {
        const std::string name = "watchdog" + std::to_string(n);
        bool taken = false;
        for (const auto& w : devices) taken = taken || w.name == name;
        if (!taken) return dev_dir + "/" + name;
    }
}

namespace {

// Whether PID 1 already uses `device` (a reload then applies RuntimeWatchdogSec=): its
// WatchdogDevice, or with none set its default, /dev/watchdog0 (systemd 252 tries it and
// then /dev/watchdog, the same device).
bool service_manager_uses(const ServiceManagerWatchdog& sm, const std::string& device) {
    if (sm.device == device) return true;
    return sm.device.empty() && device.size() > 10 && device.compare(device.size() - 10, 10, "/watchdog0") == 0;
}

// Tells systemd which device to feed: the drop-in, then a reload when its device is
// right already, else a re-execution (the only way systemd 252 applies WatchdogDevice=
// without a reboot). A failure is noted in the steps and not fatal: systemd may already
// be set up by the administrator; whether it takes the device is what decides.
void point_service_manager_at(WatchdogSystem& sys, const std::string& device, const AgentConfig& cfg,
                              WatchdogReport& r) {
    std::string msg;
    if (sys.write_service_manager_config(service_manager_drop_in(device, cfg.runtime_watchdog_s), msg))
        r.steps.push_back(std::string("wrote ") + kServiceManagerDropIn + " (WatchdogDevice=" + device +
                          ", RuntimeWatchdogSec=" + std::to_string(cfg.runtime_watchdog_s) + "s)");
    else
        r.steps.push_back("warning: " + msg);
    ServiceManagerWatchdog sm;
    if (sys.query_service_manager(sm, msg) && service_manager_uses(sm, device)) {
        if (sys.reload_service_manager(msg)) r.steps.push_back("systemctl daemon-reload");
        else r.steps.push_back("warning: " + msg);
        return;
    }
    if (sys.reexec_service_manager(msg)) r.steps.push_back("systemctl daemon-reexec");
    else r.steps.push_back("warning: " + msg);
}

}  // namespace

WatchdogReport hand_over_watchdog(WatchdogSystem& sys, const std::string& driver, const AgentConfig& cfg) {
    WatchdogReport r;
    if (lower(driver) == "none" || driver.empty()) {
        r.ok = true;
        r.message = "wdboot armed no hardware watchdog: nothing to hand over";
        return r;
    }
    const WatchdogDriverFacts* facts = driver_facts(driver);
    if (facts == nullptr) {
        r.message = "unknown watchdog driver \"" + driver + "\" in WdbootCurrent";
        return r;
    }
    if (facts->disarm == AgentDisarm::bmc_command) {
        // systemd feeds /dev/watchdogN devices of the watchdog core; Linux's ipmi_watchdog
        // is not one. The timer is stopped instead, so the boot is still blessed.
        WatchdogReport b = disarm_watchdog(sys, driver, cfg);
        b.steps.insert(b.steps.begin(), std::string("handover impossible for ") + facts->name +
                                            " (no watchdog-core device systemd could feed): stopping it instead");
        return b;
    }
    std::string msg;
    ServiceManagerWatchdog sm;
    WatchdogInfo dev;
    const bool present = find_device(sys, *facts, cfg, dev);
    if (present) {
        r.steps.push_back("found " + dev.device + " (" + dev.identity + ")");
        if (dev.state == "active") {
            // Held already: by systemd after an earlier mark-good (then nothing to do),
            // or by someone else, who would keep systemd from taking it.
            r.device = dev.device;
            r.state = dev.state;
            if (sys.query_service_manager(sm, msg) && sm.device == dev.device) {
                r.ok = true;
                r.message = "watchdog " + dev.device + " (" + dev.identity + ") already handed over to systemd " +
                            "(RuntimeWatchdogUSec=" + sm.runtime + ")";
            } else {
                r.message = dev.device + " is held open by a process other than systemd (systemd's WatchdogDevice: \"" +
                            sm.device + "\"): not handed over";
            }
            return r;
        }
    }
    const std::string target = present                          ? dev.device
                               : cfg.watchdog_device != "auto" ? cfg.watchdog_device
                                                               : next_watchdog_device(sys.list(), sys.device_dir());
    point_service_manager_at(sys, target, cfg, r);
    if (!present && !ensure_device(sys, *facts, cfg, r, dev)) return r;
    r.device = dev.device;
    if (dev.device != target) {
        r.steps.push_back(dev.device + " registered, not the expected " + target + ": systemd is pointed at it again");
        point_service_manager_at(sys, dev.device, cfg, r);
    }
    // Wake PID 1 now and then once a second: it opens the device on its next pass.
    const unsigned polls = cfg.watchdog_wait_s * 10;
    for (unsigned i = 0;; ++i) {
        if (i % 10 == 0) (void)sys.query_service_manager(sm, msg);
        WatchdogInfo now;
        if (find_device(sys, *facts, cfg, now) && now.state == "active") {
            r.state = now.state;
            if (!sys.query_service_manager(sm, msg)) {
                r.message = dev.device + " is held open, but systemd cannot be asked whether it is the holder: " + msg;
                return r;
            }
            if (sm.device != dev.device) {
                r.message = dev.device + " is held open by a process other than systemd (systemd's WatchdogDevice: \"" +
                            sm.device + "\"): not handed over";
                return r;
            }
            r.steps.push_back("systemd holds " + dev.device + " (RuntimeWatchdogUSec=" + sm.runtime + ")");
            r.ok = true;
            r.message = "watchdog " + dev.device + " (" + dev.identity + ") handed over to systemd (RuntimeWatchdogSec=" +
                        std::to_string(cfg.runtime_watchdog_s) + "s)";
            return r;
        }
        r.state = now.state;
        if (i >= polls) break;
        sys.sleep_ms(100);
    }
    r.message = "systemd did not open " + dev.device + " within " + std::to_string(cfg.watchdog_wait_s) + " s (" +
                kServiceManagerDropIn + " or a later drop-in in /etc/systemd/system.conf.d; see docs/agent.md)";
    if (facts->module_stops_timer) r.message += std::string("; the ") + facts->name + " is now stopped";
    return r;
}

}  // namespace wdboot::agent
