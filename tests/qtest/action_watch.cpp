// Waiting for, and timing, watchdog actions seen as QMP events.
#include "action_watch.hpp"

#include <thread>

namespace wdboot::qtest {

void sleep_until(Clock::time_point t) { std::this_thread::sleep_until(t); }

Clock::time_point expect_action(Check& c, Machine& m, unsigned events_before, Clock::time_point begun,
                                Clock::time_point done, uint32_t timeout_ms, std::chrono::nanoseconds resolution,
                                const char* what, const std::function<void()>& meanwhile) {
    auto timeout = std::chrono::milliseconds(timeout_ms);
    auto latest = done + timeout + resolution + kLateSlack;
    unsigned events = events_before;
    Clock::time_point seen = poll_until(latest, [&] {
        events = m.watchdog_events();
        if (events == events_before && meanwhile) meanwhile();
        return events != events_before;
    });
    if (seen == Clock::time_point{}) {
        c.note("%s: no watchdog action within %.0f ms", what, ms_between(begun, latest));
        EXPECT(c, !"the watchdog fired");
        return seen;
    }
    c.note("%s: action seen %.1f ms after the call (not allowed before %u ms)", what, ms_between(begun, seen),
           timeout_ms);
    EXPECT(c, seen >= begun + timeout);
    EXPECT(c, events == events_before + 1);
    return seen;
}

void expect_no_action(Check& c, Machine& m, unsigned events_before, Clock::time_point until, const char* what) {
    unsigned events = events_before;
    Clock::time_point seen = poll_until(until, [&] {
        events = m.watchdog_events();
        return events != events_before;
    });
    c.note("%s: %s", what, seen == Clock::time_point{} ? "no watchdog action" : "watchdog action");
    EXPECT(c, seen == Clock::time_point{});
}

}  // namespace wdboot::qtest
