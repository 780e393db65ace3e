"""Scenario 5a: a one-shot trial of a kernel that panics. The trial gets one boot, the
watchdog resets it, and the default order resumes on primary; the trial is abandoned
and never becomes the default."""
from wdqemu import guest
from wdqemu.scenario import Slot, config

NAME = "trial_revert"
TIMEOUT = 240
SUMMARY = "one-shot trial of a panicking kernel reverts to primary"


def run(ctx):
    trial = Slot("trial", initrd="panic")
    ctx.make_disk(config([Slot("primary", action="dump,bless,try:trial:1,dump,poweroff"), trial]))
    with ctx.vm(60) as v:
        v.wait_for(r"WDTEST: powering off", 55)
        v.wait_exit(20)
    (b,) = ctx.boots(v)
    ctx.expect(b.tool_status("TRY") == "ok", f"trial request failed: {b.tool_status('TRY')}", b)
    st = b.last_state()
    ctx.expect(guest.slot_name(st, st["trial_slot"]) == "trial", f"no pending trial: {st}", b)

    ctx.set_config(config([Slot("primary", action="dump,poweroff"), trial]))
    with ctx.vm(120) as v2:
        v2.wait_for(r"WDTEST: powering off", 110)
        v2.wait_exit(20)
    boots = ctx.boots(v2)
    ctx.expect(len(boots) == 2, f"expected the trial boot and one primary boot, got {len(boots)}")
    t, p = boots
    ctx.expect_decision(t, r'^booting trial "trial" \(tries 1 left\)', "trial boot")
    ctx.expect(t.panicked(), "the trial kernel did not panic", t)
    ctx.expect_decision(p, r'^slot "trial" failed \(watchdog reset, trial, 0 tries left\) -> booting "primary" \(tries 3/3\)',
                        "boot after the trial")
    ctx.expect(p.userspace_slot == "primary", "primary did not reach userspace", p)
    st = p.first_state()
    ctx.expect(st["trial_slot"] == -1, f"the trial is still pending: {st}", p)
    ctx.expect(st["default_slot"] == -1, f"the trial changed the default: {st}", p)
    tr = guest.slot(st, "trial")
    ctx.expect(not tr["trial"] and not tr["good"], f"trial slot flags wrong after revert: {tr}", p)
    ctx.expect(guest.slot(st, "primary")["good"], "primary lost its good flag", p)
    events = guest.journal_events(st)
    ctx.expect(("trial-abandoned", "trial", "watchdog") in events, f"no trial-abandoned event: {events}", p)
