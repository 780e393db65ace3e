#include "boot_entry_heal.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <sstream>

#include "boot_entry.hpp"
#include "esp_files.hpp"

namespace wdboot::agent {
namespace {

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// Whether an entry's device path (as efibootmgr prints it) boots our loader: its File()
// node names \EFI\wdboot\wdbootx64.efi and, when the loader told us its partition, its
// HD() node names that partition. An entry printed without a path cannot be judged and
// counts as right: re-creating it on a guess would churn NVRAM at every boot.
bool points_at_loader(const BootEntry& e, const std::string& part_uuid, std::string& why) {
    if (e.path.empty()) return true;
    const std::string path = esp_key(e.path);
    if (path.find(esp_key(kEspLoader)) == std::string::npos) {
        why = "it boots " + e.path + ", not " + kEspLoader;
        return false;
    }
    if (!part_uuid.empty() && path.find("gpt,") != std::string::npos &&
        path.find(lower(part_uuid)) == std::string::npos) {
        why = "it names another partition than the ESP wdboot booted from (" + part_uuid + ")";
        return false;
    }
    return true;
}

// The efibootmgr listing without the "run: efibootmgr" line install prints: this read
// happens at every blessing.
bool list_entries(AgentEnv& env, BootManagerState& st, std::string& why) {
    CommandResult r = env.runner->run({"efibootmgr"});
    if (r.exit_code != 0) {
        why = "efibootmgr failed (" + std::to_string(r.exit_code) + "): " + r.output;
        return false;
    }
    st = parse_efibootmgr(r.output);
    return true;
}

std::string now_text(const AgentEnv& env) { return std::to_string(env.now()); }

void check_entry(AgentEnv& env, AgentEnv& quiet, std::ostringstream& sink, const std::string& esp, InstallState& state,
                 HealReport& rep) {
    if (!state.bootnum) {
        rep.notes.push_back("boot entry: install.state names no Boot#### (installed with --no-boot-entry?): not checked");
        return;
    }
    const std::string num = *state.bootnum;
    BootManagerState bm;
    std::string why;
    if (!list_entries(env, bm, why)) {
        rep.problems.push_back("boot entry not checked: " + why);
        return;
    }
    const auto it = std::find_if(bm.entries.begin(), bm.entries.end(), [&](const BootEntry& b) { return b.num == num; });
    std::string wrong;
    if (it == bm.entries.end()) wrong = "Boot" + num + " is gone (firmware update or CMOS reset?)";
    else if (!points_at_loader(*it, read_loader_string(env, "LoaderDevicePartUUID"), why))
        wrong = "Boot" + num + " no longer boots wdboot: " + why;
    if (!wrong.empty()) {
        InstalledEntry made;
        const std::string label = state.label.value_or("wdboot");
        sink.str("");
        // The load options install gave it (secure-boot-policy=permissive): without
        // them a Secure Boot machine would come back strict and refuse its kernels.
        if (install_boot_entry(quiet, esp, {"", "", label, false, state.load_options.value_or("")}, made) !=
            Exit::ok) {
            rep.problems.push_back(wrong + "; re-creating it failed: " + captured_message(sink));
            return;
        }
        // install_boot_entry rewrote install.state (bootnum, disk, part): start from it.
        const InstallState kept = state;
        state = read_install_state(made.state_path);
        state.removable = kept.removable;
        const std::string action = wrong + ": re-created as Boot" + made.num + " \"" + label + "\", first in BootOrder (" +
                                   boot_order_text(made.order) + ")";
        rep.actions.push_back(action);
        state.repaired = now_text(env) + " " + action;
        return;
    }
    if (!bm.order.empty() && bm.order.front() == num) return;
    std::vector<std::string> order{num};
    for (const auto& o : bm.order)
        if (o != num) order.push_back(o);
    const std::string text = boot_order_text(order);
    CommandResult r = env.runner->run({"efibootmgr", "--bootorder", text});
    const std::string was = bm.order.empty() ? "BootOrder was empty" : "BootOrder started with Boot" + bm.order.front();
    if (r.exit_code != 0) {
        rep.problems.push_back(was + "; efibootmgr --bootorder " + text + " failed (" + std::to_string(r.exit_code) +
                               "): " + r.output);
        return;
    }
    const std::string action = was + ": Boot" + num + " moved first (" + text + ")";
    rep.actions.push_back(action);
    state.repaired = now_text(env) + " " + action;
}

// The removable path copy. "Ours" is decided by content, never by a name inside the
// file: a BOOTX64.EFI is ours when it is byte for byte the loader, or when it is the
// file the agent last wrote there (install.state's `removable=` fingerprint). Anything
// else (Debian's shim, GRUB, another OS's loader, a wdboot copy made by hand) is left
// alone unless removable-path = force.
void check_removable(AgentEnv& env, AgentEnv& quiet, std::ostringstream& sink, const std::string& esp,
                     InstallState& state, HealReport& rep) {
    if (env.config.removable_path == RemovablePath::no) return;
    const std::string loader_path = esp_file(esp, kEspLoader);
    const std::string target = esp_file(esp, kEspRemovableLoader);
    std::string loader, present;
    if (!read_file(loader_path, loader)) {
        rep.problems.push_back("removable path not refreshed: cannot read " + loader_path);
        return;
    }
    const bool exists = access(target.c_str(), F_OK) == 0;
    if (exists && !read_file(target, present)) {
        rep.problems.push_back("removable path not refreshed: cannot read " + target);
        return;
    }
    const std::string mine = content_fingerprint(loader);
    if (exists && present == loader) {
        state.removable = mine;  // ours now, whoever put it there
        return;
    }
    const bool ours = !exists || (state.removable && *state.removable == content_fingerprint(present));
    if (!ours && env.config.removable_path != RemovablePath::force) {
        rep.problems.push_back(target + " is not wdboot's (another boot loader, e.g. shim or GRUB, or a copy " +
                               "wdbootctl did not write): left alone; removable-path = force replaces it");
        return;
    }
    sink.str("");
    std::vector<std::string> created;
    std::string err;
    if (!copy_to_esp(quiet, esp, {{loader_path, kEspRemovableLoader}}, false, created, err)) {
        rep.problems.push_back("removable path not refreshed: " + err);
        return;
    }
    state.removable = mine;
    const std::string action = std::string(exists ? (ours ? "refreshed " : "replaced another boot loader's ")
                                                  : "wrote ") + target + " (a copy of " + kEspLoader + ")";
    rep.actions.push_back(action);
    state.repaired = now_text(env) + " " + action;
}

}  // namespace

std::string read_loader_string(AgentEnv& env, const std::string& name) {
    uint32_t attrs = 0;
    std::vector<uint8_t> data;
    if (env.efivars->read(name, attrs, data, kLoaderInterfaceGuid) != Status::ok) return "";
    std::string s;
    for (size_t i = 0; i + 1 < data.size(); i += 2) {
        const unsigned c = data[i] | (data[i + 1] << 8);
        if (c == 0) break;
        s.push_back(c < 0x80 ? static_cast<char>(c) : '?');
    }
    return s;
}

bool is_removable_path(const std::string& esp_path) {
    std::string k = esp_key(esp_path);
    if (!k.empty() && k[0] != '\\') k.insert(k.begin(), '\\');
    return k == esp_key(kEspRemovableLoader);
}

std::string content_fingerprint(const std::string& content) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : content) {
        h ^= c;
        h *= 1099511628211ull;
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "fnv1a64:%016llx:%zu", static_cast<unsigned long long>(h), content.size());
    return buf;
}

