"""Full-system tier, issue 4 (c): `wdbootctl install` inside the guest (ESP mounted at
/boot/efi) copies wdboot, writes a config with the running kernel as primary and creates
a Boot#### entry with efibootmgr, first in BootOrder. The host then deletes the
removable-media loader \\EFI\\BOOT\\BOOTX64.EFI, so the next boot can only come through
that entry: BootCurrent must be the new entry and LoaderImageIdentifier wdboot's path."""
import re

from _system import IMAGES, MEMORY_MIB, report, slot, system_config  # noqa: F401

NAME = "install"
LABEL = "system"
TIMEOUT = 420
SUMMARY = "wdbootctl install in the guest creates the boot entry that the next boot uses"

INSTALL_TIMEOUT_S = 90  # guest/wdsys-report runs install --timeout 90


def run(ctx):
    d = ctx.make_system_disk(system_config([slot("primary", "install"), slot("fallback", "install")]))
    with ctx.vm(180, label="install", memory_mib=MEMORY_MIB) as v:
        v.wait_for(r"^WDSYS: powering off", 170)
        v.wait_exit(60)
    (b,) = ctx.boots(v)
    ctx.expect(report(ctx, b, "install boot")["bless"] == "active", "the install boot was not blessed", b)
    rc, inst = ctx.one_json(b, "install")
    ctx.expect(rc == 0 and inst is not None, f"wdbootctl install failed with {rc}: {inst}", b)
    bootnum = inst["bootnum"]
    ctx.expect(re.fullmatch(r"[0-9A-F]{4}", bootnum or "") and inst["bootorder"][:1] == [bootnum],
               f"install did not put its entry first in BootOrder: {inst}", b)
    ctx.expect(inst["esp"] == "/boot/efi", f"install used another ESP: {inst}", b)
    order = b.first(r"^WDSYS-EFIBOOTMGR BootOrder: (\S+)")[1]
    ctx.expect(order is not None and order.group(1).split(",")[0] == bootnum,
               f"efibootmgr's BootOrder does not start with Boot{bootnum}: "
               f"{order.group(0) if order else None}", b)
    conf = d.get("EFI/wdboot/wdboot.conf").decode()
    kver = report(ctx, b, "install boot")["kernel"]
    ctx.expect(re.search(rf"^timeout {INSTALL_TIMEOUT_S}$", conf, re.M)
               and re.search(rf"^slot primary\n\s+linux \\EFI\\wdboot\\kernels\\{re.escape(kver)}\\vmlinuz$",
                             conf, re.M),
               f"install's wdboot.conf does not boot the running kernel {kver} as primary:\n{conf}", b)

    # Only the boot entry can start wdboot now.
    d.remove("EFI/BOOT/BOOTX64.EFI")
    with ctx.vm(180, label="after-install", memory_mib=MEMORY_MIB) as v2:
        v2.wait_for(r"^WDSYS: powering off", 170)
        v2.wait_exit(60)
    boots = ctx.boots(v2)
    ctx.expect(len(boots) == 1 and len(ctx.banners(v2)) == 1,
               f"the boot after install was reset or did not go through wdboot once: {len(boots)} boots, "
               f"{ctx.banners(v2)}", boots[-1])
    (n,) = boots
    ctx.expect_decision(n, r'^booting "primary" \(tries \d/\d\)', "boot through the new entry")
    _, m = n.first(r"^WDSYS: started-by BootCurrent=(\S*) LoaderImageIdentifier=(.*)$")
    ctx.expect(m is not None, "the guest did not report how it was started", n)
    ctx.expect(m.group(1).upper() == bootnum,
               f"BootCurrent is {m.group(1)!r}, not the entry install created ({bootnum})", n)
    cur = n.first(r"^WDSYS-EFIBOOTMGR BootCurrent: (\S+)")[1]
    ctx.expect(cur is not None and cur.group(1) == bootnum,
               f"efibootmgr says BootCurrent {cur.group(1) if cur else None}, not {bootnum}", n)
    ctx.expect(m.group(2).strip().lower() == "\\efi\\wdboot\\wdbootx64.efi",
               f"LoaderImageIdentifier is {m.group(2)!r}, not wdboot's installed path", n)
    r = report(ctx, n, "boot through the new entry")
    ctx.expect(r["bless"] == "active", f"the boot through the new entry was not blessed: {r}", n)
    rc, st = ctx.one_json(n, "status")
    # timeout 90 exists only in the config install wrote (the test's says 60).
    ctx.expect(st["booted"]["slot"] == "primary" and st["booted"]["blessed"]
               and st["watchdog"]["armed"] is False and st["watchdog"]["timeout"] == INSTALL_TIMEOUT_S,
               f"status after install: {st['booted']}, {st['watchdog']}", n)
    ctx.say(f"boot {bootnum} created by wdbootctl install started wdboot ({m.group(2).strip()})")
