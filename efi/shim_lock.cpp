#include "shim_lock.hpp"

#include "efi_guid.hpp"

namespace wdboot::efi {
namespace {

constexpr EFI_GUID kShimLockGuid = guid_from_text("605dab50-e046-4300-abb6-3dd810dd8b23");
constexpr EFI_GUID kSecurity2ArchGuid = guid_from_text("94ab2f58-1438-4ef1-9152-18941a3a0e68");

// shim's protocol: System V calling convention (see the header).
struct ShimLock {
    EFI_STATUS (*verify)(void* buffer, UINT32 size);
    // generate_hash and read_header follow; wdboot does not call them.
};

struct Security2Arch;
using FileAuthentication = EFI_STATUS(EFIAPI*)(const Security2Arch* self, const EFI_DEVICE_PATH* path,
                                                 void* file_buffer, UINTN file_size, BOOLEAN boot_policy);
struct Security2Arch {
    FileAuthentication file_authentication;
};

// The one override in place (LoadImage is not re-entered by the image being loaded:
// only its headers are parsed before it returns).
ShimLock* g_shim = nullptr;
Security2Arch* g_security2 = nullptr;
FileAuthentication g_firmware_check = nullptr;
bool g_vouched = false;

EFI_STATUS EFIAPI shim_or_firmware(const Security2Arch* self, const EFI_DEVICE_PATH* path, void* file_buffer,
                                   UINTN file_size, BOOLEAN boot_policy) {
    // Verify takes a 32-bit size: a larger buffer (no real kernel) goes to the firmware.
    if (g_shim != nullptr && file_buffer != nullptr && file_size != 0 && file_size <= 0xFFFFFFFFu &&
        g_shim->verify(file_buffer, static_cast<UINT32>(file_size)) == EFI_SUCCESS) {
        g_vouched = true;
        return EFI_SUCCESS;
    }
    return g_firmware_check(self, path, file_buffer, file_size, boot_policy);
}

ShimLock* locate_shim() {
    void* p = nullptr;
    if (EFI_ERROR(BS->LocateProtocol(guid_arg(kShimLockGuid), nullptr, &p))) return nullptr;
    return static_cast<ShimLock*>(p);
}

}  // namespace

bool shim_present() { return locate_shim() != nullptr; }

EFI_STATUS load_image_shim_aware(EFI_HANDLE parent, EFI_DEVICE_PATH* path, bool secure_boot, EFI_HANDLE* child,
                                 bool* shim_vouched) {
    *shim_vouched = false;
    ShimLock* shim = secure_boot ? locate_shim() : nullptr;
    Security2Arch* security2 = nullptr;
    if (shim != nullptr) {
        void* p = nullptr;
        if (!EFI_ERROR(BS->LocateProtocol(guid_arg(kSecurity2ArchGuid), nullptr, &p)))
            security2 = static_cast<Security2Arch*>(p);
    }
    if (security2 == nullptr || security2->file_authentication == nullptr)
        return BS->LoadImage(FALSE, parent, path, nullptr, 0, child);

    g_shim = shim;
    g_security2 = security2;
    g_firmware_check = security2->file_authentication;
    g_vouched = false;
    security2->file_authentication = shim_or_firmware;
    EFI_STATUS s = BS->LoadImage(FALSE, parent, path, nullptr, 0, child);
    // Restored before anything else can run: the firmware's check stays the firmware's.
    security2->file_authentication = g_firmware_check;
    *shim_vouched = g_vouched && !EFI_ERROR(s);
    g_shim = nullptr;
    g_security2 = nullptr;
    g_firmware_check = nullptr;
    return s;
}

}  // namespace wdboot::efi
