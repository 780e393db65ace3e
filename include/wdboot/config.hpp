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

// Where the loader looks for its config when the load options name none.
inline constexpr char kDefaultConfigPath[] = "\\EFI\\wdboot\\wdboot.conf";

inline constexpr uint32_t kDefaultTimeoutSeconds = 120;
inline constexpr uint32_t kMinTimeoutSeconds = 5;
inline constexpr uint32_t kMaxTimeoutSeconds = 2000;
inline constexpr uint8_t kDefaultTries = 3;
inline constexpr uint8_t kMaxTries = 100;

// runtime-crashes N/HOURS: N runtime crashes (a panic or a watchdog reset after the
// blessing) of one slot within HOURS of the first demote it. 3 in 24 hours: one or two
// crashes a day can be load or hardware and the blessed kernel is still the best choice;
// a third says the kernel itself crashes, and the slot that boots instead was good too.
// N is at least 2: a single crash never demotes a blessed slot.
inline constexpr uint8_t kDefaultRuntimeCrashLimit = 3;
inline constexpr uint16_t kDefaultRuntimeCrashHours = 24;
inline constexpr uint8_t kMinRuntimeCrashLimit = 2;
inline constexpr uint8_t kMaxRuntimeCrashLimit = 100;
inline constexpr uint16_t kMaxRuntimeCrashHours = 8760;  // a year
// panic-timeout N: `panic=N` is added to a kernel's command line unless its options (or
// a UKI's embedded command line) set panic= themselves, so that a panicking kernel
// reboots after N seconds instead of waiting for the watchdog (or forever, once the
// watchdog is stopped). 0: nothing is added. 5 s: efi-pstore has saved the log before the
// wait starts, and a console still shows the panic for a moment.
inline constexpr uint16_t kDefaultPanicTimeoutSeconds = 5;
inline constexpr uint16_t kMaxPanicTimeoutSeconds = 3600;
// early-timeout N: two deadlines instead of one, for drivers whose Linux module takes a
// running timer over (WatchdogDriverFacts::open_timeout_handoff): the loader arms N
// seconds, which only have to cover the EFI stub, the kernel and the initramfs up to the
// driver's probe; the kernel's watchdog core then feeds the timer until
// `watchdog.open_timeout=TIMEOUT` runs out unless userspace (the agent) opened the
// device. So an early hang fails over after N seconds instead of TIMEOUT. 0 (`off`, the
// default): one deadline, `timeout`, with the module kept from loading. docs/config.md.
inline constexpr uint32_t kEarlyTimeoutOff = 0;

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
    amd_fch = 5,  // not accepted by the parser until the loader probes it (config.cpp)
    itco_pch = 6,  // Intel PCH TCO (pch_tco.hpp): refused by the parser until the loader probes it
    ipmi = 7,      // the IPMI BMC watchdog over KCS (ipmi_watchdog.hpp)
};

// secure-boot-policy: what the loader does under Secure Boot with the inputs it cannot
// verify (a slot's options and initrds, from this unsigned file). The rules are in
// wdboot/secure_boot.hpp and docs/secure-boot.md. `permissive` is taken only from the
// boot entry's load options (NVRAM): set in wdboot.conf it is ignored with a warning,
// since the file it would loosen is the one the policy distrusts.
enum class SecureBootPolicy : uint8_t {
    strict = 0,      // default: nothing from wdboot.conf reaches an image under Secure Boot
    permissive = 1,  // options and initrds from wdboot.conf pass, logged and measured
};

enum class Severity : uint8_t { warning = 0, error = 1 };

// Line number used for messages about the boot entry's load options and for checks
// that concern the file as a whole (e.g. "no usable slot").
inline constexpr uint32_t kNoLine = 0;

struct Diagnostic {
    uint32_t line;  // 1-based line in the config file; kNoLine (0): load options / whole file
    Severity severity;
    char message[kDiagnosticBytes];  // without the "file:line:" prefix
};

struct Diagnostics {
    Diagnostic items[kMaxDiagnostics];
    uint8_t count;
    uint32_t dropped;  // diagnostics beyond kMaxDiagnostics, counted but not kept
    uint32_t errors;   // all errors, kept or dropped

    // Keeps the message (cut to kDiagnosticBytes-1) if there is room, else counts it
    // in `dropped`; counts every error. Never fails.
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
    uint32_t last_line;         // the stanza's last line that is neither blank nor a comment
};

// A stanza's text is its lines `line`..`last_line`, comments between them included.
// Comments and blank lines above its `slot` line or after `last_line` belong to no
// stanza: a comment above a stanza may as well describe the next one or the file, so
// the agent, which edits wdboot.conf by these ranges, leaves them where they are.

// Where the parser found things: the line where each global key was last set in the
// file (0: default or load options) and each kept slot's last `options` line (0: none),
// for the line numbers of the messages finish_config adds. Bookkeeping, not
// configuration: only the parser reaches inside (ConfigLines, src/core/config_parser.hpp).
class ConfigSourceLines {
    friend struct ConfigLines;
    uint32_t global_keys_[10];
    uint32_t slot_options_[kMaxSlots];
};

