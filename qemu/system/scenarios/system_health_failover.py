"""Full-system tier, issue 4 (b): a failing health check (only in slot primary, whose
command line carries wdsys.health=fail) makes wdboot-bless.service fail before
`mark-good`; the boot stays unblessed with the i6300esb running, the watchdog resets the
machine, and wdboot boots the fallback, which passes the check and is blessed."""
from _system import (IMAGES, MEMORY_MIB, WATCHDOG_S, armed_at, hardware_enabled, report, slot,  # noqa: F401
                     system_config)

NAME = "health_failover"
LABEL = "system"
TIMEOUT = 420
SUMMARY = "a failing health check leaves the boot unblessed; the watchdog resets into the fallback"


def run(ctx):
    ctx.make_system_disk(system_config([slot("primary", "bless", tries=1, health_fail=True),
                                        slot("fallback", "bless", stay=0)]))
    with ctx.vm(TIMEOUT - 30, memory_mib=MEMORY_MIB) as v:
        v.wait_for(r"^WDSYS: powering off", TIMEOUT - 60)
        v.wait_exit(60)
    boots = ctx.boots(v)
    banners = ctx.banners(v)
    ctx.expect(len(boots) == 2 and len(banners) == 2,
               f"expected exactly one reset: {len(boots)} boots, {len(banners)} wdboot banners", boots[-1])
    first, second = boots

    ctx.expect_decision(first, r'^booting "primary" \(tries 1/1\)', "first boot")
    r = report(ctx, first, "first boot")
    ctx.expect(r["bless"] == "failed", f"wdboot-bless.service should have failed: {r}", first)
    log = [m.group(1) for m in first.all(r"^WDSYS-BLESS-LOG (.*)$")]
    ctx.expect(any("failing on purpose in slot primary" in l for l in log),
               f"the health check did not fail in primary: {log}", first)
    ctx.expect(not any("blessed boot" in l for l in log), f"primary was blessed anyway: {log}", first)
    rc, st = ctx.one_json(first, "status")
    ctx.expect(rc == 0 and st["booted"]["blessed"] is False and st["attempt"] is not None
               and st["watchdog"]["armed"] is True,
               f"status should show an unblessed attempt and an armed watchdog: {st['booted']}, "
               f"{st['attempt']}, {st['watchdog']}", first)

    ctx.expect(hardware_enabled(ctx, first) == [True],
               f"the i6300esb should still run in the unblessed boot: {hardware_enabled(ctx, first)}", first)
    ctx.expect(st["watchdog"]["device"] is None,
               f"the i6300esb driver was loaded in the unblessed boot: {st['watchdog']}", first)

    dogs = v.events_named("WATCHDOG")
    ctx.expect(len(dogs) == 1, f"QEMU saw {len(dogs)} watchdog expiries, expected 1", second)
    fired_after = dogs[0][0] - armed_at(ctx, first, "primary")
    ctx.expect(WATCHDOG_S - 1 <= fired_after <= WATCHDOG_S + 15,
               f"the watchdog fired {fired_after:.1f} s after arming, expected about {WATCHDOG_S} s", first)
    ctx.say(f"watchdog fired {fired_after:.1f} s after wdboot armed it ({WATCHDOG_S} s)")

    ctx.expect_decision(second, r'^slot "primary" failed \(watchdog reset, attempt 1/1\) -> '
                                r'booting "fallback" \(tries 3/3\)', "boot after the reset")
    r2 = report(ctx, second, "fallback boot")
    ctx.expect(r2["bless"] == "active" and r2["boot-complete"] == "active",
               f"the fallback was not blessed: {r2}", second)
    rc, st2 = ctx.one_json(second, "status")
    ctx.expect(st2["booted"]["slot"] == "fallback" and st2["booted"]["blessed"] is True
               and st2["watchdog"]["armed"] is False,
               f"status of the fallback boot: {st2['booted']}, {st2['watchdog']}", second)
    lf = st2["last_failure"]
    ctx.expect(lf is not None and lf["slot"] == "primary" and lf["reset_cause"] == "watchdog",
               f"status does not name primary's watchdog reset as the last failure: {lf}", second)
