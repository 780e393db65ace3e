#include "kernel_commands.hpp"

#include <sys/stat.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "config_edit.hpp"
#include "esp_files.hpp"
#include "kernel_slots.hpp"
#include "loader_entries.hpp"
#include "secure_boot_check.hpp"
#include "slot_commands.hpp"
#include "starter_config.hpp"
#include "wdboot/slot_policy.hpp"

namespace wdboot::agent {
namespace {

FileSync& file_sync(AgentEnv& env) { return env.file_sync != nullptr ? *env.file_sync : system_file_sync(); }

uint64_t file_size(const std::string& path) {
    struct stat st {};
    return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) ? static_cast<uint64_t>(st.st_size) : 0;
}

// The record as it is now (read-only), or nullptr without efivarfs or a valid copy.
std::unique_ptr<BootState> read_record(AgentEnv& env) {
    if (env.efivars == nullptr || env.efivars->availability() == Availability::missing) return nullptr;
    EfivarfsStore store(*env.efivars);
    LoadedState l = load_state(store);
    if (!l.from_copy) return nullptr;
    return std::make_unique<BootState>(l.state);
}

std::string record_slot_name(const BootState* st, uint8_t ri) {
    return st != nullptr && ri < kMaxSlots && st->slots[ri].used() ? st->slots[ri].name : "";
}

// The head of the default order as the chooser builds it (rule 2 of choose()): the
// operator's default in the record, the config's `default`, the first slot in the file.
// `except` is skipped (the slot about to become the default).
std::string default_head(const Config& cfg, const BootState* st, const std::string& except) {
    std::vector<std::string> order;
    const std::string op = record_slot_name(st, st != nullptr ? st->default_slot : kNoSlot);
    if (!op.empty() && cfg.find(op.c_str()) != kNoSlot) order.push_back(op);
    if (cfg.default_slot[0] != '\0' && cfg.find(cfg.default_slot) != kNoSlot) order.push_back(cfg.default_slot);
    for (uint8_t i = 0; i < cfg.slot_count; ++i) order.push_back(cfg.slots[i].name);
    for (const auto& n : order)
        if (n != except) return n;
    return "";
}

// The booted slot (WdbootCurrent), or "" when this boot was not started by wdboot.
std::string booted_slot(AgentEnv& env) {
    if (env.efivars == nullptr || env.efivars->availability() == Availability::missing) return "";
    CurrentBoot cur;
    std::string why;
    return read_current_boot(env, cur, why) ? cur.slot : "";
}

// The ESP with wdboot on it, and its wdboot.conf text. Exit::install when wdboot is not
// installed there.
Exit open_esp(AgentEnv& env, std::string& esp, std::string& conf_path, std::string& text) {
    esp = find_esp(env);
    if (esp.empty()) return fail(env, Exit::install, "no ESP found: mount it (e.g. at /boot/efi) or pass --esp PATH");
    conf_path = esp_file(esp, env.config.config_path);
    if (!read_file(conf_path, text))
        return fail(env, Exit::install, "wdboot is not installed on the ESP at " + esp + " (no " + conf_path +
                                            "; wdbootctl install puts it there)");
    return Exit::ok;
}

Exit load_managed(AgentEnv& env, std::vector<KernelSlot>& managed) {
    std::vector<std::string> warnings;
    std::string err;
    if (!load_kernel_slots(env.kernel_state, managed, warnings, err)) return fail(env, Exit::failure, err);
    for (const auto& w : warnings) *env.err << "wdbootctl: warning: " << w << "\n";
    return Exit::ok;
}

bool save_managed(AgentEnv& env, const std::vector<KernelSlot>& managed) {
    std::string err;
    if (save_kernel_slots(file_sync(env), env.kernel_state, managed, err)) return true;
    *env.err << "wdbootctl: warning: cannot write " << env.kernel_state << ": " << err << "\n";
    return false;
}

// Takes slot `name` and its files out: the stanza (and a global `default` naming it),
// the files in \EFI\wdboot\kernels\VERSION\ no other slot boots, the record's entry.
// `text` is wdboot.conf as it is and becomes what was written. False (why in err) when
// wdboot.conf would not be usable without it or cannot be written: nothing changed.
bool remove_kernel_slot(AgentEnv& env, const std::string& esp, const std::string& conf_path, std::string& text,
                        const std::string& name, const std::string& version, std::string& err) {
    const std::string rest = without_default_lines(without_stanza(text, name), name);
    std::string problems;
    std::unique_ptr<Config> remaining;
    if (!check_config_text(rest, problems, &remaining)) {
        err = "wdboot.conf would not be usable without slot \"" + name + "\":\n" + problems;
        return false;
    }
    if (!write_to_esp(env, conf_path, rest, err)) return false;
    text = rest;
    remove_unreferenced_slot_files(env, esp, version, *remaining);
    forget_slot_in_record(env, name);
    return true;
}

// The slots pruning must never take, by name.
std::set<std::string> protected_slots(AgentEnv& env, const Config& cfg, const std::string& just_added) {
    std::set<std::string> p;
    auto add = [&](const std::string& n) {
        if (!n.empty()) p.insert(n);
    };
    add(just_added);
    add(booted_slot(env));
    std::unique_ptr<BootState> st = read_record(env);
    const std::string head = default_head(cfg, st.get(), "");
    add(head);
    // The fallback: what boots when the default fails (after a promotion, the previous
    // default).
    add(default_head(cfg, st.get(), head));
    if (st != nullptr) {
        add(record_slot_name(st.get(), st->default_slot));
        add(record_slot_name(st.get(), st->last_good_slot));
        add(record_slot_name(st.get(), st->trial_slot));
        add(record_slot_name(st.get(), st->attempt_slot));
    }
    if (cfg.default_slot[0] != '\0') add(cfg.default_slot);
    return p;
}

// Drops agent-state entries whose slot left wdboot.conf (remove-slot by hand), then
// removes the managed slots beyond keep, oldest first (kernel_slots.hpp). Problems are
// warnings. Returns notes.
std::vector<std::string> prune(AgentEnv& env, const std::string& esp, const std::string& conf_path,
                               std::vector<KernelSlot>& managed, const std::string& just_added) {
    std::vector<std::string> notes;
    std::string text, err, problems;
    if (!read_file(conf_path, text)) return notes;
    std::unique_ptr<Config> cfg;
    (void)check_config_text(text, problems, &cfg);
    std::vector<KernelSlot> kept;
    for (const auto& k : managed) {
        if (cfg->find(k.slot.c_str()) != kNoSlot) kept.push_back(k);
        else notes.push_back("slot \"" + k.slot + "\" (kernel " + k.version + ") is no longer in wdboot.conf: forgotten");
    }
    managed = kept;
    std::set<std::string> protect = protected_slots(env, *cfg, just_added);
    // Also when this boot was not started by wdboot (a chroot, rescue media), where the
    // booted slot is unknown: the slot of the kernel that runs.
    if (KernelSlot* running = find_by_version(managed, env.kernel_release)) protect.insert(running->slot);
    for (const std::string& name : slots_to_prune(managed, env.config.keep, protect)) {
        KernelSlot* k = find_by_slot(managed, name);
        const std::string version = k->version;
        if (!remove_kernel_slot(env, esp, conf_path, text, name, version, err)) {
            *env.err << "wdbootctl: warning: prune: slot \"" << name << "\" stays: " << err << "\n";
            continue;
        }
        managed.erase(managed.begin() + (k - managed.data()));
        notes.push_back("pruned slot \"" + name + "\" (kernel " + version + "; keep " +
                        std::to_string(env.config.keep) + ")");
    }
    (void)save_managed(env, managed);
    for (const auto& n : notes) note(env, n);
    return notes;
}

// Makes `name` the default: in wdboot.conf its stanza first and the previous default's
// second (global `default` lines dropped, so that file order and the record agree),
// then the record's default (the core's set_default). The chooser's order is then
// name, the previous default, the rest in file order (docs/boot-flow.md, rule 2).
bool promote_slot(AgentEnv& env, const std::string& conf_path, const std::string& name, std::string& err,
                  std::string& previous) {
    std::string text, problems;
    if (!read_file(conf_path, text)) {
        err = "cannot read " + conf_path;
        return false;
    }
    std::unique_ptr<Config> cfg;
    if (!check_config_text(text, problems, &cfg)) {
        err = conf_path + " does not parse:\n" + problems;
        return false;
    }
    std::unique_ptr<BootState> st = read_record(env);
    previous = default_head(*cfg, st.get(), name);
    std::vector<std::string> first{name};
    if (!previous.empty()) first.push_back(previous);
    const std::string reordered = without_default_lines(with_stanzas_first(text, first));
    std::unique_ptr<Config> after;
    if (!check_config_text(reordered, problems, &after)) {
        err = "the reordered wdboot.conf does not parse:\n" + problems;
        return false;
    }
    if (reordered != text && !write_to_esp(env, conf_path, reordered, err)) return false;

    std::ostringstream sink;
    AgentEnv quiet = capturing_errors(env, sink);
    Session s;
    if (open_session(quiet, kNeedWrite, s) != Exit::ok) {
        err = "the record's default is unchanged: " + captured_message(sink);
        return false;
    }
    BootState next = s.loaded.state;
    uint8_t ri = next.find_slot(name.c_str());
    if (ri == kNoSlot) {
        reconcile(*after, next);
        ri = next.find_slot(name.c_str());
    }
    if (ri == kNoSlot || set_default(next, ri, env.now()) != Status::ok) {
        err = "slot \"" + name + "\" has no entry in the record";
        return false;
    }
    // systemd's LoaderEntryDefault first, as set-default does: a stale one would make the
    // loader undo this promotion at the next boot. If the record write below then fails,
    // the variable still names the new slot and the loader promotes it at the next boot.
    if (!kernel_default_changed(env, name, err)) return false;
    if (save_session(quiet, s, next) != Exit::ok) {
        err = "the record's default is unchanged: " + captured_message(sink);
        return false;
    }
    return true;
}

// Asks for the one-shot trial of `name` (the core's request_trial, as `wdbootctl try`)
// and returns the journal entry it wrote, so that mark-good knows the trial is ours.
Exit request_hook_trial(AgentEnv& env, const std::string& name, unsigned tries, HookTrial& out, std::string& err) {
    std::ostringstream sink;
    AgentEnv quiet = capturing_errors(env, sink);
    Session s;
    Exit e = open_session(quiet, kNeedWrite, s);
    if (e != Exit::ok) {
        err = captured_message(sink);
        return e;
    }
    BootState next = s.loaded.state;
    auto cfg = std::make_unique<Config>();
    std::string path;
    if (load_boot_config(env, *cfg, path)) reconcile(*cfg, next);
    const uint8_t ri = next.find_slot(name.c_str());
    if (ri == kNoSlot) {
        err = "slot \"" + name + "\" is not in the record";
        return Exit::failure;
    }
    const unsigned max = next.slots[ri].max_tries;
    if (tries > max) {
        note(env, "trial tries " + std::to_string(tries) + " are more than the slot's " + std::to_string(max) +
                      ": " + std::to_string(max) + " used");
        tries = max;
    }
    if (request_trial(next, ri, static_cast<uint8_t>(tries), env.now()) != Status::ok) {
        err = "the core refused the trial";
        return Exit::refused;
    }
    const JournalEntry& j = next.journal_newest(0);
    out = {j.boot_id, j.time, j.detail};
    if ((e = save_session(quiet, s, next)) != Exit::ok) err = captured_message(sink);
    return e;
}

// The files of kernel VERSION and where they go in its folder.
struct KernelFiles {
    std::vector<EspCopy> copies;
    std::string image;                 // ESP path
    std::vector<std::string> initrds;  // ESP paths
};

KernelFiles kernel_files(const AgentEnv& env, const KernelAddOptions& o) {
    KernelFiles f;
    const std::string dir = esp_kernel_dir(o.version);
    f.image = dir + "\\vmlinuz";
    f.copies.push_back({o.image.empty() ? env.boot_dir + "/vmlinuz-" + o.version : o.image, f.image});
    std::vector<std::string> initrds = o.initrds;
    if (initrds.empty()) {
        const std::string d = env.boot_dir + "/initrd.img-" + o.version;
        struct stat st {};
        if (stat(d.c_str(), &st) == 0) initrds.push_back(d);
    }
    for (size_t i = 0; i < initrds.size(); ++i) {
        const std::string dst = dir + "\\initrd" + (i == 0 ? "" : std::to_string(i)) + ".img";
        f.copies.push_back({initrds[i], dst});
        f.initrds.push_back(dst);
    }
    return f;
}

// Is there room on the ESP for the copies? A message naming the ESP, what is needed and
// what is free when not.
Exit check_space(AgentEnv& env, const std::string& esp, const std::vector<EspCopy>& copies) {
    FsSpace space;
    std::string err;
    const bool ok = env.fs_space ? env.fs_space(esp, space, err) : statvfs_space(esp, space, err);
    if (!ok) return fail(env, Exit::install, "cannot tell the free space on the ESP: " + err + "; nothing changed");
    std::vector<SizedCopy> sized;
    uint64_t files = 0;
    for (const auto& c : copies) {
        sized.push_back({file_size(c.from), file_size(esp_file(esp, c.to))});
        files += sized.back().new_bytes;
    }
    const uint64_t need = space_needed(sized, space.block) + kEspSpaceMargin;
    if (space.available >= need) return Exit::ok;
    return fail(env, Exit::install,
                "not enough space on the ESP " + esp + ": the kernel's files (" + size_text(files) + ") need " +
                    size_text(need) + " with a margin of " + size_text(kEspSpaceMargin) + ", " +
                    size_text(space.available) +
                    " are free; nothing changed. Remove an old kernel's slot (wdbootctl kernel-remove VERSION) or "
                    "lower keep in agent.conf");
}

}  // namespace