struct Config {
    uint32_t timeout_s;          // hardware watchdog timeout
    uint8_t tries;               // default tries per slot
    WatchdogChoice watchdog;
    bool watchdog_required;      // refuse to boot when no hardware watchdog can be armed
    OnExhausted on_exhausted;
    uint8_t runtime_crash_limit;   // runtime-crashes N (0: off)
    uint16_t runtime_crash_hours;  // ... within HOURS of the first
    uint16_t panic_timeout_s;      // panic=N added to kernels (0: nothing added)
    uint32_t early_timeout_s;      // early-timeout N (kEarlyTimeoutOff: one deadline)
    SecureBootPolicy secure_boot_policy;  // from the load options; wdboot.conf may only say strict
    char default_slot[kSlotNameBytes];  // empty: the first slot in file order
    SlotConfig slots[kMaxSlots];
    uint8_t slot_count;
    ConfigSourceLines source_lines;
    Diagnostics diagnostics;

    // Tries a slot gets when its counters are (re)started.
    uint8_t tries_for(const SlotConfig& slot) const { return slot.tries != 0 ? slot.tries : tries; }
    // Index of the slot with this name, or kNoSlot.
    uint8_t find(const char* name) const;
};

// What the wdboot boot entry's load options say (set with `efibootmgr --unicode`):
// `config=\path` names another config file; `key=value` words override global keys
// after the file is read (timeout=, tries=, watchdog=, watchdog-required=,
// on-exhausted=, runtime-crashes=, panic-timeout=, default=, early-timeout=,
// secure-boot-policy=).
struct LoadOptions {
    char config_path[kPathMax];  // empty: the default path; else normalised like any path
    char overrides[kOptionsMax]; // the key=value words, space-separated, in order
};

// The loader calls these in this order (the agent the same, without load options):
//   config_defaults(cfg);
//   parse_load_options(opts, n, lo, cfg.diagnostics);   // which file, which overrides
//   parse_config(file, size, cfg);                       // lo.config_path or the default
//   apply_load_options(lo, cfg);
//   finish_config(cfg);                                  // not ok: return to firmware
// None of them allocates, loops beyond its input, or reads past `len`.

// Resets every field to its documented default (no slots, no diagnostics).
void config_defaults(Config& cfg);

// Parses the config text (len bytes, not NUL-terminated) into cfg, which must hold
// defaults. Never fails outright: a line it cannot use is reported in cfg.diagnostics
// with its number and skipped, a slot stanza without exactly one image is dropped.
// Returns Status::ok when this call reported no error, Status::invalid_argument
// otherwise (cfg is still usable if slot_count > 0).
Status parse_config(const char* text, size_t len, Config& cfg);

// Splits the boot entry's load options (already converted to ASCII; NUL characters
// count as spaces) into LoadOptions. A first word without '=' that ends in ".efi" is
// the image path the UEFI shell puts there and is skipped. Unknown words are reported
// as warnings in diag (line kNoLine), a bad config= path as an error. Returns ok
// unless an error was reported.
Status parse_load_options(const char* text, size_t len, LoadOptions& out, Diagnostics& diag);

// Applies LoadOptions::overrides to cfg with the same validation as the file keys
// (diagnostics on line kNoLine). A bad override leaves the file's value in place.
// Returns ok unless an error was reported.
Status apply_load_options(const LoadOptions& opts, Config& cfg);

// Final checks after parsing and overrides. Against what the chosen watchdog needs
// (watchdog_limits(), for auto every driver auto may pick): a slot whose options leave
// no room for the watchdog's kernel arguments in kOptionsMax is an error and is dropped
// (the loader could not build its command line); a timeout outside the range the
// driver can arm is an error and is clamped to the nearest value it supports, so the
// boot stays protected. Then: `default` names an existing slot (else a warning, default
// cleared: file order applies); several `rescue` slots, on-exhausted rescue without
// one, and watchdog-required with watchdog none are warned about.
// Returns Status::not_found (with an error) when no usable slot exists: the loader
// then returns to the firmware without touching the state. Otherwise ok.
Status finish_config(Config& cfg);

// Normalises an ESP path exactly as wdboot.conf and `config=` do ('/' and '\' both
// separate, runs collapse, the result uses '\'; absolute, a file, printable ASCII
// without spaces or the characters FAT forbids, at most kPathMax-1 characters). On
// failure out is empty and the reason (as in the config's messages) is copied to
// why[why_cap] when why is not null. The agent uses it for agent.conf's `config`, so
// that a path one side accepts the other accepts too.
bool normalise_esp_path(const char* text, size_t len, char (&out)[kPathMax], char* why, size_t why_cap);

// True for 1..15 characters of [A-Za-z0-9._-] followed by NUL, not starting with '.'
// or '-' (so never ".", ".." or an option). The same rule as `slot NAME` and `default`
// in the parser; the agent uses it for slot names typed by the operator, which become
// folder names on the ESP.
bool is_valid_slot_name(const char* name);

// The spelling used in wdboot.conf ("linux", "last-good", "i6300esb", ...). Never null.
const char* to_string(ImageKind k);
const char* to_string(OnExhausted o);
const char* to_string(WatchdogChoice w);
const char* to_string(SecureBootPolicy p);

}  // namespace wdboot
