"""Shared body of the failover scenarios: a primary that never blesses (panic, hang,
missing init) is retried until its tries run out, boot by boot, then fallback boots."""
from wdqemu import guest
from wdqemu.scenario import Slot, config


def run_failover(ctx, initrd, tries, panic_timeout=0, by_watchdog=True, timeout=25):
    ctx.make_disk(config([Slot("primary", initrd=initrd, panic_timeout=panic_timeout),
                          Slot("fallback", action="dump,watchdog,poweroff")],
                         timeout=timeout, tries=tries))
    per_boot = timeout + 25
    with ctx.vm(per_boot * (tries + 1)) as v:
        v.wait_for(r"WDTEST: userspace reached slot=fallback", per_boot * (tries + 1) - 10)
        v.wait_exit(30)
    boots = ctx.boots(v)
    ctx.expect(len(boots) == tries + 1,
               f"expected {tries} failed primary boots and one fallback boot, got {len(boots)} boots")
    cause = "watchdog reset" if by_watchdog else "reset without blessing"
    for k in range(tries):
        b = boots[k]
        if k == 0:
            ctx.expect_decision(b, rf'^booting "primary" \(tries {tries}/{tries}\)', "boot 1")
        else:
            ctx.expect_decision(b, rf'^slot "primary" failed \({cause}, attempt {k}/{tries}\) -> '
                                   rf'booting "primary" \(tries {tries - k}/{tries}\)', f"boot {k + 1}")
        if initrd in ("panic", "hang"):
            # The attempt is in NVRAM before the kernel runs: the guest sees it.
            ctx.expect_tries(b, "primary", tries - 1 - k, f"boot {k + 1}")
            ctx.expect(b.watchdog_enabled() is True, "the i6300esb is not running in the guest", b)
        if initrd in ("panic", "noinit"):
            ctx.expect(b.panicked(), f"boot {k + 1}: the kernel did not panic", b)
        if initrd == "hang":
            ctx.expect(any("WDTEST: hanging" in t for t in b.texts()), "primary did not hang", b)
    last = boots[-1]
    ctx.expect_decision(last, rf'^slot "primary" failed \({cause}, attempt {tries}/{tries}\) -> '
                              rf'booting "fallback" \(tries {tries}/{tries}\)', "fallback boot")
    ctx.expect(last.userspace_slot == "fallback", "fallback did not reach userspace", last)
    st = last.first_state()
    p = guest.slot(st, "primary")
    ctx.expect(p["tries_left"] == 0 and p["last_outcome"] == cause,
               f"primary should be exhausted by {cause}: {p}", last)
    ctx.expect_tries(last, "fallback", tries - 1, "fallback boot")
    events = guest.journal_events(st)
    want_event = "watchdog-reset" if by_watchdog else "unclean-reset"
    fails = [e for e in events if e[0] == want_event and e[1] == "primary"]
    ctx.expect(len(fails) == tries, f"journal should hold {tries} {want_event} events: {events}", last)
    if by_watchdog:
        ctx.expect(all(e[2] == "watchdog" for e in fails), f"reset cause not recorded: {events}", last)
    ctx.expect(("exhausted", "primary", fails[0][2]) in events, f"no exhausted event: {events}", last)
    watchdogs = v.events_named("WATCHDOG")
    ctx.expect(len(watchdogs) == (tries if by_watchdog else 0),
               f"QEMU saw {len(watchdogs)} watchdog expiries, expected {tries if by_watchdog else 0}")
    return boots