bool kernel_default_changed(AgentEnv& env, const std::string& slot, std::string& err) {
    std::string why;
    EntryDefaultSync sync = sync_loader_entry_default(*env.efivars, slot, why);
    if (sync == EntryDefaultSync::failed) {
        err = "LoaderEntryDefault could not follow the new default, so the record's default is unchanged: " + why;
        return false;
    }
    return true;
}

Exit cmd_kernel_add(AgentEnv& env, const KernelAddOptions& o) {
    if (!env.is_root) return fail(env, Exit::not_root, "kernel-add changes the ESP: run it as root");
    std::string why;
    if (!is_valid_kernel_version(o.version, why)) return fail(env, Exit::usage, why);
    if (o.tries < 1 || o.tries > kMaxTries) return fail(env, Exit::usage, "--tries must be 1.." + std::to_string(kMaxTries));
    CommandLock lock(env);
    Exit e = lock.take();
    if (e != Exit::ok) return e;
    std::string esp, conf_path, text, err, problems;
    if ((e = open_esp(env, esp, conf_path, text)) != Exit::ok) return e;
    std::unique_ptr<Config> before;
    if (!check_config_text(text, problems, &before))
        return fail(env, Exit::config, conf_path + " does not parse as it is; nothing changed:\n" + problems);
    std::vector<KernelSlot> managed;
    if ((e = load_managed(env, managed)) != Exit::ok) return e;

    KernelFiles files = kernel_files(env, o);
    const auto refs = referenced_files(*before);
    auto booting = refs.find(esp_key(files.image));
    const bool refresh = booting != refs.end();
    if (!refresh && o.refresh_only) {
        note(env, "no slot boots kernel " + o.version + " yet: nothing to refresh");
        return Exit::ok;
    }
    std::string name = refresh ? booting->second : kernel_slot_name(o.version);
    if (refresh) {
        // Only the files of the existing slot, at the paths its stanza names.
        const SlotConfig& slot = before->slots[before->find(name.c_str())];
        std::vector<EspCopy> copies{files.copies[0]};
        for (size_t i = 1; i < files.copies.size(); ++i) {
            if (i - 1 < slot.initrd_count && esp_key(slot.initrds[i - 1]) == esp_key(files.copies[i].to)) {
                copies.push_back(files.copies[i]);
            } else {
                *env.err << "wdbootctl: warning: slot \"" << name << "\" has no initrd line for "
                         << files.copies[i].to << ": " << files.copies[i].from
                         << " not copied (wdbootctl kernel-remove, then kernel-add, makes the slot again)\n";
            }
        }
        files.copies = copies;
    } else {
        if (before->find(name.c_str()) != kNoSlot)
            return fail(env, Exit::usage, "wdboot.conf has a slot \"" + name + "\" already, for another kernel than " +
                                              o.version + "; nothing changed");
        for (size_t i = 1; i < files.copies.size(); ++i) {
            auto it = refs.find(esp_key(files.copies[i].to));
            if (it != refs.end())
                return fail(env, Exit::install,
                            files.copies[i].to + " is used by slot \"" + it->second + "\"; nothing changed");
        }
        if (files.initrds.empty())
            *env.err << "wdbootctl: warning: no initrd for kernel " << o.version << " (" << env.boot_dir
                     << "/initrd.img-" << o.version << " does not exist): the slot boots the kernel alone\n";
    }
    if (!sources_readable(files.copies, err)) return fail(env, Exit::install, err + "; nothing changed");

    std::string new_text;
    if (!refresh) {
        std::string options = o.options;
        if (options.empty()) {
            std::unique_ptr<BootState> st = read_record(env);
            const std::string head = default_head(*before, st.get(), "");
            const uint8_t ci = before->find(head.c_str());
            if (ci != kNoSlot && before->slots[ci].kind == ImageKind::linux_efi) {
                options = before->slots[ci].options;
            } else {
                std::string cmdline;
                (void)read_file(env.cmdline_file, cmdline);
                options = reusable_cmdline(cmdline);
                note(env, "the default slot is not a Linux kernel: the running kernel's command line is used");
            }
        }
        new_text = with_stanza(text, slot_stanza(name, "linux", files.image, files.initrds, options, 0, false));
        if (!check_config_text(new_text, problems))
            return fail(env, Exit::config, "wdboot.conf would not parse with slot \"" + name +
                                               "\"; nothing changed:\n" + problems);
    }
    if ((e = check_space(env, esp, files.copies)) != Exit::ok) return e;

    std::vector<std::string> created;
    if (!copy_to_esp(env, esp, files.copies, false, created, err))
        return fail(env, Exit::install, err + (refresh ? "" : "; wdboot.conf not changed"));
    if (refresh) {
        if (env.json) *env.out << nlohmann::json{{"slot", name}, {"version", o.version}, {"result", "refreshed"}}.dump(2) << "\n";
        else *env.out << "kernel " << o.version << ": files of slot \"" << name << "\" refreshed\n";
        return Exit::ok;
    }
    if (!write_to_esp(env, conf_path, new_text, err)) {
        remove_created(created);
        return fail(env, Exit::install, err + "; wdboot.conf not changed");
    }
    forget_slot_in_record(env, name);
    // A plain kernel with options or initrds is refused by the loader under Secure Boot
    // and secure-boot-policy strict: said, never a failure (a failing postinst hook
    // breaks apt, and the slot is harmless: the next one boots).
    warn_if_slot_refused(env, esp, new_text, name, planned_image_files(esp, {}));
    KernelSlot entry{o.version, name, env.now(), false, {}};
    managed.push_back(entry);
    (void)save_managed(env, managed);
    note(env, "slot \"" + name + "\" added to " + conf_path);

    // What the slot becomes. A record that cannot be written leaves the slot in place.
    Exit result = Exit::ok;
    std::string what = "slot";
    if (env.config.new_kernel == NewKernel::trial) {
        HookTrial t;
        result = request_hook_trial(env, name, o.tries, t, err);
        if (result == Exit::ok) {
            find_by_slot(managed, name)->trial = true;
            find_by_slot(managed, name)->request = t;
            (void)save_managed(env, managed);
            what = "trial";
            note(env, "slot \"" + name + "\" will be tried on the next boot (" + std::to_string(t.tries) +
                          (t.tries == 1 ? " try" : " tries") + "); blessed, it becomes the default" +
                          (env.config.promote_on_bless ? "" : " only with wdbootctl set-default (promote-on-bless no)"));
        } else {
            *env.err << "wdbootctl: the slot is added, but its trial could not be requested: " << err
                     << " (wdbootctl try " << name << " asks again)\n";
        }
    } else if (env.config.new_kernel == NewKernel::make_default) {
        std::string previous;
        if (promote_slot(env, conf_path, name, err, previous)) {
            what = "default";
            note(env, "slot \"" + name + "\" is the default" + (previous.empty() ? "" : "; \"" + previous + "\" is next"));
        } else {
            result = Exit::io_error;
            *env.err << "wdbootctl: the slot is added, but it is not the default: " << err << "\n";
        }
    }
    std::vector<std::string> pruned = prune(env, esp, conf_path, managed, name);
    refresh_boot_loader_entries(env);
    if (env.json)
        *env.out << nlohmann::json{{"slot", name}, {"version", o.version}, {"result", "added"}, {"as", what},
                                   {"pruned", pruned}}.dump(2)
                 << "\n";
    else *env.out << "kernel " << o.version << ": slot \"" << name << "\" added (" << what << ")\n";
    return result;
}

