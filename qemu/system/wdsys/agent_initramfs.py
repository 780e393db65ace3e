"""Builds initrd-agent.img: the busybox initramfs of the QEMU agent tier.

It holds busybox, the static wdbootctl (and the i6300esb module with a modules.dep for
the agent's `modprobe i6300esb`, laid out by the harness's own initramfs builder),
wdtest-state (to read the i6300esb's enable bit in PCI config space independently of the
agent), efivarfs.ko with its dependencies for /init to load, an agent.conf, and
qemu/system/initramfs/init.

With --no-watchdog-module it writes a second image (--out-nomod), the same but without
i6300esb.ko (modules.dep empty): there the agent's `modprobe i6300esb` fails, so it
cannot stop the watchdog (scenario disarm_unstoppable).
"""
import os

from wdqemu import initramfs as base


def build(kernel_dir, agent, tool, init_script, agent_conf, out_path, watchdog_module=True):
    """Writes the gzip-compressed newc archive to out_path."""
    c = base.base_archive(kernel_dir, tool, agent, early_dir="lib/modules/early",
                          extra_dirs=("etc/wdboot", "lib/modules/early"),
                          agent_modules=base.AGENT_MODULES if watchdog_module else ())
    with open(agent_conf, "rb") as f:
        c.file("etc/wdboot/agent.conf", f.read())
    with open(init_script, "rb") as f:
        c.file("init", f.read(), 0o755)
    base.write_archive(c, out_path)


def main(argv):
    import argparse

    p = argparse.ArgumentParser(description="build the agent test initramfs")
    p.add_argument("--kernel-dir", required=True)
    p.add_argument("--agent", required=True, help="static wdbootctl")
    p.add_argument("--tool", required=True, help="static wdtest-state")
    p.add_argument("--init", required=True)
    p.add_argument("--agent-conf", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--out-nomod", default=None, help="also write the image without i6300esb.ko here")
    args = p.parse_args(argv)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    build(args.kernel_dir, args.agent, args.tool, args.init, args.agent_conf, args.out)
    if args.out_nomod:
        build(args.kernel_dir, args.agent, args.tool, args.init, args.agent_conf, args.out_nomod,
              watchdog_module=False)
    return 0
