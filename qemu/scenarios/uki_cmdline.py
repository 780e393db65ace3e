"""`efi` slots holding unified kernel images (systemd-stub + objcopy, as Debian 12 can
build them): the UKI's embedded command line reaches the kernel with the slot's options
and the watchdog's arguments after it, and a UKI that hangs is reset by the watchdog and
counted like any kernel."""
import os

from wdqemu import guest, uki

NAME = "uki_cmdline"
TIMEOUT = 200
SUMMARY = "UKI slots keep their embedded command line (+ options + watchdog args); a hanging UKI fails over"

GOOD_CMDLINE = ("console=ttyS0 quiet panic=0 wdtest.slot=fallback "
                "wdtest.action=cmdline,watchdog,bless,dump,poweroff")
HANG_CMDLINE = "console=ttyS0 quiet panic=0 wdtest.slot=primary"


def run(ctx):
    conf = "\n".join([
        "# written by the wdboot QEMU tests",
        "timeout 25", "tries 3", "watchdog i6300esb", "on-exhausted last-good", "",
        "slot primary", "  efi \\wdtest\\uki-hang.efi", "  tries 1", "",
        "slot fallback", "  efi \\wdtest\\uki-good.efi", "  options wdtest.extra=from-options", ""])
    d = ctx.make_disk(conf, variants=())
    kernel = os.path.join(ctx.images, "vmlinuz")
    for name, initrd, cmdline in (("uki-hang.efi", "initrd-hang.img", HANG_CMDLINE),
                                  ("uki-good.efi", "initrd-good.img", GOOD_CMDLINE)):
        path = uki.build(os.path.join(ctx.dir, name), kernel, os.path.join(ctx.images, initrd), cmdline, ctx.dir)
        d.put_file(f"wdtest/{name}", path)

    with ctx.vm(130) as v:
        v.wait_for(r"WDTEST: powering off", 120)
        v.wait_exit(20)
    boots = ctx.boots(v)
    ctx.expect(len(boots) == 2, f"expected a hanging primary boot and a fallback boot, got {len(boots)} boots")
    hang, good = boots

    # The hanging UKI got its embedded command line (else it would not know its slot)
    # and the watchdog ran in it.
    ctx.expect(any(r"uki-hang.efi is a unified kernel image: its embedded command line is kept" in t
                   for t in hang.texts()), "wdboot did not recognise the UKI", hang)
    ctx.expect(hang.userspace_slot == "primary",
               f"the hanging UKI did not see its embedded wdtest.slot (saw {hang.userspace_slot})", hang)
    ctx.expect(hang.watchdog_enabled() is True, "the i6300esb is not running in the UKI's kernel", hang)
    ctx.expect(len(v.events_named("WATCHDOG")) == 1, "QEMU did not see the watchdog expire once")

    ctx.expect_decision(good, r'^slot "primary" failed \(watchdog reset, attempt 1/1\) -> booting "fallback"',
                        "fallback boot")
    ctx.expect(good.userspace_slot == "fallback", "the fallback UKI did not reach userspace", good)
    lines = good.all(r"^WDTEST-CMDLINE (.*)$")
    ctx.expect(lines, "the guest printed no command line", good)
    words = lines[-1].group(1).split()
    want = GOOD_CMDLINE.split() + ["wdtest.extra=from-options", "modprobe.blacklist=i6300esb"]
    ctx.expect(words == want, f"the kernel's command line is {words}, expected {want}", good)
    ctx.expect(good.watchdog_enabled() is True, "the i6300esb is not running in the fallback UKI", good)
    ctx.expect(good.tool_status("BLESS") == "ok", f"bless failed: {good.tool_status('BLESS')}", good)
    st = good.last_state()
    f = guest.slot(st, "fallback")
    ctx.expect(f["good"] and f["last_outcome"] == "blessed", f"fallback not blessed: {f}", good)
