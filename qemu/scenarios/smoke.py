"""Issue 2's smoke test: wdbootx64.efi starts, prints its version and its decision,
and the kernel it chose reaches userspace with the hardware watchdog still running."""
from wdqemu.scenario import Slot, config

NAME = "smoke"
TIMEOUT = 120
SUMMARY = "wdboot starts, prints its version and decision, boots primary"


def run(ctx):
    ctx.make_disk(config([Slot("primary", action="dump,watchdog,poweroff"), Slot("fallback")]))
    with ctx.vm(90) as v:
        v.wait_for(r"WDTEST: powering off", 80)
        v.wait_exit(20)
    (boot,) = ctx.boots(v)
    ctx.expect(boot.version is not None, "wdboot printed no `wdboot <version>` line", boot)
    if ctx.version:
        ctx.expect(boot.version == ctx.version,
                   f"wdboot printed version {boot.version}, the build is {ctx.version}", boot)
    ctx.expect_decision(boot, r'^booting "primary" \(tries 3/3\)', "first boot")
    ctx.expect(boot.userspace_slot == "primary", "primary did not reach userspace", boot)
    st = boot.first_state()
    ctx.expect(st is not None, "the guest printed no state", boot)
    # The attempt is on record before the kernel runs: one try spent, marker set.
    p = ctx.expect_tries(boot, "primary", 2, "first boot")
    ctx.expect(st["attempt_slot"] == p["index"], f"no attempt marker for primary: {st}", boot)
    ctx.expect(boot.watchdog_enabled() is True,
               "the i6300esb is not running in userspace before any blessing", boot)