Exit cmd_kernel_remove(AgentEnv& env, const std::string& version) {
    if (!env.is_root) return fail(env, Exit::not_root, "kernel-remove changes the ESP: run it as root");
    std::string why;
    if (!is_valid_kernel_version(version, why)) return fail(env, Exit::usage, why);
    CommandLock lock(env);
    Exit e = lock.take();
    if (e != Exit::ok) return e;
    std::string esp, conf_path, text, err, problems;
    if ((e = open_esp(env, esp, conf_path, text)) != Exit::ok) return e;
    std::vector<KernelSlot> managed;
    if ((e = load_managed(env, managed)) != Exit::ok) return e;
    std::unique_ptr<Config> cfg;
    (void)check_config_text(text, problems, &cfg);
    KernelSlot* k = find_by_version(managed, version);
    if (k == nullptr) {
        const auto refs = referenced_files(*cfg);
        auto it = refs.find(esp_key(esp_kernel_dir(version) + "\\vmlinuz"));
        if (it != refs.end()) {
            note(env, "slot \"" + it->second + "\" boots kernel " + version +
                          " but was not added by kernel-add: left alone (wdbootctl remove-slot " + it->second +
                          " removes it)");
        } else {
            note(env, "no slot for kernel " + version + ": nothing to remove");
        }
        return Exit::ok;
    }
    const std::string name = k->slot;
    if (name == booted_slot(env))
        return fail(env, Exit::refused, "slot \"" + name + "\" is the booted kernel (" + version +
                                            "): it stays until another kernel is booted; then run wdbootctl "
                                            "kernel-remove " + version + " again (or keep prunes it)");
    if (cfg->find(name.c_str()) != kNoSlot) {
        std::unique_ptr<BootState> st = read_record(env);
        if (st != nullptr && record_slot_name(st.get(), st->trial_slot) == name)
            note(env, "the pending trial of slot \"" + name + "\" is cancelled");
        if (default_head(*cfg, st.get(), "") == name)
            note(env, "slot \"" + name + "\" was the default: \"" + default_head(*cfg, st.get(), name) +
                          "\" is first now");
        if (!remove_kernel_slot(env, esp, conf_path, text, name, version, err))
            return fail(env, Exit::config, err + "; nothing changed");
    } else {
        remove_unreferenced_slot_files(env, esp, version, *cfg);
    }
    managed.erase(managed.begin() + (k - managed.data()));
    (void)save_managed(env, managed);
    refresh_boot_loader_entries(env);
    if (env.json) *env.out << nlohmann::json{{"slot", name}, {"version", version}, {"result", "removed"}}.dump(2) << "\n";
    else *env.out << "kernel " << version << ": slot \"" << name << "\" removed\n";
    return Exit::ok;
}

