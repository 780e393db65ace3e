"""Reads the NV variable store of an OVMF VARS file (a scenario's vars.fd), so that a
test can say how full NVRAM is without trusting the guest or the loader.

The store is EDK2's authenticated variable store: a firmware volume header, a 28-byte
store header (size, format, state), then variables whose headers are aligned to 4 bytes, each a
60-byte header (StartId 0x55AA, State, Attributes, MonotonicCount, TimeStamp,
PubKeyIndex, NameSize, DataSize, VendorGuid), the UCS-2 name and the data. Updating or deleting a
variable only clears State bits of its old copy; that space comes back only when the
firmware reclaims the store, which EDK2 does at boot time (never at runtime, i.e. never
while Linux runs).

    python3 -m wdqemu.varstore VARS.fd     prints a summary and every variable
"""
import struct
import sys
import uuid

FV_SIGNATURE = b"_FVH"
AUTH_STORE_GUID = uuid.UUID("aaf32c78-947b-439a-a180-2e144ec37792")
HEADER = struct.Struct("<HBBIQ16sIII16s")  # 60 bytes
START_ID = 0x55AA
VAR_ADDED = 0x3F
VAR_IN_DELETED_TRANSITION = 0xFE
VAR_HEADER_VALID_ONLY = 0x7F


def _align4(n):
    return (n + 3) & ~3


class Variable:
    def __init__(self, offset, state, attributes, name, guid, data_size, size):
        self.offset = offset
        self.state = state
        self.attributes = attributes
        self.name = name
        self.guid = guid
        self.data_size = data_size
        self.size = size  # bytes it takes in the store, header and padding included

    @property
    def live(self):
        return self.state in (VAR_ADDED, VAR_ADDED & VAR_IN_DELETED_TRANSITION)


class Store:
    def __init__(self, size, variables, end):
        self.size = size            # the store header's size field (header included)
        self.variables = variables  # every record, live or not, in store order
        self.end = end              # offset (from the store header) after the last record

    @property
    def live(self):
        return [v for v in self.variables if v.live]

    @property
    def live_bytes(self):
        return sum(v.size for v in self.live)

    @property
    def garbage_bytes(self):
        """Space of deleted and replaced copies: free again only after a reclaim."""
        return sum(v.size for v in self.variables if not v.live)

    @property
    def free_bytes(self):
        """Never-written space after the last record (what a runtime write can use)."""
        return self.size - self.end

    def find(self, name):
        return [v for v in self.live if v.name == name]

    def summary(self):
        return (f"store {self.size} bytes: {len(self.live)} live variables ({self.live_bytes} bytes), "
                f"garbage {self.garbage_bytes} bytes, free at the end {self.free_bytes} bytes")


def parse(data):
    if data[40:44] != FV_SIGNATURE:
        raise ValueError("not a firmware volume (no _FVH)")
    base = struct.unpack_from("<H", data, 48)[0]
    guid = uuid.UUID(bytes_le=bytes(data[base:base + 16]))
    if guid != AUTH_STORE_GUID:
        raise ValueError(f"not an authenticated variable store: {guid}")
    size = struct.unpack_from("<I", data, base + 16)[0]
    pos = _align4(28)
    variables = []
    while pos + HEADER.size <= size:
        start_id, state, _, attrs, _, _, _, name_size, data_size, vguid = HEADER.unpack_from(data, base + pos)
        if start_id != START_ID:
            break
        name_off = base + pos + HEADER.size
        name = bytes(data[name_off:name_off + name_size]).decode("utf-16-le", "replace").rstrip("\0")
        # The data follows the name directly (EDK2's name ALIGNMENT is 1 on x86); only
        # the next header is aligned to 4.
        total = _align4(HEADER.size + name_size + data_size)
        if state == VAR_HEADER_VALID_ONLY:
            # A write that never completed: EDK2 skips the header only.
            total = _align4(HEADER.size)
        variables.append(Variable(pos, state, attrs, name, uuid.UUID(bytes_le=bytes(vguid)), data_size, total))
        pos += total
    return Store(size, variables, pos)


class Write:
    """One SetVariable seen between two snapshots of a store."""

    def __init__(self, kind, name, guid, data_size=0):
        self.kind = kind    # "write" (a new copy appended), "delete" (the live copy marked
        self.name = name    # deleted with no new one) or "torn" (a header whose data never
        self.guid = guid    # completed: a write cut short)
        self.data_size = data_size


def writes_between(before, after):
    """The variable writes that turned store `before` into `after`, in store order, or
    None when they cannot be told: the firmware reclaimed the store in between (the
    records before the old end moved). EDK2 appends a new copy for every write of a
    non-volatile variable, even one that changes nothing, and only clears State bits of
    the old copy; so the records after the old end are the writes, and a copy that died
    without a newer one of the same name is a deletion."""
    if after.end < before.end:
        return None
    old = {v.offset: v for v in before.variables}
    for v in after.variables:
        if v.offset >= before.end:
            break
        w = old.get(v.offset)
        if w is None or (w.name, w.guid) != (v.name, v.guid):
            return None
    out = []
    fresh = [v for v in after.variables if v.offset >= before.end]
    renewed = {(v.name, v.guid) for v in fresh}
    for v in after.variables:
        if v.offset >= before.end:
            break
        if old[v.offset].live and not v.live and (v.name, v.guid) not in renewed:
            out.append(Write("delete", v.name, v.guid))
    for v in fresh:
        out.append(Write("torn" if v.state == VAR_HEADER_VALID_ONLY else "write", v.name, v.guid, v.data_size))
    return out


def read(path):
    with open(path, "rb") as f:
        return parse(f.read())


def main(argv):
    st = read(argv[0])
    print(st.summary())
    for v in st.variables:
        print(f"  {v.offset:6d} {'live' if v.live else 'dead'} 0x{v.state:02x} attrs=0x{v.attributes:x} "
              f"{v.size:5d} {v.name}-{v.guid}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