HealReport heal_boot_entry(AgentEnv& env) {
    HealReport rep;
    // install_boot_entry and copy_to_esp report through note() and fail(): keep their
    // words out of a --json stdout and collect the failures as warnings.
    std::ostringstream sink;
    AgentEnv quiet = capturing_errors(env, sink);
    quiet.out = env.json ? env.err : env.out;
    const std::string image = read_loader_string(env, "LoaderImageIdentifier");
    if (!image.empty() && is_removable_path(image)) {
        rep.via_removable_path = true;
        rep.notes.push_back("boot entry: this boot came through the removable media path " + image +
                            ", not through wdboot's Boot####: the firmware lost or skipped the entry");
    }
    const std::string esp = find_esp(env);
    if (esp.empty()) {
        rep.problems.push_back("boot entry not checked: no ESP found (set esp= in agent.conf)");
    } else {
        const std::string state_path = esp_file(esp, kEspInstallState);
        InstallState state = read_install_state(state_path);
        check_entry(env, quiet, sink, esp, state, rep);
        check_removable(env, quiet, sink, esp, state, rep);
        const std::string text = install_state_text(state);
        std::string err;
        if (text != install_state_text(read_install_state(state_path))) {
            sink.str("");
            if (!write_to_esp(quiet, state_path, text, err))
                rep.problems.push_back("the repair was made but not recorded in " + state_path + ": " + err);
        }
    }
    for (const auto& n : rep.notes) note(env, n);
    for (const auto& a : rep.actions) note(env, "boot entry repaired: " + a);
    for (const auto& p : rep.problems) *env.err << "wdbootctl: warning: " << p << " (the boot stays blessed)\n";
    return rep;
}

}  // namespace wdboot::agent
