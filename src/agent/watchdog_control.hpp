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
#include "ipmi_device.hpp"
#include "wdboot/ipmi_watchdog.hpp"
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

// What PID 1 says about its hardware watchdog (`systemctl show`): the device it uses
// (WatchdogDevice, empty when it was never set) and RuntimeWatchdogUSec as printed.
struct ServiceManagerWatchdog {
    std::string device;
    std::string runtime;
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
    // One request to the BMC (IPMI over /dev/ipmi0, loading ipmi_si and ipmi_devintf
    // first when no device node exists). false with a message when the BMC cannot be
    // reached or does not answer; the completion code is the caller's to judge.
    virtual bool bmc_request(uint8_t netfn, uint8_t cmd, const std::vector<uint8_t>& data, BmcResponse& out,
                             std::string& message) = 0;
    // Where the device nodes are (/dev).
    virtual std::string device_dir() const = 0;

    // The service manager's side of a handover (systemd 252, src/shared/watchdog.c and
    // src/core/main.c): PID 1 reads RuntimeWatchdogSec= at start, re-execution and
    // daemon-reload, but WatchdogDevice= only at start and re-execution; once
    // RuntimeWatchdogSec= is set it retries opening a device it could not open at every
    // pass of its main loop.
    //
    // Replaces the runtime drop-in (/run/systemd/system.conf.d/wdboot-watchdog.conf)
    // with `text`. Returns false with a message when it cannot be written.
    virtual bool write_service_manager_config(const std::string& text, std::string& message) = 0;
    // `systemctl daemon-reexec`: PID 1 applies the drop-in, WatchdogDevice= included.
    virtual bool reexec_service_manager(std::string& message) = 0;
    // `systemctl daemon-reload`: PID 1 applies the drop-in's RuntimeWatchdogSec= but
    // keeps its device. Cheaper than a re-execution.
    virtual bool reload_service_manager(std::string& message) = 0;
    // `systemctl show -p WatchdogDevice -p RuntimeWatchdogUSec`. Being a D-Bus call it
    // also wakes PID 1's main loop, which is where it opens a device that appeared
    // since its last pass. Returns false when systemd cannot be asked.
    virtual bool query_service_manager(ServiceManagerWatchdog& out, std::string& message) = 0;
};

// Where the handover's drop-in goes: under /run, so that it lasts for this boot only.
// The next boot is not fed by systemd before the agent has blessed it.
inline constexpr char kServiceManagerDropIn[] = "/run/systemd/system.conf.d/wdboot-watchdog.conf";

// The real system: /sys/class/watchdog, /dev, and modprobe through a CommandRunner.
class LinuxWatchdogSystem final : public WatchdogSystem {
public:
    LinuxWatchdogSystem(std::string sysfs_dir, std::string dev_dir, std::string drop_in, CommandRunner& runner)
        : sysfs_dir_(std::move(sysfs_dir)), dev_dir_(std::move(dev_dir)), drop_in_(std::move(drop_in)),
          runner_(runner) {}
    std::vector<WatchdogInfo> list() override;
    bool load_driver(const std::string& module, std::string& message) override;
    bool magic_close(const std::string& device, std::string& message) override;
    void sleep_ms(unsigned ms) override;
    bool bmc_request(uint8_t netfn, uint8_t cmd, const std::vector<uint8_t>& data, BmcResponse& out,
                     std::string& message) override;
    std::string device_dir() const override { return dev_dir_; }
    bool write_service_manager_config(const std::string& text, std::string& message) override;
    bool reexec_service_manager(std::string& message) override;
    bool reload_service_manager(std::string& message) override;
    bool query_service_manager(ServiceManagerWatchdog& out, std::string& message) override;

private:
    std::string sysfs_dir_;
    std::string dev_dir_;
    std::string drop_in_;
    CommandRunner& runner_;
};

// The core's facts (include/wdboot/watchdog_drivers.hpp) of a loader watchdog driver
// name, as in WdbootCurrent's watchdog= (any case); nullptr for "none" and for names
// the table does not hold.
const WatchdogDriverFacts* driver_facts(const std::string& loader_name);

// Get Watchdog Timer through the BMC (WatchdogSystem::bmc_request): false with `why`
// ("cannot reach the BMC: ...", or the completion code) when it cannot be told. Used by
// the IPMI disarm and by `status`.
bool read_bmc_timer(WatchdogSystem& sys, ipmi::TimerState& t, std::string& why);

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

// The drop-in that hands `device` to systemd with RuntimeWatchdogSec=runtime_s.
std::string service_manager_drop_in(const std::string& device, uint32_t runtime_s);

// The device node the kernel will give the next watchdog to register: the lowest
// watchdogN not taken (the watchdog core allocates ids with ida_alloc from 0).
std::string next_watchdog_device(const std::vector<WatchdogInfo>& devices, const std::string& dev_dir);

// Leaves the watchdog to systemd (RuntimeWatchdogSec= from runtime-watchdog,
// WatchdogDevice= naming the device wdboot armed). The device is not there yet for
// drivers the loader blacklisted, and the i6300esb's probe stops the timer, so the
// order keeps the time without a running timer short:
//   1. write the drop-in naming the device the driver will register (the next free
//      watchdogN, or watchdog-device), then make PID 1 apply it: `systemctl
//      daemon-reload` when its device is that one already (its default, /dev/watchdog0,
//      or an earlier re-execution), else `systemctl daemon-reexec`. PID 1 now retries
//      opening the device at every pass of its main loop. Both wait until PID 1 is
//      done, seconds under TCG, while wdboot's timer still runs;
//   2. load the driver (the i6300esb stops here; the iTCO can no longer reset the
//      machine: its probe sets NO_REBOOT);
//   3. wake PID 1 with a D-Bus call, once a second, until the sysfs state is "active";
//   4. verify with systemd that its WatchdogDevice is this device.
// If the device registered under another name than predicted, the drop-in is
// rewritten and systemd re-executed again. Fails when systemd has not taken the
// device within watchdog-wait seconds, or another process holds it.
WatchdogReport hand_over_watchdog(WatchdogSystem& sys, const std::string& driver, const AgentConfig& cfg);

}  // namespace wdboot::agent
