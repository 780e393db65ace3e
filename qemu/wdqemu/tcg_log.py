"""Reads the firmware's TCG event log (crypto-agile format, TCG PC Client Platform
Firmware Profile 2.0, section 10: a first TCG_PCR_EVENT holding the Spec ID event, then
TCG_PCR_EVENT2 records) as the guest printed it, and replays PCRs, so that a test can
check what wdboot measured and that the TPM holds exactly that."""
import hashlib
import struct

# TPM_ALG_ID -> digest size (TCG Algorithm Registry).
DIGEST_SIZES = {0x0004: 20, 0x000B: 32, 0x000C: 48, 0x000D: 64, 0x0012: 32}
SHA256 = 0x000B
EV_IPL = 0x0000000D


class Event:
    def __init__(self, pcr, type_, digests, data):
        self.pcr = pcr
        self.type = type_
        self.digests = digests  # {alg id: bytes}
        self.data = data

    def text(self):
        """The event data as text: UTF-16LE when it looks like it, else ASCII; NULs cut."""
        d = self.data
        if len(d) >= 4 and d[1] == 0 and d[3] == 0:
            return d.decode("utf-16-le", "replace").split("\0")[0]
        return d.decode("ascii", "replace").split("\0")[0]


def parse(raw):
    """The events of a crypto-agile log (the Spec ID header event is skipped)."""
    # TCG_PCR_EVENT: pcr u32, type u32, sha1 digest [20], size u32, data.
    _pcr, _type = struct.unpack_from("<II", raw, 0)
    (size,) = struct.unpack_from("<I", raw, 28)
    off = 32 + size
    if b"Spec ID Event03" not in raw[32:32 + size]:
        raise ValueError("not a crypto-agile (TCG 2.0) event log")
    events = []
    while off + 12 <= len(raw):
        pcr, type_, count = struct.unpack_from("<III", raw, off)
        off += 12
        digests = {}
        for _ in range(count):
            (alg,) = struct.unpack_from("<H", raw, off)
            n = DIGEST_SIZES[alg]
            digests[alg] = raw[off + 2:off + 2 + n]
            off += 2 + n
        (size,) = struct.unpack_from("<I", raw, off)
        off += 4
        events.append(Event(pcr, type_, digests, raw[off:off + size]))
        off += size
    return events


def replay(events, pcr, alg=SHA256):
    """The PCR's value after extending every logged digest, from zeros."""
    value = bytes(DIGEST_SIZES[alg])
    for e in events:
        if e.pcr == pcr and alg in e.digests:
            value = hashlib.sha256(value + e.digests[alg]).digest()
    return value
