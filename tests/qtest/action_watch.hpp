// Timing assertions about watchdog actions, in host time.
//
// Under TCG, QEMU's virtual clock is the host's CLOCK_MONOTONIC (steady_clock) plus
// a constant, and a QEMU timer never runs before its deadline. So if the timer was
// started after host time `begun`, an action observed at host time `seen` (when the
// answer that showed it arrived) proves the deadline was <= seen - begun after the
// start. "Not before the timeout" is therefore checked exactly, with no margin, and
// a loaded host can only make `seen` later, never fail a correct driver. Only the
// upper bound, which catches a watchdog that never fires, needs slack for load.
#pragma once
#include <stdint.h>

#include <chrono>
#include <functional>

#include "check_log.hpp"
#include "qtest_machine.hpp"

namespace wdboot::qtest {

using Clock = std::chrono::steady_clock;

// How late after its deadline a firing may be observed on a loaded host before the
// watchdog counts as not firing. Only ever waited out when a check fails.
inline constexpr std::chrono::milliseconds kLateSlack{3000};
// How long past the deadline a stopped watchdog is watched to show it stays quiet.
// A broken disarm fires at the deadline, well inside this window.
inline constexpr std::chrono::milliseconds kQuietWindow{1000};

inline double ms_between(Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration<double, std::milli>(to - from).count();
}

// The timer was (re)started by a call made between `begun` and `done`. Expects
// exactly one watchdog action, not before begun + timeout_ms and observed no later
// than done + timeout_ms + resolution + kLateSlack. `meanwhile`, if given, runs on
// every poll (a call that must not feed the watchdog). Returns when it was seen.
Clock::time_point expect_action(Check& c, Machine& m, unsigned events_before, Clock::time_point begun,
                                Clock::time_point done, uint32_t timeout_ms, std::chrono::nanoseconds resolution,
                                const char* what, const std::function<void()>& meanwhile = {});

// Expects no watchdog action from now until `until`.
void expect_no_action(Check& c, Machine& m, unsigned events_before, Clock::time_point until, const char* what);

void sleep_until(Clock::time_point t);

// Polls `ready` every few milliseconds until it holds or `until` passes; returns
// the host time at which it was seen to hold, or Clock::time_point{} if it never did.
template <class Ready>
Clock::time_point poll_until(Clock::time_point until, Ready ready) {
    for (;;) {
        bool ok = ready();
        Clock::time_point t = Clock::now();
        if (ok) return t;
        if (t >= until) return {};
        sleep_until(t + std::chrono::milliseconds(5));
    }
}

}  // namespace wdboot::qtest
