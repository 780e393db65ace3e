// The slots the kernel hooks manage, kept by the agent in /var/lib/wdboot/kernel-slots
// (never in the NVRAM record, whose format does not change for this): which kernel
// version each slot boots, and whether its pending trial was asked for by kernel-add,
// so that mark-good promotes that trial and no other. Also the pure rules around them:
// a version's slot name, and which slots pruning removes. Used by kernel_commands.cpp.
#pragma once
#include <stdint.h>

#include <set>
#include <string>
#include <vector>

#include "atomic_file.hpp"
#include "wdboot/boot_record.hpp"

namespace wdboot::agent {

// The trial_requested journal entry kernel-add's `try` wrote. The blessed trial is the
// hook's only when the newest trial request in the record is still this one: a later
// `wdbootctl try` (or any other one-shot request) writes its own entry.
struct HookTrial {
    uint32_t boot_id = 0;
    uint64_t time = 0;
    uint8_t tries = 0;
};

struct KernelSlot {
    std::string version;  // uname -r of the kernel, e.g. 6.1.0-18-amd64
    std::string slot;     // its slot in wdboot.conf (kernel_slot_name(version))
    uint64_t added = 0;   // seconds since 1970 when kernel-add created it
    bool trial = false;   // a trial asked for by kernel-add is pending
    HookTrial request;    // valid when trial
};

// The slot name of a kernel version (wdboot.conf's rule: 1..15 of A-Z a-z 0-9 . _ -,
// not starting with . or -): every other character becomes '_', a leading '.' or '-'
// too; a longer result keeps its first 10 characters and gets '-' and 4 hex digits of
// the CRC-32 of the whole version, so that two long versions stay apart
// (6.1.0-18-cloud-amd64 -> 6.1.0-18-c-XXXX). Deterministic: the same version always
// maps to the same name.
std::string kernel_slot_name(const std::string& version);

// A kernel version as the hooks accept it: 1..200 characters, no '/', no whitespace or
// control characters, not "." or "..", and a character FAT and the loader's path rule
// allow (not " * : < > ? | \): it names the folder \EFI\wdboot\kernels\VERSION.
bool is_valid_kernel_version(const std::string& version, std::string& why);

// Reads the file; a missing file is an empty list. Lines that cannot be read are
// skipped, each with a warning in `warnings`. False only when the file exists but
// cannot be read.
bool load_kernel_slots(const std::string& path, std::vector<KernelSlot>& out, std::vector<std::string>& warnings,
                       std::string& err);

// Replaces the file atomically (creating its folder).
bool save_kernel_slots(FileSync& sync, const std::string& path, const std::vector<KernelSlot>& slots, std::string& err);

// The entry of a slot name / a version, or nullptr.
KernelSlot* find_by_slot(std::vector<KernelSlot>& slots, const std::string& slot);
KernelSlot* find_by_version(std::vector<KernelSlot>& slots, const std::string& version);

// Which managed slots pruning removes: while more than `keep` remain, the oldest kernel
// version first (version order, as strverscmp sorts, like Debian's own kernel
// removal), skipping every slot in `protect` (the booted slot, the default, the last
// blessed, a pending trial, the slot just added). Returns slot names, oldest first.
std::vector<std::string> slots_to_prune(const std::vector<KernelSlot>& managed, unsigned keep,
                                        const std::set<std::string>& protect);

}  // namespace wdboot::agent
