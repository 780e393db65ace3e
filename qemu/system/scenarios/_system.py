"""Shared pieces of the full-system tier: slots booting the Debian rootfs (partition 2)
with its own kernel and initrd, the VM size, and reading the guest's report."""
from wdsys.context import config, stanza

IMAGES = ("vmlinuz", "initrd.img", "root.ext4")
INITRD = "\\wdsys\\initrd.img"
MEMORY_MIB = 1024
# wdboot's watchdog timeout: covers firmware hand-off, kernel, initrd and systemd up to
# wdboot-bless.service. Under TCG that took 13 s from arming to the blessing (minbase
# system, both cores busy), but 35-45 s with two other guests booting beside it, and
# once more than 60 s (a good fallback boot was reset before its blessing in a CI run,
# 2026-11-30); 90 s keeps good boots from being reset on a loaded machine while a failed
# boot costs a minute and a half.
WATCHDOG_S = 90


def slot(name, test, stay=0, tries=None, health_fail=False, extra=""):
    opts = (f"root=/dev/vda2 rw console=ttyS0 quiet loglevel=3 wdsys.test={test} wdsys.stay={stay}"
            + (" wdsys.health=fail" if health_fail else "") + (f" {extra}" if extra else ""))
    return stanza(name, INITRD, opts, tries=tries)


def system_config(stanzas, timeout=WATCHDOG_S, watchdog="i6300esb"):
    return config(stanzas, timeout=timeout, watchdog=watchdog)


def report(ctx, boot, what):
    """The guest's `WDSYS: report` line as a dict (bless, boot-complete, uptime, ...)."""
    _, m = boot.first(r"^WDSYS: report (.*)$")
    ctx.expect(m is not None, f"{what}: the guest printed no report (wdsys-report.service did not run)", boot)
    return dict(kv.split("=", 1) for kv in m.group(1).split())


def armed_at(ctx, boot, slot_name):
    """Host time of wdboot's decision to boot slot_name (the watchdog is armed then)."""
    t, _ = boot.first(rf'^wdboot: .*booting "{slot_name}"')
    ctx.expect(t is not None, f"wdboot did not decide to boot {slot_name}", boot)
    return t


def hardware_enabled(ctx, boot):
    """The i6300esb enable bits the guest read from PCI config space, in order."""
    bits = [m.group(1) == "1" for m in boot.all(r"^WDSYS-HW i6300esb \S+ enabled=(\d)$")]
    ctx.expect(bits, "the guest found no i6300esb in PCI config space", boot)
    return bits
