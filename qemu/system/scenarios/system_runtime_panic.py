"""Full-system tier, issue 9 (a) and (c): a blessed Debian boot that panics at run time
(efi_pstore loaded, `echo c > /proc/sysrq-trigger`) reboots by itself (wdboot adds
panic=5) and the same slot comes back; wdboot's journal says runtime-panic with the
crashed boot's id. The slot panics after every blessing: the third runtime panic within
24 hours is a crash loop, the fallback boots and is blessed, and the journal and status
say why."""
import re

from _system import IMAGES, MEMORY_MIB, report, slot, system_config  # noqa: F401

# No boot here is meant to fail before its blessing: a long watchdog timeout keeps a
# slow boot on a loaded machine from being reset (the watchdog is stopped once blessed).
SLOW_BOOT_S = 180

NAME = "runtime_panic"
LABEL = "system"
TIMEOUT = 900
SUMMARY = "runtime panics: the same slot comes back; the third within 24 h demotes it to the fallback"


def log_entries(ctx, boot):
    rc, doc = ctx.one_json(boot, "log")
    ctx.expect(rc == 0 and isinstance(doc, list), f"wdbootctl --json log failed (rc {rc}): {doc}", boot)
    return doc


def run(ctx):
    ctx.make_system_disk(system_config([slot("primary", "crash"), slot("fallback", "bless", stay=0)], timeout=SLOW_BOOT_S))
    with ctx.vm(TIMEOUT - 30, memory_mib=MEMORY_MIB) as v:
        v.wait_for(r"^WDSYS: powering off", TIMEOUT - 60)
        v.wait_exit(60)
    boots = ctx.boots(v)
    banners = ctx.banners(v)
    ctx.expect(len(boots) == 4 and len(banners) == 4,
               f"expected 3 panics, then the fallback: {len(boots)} boots, {len(banners)} wdboot banners", boots[-1])
    ctx.expect(not v.events_named("WATCHDOG"),
               f"the watchdog fired ({len(v.events_named('WATCHDOG'))}): the panics should reboot by panic=5")

    ids = []
    for i, b in enumerate(boots[:3]):
        want = r'^booting "primary" \(tries 3/3\)' if i == 0 else \
               rf'^blessed slot "primary" crashed at run time \(kernel panic, {i} of 3 within 24 h\)'
        ctx.expect_decision(b, want, f"boot {i + 1}")
        r = report(ctx, b, f"boot {i + 1}")
        ctx.expect(r["bless"] == "active", f"boot {i + 1} was not blessed: {r}", b)
        _, c = b.first(r"^WDSYS-CMDLINE (.*)$")
        ctx.expect(c is not None and "panic=5" in c.group(1).split(),
                   f"wdboot did not add panic=5: {c.group(1) if c else None}", b)
        _, m = b.first(r"^WDSYS: efi-pstore (\d) panicking")
        ctx.expect(m is not None and m.group(1) == "1", "efi_pstore was not loaded before the panic", b)
        _, p = b.first(r"Kernel panic - not syncing")
        ctx.expect(p is not None, f"boot {i + 1}: no kernel panic on the console", b)
        rc, st = ctx.one_json(b, "status")
        ids.append(st["booted"]["boot_id"])
        if i > 0:
            # (a) the journal names the previous boot's runtime panic.
            entries = log_entries(ctx, b)
            rp = [e for e in entries if e["event"] == "runtime-panic"]
            ctx.expect(rp and rp[0]["boot_id"] == ids[i - 1] and rp[0]["slot"] == "primary"
                       and rp[0]["detail"] == i,
                       f"boot {i + 1}: no runtime-panic entry for boot {ids[i - 1]} with count {i}: {rp[:2]}", b)
            # ... and `log` shows that panic's text (archived by wdboot-pstore.service).
            panic = rp[0].get("panic") or {}
            lines = panic.get("lines") or []
            ctx.expect(any("Kernel panic - not syncing: sysrq triggered crash" in l for l in lines)
                       and any("sysrq" in l.lower() for l in lines[:-1]),
                       f"boot {i + 1}: wdbootctl log shows no panic text for boot {ids[i - 1]}: {panic}", b)
            ctx.expect(b.first(r"^WDSYS-LOG .*Kernel panic - not syncing: sysrq triggered crash")[1] is not None,
                       f"boot {i + 1}: `wdbootctl log` (text) does not show the panic line", b)
            ctx.expect(not any(e["event"] in ("unclean-reset", "watchdog-reset", "runtime-hang") for e in entries),
                       f"a runtime panic was journalled as something else: {[e['event'] for e in entries]}", b)

    # Recovery time: the panic on the console -> the same slot back in userspace.
    for i in range(2):
        t_panic, _ = boots[i].first(r"Kernel panic - not syncing")
        t_back, _ = boots[i + 1].first(r"^WDSYS: report ")
        t_banner, _ = boots[i + 1].first(r"^wdboot \d+\.\d+")
        ctx.say(f"runtime panic {i + 1}: wdboot ran {t_banner - t_panic:.1f} s after the panic, "
                f"userspace reported {t_back - t_panic:.1f} s after it")

    last = boots[3]
    ctx.expect_decision(last, r'^blessed slot "primary" crashed at run time \(kernel panic, 3 within 24 h\): '
                              r'crash loop, it loses its tries$', "boot 4")
    ctx.expect_decision(last, r'^booting "fallback" \(tries 3/3\); skipped "primary" \(no tries left\)', "boot 4")
    r = report(ctx, last, "fallback boot")
    ctx.expect(r["bless"] == "active", f"the fallback was not blessed: {r}", last)
    entries = log_entries(ctx, last)
    loop = [e for e in entries if e["event"] == "crash-loop"]
    ctx.expect(loop and loop[0]["slot"] == "primary" and loop[0]["boot_id"] == ids[2] and loop[0]["detail"] == 3,
               f"no crash-loop entry for primary's boot {ids[2]}: {loop}", last)
    rc, st = ctx.one_json(last, "status")
    p = [s for s in st["slots"] if s["name"] == "primary"][0]
    ctx.expect(p["tries_left"] == 0 and "failed-hard" in p["flags"] and st["booted"]["slot"] == "fallback",
               f"status after the crash loop: primary {p}, booted {st['booted']}", last)
    ctx.say(f"crash loop: fallback booted after 3 runtime panics of boots {ids}")
