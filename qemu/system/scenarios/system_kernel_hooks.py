"""Full-system tier, issue 10's proof: a Debian 12 guest without wdboot installs the wdboot
package (no boot entry changes), runs `wdbootctl install`, then installs a kernel package
that cannot boot (its modules are missing, so its initramfs never finds the root disk).
The package's hook makes it a one-shot trial; it fails (its initramfs reboots by the
panic= wdboot adds, or the watchdog resets it), the previous kernel boots, and status and
log name the failed kernel and why. A good kernel package
next: trial, blessed, promoted to the default, and with `keep = 2` the broken kernel is
pruned. `systemctl reboot --boot-loader-entry=primary` (logind) boots the old kernel once;
there wdboot's Boot#### is deleted with efibootmgr, so the promoted default returns
through the removable media path, and its blessing re-creates the entry first in
BootOrder. Guest side: guest/wdsys-kernel (one step per boot); the kernel
packages: make-kernel-debs; the image: make-rootimg --deb."""
import re

from _system import MEMORY_MIB, report, slot, system_config

IMAGES = ("vmlinuz", "initrd.img", "root.ext4")
NAME = "kernel_hooks"
LABEL = "system"
ASSETS = "deb"
TIMEOUT = 1500
# Outside scripts/dev test (label slow), for CI's time: 6.5-10 minutes of one VM, and the
# package's own image (system.deb_assets). CI keeps its parts: the package build and
# lintian, the hooks on the host (hooks.scripts), the one-shot entry in the loader
# (qemu.loader_oneshot) and the entry's healing (the agent's unit tests).
DEFAULT_RUN = False
SUMMARY = "a broken kernel package is a trial that fails back; a good one is promoted; BLI one-shot; the entry heals"

# The test's first boot (through the harness's own loader) installs packages before
# anything blesses it: a long timeout. From `install --timeout 90` on, 90 s.
FIRST_BOOT_S = 400
INSTALL_TIMEOUT_S = 90
BROKEN = "6.1.99-broken"
GOOD = "6.1.99-good"


def ran(ctx, boot, name):
    """(exit code, output lines) of a `run NAME ...` in guest/wdsys-kernel."""
    _, m = boot.first(rf"^WDSYS: ran {re.escape(name)} rc=(\d+)$")
    ctx.expect(m is not None, f"the guest did not run {name}", boot)
    out = [g.group(1) for g in boot.all(rf"^WDSYS-RUN {re.escape(name)} (.*)$")]
    return int(m.group(1)), out


def ran_ok(ctx, boot, name):
    rc, out = ran(ctx, boot, name)
    ctx.expect(rc == 0, f"{name} failed with {rc}:\n  " + "\n  ".join(out[-20:]), boot)
    return out


def status(ctx, boot, name="status"):
    rc, st = ctx.one_json(boot, name)
    ctx.expect(rc == 0 and st is not None, f"wdbootctl --json status ({name}) failed with {rc}", boot)
    return st


def slot_of(st, name):
    return next((s for s in st["slots"] if s["name"] == name), None)


def boot_entries(lines):
    """efibootmgr's output as (BootOrder list, {num: label})."""
    order, labels = [], {}
    for text in lines:
        m = re.match(r"^BootOrder: (\S+)", text)
        if m:
            order = m.group(1).split(",")
        m = re.match(r"^Boot([0-9A-F]{4})\*? (.*?)(\t|$)", text)
        if m:
            labels[m.group(1)] = m.group(2).strip()
    return order, labels


def blessed(ctx, boot, what):
    r = report(ctx, boot, what)
    ctx.expect(r["bless"] == "active", f"{what}: not blessed: {r}", boot)


