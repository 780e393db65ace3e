"""QEMU tier, issue 4: the same initramfs without the blessing. Nobody stops the
i6300esb, so it resets the VM; wdboot's second banner is followed by the watchdog reset
decision and the fallback (which blesses) boots."""
from _agent import IMAGES, agent_config, slot  # noqa: F401 (IMAGES is read by wdsys-test)

NAME = "agent_no_bless_reset"
LABEL = "qemu"
TIMEOUT = 240
SUMMARY = "without mark-good the i6300esb resets the VM and wdboot records a watchdog reset"

WATCHDOG_S = 20


def run(ctx):
    ctx.make_agent_disk(agent_config([slot("primary", "none", tries=1), slot("fallback", "bless")],
                                     timeout=WATCHDOG_S))
    with ctx.vm(170) as v:
        v.wait_for(r"^WDSYS: powering off", 160)
        v.wait_exit(20)
    boots = ctx.boots(v)
    banners = ctx.banners(v)
    ctx.expect(len(boots) == 2 and len(banners) == 2,
               f"expected one reset: {len(boots)} boots, {len(banners)} wdboot banners", boots[-1])
    first, second = boots
    ctx.expect_decision(first, r'^booting "primary" \(tries 1/1\)', "first boot")
    ctx.expect(any("WDSYS: not blessing" in t for t in first.texts()), "the first boot did not run", first)
    rc, st = ctx.one_json(first, "status")
    ctx.expect(rc == 0 and st["booted"]["blessed"] is False and st["watchdog"]["armed"] is True,
               f"before the reset status should show an unblessed boot and an armed watchdog: {st}", first)

    dogs = v.events_named("WATCHDOG")
    ctx.expect(len(dogs) == 1, f"QEMU saw {len(dogs)} watchdog expiries, expected 1", second)
    t_armed, _ = first.first(r'^wdboot: .*booting "primary"')
    fired_after = dogs[0][0] - t_armed
    ctx.expect(WATCHDOG_S - 1 <= fired_after <= WATCHDOG_S + 10,
               f"the watchdog fired {fired_after:.1f} s after arming, expected about {WATCHDOG_S} s", first)
    ctx.say(f"watchdog fired {fired_after:.1f} s after wdboot armed it ({WATCHDOG_S} s)")

    ctx.expect(banners[1] == banners[0], f"second banner differs: {banners}", second)
    ctx.expect_decision(second, r'^slot "primary" failed \(watchdog reset, attempt 1/1\) -> '
                                r'booting "fallback" \(tries 3/3\)', "boot after the reset")
    rc, mg = ctx.one_json(second, "mark-good")
    ctx.expect(rc == 0 and mg["slot"] == "fallback" and mg["blessed"], f"fallback not blessed: {mg}", second)
    rc, st = ctx.one_json(second, "status")
    ctx.expect(st["last_failure"] is not None and st["last_failure"]["slot"] == "primary"
               and st["last_failure"]["reset_cause"] == "watchdog",
               f"status does not name the watchdog reset of primary: {st['last_failure']}", second)
