#include "slot_commands.hpp"

#include <filesystem>
#include <memory>
#include <sstream>
#include <vector>

#include "config_edit.hpp"
#include "esp_files.hpp"
#include "loader_entries.hpp"
#include "secure_boot_check.hpp"
#include "starter_config.hpp"
#include "wdboot/config.hpp"
#include "wdboot/pe_image.hpp"
#include "wdboot/slot_policy.hpp"
#include "wdboot/watchdog_drivers.hpp"

namespace wdboot::agent {
namespace {

// Text of an embedded command line for a message: control characters shown as spaces,
// cut at 120 characters.
std::string shown_cmdline(const PeImageInfo& info) {
    std::string t(info.embedded_cmdline == nullptr ? "" : info.embedded_cmdline, info.embedded_length);
    for (char& c : t) c = static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
    return t.size() > 120 ? t.substr(0, 117) + "..." : t;
}

// What the loader will give the image of an `efi` slot (compose_command_line, with the
// slot's options and the arguments of every watchdog the config may arm), said before
// anything changes: the same core reads the same headers, from the file. Returns false
// (with the reason in `why`) for an image the loader would never boot: not a file, not
// a PE image, or a UKI whose command line the loader refuses (non-ASCII, too long).
bool describe_efi_image(AgentEnv& env, const std::string& file, const std::string& options, const Config& cfg,
                        std::string& why) {
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) {
        note(env, "note: " + file + " does not exist yet; the loader decides what it is at boot");
        return true;
    }
    std::string bytes;
    PeImageInfo info{};
    PeError e = PeError::ok;
    PeFileRead r = read_pe_file(file, bytes, info, e);
    if (r == PeFileRead::unreadable) {
        why = file + " is not a readable file";
        return false;
    }
    if (r == PeFileRead::not_pe) {
        why = file + " is not an EFI image the firmware can load (" + to_string(e) + ")";
        return false;
    }
    if (info.type == PeImageType::linux_kernel) {
        note(env, "note: " + file + " is a Linux kernel: it gets the options and the watchdog's arguments");
        return true;
    }
    if (info.type == PeImageType::efi_application) {
        note(env, "note: " + file + " is not a kernel: it gets the options only. The OS it starts must not load "
                  "the watchdog's Linux driver before wdbootctl mark-good (docs/watchdogs.md)");
        return true;
    }
    const bool secure = secure_boot_enabled(env);
    std::vector<std::string> lacking;
    for (const WatchdogDriverFacts& f : kWatchdogDrivers) {
        if (!may_arm(cfg.watchdog, f)) continue;
        char out[kOptionsMax];
        ComposedCommandLine c =
            compose_command_line(ImageKind::efi_app, info, false, CommandLineParts{options.c_str(), f.kernel_args},
                                 secure, out);
        if (c.embedded_not_ascii) {
            why = file + ": its embedded .cmdline has bytes above 0x7F; the loader does not boot it";
            return false;
        }
        if (!c.fits) {
            why = file + ": its embedded .cmdline (" + std::to_string(info.embedded_length) +
                  " characters), the options and '" + f.kernel_args + "' exceed " + std::to_string(kOptionsMax - 1) +
                  " characters; the loader does not boot it";
            return false;
        }
        if (c.embedded_lacks_watchdog_args) lacking.push_back(f.kernel_args);
    }
    if (secure && info.cmdline_section_bytes > 0) {
        note(env, "note: " + file + " is a unified kernel image. Secure Boot is on, so systemd-stub ignores the "
                  "options and boots with its embedded command line alone: \"" + shown_cmdline(info) + "\"");
    } else {
        note(env, "note: " + file + " is a unified kernel image: " +
                      (info.embedded_length == 0 ? std::string("it has no embedded command line; it gets")
                                                 : "its embedded command line \"" + shown_cmdline(info) +
                                                       "\" is kept, then") +
                      " the options and the watchdog's arguments");
    }
    for (const std::string& args : lacking) {
        note(env, "warning: the embedded command line lacks \"" + args +
                      "\": that watchdog's driver may then stop it before the boot is blessed; build the UKI with it" +
                      (lacking.size() > 1 ? " (watchdog auto may arm either)" : ""));
    }
    return true;
}

// The record's entry of a slot that is no longer (or not yet) in wdboot.conf is
// forgotten, so that a name added again starts with fresh counters rather than the old
// slot's bad mark. Best effort: the config change is made either way, and a record that
// cannot be written is only reported (the entry is then released when its room is needed).
}  // namespace

