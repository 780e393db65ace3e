"""Full-system tier, issue 9 (1): watchdog-mode handover with the i6300esb. After the
blessing systemd feeds the watchdog wdboot armed for as long as the system runs; a hang
of PID 1 lets it reset the machine, and the same blessed slot comes back (scenario and
assertions: _handover.py)."""
import _handover
from _system import IMAGES  # noqa: F401

NAME = "handover"
LABEL = "system"
TIMEOUT = _handover.TIMEOUT
PROCESSORS = _handover.PROCESSORS
SUMMARY = "i6300esb handed to systemd after the blessing; a runtime hang resets into the same slot"


def run(ctx):
    _handover.run(ctx, "i6300esb")
