"""Measured boot with a TPM 2.0 (swtpm behind QEMU's tpm-tis, OVMF's TCG2 support):
wdboot measures wdboot.conf into PCR 5, each initrd it serves into PCR 9 and the
command line it gives the kernel into PCR 12, as EV_IPL events in the firmware's log.
The guest prints PCR 12 and the event log; the host checks each event's digest against
the bytes wdboot was given and replays PCR 12 to the TPM's value. docs/secure-boot.md."""
import hashlib
import os

from wdqemu import tcg_log
from wdqemu.scenario import Slot, config, initrd_path

NAME = "tpm_measure"
TIMEOUT = 150
SUMMARY = "TPM 2.0: wdboot.conf, the initrd and the command line measured into PCRs 5, 9, 12 and logged"


def run(ctx):
    ctx.tpm = True
    conf = config([Slot("primary", action="cmdline,tpm,dump,poweroff")], watchdog="i6300esb")
    ctx.make_disk(conf, variants=("good",))
    with ctx.vm(120) as v:
        v.wait_for(r"WDTEST: powering off", 110)
        v.wait_exit(20)
    boots = ctx.boots(v)
    ctx.expect(len(boots) == 1, f"expected one boot, got {len(boots)}")
    b = boots[0]
    ctx.expect(b.userspace_slot == "primary", "the kernel did not reach userspace", b)
    _, pcr12 = b.first(r"^WDTEST-PCR12 (\S+)$")
    ctx.expect(pcr12 is not None and pcr12.group(1) != "missing", "the guest has no TPM PCR 12", b)
    hexlog = "".join(m.group(1) for m in b.all(r"^WDTEST-TCGLOG ([0-9a-f]+)$"))
    ctx.expect(hexlog, "the guest printed no TCG event log", b)
    events = tcg_log.parse(bytes.fromhex(hexlog))

    def ours(pcr):
        return [e for e in events if e.pcr == pcr and e.type == tcg_log.EV_IPL]

    # PCR 5: the config file, as read.
    conf_events = [e for e in ours(5) if e.text() == "\\EFI\\wdboot\\wdboot.conf"]
    ctx.expect(len(conf_events) == 1, f"PCR 5: {len(conf_events)} events for wdboot.conf", b)
    ctx.expect(conf_events[0].digests[tcg_log.SHA256] == hashlib.sha256(conf.encode()).digest(),
               "PCR 5: the config's digest is not that of the file", b)

    # PCR 9: the initrd, as read from the ESP.
    with open(os.path.join(ctx.images, "initrd-good.img"), "rb") as f:
        initrd = f.read()
    ird = [e for e in ours(9) if e.text() == initrd_path("good")]
    ctx.expect(len(ird) == 1 and ird[0].digests[tcg_log.SHA256] == hashlib.sha256(initrd).digest(),
               f"PCR 9: no event with the initrd's digest ({[e.text() for e in ours(9)]})", b)

    # PCR 12: the command line the kernel reports, as UCS-2 with its NUL (the load
    # options), is the event; and the TPM's PCR 12 is exactly that one extend.
    _, line = b.first(r"^WDTEST-CMDLINE (.*)$")
    ctx.expect(line is not None, "the guest printed no command line", b)
    cmdline = line.group(1)
    want = hashlib.sha256((cmdline + "\0").encode("utf-16-le")).digest()
    cl = ours(12)
    ctx.expect(len(cl) == 1, f"PCR 12: {len(cl)} command-line events", b)
    ctx.expect(cl[0].text() == cmdline, f"PCR 12: the event says {cl[0].text()!r}, the kernel {cmdline!r}", b)
    ctx.expect(cl[0].digests[tcg_log.SHA256] == want, "PCR 12: the digest is not that of the command line", b)
    replayed = tcg_log.replay(events, 12).hex().upper()
    ctx.expect(replayed == pcr12.group(1).upper(),
               f"PCR 12 is {pcr12.group(1)}, the log replays to {replayed}", b)
