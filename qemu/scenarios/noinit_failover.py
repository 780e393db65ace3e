"""A primary whose initramfs has no /init: the kernel panics before userspace; the
watchdog recovers it and fallback boots."""
from _failover import run_failover

NAME = "noinit_failover"
TIMEOUT = 180
SUMMARY = "primary's initramfs has no init: kernel panics, watchdog resets, fallback boots"


def run(ctx):
    run_failover(ctx, "noinit", tries=1)
