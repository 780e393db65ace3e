"""Secure Boot through shim: Debian 12's shim (package shim-unsigned, signed here with
the snakeoil key that OVMF's db holds) starts the signed wdboot as its second stage
(\\EFI\\BOOT\\grubx64.efi, SBAT checked), and wdboot boots Debian's own kernel, signed by
Debian's Secure Boot CA, which db does not hold but shim's built-in vendor certificate
does: shim vouches for it during wdboot's LoadImage (efi/shim_lock.hpp). The secure_boot
scenario shows the same kernel refused when wdboot runs without shim."""
import os

from wdqemu import signing

NAME = "secure_boot_shim"
TIMEOUT = 150
SUMMARY = "Secure Boot: shim starts the signed wdboot, which boots a Debian-signed kernel that only shim trusts"

SHIM = "/usr/lib/shim/shimx64.efi"


def run(ctx):
    ctx.secure_boot = True
    if not os.path.exists(SHIM):
        ctx.expect(False, f"{SHIM} is missing: install the shim-unsigned package (scripts/dev deps)")
    key = signing.plain_key(ctx.dir)
    shim = signing.sign(SHIM, os.path.join(ctx.dir, "shimx64.efi"), key=key)
    # Debian's kernel as packaged (signed by Debian, not by db), with nothing from the
    # config: under the strict policy it gets only wdboot's own arguments.
    conf = "\n".join([
        "# written by the wdboot QEMU tests", "timeout 25", "tries 3", "watchdog i6300esb", "",
        "slot debian", "  linux \\wdtest\\vmlinuz", ""])
    loader = signing.signed_loader(ctx)
    d = ctx.make_disk(conf, variants=(), loader=shim)
    d.put_file("EFI/BOOT/grubx64.efi", loader)
    d.put_file("EFI/wdboot/wdbootx64.efi", loader)

    with ctx.vm(120) as v:
        v.wait_for(r"EFI stub: UEFI Secure Boot is enabled", 110)
        v.kill()
    texts = [t for _, t in v.lines]

    def index(fragment, what):
        for i, t in enumerate(texts):
            if fragment in t:
                return i
        ctx.expect(False, f"{what}: nothing on the console said {fragment!r}")

    started = index("wdboot ", "wdboot as shim's second stage")
    vouched = index("wdboot: Secure Boot: started by shim", "wdboot finding shim's protocol")
    starting = index('wdboot: starting "debian"', "the start of Debian's kernel")
    stub = index("EFI stub: UEFI Secure Boot is enabled", "the kernel's EFI stub")
    ctx.expect(started < vouched < starting < stub, "wdboot, shim's verdict, the start and the stub are out of order")
    ctx.expect(not any("could not be loaded" in t for t in texts), "a slot failed to load under shim")
