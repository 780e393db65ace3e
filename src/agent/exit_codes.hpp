// wdbootctl's exit codes. They are part of its interface (scripts and systemd units
// test them): documented in docs/agent.md and wdbootctl(8); never renumber.
#pragma once

namespace wdboot::agent {

enum class Exit : int {
    ok = 0,
    failure = 1,             // unexpected failure not covered below
    usage = 2,               // bad arguments, unknown slot name, bad --tries
    no_efivarfs = 3,         // efivarfs directory missing (not UEFI, or not mounted)
    efivarfs_read_only = 4,  // efivarfs mounted read-only
    not_wdboot = 5,          // no (valid) WdbootCurrent: this boot was not started by wdboot
    not_root = 6,            // a writing command run without root privileges
    state_locked = 7,        // no writable record: newer major version, or no valid copy
    io_error = 8,            // reading or writing a variable failed
    refused = 9,             // the policy refused (e.g. this boot is not the attempt in progress)
    watchdog = 10,           // state updated, but the watchdog could not be disarmed / handed over
    health_failed = 11,      // a health check failed or timed out
    config = 12,             // agent.conf or wdboot.conf unusable
    install = 13,            // install/uninstall/add-slot/remove-slot failed (files, efibootmgr)
    health_refused = 14,     // the checks that ran passed, but unsafe ones (owner/mode) were not run
    busy = 15,               // another wdbootctl held the state lock for longer than the wait
};

inline int code(Exit e) { return static_cast<int>(e); }

}  // namespace wdboot::agent
