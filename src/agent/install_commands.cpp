#include "install_commands.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "blesser_conflicts.hpp"
#include "boot_entry.hpp"
#include "config_edit.hpp"
#include "esp_files.hpp"
#include "kernel_commands.hpp"
#include "secure_boot_check.hpp"
#include "starter_config.hpp"

namespace fs = std::filesystem;

namespace wdboot::agent {
namespace {

inline constexpr char kPermissiveOption[] = "secure-boot-policy=permissive";

// Under Secure Boot: would the loader start any slot of `config_text` with the policy
// it will read? `load_options`: what the new boot entry carries; with --no-boot-entry
// the existing entry's policy counts. Images not yet on the ESP are read from the
// sources of `copies`. Nothing is changed here: install calls it before any copy.
Exit check_install_secure_boot(AgentEnv& env, const InstallOptions& opts, const std::string& esp,
                               const std::string& config_text, const std::vector<EspCopy>& copies,
                               const std::string& load_options) {
    if (!secure_boot_enabled(env)) return Exit::ok;
    SecureBootPolicy policy = loader_config(load_options, config_text)->secure_boot_policy;
    if (opts.no_boot_entry) {
        const EffectivePolicy p = effective_policy(env, esp, config_text);
        policy = p.boot_entry ? *p.boot_entry : SecureBootPolicy::strict;
    }
    std::unique_ptr<Config> cfg = loader_config("", config_text);
    std::vector<SlotCheck> checks = check_slots(*cfg, true, policy, planned_image_files(esp, copies));
    std::string refused, unknown;
    size_t refused_count = 0, starting = 0;
    for (const SlotCheck& c : checks) {
        if (c.verdict == SlotVerdict::refused) {
            refused += "\n  " + slot_check_text(c);
            ++refused_count;
        } else if (c.verdict == SlotVerdict::unknown) {
            unknown += "\n  " + slot_check_text(c);
        } else {
            ++starting;
        }
    }
    if (policy == SecureBootPolicy::permissive)
        note(env, "Secure Boot is on, secure-boot-policy permissive: the options and initrds of wdboot.conf reach "
                  "the kernels unverified (docs/secure-boot.md)");
    const std::string fixes =
        "either install with --secure-boot-policy permissive (the loader then passes wdboot.conf's options and "
        "initrds, unverified), or boot signed unified kernel images, which carry their own command line and initrd "
        "(docs/secure-boot.md)";
    // A reinstall without the flag would drop the permissive policy the entry has now.
    std::string dropped;
    if (!opts.no_boot_entry && opts.secure_boot_policy.empty()) {
        const EffectivePolicy now = effective_policy(env, esp, config_text);
        if (now.boot_entry == SecureBootPolicy::permissive)
            dropped = "\n(" + now.boot_entry_name + " has secure-boot-policy=permissive now; install re-creates the "
                      "entry, and writes it again only with --secure-boot-policy permissive)";
    }
    if (refused_count > 0 && starting == 0)
        return fail(env, Exit::refused,
                    "Secure Boot is on and secure-boot-policy is strict: the loader would start none of the slots "
                    "of wdboot.conf, and the machine would not boot:" + refused + unknown +
                    "\nNothing changed. To boot these kernels with wdboot: " + fixes + dropped);
    if (refused_count > 0)
        *env.err << "wdbootctl: warning: Secure Boot is on and secure-boot-policy is strict: the loader will refuse"
                 << refused << "\n  (the other slots boot; to boot these too: " << fixes << ")\n";
    if (!unknown.empty()) *env.err << "wdbootctl: warning: Secure Boot is on:" << unknown << "\n";
    return Exit::ok;
}

}  // namespace

Exit cmd_install(AgentEnv& env, const InstallOptions& opts) {
    if (!opts.dry_run && !env.is_root) return fail(env, Exit::not_root, "install needs root");
    const std::string esp = opts.esp.empty() ? find_esp(env) : opts.esp;
    struct stat st {};
    if (esp.empty() || stat(esp.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        return fail(env, Exit::install, "no ESP found: mount it (e.g. at /boot/efi) or pass --esp PATH");
    if (env.loader_image.empty() || access(env.loader_image.c_str(), R_OK) != 0)
        return fail(env, Exit::install, "loader image " + env.loader_image + " not found (build with -DWDBOOT_EFI=ON)");
    if (!opts.secure_boot_policy.empty() && opts.secure_boot_policy != "strict" &&
        opts.secure_boot_policy != "permissive")
        return fail(env, Exit::usage, "--secure-boot-policy is strict or permissive, not \"" + opts.secure_boot_policy + "\"");
    if (!opts.secure_boot_policy.empty() && opts.no_boot_entry)
        return fail(env, Exit::usage,
                    "--secure-boot-policy is written into the boot entry, which --no-boot-entry leaves alone (set it "
                    "by hand: efibootmgr --unicode '" + std::string(kPermissiveOption) + "', docs/install.md)");
    const std::string load_options = opts.secure_boot_policy == "permissive" ? kPermissiveOption : "";
    std::string err;
    // The starter config is built and checked before anything is copied.
    const std::string conf_path = esp_file(esp, env.config.config_path);
    std::vector<EspCopy> copies{{env.loader_image, kEspLoader}};
    std::string text;
    std::vector<std::pair<std::string, std::string>> kernel_slots;
    if (access(conf_path.c_str(), F_OK) == 0 && !opts.force_config) {
        note(env, "keeping the existing " + conf_path + " (--force-config replaces it)");
    } else {
        StarterInput in{env.boot_dir, env.kernel_release, installed_kernels(env.boot_dir), "", opts.timeout_s};
        std::string cmdline;
        (void)read_file(env.cmdline_file, cmdline);
        in.options = reusable_cmdline(cmdline);
        StarterConfig starter = starter_config(in);
        if (!starter.error.empty()) return fail(env, Exit::install, starter.error);
        if (!starter.has_fallback)
            note(env, "only one kernel in " + env.boot_dir + ": no fallback slot (add one later with add-slot)");
        copies.insert(copies.end(), starter.copies.begin(), starter.copies.end());
        text = starter.text;
        kernel_slots = starter.kernel_slots;
        std::string problems;
        if (!check_config_text(text, problems))
            return fail(env, Exit::config, "the generated wdboot.conf does not parse; nothing changed:\n" + problems);
    }
    {
        // The config the loader will read: the new one, or the one kept.
        std::string config_text = text;
        if (text.empty()) (void)read_file(conf_path, config_text);
        if (Exit e = check_install_secure_boot(env, opts, esp, config_text, copies, load_options); e != Exit::ok)
            return e;
    }
    if (!sources_readable(copies, err)) return fail(env, Exit::install, err + "; nothing changed");
    if (std::vector<std::string> created; !copy_to_esp(env, esp, copies, opts.dry_run, created, err))
        return fail(env, Exit::install, err);
    if (!text.empty()) {
        note(env, (opts.dry_run ? "would write " : "write ") + conf_path + ":\n" + text);
        if (!opts.dry_run && !write_to_esp(env, conf_path, text, err)) return fail(env, Exit::install, err);
        if (!opts.dry_run) adopt_install_slots(env, kernel_slots);
    }
    // Issue 10 part 6: say what else on this machine blesses boots or feeds the watchdog.
    if (!opts.dry_run) warn_blesser_conflicts(env);
    if (opts.no_boot_entry) return Exit::ok;

    InstalledEntry entry;
    Exit e = install_boot_entry(env, esp, {opts.disk, opts.part, opts.label, opts.dry_run, load_options}, entry);
    if (e != Exit::ok || opts.dry_run) return e;
    if (env.json) {
        *env.out << nlohmann::json{{"esp", esp}, {"bootnum", entry.num}, {"bootorder", entry.order}, {"previous_bootorder", entry.previous_order}, {"load_options", load_options}}.dump(2) << "\n";
    } else {
        *env.out << "installed: Boot" << entry.num << " \"" << opts.label << "\" first in BootOrder ("
                 << boot_order_text(entry.order) << "); previous order "
                 << (entry.previous_order.empty() ? "(empty)" : entry.previous_order) << " saved in " << entry.state_path
                 << "\n";
    }
    return Exit::ok;
}

Exit cmd_uninstall(AgentEnv& env, const std::string& esp_arg, bool purge, bool dry_run) {
    if (!dry_run && !env.is_root) return fail(env, Exit::not_root, "uninstall needs root");
    const std::string esp = esp_arg.empty() ? find_esp(env) : esp_arg;
    if (esp.empty()) return fail(env, Exit::install, "no ESP found: pass --esp PATH");
    RemovedEntry removed;
    Exit e = remove_boot_entry(env, esp, dry_run, removed);
    if (e != Exit::ok || dry_run) return e;
    std::error_code ec;
    if (purge) {
        fs::remove_all(esp_file(esp, kEspDir), ec);
        for (const char* v : kCopyNames) (void)env.efivars->remove(v);
        note(env, "removed " + esp_file(esp, kEspDir) + " and the state variables");
    } else {
        fs::remove(esp_file(esp, kEspInstallState), ec);
    }
    if (env.json) {
        *env.out << nlohmann::json{{"removed_bootnum", removed.num}, {"bootorder", removed.order}, {"purged", purge}}.dump(2) << "\n";
    } else {
        *env.out << "uninstalled: Boot" << removed.num << " removed, BootOrder "
                 << (removed.order.empty() ? "(deleted)" : boot_order_text(removed.order)) << "\n";
    }
    return Exit::ok;
}

}  // namespace wdboot::agent
