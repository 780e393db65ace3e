// Loading (not starting) the image of a slot: a file on our own ESP (`linux`, `efi`),
// or the device path of an existing Boot#### entry (`bootentry`), and setting the
// child's LoadOptions. One image at a time; EfiPlatform drives it. Every failure is
// explained on the console before the EFI status is returned.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "efi_api.hpp"
#include "efi_files.hpp"
#include "wdboot/config.hpp"
#include "wdboot/pe_image.hpp"
#include "wdboot/secure_boot.hpp"

namespace wdboot::efi {

// The reason a LoadImage status gives (journalled with the slot's load-failed entry).
LoadFailure load_failure_of(EFI_STATUS s);

// The SecureBoot global variable (UEFI 2.10 section 3.3) is 1: Secure Boot is enforced.
// Absent or unreadable counts as off. Read from the firmware once per boot.
bool secure_boot_enabled();

class ImageLoader {
public:
    ImageLoader(EFI_HANDLE self, EFI_HANDLE esp_device, SecureBootPolicy policy)
        : self_(self), esp_device_(esp_device), policy_(policy) {}
    ImageLoader(const ImageLoader&) = delete;
    ImageLoader& operator=(const ImageLoader&) = delete;
    ~ImageLoader() { unload(); }

    // LoadImage of an ESP file (ASCII path, '/' or '\') of a `linux` or `efi` slot; the
    // load options become the UCS-2 form of compose_command_line() for what the loaded
    // image is (its PE headers in memory), after the Secure Boot policy
    // (unverified_inputs()) dropped what it does not allow. `has_initrds`: the slot has
    // initrd files; *serve_initrds says whether the policy lets the caller serve them.
    // On failure *why says why (a refusal by the policy: secure_boot_policy).
    EFI_STATUS load_file(const char* path, ImageKind declared, const CommandLineParts& parts, bool has_initrds,
                         bool* serve_initrds, LoadFailure* why);

    // LoadImage of Boot<number>'s device path (expanded when it is a short form: HD(...)
    // or a bare file path). Its optional data become the load options; what
    // compose_command_line() adds is appended when that data is text (a kernel command
    // line), else it is dropped with a warning.
    // Under Secure Boot's strict policy the slot's options are not appended (the entry's
    // own text, from NVRAM, stays). On failure *why says why.
    EFI_STATUS load_boot_entry(uint16_t number, const CommandLineParts& parts, LoadFailure* why);

    // StartImage of the loaded image. Returns when the image exited or was refused.
    EFI_STATUS start();

    // Unloads a loaded image that was not started (or was refused) and frees its options.
    void unload();
    bool loaded() const { return child_ != nullptr; }

private:
    EFI_STATUS load_path(EFI_DEVICE_PATH* path);
    EFI_STATUS load_short_form(EFI_DEVICE_PATH* path);
    EFI_STATUS set_options(const void* data, size_t bytes);
    EFI_STATUS set_options_text(const char* text);
    // The load options' text for the loaded child (logs what it decided); false when it
    // cannot be given (too long, a non-ASCII embedded command line).
    // `has_initrds` and *serve_initrds as in load_file; *refused: the policy refused it.
    bool compose(const char* name, ImageKind declared, bool entry_has_text, const CommandLineParts& parts,
                 bool has_initrds, char (&out)[kOptionsMax], bool* serve_initrds, bool* refused);

    EFI_HANDLE self_;
    EFI_HANDLE esp_device_;
    SecureBootPolicy policy_;
    EFI_HANDLE child_ = nullptr;
    PoolBuffer options_;
    bool options_text_ = false;  // options_ is UCS-2 text (else a Boot#### entry's binary data)
};

}  // namespace wdboot::efi
