#!/usr/bin/env python3
"""Rewrites the PE headers objcopy makes into the smallest ones the UEFI loader accepts.

Called by efi/CMakeLists.txt:  compact_pe.py IN.efi OUT.efi

objcopy writes a 128-byte MS-DOS header and stub, and one section header per ELF
section, .bss included (a section with no file bytes). With five section headers the
headers take 592 bytes, which the 512-byte FileAlignment rounds up to 1,024. This step
writes the same image with

  * the 64-byte MS-DOS header alone (e_lfanew = 0x40): the stub only prints "This
    program cannot be run in DOS mode" and UEFI never runs it (UEFI 2.10, 2.1.1: the
    loader reads e_lfanew and the PE32+ headers);
  * .bss folded into .data as its zero-filled tail: .data's VirtualSize grows to the end
    of .bss, its SizeOfRawData stays (PE/COFF 4.1: "If this value is greater than
    SizeOfRawData, the section is zero-padded"; edk2's PeCoffLoaderLoadImage zero-fills
    it, and this is how Microsoft's linker places uninitialised data);

so the headers (64 + 4 + 20 + 240 + 4 x 40 = 488 bytes) fit in 512, and every section's
file bytes move 512 bytes forward. Nothing else changes: the code, the data, the
relocations, .sbat, the entry point, SizeOfImage and every RVA are the same bytes at the
same addresses. The result is checked by check_pe_image.sh like objcopy's output was.
"""
import struct
import sys

DOS_HEADER = 64
SECTION_HEADER = 40
FILE_ALIGNMENT = 512
IMAGE_SCN_CNT_INITIALIZED_DATA = 0x40
IMAGE_SCN_CNT_UNINITIALIZED_DATA = 0x80


def fail(msg):
    sys.exit(f"compact_pe.py: {msg}")


def align(n, a):
    return (n + a - 1) // a * a


def main(src, dst):
    data = open(src, "rb").read()
    if data[:2] != b"MZ":
        fail(f"{src} has no MS-DOS header")
    pe = struct.unpack_from("<I", data, 0x3C)[0]
    if data[pe:pe + 4] != b"PE\0\0":
        fail(f"{src} has no PE signature at 0x{pe:x}")
    coff = pe + 4
    nsec, _, symtab, nsyms, opt_size = struct.unpack_from("<HIIIH", data, coff + 2)
    if symtab or nsyms:
        fail(f"{src} has a COFF symbol table (link with --strip-all)")
    opt = coff + 20
    if struct.unpack_from("<H", data, opt)[0] != 0x20B:
        fail(f"{src} is not PE32+")
    file_alignment, = struct.unpack_from("<I", data, opt + 36)
    old_headers, = struct.unpack_from("<I", data, opt + 60)
    if file_alignment != FILE_ALIGNMENT:
        fail(f"{src} has FileAlignment {file_alignment}, expected {FILE_ALIGNMENT}")
    table = opt + opt_size
    sections = []
    for i in range(nsec):
        raw = bytearray(data[table + i * SECTION_HEADER:table + (i + 1) * SECTION_HEADER])
        sections.append(raw)

    def field(sec, off):
        return struct.unpack_from("<I", sec, off)[0]

    def name(sec):
        return sec[:8].rstrip(b"\0").decode()

    # .bss: no file bytes, right after .data in the table and in memory.
    names = [name(s) for s in sections]
    if ".bss" in names:
        b = names.index(".bss")
        if b == 0 or names[b - 1] != ".data":
            fail(f"{src}: .bss does not follow .data ({names})")
        bss, dat = sections[b], sections[b - 1]
        if field(bss, 16) != 0 or field(bss, 20) != 0:
            fail(f"{src}: .bss has file bytes")
        data_va, data_vs, bss_va, bss_vs = field(dat, 12), field(dat, 8), field(bss, 12), field(bss, 8)
        if bss_va < data_va + data_vs:
            fail(f"{src}: .bss overlaps .data")
        # Every other section must lie outside the folded range.
        for s in sections:
            if s is not bss and s is not dat and data_va < field(s, 12) < bss_va + bss_vs:
                fail(f"{src}: {name(s)} lies between .data and the end of .bss")
        struct.pack_into("<I", dat, 8, bss_va + bss_vs - data_va)
        del sections[b]

    new_headers = align(DOS_HEADER + 4 + 20 + opt_size + len(sections) * SECTION_HEADER, FILE_ALIGNMENT)
    if new_headers > old_headers:
        fail(f"{src}: the headers would grow")
    shift = old_headers - new_headers

    out = bytearray(new_headers)
    out[:DOS_HEADER] = data[:DOS_HEADER]
    struct.pack_into("<I", out, 0x3C, DOS_HEADER)
    hdr = bytearray(data[pe:opt + opt_size])
    struct.pack_into("<H", hdr, 6, len(sections))              # NumberOfSections
    o = 4 + 20
    init = sum(field(s, 16) for s in sections if field(s, 36) & IMAGE_SCN_CNT_INITIALIZED_DATA)
    struct.pack_into("<I", hdr, o + 8, init)                   # SizeOfInitializedData
    struct.pack_into("<I", hdr, o + 12, 0)                     # SizeOfUninitializedData
    struct.pack_into("<I", hdr, o + 60, new_headers)           # SizeOfHeaders
    struct.pack_into("<I", hdr, o + 64, 0)                     # CheckSum (not used by UEFI)
    out[DOS_HEADER:DOS_HEADER + len(hdr)] = hdr
    pos = DOS_HEADER + len(hdr)
    body = bytearray()
    for s in sections:
        if field(s, 36) & IMAGE_SCN_CNT_UNINITIALIZED_DATA and field(s, 16) == 0:
            fail(f"{src}: a second section without file bytes ({name(s)})")
        ptr, size = field(s, 20), field(s, 16)
        if size:
            if ptr != old_headers + len(body):
                fail(f"{src}: {name(s)}'s file bytes are not in section order")
            body += data[ptr:ptr + size]
            struct.pack_into("<I", s, 20, ptr - shift)
        out[pos:pos + SECTION_HEADER] = s
        pos += SECTION_HEADER
    if old_headers + len(body) != len(data):
        fail(f"{src} has bytes after its last section (a signature or a symbol table)")
    open(dst, "wb").write(out + body)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: compact_pe.py IN.efi OUT.efi")
    main(sys.argv[1], sys.argv[2])
