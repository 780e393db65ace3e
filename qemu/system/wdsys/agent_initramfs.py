"""Builds initrd-agent.img: the busybox initramfs of the QEMU agent tier.

It holds busybox, the static wdbootctl (and the i6300esb module with a modules.dep for
the agent's `modprobe i6300esb`, laid out by the harness's own initramfs builder),
wdtest-state (to read the i6300esb's enable bit in PCI config space independently of the
agent), efivarfs.ko with its dependencies for /init to load, an agent.conf, and
qemu/system/initramfs/init.
"""
import gzip
import os

from wdqemu import initramfs as base

BUSYBOX = "/bin/busybox"


def build(kernel_dir, agent, tool, init_script, agent_conf, out_path):
    """Writes the gzip-compressed newc archive to out_path."""
    c = base.Cpio()
    for d in ("bin", "dev", "etc", "etc/wdboot", "proc", "sys", "tmp", "run", "lib",
              "lib/modules", "lib/modules/early"):
        c.directory(d)
    c.chardev("dev/console", 5, 1)
    c.chardev("dev/null", 1, 3)
    with open(BUSYBOX, "rb") as f:
        c.file("bin/busybox", f.read(), 0o755)
    c.symlink("bin/sh", "busybox")
    with open(tool, "rb") as f:
        c.file("bin/wdtest-state", f.read(), 0o755)
    with open(agent_conf, "rb") as f:
        c.file("etc/wdboot/agent.conf", f.read())
    base._add_agent(c, agent, kernel_dir)
    mods = base.find_modules(os.path.join(kernel_dir, "modules"), ("efivarfs",))
    for i, path in enumerate(mods):
        with open(path, "rb") as f:
            # The numeric prefix keeps the dependency order for /init's glob.
            c.file(f"lib/modules/early/{i:02d}-{os.path.basename(path)}", f.read())
    with open(init_script, "rb") as f:
        c.file("init", f.read(), 0o755)
    tmp = out_path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(gzip.compress(c.finish(), compresslevel=6, mtime=0))
    os.replace(tmp, out_path)


def main(argv):
    import argparse

    p = argparse.ArgumentParser(description="build the agent test initramfs")
    p.add_argument("--kernel-dir", required=True)
    p.add_argument("--agent", required=True, help="static wdbootctl")
    p.add_argument("--tool", required=True, help="static wdtest-state")
    p.add_argument("--init", required=True)
    p.add_argument("--agent-conf", required=True)
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    build(args.kernel_dir, args.agent, args.tool, args.init, args.agent_conf, args.out)
    return 0
