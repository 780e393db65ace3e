"""Scenario 4: primary's kernel file is missing. wdboot marks it failed and boots
fallback in the same boot: no reset, no watchdog expiry."""
from wdqemu import guest
from wdqemu.scenario import Slot, config

NAME = "missing_image"
TIMEOUT = 120
SUMMARY = "primary's image is missing: fallback boots in the same boot, no reset"


def run(ctx):
    ctx.make_disk(config([Slot("primary", kernel="\\wdtest\\missing.efi"),
                          Slot("fallback", action="dump,poweroff")]))
    with ctx.vm(90) as v:
        v.wait_for(r"WDTEST: powering off", 80)
        v.wait_exit(20)
    boots = ctx.boots(v)
    ctx.expect(len(boots) == 1 and not v.events_named("WATCHDOG"),
               f"expected one boot without any reset, got {len(boots)} boots and "
               f"{len(v.events_named('WATCHDOG'))} watchdog expiries")
    (b,) = boots
    ctx.expect_decision(b, r'^booting "primary" \(tries 3/3\)', "first choice")
    ctx.expect_decision(b, r'^slot "primary" could not be loaded .*choosing again without a reset',
                        "load failure")
    ctx.expect_decision(b, r'^booting "fallback" \(tries 3/3\)', "second choice")
    ctx.expect(b.userspace_slot == "fallback", "fallback did not reach userspace", b)
    st = b.first_state()
    p = guest.slot(st, "primary")
    ctx.expect(p["last_outcome"] == "load failed" and p["tries_left"] == 0,
               f"primary should be marked load-failed with no tries: {p}", b)
    ctx.expect_tries(b, "fallback", 2, "fallback boot")
    ctx.expect(("load-failed", "primary", "power-on") in guest.journal_events(st),
               f"no load-failed event: {guest.journal_events(st)}", b)
