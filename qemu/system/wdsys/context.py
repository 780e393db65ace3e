"""What a qemu/system scenario gets: the harness's scenario context (own directory,
NVRAM copy, VMs, assertions with evidence) plus the disks, configs and guest output of
the agent tiers.

Guest output: `WDSYS: ...` lines, and JSON documents printed between
`WDSYS-JSON-BEGIN NAME` and `WDSYS-JSON-END NAME rc=N` (wdbootctl --json output, and
the system guest's reports), which json_docs() joins and decodes.
"""
import json
import os
import re

from wdqemu import disk as diskmod
from wdqemu import scenario as sc
from wdqemu import vm as vmmod

from . import system_disk

KERNEL = "\\wdsys\\vmlinuz"


def stanza(name, initrd, options, tries=None, linux=KERNEL):
    lines = [f"slot {name}", f"  linux {linux}", f"  initrd {initrd}", f"  options {options}"]
    if tries is not None:
        lines.append(f"  tries {tries}")
    return "\n".join(lines)


def config(stanzas, timeout, tries=3, on_exhausted="last-good", watchdog="i6300esb"):
    head = ["# written by the wdboot agent tests (qemu/system)", f"timeout {timeout}", f"tries {tries}",
            f"watchdog {watchdog}", f"on-exhausted {on_exhausted}"]
    return "\n".join(head) + "\n\n" + "\n\n".join(stanzas) + "\n"


TB_SIZE_MIB = 64


class Vm(vmmod.Vm):
    """The harness's VM with a chosen amount of memory (systemd and a distribution
    initrd want more than the busybox tier's 512 MiB)."""

    def __init__(self, *args, memory_mib=512, **kw):
        super().__init__(*args, **kw)
        self.memory_mib = memory_mib

    def command(self):
        cmd = super().command()
        i = cmd.index("-m")
        cmd[i + 1] = str(self.memory_mib)
        # A small translation buffer: TCG keeps translated code per guest page (1 GiB of
        # it by default), and after a warm reset of a guest that ran a whole Debian system
        # OVMF's writes over those pages made TCG invalidate them one by one: minutes of
        # firmware before wdboot (perf: page_collection_lock). Flushing a small buffer
        # often costs little.
        i = cmd.index("-accel")
        cmd[i + 1] = f"tcg,tb-size={TB_SIZE_MIB}"

        assert "-nic" in cmd and cmd[cmd.index("-nic") + 1] == "none"
        return cmd


class Context(sc.Context):
    def make_agent_disk(self, conf_text, initrds=("initrd-agent.img",)):
        """Tier A: wdboot as the removable-media loader, the test kernel and the agent
        initramfs (images dir: vmlinuz, initrd-agent.img; initrd-agent-nomod.img is the
        one without i6300esb.ko), each as \\wdsys\\NAME."""
        d = diskmod.create(self.disk_path)
        self._put_loader(d, conf_text)
        d.put_file("wdsys/vmlinuz", os.path.join(self.images, "vmlinuz"))
        for name in initrds:
            d.put_file(f"wdsys/{name}", os.path.join(self.images, name))
        vmmod.fresh_vars(self.vars_path)
        self.disk = d
        return d

    def make_system_disk(self, conf_text):
        """Tier B: the ESP (loader, config, the rootfs's kernel and initrd) and the Debian
        root filesystem as partition 2 (images dir: vmlinuz, initrd.img, root.ext4)."""
        d = system_disk.create(self.disk_path, os.path.join(self.images, "root.ext4"))
        self._put_loader(d, conf_text)
        d.put_file("wdsys/vmlinuz", os.path.join(self.images, "vmlinuz"))
        d.put_file("wdsys/initrd.img", os.path.join(self.images, "initrd.img"))
        vmmod.fresh_vars(self.vars_path)
        self.disk = d
        return d

    def _put_loader(self, d, conf_text):
        d.put_file("EFI/BOOT/BOOTX64.EFI", self.efi)
        d.put_file("EFI/wdboot/wdbootx64.efi", self.efi)
        d.put("EFI/wdboot/wdboot.conf", conf_text.encode())

    def vm(self, limit_s, label=None, memory_mib=512, extra_args=()):
        self.runs += 1
        v = Vm(label or f"run{self.runs}", self.dir, self.disk_path, self.vars_path, limit_s,
               memory_mib=memory_mib, extra_args=extra_args)
        self.vms.append(v)
        return v

    # --- reading -------------------------------------------------------------------

    def json_docs(self, boot, name):
        """[(rc, document)] of every JSON block called `name` in this boot; a block that
        does not decode fails the test with its text."""
        docs = []
        body = None
        for text in boot.texts():
            if text == f"WDSYS-JSON-BEGIN {name}":
                body = []
                continue
            if body is None:
                continue
            m = re.match(rf"^WDSYS-JSON-END {re.escape(name)} rc=(\d+)$", text)
            if m:
                raw = "\n".join(body)
                try:
                    doc = json.loads(raw) if raw.strip() else None
                except ValueError as e:
                    raise sc.Failure(f"{name}: the guest printed no valid JSON ({e}):\n{raw}")
                docs.append((int(m.group(1)), doc))
                body = None
            else:
                body.append(text)
        return docs

    def one_json(self, boot, name, index=-1):
        docs = self.json_docs(boot, name)
        self.expect(docs, f"boot {boot.index} printed no {name} JSON", boot)
        return docs[index]

    def banners(self, v):
        """wdboot's version lines over the whole run (one per boot through wdboot)."""
        return [t for t in v.text() if re.match(r"^wdboot \d+\.\d+", t)]
