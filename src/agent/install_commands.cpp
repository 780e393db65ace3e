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
#include "starter_config.hpp"

namespace fs = std::filesystem;

namespace wdboot::agent {

Exit cmd_install(AgentEnv& env, const InstallOptions& opts) {
    if (!opts.dry_run && !env.is_root) return fail(env, Exit::not_root, "install needs root");
    const std::string esp = opts.esp.empty() ? find_esp(env) : opts.esp;
    struct stat st {};
    if (esp.empty() || stat(esp.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        return fail(env, Exit::install, "no ESP found: mount it (e.g. at /boot/efi) or pass --esp PATH");
    if (env.loader_image.empty() || access(env.loader_image.c_str(), R_OK) != 0)
        return fail(env, Exit::install, "loader image " + env.loader_image + " not found (build with -DWDBOOT_EFI=ON)");
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
    Exit e = install_boot_entry(env, esp, {opts.disk, opts.part, opts.label, opts.dry_run}, entry);
    if (e != Exit::ok || opts.dry_run) return e;
    if (env.json) {
        *env.out << nlohmann::json{{"esp", esp}, {"bootnum", entry.num}, {"bootorder", entry.order}, {"previous_bootorder", entry.previous_order}}.dump(2) << "\n";
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
