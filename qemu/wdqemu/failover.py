"""One watched failover: a primary that panics (or hangs) under a hardware watchdog,
then the fallback. Used by the demo (narrated) and by the measurement script (timed).
"""
import re
import statistics

from . import guest
from .scenario import Context, Slot, config

_STARTING = re.compile(r'^wdboot: starting "(\S+)" \((\d+(?:\.\d+)?) ms after wdboot started')


class Result:
    def __init__(self):
        self.failure_time = None     # primary's first panic line / hang marker (host clock)
        self.last_failure_time = None
        self.watchdog_times = []     # QMP WATCHDOG events
        self.fallback_userspace = None
        self.wdboot_ms = []          # entry -> StartImage, as wdboot reports it
        self.load_ms = []            # of which reading the kernel and initrds, if reported
        self.boots = []

    @property
    def failover_s(self):
        return self.fallback_userspace - self.failure_time


def run(images, efi, work, name, fate="panic", timeout=15, tries=1, narrate=None):
    """Boots primary (fate: panic|hang) and fallback until fallback's userspace.
    narrate(text, time) is called for each notable event as it happens."""
    ctx = Context(name, images, efi, work)
    ctx.make_disk(config([Slot("primary", initrd=fate, tries=tries),
                          Slot("fallback", action="dump,poweroff")], timeout=timeout, tries=tries))
    say = narrate or (lambda text, t: None)
    res = Result()
    limit = (timeout + 40) * (tries + 1)
    with ctx.vm(limit, label="failover") as v:
        i = 0
        seen_watchdogs = 0
        say("QEMU started: q35, TCG, OVMF, i6300esb watchdog, no network", v.started)
        # (?<!end ): the kernel closes a panic with a second "end Kernel panic" line.
        rx = re.compile(r'^wdboot \d|^wdboot: |WDTEST: userspace reached|(?<!end )Kernel panic - not syncing|'
                        r'WDTEST: hanging|WDTEST: powering off')
        while True:
            i, m = v.wait_for(rx.pattern, limit, start=i)
            t, text = v.lines[i]
            for wt, _ in v.events_named("WATCHDOG")[seen_watchdogs:]:
                say("the hardware watchdog fired: the machine is reset", wt)
                seen_watchdogs += 1
            if text.startswith("wdboot: initrd") or text.startswith("wdboot: watchdog i6300esb"):
                pass
            elif text.startswith("wdboot "):
                say(f"firmware started {text}", t)
            elif text.startswith("wdboot: "):
                say(text, t)
                sm = _STARTING.search(text)
                if sm:
                    res.wdboot_ms.append(float(sm.group(2)))
                    lm = re.search(r"loading took (\d+(?:\.\d+)?) ms", text)
                    if lm:
                        res.load_ms.append(float(lm.group(1)))
            elif "Kernel panic" in text:
                if res.failure_time is None:
                    res.failure_time = t
                res.last_failure_time = t
                say("primary's kernel panicked (panic=0: it hangs, only the watchdog can help)", t)
            elif "WDTEST: hanging" in text:
                if res.failure_time is None:
                    res.failure_time = t
                res.last_failure_time = t
                say("primary hangs in its initramfs without blessing the boot", t)
            elif "userspace reached" in text:
                slot = re.search(r"slot=(\S+)", text).group(1)
                say(f"{slot} reached userspace", t)
                if slot == "fallback":
                    res.fallback_userspace = t
            elif "powering off" in text:
                break
            i += 1
        v.wait_exit(30)
    res.watchdog_times = [t for t, _ in v.events_named("WATCHDOG")]
    res.boots = ctx.boots(v)
    res.ctx = ctx
    return res


def journal_lines(state):
    """The journal of a decoded state, newest first, one readable line per event."""
    out = []
    for e in state["journal"]:
        slot = guest.slot_name(state, e["slot"]) or "-"
        out.append(f"boot {e['boot_id']:>3}  {slot:<10} {e['event']:<16} cause: {e['cause']}")
    return out


def median(values):
    return statistics.median(values) if values else float("nan")
