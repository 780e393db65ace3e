#include "secure_boot_check.hpp"

#include "boot_entry.hpp"
#include "efi/load_option.hpp"
#include "wdboot/pe_image.hpp"
#include "wdboot/secure_boot.hpp"

namespace wdboot::agent {
namespace {

constexpr const char* kGlobalVariableGuid = "8be4df61-93ca-11d2-aa0d-00e098032b8c";

constexpr PeImageType kEveryImageType[] = {PeImageType::linux_kernel, PeImageType::unified_kernel,
                                           PeImageType::efi_application};

// What the loader knows of a slot before its image is loaded (efi_platform.cpp: a
// bootentry slot is composed without initrds).
struct SlotInputs {
    bool options;
    bool initrds;
};
SlotInputs inputs_of(const SlotConfig& s) {
    return {s.options[0] != '\0', s.kind != ImageKind::boot_entry && s.initrd_count > 0};
}

// The image's type from its file, or false with why not.
bool image_type(const std::string& file, PeImageType& type, std::string& why) {
    std::string bytes;
    PeImageInfo info{};
    PeError e = PeError::ok;
    PeFileRead r = read_pe_file(file, bytes, info, e);
    if (r == PeFileRead::unreadable) {
        why = file + " cannot be read";
        return false;
    }
    if (r == PeFileRead::not_pe) {
        why = file + " is not a PE image (" + std::string(to_string(e)) + ")";
        return false;
    }
    type = info.type;
    return true;
}

std::optional<SecureBootPolicy> current_boot_policy(AgentEnv& env) {
    if (env.efivars == nullptr || env.efivars->availability() == Availability::missing) return std::nullopt;
    CurrentBoot cur;
    std::string why;
    if (!read_current_boot(env, cur, why) || cur.secure_boot_policy.empty()) return std::nullopt;
    return cur.secure_boot_policy == "permissive" ? SecureBootPolicy::permissive : SecureBootPolicy::strict;
}

}  // namespace

bool secure_boot_enabled(AgentEnv& env) {
    if (env.efivars == nullptr) return false;
    uint32_t attributes = 0;
    std::vector<uint8_t> data;
    return env.efivars->read("SecureBoot", attributes, data, kGlobalVariableGuid) == Status::ok && data.size() == 1 &&
           data[0] == 1;
}

std::unique_ptr<Config> loader_config(const std::string& load_options, const std::string& config_text) {
    auto cfg = std::make_unique<Config>();
    auto lo = std::make_unique<LoadOptions>();
    config_defaults(*cfg);
    (void)parse_load_options(load_options.data(), load_options.size(), *lo, cfg->diagnostics);
    (void)parse_config(config_text.data(), config_text.size(), *cfg);
    (void)apply_load_options(*lo, *cfg);
    (void)finish_config(*cfg);
    return cfg;
}

bool read_wdboot_load_options(AgentEnv& env, const std::string& esp, std::string& words, std::string& entry,
                              std::string& why) {
    words.clear();
    entry.clear();
    const InstallState st = read_install_state(esp_file(esp, kEspInstallState));
    if (!st.bootnum) {
        why = "install.state names no boot entry";
        return false;
    }
    entry = "Boot" + *st.bootnum;
    if (env.efivars == nullptr || env.efivars->availability() == Availability::missing) {
        why = "no efivarfs";
        return false;
    }
    uint32_t attributes = 0;
    std::vector<uint8_t> data;
    Status s = env.efivars->read(entry, attributes, data, kGlobalVariableGuid);
    if (s != Status::ok) {
        why = entry + (s == Status::not_found ? " does not exist" : " cannot be read");
        return false;
    }
    efi::LoadOptionView view{};
    efi::LoadOptionError e = efi::parse_load_option(data.data(), data.size(), view);
    // Only on ok does the view say where the optional data is.
    if (e != efi::LoadOptionError::ok) {
        why = entry + " is not an EFI_LOAD_OPTION the agent can read: " + efi::to_string(e);
        return false;
    }
    char text[kOptionsMax];
    efi::OptionsText kind = efi::load_options_text(view.optional_data, view.optional_bytes, text, sizeof text);
    if (kind == efi::OptionsText::binary) {
        why = entry + "'s load options are not text";
        return false;
    }
    if (kind == efi::OptionsText::too_long) {
        why = entry + "'s load options are longer than the loader reads";
        return false;
    }
    words = text;
    return true;
}

EffectivePolicy effective_policy(AgentEnv& env, const std::string& esp, const std::string& config_text) {
    EffectivePolicy p;
    std::string words, why;
    if (!esp.empty() && read_wdboot_load_options(env, esp, words, p.boot_entry_name, why))
        p.boot_entry = loader_config(words, config_text)->secure_boot_policy;
    if (std::optional<SecureBootPolicy> loader = current_boot_policy(env)) {
        p.policy = *loader;
        p.source = "loader";
        p.detail = "WdbootCurrent";
    } else if (p.boot_entry) {
        p.policy = *p.boot_entry;
        p.source = "boot-entry";
        p.detail = p.boot_entry_name;
    } else {
        p.policy = SecureBootPolicy::strict;
        p.source = "default";
        p.detail = esp.empty() ? "no ESP found" : why;
    }
    return p;
}

ImageFileOf planned_image_files(const std::string& esp, const std::vector<EspCopy>& copies) {
    return [esp, copies](const std::string& esp_path) {
        for (const auto& c : copies)
            if (esp_key(c.to) == esp_key(esp_path)) return c.from;
        return esp_file(esp, esp_path);
    };
}

std::vector<SlotCheck> check_slots(const Config& cfg, bool secure_boot, SecureBootPolicy policy,
                                   const ImageFileOf& file_of, const std::string& only) {
    std::vector<SlotCheck> out;
    for (uint8_t i = 0; i < cfg.slot_count; ++i) {
        const SlotConfig& s = cfg.slots[i];
        if (!only.empty() && only != s.name) continue;
        SlotCheck c;
        c.slot = s.name;
        if (s.kind != ImageKind::boot_entry) c.image = s.path;
        const SlotInputs in = inputs_of(s);
        // The image is read only when the core's answer depends on what it is.
        bool depends = false;
        const UnverifiedInputs first =
            unverified_inputs(secure_boot, policy, s.kind, kEveryImageType[0], in.options, in.initrds);
        for (PeImageType t : kEveryImageType) {
            const UnverifiedInputs r = unverified_inputs(secure_boot, policy, s.kind, t, in.options, in.initrds);
            depends = depends || r.refused != first.refused || r.options_dropped != first.options_dropped ||
                      r.initrds_dropped != first.initrds_dropped;
        }
        UnverifiedInputs r = first;
        if (depends) {
            PeImageType type{};
            std::string why;
            if (!image_type(file_of(s.path), type, why)) {
                c.verdict = SlotVerdict::unknown;
                c.why = why + ": whether the loader starts it under Secure Boot cannot be told";
                out.push_back(c);
                continue;
            }
            r = unverified_inputs(secure_boot, policy, s.kind, type, in.options, in.initrds);
        }
        if (r.refused) {
            c.verdict = SlotVerdict::refused;
            c.why = std::string("a plain Linux kernel (not a unified kernel image) whose ") +
                    (in.options && in.initrds ? "options and initrds" : in.options ? "options" : "initrds") +
                    " come from wdboot.conf, which nothing verifies: secure-boot-policy strict does not start it";
        }
        c.options_dropped = r.options_dropped;
        c.initrds_dropped = r.initrds_dropped;
        out.push_back(c);
    }
    return out;
}

std::string slot_check_text(const SlotCheck& c) {
    return "slot \"" + c.slot + "\"" + (c.image.empty() ? "" : " (" + c.image + ")") + ": " + c.why;
}

void warn_if_slot_refused(AgentEnv& env, const std::string& esp, const std::string& config_text,
                          const std::string& slot, const ImageFileOf& file_of) {
    if (!secure_boot_enabled(env)) return;
    const EffectivePolicy p = effective_policy(env, esp, config_text);
    // The next boot reads the boot entry: its policy wins over this boot's when known.
    const SecureBootPolicy policy = p.boot_entry ? *p.boot_entry : p.policy;
    std::unique_ptr<Config> cfg = loader_config("", config_text);
    for (const SlotCheck& c : check_slots(*cfg, true, policy, file_of, slot)) {
        if (c.verdict == SlotVerdict::refused)
            *env.err << "wdbootctl: warning: Secure Boot is on: the loader will refuse " << slot_check_text(c)
                     << ". It is kept, and the next slot boots instead. To boot it: a signed unified kernel image "
                        "(docs/secure-boot.md), or wdbootctl install --secure-boot-policy permissive\n";
        else if (c.verdict == SlotVerdict::unknown)
            *env.err << "wdbootctl: warning: Secure Boot is on: " << slot_check_text(c) << "\n";
    }
}

}  // namespace wdboot::agent
