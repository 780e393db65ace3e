"""Shared pieces of the QEMU agent tier: the config and the slot command lines."""
from wdsys.context import config, stanza

INITRD = "\\wdsys\\initrd-agent.img"
IMAGES = ("vmlinuz", "initrd-agent.img")


def slot(name, agent, stay=0, tries=None):
    opts = f"console=ttyS0 quiet panic=0 wdsys.slot={name} wdsys.agent={agent} wdsys.stay={stay}"
    return stanza(name, INITRD, opts, tries=tries)


def agent_config(stanzas, timeout):
    return config(stanzas, timeout=timeout)
