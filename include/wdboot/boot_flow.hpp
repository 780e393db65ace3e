// The whole loader flow, platform-independent: load state, account the previous
// attempt, choose, load the image, arm the watchdog, write the state once, start.
// efi/main.cpp supplies a BootPlatform over UEFI; tests supply a fake. The order of
// steps is the contract described in docs/boot-flow.md.
#pragma once
#include <stdint.h>

#include "wdboot/boot_record.hpp"
#include "wdboot/config.hpp"
#include "wdboot/loader_entries.hpp"
#include "wdboot/pe_image.hpp"
#include "wdboot/secure_boot.hpp"
#include "wdboot/slot_policy.hpp"
#include "wdboot/state_store.hpp"
#include "wdboot/status.hpp"

namespace wdboot {

// What the platform found of the hardware watchdog, before anything was armed.
struct WatchdogProbe {
    bool present;
    const char* driver;        // "i6300esb", "itco", "wdat", or "none"
    ResetCause cause;          // what the device says about the last reset
    const char* kernel_args;   // appended to the slot's command line, e.g.
                               // "modprobe.blacklist=i6300esb"; may be empty
};

class BootPlatform {
public:
    // Finds the watchdog selected by cfg.watchdog and reads the reset cause.
    virtual WatchdogProbe probe_watchdog(const Config& cfg) = 0;
    // Seconds since 1970 from the firmware clock, 0 if unknown.
    virtual uint64_t now() = 0;
    // The efi-pstore records in NVRAM: variables of Linux's pstore vendor GUID
    // (kPstoreVendorGuid) whose names start with "dump-type" (Linux
    // drivers/firmware/efi/efi-pstore.c). -1 if the variables cannot be enumerated.
    virtual int pstore_records() = 0;
    // The Boot Loader Interface's LoaderEntryOneShot and LoaderEntryDefault (vendor GUID
    // kLoaderVendorGuidText), read once at the start of the boot. LoaderEntryOneShot is
    // deleted right after it is read, before anything is decided or started, so that a
    // boot that fails cannot repeat it; `one_shot_removed` says whether that worked.
    virtual void read_loader_entries(LoaderEntryVariables& out) = 0;
    // Free NVRAM for non-volatile variables, from QueryVariableInfo (UEFI 2.10 §8.2):
    // false if the firmware cannot tell.
    virtual bool nvram_free(uint64_t& remaining_bytes) = 0;
    // Loads the slot's image and sets its load options from `parts` by what the image
    // is (compose_command_line(): a kernel gets options and the watchdog's arguments, a
    // UKI keeps its embedded command line in front, another EFI application gets the
    // options only) and the Secure Boot policy (unverified_inputs()); publishes the
    // initrds. Does not start it. Status::load_failed (with a log line, and the reason in
    // `why`, which the journal keeps) if impossible.
    virtual Status load_image(const SlotConfig& slot, const CommandLineParts& parts, LoadFailure& why) = 0;
    // Releases what load_image() loaded (after a refused start or a failed arm).
    virtual void unload_image() = 0;
    // Arms the probed hardware watchdog for timeout_s seconds, running past
    // ExitBootServices, not locked.
    virtual Status arm_watchdog(uint32_t timeout_s) = 0;
    // Stops the hardware watchdog again (before handing control back to the firmware
    // when nothing could be started). Does nothing if it was never armed.
    virtual void disarm_watchdog() = 0;
    // Tells the OS what booted (Boot Loader Interface variables, WdbootCurrent).
    virtual void publish(const BootState& st, const Decision& d, uint32_t boot_id,
                         const WatchdogProbe& wd, uint32_t timeout_s) = 0;
    // Starts the loaded image. Returns only if the image could not start or exited.
    virtual Status start_image() = 0;
    // Terminal actions. reset/power_off do not return on real hardware.
    virtual void reset_machine() = 0;
    virtual void power_off() = 0;
    // One line to the console (and serial), without trailing newline.
    virtual void log(const char* line) = 0;
    // log() of "wdboot: " and the line that TextSink::appendf's format (wdboot/text.hpp)
    // makes of `fmt` and the arguments, cut at kLogLineMax - 1 characters.
    static constexpr size_t kLogLineMax = 512;
    [[gnu::format(printf, 2, 3)]] void logf(const char* fmt, ...);
    // The previous attempt failed and this boot does not retry its slot: record slot
    // `failed_slot` gave way to `next_slot` (kNoSlot: nothing boots). For a log outside
    // the machine (the BMC's SEL with the IPMI watchdog). Called once per boot, before
    // the next slot is started; must not fail the boot.
    virtual void note_failover(uint8_t failed_slot, uint8_t next_slot) {
        (void)failed_slot;
        (void)next_slot;
    }

protected:
    ~BootPlatform() = default;
};

// Outcome of run_boot(): what finally happened (when it returns at all).
struct BootResult {
    Action action;        // the terminal action taken
    Status status;        // ok, or why the last attempt failed
    uint32_t writes;      // state writes performed (the design bound is 1 per started image)
    uint8_t attempts;     // images loaded
};

// Below this much free NVRAM the loader warns on the console: one kernel panic's
// efi-pstore records take about 14 KiB (14 variables of 1 KiB under OVMF), and the state
// record must still be writable after them.
inline constexpr uint64_t kLowNvramBytes = 32 * 1024;

// The `panic=N` wdboot adds to a kernel's command line (cfg.panic_timeout_s), or "" when
// it adds none: panic-timeout 0, or the slot's options set panic= themselves.
void panic_argument(const Config& cfg, const SlotConfig& slot, char (&out)[16]);

// Builds the command line of a slot: its options, then the watchdog's kernel_args,
// separated by one space. Returns false (and a cut line) when it does not fit.
bool build_command_line(const SlotConfig& slot, const WatchdogProbe& wd, char (&out)[kOptionsMax]);

// Runs the boot flow. Returns when every slot has failed to load or start, or after a
// terminal action that returned (only in tests).
BootResult run_boot(const Config& cfg, VariableStore& store, BootPlatform& platform);

}  // namespace wdboot
