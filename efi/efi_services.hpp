// What wdboot took from gnu-efi's libefi, in a few hundred bytes instead of ~30 KB
// (libefi's objects come whole: DevicePathFromHandle alone brings the device path
// printer, _Print and its float formatting). gnu-efi's crt0 is still used (its _relocate
// is not: runtime_support.cpp). Called by main.cpp (init_services, first thing in efi_main),
// efi_image.cpp and loader_interface.cpp.
#pragma once
#include "efi_api.hpp"

namespace wdboot::efi {

// Sets the ST, BS and RT pointers efilib.h declares (and the glue uses everywhere) from
// the system table efi_main got, as gnu-efi's InitializeLib did. Nothing else of
// InitializeLib mattered to wdboot: its pool type (LoaderData) and Unicode collation
// setup served only libefi's own functions.
void init_services(EFI_SYSTEM_TABLE* system_table);

// The device path installed on `handle`; nullptr when it has none (DevicePathFromHandle).
EFI_DEVICE_PATH* device_path_of(EFI_HANDLE handle);

// A new pool copy of `first` without its End node followed by `second` with its End node
// (first, second: single-instance paths ending in End-Entire; `first` may be nullptr).
// nullptr when the pool is exhausted or `first` has a node shorter than its header.
// The caller frees the result with BS->FreePool (AppendDevicePath).
EFI_DEVICE_PATH* append_device_path(const EFI_DEVICE_PATH* first, const EFI_DEVICE_PATH* second);

// A new pool path: `device`'s device path followed by a file path node holding `name`
// (just the file path node when `device` has none). nullptr when the pool is exhausted.
// The caller frees it with BS->FreePool (FileDevicePath).
EFI_DEVICE_PATH* file_device_path(EFI_HANDLE device, const CHAR16* name);

}  // namespace wdboot::efi
