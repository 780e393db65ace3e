#include "loader_interface.hpp"

#include "efi_image.hpp"
#include "efi_files.hpp"
#include "efi_guid.hpp"
#include "efi_services.hpp"
#include "efi_text.hpp"
#include "efi_variable_store.hpp"
#include "tsc_clock.hpp"
#include "wdboot/config.hpp"
#include "wdboot/text.hpp"

namespace wdboot::efi {

namespace {

constexpr EFI_GUID kLoaderGuid = guid_from_text("4a67b082-0a4c-41cf-b6c7-440b29bb8c4f");
constexpr UINT32 kVolatile = EFI_VARIABLE_BOOTSERVICE_ACCESS | EFI_VARIABLE_RUNTIME_ACCESS;
constexpr size_t kValueMax = 300;

// Sets a volatile variable; a refusal is a warning (the boot goes on without it).
void set_volatile(const char* name, const EFI_GUID& guid, const void* data, size_t bytes) {
    EFI_STATUS s = set_variable(name, guid, kVolatile, data, bytes);
    if (!EFI_ERROR(s)) return;
    console_logf("WARNING: cannot set %s: %s", name, status_name(s));
}

void set_string(const char* name, const char* value) {
    CHAR16 wide[kValueMax];
    ascii_to_ucs2(value, wide, kValueMax);
    size_t bytes = (text_length(value) + 1) * sizeof(CHAR16);
    if (bytes > sizeof(wide)) bytes = sizeof(wide);
    set_volatile(name, kLoaderGuid, wide, bytes);
}

void append_guid_upper(TextBuffer<kValueMax>& out, const uint8_t* g) {
    // EFI byte order: the first three fields little-endian, the last eight as stored.
    // The stored bytes in text order; a '-' goes before text bytes 4, 6, 8 and 10.
    static constexpr uint8_t kTextOrder[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (int i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out.append_char('-');
        const uint8_t b = g[kTextOrder[i]];
        out.append_char(kHex[b >> 4]).append_char(kHex[b & 0xF]);
    }
}

// The GPT partition GUID of the ESP, from the HD() node of its device path. False for
// an MBR partition or a device without partitions (a bare FAT image).
bool esp_partition_uuid(EFI_HANDLE device, TextBuffer<kValueMax>& out) {
    for (EFI_DEVICE_PATH* n = device_path_of(device); n != nullptr && !IsDevicePathEnd(n);
         n = NextDevicePathNode(n)) {
        if (DevicePathType(n) != MEDIA_DEVICE_PATH || DevicePathSubType(n) != MEDIA_HARDDRIVE_DP) continue;
        const auto* hd = reinterpret_cast<const HARDDRIVE_DEVICE_PATH*>(n);
        if (hd->SignatureType != SIGNATURE_TYPE_GUID) return false;
        append_guid_upper(out, hd->Signature);
        return true;
    }
    return false;
}

// Our own path on the ESP, e.g. \EFI\wdboot\wdbootx64.efi, from the file path nodes.
bool image_identifier(EFI_DEVICE_PATH* path, TextBuffer<kValueMax>& out) {
    for (EFI_DEVICE_PATH* n = path; n != nullptr && !IsDevicePathEnd(n); n = NextDevicePathNode(n)) {
        if (DevicePathType(n) != MEDIA_DEVICE_PATH || DevicePathSubType(n) != MEDIA_FILEPATH_DP) continue;
        const auto* fp = reinterpret_cast<const FILEPATH_DEVICE_PATH*>(n);
        size_t units = (DevicePathNodeLength(n) - SIZE_OF_FILEPATH_DEVICE_PATH) / sizeof(CHAR16);
        char part[kPathMax];
        ucs2_to_ascii(fp->PathName, units, part, sizeof(part));
        if (out.size() > 0 && part[0] != '\\') out.append_char('\\');
        out.append(part);
    }
    return out.size() > 0;
}

void append_revision(TextBuffer<kValueMax>& out, uint32_t revision) {
    out.appendf("%u.", revision >> 16);
    uint32_t minor = revision & 0xFFFF;
    if (minor < 10) out.append_char('0');
    out.append_uint(minor);
}

// GetVariable of an entry variable: its first kLoaderEntryReadMax bytes and its size.
void read_entry(const char* name, LoaderEntryVariable& out) {
    out = LoaderEntryVariable{};
    CHAR16 wname[64];
    ascii_to_ucs2(name, wname, 64);
    UINT32 attributes = 0;
    UINTN size = sizeof(out.data);
    EFI_STATUS s = RT->GetVariable(wname, guid_arg(kLoaderGuid), &attributes, &size, out.data);
    if (s == EFI_BUFFER_TOO_SMALL) {
        // Too long for any slot name; its beginning is read for the warning only.
        out.present = true;
        out.size = size > 0xFFFFFFFFu ? 0xFFFFFFFFu : static_cast<uint32_t>(size);
        PoolBuffer whole;
        if (whole.allocate(size) &&
            RT->GetVariable(wname, guid_arg(kLoaderGuid), &attributes, &size, whole.data()) == EFI_SUCCESS) {
            for (size_t i = 0; i < sizeof(out.data); ++i) out.data[i] = whole.data()[i];
        }
        return;
    }
    if (s == EFI_SUCCESS) {
        out.present = true;
        out.size = static_cast<uint32_t>(size);
        return;
    }
    if (s != EFI_NOT_FOUND) {
        console_logf("WARNING: cannot read %s: %s: ignored", name, status_name(s));
    }
}

}  // namespace

void read_loader_entry_variables(LoaderEntryVariables& out) {
    read_entry(kLoaderEntryDefault, out.default_entry);
    read_entry(kLoaderEntryOneShot, out.one_shot);
    out.one_shot_removed = true;
    if (!out.one_shot.present) return;
    // Deleted before anything is decided: a boot that hangs or resets from here on
    // must not find it again (systemd-boot deletes it right after reading it too).
    EFI_STATUS s = set_variable(kLoaderEntryOneShot, kLoaderGuid, 0, nullptr, 0);
    if (EFI_ERROR(s) && s != EFI_NOT_FOUND) {
        out.one_shot_removed = false;
        console_logf("WARNING: cannot delete %s: %s", kLoaderEntryOneShot, status_name(s));
    }
}

void publish_loader_variables(EFI_LOADED_IMAGE* self, const LoaderFacts& facts) {
    // The same text as the console's first line.
    set_string("LoaderInfo", "wdboot " WDBOOT_VERSION);

    set_string("LoaderEntrySelected", facts.slot_name);

    uint8_t features[8];
    encode_loader_features(kWdbootLoaderFeatures, features);
    set_volatile("LoaderFeatures", kLoaderGuid, features, sizeof(features));
    if (facts.config != nullptr) {
        static uint8_t entries[kLoaderEntriesBytesMax];
        size_t n = build_loader_entries(*facts.config, entries);
        if (n > 0) set_volatile("LoaderEntries", kLoaderGuid, entries, n);
    }

    // Microseconds since CPU reset (TSC), as systemd-boot reports them.
    TextBuffer<kValueMax> v;
    v.append_uint(g_clock.to_us(g_clock.entry_tsc()));
    set_string("LoaderTimeInitUSec", v.c_str());
    v.clear();
    v.append_uint(g_clock.to_us(read_tsc()));
    set_string("LoaderTimeExecUSec", v.c_str());

    v.clear();
    if (esp_partition_uuid(self->DeviceHandle, v)) set_string("LoaderDevicePartUUID", v.c_str());

    v.clear();
    if (image_identifier(self->FilePath, v)) set_string("LoaderImageIdentifier", v.c_str());

    v.clear();
    char vendor[64];
    ucs2_to_ascii(ST->FirmwareVendor, sizeof(vendor), vendor, sizeof(vendor));
    v.appendf("%s ", vendor);
    append_revision(v, ST->FirmwareRevision);
    set_string("LoaderFirmwareInfo", v.c_str());

    v.clear();
    v.append("UEFI ");
    append_revision(v, ST->Hdr.Revision);
    set_string("LoaderFirmwareType", v.c_str());

    TextBuffer<kValueMax> cur;
    cur.appendf("slot=%s index=%u boot_id=%u watchdog=%s timeout=%u trial=%u forced=%u", facts.slot_name,
                facts.record_index, facts.boot_id, facts.watchdog, facts.timeout_s, facts.trial ? 1 : 0,
                facts.forced ? 1 : 0);
    // What the agent cannot read elsewhere: whether this boot ran under Secure Boot and
    // the policy the loader applied (the boot entry's load options may have set it).
    cur.appendf(" secure_boot=%u secure_boot_policy=%s", secure_boot_enabled() ? 1 : 0,
                to_string(facts.config->secure_boot_policy));
    set_volatile("WdbootCurrent", kWdbootGuid, cur.c_str(), cur.size());
}

}  // namespace wdboot::efi
