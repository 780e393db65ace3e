// Secure Boot: what wdboot does with the inputs it cannot verify, and why an image was
// not started. Portable core; the loader applies it in efi/efi_image.cpp, the full
// policy and its threat model are in docs/secure-boot.md.
//
// Under Secure Boot the firmware (db/dbx) or shim verifies every image wdboot starts,
// but wdboot.conf, a slot's `options` and its `initrd` files are unsigned files on a
// FAT partition: whoever can write the ESP can change them. Two policies:
// - strict (the default): nothing from wdboot.conf reaches a verified image. A UKI or an
//   `efi` image boots with what it carries itself (systemd-stub ignores load options
//   under Secure Boot anyway); a `bootentry` slot keeps its Boot#### text (NVRAM, which
//   the attacker of this model cannot write). A plain kernel that the config would give
//   options or initrds is not started at all: it cannot boot as intended without them.
// - permissive: options and initrds from wdboot.conf are passed as without Secure Boot;
//   the loader logs that they are unverified and measures them into the TPM.
// Either way wdboot's own arguments (the watchdog's `modprobe.blacklist=MODULE` or
// `watchdog.open_timeout=N`, and `panic=N`) are still added to kernels: they come from a
// fixed vocabulary in the signed loader, carry no path or program, and keep the
// never-stuck guarantees (a driver that would stop the watchdog stays unloaded).
//
// Where the policy comes from: the boot entry's load options (`secure-boot-policy=`,
// NVRAM) or, only to make it stricter, wdboot.conf. A `secure-boot-policy permissive`
// in wdboot.conf is ignored under Secure Boot: the file it would loosen is the one the
// policy distrusts.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "wdboot/config.hpp"
#include "wdboot/pe_image.hpp"

namespace wdboot {

// Why an image was not loaded: the detail byte of the journal's `load-failed` entries
// (docs/record-format.md). Values are on record: never renumber.
enum class LoadFailure : uint8_t {
    unknown = 0,
    not_found = 1,           // the file, the Boot#### variable or its device is absent
    // LoadImage refused the image under Secure Boot (not signed by a db key, or in dbx).
    // UEFI 2.10 section 7.4: EFI_SECURITY_VIOLATION means "loaded, but policy says do not
    // start"; EFI_ACCESS_DENIED "not loaded: policy prohibits it" — what edk2 (OVMF)
    // returns for an image db does not allow.
    security_violation = 2,  // EFI_SECURITY_VIOLATION
    access_denied = 3,       // EFI_ACCESS_DENIED
    secure_boot_policy = 4,  // wdboot's strict policy: a kernel that needs wdboot.conf's inputs
    invalid_image = 5,       // not a loadable PE image for this machine
    initrd = 6,              // an initrd could not be read or published
    command_line = 7,        // the command line does not fit, or its embedded text is not ASCII
    out_of_resources = 8,    // the firmware had no memory for it
};
const char* to_string(LoadFailure f);

// What the policy allows for one image, decided once its PE headers are known.
struct UnverifiedInputs {
    bool refused = false;          // strict: a plain kernel whose slot has options or initrds
    bool options_dropped = false;  // the slot's `options` are not passed (the slot had some)
    bool initrds_dropped = false;  // the slot's `initrd` files are not served (the slot had some)
    bool unverified_passed = false;  // permissive: options or initrds from wdboot.conf are passed
};

// `secure_boot`: the SecureBoot variable is 1 (UEFI 2.10 section 3.3). `declared`: the
// slot's keyword; `type`: what the image's PE headers say. Without Secure Boot nothing
// is dropped or refused.
UnverifiedInputs unverified_inputs(bool secure_boot, SecureBootPolicy policy, ImageKind declared, PeImageType type,
                                   bool has_options, bool has_initrds);

}  // namespace wdboot
