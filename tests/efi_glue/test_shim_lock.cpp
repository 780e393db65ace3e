// Host test of efi/shim_lock.cpp against a fake firmware: boot services whose LoadImage
// calls the Security2 architectural protocol with the file's bytes, as edk2's
// CoreLoadImageCommon does, and a fake shim whose SHIM_LOCK.Verify accepts or refuses.
// Built like the EFI glue (gnu-efi headers, -fshort-wchar, MS ABI for EFIAPI), so it
// cannot use Catch2 or the C++ library's wide strings: a plain main() that counts
// failures. Debian 12's shim (16.1) replaces LoadImage itself and never reaches this
// path (docs/secure-boot.md); older shims only offer Verify, which is what this covers.
#include <stdio.h>
#include <string.h>

#include "shim_lock.hpp"

EFI_BOOT_SERVICES* BS = nullptr;  // efi_services.cpp defines it in the loader

namespace {

int g_failures = 0;
#define EXPECT(cond)                                                        \
    do {                                                                    \
        if (!(cond)) {                                                      \
            fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__, __LINE__, #cond); \
            ++g_failures;                                                   \
        }                                                                   \
    } while (0)

const EFI_GUID kShimLock = {0x605dab50, 0xe046, 0x4300, {0xab, 0xb6, 0x3d, 0xd8, 0x10, 0xdd, 0x8b, 0x23}};
const EFI_GUID kSecurity2 = {0x94ab2f58, 0x1438, 0x4ef1, {0x91, 0x52, 0x18, 0x94, 0x1a, 0x3a, 0x0e, 0x68}};

bool same(const EFI_GUID* a, const EFI_GUID& b) { return memcmp(a, &b, sizeof(EFI_GUID)) == 0; }

// The fake shim: Verify in the System V convention, as shim's.
struct FakeShim {
    EFI_STATUS (*verify)(void* buffer, UINT32 size);
} g_shim_protocol;
EFI_STATUS g_shim_answer = EFI_SUCCESS;
int g_shim_calls = 0;
EFI_STATUS shim_verify(void*, UINT32) {
    ++g_shim_calls;
    return g_shim_answer;
}

// The fake firmware's Security2 check (db/dbx).
struct FakeSecurity2 {
    EFI_STATUS(EFIAPI* file_authentication)(const void* self, const EFI_DEVICE_PATH* path, void* buffer,
                                            UINTN size, BOOLEAN boot_policy);
} g_security2;
EFI_STATUS g_firmware_answer = EFI_ACCESS_DENIED;
int g_firmware_calls = 0;
EFI_STATUS EFIAPI firmware_check(const void*, const EFI_DEVICE_PATH*, void*, UINTN, BOOLEAN) {
    ++g_firmware_calls;
    return g_firmware_answer;
}

bool g_have_shim = false;
bool g_have_security2 = false;
int g_loads = 0;
UINT8 g_file[4096];

EFI_STATUS EFIAPI fake_locate_protocol(EFI_GUID* guid, void*, void** out) {
    if (same(guid, kShimLock) && g_have_shim) {
        *out = &g_shim_protocol;
        return EFI_SUCCESS;
    }
    if (same(guid, kSecurity2) && g_have_security2) {
        *out = &g_security2;
        return EFI_SUCCESS;
    }
    return EFI_NOT_FOUND;
}

// edk2's LoadImage: the image's bytes go through Security2 (when installed).
EFI_STATUS EFIAPI fake_load_image(BOOLEAN, EFI_HANDLE, EFI_DEVICE_PATH*, VOID*, UINTN, EFI_HANDLE* child) {
    ++g_loads;
    EFI_STATUS s = EFI_SUCCESS;
    if (g_have_security2) s = g_security2.file_authentication(&g_security2, nullptr, g_file, sizeof(g_file), FALSE);
    if (EFI_ERROR(s)) return s;
    *child = reinterpret_cast<EFI_HANDLE>(0x1000);
    return EFI_SUCCESS;
}

void reset(bool shim, bool security2, EFI_STATUS shim_answer, EFI_STATUS firmware_answer) {
    g_have_shim = shim;
    g_have_security2 = security2;
    g_shim_answer = shim_answer;
    g_firmware_answer = firmware_answer;
    g_shim_calls = g_firmware_calls = g_loads = 0;
    g_shim_protocol.verify = shim_verify;
    g_security2.file_authentication = firmware_check;
}

EFI_STATUS load(bool secure_boot, bool* vouched) {
    EFI_HANDLE child = nullptr;
    return wdboot::efi::load_image_shim_aware(nullptr, nullptr, secure_boot, &child, vouched);
}

}  // namespace

int main() {
    static EFI_BOOT_SERVICES services;
    services.LocateProtocol = fake_locate_protocol;
    services.LoadImage = fake_load_image;
    BS = &services;
    bool vouched = true;

    // shim vouches for an image db does not allow: loaded, said, the firmware not asked.
    reset(true, true, EFI_SUCCESS, EFI_ACCESS_DENIED);
    EXPECT(load(true, &vouched) == EFI_SUCCESS);
    EXPECT(vouched);
    EXPECT(g_shim_calls == 1 && g_firmware_calls == 0);
    EXPECT(g_security2.file_authentication == firmware_check);  // restored
    EXPECT(wdboot::efi::shim_present());

    // shim refuses: the firmware's own answer stands, whatever it is.
    reset(true, true, EFI_SECURITY_VIOLATION, EFI_ACCESS_DENIED);
    EXPECT(load(true, &vouched) == EFI_ACCESS_DENIED);
    EXPECT(!vouched);
    EXPECT(g_shim_calls == 1 && g_firmware_calls == 1);
    EXPECT(g_security2.file_authentication == firmware_check);
    reset(true, true, EFI_SECURITY_VIOLATION, EFI_SUCCESS);  // signed by db: shim not needed
    EXPECT(load(true, &vouched) == EFI_SUCCESS);
    EXPECT(!vouched);
    EXPECT(g_firmware_calls == 1);

    // Secure Boot off: no wrap, shim never asked.
    reset(true, true, EFI_SUCCESS, EFI_SUCCESS);
    EXPECT(load(false, &vouched) == EFI_SUCCESS);
    EXPECT(!vouched && g_shim_calls == 0 && g_firmware_calls == 1);

    // No shim: the firmware alone decides, nothing wrapped.
    reset(false, true, EFI_SUCCESS, EFI_ACCESS_DENIED);
    EXPECT(load(true, &vouched) == EFI_ACCESS_DENIED);
    EXPECT(!vouched && g_shim_calls == 0);
    EXPECT(!wdboot::efi::shim_present());

    // Firmware without Security2 (only the old Security protocol): plain LoadImage, shim
    // cannot vouch; the image is loaded or refused by the firmware as without shim.
    reset(true, false, EFI_SUCCESS, EFI_ACCESS_DENIED);
    EXPECT(load(true, &vouched) == EFI_SUCCESS);
    EXPECT(!vouched && g_shim_calls == 0 && g_loads == 1);

    // A second load after a wrap sees the firmware's own check again, not the wrap.
    reset(true, true, EFI_SUCCESS, EFI_ACCESS_DENIED);
    (void)load(true, &vouched);
    g_have_shim = false;
    EXPECT(load(true, &vouched) == EFI_ACCESS_DENIED);
    EXPECT(!vouched);

    if (g_failures == 0) printf("shim_lock: all checks passed\n");
    return g_failures == 0 ? 0 : 1;
}
