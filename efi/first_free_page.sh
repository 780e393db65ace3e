# Sourced by add_base_relocs.sh and add_sbat.sh, which each add a section to the linked
# ELF: first_free_page OBJDUMP ELF prints (as 0x...) the first 4 KiB page after every
# loaded section, where a new section may go (PE sections must be aligned to the
# SectionAlignment, 4 KiB, and must not overlap).
first_free_page() {
    _max=0
    for _pair in $("$1" -h -w "$2" | awk '$1 ~ /^[0-9]+$/ && /ALLOC/ { print $3 ":" $4 }'); do
        _e=$(( 0x${_pair#*:} + 0x${_pair%%:*} ))
        [ "$_e" -gt "$_max" ] && _max=$_e
    done
    printf '0x%x' $(( (_max + 4095) / 4096 * 4096 ))
}
