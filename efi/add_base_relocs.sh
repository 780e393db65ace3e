#!/bin/sh
# Turns the linked ELF's dynamic relocations into the PE base relocation table, the
# .reloc section the firmware's loader applies. Called by efi/CMakeLists.txt:
#   add_base_relocs.sh OBJCOPY OBJDUMP IN.so OUT.so
#
# Why: gnu-efi's way is a dummy .reloc (so that the firmware treats the image as
# relocatable) plus the ELF .dynamic and .rela sections copied into the PE, which crt0's
# _relocate walks at start-up; each R_X86_64_RELATIVE costs 24 bytes there. A PE base
# relocation (PE/COFF 6.6, IMAGE_REL_BASED_DIR64) costs 2 bytes, plus 8 per 4 KiB page,
# and every UEFI loader (edk2's PeCoffLoaderRelocateImage, shim's relocate_coff) applies
# it: the image's ImageBase is 0, so it is always loaded elsewhere and always relocated.
# The slot the relocation patches already holds the link-time value (the addend: GNU ld
# writes it there for x86-64 RELATIVE relocations), which DIR64 moves by the load
# address. So .dynamic and .rela are not copied into the PE and wdboot's _relocate
# (runtime_support.cpp) does nothing (docs/performance.md, "Where the bytes go").
#
# The section goes at the first 4 KiB page after every loaded section, as .sbat does
# (add_sbat.sh). Any relocation other than R_X86_64_RELATIVE fails the build (a DIR64
# entry could not express it). check_pe_image.sh checks the PE's table against the ELF.
set -eu
objcopy=$1
objdump=$2
in=$3
out=$4

other=$("$objdump" -R "$in" | awk '$1 ~ /^[0-9a-f]+$/ && $2 != "R_X86_64_RELATIVE" { print $2, $3 }')
if [ -n "$other" ]; then
    echo "error: $in has dynamic relocations a PE base relocation cannot express:" >&2
    printf '  %s\n' "$other" >&2
    exit 1
fi

. "$(dirname "$0")/first_free_page.sh"
end=$(first_free_page "$objdump" "$in")

# The table as printf(1) octal escapes: one block per 4 KiB page (PageRVA, BlockSize,
# then DIR64 entries, type 10 in the top 4 bits and the offset in the page below), each
# block padded to 4 bytes with an ABSOLUTE (0) entry. Without any relocation, one empty
# block as crt0's dummy: some loaders want a .reloc to treat the image as relocatable.
table=$("$objdump" -R "$in" | awk '
    function hex(s,   i, v) {
        v = 0
        for (i = 1; i <= length(s); ++i) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
        return v
    }
    function bytes(v, n,   i, r) {
        r = ""
        for (i = 0; i < n; ++i) { r = r sprintf("\\%03o", v % 256); v = int(v / 256) }
        return r
    }
    function flush(   size, i, r) {
        if (count == 0) return
        size = 8 + 2 * count + (count % 2) * 2
        r = bytes(page, 4) bytes(size, 4)
        for (i = 0; i < count; ++i) r = r bytes(40960 + entry[i], 2)
        if (count % 2) r = r bytes(0, 2)
        printf "%s", r
        count = 0
    }
    $1 ~ /^[0-9a-f]+$/ && $2 == "R_X86_64_RELATIVE" { offsets[n++] = hex($1) }
    END {
        # objdump lists them in address order; sort anyway (insertion sort, ~200 entries).
        for (i = 1; i < n; ++i) {
            v = offsets[i]
            for (j = i - 1; j >= 0 && offsets[j] > v; --j) offsets[j + 1] = offsets[j]
            offsets[j + 1] = v
        }
        count = 0
        page = -1
        for (i = 0; i < n; ++i) {
            p = offsets[i] - offsets[i] % 4096
            if (p != page) { flush(); page = p }
            entry[count++] = offsets[i] - p
        }
        flush()
        if (n == 0) printf "%s", bytes(0, 4) bytes(12, 4) bytes(0, 4)
    }')

tmp=$out.reloc
printf "$table" > "$tmp"
"$objcopy" --add-section ".reloc=$tmp" \
    --set-section-flags .reloc=contents,alloc,load,readonly,data \
    --change-section-address ".reloc=$end" "$in" "$out"
rm -f "$tmp"
