"""Full-system tier, issue 9 (1): watchdog-mode handover with the ICH9 TCO (QEMU run
with -global ICH9-LPC.noreboot=false). As system_handover, and the unarmed i6300esb is
registered first, so the drop-in's WatchdogDevice= must name the iTCO's device."""
import _handover
from _system import IMAGES  # noqa: F401

NAME = "handover_tco"
LABEL = "system"
TIMEOUT = _handover.TIMEOUT
PROCESSORS = _handover.PROCESSORS
SUMMARY = "ICH9 TCO handed to systemd after the blessing; a runtime hang resets into the same slot"


def run(ctx):
    _handover.run(ctx, "itco")
