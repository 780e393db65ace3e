// The entry side of systemd's Boot Loader Interface (systemd.io/BOOT_LOADER_INTERFACE,
// vendor GUID 4a67b082-0a4c-41cf-b6c7-440b29bb8c4f), where wdboot's entries are its
// slots:
//  - what the loader publishes: LoaderFeatures (the bits it honours) and LoaderEntries
//    (the slot names), so that `bootctl status`/`bootctl list` show them and
//    `systemctl reboot --boot-loader-entry=SLOT` is accepted;
//  - what it honours: LoaderEntryOneShot (`systemctl reboot --boot-loader-entry`,
//    `bootctl set-oneshot`) as a one-shot trial with one try, and LoaderEntryDefault
//    (`bootctl set-default`) as the operator's default, both through the slot policy's
//    own request_trial()/set_default().
// Pure and freestanding: parsing the UTF-16 values and the decision run in host tests;
// efi/ reads, deletes and writes the variables. Rules in words: docs/boot-flow.md.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "wdboot/boot_record.hpp"
#include "wdboot/config.hpp"
#include "wdboot/slot_policy.hpp"
#include "wdboot/text.hpp"

namespace wdboot {

inline constexpr char kLoaderVendorGuidText[] = "4a67b082-0a4c-41cf-b6c7-440b29bb8c4f";
inline constexpr char kLoaderEntryOneShot[] = "LoaderEntryOneShot";
inline constexpr char kLoaderEntryDefault[] = "LoaderEntryDefault";

// LoaderFeatures bits (the interface's list; systemd's EFI_LOADER_FEATURE_*). wdboot
// sets only the two it honours: it has no menu (no timeouts), its boot counting is its
// own record and not the interface's file-name counters, and it reads no
// XBOOTLDR partition, random seed, drivers, sort keys or device trees.
inline constexpr uint64_t kLoaderFeatureConfigTimeout = 1ull << 0;
inline constexpr uint64_t kLoaderFeatureConfigTimeoutOneShot = 1ull << 1;
inline constexpr uint64_t kLoaderFeatureEntryDefault = 1ull << 2;
inline constexpr uint64_t kLoaderFeatureEntryOneShot = 1ull << 3;
inline constexpr uint64_t kLoaderFeatureBootCounting = 1ull << 4;
inline constexpr uint64_t kWdbootLoaderFeatures = kLoaderFeatureEntryDefault | kLoaderFeatureEntryOneShot;

// LoaderFeatures as the variable holds it: 8 bytes, little-endian.
void encode_loader_features(uint64_t features, uint8_t (&out)[8]);

// LoaderEntries: every configured slot name in config order, each as UTF-16LE followed
// by its NUL (what systemd-boot writes; systemd's reader takes each NUL-terminated
// string as one entry, so no further NUL follows the last). Room for kMaxSlots names.
inline constexpr size_t kLoaderEntriesBytesMax = kMaxSlots * kSlotNameBytes * 2;
// Returns the bytes written; 0 for a config without slots.
size_t build_loader_entries(const Config& cfg, uint8_t (&out)[kLoaderEntriesBytesMax]);

// How much of an entry variable the loader reads. A slot name with its NUL takes at
// most kSlotNameBytes * 2 = 32 bytes; a longer value is refused, and its beginning (up
// to this much) is shown in the warning.
inline constexpr size_t kLoaderEntryReadMax = 128;

// One entry variable (LoaderEntryOneShot or LoaderEntryDefault) as the loader found it.
struct LoaderEntryVariable {
    bool present;
    uint32_t size;                       // its real size in bytes, even when larger than data
    uint8_t data[kLoaderEntryReadMax];   // its first min(size, kLoaderEntryReadMax) bytes
};

// Both entry variables, read by the platform at the start of the boot. The platform
// deletes LoaderEntryOneShot right after reading it, before anything is decided.
struct LoaderEntryVariables {
    LoaderEntryVariable one_shot;
    bool one_shot_removed;  // the delete succeeded (or it was already gone)
    LoaderEntryVariable default_entry;
};

// What an entry variable holds.
enum class EntryValue : uint8_t {
    absent = 0,
    name,        // a well-formed slot name (it may still not be configured)
    empty,       // no characters (only a NUL, or no bytes)
    too_long,    // more characters than a slot name may have (kSlotNameBytes - 1)
    odd_size,    // not a whole number of UTF-16 code units
    not_a_name,  // a character outside A-Z a-z 0-9 . _ - (non-ASCII included), a NUL
                 // inside, or a name the config would refuse (leading '.' or '-')
};
const char* to_string(EntryValue v);

// Decodes an entry variable: UTF-16LE, with or without its final NUL (systemd writes
// one; its own reader does not insist on it). `name` gets the slot name when the value
// is EntryValue::name, else "". `shown` gets the value for a message: printable ASCII
// as is, anything else as \uXXXX, cut at 40 characters with "...".
EntryValue parse_entry_variable(const LoaderEntryVariable& v, char (&name)[kSlotNameBytes], TextBuffer<160>& shown);

// What apply_loader_entries() did, with one console line per variable that was present.
struct LoaderEntryOutcome {
    bool trial_requested;  // LoaderEntryOneShot named a slot: its one-shot trial is pending
    bool default_set;      // LoaderEntryDefault named a slot that was not the record's default
    uint8_t line_count;
    TextBuffer<320> lines[2];
};

// Applies the entry variables to the state, after the previous attempt was accounted
// and before choose(). Called by run_boot() once per boot.
// - LoaderEntryDefault naming a configured slot other than the record's default_slot:
//   set_default() (the same as `wdbootctl set-default`: default-set journalled, the
//   slot's bad flag, tries and runtime crashes cleared). The variable is left in place.
// - LoaderEntryOneShot naming a configured slot, when the platform could delete it:
//   request_trial() with ONE try (as `wdbootctl try SLOT`: trial-requested journalled,
//   the slot's bad and failed-hard flags cleared, since the operator asked for it). It
//   replaces a pending trial of another slot, which is journalled as trial-abandoned.
//   choose() then boots it, and begin_attempt() records that attempt before the image
//   starts; a failure falls back like any trial's. Not deleted: ignored, since it would
//   be honoured again at every boot.
// - Anything else present (unknown slot, empty, too long, not UTF-16, not a name):
//   ignored with a warning line naming the variable and its value; no journal entry
//   (the record has no event for it). Absent variables: nothing, no line.
// Never fails: the state is left as choose() can always use it.
LoaderEntryOutcome apply_loader_entries(const Config& cfg, BootState& st, const LoaderEntryVariables& vars,
                                        const BootFacts& facts);

}  // namespace wdboot
