"""Scenario 1: primary boots, is blessed from the guest, and the next boot stays on
primary with its tries restored."""
from wdqemu.scenario import Slot, config

NAME = "good_bless"
TIMEOUT = 150
SUMMARY = "good boot of primary, blessed in the guest; next boot stays on primary"


def run(ctx):
    ctx.make_disk(config([Slot("primary", action="dump,bless,dump,poweroff"), Slot("fallback")]))
    with ctx.vm(60) as v:
        v.wait_for(r"WDTEST: powering off", 55)
        v.wait_exit(20)
    (b,) = ctx.boots(v)
    ctx.expect_decision(b, r'^booting "primary" \(tries 3/3\)', "first boot")
    ctx.expect_tries(b, "primary", 2, "before blessing")
    ctx.expect(b.tool_status("BLESS") == "ok", f"bless failed: {b.tool_status('BLESS')}", b)
    after = b.last_state()
    p = [s for s in after["slots"] if s["name"] == "primary"][0]
    ctx.expect(p["tries_left"] == 3 and p["good"] and p["last_outcome"] == "blessed",
               f"after blessing primary should be good with 3 tries: {p}", b)
    ctx.expect(after["attempt_slot"] == -1, f"attempt marker still set after blessing: {after}", b)
    ctx.expect(after["last_good_slot"] == p["index"], f"last-good is not primary: {after}", b)
    ctx.expect(after["journal"][0]["event"] == "blessed", f"no blessed event: {after['journal']}", b)

    ctx.set_config(config([Slot("primary", action="dump,poweroff"), Slot("fallback")]))
    with ctx.vm(60) as v2:
        v2.wait_for(r"WDTEST: powering off", 55)
        v2.wait_exit(20)
    (b2,) = ctx.boots(v2)
    ctx.expect(not any("failed" in d for d in b2.decisions),
               f"the blessed boot was counted as a failure: {b2.decisions}", b2)
    ctx.expect_decision(b2, r'^booting "primary" \(tries 3/3\)', "boot after blessing")
    p2 = ctx.expect_tries(b2, "primary", 2, "boot after blessing")
    ctx.expect(p2["good"], f"primary lost its good flag: {p2}", b2)
    ctx.expect(b2.userspace_slot == "primary", "primary did not reach userspace", b2)
