"""Reads a scenario's serial output: wdboot's version and decision lines, and the
WDTEST markers that the test initramfs (qemu/initramfs/init) and its state tool print.

A VM run is cut into boots at QEMU's RESET events, so each boot's lines can be asserted
on their own (the counter sequence 3 -> 2 -> 1 -> 0 is checked boot by boot).
"""
import json
import re

VERSION = re.compile(r"^wdboot (\d+\.\d+\S*)")
DECISION = re.compile(r"^wdboot: (.*)$")
USERSPACE = re.compile(r"WDTEST: userspace reached slot=(\S+) variant=(\S+)")


class Boot:
    """What one boot printed, from firmware start to reset, power-off or kill."""

    def __init__(self, index, lines, start, end):
        self.index = index
        self.lines = lines      # (time, text), time = host monotonic seconds
        self.start = start      # time the boot began (QEMU start or RESET event)
        self.end = end          # time of the RESET that ended it, or None
        self.reset_reason = None

    def texts(self):
        return [t for _, t in self.lines]

    def first(self, rx):
        """(time, match) of the first line matching rx, or (None, None)."""
        rx = re.compile(rx)
        for t, text in self.lines:
            m = rx.search(text)
            if m:
                return t, m
        return None, None

    def all(self, rx):
        rx = re.compile(rx)
        return [m for _, text in self.lines for m in [rx.search(text)] if m]

    @property
    def version(self):
        _, m = self.first(VERSION)
        return m.group(1) if m else None

    @property
    def decisions(self):
        """wdboot's one-line-per-decision output, without the `wdboot: ` prefix."""
        return [m.group(1) for m in self.all(DECISION)]

    @property
    def userspace_slot(self):
        _, m = self.first(USERSPACE)
        return m.group(1) if m else None

    @property
    def userspace_time(self):
        t, _ = self.first(USERSPACE)
        return t

    def states(self):
        """Every WDTEST-STATE dump of this boot, as dicts (load_state's view)."""
        return [json.loads(m.group(1)) for m in self.all(r"^WDTEST-STATE (\{.*\})$")]

    def copies(self):
        """Every WDTEST-COPY line, as dicts (each variable's raw status)."""
        return [json.loads(m.group(1)) for m in self.all(r"^WDTEST-COPY (\{.*\})$")]

    def first_state(self):
        s = self.states()
        return s[0]["state"] if s else None

    def last_state(self):
        s = self.states()
        return s[-1]["state"] if s else None

    def tool_status(self, what):
        """Status text of the last WDTEST-<what> line (BLESS, TRY, CORRUPT), or None."""
        ms = self.all(rf"^WDTEST-{what} .*status=(.*)$")
        return ms[-1].group(1) if ms else None

    def watchdog_enabled(self):
        ms = self.all(r"^WDTEST-WATCHDOG device=\S+ enabled=(\d)")
        return None if not ms else ms[-1].group(1) == "1"

    def agent_runs(self):
        """[(args, rc, stdout text, stderr lines)] of every `agent:` action of this boot."""
        runs = []
        body = None
        for text in self.texts():
            m = re.match(r"^WDTEST-AGENT-BEGIN args=(.*)$", text)
            if m:
                body = []
                continue
            m = re.match(r"^WDTEST-AGENT rc=(\d+) args=(.*)$", text)
            if m and body is not None:
                runs.append([m.group(2), int(m.group(1)), "\n".join(body), []])
                body = None
                continue
            if text.startswith("WDTEST-AGENT-STDERR ") and runs:
                runs[-1][3].append(text[len("WDTEST-AGENT-STDERR "):])
            elif body is not None:
                body.append(text)
        return [tuple(r) for r in runs]

    def agent_json(self, args):
        """(rc, decoded JSON or None, stderr lines) of the last agent run with these args."""
        for a, rc, out, err in reversed(self.agent_runs()):
            if a == args:
                try:
                    return rc, json.loads(out) if out.strip() else None, err
                except ValueError:
                    return rc, None, err + [f"(stdout not JSON: {out!r})"]
        return None, None, []

    def panicked(self):
        return bool(self.all(r"Kernel panic - not syncing"))


# The first thing the firmware prints in a new boot (OVMF's boot manager), or wdboot's
# banner if the firmware printed nothing before it.
FIRMWARE_START = re.compile(r"BdsDxe: |^wdboot \d+\.\d+")


def split_boots(lines, resets, started):
    """Cuts (time, text) lines into Boots at QEMU's RESET events.

    QEMU reports the RESET on QMP before the serial pipe has delivered what the guest
    wrote just before it, so a boot ends at the first firmware line after the RESET,
    not at the RESET's arrival time. A RESET after which the firmware printed nothing
    gets an empty boot."""
    boots = []
    start = started
    at = 0
    for i, end in enumerate(sorted(t for t, _ in resets)):
        cut = at
        while cut < len(lines) and (lines[cut][0] < end or not FIRMWARE_START.search(lines[cut][1])):
            cut += 1
        boots.append(Boot(i, lines[at:cut], start, end))
        start, at = end, cut
    boots.append(Boot(len(boots), lines[at:], start, None))
    return boots


def slot(state, name):
    """The slot entry called `name` in a decoded state, or None."""
    for s in state["slots"]:
        if s["name"] == name:
            return s
    return None


def slot_name(state, index):
    for s in state["slots"]:
        if s["index"] == index:
            return s["name"]
    return None


def journal_events(state):
    """Journal as (event, slot name, cause), newest first."""
    return [(e["event"], slot_name(state, e["slot"]), e["cause"]) for e in state["journal"]]
