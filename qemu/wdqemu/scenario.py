"""What every scenario gets: its own directory, disk and NVRAM, a config builder, VMs,
and assertions that fail with the evidence.

A scenario is a module in qemu/scenarios/ with NAME, TIMEOUT (seconds, for CTest),
SUMMARY, and run(ctx). Adding one is adding a file; CMake registers every module that
`qemu/wdtest list` prints.
"""
import os
import shutil
import time

from . import disk as diskmod
from . import guest
from . import vm as vmmod

KERNEL = "\\wdtest\\vmlinuz"


def initrd_path(variant):
    return f"\\wdtest\\initrd-{variant}.img"


class Slot:
    """One `slot NAME` stanza of wdboot.conf, booting the test kernel.

    initrd: good | panic | hang | noinit; action: the good initramfs's wdtest.action list.
    """

    def __init__(self, name, initrd="good", action="dump,poweroff", tries=None, rescue=False,
                 kernel=KERNEL, panic_timeout=0, extra=""):
        self.name = name
        self.initrd = initrd
        self.action = action
        self.tries = tries
        self.rescue = rescue
        self.kernel = kernel
        self.panic_timeout = panic_timeout
        self.extra = extra

    def stanza(self):
        # panic=0: a panicking kernel hangs, so the hardware watchdog has to recover it.
        opts = (f"console=ttyS0 quiet panic={self.panic_timeout} wdtest.slot={self.name} "
                f"wdtest.action={self.action} {self.extra}").strip()
        lines = [f"slot {self.name}", f"  linux {self.kernel}", f"  initrd {initrd_path(self.initrd)}",
                 f"  options {opts}"]
        if self.tries is not None:
            lines.append(f"  tries {self.tries}")
        if self.rescue:
            lines.append("  rescue")
        return "\n".join(lines)


def config(slots, timeout=25, tries=3, on_exhausted="last-good", default=None, watchdog="i6300esb"):
    """wdboot.conf text for these slots.

    The watchdog timeout covers the EFI stub, the kernel and the guest's work up to its
    power-off. Under TCG on a busy 2-core machine that took up to 17 s (kernel uptime 13 s
    at /init), so 25 s leaves a margin without making each failed boot too long."""
    head = [f"# written by the wdboot QEMU tests", f"timeout {timeout}", f"tries {tries}",
            f"watchdog {watchdog}", f"on-exhausted {on_exhausted}"]
    if default:
        head.append(f"default {default}")
    return "\n".join(head) + "\n\n" + "\n\n".join(s.stanza() for s in slots) + "\n"


class Failure(Exception):
    pass


class Context:
    def __init__(self, name, images_dir, efi_image, work_root, verbose=False):
        self.name = name
        self.images = images_dir
        self.efi = efi_image
        self.dir = os.path.join(work_root, name)
        self.verbose = verbose
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.disk_path = os.path.join(self.dir, "disk.img")
        self.vars_path = os.path.join(self.dir, "vars.fd")
        self.disk = None
        self.runs = 0
        self.vms = []
        self.hardware = "i6300esb"  # the emulated watchdog (vm.WATCHDOG_HARDWARE)
        self.secure_boot = False    # OVMF's Secure Boot build with the snakeoil keys enrolled
        self.tpm = False            # a TPM 2.0 (swtpm behind QEMU's tpm-tis)

    # --- set-up --------------------------------------------------------------------

    def make_disk(self, conf_text, variants=("good", "panic", "hang", "noinit"), loader=None):
        """A fresh disk with wdboot (or `loader`, a file) as the removable-media loader (so
        OVMF starts it with no Boot#### entry), its config, the test kernel and initrds;
        fresh NVRAM (with the snakeoil keys when self.secure_boot)."""
        d = diskmod.create(self.disk_path)
        d.put_file("EFI/BOOT/BOOTX64.EFI", loader or self.efi)
        d.put_file("EFI/wdboot/wdbootx64.efi", loader or self.efi)
        d.put("EFI/wdboot/wdboot.conf", conf_text.encode())
        d.put_file("wdtest/vmlinuz", os.path.join(self.images, "vmlinuz"))
        for v in variants:
            d.put_file(f"wdtest/initrd-{v}.img", os.path.join(self.images, f"initrd-{v}.img"))
        d.put_file("wdtest/hang.efi", os.path.join(self.images, "hang.efi"))
        vmmod.fresh_vars(self.vars_path, self.secure_boot)
        self.disk = d
        return d

    def set_config(self, conf_text):
        """Replaces wdboot.conf on the ESP between two VM runs."""
        self.disk.put("EFI/wdboot/wdboot.conf", conf_text.encode())

    def vm(self, limit_s, label=None):
        """A VM over this scenario's disk and NVRAM (not started). Use as a context manager."""
        self.runs += 1
        v = vmmod.Vm(label or f"run{self.runs}", self.dir, self.disk_path, self.vars_path, limit_s,
                     hardware=self.hardware, images=self.images, secure_boot=self.secure_boot,
                     tpm=self.tpm)
        self.vms.append(v)
        return v

    # --- reading -------------------------------------------------------------------

    def boots(self, v):
        return guest.split_boots(v.lines, v.events_named("RESET"), v.started)

    def say(self, text):
        print(f"[{self.name}] {text}", flush=True)

    # --- assertions ----------------------------------------------------------------

    def expect(self, cond, message, boot=None):
        if cond:
            return
        if boot is not None:
            tail = "\n    ".join(boot.texts()[-25:])
            message += f"\n  boot {boot.index} ended with:\n    {tail}"
        raise Failure(message)

    def expect_decision(self, boot, pattern, what):
        """Asserts that one of the boot's wdboot decision lines matches the regex."""
        import re
        rx = re.compile(pattern)
        ok = any(rx.search(d) for d in boot.decisions)
        self.expect(ok, f"{what}: no wdboot line matching {pattern!r}; wdboot said: "
                        f"{boot.decisions!r}", boot)

    def expect_tries(self, boot, slot, tries_left, what):
        """Asserts the NVRAM state dumped first in this boot gives `slot` these tries."""
        st = boot.first_state()
        self.expect(st is not None, f"{what}: the guest printed no state", boot)
        s = guest.slot(st, slot)
        self.expect(s is not None, f"{what}: slot {slot} missing from the state {st}", boot)
        self.expect(s["tries_left"] == tries_left,
                    f"{what}: slot {slot} has {s['tries_left']} tries left in NVRAM, expected "
                    f"{tries_left}", boot)
        return s


def timed(fn):
    t0 = time.monotonic()
    fn()
    return time.monotonic() - t0
