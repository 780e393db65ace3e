// Replaces the few libefi functions wdboot used (efi_services.hpp says why). The device
// path code follows gnu-efi 3.0.15's lib/dpath.c for single-instance paths, which is
// all wdboot builds: its paths come from firmware handles and from check_device_path().
#include "efi_services.hpp"

#include "efi_guid.hpp"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

extern "C" {
EFI_SYSTEM_TABLE* ST;
EFI_BOOT_SERVICES* BS;
EFI_RUNTIME_SERVICES* RT;
}

namespace wdboot::efi {
namespace {

// Bytes of `path` before its End-Entire node; SIZE_MAX on a node shorter than its
// header, which would otherwise make this walk loop for ever.
size_t bytes_before_end(const EFI_DEVICE_PATH* path) {
    size_t bytes = 0;
    for (const EFI_DEVICE_PATH* n = path; !IsDevicePathEnd(n); n = NextDevicePathNode(n)) {
        size_t length = DevicePathNodeLength(n);
        if (length < sizeof(EFI_DEVICE_PATH)) return SIZE_MAX;
        bytes += length;
    }
    return bytes;
}

// A pool block of `first` without its End node and `tail` more bytes; *rest points at
// those `tail` bytes for the caller to fill. nullptr as append_device_path says.
EFI_DEVICE_PATH* allocate_path(const EFI_DEVICE_PATH* first, size_t tail, uint8_t** rest) {
    size_t head = first == nullptr ? 0 : bytes_before_end(first);
    if (head == SIZE_MAX) return nullptr;
    void* p = nullptr;
    if (EFI_ERROR(BS->AllocatePool(EfiLoaderData, head + tail, &p))) return nullptr;
    auto* out = static_cast<uint8_t*>(p);
    if (head != 0) memcpy(out, first, head);
    *rest = out + head;
    return static_cast<EFI_DEVICE_PATH*>(p);
}

}  // namespace

void init_services(EFI_SYSTEM_TABLE* system_table) {
    ST = system_table;
    BS = system_table->BootServices;
    RT = system_table->RuntimeServices;
}

EFI_DEVICE_PATH* device_path_of(EFI_HANDLE handle) {
    void* path = nullptr;
    if (EFI_ERROR(BS->HandleProtocol(handle, guid_arg(kDevicePathGuid), &path))) return nullptr;
    return static_cast<EFI_DEVICE_PATH*>(path);
}

EFI_DEVICE_PATH* append_device_path(const EFI_DEVICE_PATH* first, const EFI_DEVICE_PATH* second) {
    size_t tail = bytes_before_end(second);
    if (tail == SIZE_MAX) return nullptr;
    tail += END_DEVICE_PATH_LENGTH;
    uint8_t* rest = nullptr;
    EFI_DEVICE_PATH* path = allocate_path(first, tail, &rest);
    if (path != nullptr) memcpy(rest, second, tail);
    return path;
}

EFI_DEVICE_PATH* file_device_path(EFI_HANDLE device, const CHAR16* name) {
    size_t name_bytes = sizeof(CHAR16);
    for (const CHAR16* c = name; *c != 0; ++c) name_bytes += sizeof(CHAR16);
    const size_t node_bytes = SIZE_OF_FILEPATH_DEVICE_PATH + name_bytes;
    if (node_bytes > 0xFFFF) return nullptr;  // the node's length field is 16 bits
    uint8_t* rest = nullptr;
    EFI_DEVICE_PATH* path = allocate_path(device_path_of(device), node_bytes + END_DEVICE_PATH_LENGTH, &rest);
    if (path == nullptr) return nullptr;
    auto* file = reinterpret_cast<EFI_DEVICE_PATH*>(rest);
    file->Type = MEDIA_DEVICE_PATH;
    file->SubType = MEDIA_FILEPATH_DP;
    SetDevicePathNodeLength(file, node_bytes);
    memcpy(rest + SIZE_OF_FILEPATH_DEVICE_PATH, name, name_bytes);
    EFI_DEVICE_PATH* end = NextDevicePathNode(file);
    SetDevicePathEndNode(end);
    return path;
}

}  // namespace wdboot::efi
