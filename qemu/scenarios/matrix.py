"""The coverage matrix (issue 11): for each emulated watchdog wdboot drives (i6300esb,
the ICH9 TCO, the same TCO through an ACPI WDAT, the IPMI BMC watchdog), a hang at each
stage of a boot ends in a reset and the fallback, and a blessed boot stays up.

Stages (the primary slot; tries 1, so one failure hands the machine to the fallback):
  efi_hang         an EFI image that never returns, before ExitBootServices (hang.efi)
  early_panic      the kernel panics before any userspace (no /init), panic=0
  initramfs_hang   the initramfs hangs before any watchdog module is loaded
  driver_panic     the Linux watchdog driver took the timer over, then the kernel panics
                   (i6300esb's module stops the timer at probe, so "took over" is the
                   handover: the module loaded and /dev/watchdog opened and fed)
  userspace_stuck  userspace runs (modules loaded the way a real system loads them) but
                   never blesses: the deadline until the blessing must still end it
  blessed_up       the agent blesses (and disarms the driver its way): the machine is
                   still up after twice the deadline, with no reset

itco and wdat run with two deadlines (early-timeout 30, timeout 45): their Linux
modules take the running timer over and the kernel feeds it until
watchdog.open_timeout. i6300esb and ipmi run with one deadline, timeout 25.

Every cell is a scenario `matrix_<driver>_<stage>` with label `matrix`; CI runs the
cells in CI_CELLS (label qemu too): wdat's efi_hang, initramfs_hang, driver_panic and
userspace_stuck, one stage on each other driver.
`ctest -L matrix` runs them all; docs/measurements.md holds the last full result.
"""
import re

from wdqemu import guest
from wdqemu.scenario import Slot, config

DRIVERS = ("i6300esb", "itco", "wdat", "ipmi")
STAGES = ("efi_hang", "early_panic", "initramfs_hang", "driver_panic", "userspace_stuck", "blessed_up")
# The cheapest cell of each other driver that still shows its own path: the i6300esb's
# takeover, the TCO's kernel feeding (two deadlines) ended by a panic, the BMC's reset.
# wdat's blessed_up (a healthy boot that must stay up past 2 x timeout, ~115 s) and
# early_panic (~52 s: the same first deadline as efi_hang and initramfs_hang, and an early
# panic fails over in CI in qemu.panic_failover) are left to the full matrix; their time
# pays for the Secure Boot scenarios (docs/measurements.md).
CI_CELLS = ({("wdat", s) for s in STAGES} - {("wdat", "blessed_up"), ("wdat", "early_panic")}) | {
    ("i6300esb", "driver_panic"), ("itco", "driver_panic"), ("ipmi", "initramfs_hang")}

# (timeout, early-timeout or None) per driver.
DEADLINES = {"i6300esb": (25, None), "itco": (45, 30), "wdat": (45, 30), "ipmi": (25, None)}
# Drivers whose expiry QEMU reports as a WATCHDOG event (the BMC simulator resets the
# machine through the chassis-control path instead).
QMP_WATCHDOG_EVENT = {"i6300esb", "itco", "wdat"}
# The kernel driver's own heartbeat once it has taken the timer over (iTCO_wdt.heartbeat
# and wdat_wdt's timeout both default to 30 s), and when the reset comes after the last
# feed: iTCO_wdt programs the heartbeat as the time to the TCO's FIRST expiry (Linux
# halves it for TCO v1 only), and the ICH9 resets on the second, so 2 x 30 s (observed:
# a panic 60 s before the reset); the q35 WDAT declares 1.2 s per count, the time to the
# reset, so wdat_wdt's 30 s are 30 s.
DRIVER_HEARTBEAT = 30
RESET_AFTER_LAST_FEED = {"itco": 2 * DRIVER_HEARTBEAT, "wdat": DRIVER_HEARTBEAT}


def conf_text(driver, primary_stanza, fallback):
    timeout, early = DEADLINES[driver]
    text = config([fallback], timeout=timeout, tries=3, watchdog=driver)
    head, _, rest = text.partition("\n\n")
    if early is not None:
        head += f"\nearly-timeout {early}"
    return head + "\n\n" + primary_stanza + "\n\n" + rest