def run(ctx):
    ctx.make_system_disk(system_config([slot("primary", "kernel")], timeout=FIRST_BOOT_S))
    with ctx.vm(TIMEOUT - 60, memory_mib=MEMORY_MIB) as v:
        v.wait_for(r"^WDSYS: powering off", TIMEOUT - 90)
        v.wait_exit(60)
    boots = ctx.boots(v)
    steps = [b.first(r"^WDSYS: kernel step=(\d+)")[1] for b in boots]
    ctx.expect(len(boots) == 6 and [s.group(1) if s else None for s in steps] == ["0", None, "1", "2", "3", "4"],
               f"expected 6 boots (step 0, the broken trial, steps 1-4), got {len(boots)}: "
               f"{[s.group(1) if s else None for s in steps]}", boots[-1])
    b0, broken, b1, b2, b3, b4 = boots

    # --- step 0: the package, install, the broken kernel ------------------------------
    ran_ok(ctx, b0, "dpkg-wdboot")
    _, before = ran(ctx, b0, "efibootmgr-before")
    _, after = ran(ctx, b0, "efibootmgr-after-package")
    ctx.expect(boot_entries(before) == boot_entries(after),
               f"installing the package changed the boot entries:\n  {before}\n  {after}", b0)
    ctx.expect(ran_ok(ctx, b0, "bless-enabled") == ["enabled"], "the package did not enable wdboot-bless.service", b0)
    rc, inst = ctx.one_json(b0, "install")
    ctx.expect(rc == 0 and inst and re.fullmatch(r"[0-9A-F]{4}", inst["bootnum"] or ""),
               f"wdbootctl install failed with {rc}: {inst}", b0)
    bootnum = inst["bootnum"]
    ran_ok(ctx, b0, "mark-good")
    out = ran_ok(ctx, b0, "dpkg-broken")
    ctx.expect(any(f'slot "{BROKEN}" added (trial)' in line for line in out),
               f"the kernel package's hook did not make {BROKEN} a trial:\n  " + "\n  ".join(out), b0)
    st = status(ctx, b0, "status-trial")
    ctx.expect(st["trial"] == BROKEN, f"no pending trial of {BROKEN}: trial={st['trial']}", b0)

    # --- the broken trial: no root disk ------------------------------------------------
    # initramfs-tools gives up on the root disk after its rootdelay (30 s) and, with the
    # panic= wdboot adds, reboots by itself ("Rebooting automatically due to panic= boot
    # argument"): a reset without a blessing. Had it hung instead, the watchdog would
    # have reset it INSTALL_TIMEOUT_S after arming. Either is a counted failure of the
    # trial; which one happened is checked against what QEMU saw.
    ctx.expect_decision(broken, rf'^booting trial "{re.escape(BROKEN)}" \(tries 1 left\)', "the broken kernel's boot")
    ctx.expect(broken.first(r"^WDSYS: report")[1] is None, "the broken kernel reached userspace", broken)
    t_arm, _ = broken.first(rf'^wdboot: .*booting trial "{re.escape(BROKEN)}"')
    t_next, _ = b1.first(r"^wdboot \d+\.\d+")
    watchdog_resets = len(v.events_named("WATCHDOG"))
    ctx.expect(watchdog_resets <= 1, f"QEMU saw {watchdog_resets} watchdog resets; only the broken trial may have one")
    cause, event = ("watchdog reset", "watchdog-reset") if watchdog_resets else ("reset without blessing", "unclean-reset")
    gave_up = broken.first(r"Gave up waiting for root file system device")[1] is not None
    ctx.say(f"broken trial: its initramfs {'gave up on the root disk' if gave_up else 'never found the root disk'}; "
            f"{cause} {t_next - t_arm:.0f} s after wdboot armed the watchdog (timeout {INSTALL_TIMEOUT_S} s)")

    # --- step 1: the default again; status and log name the kernel and why -------------
    ctx.expect_decision(b1, rf'^slot "{re.escape(BROKEN)}" failed \({cause}, trial, 0 tries left\) -> '
                            r'booting "primary"', "the boot after the broken trial")
    blessed(ctx, b1, "the boot after the broken trial")
    st = status(ctx, b1)
    lf = st["last_failure"] or {}
    ctx.expect(lf.get("slot") == BROKEN and lf.get("event") == event,
               f"status's last_failure does not name {BROKEN} and {event}: {lf}", b1)
    bs = slot_of(st, BROKEN)
    ctx.expect(bs is not None and bs["tries_left"] == 0,
               f"status: slot {BROKEN} is {bs}", b1)
    log = ran_ok(ctx, b1, "log")
    ctx.expect(any(re.search(rf"\b{re.escape(BROKEN)}\s+{event}\b", line) for line in log),
               f"wdbootctl log does not name {BROKEN}'s {event}:\n  " + "\n  ".join(log), b1)
    out = ran_ok(ctx, b1, "dpkg-good")
    ctx.expect(any(f'slot "{GOOD}" added (trial)' in line for line in out),
               f"the hook did not make {GOOD} a trial:\n  " + "\n  ".join(out), b1)

    # --- step 2: trial blessed, promoted, the broken kernel pruned; bootctl -----------
    ctx.expect_decision(b2, rf'^booting trial "{re.escape(GOOD)}" \(tries 1 left\)', "the good kernel's trial")
    blessed(ctx, b2, "the good kernel's trial")
    bless_log = [m.group(1) for m in b2.all(r"^WDSYS-BLESS-LOG (.*)$")]
    ctx.expect(any(f'pruned slot "{BROKEN}"' in line for line in bless_log),
               f"the blessing did not prune {BROKEN} (keep 2):\n  " + "\n  ".join(bless_log), b2)
    st = status(ctx, b2)
    ctx.expect(st["default"] == GOOD and st["booted"]["slot"] == GOOD and st["booted"]["blessed"],
               f"{GOOD} was not promoted: default {st['default']}, booted {st['booted']}", b2)
    names = [s["name"] for s in st["slots"]]
    ctx.expect(BROKEN not in names, f"{BROKEN} is still a slot: {names}", b2)
    conf_slots = [m.group(1) for m in b2.all(r"^WDSYS-CONF slot (\S+)")]
    ctx.expect(conf_slots == [GOOD, "primary"],
               f"wdboot.conf's order after the promotion is {conf_slots}, not the new kernel then the old", b2)
    _, esp = b2.first(r"^WDSYS-ESP-KERNELS (.*)$")
    ctx.expect(esp is not None and BROKEN not in esp.group(1).split() and GOOD in esp.group(1).split(),
               f"the ESP's kernels after pruning: {esp.group(1) if esp else None}", b2)
    bc = ran_ok(ctx, b2, "bootctl-status")
    ctx.expect(any(re.search(r"Product: wdboot", line) for line in bc),
               "bootctl status does not show wdboot as the boot loader:\n  " + "\n  ".join(bc), b2)
    bl = ran_ok(ctx, b2, "bootctl-list")
    for name in (GOOD, "primary"):
        ctx.expect(any(re.search(rf"\b{re.escape(name)}\b", line) for line in bl),
                   f"bootctl list does not show slot {name}:\n  " + "\n  ".join(bl), b2)
    ran_ok(ctx, b2, "reboot-entry")

    # --- step 3: primary once, by LoaderEntryOneShot; the entry is deleted -------------
    ctx.expect_decision(b3, r'^LoaderEntryOneShot = "primary": one-shot trial of "primary"', "the one-shot boot")
    ctx.expect_decision(b3, r'^booting trial "primary" \(tries 1 left\)', "the one-shot boot")
    blessed(ctx, b3, "the one-shot boot")
    st = status(ctx, b3)
    ctx.expect(st["booted"]["slot"] == "primary" and st["default"] == GOOD,
               f"the one-shot boot: booted {st['booted']}, default {st['default']} (a one-shot is never promoted)", b3)

    _, deleted = boot_entries(ran_ok(ctx, b3, "efibootmgr-delete"))
    ctx.expect(bootnum not in deleted, f"efibootmgr -B did not delete Boot{bootnum}: {deleted}", b3)

    # --- step 4: the default returns, through the removable path; the entry heals ----
    ctx.expect_decision(b4, rf'^booting "{re.escape(GOOD)}" \(tries 3/3\)', "the boot after the one-shot")
    blessed(ctx, b4, "the boot after the one-shot")
    _, cur = b4.first(r"^WDSYS: started-by BootCurrent=(\S*)")
    ctx.expect(cur is not None and cur.group(1).upper() != bootnum,
               f"the boot after the deletion came through Boot{bootnum} anyway", b4)
    bless_log = [m.group(1) for m in b4.all(r"^WDSYS-BLESS-LOG (.*)$")]
    ctx.expect(any("boot entry repaired" in line for line in bless_log),
               "the blessing did not say it repaired the boot entry:\n  " + "\n  ".join(bless_log), b4)
    order, labels = boot_entries(ran_ok(ctx, b4, "efibootmgr-healed"))
    ctx.expect(order and labels.get(order[0]) == "wdboot",
               f"after the blessing the first entry of BootOrder {order} is not wdboot's: {labels}", b4)
    ctx.say(f"Boot{bootnum} deleted; the blessing re-created it as Boot{order[0]}, first in BootOrder; "
            f"the boot came through Boot{cur.group(1)}")
