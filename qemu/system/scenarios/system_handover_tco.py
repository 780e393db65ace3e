"""Full-system tier, issue 9 (1): watchdog-mode handover with the ICH9 TCO (QEMU run
with -global ICH9-LPC.noreboot=false). As system_handover, and the unarmed i6300esb is
registered first, so the drop-in's WatchdogDevice= must name the iTCO's device."""
import _handover
from _system import IMAGES  # noqa: F401

NAME = "handover_tco"
LABEL = "system"
TIMEOUT = _handover.TIMEOUT
PROCESSORS = _handover.PROCESSORS
# Outside scripts/dev test (label slow), for CI's time: it runs alone (PROCESSORS 2) for
# about 5 minutes. CI keeps the same handover with the i6300esb (system_handover) and the
# ICH9 TCO under its Linux driver (qemu.matrix_itco_driver_panic).
DEFAULT_RUN = False
SUMMARY = "ICH9 TCO handed to systemd after the blessing; a runtime hang resets into the same slot"


def run(ctx):
    _handover.run(ctx, "itco")
