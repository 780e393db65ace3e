// wdboot.conf: global keys and `slot NAME` stanzas, parsed into fixed-size tables
// with no heap. Syntax and every key: docs/config.md.
//
// The loader reads \EFI\wdboot\wdboot.conf (or the file named by `config=` in its
// boot entry's load options) and hands the text to parse_config(); the agent reads
// the same file from the mounted ESP.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "wdboot/boot_record.hpp"
#include "wdboot/status.hpp"

namespace wdboot {

inline constexpr size_t kPathMax = 256;       // an ESP path, backslash-separated, NUL included
inline constexpr size_t kOptionsMax = 1024;   // a kernel command line, NUL included
inline constexpr size_t kMaxInitrds = 4;
inline constexpr size_t kMaxDiagnostics = 16;
inline constexpr size_t kDiagnosticBytes = 160;

inline constexpr uint32_t kDefaultTimeoutSeconds = 120;
inline constexpr uint32_t kMinTimeoutSeconds = 5;
inline constexpr uint32_t kMaxTimeoutSeconds = 2000;
inline constexpr uint8_t kDefaultTries = 3;
inline constexpr uint8_t kMaxTries = 100;

enum class ImageKind : uint8_t {
    none = 0,
    linux_efi = 1,   // `linux PATH`: a kernel with an EFI stub; initrds via LoadFile2
    efi_app = 2,     // `efi PATH`: any EFI application (another loader, a shell, ...)
    boot_entry = 3,  // `bootentry XXXX`: an existing Boot#### variable's device path and data
};

enum class OnExhausted : uint8_t {
    last_good = 0,  // boot the last slot ever blessed, ignoring counters (default)
    rescue = 1,     // boot the slot marked `rescue`, ignoring counters
    reset = 2,      // restore all counters and reset the machine
    halt = 3,       // journal it and power the machine off
};

enum class WatchdogChoice : uint8_t {
    auto_detect = 0,
    none = 1,
    i6300esb = 2,
    itco = 3,
    wdat = 4,
};

enum class Severity : uint8_t { warning = 0, error = 1 };

struct Diagnostic {
    uint32_t line;  // 1-based line in the config file; 0 for the boot entry's load options
    Severity severity;
    char message[kDiagnosticBytes];  // without the "file:line:" prefix
};

struct Diagnostics {
    Diagnostic items[kMaxDiagnostics];
    uint8_t count;
    uint32_t dropped;  // diagnostics beyond kMaxDiagnostics, counted but not kept
    uint32_t errors;   // all errors, kept or dropped

    void add(uint32_t line, Severity severity, const char* message);
};

struct SlotConfig {
    char name[kSlotNameBytes];  // 1..15 characters of [A-Za-z0-9._-]
    ImageKind kind;
    char path[kPathMax];        // for linux / efi
    uint16_t boot_entry;        // for bootentry (the XXXX of Boot####)
    char initrds[kMaxInitrds][kPathMax];
    uint8_t initrd_count;
    char options[kOptionsMax];  // kernel command line / load options
    uint8_t tries;              // 0: use the global `tries`
    bool rescue;                // the target of on-exhausted rescue
    uint32_t line;              // line of the `slot NAME` that opened the stanza
};

struct Config {
    uint32_t timeout_s;          // hardware watchdog timeout
    uint8_t tries;               // default tries per slot
    WatchdogChoice watchdog;
    bool watchdog_required;      // refuse to boot when no hardware watchdog can be armed
    OnExhausted on_exhausted;
    char default_slot[kSlotNameBytes];  // empty: the first slot in file order
    SlotConfig slots[kMaxSlots];
    uint8_t slot_count;
    Diagnostics diagnostics;

    // Tries a slot gets when its counters are (re)started.
    uint8_t tries_for(const SlotConfig& slot) const { return slot.tries != 0 ? slot.tries : tries; }
    // Index of the slot with this name, or kNoSlot.
    uint8_t find(const char* name) const;
};

// What the wdboot boot entry's load options say (set with `efibootmgr --unicode`):
// `config=\path` names another config file; `key=value` words override global keys
// after the file is read (timeout=, tries=, watchdog=, watchdog-required=,
// on-exhausted=, default=).
struct LoadOptions {
    char config_path[kPathMax];  // empty: the default path
    char overrides[kOptionsMax]; // the key=value words, space-separated, in order
};

// Resets every field to its documented default (no slots).
void config_defaults(Config& cfg);

// Parses the config text into cfg, which must hold defaults. Never fails outright:
// a line it cannot use is reported in cfg.diagnostics with its number and skipped, a
// slot stanza without an image is dropped. Returns Status::ok when there were no
// errors, Status::invalid_argument otherwise (cfg is still usable if slot_count > 0).
Status parse_config(const char* text, size_t len, Config& cfg);

// Splits the boot entry's load options (already converted to ASCII) into LoadOptions.
// Unknown words are reported as warnings in diag.
Status parse_load_options(const char* text, size_t len, LoadOptions& out, Diagnostics& diag);

// Applies LoadOptions::overrides to cfg (diagnostics on line 0).
Status apply_load_options(const LoadOptions& opts, Config& cfg);

// Final checks after parsing and overrides: `default` names an existing slot (else a
// warning and file order), at least one slot exists (else an error).
Status finish_config(Config& cfg);

const char* to_string(ImageKind k);
const char* to_string(OnExhausted o);
const char* to_string(WatchdogChoice w);

}  // namespace wdboot
