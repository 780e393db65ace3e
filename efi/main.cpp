// efi_main: the loader's entry, in the order of docs/boot-flow.md. Everything decided
// about slots happens in the core's run_boot(); this file only gathers its inputs
// (load options, config) and supplies the platform.
#include "efi_api.hpp"
#include "efi_files.hpp"
#include "efi_guid.hpp"
#include "efi_platform.hpp"
#include "efi_services.hpp"
#include "efi_text.hpp"
#include "efi_variable_store.hpp"
#include "load_option.hpp"
#include "tpm_measure.hpp"
#include "tsc_clock.hpp"
#include "wdboot/boot_flow.hpp"
#include "wdboot/config.hpp"
#include "wdboot/text.hpp"
#include "wdboot/tpm_event.hpp"

namespace wdboot::efi {
namespace {

constexpr uint64_t kMaxConfigBytes = 256 * 1024;
// The firmware watchdog covers wdboot itself and the kernel's EFI stub up to
// ExitBootServices (which stops it): a hang there resets the machine after 5 minutes.
constexpr UINTN kFirmwareWatchdogSeconds = 300;

// Large objects live here, not on the firmware's small stack (Config is ~19 KB).
constinit Config g_config{};
constinit LoadOptions g_options{};
constinit Diagnostics g_option_diagnostics{};

const char* base_name(const char* path) {
    const char* base = path;
    for (const char* p = path; *p != '\0'; ++p)
        if (*p == '\\' || *p == '/') base = p + 1;
    return base;
}

// Prints diagnostics as "wdboot.conf:LINE: message"; line 0 (the load options, or the
// config as a whole) as "NAME: message".
void print_diagnostics(const Diagnostics& diag, const char* name) {
    for (uint8_t i = 0; i < diag.count; ++i) {
        const Diagnostic& d = diag.items[i];
        TextBuffer<kDiagnosticBytes + 80> line;
        line.append(name);
        if (d.line != 0) line.append_char(':').append_uint(d.line);
        line.append(": ");
        line.append(d.message);
        console_line(line.c_str());
    }
    if (diag.dropped != 0) {
        console_logf("%u more diagnostic(s) not shown", diag.dropped);
    }
}

// Our boot entry's LoadOptions (efibootmgr --unicode "config=... timeout=30"). A word
// with a character that is not ASCII is dropped alone (and named), so that config= and
// the other words still apply.
void read_load_options(const EFI_LOADED_IMAGE* self) {
    static char text[kOptionsMax];
    OptionsProblem problem{};
    OptionsText kind = load_options_text(self->LoadOptions, self->LoadOptionsSize, text, sizeof(text), &problem);
    if (kind == OptionsText::binary) {
        console_logf("load options are not text (a firmware-made boot entry): ignored");
    } else if (kind == OptionsText::too_long) {
        console_logf("load options: longer than 1023 characters: ignored");
    }
    if (problem.words_dropped != 0) {
        char message[kDiagnosticBytes];
        describe_problem(problem, message, sizeof(message));
        g_option_diagnostics.add(kNoLine, Severity::error, message);
    }
    (void)parse_load_options(text, text_length(text), g_options, g_option_diagnostics);
    print_diagnostics(g_option_diagnostics, "load options");
}

// Reads and parses the config; g_config ends up usable or with slot_count == 0.
void read_config(EspVolume& esp, const char* path) {
    config_defaults(g_config);
    PoolBuffer file;
    size_t len = 0;
    EFI_STATUS s = esp.read_all(path, file, len, kMaxConfigBytes, 1);
    if (EFI_ERROR(s)) {
        console_logf("cannot read the config %s: %s", path, status_name(s));
    } else {
        // Measured as read, before anything of it is believed (docs/secure-boot.md).
        (void)tpm_measurer().measure(kPcrBootManagerConfig, file.data(), len, path, true);
        (void)parse_config(reinterpret_cast<const char*>(file.data()), len, g_config);
    }
    (void)apply_load_options(g_options, g_config);
    (void)finish_config(g_config);
    print_diagnostics(g_config.diagnostics, base_name(path));
}

EFI_STATUS boot(EFI_HANDLE image) {
    // 1. Firmware watchdog (then who we are and the volume we came from).
    BS->SetWatchdogTimer(kFirmwareWatchdogSeconds, 0, 0, nullptr);
    console_line("wdboot " WDBOOT_VERSION);

    EFI_LOADED_IMAGE* self = nullptr;
    EFI_STATUS s = BS->HandleProtocol(image, guid_arg(kLoadedImageGuid), reinterpret_cast<void**>(&self));
    if (EFI_ERROR(s)) {
        console_logf("ERROR: no LoadedImage protocol on our own handle");
        return s;
    }
    EspVolume esp;
    s = esp.open(self->DeviceHandle);
    if (EFI_ERROR(s)) {
        console_logf("ERROR: cannot open the file system we were loaded from: %s", status_name(s));
        return s;
    }

    // 2. Inputs: the load options and the config. The rest of step 2 (the watchdog's
    // reset cause, the clock, both state copies) opens run_boot().
    read_load_options(self);
    read_config(esp, g_options.config_path[0] != '\0' ? g_options.config_path : kDefaultConfigPath);
    if (g_config.slot_count == 0) {
        // Nothing to decide about: the state is left untouched and the firmware tries
        // its next boot option.
        console_logf("ERROR: no usable slot in the config: returning to the firmware");
        return EFI_NOT_FOUND;
    }

    // 2. (rest) and 3.-9. Account, choose, arm, record, load, tell the OS, start: the
    // core's flow.
    EfiVariableStore store;
    EfiPlatform platform(image, self, esp, g_config);
    BootResult r = run_boot(g_config, store, platform);

    console_logf("nothing was started (%s, %s): returning to the firmware", to_string(r.action), to_string(r.status));
    return r.status == Status::not_found ? EFI_NOT_FOUND : EFI_LOAD_ERROR;
}

}  // namespace
}  // namespace wdboot::efi

// Called by gnu-efi's crt0 (_start) after it relocated the image, with the SysV
// calling convention: plain extern "C", not EFIAPI.
//
// Never a security status back to our starter: shim answers EFI_ACCESS_DENIED and
// EFI_SECURITY_VIOLATION from its second stage by starting MokManager, which waits at the
// console (docs/secure-boot.md); wdboot has nothing to enrol, so the firmware's next boot
// option must get the machine instead.
extern "C" EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE* system_table) {
    wdboot::efi::g_clock.mark_entry();
    wdboot::efi::init_services(system_table);
    EFI_STATUS s = wdboot::efi::boot(image);
    if (s == EFI_ACCESS_DENIED || s == EFI_SECURITY_VIOLATION) s = EFI_LOAD_ERROR;
    return s;
}
