"""A primary that panics with panic=1 reboots by itself: no watchdog expiry, the reset is
counted as a reset without blessing, and fallback boots after the tries run out."""
from _failover import run_failover

NAME = "panic_reboot"
TIMEOUT = 180
SUMMARY = "primary panics with panic=1: self-reboots counted, fallback boots, no watchdog"


def run(ctx):
    run_failover(ctx, "panic", tries=2, panic_timeout=1, by_watchdog=False)
