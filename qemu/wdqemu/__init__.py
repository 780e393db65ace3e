"""Host side of the wdboot QEMU tests: build initramfs and disk images, run VMs, read results."""
