"""The full-system test disk: GPT with the ESP as partition 1 (at the harness's offset,
so wdqemu.disk.Disk's mtools access works unchanged) and an ext4 root filesystem image as
partition 2. Built without root and without loop devices: sfdisk on a sparse file, the
FAT made by mkfs.vfat -C, both file systems copied in at their offsets."""
import os
import subprocess

from wdqemu import disk as base

ROOT_TYPE = "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709"  # Linux root (x86-64)


def _copy_into(src, dst_path, offset):
    """Copies file src into dst_path at byte offset, leaving holes where src is zero."""
    subprocess.run(["dd", f"if={src}", f"of={dst_path}", "bs=1M", f"seek={offset}", "oflag=seek_bytes",
                    "conv=notrunc,sparse", "status=none"], check=True)


def create(path, root_image, esp_mib=160):
    """Creates the disk at path from the ext4 image root_image; returns a wdqemu Disk."""
    esp_bytes = esp_mib * 1024 * 1024
    root_bytes = os.path.getsize(root_image)
    if root_bytes % 512:
        raise ValueError(f"{root_image} is not a whole number of sectors")
    root_start = base.ESP_START_SECTOR + esp_bytes // 512
    total = (root_start * 512) + root_bytes + 1024 * 1024  # room for the backup GPT
    fat = path + ".fat"
    for p in (path, fat):
        if os.path.exists(p):
            os.unlink(p)
    with open(path, "wb") as f:
        f.truncate(total)
    script = (f"label: gpt\n"
              f"start={base.ESP_START_SECTOR}, size={esp_bytes // 512}, type={base.ESP_TYPE}, name=ESP\n"
              f"start={root_start}, size={root_bytes // 512}, type={ROOT_TYPE}, name=root\n")
    subprocess.run(["sfdisk", "--quiet", "--no-reread", "--no-tell-kernel", path], input=script.encode(),
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["mkfs.vfat", "-C", "-F", "32", "-n", "WDBOOTESP", fat, str(esp_bytes // 1024)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _copy_into(fat, path, base.ESP_OFFSET)
    os.unlink(fat)
    _copy_into(root_image, path, root_start * 512)
    return base.Disk(path)
