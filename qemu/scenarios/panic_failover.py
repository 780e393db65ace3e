"""Scenario 2: primary panics (panic=0, so only the watchdog can recover it);
3 -> 2 -> 1 -> 0 asserted boot by boot in NVRAM, then fallback boots and is recorded."""
from _failover import run_failover

NAME = "panic_failover"
TIMEOUT = 300
SUMMARY = "primary panics every boot: watchdog resets, counters 3-2-1-0, fallback boots"


def run(ctx):
    run_failover(ctx, "panic", tries=3)
