// Hands initrds to the Linux EFI stub (5.8+) the way it looks for them first: an
// EFI_LOAD_FILE2_PROTOCOL on a handle whose device path is
// VenMedia(LINUX_EFI_INITRD_MEDIA_GUID)/End. The stub asks for the size (we answer
// EFI_BUFFER_TOO_SMALL with it), then for the data. The initrds therefore never need to
// be on the kernel's own file system, and several are simply concatenated.
//
// There is one such handle at a time; EfiPlatform installs it in load_image() and
// removes it in unload_image().
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "efi_api.hpp"
#include "efi_files.hpp"
#include "wdboot/config.hpp"

namespace wdboot::efi {

// Reads the given initrd files from the ESP into one buffer, each padded with zeros to
// a multiple of 4 bytes (the kernel parses concatenated cpio archives at 4-byte
// boundaries). On failure *failed_path names the file that could not be read.
EFI_STATUS read_initrds(EspVolume& esp, const char (*paths)[kPathMax], size_t count, PoolBuffer& out,
                        const char** failed_path);

// Takes ownership of `data` (the concatenated initrds) and installs the device path and
// LoadFile2 protocol on a new handle. EFI_ALREADY_STARTED if some handle already serves
// the initrd device path (a left-over of another loader: the kernel would take that one).
EFI_STATUS install_initrd(PoolBuffer& data);

// Uninstalls the protocol and frees the data. Safe to call when nothing is installed.
void uninstall_initrd();

}  // namespace wdboot::efi
