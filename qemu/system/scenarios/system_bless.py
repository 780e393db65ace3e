"""Full-system tier, issue 4 (a): Debian 12 with systemd booted by wdboot from an ext4
root partition reaches boot-complete.target; wdboot-bless.service runs the health checks
and `wdbootctl mark-good`, which blesses the boot and disarms the i6300esb; the guest then
stays up well past the watchdog timeout without a reset."""
import re

from _system import (IMAGES, MEMORY_MIB, WATCHDOG_S, armed_at, hardware_enabled, report, slot,  # noqa: F401
                     system_config)

NAME = "bless"
LABEL = "system"
TIMEOUT = 420
SUMMARY = "systemd reaches boot-complete, wdboot-bless.service blesses and disarms, no reset"

# After the report: alive past the timeout even if the boot itself was quick.
STAY_S = WATCHDOG_S + 15


def run(ctx):
    ctx.make_system_disk(system_config([slot("primary", "bless", stay=STAY_S), slot("fallback", "bless")]))
    with ctx.vm(TIMEOUT - 30, memory_mib=MEMORY_MIB) as v:
        v.wait_for(r"^WDSYS: powering off", TIMEOUT - 60)
        v.wait_exit(60)
    boots = ctx.boots(v)
    banners = ctx.banners(v)
    ctx.expect(len(banners) == 1 and len(boots) == 1 and not v.events_named("WATCHDOG"),
               f"the system was reset although it was blessed: {len(banners)} wdboot banners, "
               f"{len(v.events_named('WATCHDOG'))} watchdog expiries", boots[-1])
    (b,) = boots
    ctx.expect_decision(b, r'^booting "primary" \(tries 3/3\)', "the boot")
    t_armed = armed_at(ctx, b, "primary")
    r = report(ctx, b, "the boot")
    ctx.expect(r["boot-complete"] == "active" and r["bless"] == "active",
               f"boot-complete.target / wdboot-bless.service not active: {r}", b)
    t_report, _ = b.first(r"^WDSYS: report ")
    ctx.say(f"wdboot-bless.service done {t_report - t_armed:.1f} s after wdboot armed the watchdog "
            f"(guest uptime {r['uptime']} s)")
    # systemd recognises wdboot through the Boot Loader Interface variables: it took the
    # firmware and loader timestamps (what systemd-analyze prints as "(firmware)" and
    # "(loader)"); the variables bootctl reports are there and name wdboot and the slot.
    loader = b.all(r"^WDSYS-LOADER FirmwareTimestampMonotonic=(\d+) LoaderTimestampMonotonic=(\d+)")
    ctx.expect(loader and int(loader[0].group(1)) > 0 and int(loader[0].group(2)) > 0,
               f"systemd has no firmware/loader timestamps (LoaderTimeInitUSec/ExecUSec): "
               f"{[m.group(0) for m in loader]}", b)
    bli = {m.group(1): m.group(2) for m in b.all(r"^WDSYS-BLI (\w+)=(.*)$")}
    ctx.expect(bli.get("LoaderInfo", "").startswith("wdboot ") and bli.get("LoaderEntrySelected") == "primary"
               and bli.get("LoaderFirmwareType", "").startswith("UEFI"),
               f"Boot Loader Interface variables as the OS sees them: {bli}", b)
    log = [m.group(1) for m in b.all(r"^WDSYS-BLESS-LOG (.*)$")]
    ctx.expect(any("health check: ok" in l for l in log),
               f"wdboot-bless.service ran no health check: {log}", b)
    # mark-good says how much of the watchdog timeout the boot used (the guest kernel's
    # CLOCK_BOOTTIME), and warns past 3/4 of it (docs/agent.md, "Margin to the deadline").
    used = [re.search(r'^blessed boot \d+ of slot "primary", ([\d.]+) s into its (\d+) s watchdog timeout$', l)
            for l in log]
    used = [m for m in used if m]
    ctx.expect(len(used) == 1 and int(used[0].group(2)) == WATCHDOG_S,
               f"mark-good did not say how much of the {WATCHDOG_S} s timeout the boot used: {log}", b)
    elapsed = float(used[0].group(1))
    # The guest's clock starts after the arming: never more than the host saw, give or take.
    ctx.expect(0 < elapsed <= t_report - t_armed + 2,
               f"mark-good's {elapsed} s is not within the {t_report - t_armed:.1f} s from the arming to the "
               f"report", b)
    warned = any("warning: the watchdog was stopped" in l for l in log)
    ctx.expect(warned == (elapsed > WATCHDOG_S * 0.75) or abs(elapsed - WATCHDOG_S * 0.75) <= 0.1,
               f"blessed {elapsed} s into a {WATCHDOG_S} s timeout, warning {'given' if warned else 'missing'}: "
               f"{log}", b)
    ctx.say(f"mark-good: {elapsed} s of the {WATCHDOG_S} s timeout used" + (" (warned)" if warned else ""))

    rc, st = ctx.one_json(b, "status")
    ctx.expect(rc == 0 and st["booted"]["slot"] == "primary" and st["booted"]["blessed"] is True,
               f"status does not show primary blessed (rc {rc}): {st.get('booted') if st else st}", b)
    wd = st["watchdog"]
    ctx.expect(wd["driver"] == "i6300esb" and wd["armed"] is False and wd["state"] == "inactive"
               and wd["timeout"] == WATCHDOG_S,
               f"status does not show the watchdog disarmed: {wd}", b)
    p = [s for s in st["slots"] if s["name"] == "primary"][0]
    ctx.expect("good" in p["flags"] and p["tries_left"] == 3 and st["attempt"] is None,
               f"primary not good with its tries restored: {p}, attempt {st['attempt']}", b)

    t_alive, _ = b.first(r"^WDSYS: still alive")
    lived = t_alive - t_armed
    ctx.expect(lived >= WATCHDOG_S + 15,
               f"the guest was alive only {lived:.1f} s after arming the {WATCHDOG_S} s watchdog", b)
    rc, late = ctx.one_json(b, "status-late")
    ctx.expect(rc == 0 and late["watchdog"]["armed"] is False and late["booted"]["blessed"],
               f"status after the timeout: {late}", b)
    ctx.expect(hardware_enabled(ctx, b) == [False, False],
               f"the i6300esb enable bit is still set after the blessing: {hardware_enabled(ctx, b)}", b)
    ctx.say(f"alive {lived:.1f} s after arming a {WATCHDOG_S} s watchdog, no reset")
