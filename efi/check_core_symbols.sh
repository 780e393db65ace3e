#!/bin/sh
# Fails the build when the freestanding core references a symbol the EFI image does
# not provide on purpose. Called by efi/CMakeLists.txt as part of target wdboot_efi:
#   check_core_symbols.sh NM "ALLOWED SYMBOLS" STAMP OBJECT...
# Allowed, and why:
#   memcpy memset   GCC emits them for struct copies and zeroing; libefi provides them.
#   memmove memcmp  GCC may emit them as well; efi/runtime_support.cpp provides them.
#   __cxa_pure_virtual  referenced by the vtables of the abstract interfaces
#                   (VariableStore, BootPlatform, RegisterIo); efi/runtime_support.cpp
#                   provides a trapping one.
#   _GLOBAL_OFFSET_TABLE_  not a function: the linker defines it; -fpic code that
#                   takes addresses of data refers to it.
# Symbols the core defines itself (one object calling another) are not violations.
set -eu
nm=$1
allowed=$2
stamp=$3
shift 3
[ $# -gt 0 ] || { echo "check_core_symbols: no objects given" >&2; exit 1; }

defined=$("$nm" --defined-only "$@" | awk 'NF >= 3 { print $3 }' | sort -u)
bad=""
for obj in "$@"; do
    for sym in $("$nm" -u "$obj" | awk '{ print $NF }'); do
        case " $allowed " in *" $sym "*) continue ;; esac
        if printf '%s\n' "$defined" | grep -qxF -- "$sym"; then continue; fi
        bad="$bad
  $(basename "$obj"): $sym"
    done
done
if [ -n "$bad" ]; then
    echo "error: the portable core references symbols outside the allow-list ($allowed):$bad" >&2
    echo "error: the core must not call into libc, the firmware or the C++ runtime (see efi/check_core_symbols.sh)" >&2
    rm -f "$stamp"
    exit 1
fi
echo "core symbol check passed ($# objects)" > "$stamp"