void adopt_install_slots(AgentEnv& env, const std::vector<std::pair<std::string, std::string>>& slots) {
    CommandLock lock(env);
    if (lock.take() != Exit::ok) {
        *env.err << "wdbootctl: warning: the kernel hooks do not manage install's slots: the state lock is busy\n";
        return;
    }
    std::vector<KernelSlot> managed;
    for (const auto& [slot, version] : slots) managed.push_back({version, slot, env.now(), false, {}});
    if (save_managed(env, managed))
        for (const auto& k : managed)
            note(env, "slot \"" + k.slot + "\" (kernel " + k.version + ") is managed by the kernel hooks: "
                      "removing that kernel removes it, keep counts it");
}

std::vector<std::string> promote_after_blessing(AgentEnv& env, const CurrentBoot& cur, const BootState& before) {
    std::vector<std::string> notes;
    std::vector<KernelSlot> managed;
    std::vector<std::string> warnings;
    std::string err;
    if (!load_kernel_slots(env.kernel_state, managed, warnings, err)) {
        *env.err << "wdbootctl: warning: kernel slots: " << err << "\n";
        return notes;
    }
    KernelSlot* k = find_by_slot(managed, cur.slot);
    if (k == nullptr || !k->trial) return notes;  // not a trial kernel-add asked for

    // Was this boot that trial? The loader says trial=1 in WdbootCurrent; an older
    // loader does not, and then the record before the blessing tells.
    const uint8_t ri = before.find_slot(cur.slot.c_str());
    auto word = cur.other.find("trial");
    const bool was_trial = word != cur.other.end() ? word->second == "1" : (ri != kNoSlot && before.trial_slot == ri);
    // ... and the newest trial request on record still kernel-add's own? A later
    // `wdbootctl try` or any other one-shot request wrote a newer one.
    bool ours = false;
    for (size_t i = 0; i < before.journal_count; ++i) {
        const JournalEntry& j = before.journal_newest(i);
        if (j.event != Event::trial_requested) continue;
        ours = j.slot == ri && j.boot_id == k->request.boot_id && j.time == k->request.time &&
               j.detail == k->request.tries;
        break;
    }

    CommandLock lock(env);
    if (lock.take() != Exit::ok) {
        *env.err << "wdbootctl: warning: slot \"" << cur.slot << "\" is not promoted: the state lock is busy\n";
        return notes;
    }
    // Reloaded under the lock: another agent may have changed it.
    if (!load_kernel_slots(env.kernel_state, managed, warnings, err) || (k = find_by_slot(managed, cur.slot)) == nullptr)
        return notes;
    k->trial = false;
    if (!save_managed(env, managed)) return notes;
    if (!was_trial || !ours) {
        notes.push_back("slot \"" + cur.slot + "\" is not promoted: this boot was not the trial kernel-add asked for");
        note(env, notes.back());
        return notes;
    }
    if (!env.config.promote_on_bless) {
        notes.push_back("slot \"" + cur.slot + "\" stays a plain slot (promote-on-bless no; wdbootctl set-default " +
                        cur.slot + " makes it the default)");
        note(env, notes.back());
        return notes;
    }
    std::string esp = find_esp(env);
    const std::string conf_path = esp_file(esp, env.config.config_path);
    std::string previous;
    if (esp.empty() || !promote_slot(env, conf_path, cur.slot, err, previous)) {
        *env.err << "wdbootctl: warning: slot \"" << cur.slot << "\" is blessed but not promoted: "
                 << (esp.empty() ? "no ESP found" : err) << " (wdbootctl set-default " << cur.slot << ")\n";
        return notes;
    }
    notes.push_back("slot \"" + cur.slot + "\" is the default now" +
                    (previous.empty() ? "" : "; \"" + previous + "\" is next"));
    note(env, notes.back());
    for (const auto& n : prune(env, esp, conf_path, managed, cur.slot)) notes.push_back(n);
    return notes;
}

}  // namespace wdboot::agent
