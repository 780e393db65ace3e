// How close to its watchdog's deadline a boot was blessed.
//
// The loader arms the watchdog with `timeout` seconds just before the kernel starts
// (WdbootCurrent's `timeout=`); mark-good's watchdog step is the moment that deadline
// stops mattering. A boot blessed at 55 s of a 60 s timeout came up, but the next one,
// a little slower (a file system check, a cold cache, a slow DHCP), is reset before its
// blessing on every slot: each reset is counted, the slots are exhausted, and the
// machine never stays up. mark-good says so while there is still time to raise it.
//
// Elapsed time is the kernel's CLOCK_BOOTTIME at the watchdog step: the time since the
// kernel's clock started. It is less than the time since the arming by the EFI stub's
// part (decompressing the kernel: tenths of a second on hardware, 4.3 s under QEMU's TCG
// in system.bless), which the quarter left by the 3/4 threshold below has to absorb; with
// `early-timeout` the deadline counts from the driver's probe, later than the kernel's
// start, which errs towards a warning.
#pragma once
#include <stdint.h>

#include <string>

namespace wdboot::agent {

struct BlessingMargin {
    bool known = false;       // a live deadline to compare with (see blessing_margin())
    uint64_t elapsed_ms = 0;  // CLOCK_BOOTTIME at the watchdog step, milliseconds
    uint32_t timeout_s = 0;   // WdbootCurrent's timeout=, seconds
    bool thin = false;        // elapsed beyond kThinMarginPercent of the timeout
};

// A deadline is thin when the watchdog step came after this share of the timeout.
inline constexpr unsigned kThinMarginPercent = 75;

// timeout_s: WdbootCurrent's timeout= (0: unknown or no watchdog armed); elapsed_ms:
// CLOCK_BOOTTIME at the watchdog step, or no value (have_elapsed false). Not known when
// either is missing, or when the elapsed time is past the timeout: the machine is up, so
// the loader's deadline was no longer running (handed over, fed by the kernel's driver,
// or a second mark-good long after the first).
BlessingMargin blessing_margin(uint32_t timeout_s, bool have_elapsed, uint64_t elapsed_ms);

// How much of the timeout the boot used, as mark-good's lines say it: "25.4 s into its 30 s".
std::string blessing_margin_used(const BlessingMargin& m);

// The warning for a thin margin, one line without "wdbootctl: " (empty when not thin).
std::string blessing_margin_warning(const BlessingMargin& m);

}  // namespace wdboot::agent
