#!/bin/sh
# Checks the linked image before it is installed as wdbootx64.efi. Called by
# efi/CMakeLists.txt:  check_pe_image.sh OBJDUMP ELF.so PE.efi SIZE_LIMIT
#  1. The ELF has only sections the gnu-efi linker script places and objcopy keeps:
#     an orphan (.bss.*, .init_array from a global constructor, .tdata, ...) would be
#     dropped silently and the image would run with that memory missing.
#  2. No undefined symbols are left (gnu-efi images have no dynamic loader), and every
#     dynamic relocation is R_X86_64_RELATIVE: a PE base relocation can express only
#     those, anything else (GLOB_DAT from a GNU-unique symbol, say) would silently stay
#     zero.
#  3. The PE file is PE32+ with subsystem "EFI application" (10) and has its .sbat
#     section starting with the SBAT header line (shim refuses a second stage without).
#  4. Every PE section starts on a 4 KiB boundary (SectionAlignment: a loader may
#     reject an image whose section is placed off it).
#  5. The PE's base relocation table (.reloc, from add_base_relocs.sh) has one DIR64
#     entry for every ELF relocation, at the same address, and nothing else but
#     ABSOLUTE padding: a missing one would leave a pointer unrelocated at run time.
#  6. The PE file is at most SIZE_LIMIT bytes (WDBOOT_EFI_SIZE_LIMIT; why it is
#     watched and where the bytes go: docs/performance.md).
set -eu
objdump=$1
elf=$2
pe=$3
limit=$4

# .bss: the NOBITS section of wdboot_efi.lds (zero-initialised data without file bytes).
expected=" .hash .gnu.hash .eh_frame .text .reloc .data .note.gnu.build-id .dynamic .rela .dynsym .dynstr .comment .eh_frame_hdr .sbat .bss "
bad=""
for sec in $("$objdump" -h -w "$elf" | awk '$1 ~ /^[0-9]+$/ { print $2 }'); do
    case "$sec" in .debug_*) continue ;; esac
    case "$expected" in *" $sec "*) ;; *) bad="$bad $sec" ;; esac
done
if [ -n "$bad" ]; then
    echo "error: $elf has sections the EFI image would lose:$bad" >&2
    exit 1
fi

undef=$("$objdump" -T "$elf" | awk '$0 ~ /\*UND\*/ { print $NF }' | grep -v '^$' || true)
if [ -n "$undef" ]; then
    echo "error: $elf has undefined symbols: $undef" >&2
    exit 1
fi

relocs=$("$objdump" -R "$elf" | awk '$1 ~ /^[0-9a-f]+$/ && $2 != "R_X86_64_RELATIVE" { print $2, $3 }')
if [ -n "$relocs" ]; then
    echo "error: $elf has dynamic relocations gnu-efi does not apply:" >&2
    printf '  %s\n' "$relocs" >&2
    exit 1
fi

headers=$("$objdump" -p "$pe")
if ! printf '%s\n' "$headers" | grep -Eq '^Magic[[:space:]]+020b[[:space:]]+\(PE32\+\)'; then
    echo "error: $pe is not a PE32+ image" >&2
    exit 1
fi
if ! printf '%s\n' "$headers" | grep -Eq '^Subsystem[[:space:]]+0*a[[:space:]]+\(EFI application\)'; then
    echo "error: $pe does not have subsystem EFI application:" >&2
    printf '%s\n' "$headers" | grep '^Subsystem' >&2 || true
    exit 1
fi
if ! "$objdump" -h "$pe" | awk '$2 == ".sbat" { found = 1 } END { exit !found }'; then
    echo "error: $pe has no .sbat section" >&2
    exit 1
fi

misaligned=$("$objdump" -h "$pe" | awk '$1 ~ /^[0-9]+$/ && $4 !~ /000$/ { print $2, $4 }')
if [ -n "$misaligned" ]; then
    echo "error: $pe has sections off the 4 KiB section alignment:" >&2
    printf '  %s\n' "$misaligned" >&2
    exit 1
fi

elf_relocs=$("$objdump" -R "$elf" | awk '$1 ~ /^[0-9a-f]+$/ { sub(/^0+/, "", $1); print $1 }' | sort)
pe_relocs=$(printf '%s\n' "$headers" | awk '$1 == "reloc" && $NF != "ABSOLUTE" {
    if ($NF != "DIR64") { print "bad:" $NF; next }
    a = $(NF - 1); gsub(/[][]/, "", a); sub(/^0+/, "", a); print a }' | sort)
if [ "$elf_relocs" != "$pe_relocs" ]; then
    echo "error: the base relocations of $pe do not match the relocations of $elf" >&2
    exit 1
fi

size=$(wc -c < "$pe")
if [ "$size" -gt "$limit" ]; then
    echo "error: ${pe%.tmp} would be $size bytes, over the limit of $limit bytes (WDBOOT_EFI_SIZE_LIMIT); docs/performance.md says where the bytes go" >&2
    exit 1
fi
