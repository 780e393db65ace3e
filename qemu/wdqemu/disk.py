"""The test disk: a GPT image with one EFI system partition, built without root.

The FAT filesystem is made on its own with mkfs.vfat -C and filled with mtools, then
copied into the partition's offset of a file partitioned with sfdisk. Files on the ESP
can later be replaced in place (mtools addresses the partition as image@@offset), which
is how multi-run scenarios change wdboot.conf between boots.
"""
import os
import subprocess
import tempfile

ESP_START_SECTOR = 2048           # 1 MiB alignment
ESP_OFFSET = ESP_START_SECTOR * 512
ESP_TYPE = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
BASIC_DATA_TYPE = "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"


def _run(cmd, **kw):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, **kw)


def _dirs_of(esp_path):
    parts = esp_path.strip("/").split("/")[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


class Disk:
    """A FAT file system inside a disk image file: by default the ESP, the first
    partition; `offset` (bytes) names another one (create()'s data partitions)."""

    def __init__(self, path, offset=ESP_OFFSET):
        self.path = path
        self.offset = offset
        self.partitions = []  # the data partitions create() added, in order

    @property
    def _mtarget(self):
        return f"{self.path}@@{self.offset}"

    def put(self, esp_path, data):
        """Writes (or replaces) one file on the ESP; esp_path uses '/' separators."""
        with tempfile.NamedTemporaryFile(delete=False) as f:
            f.write(data)
            src = f.name
        try:
            self._mcopy(src, esp_path)
        finally:
            os.unlink(src)

    def put_file(self, esp_path, host_path):
        self._mcopy(host_path, esp_path)

    def remove(self, esp_path):
        _run(["mdel", "-i", self._mtarget, "::/" + esp_path.strip("/")])

    def get(self, esp_path):
        out = subprocess.run(["mtype", "-i", self._mtarget, "::/" + esp_path.strip("/")],
                             check=True, stdout=subprocess.PIPE)
        return out.stdout

    def _mcopy(self, src, esp_path):
        for d in _dirs_of(esp_path):
            subprocess.run(["mmd", "-i", self._mtarget, "-D", "s", "::/" + d],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _run(["mcopy", "-o", "-i", self._mtarget, src, "::/" + esp_path.strip("/")])


def _format_into(path, offset, fat_bits, label, size_bytes):
    fat = path + ".fat"
    if os.path.exists(fat):
        os.unlink(fat)
    _run(["mkfs.vfat", "-C", "-F", str(fat_bits), "-n", label, fat, str(size_bytes // 1024)],
         stderr=subprocess.DEVNULL)
    with open(fat, "rb") as src, open(path, "r+b") as dst:
        dst.seek(offset)
        while True:
            chunk = src.read(1 << 20)
            if not chunk:
                break
            dst.write(chunk)
    os.unlink(fat)


def create(path, esp_mib=48, data_partitions=()):
    """Creates an empty GPT disk with a formatted ESP of esp_mib MiB and returns it.

    data_partitions: (FAT label, MiB) of further FAT16 partitions of type "Microsoft
    basic data" after the ESP (EFI Boot Guard's environment partitions), reachable as
    the returned disk's .partitions."""
    esp_bytes = esp_mib * 1024 * 1024
    layout = [(ESP_OFFSET, esp_bytes)]
    for _, mib in data_partitions:
        start, size = layout[-1]
        layout.append((start + size, mib * 1024 * 1024))
    total = layout[-1][0] + layout[-1][1] + 1024 * 1024  # room for the backup GPT
    if os.path.exists(path):
        os.unlink(path)
    with open(path, "wb") as f:
        f.truncate(total)
    script = f"label: gpt\nstart={ESP_START_SECTOR}, size={esp_bytes // 512}, type={ESP_TYPE}, name=ESP\n"
    for (label, _), (start, size) in zip(data_partitions, layout[1:]):
        script += f"start={start // 512}, size={size // 512}, type={BASIC_DATA_TYPE}, name={label}\n"
    _run(["sfdisk", "--quiet", "--no-reread", "--no-tell-kernel", path], input=script.encode())
    _format_into(path, ESP_OFFSET, 32, "WDBOOTESP", esp_bytes)
    disk = Disk(path)
    for (label, _), (start, size) in zip(data_partitions, layout[1:]):
        _format_into(path, start, 16, label, size)
        disk.partitions.append(Disk(path, start))
    return disk
