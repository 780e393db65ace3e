"""Scenario 6a: every slot exhausted with on-exhausted last-good: wdboot boots the slot
that was last blessed, ignoring its counters, with the watchdog still armed."""
from wdqemu import guest
from wdqemu.scenario import Slot, config

NAME = "exhausted_last_good"
TIMEOUT = 300
SUMMARY = "all slots exhausted: on-exhausted last-good boots the last blessed slot"


def run(ctx):
    ctx.make_disk(config([Slot("primary", action="dump,bless,poweroff"), Slot("fallback")]))
    with ctx.vm(60) as v:
        v.wait_for(r"WDTEST: powering off", 55)
        v.wait_exit(20)
    (b,) = ctx.boots(v)
    ctx.expect(b.tool_status("BLESS") == "ok", "blessing primary failed", b)

    # The next primary hangs and the fallback panics: one try each.
    ctx.set_config(config([Slot("primary", initrd="hang", tries=1), Slot("fallback", initrd="panic", tries=1)],
                          on_exhausted="last-good"))
    with ctx.vm(160) as v2:
        i, _ = v2.wait_for(r"all slots exhausted", 150)
        v2.wait_for(r"WDTEST: userspace reached slot=primary", 60, start=i)
        v2.wait_for(r"^WDTEST-WATCHDOG", 30, start=i)
    boots = ctx.boots(v2)
    ctx.expect(len(boots) == 3, f"expected 3 boots (primary, fallback, last-good), got {len(boots)}")
    ctx.expect_decision(boots[0], r'^booting "primary" \(tries 1/1\)', "boot 1")
    ctx.expect_decision(boots[1], r'-> booting "fallback" \(tries 1/1\)', "boot 2")
    last = boots[2]
    ctx.expect_decision(last, r'^slot "fallback" failed \(watchdog reset, attempt 1/1\) -> all slots exhausted, '
                              r'on-exhausted last-good: booting "primary" ignoring its counters \(last known good\)',
                        "boot 3")
    st = last.first_state()
    events = guest.journal_events(st)
    ctx.expect(any(e[0] == "all-exhausted" for e in events), f"no all-exhausted event: {events}", last)
    ctx.expect(last.watchdog_enabled() is True, "the watchdog is not armed for the last-good boot", last)
