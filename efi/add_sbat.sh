#!/bin/sh
# Adds the SBAT section to the linked ELF before objcopy turns it into the PE image.
# Called by efi/CMakeLists.txt:  add_sbat.sh OBJCOPY OBJDUMP IN.so SBAT.csv OUT.so
#
# SBAT (shim's Secure Boot Advanced Targeting, https://github.com/rhboot/shim/blob/main/SBAT.md):
# a PE section named .sbat holding CSV lines "component,generation,vendor,package,
# version,url"; shim (15.3 and later) refuses a second stage without one, and revokes
# images by generation instead of by hash. gnu-efi's linker script has no .sbat, so the
# section is added to the linked ELF: readonly data at the first 4 KiB page after every
# loaded section (PE sections must be SectionAlignment-aligned and must not overlap).
set -eu
objcopy=$1
objdump=$2
in=$3
csv=$4
out=$5

. "$(dirname "$0")/first_free_page.sh"
end=$(first_free_page "$objdump" "$in")
"$objcopy" --add-section ".sbat=$csv" \
    --set-section-flags .sbat=contents,alloc,load,readonly,data \
    --change-section-address ".sbat=$end" "$in" "$out"
