"""Issue 4's QEMU test: the static wdbootctl in the busybox initramfs blesses the boot
and disarms the i6300esb; the VM then stays alive well past the watchdog timeout (no
reset), and the next boot stays on primary. (Without a blessing the VM is reset: the
failover scenarios.)"""
from wdqemu import guest
from wdqemu.scenario import Slot, config

NAME = "agent_mark_good"
TIMEOUT = 240
SUMMARY = "wdbootctl mark-good blesses and disarms the watchdog; the VM outlives the timeout"
NEEDS_AGENT = True

WATCHDOG_S = 15
STAY_S = 2 * WATCHDOG_S


def run(ctx):
    ctx.make_disk(config([Slot("primary", action=f"dump,watchdog,agent:mark-good,watchdog,sleep:{STAY_S},"
                                                  "agent:status,dump,poweroff"),
                          Slot("fallback")], timeout=WATCHDOG_S))
    with ctx.vm(120) as v:
        v.wait_for(r"WDTEST: powering off", 110)
        v.wait_exit(20)
    boots = ctx.boots(v)
    ctx.expect(len(boots) == 1 and not v.events_named("WATCHDOG"),
               f"the VM was reset ({len(boots) - 1} resets, {len(v.events_named('WATCHDOG'))} watchdog "
               f"expiries) although wdbootctl blessed the boot", boots[-1])
    (b,) = boots
    rcs = b.all(r"^WDTEST-AGENT rc=(\d+) args=mark-good")
    ctx.expect(rcs and rcs[0].group(1) == "0", f"wdbootctl mark-good failed: {[m.group(0) for m in rcs]}", b)
    states = b.all(r"^WDTEST-WATCHDOG device=\S+ enabled=(\d)")
    ctx.expect(len(states) == 2 and states[0].group(1) == "1" and states[1].group(1) == "0",
               f"the i6300esb should run before mark-good and be stopped after it: "
               f"{[m.group(0) for m in states]}", b)
    t_bless, _ = b.first(r"^WDTEST-AGENT rc=0 args=mark-good")
    t_end, _ = b.first(r"WDTEST: powering off")
    ctx.expect(t_end - t_bless >= STAY_S, f"the guest lived only {t_end - t_bless:.1f} s after blessing", b)
    st = b.last_state()
    p = guest.slot(st, "primary")
    ctx.expect(p["good"] and p["tries_left"] == 3 and st["attempt_slot"] == -1,
               f"primary not blessed by wdbootctl: {p}", b)

    with ctx.vm(90) as v2:
        v2.wait_for(r"WDTEST: powering off", 80)
        v2.wait_exit(20)
    (n,) = ctx.boots(v2)
    ctx.expect_decision(n, r'^booting "primary" \(tries 3/3\)', "boot after the blessing")
