#include "efi_platform.hpp"

#include "civil_time.hpp"
#include "efi_nvram.hpp"
#include "efi_text.hpp"
#include "initrd_load_file2.hpp"
#include "loader_interface.hpp"
#include "tsc_clock.hpp"
#include "wdboot/text.hpp"

namespace wdboot::efi {

WatchdogProbe EfiPlatform::probe_watchdog(const Config& cfg) { return watchdog_.probe(cfg); }

uint64_t EfiPlatform::now() {
    EFI_TIME t{};
    if (EFI_ERROR(RT->GetTime(&t, nullptr))) return 0;
    if (t.Year < 1970 || t.Month < 1 || t.Month > 12 || t.Day < 1 || t.Day > 31) return 0;
    uint64_t local = unix_seconds(t.Year, t.Month, t.Day, t.Hour, t.Minute, t.Second);
    // TimeZone is the local time's offset from UTC in minutes, taken with the sign of
    // current UEFI versions (Localtime = UTC + TimeZone; some older spec revisions
    // stated the opposite sign). An unspecified zone (OVMF's RTC) is taken as UTC.
    if (t.TimeZone != EFI_UNSPECIFIED_TIMEZONE && t.TimeZone >= -1440 && t.TimeZone <= 1440) {
        local -= static_cast<uint64_t>(static_cast<int64_t>(t.TimeZone) * 60);
    }
    return local;
}

int EfiPlatform::pstore_records() { return count_pstore_records(); }

bool EfiPlatform::nvram_free(uint64_t& remaining_bytes) { return query_nvram_free(remaining_bytes); }

Status EfiPlatform::load_image(const SlotConfig& slot, const CommandLineParts& parts, LoadFailure& why) {
    slot_name_ = slot.name;
    uint64_t begin = read_tsc();
    Status result = load_slot(slot, parts, why);
    load_tsc_ = read_tsc() - begin;
    return result;
}

Status EfiPlatform::load_slot(const SlotConfig& slot, const CommandLineParts& parts, LoadFailure& why) {
    EFI_STATUS s = EFI_SUCCESS;
    bool serve_initrds = false;
    switch (slot.kind) {
        case ImageKind::linux_efi:
        case ImageKind::efi_app:
            s = images_.load_file(slot.path, slot.kind, parts, slot.initrd_count > 0, &serve_initrds, &why);
            break;
        case ImageKind::boot_entry:
            s = images_.load_boot_entry(slot.boot_entry, parts, &why);
            break;
        case ImageKind::none:
            why = LoadFailure::invalid_image;
            return Status::load_failed;
    }
    if (EFI_ERROR(s)) return Status::load_failed;

    if (slot.initrd_count > 0 && serve_initrds) {
        PoolBuffer initrds;
        const char* failed = "";
        s = read_initrds(esp_, slot.initrds, slot.initrd_count, initrds, &failed);
        if (EFI_ERROR(s)) {
            logf("cannot read initrd %s: %s", failed, status_name(s));
            images_.unload();
            why = LoadFailure::initrd;
            return Status::load_failed;
        }
        size_t bytes = initrds.size();
        s = install_initrd(initrds);
        if (EFI_ERROR(s)) {
            logf("cannot publish the initrd through LoadFile2: %s", status_name(s));
            images_.unload();
            why = LoadFailure::initrd;
            return Status::load_failed;
        }
        logf("initrd: %u file(s), %lu bytes via LoadFile2", slot.initrd_count, bytes);
    }
    return Status::ok;
}

void EfiPlatform::unload_image() {
    uninstall_initrd();
    images_.unload();
}

Status EfiPlatform::arm_watchdog(uint32_t timeout_s) { return watchdog_.arm(timeout_s); }

void EfiPlatform::disarm_watchdog() { watchdog_.disarm(); }

void EfiPlatform::note_failover(uint8_t failed_slot, uint8_t next_slot) {
    watchdog_.log_failover(failed_slot, next_slot);
}

void EfiPlatform::read_loader_entries(LoaderEntryVariables& out) { read_loader_entry_variables(out); }

void EfiPlatform::publish(const BootState& st, const Decision& d, uint32_t boot_id, const WatchdogProbe& wd,
                          uint32_t timeout_s) {
    LoaderFacts facts{};
    facts.slot_name = d.record_slot < kMaxSlots ? st.slots[d.record_slot].name : slot_name_;
    facts.record_index = d.record_slot;
    facts.boot_id = boot_id;
    // What is really running: a watchdog that was found but refused to arm is "none".
    bool running = wd.present && watchdog_.armed();
    facts.watchdog = running ? wd.driver : "none";
    facts.timeout_s = running ? timeout_s : 0;
    facts.trial = d.trial;
    facts.forced = d.forced;
    facts.config = &cfg_;
    publish_loader_variables(self_, facts);
}

Status EfiPlatform::start_image() {
    uint64_t us = g_clock.to_us(read_tsc() - g_clock.entry_tsc());
    uint64_t load_us = g_clock.to_us(load_tsc_);
    logf("starting \"%s\" (%lu.%lu ms after wdboot started, loading took %lu.%lu ms)", slot_name_, us / 1000,
         (us % 1000) / 100, load_us / 1000, (load_us % 1000) / 100);

    EFI_STATUS s = images_.start();
    logf("the image returned %s", status_name(s));
    return Status::start_failed;
}

void EfiPlatform::reset_machine() { RT->ResetSystem(EfiResetCold, EFI_SUCCESS, 0, nullptr); }

void EfiPlatform::power_off() { RT->ResetSystem(EfiResetShutdown, EFI_SUCCESS, 0, nullptr); }

void EfiPlatform::log(const char* line) { console_line(line); }

}  // namespace wdboot::efi
