// BootPlatform over UEFI boot and runtime services: what run_boot() asks of the
// machine (watchdog, clock, loading and starting images, telling the OS, resets).
// Constructed by efi_main once the ESP is open; lives for the whole run.
#pragma once
#include <stdint.h>

#include "efi_api.hpp"
#include "efi_files.hpp"
#include "efi_image.hpp"
#include "efi_watchdog.hpp"
#include "wdboot/boot_flow.hpp"

namespace wdboot::efi {

class EfiPlatform final : public BootPlatform {
public:
    // self: our LoadedImage (its DeviceHandle is the ESP); esp: its open root.
    // cfg: the config run_boot() uses (its slots are published as LoaderEntries).
    EfiPlatform(EFI_HANDLE image, EFI_LOADED_IMAGE* self, EspVolume& esp, const Config& cfg)
        : self_(self), esp_(esp), cfg_(cfg), images_(image, self->DeviceHandle, cfg.secure_boot_policy) {}

    WatchdogProbe probe_watchdog(const Config& cfg) override;
    uint64_t now() override;
    int pstore_records() override;
    bool nvram_free(uint64_t& remaining_bytes) override;
    void read_loader_entries(LoaderEntryVariables& out) override;
    Status load_image(const SlotConfig& slot, const CommandLineParts& parts, LoadFailure& why) override;
    void unload_image() override;
    Status arm_watchdog(uint32_t timeout_s) override;
    void disarm_watchdog() override;
    void publish(const BootState& st, const Decision& d, uint32_t boot_id, const WatchdogProbe& wd,
                 uint32_t timeout_s) override;
    Status start_image() override;
    void reset_machine() override;
    void power_off() override;
    void log(const char* line) override;
    void note_failover(uint8_t failed_slot, uint8_t next_slot) override;

private:
    Status load_slot(const SlotConfig& slot, const CommandLineParts& parts, LoadFailure& why);

    EFI_LOADED_IMAGE* self_;
    EspVolume& esp_;
    const Config& cfg_;
    ImageLoader images_;
    WatchdogDevice watchdog_;
    const char* slot_name_ = "";
    uint64_t load_tsc_ = 0;  // TSC ticks the last load_image() took
};

}  // namespace wdboot::efi
