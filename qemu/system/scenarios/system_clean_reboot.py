"""Full-system tier, issue 9 (d): neither a clean `systemctl reboot` of a blessed boot nor a
power cut (QEMU killed) is a runtime crash: the same slot boots again with its tries,
wdboot's journal has no runtime-panic, runtime-hang or crash-loop entry, and no
runtime crash is counted."""
from _system import IMAGES, MEMORY_MIB, report, slot, system_config  # noqa: F401

# No boot here is meant to fail before its blessing: a long watchdog timeout keeps a
# slow boot on a loaded machine from being reset (the watchdog is stopped once blessed).
SLOW_BOOT_S = 180

NAME = "clean_reboot"
LABEL = "system"
TIMEOUT = 600
SUMMARY = "a clean reboot and a power cut after the blessing are not counted as crashes"


def run(ctx):
    ctx.make_system_disk(system_config([slot("primary", "reboot"), slot("fallback", "bless", stay=0)], timeout=SLOW_BOOT_S))
    with ctx.vm(300, label="reboot", memory_mib=MEMORY_MIB) as v:
        v.wait_for(r"^WDSYS: ready for the power cut", 280)
        v.kill()
    with ctx.vm(200, label="after-cut", memory_mib=MEMORY_MIB) as a:
        a.wait_for(r"^WDSYS: powering off", 180)
        a.wait_exit(60)
    boots = ctx.boots(v) + ctx.boots(a)
    ctx.expect(len(boots) == 3, f"expected 3 boots (reboot, power cut), got {len(boots)}", boots[-1])
    ctx.expect(boots[0].first(r"^WDSYS: clean reboot")[1] is not None, "the first boot did not reboot", boots[0])
    for i, b in enumerate(boots):
        ctx.expect_decision(b, r'^booting "primary" \(tries 3/3\)', f"boot {i + 1}")
        r = report(ctx, b, f"boot {i + 1}")
        ctx.expect(r["bless"] == "active", f"boot {i + 1} was not blessed: {r}", b)
    rc, entries = ctx.one_json(boots[2], "log")
    events = [e["event"] for e in entries]
    ctx.expect(rc == 0 and not any(e in ("runtime-panic", "runtime-hang", "crash-loop", "unclean-reset", "panic")
                                   for e in events),
               f"a clean reboot or a power cut was counted: {events}", boots[2])
    ctx.expect(events.count("blessed") >= 2, f"the journal lacks the blessings: {events}", boots[2])
    rc, st = ctx.one_json(boots[2], "status")
    p = [s for s in st["slots"] if s["name"] == "primary"][0]
    ctx.expect(p["tries_left"] == 3 and "failed-hard" not in p["flags"],
               f"primary lost something to a reboot or a power cut: {p}", boots[2])
