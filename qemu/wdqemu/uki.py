"""Unified kernel images for the tests, built the way Debian 12 can without ukify:
systemd-stub (package systemd-boot-efi) with the kernel, initrd, os-release and command
line added as PE sections by objcopy (systemd-stub(7), "Unified Kernel Images")."""
import os
import subprocess

STUB = "/usr/lib/systemd/boot/efi/linuxx64.efi.stub"


def _align(n, a):
    return (n + a - 1) // a * a


def build(out_path, kernel, initrd, cmdline, work_dir):
    """Writes a UKI to out_path whose .cmdline section holds `cmdline` (with the trailing
    newline a file written by echo has)."""
    if not os.path.exists(STUB):
        raise RuntimeError(f"{STUB} is missing: install the systemd-boot-efi package (scripts/dev deps)")
    name = os.path.basename(out_path)
    cmd_file = os.path.join(work_dir, name + ".cmdline")
    osrel = os.path.join(work_dir, name + ".osrel")
    with open(cmd_file, "w") as f:
        f.write(cmdline + "\n")
    with open(osrel, "w") as f:
        f.write('ID=debian\nPRETTY_NAME="wdboot test UKI"\n')
    # The stub ends below 0x20000; the kernel goes at 32 MiB and the initrd after it,
    # each section at its own virtual address (objcopy keeps what it is given).
    linux_vma = 0x2000000
    initrd_vma = _align(linux_vma + os.path.getsize(kernel), 0x100000)
    subprocess.run(["objcopy",
                    "--add-section", f".osrel={osrel}", "--change-section-vma", ".osrel=0x20000",
                    "--add-section", f".cmdline={cmd_file}", "--change-section-vma", ".cmdline=0x30000",
                    "--add-section", f".linux={kernel}", "--change-section-vma", f".linux={linux_vma:#x}",
                    "--add-section", f".initrd={initrd}", "--change-section-vma", f".initrd={initrd_vma:#x}",
                    STUB, out_path], check=True)
    return out_path