void forget_slot_in_record(AgentEnv& env, const std::string& name) {
    if (env.efivars == nullptr || env.efivars->availability() == Availability::missing) return;
    {
        // Nothing to forget (no record, or no entry of that name): say nothing, write nothing.
        EfivarfsStore store(*env.efivars);
        LoadedState l = load_state(store);
        if (!l.from_copy || l.state.find_slot(name.c_str()) == kNoSlot) return;
    }
    std::ostringstream sink;
    AgentEnv quiet = capturing_errors(env, sink);
    Session s;
    if (open_session(quiet, kNeedWrite, s) != Exit::ok) {
        note(env, "the state record keeps slot \"" + name + "\" for now: " + captured_message(sink));
        return;
    }
    BootState next = s.loaded.state;
    uint8_t ri = next.find_slot(name.c_str());
    if (ri == kNoSlot) return;
    if (forget_slot(next, ri) != Status::ok) {
        note(env, "slot \"" + name + "\" is the attempt in progress: the record keeps it until the next boot");
        return;
    }
    if (save_session(quiet, s, next) == Exit::ok) note(env, "the state record forgot slot \"" + name + "\"");
    else note(env, "the state record keeps slot \"" + name + "\" for now: " + captured_message(sink));
}

Exit cmd_add_slot(AgentEnv& env, const SlotSpec& spec, const std::string& esp_arg) {
    if (!spec.dry_run && !env.is_root) return fail(env, Exit::not_root, "add-slot changes the ESP: run it as root");
    if (!is_valid_slot_name(spec.name.c_str()))
        return fail(env, Exit::usage,
                    "invalid slot name \"" + spec.name + "\" (1..15 of A-Z a-z 0-9 . _ -, not starting with . or -)");
    int images = !spec.kernel.empty() + !spec.linux_path.empty() + !spec.efi_path.empty() + !spec.boot_entry.empty();
    if (images != 1) return fail(env, Exit::usage, "give exactly one of --kernel, --linux, --efi, --bootentry");
    // wdboot.conf is read, changed and written under the state lock, as the kernel
    // hooks do: a hook running at the same time must not lose this slot, nor we its.
    CommandLock lock(env);
    if (!spec.dry_run)
        if (Exit e = lock.take(); e != Exit::ok) return e;
    const std::string esp = esp_arg.empty() ? find_esp(env) : esp_arg;
    if (esp.empty()) return fail(env, Exit::install, "no ESP found: pass --esp PATH");
    const std::string conf_path = esp_file(esp, env.config.config_path);
    std::string text;
    if (!read_file(conf_path, text)) return fail(env, Exit::config, "cannot read " + conf_path + " (run wdbootctl install first)");
    if (has_slot(text, spec.name)) return fail(env, Exit::usage, "slot \"" + spec.name + "\" already exists");

    // First the whole plan (stanza, files to copy), checked; then the copies; then the
    // config. A refusal changes nothing on the ESP.
    std::string err, key, image;
    std::vector<EspCopy> copies;
    const std::string dir = esp_kernel_dir(spec.name);
    if (!spec.kernel.empty()) {
        key = "linux";
        image = dir + "\\vmlinuz";
        copies.push_back({spec.kernel, image});
    } else if (!spec.linux_path.empty()) {
        key = "linux";
        image = spec.linux_path;
    } else if (!spec.efi_path.empty()) {
        key = "efi";
        image = spec.efi_path;
    } else {
        key = "bootentry";
        image = spec.boot_entry;
    }
    std::vector<std::string> initrds;
    for (size_t i = 0; i < spec.initrds.size(); ++i) {
        if (!spec.initrds[i].empty() && spec.initrds[i][0] == '\\') {
            initrds.push_back(spec.initrds[i]);
            continue;
        }
        const std::string dst = dir + "\\initrd" + (i == 0 ? "" : std::to_string(i)) + ".img";
        copies.push_back({spec.initrds[i], dst});
        initrds.push_back(dst);
    }
    std::string options = spec.options;
    if (spec.same_options) {
        std::string cmdline;
        (void)read_file(env.cmdline_file, cmdline);
        options = reusable_cmdline(cmdline);
    }
    const std::string stanza = slot_stanza(spec.name, key, image, initrds, options, spec.tries, spec.rescue);
    std::string problems;
    std::unique_ptr<Config> before;
    if (!check_config_text(text, problems, &before))
        return fail(env, Exit::config, conf_path + " does not parse as it is; nothing changed:\n" + problems);
    text = with_stanza(text, stanza);
    if (!check_config_text(text, problems))
        return fail(env, Exit::config, "wdboot.conf would not parse with this slot; nothing changed:\n" + problems);
    if (!sources_readable(copies, err)) return fail(env, Exit::install, err + "; nothing changed");
    // A copy must not replace a file another slot boots (e.g. left behind by remove-slot
    // because that slot still used it).
    const auto refs = referenced_files(*before);
    for (const auto& c : copies) {
        auto it = refs.find(esp_key(c.to));
        if (it != refs.end())
            return fail(env, Exit::install, c.to + " is used by slot \"" + it->second + "\"; nothing changed");
    }

    if (!spec.efi_path.empty() &&
        !describe_efi_image(env, esp_file(esp, spec.efi_path), options, *before, err))
        return fail(env, Exit::install, err + "; nothing changed");
    // Under Secure Boot the loader's policy may refuse the slot: said, not refused here
    // (the operator may be about to set the policy, or to replace the image).
    warn_if_slot_refused(env, esp, text, spec.name, planned_image_files(esp, copies));

    std::vector<std::string> created;
    if (spec.dry_run) {
        (void)copy_to_esp(env, esp, copies, true, created, err);
        *env.out << "would add to " << conf_path << ":\n" << stanza;
        return Exit::ok;
    }
    if (!copy_to_esp(env, esp, copies, false, created, err)) return fail(env, Exit::install, err + "; wdboot.conf not changed");
    if (!write_to_esp(env, conf_path, text, err)) {
        remove_created(created);
        return fail(env, Exit::install, err + "; wdboot.conf not changed");
    }
    forget_slot_in_record(env, spec.name);
    refresh_boot_loader_entries(env);
    *env.out << "slot \"" << spec.name << "\" added to " << conf_path << "\n";
    return Exit::ok;
}

