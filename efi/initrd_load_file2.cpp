#include "initrd_load_file2.hpp"

#include "tpm_measure.hpp"
#include "wdboot/tpm_event.hpp"
#include "efi_guid.hpp"

namespace wdboot::efi {

namespace {

constexpr EFI_GUID kLoadFile2Guid = guid_from_text("4006c0c1-fcb3-403e-996d-4a6c8724e06d");
constexpr EFI_GUID kInitrdMediaGuid = guid_from_text("5568e427-68fc-4f3d-ac74-ca555231cc68");

// VenMedia(LINUX_EFI_INITRD_MEDIA_GUID)/End, laid out as the firmware expects it.
struct [[gnu::packed]] InitrdDevicePath {
    VENDOR_DEVICE_PATH vendor;
    EFI_DEVICE_PATH end;
};
static_assert(sizeof(VENDOR_DEVICE_PATH) == 20 && sizeof(InitrdDevicePath) == 24);

constinit InitrdDevicePath g_initrd_path = {
    {{MEDIA_DEVICE_PATH, MEDIA_VENDOR_DP, {sizeof(VENDOR_DEVICE_PATH), 0}}, kInitrdMediaGuid},
    {END_DEVICE_PATH_TYPE, END_ENTIRE_DEVICE_PATH_SUBTYPE, {sizeof(EFI_DEVICE_PATH), 0}},
};

// The protocol instance first, so the callback's `This` leads back to the data.
struct InitrdServer {
    EFI_LOAD_FILE_PROTOCOL protocol;
    uint8_t* data;
    size_t size;
    EFI_HANDLE handle;
};

EFI_STATUS EFIAPI load_initrd(EFI_LOAD_FILE_PROTOCOL* self, EFI_DEVICE_PATH* /*path*/, BOOLEAN boot_policy,
                              UINTN* buffer_size, VOID* buffer);

constinit InitrdServer g_server = {{load_initrd}, nullptr, 0, nullptr};

EFI_STATUS EFIAPI load_initrd(EFI_LOAD_FILE_PROTOCOL* self, EFI_DEVICE_PATH* /*path*/, BOOLEAN boot_policy,
                              UINTN* buffer_size, VOID* buffer) {
    // LoadFile2 never serves boot-policy (boot manager) requests.
    if (boot_policy) return EFI_UNSUPPORTED;
    if (self == nullptr || buffer_size == nullptr) return EFI_INVALID_PARAMETER;
    auto* server = reinterpret_cast<InitrdServer*>(self);
    if (server->data == nullptr) return EFI_NOT_FOUND;
    if (buffer == nullptr || *buffer_size < server->size) {
        *buffer_size = server->size;
        return EFI_BUFFER_TOO_SMALL;
    }
    const uint8_t* src = server->data;
    auto* dst = static_cast<uint8_t*>(buffer);
    for (size_t i = 0; i < server->size; ++i) dst[i] = src[i];
    *buffer_size = server->size;
    return EFI_SUCCESS;
}

constexpr uint64_t pad4(uint64_t n) { return (n + 3) & ~uint64_t(3); }

// Largest initrd set we accept: far beyond any real one, small enough that a wrong
// size from a broken file system cannot make us ask for all of memory.
constexpr uint64_t kMaxInitrdBytes = 1ull << 31;

}  // namespace

EFI_STATUS read_initrds(EspVolume& esp, const char (*paths)[kPathMax], size_t count, PoolBuffer& out,
                        const char** failed_path) {
    uint64_t sizes[kMaxInitrds] = {};
    uint64_t total = 0;
    if (count > kMaxInitrds) return EFI_INVALID_PARAMETER;
    for (size_t i = 0; i < count; ++i) {
        EFI_STATUS s = esp.file_size(paths[i], sizes[i]);
        if (EFI_ERROR(s)) {
            *failed_path = paths[i];
            return s;
        }
        total += pad4(sizes[i]);
    }
    if (total > kMaxInitrdBytes) {
        *failed_path = paths[0];
        return EFI_BAD_BUFFER_SIZE;
    }
    if (!out.allocate(static_cast<size_t>(total))) return EFI_OUT_OF_RESOURCES;
    uint64_t at = 0;
    for (size_t i = 0; i < count; ++i) {
        EFI_STATUS s = esp.read_exact(paths[i], out.data() + at, sizes[i]);
        if (EFI_ERROR(s)) {
            *failed_path = paths[i];
            out.reset();
            return s;
        }
        // Each file as read from the ESP (docs/secure-boot.md, TPM measurements).
        (void)tpm_measurer().measure(kPcrInitrd, out.data() + at, static_cast<size_t>(sizes[i]), paths[i], true);
        for (uint64_t k = sizes[i]; k < pad4(sizes[i]); ++k) out.data()[at + k] = 0;
        at += pad4(sizes[i]);
    }
    return EFI_SUCCESS;
}

EFI_STATUS install_initrd(PoolBuffer& data) {
    uninstall_initrd();

    EFI_DEVICE_PATH* probe = reinterpret_cast<EFI_DEVICE_PATH*>(&g_initrd_path);
    EFI_HANDLE existing = nullptr;
    if (BS->LocateDevicePath(guid_arg(kLoadFile2Guid), &probe, &existing) == EFI_SUCCESS && IsDevicePathEnd(probe))
        return EFI_ALREADY_STARTED;

    g_server.size = data.size();
    g_server.data = data.data();
    EFI_HANDLE handle = nullptr;
    EFI_STATUS s =
        BS->InstallProtocolInterface(&handle, guid_arg(kDevicePathGuid), EFI_NATIVE_INTERFACE, &g_initrd_path);
    if (EFI_ERROR(s)) {
        g_server.data = nullptr;
        return s;
    }
    s = BS->InstallProtocolInterface(&handle, guid_arg(kLoadFile2Guid), EFI_NATIVE_INTERFACE, &g_server.protocol);
    if (EFI_ERROR(s)) {
        BS->UninstallProtocolInterface(handle, guid_arg(kDevicePathGuid), &g_initrd_path);
        g_server.data = nullptr;
        return s;
    }
    g_server.handle = handle;
    data.release();
    return EFI_SUCCESS;
}

void uninstall_initrd() {
    if (g_server.handle != nullptr) {
        BS->UninstallProtocolInterface(g_server.handle, guid_arg(kLoadFile2Guid), &g_server.protocol);
        BS->UninstallProtocolInterface(g_server.handle, guid_arg(kDevicePathGuid), &g_initrd_path);
        g_server.handle = nullptr;
    }
    if (g_server.data != nullptr) BS->FreePool(g_server.data);
    g_server.data = nullptr;
    g_server.size = 0;
}

}  // namespace wdboot::efi
