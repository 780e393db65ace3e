"""The QEMU and full-system tiers of the agent tests (qemu/system/)."""
