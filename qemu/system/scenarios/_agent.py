"""Shared pieces of the QEMU agent tier: the config and the slot command lines."""
from wdsys.context import config, stanza

INITRD = "\\wdsys\\initrd-agent.img"
IMAGES = ("vmlinuz", "initrd-agent.img")


# The same initramfs without i6300esb.ko: the agent's `modprobe i6300esb` fails there.
INITRD_NOMOD = "\\wdsys\\initrd-agent-nomod.img"


def slot(name, agent, stay=0, tries=None, initrd=INITRD):
    opts = f"console=ttyS0 quiet panic=0 wdsys.slot={name} wdsys.agent={agent} wdsys.stay={stay}"
    return stanza(name, initrd, opts, tries=tries)


def agent_config(stanzas, timeout, tries=3, on_exhausted="last-good"):
    return config(stanzas, timeout=timeout, tries=tries, on_exhausted=on_exhausted)
