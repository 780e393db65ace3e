"""Scenario 3: primary hangs in its initramfs; the watchdog resets it until its tries
run out, then fallback boots."""
from _failover import run_failover

NAME = "hang_failover"
TIMEOUT = 240
SUMMARY = "primary hangs in the initramfs: watchdog resets, counters 2-1-0, fallback boots"


def run(ctx):
    run_failover(ctx, "hang", tries=2)