Exit cmd_remove_slot(AgentEnv& env, const std::string& name, const std::string& esp_arg) {
    if (!env.is_root) return fail(env, Exit::not_root, "remove-slot changes the ESP: run it as root");
    // Also keeps a hand-written `slot ..` (which the loader ignores) from naming a folder.
    if (!is_valid_slot_name(name.c_str())) return fail(env, Exit::usage, "invalid slot name \"" + name + "\"");
    CommandLock lock(env);  // as add-slot
    if (Exit e = lock.take(); e != Exit::ok) return e;
    const std::string esp = esp_arg.empty() ? find_esp(env) : esp_arg;
    if (esp.empty()) return fail(env, Exit::install, "no ESP found: pass --esp PATH");
    const std::string conf_path = esp_file(esp, env.config.config_path);
    std::string text, err;
    if (!read_file(conf_path, text)) return fail(env, Exit::config, "cannot read " + conf_path);
    if (!has_slot(text, name)) return fail(env, Exit::usage, "no slot \"" + name + "\" in " + conf_path);
    const std::string rest = without_stanza(text, name);
    std::string problems;
    std::unique_ptr<Config> remaining;
    if (!check_config_text(rest, problems, &remaining))
        return fail(env, Exit::config, "wdboot.conf would not be usable without \"" + name + "\"; nothing changed:\n" + problems);
    if (!write_to_esp(env, conf_path, rest, err)) return fail(env, Exit::install, err);
    remove_unreferenced_slot_files(env, esp, name, *remaining);
    forget_slot_in_record(env, name);
    refresh_boot_loader_entries(env);
    *env.out << "slot \"" << name << "\" removed from " << conf_path << "\n";
    return Exit::ok;
}

}  // namespace wdboot::agent