def primary_stanza(driver, stage):
    timeout, _ = DEADLINES[driver]
    if stage == "efi_hang":
        return "slot primary\n  efi \\wdtest\\hang.efi\n  tries 1"
    if stage == "early_panic":
        return Slot("primary", initrd="noinit", tries=1).stanza()
    if stage == "initramfs_hang":
        return Slot("primary", initrd="hang", tries=1).stanza()
    if stage == "driver_panic":
        if driver == "i6300esb":
            act = f"dump,modprobe:i6300esb,takeover:{timeout},wdinfo,panic"
        else:
            act = f"handoff:{driver},dump,wdinfo,panic"
        return Slot("primary", action=act, tries=1).stanza()
    if stage == "userspace_stuck":
        return Slot("primary", action=f"handoff:{driver},dump,wdinfo,stuck", tries=1).stanza()
    if stage == "blessed_up":
        # Up for twice the longest deadline after the blessing, then off.
        return Slot("primary", action=f"handoff:{driver},dump,agent:mark-good,wdinfo,sleep:{2 * timeout + 5},"
                                       f"alive,dump,poweroff", tries=1).stanza()
    raise ValueError(stage)


def stage_marker(stage):
    return {"efi_hang": r"WDTEST: efi image hanging",
            "early_panic": r"Kernel panic - not syncing",
            "initramfs_hang": r"WDTEST: hanging",
            "driver_panic": r"WDTEST: panicking",
            "userspace_stuck": r"WDTEST: stuck before the blessing"}[stage]


def run_cell(ctx, driver, stage):
    ctx.hardware = driver
    timeout, early = DEADLINES[driver]
    fallback = Slot("fallback", action="dump,poweroff")
    ctx.make_disk(conf_text(driver, primary_stanza(driver, stage), fallback))
    # The longest failing boot: userspace_stuck on a hand-off driver, ~10 s to the
    # module, the open_timeout (timeout), then the driver's heartbeat.
    limit = 60 + timeout + 2 * DRIVER_HEARTBEAT + 120
    with ctx.vm(limit) as v:
        if stage == "blessed_up":
            v.wait_for(r"WDTEST-ALIVE uptime=", limit - 10)
        else:
            v.wait_for(r"WDTEST: userspace reached slot=fallback", limit - 10)
        v.wait_exit(40)
    boots = ctx.boots(v)
    first = boots[0]
    ctx.expect_decision(first, r'^booting "primary" \(tries 1/1\)', "boot 1")
    if early is not None:
        ctx.expect_decision(first, rf"^two deadlines: {early} s until Linux's {driver} driver takes the timer over",
                            "boot 1")
    if stage == "blessed_up":
        check_blessed(ctx, driver, first, boots, v, timeout)
        return
    t_fail, m = first.first(stage_marker(stage))
    ctx.expect(m is not None, f"boot 1 never reached the stage {stage} ({stage_marker(stage)!r})", first)
    if stage in ("driver_panic", "userspace_stuck") and driver != "i6300esb":
        loaded = first.all(r"^WDTEST-HANDOFF (loaded|failed) (\S+)")
        ctx.expect(loaded and all(x.group(1) == "loaded" for x in loaded),
                   f"the {driver} modules did not all load: {[x.group(0) for x in loaded]}", first)
    if stage == "driver_panic" and driver == "i6300esb":
        ctx.expect(first.first(r"WDTEST-TAKEOVER /dev/watchdog")[1] is not None,
                   "busybox watchdog did not open /dev/watchdog", first)
    ctx.expect(len(boots) == 2, f"expected the failed primary and one fallback boot, got {len(boots)} boots")
    second = boots[1]
    # Every driver here keeps a flag that survives the reset (the i6300esb's timeout bit,
    # SECOND_TO_STS, the WDAT's QUERY_WATCHDOG_STATUS, the BMC's expiration flags), so the
    # loader must name the watchdog as the cause, not just an unblessed reset.
    ctx.expect_decision(second, r'^slot "primary" failed \(watchdog reset, attempt 1/1\) -> booting "fallback"',
                        "boot 2")
    if driver == "ipmi":
        # The failover is in the BMC's System Event Log for the operator.
        ctx.expect_decision(second, r"^BMC event log: failover recorded \(SEL record 0x[0-9a-f]{4}\)", "boot 2")
    ctx.expect(second.userspace_slot == "fallback", "fallback did not reach userspace", second)
    st = second.first_state()
    p = guest.slot(st, "primary")
    ctx.expect(p is not None and p["tries_left"] == 0, f"primary should have no tries left: {p}", second)
    wd_events = v.events_named("WATCHDOG")
    if driver in QMP_WATCHDOG_EVENT:
        ctx.expect(len(wd_events) == 1, f"QEMU saw {len(wd_events)} watchdog expiries, expected 1")
    # How long the machine was stuck: from the stage's marker to the reset.
    stuck_s = first.end - t_fail
    limit_s = failover_bound(driver, stage)
    ctx.say(f"{driver}/{stage}: reset {stuck_s:.1f} s after the failure (bound {limit_s} s)")
    ctx.expect(stuck_s <= limit_s, f"the reset came {stuck_s:.1f} s after the failure, bound {limit_s} s")


