"""Secure Boot under OVMF's secboot build with Debian's snakeoil keys enrolled (PK, KEK,
db): a signed wdboot, in its default strict policy, refuses a plain kernel that would
take its options and initrd from the unsigned wdboot.conf (load-failed, secure-boot-policy),
gets an unsigned UKI and Debian's kernel (signed by Debian, not by db) refused by the
firmware (load-failed, security violation: access denied), and
boots the signed UKI — its kernel re-signed with the snakeoil key — in the same boot,
without the `options init=/bin/sh` the config adds, and says so. Then an unsigned wdboot
is refused by the firmware itself and never runs. docs/secure-boot.md."""
import os

from wdqemu import guest, signing, uki

NAME = "secure_boot"
TIMEOUT = 260
SUMMARY = "Secure Boot: strict policy, an unsigned UKI refused with the fallback in the same boot, unsigned wdboot refused"

# Embedded in the signed UKI; under Secure Boot systemd-stub ignores load options, so this
# is all the kernel gets, and it carries the watchdog's argument itself.
SIGNED_CMDLINE = ("console=ttyS0 quiet panic=0 wdtest.slot=signed "
                  "wdtest.action=cmdline,secureboot,watchdog,bless,dump,poweroff modprobe.blacklist=i6300esb")
UNSIGNED_CMDLINE = "console=ttyS0 quiet panic=0 wdtest.slot=unsigned wdtest.action=dump,poweroff"


# OVMF's boot manager when db does not hold the removable-media loader's signer.
UNSIGNED_LOADER_REFUSED = r'BdsDxe: failed to load Boot\d+ .*: Access Denied'


def run(ctx):
    ctx.secure_boot = True
    key = signing.plain_key(ctx.dir)
    conf = "\n".join([
        "# written by the wdboot QEMU tests", "timeout 25", "tries 3", "watchdog i6300esb",
        "on-exhausted last-good", "",
        # A signed plain kernel, but its command line and initrd would come from this file.
        "slot plain", "  linux \\wdtest\\vmlinuz-signed", "  initrd \\wdtest\\initrd-good.img",
        "  options console=ttyS0 panic=0 wdtest.slot=plain wdtest.action=dump,poweroff", "",
        "slot unsigned", "  efi \\wdtest\\uki-unsigned.efi", "",
        # Debian's kernel as packaged: signed by Debian's CA, which db does not hold (shim
        # does: secure_boot_shim), and given nothing from this file.
        "slot debian", "  linux \\wdtest\\vmlinuz", "",
        "slot signed", "  efi \\wdtest\\uki-signed.efi", "  options init=/bin/sh", ""])
    d = ctx.make_disk(conf, variants=("good",), loader=signing.signed_loader(ctx))
    kernel = signing.sign(os.path.join(ctx.images, "vmlinuz"), os.path.join(ctx.dir, "vmlinuz-signed"), key=key)
    d.put_file("wdtest/vmlinuz-signed", kernel)
    good = os.path.join(ctx.images, "initrd-good.img")
    unsigned = uki.build(os.path.join(ctx.dir, "uki-unsigned.efi"), kernel, good, UNSIGNED_CMDLINE, ctx.dir)
    d.put_file("wdtest/uki-unsigned.efi", unsigned)
    signed = uki.build(os.path.join(ctx.dir, "uki-built.efi"), kernel, good, SIGNED_CMDLINE, ctx.dir)
    d.put_file("wdtest/uki-signed.efi", signing.sign(signed, os.path.join(ctx.dir, "uki-signed.efi"), key=key))

    with ctx.vm(150) as v:
        v.wait_for(r"WDTEST: powering off", 140)
        v.wait_exit(20)
    boots = ctx.boots(v)
    ctx.expect(len(boots) == 1, f"expected one boot (both refusals in the same boot), got {len(boots)}")
    b = boots[0]
    texts = b.texts()

    def said(fragment, what):
        ctx.expect(any(fragment in t for t in texts), f"{what}: wdboot never said {fragment!r}", b)

    said("Secure Boot, secure-boot-policy strict: \\wdtest\\vmlinuz-signed is a kernel that would take its "
         "command line and initrds from wdboot.conf", "the plain kernel under strict")
    said('slot "plain" could not be loaded (secure-boot-policy strict): marked failed', "the plain kernel's slot")
    # edk2 answers EFI_ACCESS_DENIED for an image db does not allow (LoadFailure 3).
    said('slot "unsigned" could not be loaded (security violation: access denied): marked failed', "the unsigned UKI")
    said('slot "debian" could not be loaded (security violation: access denied): marked failed',
         "Debian's kernel without shim")
    said('the options from wdboot.conf are not passed: "init=/bin/sh"', "the signed UKI's config options")
    ctx.expect(b.userspace_slot == "signed", f"the signed UKI did not reach userspace ({b.userspace_slot})", b)
    ctx.expect(b.first(r"^WDTEST-SECUREBOOT 1$")[1] is not None, "the guest does not see Secure Boot enforced", b)
    lines = b.all(r"^WDTEST-CMDLINE (.*)$")
    ctx.expect(lines, "the guest printed no command line", b)
    words = lines[-1].group(1).split()
    ctx.expect("init=/bin/sh" not in words, f"init=/bin/sh reached the kernel: {words}", b)
    ctx.expect(words == SIGNED_CMDLINE.split(), f"the kernel's command line is {words}, expected the embedded one", b)
    ctx.expect(b.watchdog_enabled() is True, "the i6300esb is not running in the signed UKI's kernel", b)
    ctx.expect(b.tool_status("BLESS") == "ok", f"bless failed: {b.tool_status('BLESS')}", b)

    st = b.last_state()
    failed = {guest.slot_name(st, e["slot"]): e["detail"] for e in st["journal"] if e["event"] == "load-failed"}
    # LoadFailure (secure_boot.hpp): 4 secure-boot-policy strict, 3 access denied.
    ctx.expect(failed == {"plain": 4, "unsigned": 3, "debian": 3}, f"load-failed entries on record: {failed}", b)
    for name in ("plain", "unsigned", "debian"):
        s = guest.slot(st, name)
        ctx.expect(s["last_outcome"] == "load failed" and s["tries_left"] == 0, f"slot {name}: {s}", b)
    s = guest.slot(st, "signed")
    ctx.expect(s["good"] and s["last_outcome"] == "blessed", f"signed not blessed: {s}", b)

    # An unsigned wdboot: the firmware refuses it before a line of it runs.
    ctx.make_disk(conf, variants=("good",), loader=ctx.efi)
    with ctx.vm(60, label="unsigned-loader") as u:
        u.wait_for(UNSIGNED_LOADER_REFUSED, 50)
    ctx.expect(not any(t.startswith("wdboot ") for _, t in u.lines), "the unsigned wdboot ran")
