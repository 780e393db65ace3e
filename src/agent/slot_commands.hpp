// `wdbootctl add-slot` and `remove-slot`: a slot's stanza in wdboot.conf (config_edit),
// its files in \EFI\wdboot\kernels\NAME\ (esp_files), and the state record's entry of
// the name, which is forgotten so that a name added again starts fresh. Called by
// main.cpp.
#pragma once
#include <string>
#include <vector>

#include "agent_env.hpp"

namespace wdboot::agent {

struct SlotSpec {
    std::string name;
    std::string kernel;                // a file to copy to the ESP (e.g. /boot/vmlinuz-6.1.0-18-amd64)
    std::string linux_path;            // or an ESP path already there (\EFI\...)
    std::string efi_path;              // or any EFI application on the ESP
    std::string boot_entry;            // or an existing Boot#### (XXXX)
    std::vector<std::string> initrds;  // files to copy, or ESP paths starting with a backslash
    std::string options;
    unsigned tries = 0;                // 0: the global `tries`
    bool rescue = false;
    bool same_options = false;         // use the running kernel's command line
    bool dry_run = false;              // print the copies and the stanza, change nothing
};

// Checks everything first (name, the new stanza with the existing file through the
// loader's parser, readable sources, no file of another slot overwritten), then copies
// the files (each atomically), then replaces wdboot.conf atomically. Any refusal: nothing
// on the ESP changed.
Exit cmd_add_slot(AgentEnv& env, const SlotSpec& spec, const std::string& esp);
// Removes the stanza, then deletes the files in \EFI\wdboot\kernels\NAME\ that no
// remaining slot boots (never anything outside that folder).
Exit cmd_remove_slot(AgentEnv& env, const std::string& name, const std::string& esp);

// Makes the state record forget its entry of slot `name` (counters, flags, a pending
// trial, the operator's default), so that a name added again starts fresh. Best effort:
// a record that cannot be written is only reported. Called after wdboot.conf lost or
// gained the slot (add-slot, remove-slot, kernel-add, kernel-remove).
void forget_slot_in_record(AgentEnv& env, const std::string& name);

}  // namespace wdboot::agent
