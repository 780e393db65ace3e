"""Scenario 5b: a one-shot trial that is blessed stays good: the trial slot is marked
good with full tries, and the next boot follows the default order again."""
from wdqemu import guest
from wdqemu.scenario import Slot, config

NAME = "trial_blessed"
TIMEOUT = 240
SUMMARY = "one-shot trial that is blessed stays good"


def run(ctx):
    trial = Slot("trial", action="dump,bless,dump,poweroff")
    ctx.make_disk(config([Slot("primary", action="dump,bless,try:trial:1,dump,poweroff"), trial]))
    with ctx.vm(60) as v:
        v.wait_for(r"WDTEST: powering off", 55)
        v.wait_exit(20)
    (b,) = ctx.boots(v)
    ctx.expect(b.tool_status("TRY") == "ok", f"trial request failed: {b.tool_status('TRY')}", b)

    ctx.set_config(config([Slot("primary", action="dump,poweroff"), trial]))
    with ctx.vm(60) as v2:
        v2.wait_for(r"WDTEST: powering off", 55)
        v2.wait_exit(20)
    (t,) = ctx.boots(v2)
    ctx.expect_decision(t, r'^booting trial "trial" \(tries 1 left\)', "trial boot")
    ctx.expect(t.userspace_slot == "trial", "the trial did not reach userspace", t)
    ctx.expect(t.tool_status("BLESS") == "ok", f"blessing the trial failed: {t.tool_status('BLESS')}", t)
    st = t.last_state()
    tr = guest.slot(st, "trial")
    ctx.expect(tr["good"] and not tr["trial"] and tr["tries_left"] == tr["max_tries"],
               f"the blessed trial should be good with full tries: {tr}", t)
    ctx.expect(st["trial_slot"] == -1, f"trial still pending after blessing: {st}", t)

    with ctx.vm(60) as v3:
        v3.wait_for(r"WDTEST: powering off", 55)
        v3.wait_exit(20)
    (n,) = ctx.boots(v3)
    ctx.expect(not any("failed" in d for d in n.decisions), f"a failure was counted: {n.decisions}", n)
    ctx.expect_decision(n, r'^booting "primary" \(tries 3/3\)', "boot after the trial")
    tr = guest.slot(n.first_state(), "trial")
    ctx.expect(tr["good"] and tr["tries_left"] == tr["max_tries"] and tr["last_outcome"] == "blessed",
               f"the blessed trial did not stay good: {tr}", n)
