#include "watchdog_control.hpp"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>

#include "fd.hpp"
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

}  // namespace

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

void LinuxWatchdogSystem::sleep_ms(unsigned ms) {
    timespec ts{static_cast<time_t>(ms / 1000), static_cast<long>(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

const WatchdogDriverFacts* driver_facts(const std::string& loader_name) {
    return watchdog_driver_named(loader_name.c_str());
}

std::string driver_from_cmdline(const std::string& cmdline) {
    std::string word;
    std::string found;
    auto check = [&] {
        for (const auto& d : kWatchdogDrivers) {
            if (d.kernel_args[0] != '\0' && word == d.kernel_args) found = d.name;
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
    WatchdogInfo dev;
    if (!ensure_device(sys, *facts, cfg, r, dev)) return r;
    r.device = dev.device;
    // systemd opens the device when it appears (RuntimeWatchdogSec=); poll for that.
    const unsigned polls = cfg.watchdog_wait_s * 10;
    for (unsigned i = 0;; ++i) {
        WatchdogInfo now;
        if (find_device(sys, *facts, cfg, now) && now.state == "active") {
            r.state = now.state;
            r.ok = true;
            r.message = "watchdog " + dev.device + " handed over: held open and fed by userspace";
            return r;
        }
        r.state = now.state;
        if (i >= polls) break;
        sys.sleep_ms(100);
    }
    r.message = "nobody opened " + dev.device + " within " + std::to_string(cfg.watchdog_wait_s) +
                " s: set RuntimeWatchdogSec= in /etc/systemd/system.conf (see docs/agent.md)";
    if (facts->module_stops_timer) r.message += std::string("; the ") + facts->name + " is now stopped";
    return r;
}

}  // namespace wdboot::agent
