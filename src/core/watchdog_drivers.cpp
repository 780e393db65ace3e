#include "wdboot/watchdog_drivers.hpp"

#include "wdboot/text.hpp"

namespace wdboot {

const WatchdogDriverFacts* watchdog_driver(WatchdogChoice choice) {
    for (const WatchdogDriverFacts& f : kWatchdogDrivers) {
        if (f.choice == choice) return &f;
    }
    return nullptr;
}

bool may_arm(WatchdogChoice choice, const WatchdogDriverFacts& f) {
    return choice == WatchdogChoice::auto_detect ? f.picked_by_auto : f.choice == choice;
}

const WatchdogDriverFacts* watchdog_driver_named(const char* name) {
    if (name == nullptr) return nullptr;
    for (const WatchdogDriverFacts& f : kWatchdogDrivers) {
        size_t i = 0;
        for (; name[i] != '\0' && f.name[i] != '\0'; ++i) {
            char c = name[i] >= 'A' && name[i] <= 'Z' ? static_cast<char>(name[i] - 'A' + 'a') : name[i];
            if (c != f.name[i]) break;
        }
        if (name[i] == '\0' && f.name[i] == '\0') return &f;
    }
    return nullptr;
}

WatchdogLimits watchdog_limits(WatchdogChoice choice) {
    WatchdogLimits l{kMinTimeoutSeconds, kMaxTimeoutSeconds, nullptr, nullptr, 0};
    for (const WatchdogDriverFacts& f : kWatchdogDrivers) {
        if (!may_arm(choice, f)) continue;
        // Whole seconds inside the driver's range: round the minimum up, the maximum down.
        uint32_t lo = (f.min_timeout_ms + 999) / 1000;
        uint32_t hi = f.max_timeout_ms / 1000;
        if (lo > l.min_timeout_s) {
            l.min_timeout_s = lo;
            l.limiting = &f;
        }
        if (hi < l.max_timeout_s) {
            l.max_timeout_s = hi;
            l.limiting = &f;
        }
        size_t n = text_length(f.kernel_args);
        if (n > l.args_length) {
            l.args_length = n;
            l.longest_args = f.kernel_args;
        }
        // With early-timeout such a driver gets watchdog.open_timeout=TIMEOUT instead
        // (timeout at most 4 digits).
        const size_t handoff = sizeof(kOpenTimeoutArg) - 1 + 4;
        if (f.open_timeout_handoff && handoff > l.args_length) {
            l.args_length = handoff;
            l.longest_args = "watchdog.open_timeout=TIMEOUT";
        }
    }
    return l;
}

WatchdogPlan plan_watchdog(const Config& cfg, const WatchdogDriverFacts* driver) {
    WatchdogPlan p{cfg.timeout_s, false, {}};
    if (driver == nullptr) return p;
    TextBuffer<sizeof(p.kernel_args)> args;
    if (cfg.early_timeout_s != kEarlyTimeoutOff && driver->open_timeout_handoff &&
        cfg.early_timeout_s < cfg.timeout_s) {
        p.arm_s = cfg.early_timeout_s;
        p.two_deadlines = true;
        args.appendf("%s%u", kOpenTimeoutArg, cfg.timeout_s);
    } else {
        args.append(driver->kernel_args);
    }
    (void)text_copy(p.kernel_args, sizeof(p.kernel_args), args.c_str());
    return p;
}

}  // namespace wdboot
