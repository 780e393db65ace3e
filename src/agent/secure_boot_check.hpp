// Secure Boot as the agent sees it (issue 12): whether it is on, which
// secure-boot-policy the loader applies, and which slots that policy keeps from
// starting. The decision is the core's unverified_inputs() (wdboot/secure_boot.hpp),
// the one the loader makes in efi/efi_image.cpp, over the image's PE headers read from
// the file with the same inspect_pe_image(); the policy comes from the loader's own
// parsers (load options, then wdboot.conf). So the agent warns about exactly the slots
// the loader refuses. Used by install (it refuses to leave a machine on which no slot
// would start), status (its `secure_boot` fields and a warning per refused slot), and
// add-slot and kernel-add (a warning for the new slot). The rules in words:
// docs/secure-boot.md.
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent_env.hpp"
#include "esp_files.hpp"
#include "wdboot/config.hpp"

namespace wdboot::agent {

// The SecureBoot global variable is 1 (UEFI 2.10 section 3.3): the firmware verifies
// the images it starts. False without efivarfs or the variable.
bool secure_boot_enabled(AgentEnv& env);

// The Config the loader builds from its boot entry's load options (ASCII words as
// load_options_text() decodes them; empty: none) and the wdboot.conf text, by its steps:
// config_defaults, parse_load_options, parse_config, apply_load_options, finish_config.
// Its secure_boot_policy is the one the loader applies (a `permissive` in the file is
// ignored, the load options' is not).
std::unique_ptr<Config> loader_config(const std::string& load_options, const std::string& config_text);

// The load options of the wdboot boot entry as the loader reads them: the Boot#### that
// install.state (on `esp`) names, its EFI_LOAD_OPTION's optional data decoded by the
// loader's own load_options_text(). False with the reason in `why` when install.state
// names no entry, the variable is missing or unreadable, or its data is not text.
// `entry`: "Boot0004" once install.state named it.
bool read_wdboot_load_options(AgentEnv& env, const std::string& esp, std::string& words, std::string& entry,
                              std::string& why);

// Where the policy of the running machine comes from.
struct EffectivePolicy {
    SecureBootPolicy policy = SecureBootPolicy::strict;
    // "loader": WdbootCurrent's secure_boot_policy= (what the loader applied to this
    // boot); "boot-entry": the wdboot boot entry's load options with wdboot.conf, as the
    // loader will read them at the next boot; "default": neither could be read, and
    // strict is the default.
    std::string source = "default";
    std::string detail;  // "Boot0004", or why the boot entry could not be read
    // The boot entry's policy now (the next boot's), when its load options could be read.
    std::optional<SecureBootPolicy> boot_entry;
    std::string boot_entry_name;  // "Boot0004" when known
};

// The policy as above, in that order of sources. `config_text`: wdboot.conf (may be
// empty when it cannot be read).
EffectivePolicy effective_policy(AgentEnv& env, const std::string& esp, const std::string& config_text);

enum class SlotVerdict : uint8_t {
    starts,   // the policy lets the loader start it (maybe without the config's options)
    refused,  // the loader does not start it: load-failed, secure-boot-policy strict
    unknown,  // its image could not be read as a PE image: the agent cannot tell
};

struct SlotCheck {
    std::string slot;
    std::string image;      // the ESP path; empty for a bootentry slot
    SlotVerdict verdict = SlotVerdict::starts;
    std::string why;        // refused: what it would take from wdboot.conf; unknown: why not read
    bool options_dropped = false;  // starts, but without the options of wdboot.conf
    bool initrds_dropped = false;  // starts, but without the initrds of wdboot.conf
};

// The file to read an image's headers from, for its ESP path (the ESP's file, or the
// source of a copy that is only planned).
using ImageFileOf = std::function<std::string(const std::string& esp_path)>;

// The ESP file at `esp`, unless a planned copy writes that ESP path: then its source.
ImageFileOf planned_image_files(const std::string& esp, const std::vector<EspCopy>& copies);

// Every slot of cfg (or only `only`, when not empty), judged by unverified_inputs() for
// `secure_boot` and `policy`. An image's headers are read only when the verdict depends
// on what the image is; a bootentry slot's image is never read (its text comes from
// NVRAM and the policy never refuses it).
std::vector<SlotCheck> check_slots(const Config& cfg, bool secure_boot, SecureBootPolicy policy,
                                   const ImageFileOf& file_of, const std::string& only = "");

// `slot "NAME" (\EFI\...\vmlinuz): WHY` for a refused or unknown slot.
std::string slot_check_text(const SlotCheck& c);

// add-slot's and kernel-add's warning: when Secure Boot is on and the loader's policy
// (effective_policy() over `config_text`, the file with the new slot) refuses slot
// `slot`, says so on env.err with the reason and both ways out; an image that cannot be
// read is said too. Never fails: a kernel hook that failed would break apt.
void warn_if_slot_refused(AgentEnv& env, const std::string& esp, const std::string& config_text,
                          const std::string& slot, const ImageFileOf& file_of);

}  // namespace wdboot::agent
