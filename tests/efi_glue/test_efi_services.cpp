// Host test of efi/efi_services.cpp (what replaced gnu-efi's libefi in the loader)
// against a fake firmware: pool allocations from malloc, one handle with a device path.
// Built like the EFI glue (gnu-efi headers, -fshort-wchar, MS ABI for EFIAPI): a plain
// main() that counts failures, as test_shim_lock.cpp.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "efi_services.hpp"

namespace {

int g_failures = 0;
#define EXPECT(cond)                                                        \
    do {                                                                    \
        if (!(cond)) {                                                      \
            fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__, __LINE__, #cond); \
            ++g_failures;                                                   \
        }                                                                   \
    } while (0)

const EFI_GUID kDevicePathGuid = {0x09576e91, 0x6d3f, 0x11d2, {0x8e, 0x39, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b}};

// PciRoot(0)/Pci(1,0)/HD(...) cut short to a vendor-neutral shape: two nodes and End.
const UINT8 kVolumePath[] = {
    0x02, 0x01, 0x0C, 0x00, 0xD0, 0x41, 0x03, 0x0A, 0x00, 0x00, 0x00, 0x00,  // ACPI PciRoot(0)
    0x01, 0x01, 0x06, 0x00, 0x00, 0x01,                                      // Pci(1,0)
    0x7F, 0xFF, 0x04, 0x00};                                                 // End-Entire
int g_volume;  // its address is the handle that has kVolumePath
bool g_pool_full = false;
int g_live_allocations = 0;

EFI_STATUS EFIAPI fake_allocate_pool(EFI_MEMORY_TYPE type, UINTN size, void** out) {
    if (type != EfiLoaderData) return EFI_INVALID_PARAMETER;
    if (g_pool_full) return EFI_OUT_OF_RESOURCES;
    *out = malloc(size);
    ++g_live_allocations;
    return EFI_SUCCESS;
}
EFI_STATUS EFIAPI fake_free_pool(void* p) {
    free(p);
    --g_live_allocations;
    return EFI_SUCCESS;
}
EFI_STATUS EFIAPI fake_handle_protocol(EFI_HANDLE handle, EFI_GUID* guid, void** out) {
    if (handle != &g_volume || memcmp(guid, &kDevicePathGuid, sizeof(EFI_GUID)) != 0) return EFI_UNSUPPORTED;
    *out = const_cast<UINT8*>(kVolumePath);
    return EFI_SUCCESS;
}

EFI_BOOT_SERVICES g_bs;
EFI_RUNTIME_SERVICES g_rt;
EFI_SYSTEM_TABLE g_st;

bool bytes_equal(const void* p, const UINT8* expected, size_t n) { return memcmp(p, expected, n) == 0; }

void test_init_services() {
    g_bs.AllocatePool = fake_allocate_pool;
    g_bs.FreePool = fake_free_pool;
    g_bs.HandleProtocol = fake_handle_protocol;
    g_st.BootServices = &g_bs;
    g_st.RuntimeServices = &g_rt;
    wdboot::efi::init_services(&g_st);
    EXPECT(ST == &g_st);
    EXPECT(BS == &g_bs);
    EXPECT(RT == &g_rt);
}

void test_device_path_of() {
    EXPECT(wdboot::efi::device_path_of(&g_volume) == reinterpret_cast<const EFI_DEVICE_PATH*>(kVolumePath));
    int other = 0;
    EXPECT(wdboot::efi::device_path_of(&other) == nullptr);
}

// \a.efi as the UEFI spec lays out a file path node: type 4, subtype 4, length 4 + name.
const UINT8 kFileNode[] = {0x04, 0x04, 0x12, 0x00, '\\', 0, 'a', 0, '.', 0, 'e', 0, 'f', 0, 'i', 0, 0, 0};
const UINT8 kEnd[] = {0x7F, 0xFF, 0x04, 0x00};

void test_file_device_path() {
    EFI_DEVICE_PATH* p = wdboot::efi::file_device_path(&g_volume, wdboot::efi::u16(u"\\a.efi"));
    EXPECT(p != nullptr);
    if (p != nullptr) {
        const UINT8* b = reinterpret_cast<const UINT8*>(p);
        EXPECT(bytes_equal(b, kVolumePath, sizeof(kVolumePath) - 4));  // the volume, its End dropped
        EXPECT(bytes_equal(b + sizeof(kVolumePath) - 4, kFileNode, sizeof(kFileNode)));
        EXPECT(bytes_equal(b + sizeof(kVolumePath) - 4 + sizeof(kFileNode), kEnd, sizeof(kEnd)));
        BS->FreePool(p);
    }
    // A handle without a device path: the file path node alone, as gnu-efi's FileDevicePath.
    int other = 0;
    p = wdboot::efi::file_device_path(&other, wdboot::efi::u16(u"\\a.efi"));
    EXPECT(p != nullptr);
    if (p != nullptr) {
        EXPECT(bytes_equal(p, kFileNode, sizeof(kFileNode)));
        EXPECT(bytes_equal(reinterpret_cast<const UINT8*>(p) + sizeof(kFileNode), kEnd, sizeof(kEnd)));
        BS->FreePool(p);
    }
    g_pool_full = true;
    EXPECT(wdboot::efi::file_device_path(&g_volume, wdboot::efi::u16(u"\\a.efi")) == nullptr);
    g_pool_full = false;
}

void test_append_device_path() {
    UINT8 second[sizeof(kFileNode) + sizeof(kEnd)];
    memcpy(second, kFileNode, sizeof(kFileNode));
    memcpy(second + sizeof(kFileNode), kEnd, sizeof(kEnd));
    auto* first = reinterpret_cast<const EFI_DEVICE_PATH*>(kVolumePath);
    auto* tail = reinterpret_cast<const EFI_DEVICE_PATH*>(second);

    EFI_DEVICE_PATH* p = wdboot::efi::append_device_path(first, tail);
    EXPECT(p != nullptr);
    if (p != nullptr) {
        EXPECT(bytes_equal(p, kVolumePath, sizeof(kVolumePath) - 4));
        EXPECT(bytes_equal(reinterpret_cast<const UINT8*>(p) + sizeof(kVolumePath) - 4, second, sizeof(second)));
        BS->FreePool(p);
    }
    p = wdboot::efi::append_device_path(nullptr, tail);
    EXPECT(p != nullptr);
    if (p != nullptr) {
        EXPECT(bytes_equal(p, second, sizeof(second)));
        BS->FreePool(p);
    }
    // A node shorter than its header (length 0) would make a walk loop for ever: refused.
    UINT8 broken[sizeof(kVolumePath)];
    memcpy(broken, kVolumePath, sizeof(broken));
    broken[2] = 0;
    EXPECT(wdboot::efi::append_device_path(reinterpret_cast<const EFI_DEVICE_PATH*>(broken), tail) == nullptr);
    EXPECT(wdboot::efi::append_device_path(first, reinterpret_cast<const EFI_DEVICE_PATH*>(broken)) == nullptr);
    g_pool_full = true;
    EXPECT(wdboot::efi::append_device_path(first, tail) == nullptr);
    g_pool_full = false;
}

}  // namespace

int main() {
    test_init_services();
    test_device_path_of();
    test_file_device_path();
    test_append_device_path();
    EXPECT(g_live_allocations == 0);
    if (g_failures != 0) {
        fprintf(stderr, "%d failure(s)\n", g_failures);
        return 1;
    }
    printf("efi_services: all checks passed\n");
    return 0;
}
