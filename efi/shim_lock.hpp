// Verification through shim. When shim started wdboot it installs its SHIM_LOCK
// protocol; images signed by a key shim trusts (its built-in vendor certificate, e.g.
// Debian's, or a Machine Owner Key in MokList) are then acceptable although the
// firmware's db does not hold their signer. As systemd-boot does, wdboot lets shim vouch
// for an image during its LoadImage: for the duration of one call, the firmware's
// EFI_SECURITY2_ARCH_PROTOCOL.FileAuthentication (UEFI PI specification vol. 2, section
// 12.9; edk2 MdePkg/Include/Protocol/Security2.h) is wrapped so that an image shim
// verifies passes, and any other goes to the firmware's own check (db/dbx) unchanged.
//
// Facts and their sources:
// - SHIM_LOCK_GUID 605dab50-e046-4300-abb6-3dd810dd8b23; the protocol's first member is
//   Verify(buffer, size), in the System V calling convention on x86_64, not the UEFI one
//   (shim's shim.h; systemd src/boot/shim.c declares it __attribute__((sysv_abi))).
//   Verify checks the buffer against db, dbx, MokList, MokListX, the vendor certificate
//   and SBAT, and returns EFI_SUCCESS only for an image shim would start.
// - EFI_SECURITY2_ARCH_PROTOCOL_GUID 94ab2f58-1438-4ef1-9152-18941a3a0e68; edk2's
//   LoadImage calls FileAuthentication with the file's bytes for every image that is
//   not in a firmware volume (CoreLoadImageCommon), and nothing else for those.
// Firmware with only the older EFI_SECURITY_ARCH_PROTOCOL (no file buffer) gets no
// override: images only shim trusts are then refused (load-failed, the next slot boots),
// which is safe; docs/secure-boot.md.
#pragma once
#include "efi_api.hpp"

namespace wdboot::efi {

// Calls LoadImage(FALSE, parent, path, nullptr, 0, &child) with shim allowed to vouch
// for the image when Secure Boot is on and shim's protocol is present; plain LoadImage
// otherwise. *shim_vouched says whether shim's Verify accepted it (the console names it).
EFI_STATUS load_image_shim_aware(EFI_HANDLE parent, EFI_DEVICE_PATH* path, bool secure_boot, EFI_HANDLE* child,
                                 bool* shim_vouched);

// True when shim's SHIM_LOCK protocol is installed (wdboot was started by shim).
bool shim_present();

}  // namespace wdboot::efi
