#include "efi_image.hpp"

#include "efi_guid.hpp"
#include "efi_services.hpp"
#include "efi_text.hpp"
#include "load_option.hpp"
#include "shim_lock.hpp"
#include "tpm_measure.hpp"
#include "wdboot/tpm_event.hpp"
#include "wdboot/config.hpp"
#include "wdboot/text.hpp"

namespace wdboot::efi {

namespace {

constexpr size_t kLine = 320;

void log_failure(const char* what, const char* detail, EFI_STATUS s) {
    console_logf("%s%s: %s", what, detail, status_name(s));
}

bool is_node(const EFI_DEVICE_PATH* node, UINT8 type, UINT8 subtype) {
    return DevicePathType(node) == type && DevicePathSubType(node) == subtype;
}

// The last node before End of a full device path (the partition node of a file system
// handle's path).
const EFI_DEVICE_PATH* last_node(EFI_DEVICE_PATH* path) {
    const EFI_DEVICE_PATH* last = nullptr;
    for (EFI_DEVICE_PATH* n = path; !IsDevicePathEnd(n); n = NextDevicePathNode(n)) last = n;
    return last;
}

bool same_partition(const EFI_DEVICE_PATH* a, const EFI_DEVICE_PATH* b) {
    const auto* x = reinterpret_cast<const HARDDRIVE_DEVICE_PATH*>(a);
    const auto* y = reinterpret_cast<const HARDDRIVE_DEVICE_PATH*>(b);
    if (x->SignatureType != y->SignatureType || x->PartitionNumber != y->PartitionNumber) return false;
    for (int i = 0; i < 16; ++i)
        if (x->Signature[i] != y->Signature[i]) return false;
    return true;
}

}  // namespace

LoadFailure load_failure_of(EFI_STATUS s) {
    switch (s) {
        case EFI_NOT_FOUND:
        case EFI_NO_MEDIA: return LoadFailure::not_found;
        case EFI_SECURITY_VIOLATION: return LoadFailure::security_violation;
        case EFI_ACCESS_DENIED: return LoadFailure::access_denied;
        case EFI_LOAD_ERROR:
        case EFI_UNSUPPORTED:
        case EFI_INVALID_PARAMETER:
        case EFI_INCOMPATIBLE_VERSION: return LoadFailure::invalid_image;
        case EFI_OUT_OF_RESOURCES: return LoadFailure::out_of_resources;
        case EFI_BAD_BUFFER_SIZE: return LoadFailure::command_line;
        default: return LoadFailure::unknown;
    }
}

bool secure_boot_enabled() {
    // The firmware sets it before any boot option runs and nothing changes it during a
    // boot: read once, for every image loaded and for WdbootCurrent.
    static int enabled = -1;
    if (enabled < 0) {
        CHAR16 name[11];
        ascii_to_ucs2("SecureBoot", name, 11);
        UINT8 value = 0;
        UINTN size = sizeof(value);
        EFI_STATUS s = RT->GetVariable(name, guid_arg(kGlobalVariableGuid), nullptr, &size, &value);
        enabled = !EFI_ERROR(s) && size == 1 && value == 1 ? 1 : 0;
    }
    return enabled == 1;
}

bool ImageLoader::compose(const char* name, ImageKind declared, bool entry_has_text, const CommandLineParts& given,
                          bool has_initrds, char (&out)[kOptionsMax], bool* serve_initrds, bool* refused) {
    // The image's own headers, as LoadImage placed them: the same view systemd-stub
    // reads its sections from.
    PeImageInfo info{};
    EFI_LOADED_IMAGE* child = nullptr;
    PeError pe = PeError::too_small;
    // Chosen before the inspection: GCC would copy the choice into each of its exits.
    const char* taken_as = declared == ImageKind::linux_efi ? "a Linux kernel" : "an EFI application";
    if (!EFI_ERROR(BS->HandleProtocol(child_, guid_arg(kLoadedImageGuid), reinterpret_cast<void**>(&child))) &&
        child != nullptr) {
        pe = inspect_pe_image(static_cast<const uint8_t*>(child->ImageBase), static_cast<size_t>(child->ImageSize),
                              PeLayout::loaded, info);
    }
    if (pe != PeError::ok) {
        console_logf("%s: cannot read its PE headers (%s): taken as %s", name, to_string(pe), taken_as);
    }
    // What the Secure Boot policy lets through from wdboot.conf, which nothing verified.
    const bool secure_boot = secure_boot_enabled();
    const char* options = given.options == nullptr ? "" : given.options;
    const UnverifiedInputs inputs =
        unverified_inputs(secure_boot, policy_, declared, info.type, options[0] != '\0', has_initrds);
    *serve_initrds = !inputs.initrds_dropped && !inputs.refused;
    *refused = inputs.refused;
    // One console line per decision, naming the policy that made it.
    auto say = [name](const char* policy, const char* separator, const char* what, const char* quoted) {
        TextBuffer<kLine> line;
        line.appendf("wdboot: Secure Boot, secure-boot-policy %s: %s%s%s", policy, name, separator, what);
        if (quoted != nullptr) line.append(": \"").append(quoted).append("\"");
        console_line(line.c_str());
    };
    if (inputs.refused) {
        say("strict", " ",
            "is a kernel that would take its command line and initrds from wdboot.conf, which nothing verifies: "
            "not started (use a signed UKI, or secure-boot-policy=permissive in the boot entry's load options)",
            nullptr);
        return false;
    }
    if (inputs.options_dropped) say("strict", ": ", "the options from wdboot.conf are not passed", options);
    if (inputs.initrds_dropped) say("strict", ": ", "the initrds from wdboot.conf are not served", nullptr);
    if (inputs.unverified_passed)
        say("permissive", " ", "gets options and initrds from wdboot.conf, which nothing verified", nullptr);
    CommandLineParts parts = given;
    if (inputs.options_dropped) parts.options = "";
    bool secure = info.type == PeImageType::unified_kernel && secure_boot;
    ComposedCommandLine c = compose_command_line(declared, info, entry_has_text, parts, secure, out);
    if (c.embedded_not_ascii) {
        console_logf("%s: its embedded .cmdline has non-ASCII bytes: not booted", name);
        return false;
    }
    if (!c.fits) {
        console_logf("%s: the command line is longer than %lu characters with %soptions and the watchdog's arguments",
                     name, kOptionsMax - 1, c.embedded_kept ? "the embedded .cmdline, " : "");
        return false;
    }
    const char* args = parts.watchdog_args == nullptr ? "" : parts.watchdog_args;
    const bool args_dropped = args[0] != '\0' && !c.watchdog_args_passed;
    TextBuffer<kLine> line;
    line.appendf("wdboot: %s", name);
    if (pe == PeError::ok) {
        line.appendf("%s%s", info.type == PeImageType::efi_application ? " is an " : " is a ", to_string(info.type));
        if (c.embedded_kept) line.append(": its embedded command line is kept");
        if (info.type == PeImageType::unified_kernel && !info.has_cmdline_section) line.append(" without a .cmdline");
        if (args_dropped) line.append("; not a kernel: the watchdog's arguments are not passed");
    } else if (args_dropped) {
        line.append(": the watchdog's arguments are not passed");
    }
    if (pe == PeError::ok || args_dropped) console_line(line.c_str());
    if (c.stub_ignores_options) {
        console_logf(
            "Secure Boot is on: %s boots with its embedded command line alone (systemd-stub ignores load options)",
            name);
    }
    if (c.embedded_lacks_watchdog_args) {
        console_logf(
            "WARNING: its embedded command line lacks \"%s\": the kernel's driver may stop the watchdog before the "
            "boot is blessed; build the UKI with it",
            args);
    }
    return true;
}

EFI_STATUS ImageLoader::load_path(EFI_DEVICE_PATH* path) {
    unload();
    EFI_HANDLE child = nullptr;
    bool shim_vouched = false;
    const bool secure_boot = secure_boot_enabled();
    static bool said_shim = false;
    if (secure_boot && !said_shim && shim_present()) {
        said_shim = true;
        console_logf("Secure Boot: started by shim: images signed by its vendor certificate or a Machine "
                     "Owner Key are accepted too");
    }
    EFI_STATUS s = load_image_shim_aware(self_, path, secure_boot, &child, &shim_vouched);
    if (shim_vouched) console_logf("Secure Boot: the image is verified by shim (its vendor key or a MOK)");
    // EFI_SECURITY_VIOLATION still loads the image and returns a handle (the platform
    // may start it by policy); wdboot does not, so that image must be unloaded.
    if (s == EFI_SECURITY_VIOLATION && child != nullptr) BS->UnloadImage(child);
    if (!EFI_ERROR(s)) child_ = child;
    return s;
}

EFI_STATUS ImageLoader::load_file(const char* path, ImageKind declared, const CommandLineParts& parts,
                                  bool has_initrds, bool* serve_initrds, LoadFailure* why) {
    CHAR16 wpath[kPathMax];
    if (!ascii_to_ucs2(path, wpath, kPathMax, true)) {
        log_failure("path too long: ", path, EFI_INVALID_PARAMETER);
        return EFI_INVALID_PARAMETER;
    }
    EFI_DEVICE_PATH* dp = file_device_path(esp_device_, wpath);
    if (dp == nullptr) return EFI_OUT_OF_RESOURCES;
    EFI_STATUS s = load_path(dp);
    BS->FreePool(dp);
    if (EFI_ERROR(s)) {
        log_failure("cannot load ", path, s);
        *why = load_failure_of(s);
        return s;
    }
    static char cmdline[kOptionsMax];
    bool refused = false;
    if (!compose(path, declared, false, parts, has_initrds, cmdline, serve_initrds, &refused)) {
        unload();
        *why = refused ? LoadFailure::secure_boot_policy : LoadFailure::command_line;
        return refused ? EFI_ACCESS_DENIED : EFI_BAD_BUFFER_SIZE;
    }
    s = set_options_text(cmdline);
    if (EFI_ERROR(s)) {
        log_failure("cannot set the load options of ", path, s);
        unload();
    }
    return s;
}

// Short-form boot entries (what efibootmgr writes) start with the partition node
// HD(...) or with the file path alone; the firmware's LoadImage only takes full paths,
// so each file system's full path is tried in front of the short one. `path` has passed
// check_device_path(): its HD() node holds all 42 bytes same_partition reads, and it is
// one instance ending in End-Entire, as append_device_path needs.
EFI_STATUS ImageLoader::load_short_form(EFI_DEVICE_PATH* path) {
    bool hd = is_node(path, MEDIA_DEVICE_PATH, MEDIA_HARDDRIVE_DP);
    bool file = is_node(path, MEDIA_DEVICE_PATH, MEDIA_FILEPATH_DP);
    if (!hd && !file) return EFI_NOT_FOUND;

    UINTN count = 0;
    EFI_HANDLE* handles = nullptr;
    EFI_STATUS s = BS->LocateHandleBuffer(ByProtocol, guid_arg(kSimpleFileSystemGuid), nullptr, &count, &handles);
    if (EFI_ERROR(s)) return s;
    EFI_STATUS result = EFI_NOT_FOUND;
    for (UINTN i = 0; i < count; ++i) {
        EFI_DEVICE_PATH* fs_path = device_path_of(handles[i]);
        if (fs_path == nullptr) continue;
        EFI_DEVICE_PATH* rest = path;
        if (hd) {
            const EFI_DEVICE_PATH* part = last_node(fs_path);
            if (part == nullptr || !is_node(part, MEDIA_DEVICE_PATH, MEDIA_HARDDRIVE_DP) ||
                !same_partition(part, path))
                continue;
            rest = NextDevicePathNode(path);
        }
        EFI_DEVICE_PATH* full = append_device_path(fs_path, rest);
        if (full == nullptr) {
            result = EFI_OUT_OF_RESOURCES;
            break;
        }
        s = load_path(full);
        BS->FreePool(full);
        result = s;
        if (!EFI_ERROR(s)) break;
        if (hd) break;  // the one matching partition refused it
    }
    BS->FreePool(handles);
    return result;
}

EFI_STATUS ImageLoader::load_boot_entry(uint16_t number, const CommandLineParts& parts, LoadFailure* why) {
    *why = LoadFailure::unknown;
    char name[9] = "Boot0000";
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (int i = 7; i >= 4; --i, number >>= 4) name[i] = kHex[number & 0xF];
    CHAR16 wname[9];
    ascii_to_ucs2(name, wname, 9);

    UINTN size = 0;
    EFI_STATUS s = RT->GetVariable(wname, guid_arg(kGlobalVariableGuid), nullptr, &size, nullptr);
    if (s != EFI_BUFFER_TOO_SMALL) {
        log_failure("cannot read ", name, EFI_ERROR(s) ? s : EFI_NOT_FOUND);
        *why = LoadFailure::not_found;
        return EFI_ERROR(s) ? s : EFI_NOT_FOUND;
    }
    PoolBuffer value;
    if (!value.allocate(size)) return EFI_OUT_OF_RESOURCES;
    s = RT->GetVariable(wname, guid_arg(kGlobalVariableGuid), nullptr, &size, value.data());
    if (EFI_ERROR(s)) {
        log_failure("cannot read ", name, s);
        return s;
    }
    // Nothing below may walk the device path unless parse_load_option checked it: a
    // zero-length node after an End-Instance made gnu-efi's AppendDevicePath loop for ever.
    // Returning an error here marks the slot load-failed like any unloadable image.
    LoadOptionView opt{};
    LoadOptionError parsed = parse_load_option(value.data(), size, opt);
    if (parsed == LoadOptionError::device_path) {
        console_logf("bootentry %s: device path rejected: %s at byte %lu", name + 4, to_string(opt.path_check.error),
                     opt.path_check.offset);
        *why = LoadFailure::invalid_image;
        return EFI_INVALID_PARAMETER;
    }
    if (parsed != LoadOptionError::ok) {
        console_logf("%s is not a valid EFI_LOAD_OPTION: %s", name, to_string(parsed));
        *why = LoadFailure::invalid_image;
        return EFI_INVALID_PARAMETER;
    }
    // The device path inside the variable may be unaligned; LoadImage copies it.
    auto* path = reinterpret_cast<EFI_DEVICE_PATH*>(const_cast<uint8_t*>(opt.device_path));
    s = load_path(path);
    if (EFI_ERROR(s)) {
        EFI_STATUS expanded = load_short_form(path);
        if (EFI_ERROR(expanded)) {
            log_failure("cannot load the image of ", name, s);
            // The expanded path's answer is the more telling one when it found the file.
            *why = load_failure_of(expanded != EFI_NOT_FOUND ? expanded : s);
            return s;
        }
    }

    // The entry's text (same decoder as wdboot's own options), then the slot's options
    // and the watchdog's arguments: a byte order mark, a trailing line end or a non-ASCII
    // character in the entry must not cost the boot its watchdog arguments.
    static uint16_t joined[kOptionsMax];
    size_t units = 0;
    // First the entry's text alone: when it has some, it takes the place of a UKI's
    // embedded command line, as it would if the firmware started the entry itself.
    OptionsText own = join_boot_entry_options(opt.optional_data, opt.optional_bytes, "", joined, kOptionsMax, units);
    static char cmdline[kOptionsMax];
    bool serve_initrds = false;
    bool refused = false;
    if (!compose(name, ImageKind::boot_entry, own == OptionsText::text && units > 0, parts, false, cmdline,
                 &serve_initrds, &refused)) {
        unload();
        *why = refused ? LoadFailure::secure_boot_policy : LoadFailure::command_line;
        return EFI_BAD_BUFFER_SIZE;
    }
    units = 0;
    OptionsText kind =
        join_boot_entry_options(opt.optional_data, opt.optional_bytes, cmdline, joined, kOptionsMax, units);
    if (kind == OptionsText::too_long) {
        log_failure(name, ": load options too long", EFI_BAD_BUFFER_SIZE);
        *why = LoadFailure::command_line;
        unload();
        return EFI_BAD_BUFFER_SIZE;
    }
    if (kind == OptionsText::text) {
        s = set_options(joined, units * sizeof(uint16_t));
        options_text_ = true;
    } else {
        if (cmdline[0] != '\0') {
            console_logf("WARNING: %s has binary optional data: not appending \"%s\"", name, cmdline);
        }
        s = set_options(opt.optional_data, opt.optional_bytes);
    }
    if (EFI_ERROR(s)) {
        log_failure("cannot set the load options of ", name, s);
        unload();
    }
    return s;
}

EFI_STATUS ImageLoader::set_options(const void* data, size_t bytes) {
    EFI_LOADED_IMAGE* child = nullptr;
    EFI_STATUS s = BS->HandleProtocol(child_, guid_arg(kLoadedImageGuid), reinterpret_cast<void**>(&child));
    if (EFI_ERROR(s)) return s;
    if (bytes == 0) {
        options_.reset();
        child->LoadOptions = nullptr;
        child->LoadOptionsSize = 0;
        return EFI_SUCCESS;
    }
    if (!options_.allocate(bytes)) return EFI_OUT_OF_RESOURCES;
    const auto* src = static_cast<const uint8_t*>(data);
    for (size_t i = 0; i < bytes; ++i) options_.data()[i] = src[i];
    child->LoadOptions = options_.data();
    child->LoadOptionsSize = static_cast<UINT32>(bytes);
    return EFI_SUCCESS;
}

EFI_STATUS ImageLoader::set_options_text(const char* text) {
    // UCS-2 with its terminator counted, as efibootmgr --unicode and the Linux stub expect.
    CHAR16 wide[kOptionsMax];
    if (!ascii_to_ucs2(text, wide, kOptionsMax)) return EFI_BAD_BUFFER_SIZE;
    size_t units = text_length(text) + 1;
    if (units == 1) return set_options(nullptr, 0);
    EFI_STATUS s = set_options(wide, units * sizeof(CHAR16));
    options_text_ = !EFI_ERROR(s);
    return s;
}

EFI_STATUS ImageLoader::start() {
    if (child_ == nullptr) return EFI_NOT_READY;
    // The load options exactly as the image gets them, measured only for an image that
    // starts (docs/secure-boot.md). Text is UCS-2 with its NUL, as systemd-stub hashes it.
    if (options_.size() != 0) {
        if (options_text_) {
            (void)tpm_measurer().measure_ucs2(kPcrKernelCommandLine, options_.data(), options_.size(),
                                              reinterpret_cast<const CHAR16*>(options_.data()),
                                              options_.size() / sizeof(CHAR16));
        } else {
            (void)tpm_measurer().measure(kPcrKernelCommandLine, options_.data(), options_.size(),
                                         "wdboot: binary load options of a Boot#### entry", true);
        }
    }
    UINTN exit_size = 0;
    CHAR16* exit_data = nullptr;
    EFI_STATUS s = BS->StartImage(child_, &exit_size, &exit_data);
    // An image that ran and exited (or failed in its entry point) has been unloaded by the
    // firmware and its handle freed; one refused before running is still loaded. Ask now,
    // before any allocation could reuse the handle's memory.
    EFI_LOADED_IMAGE* still = nullptr;
    if (EFI_ERROR(BS->HandleProtocol(child_, guid_arg(kLoadedImageGuid), reinterpret_cast<void**>(&still))))
        child_ = nullptr;
    if (exit_data != nullptr) BS->FreePool(exit_data);
    return s;
}

void ImageLoader::unload() {
    if (child_ != nullptr) BS->UnloadImage(child_);
    child_ = nullptr;
    options_.reset();
    options_text_ = false;
}

}  // namespace wdboot::efi
