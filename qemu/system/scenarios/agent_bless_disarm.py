"""QEMU tier, issue 4: the static wdbootctl in a busybox initramfs blesses the boot and
disarms the i6300esb (modprobe, whose probe stops the timer); the VM then outlives the
watchdog timeout by far and powers itself off. One wdboot banner means no reset."""
from _agent import IMAGES, agent_config, slot  # noqa: F401 (IMAGES is read by wdsys-test)

NAME = "agent_bless_disarm"
LABEL = "qemu"
TIMEOUT = 240
SUMMARY = "wdbootctl mark-good in the initramfs blesses and disarms; the VM lives 2x past the timeout"

WATCHDOG_S = 20
STAY_S = 45


def run(ctx):
    ctx.make_agent_disk(agent_config([slot("primary", "bless", stay=STAY_S), slot("fallback", "bless")],
                                     timeout=WATCHDOG_S))
    with ctx.vm(170) as v:
        v.wait_for(r"^WDSYS: powering off", 160)
        v.wait_exit(20)
    boots = ctx.boots(v)
    banners = ctx.banners(v)
    ctx.expect(len(banners) == 1 and len(boots) == 1 and not v.events_named("WATCHDOG"),
               f"the VM was reset although the agent blessed: {len(banners)} wdboot banners, "
               f"{len(boots) - 1} resets, {len(v.events_named('WATCHDOG'))} watchdog expiries", boots[-1])
    (b,) = boots
    ctx.expect_decision(b, r'^booting "primary" \(tries 3/3\)', "the boot")
    t_armed, _ = b.first(r'^wdboot: .*booting "primary"')

    hw = [m.group(1) for m in b.all(r"^WDTEST-WATCHDOG device=\S+ enabled=(\d)")]
    ctx.expect(hw[:1] == ["1"], f"the i6300esb was not running before the blessing: {hw}", b)

    rc, mg = ctx.one_json(b, "mark-good")
    ctx.expect(rc == 0 and mg["blessed"] and mg["slot"] == "primary" and mg["written"],
               f"mark-good did not bless primary (rc {rc}): {mg}", b)
    wd = mg["watchdog"]
    ctx.expect(wd["ok"] and wd["state"] == "inactive" and "modprobe i6300esb" in wd["steps"],
               f"mark-good did not disarm through the driver: {wd}", b)
    ctx.expect(hw[1:] == ["0", "0"],
               f"the enable bit in PCI config 0x68 should be clear after mark-good: {hw}", b)
    sysfs = b.all(r"^WDSYS-SYSFS (watchdog\d+) identity=(\S+) state=(\S+)")
    ctx.expect(sysfs and all(m.group(2) == "i6300ESB_timer" and m.group(3) == "inactive" for m in sysfs),
               f"sysfs does not show the i6300esb registered and inactive: {[m.group(0) for m in sysfs]}", b)

    t_alive, m = b.first(r"^WDSYS: still alive uptime=(\S+)")
    lived = t_alive - t_armed
    ctx.expect(lived >= 2 * WATCHDOG_S,
               f"the guest was alive only {lived:.1f} s after wdboot armed the {WATCHDOG_S} s watchdog", b)
    ctx.say(f"alive {lived:.1f} s after arming a {WATCHDOG_S} s watchdog, no reset")

    rc, st = ctx.one_json(b, "status")
    ctx.expect(rc == 0, f"status failed with {rc}: {st}", b)
    ctx.expect(st["booted"]["slot"] == "primary" and st["booted"]["blessed"] is True,
               f"status does not show the booted slot blessed: {st['booted']}", b)
    ctx.expect(st["watchdog"]["armed"] is False and st["watchdog"]["state"] == "inactive"
               and st["watchdog"]["driver"] == "i6300esb" and st["watchdog"]["timeout"] == WATCHDOG_S,
               f"status does not show the watchdog stopped: {st['watchdog']}", b)
    p = [s for s in st["slots"] if s["name"] == "primary"][0]
    ctx.expect("good" in p["flags"] and p["tries_left"] == 3 and st["attempt"] is None
               and st["last_good"] == "primary" and p["last_outcome"] == "blessed",
               f"status does not show primary blessed: {p}, attempt {st['attempt']}", b)
