// Stopping (disarm) or handing over (handover) the hardware watchdog that wdboot armed,
// once the boot is known good. Called by `wdbootctl mark-good` and `wdbootctl disarm`.
//
// The decisions are plain functions over a WatchdogSystem, the agent's view of Linux's
// watchdog devices (sysfs, /dev/watchdogN, modprobe); tests supply a fake.
#pragma once
#include <stdint.h>

#include <string>
#include <vector>

#include "agent_config.hpp"
#include "command_runner.hpp"
#include "wdboot/watchdog_drivers.hpp"

namespace wdboot::agent {

struct WatchdogInfo {
    std::string name;      // watchdog0
    std::string device;    // /dev/watchdog0
    std::string identity;  // the driver's identity, e.g. "i6300ESB timer", "iTCO_wdt"
    std::string state;     // sysfs state: "active" (open by someone), "inactive", "" unknown
    bool nowayout = false;  // sysfs nowayout reads 1: the driver was built or loaded with
                            // nowayout, so the kernel refuses to stop the timer once started
};

class WatchdogSystem {
public:
    virtual ~WatchdogSystem() = default;
    // The registered watchdog devices.
    virtual std::vector<WatchdogInfo> list() = 0;
    // Loads a kernel module. Returns false with a message when it fails.
    virtual bool load_driver(const std::string& module, std::string& message) = 0;
    // Opens the device, writes the magic close character 'V' and closes it: the Linux
    // watchdog core then stops the timer. Returns false with a message when it fails.
    // With nowayout the kernel accepts the write and the close but does not stop the
    // timer ("nowayout prevents watchdog being stopped!", or in older drivers
    // "unexpected close, not stopping watchdog"): no error here; the sysfs state stays
    // "active", which disarm_watchdog() checks afterwards.
    virtual bool magic_close(const std::string& device, std::string& message) = 0;
    // Waits between polls of list().
    virtual void sleep_ms(unsigned ms) = 0;
};

// The real system: /sys/class/watchdog, /dev, and modprobe through a CommandRunner.
class LinuxWatchdogSystem final : public WatchdogSystem {
public:
    LinuxWatchdogSystem(std::string sysfs_dir, std::string dev_dir, CommandRunner& runner)
        : sysfs_dir_(std::move(sysfs_dir)), dev_dir_(std::move(dev_dir)), runner_(runner) {}
    std::vector<WatchdogInfo> list() override;
    bool load_driver(const std::string& module, std::string& message) override;
    bool magic_close(const std::string& device, std::string& message) override;
    void sleep_ms(unsigned ms) override;

private:
    std::string sysfs_dir_;
    std::string dev_dir_;
    CommandRunner& runner_;
};

// The core's facts (include/wdboot/watchdog_drivers.hpp) of a loader watchdog driver
// name, as in WdbootCurrent's watchdog= (any case); nullptr for "none" and for names
// the table does not hold.
const WatchdogDriverFacts* driver_facts(const std::string& loader_name);

// The watchdog wdboot armed for the running kernel, recognised from the kernel command
// line by the arguments the loader appends for it (the core's kWatchdogDrivers); ""
// when none is there. For when
// WdbootCurrent cannot be read (efivarfs missing, EFI runtime services disabled).
std::string driver_from_cmdline(const std::string& cmdline);

struct WatchdogReport {
    bool ok = false;
    std::string device;              // the device acted on, if any
    std::string state;               // sysfs state afterwards
    std::vector<std::string> steps;  // what was done, in order, for the log
    std::string message;             // one-line summary (the error when !ok)
};

// Stops the watchdog that the loader armed (`driver` from WdbootCurrent).
// i6300esb: loads i6300esb.ko if needed (its probe stops the timer), and with
// disarm-method magic-close also does a magic close; other drivers: magic close.
// Verifies afterwards that the device is registered and not held open; a device that
// is still active and reads nowayout 1 is reported as such (it cannot be stopped), not as
// held by another process.
WatchdogReport disarm_watchdog(WatchdogSystem& sys, const std::string& driver, const AgentConfig& cfg);

// Leaves the watchdog to systemd's RuntimeWatchdogSec=. For the i6300esb the driver must
// be loaded for anyone to feed it, and loading it stops the timer: so this loads it and
// then waits (watchdog-wait) until someone (systemd) holds the device open, which starts
// it again. Fails when nobody takes the device within the wait.
WatchdogReport hand_over_watchdog(WatchdogSystem& sys, const std::string& driver, const AgentConfig& cfg);

}  // namespace wdboot::agent