def failover_bound(driver, stage):
    """The latest the reset may come after the stage's marker, in seconds: the deadline
    that covers that stage, measured from arming (so it is generous for late markers)."""
    timeout, early = DEADLINES[driver]
    first_deadline = early if early is not None else timeout
    if stage in ("efi_hang", "early_panic", "initramfs_hang"):
        return first_deadline + 5
    if stage == "driver_panic":
        # The driver's heartbeat (or takeover's timeout) from the last feed.
        return (RESET_AFTER_LAST_FEED[driver] if early is not None else timeout) + 5
    # userspace_stuck: the watchdog core times its last feed so that the timer runs out
    # open_timeout (= timeout) after the module registered, by the driver's heartbeat;
    # the TCO's second expiry comes a heartbeat later than iTCO_wdt expects (observed:
    # wdat 45 s, itco 75 s). One deadline: timeout from arming.
    if early is None:
        return timeout + 5
    return timeout + RESET_AFTER_LAST_FEED[driver] - DRIVER_HEARTBEAT + 5


def check_blessed(ctx, driver, first, boots, v, timeout):
    ctx.expect(len(boots) == 1, f"a blessed boot was reset: {len(boots)} boots", boots[-1])
    rc, out, err = first.agent_json("mark-good")
    ctx.expect(rc == 0, f"wdbootctl mark-good failed (rc {rc}): {err}", first)
    _, m = first.first(r"WDTEST-ALIVE uptime=([0-9.]+)")
    up = float(m.group(1))
    ctx.expect(up > 2 * timeout, f"up only {up} s, expected more than {2 * timeout}", first)
    st = first.last_state()
    p = guest.slot(st, "primary")
    ctx.expect(p is not None and p["last_outcome"] == "blessed", f"primary not blessed: {p}", first)
    ctx.expect(not v.events_named("WATCHDOG"), "QEMU saw a watchdog expiry in a blessed boot")
    ctx.say(f"{driver}/blessed_up: up {up:.0f} s with the watchdog stopped by the agent")


class Cell:
    NEEDS_AGENT = True

    def __init__(self, driver, stage):
        self.driver = driver
        self.stage = stage
        self.NAME = f"matrix_{driver}_{stage}"
        timeout, _ = DEADLINES[driver]
        self.TIMEOUT = 60 + timeout + 2 * DRIVER_HEARTBEAT + 120 + 120
        self.LABEL = "qemu" if (driver, stage) in CI_CELLS else "matrix"
        self.SUMMARY = f"{driver}: {stage.replace('_', ' ')} -> " + (
            "still up after twice the deadline" if stage == "blessed_up" else "reset, fallback boots")

    def run(self, ctx):
        run_cell(ctx, self.driver, self.stage)


SCENARIOS = [Cell(d, s) for d in DRIVERS for s in STAGES]
