#include "esp_install.hpp"

#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "wdboot/config.hpp"
#include "wdboot/pe_image.hpp"
#include "wdboot/watchdog_drivers.hpp"
#include "wdboot/slot_policy.hpp"

namespace fs = std::filesystem;

namespace wdboot::agent {
namespace {

bool read_file(const std::string& path, std::string& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    std::stringstream ss;
    ss << in.rdbuf();
    out = ss.str();
    return true;
}

FileSync& file_sync(AgentEnv& env) { return env.file_sync != nullptr ? *env.file_sync : system_file_sync(); }

bool write_to_esp(AgentEnv& env, const std::string& path, const std::string& text, std::string& err) {
    return write_file_atomic(file_sync(env), path, text, err);
}

bool copy_to_esp(AgentEnv& env, const std::string& from, const std::string& to, bool dry_run, std::string& err) {
    note(env, (dry_run ? "would copy " : "copy ") + from + " -> " + to);
    if (dry_run) return true;
    std::error_code ec;
    fs::create_directories(fs::path(to).parent_path(), ec);
    if (ec) {
        err = "cannot create " + fs::path(to).parent_path().string() + ": " + ec.message();
        return false;
    }
    return copy_file_atomic(file_sync(env), from, to, err);
}

// A file to copy to the ESP: from a local path to an ESP path (\EFI\...).
struct Copy {
    std::string from;
    std::string to;
};

// Every copy's source is a readable regular file; otherwise why not.
bool sources_readable(const std::vector<Copy>& copies, std::string& err) {
    for (const auto& c : copies) {
        struct stat st {};
        if (stat(c.from.c_str(), &st) != 0 || access(c.from.c_str(), R_OK) != 0) {
            err = "cannot read " + c.from + ": " + strerror(errno);
            return false;
        }
        if (!S_ISREG(st.st_mode)) {
            err = "cannot copy " + c.from + ": not a regular file";
            return false;
        }
    }
    return true;
}

// Deletes files this command created (never one it replaced: that may be the loader).
void remove_created(const std::vector<std::string>& created) {
    std::error_code ec;
    for (const auto& f : created) fs::remove(f, ec);
}

// Copies in order. `created`: the destinations that did not exist before. On a failure
// those are removed again.
bool copy_all(AgentEnv& env, const std::string& esp, const std::vector<Copy>& copies, std::vector<std::string>& created,
              std::string& err) {
    created.clear();
    for (const auto& c : copies) {
        const std::string to = esp_file(esp, c.to);
        const bool existed = access(to.c_str(), F_OK) == 0;
        if (!copy_to_esp(env, c.from, to, false, err)) {
            remove_created(created);
            created.clear();
            return false;
        }
        if (!existed) created.push_back(to);
    }
    return true;
}

// FAT compares names without case: so do the reference counts.
std::string esp_key(const std::string& esp_path) {
    std::string k = esp_path;
    for (char& c : k) {
        if (c == '/') c = '\\';
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return k;
}

// ESP files the slots of `cfg` boot (images and initrds), by esp_key, with the slot
// that uses each.
std::map<std::string, std::string> referenced_files(const Config& cfg) {
    std::map<std::string, std::string> refs;
    for (uint8_t i = 0; i < cfg.slot_count; ++i) {
        const SlotConfig& s = cfg.slots[i];
        if (s.kind == ImageKind::linux_efi || s.kind == ImageKind::efi_app) refs.emplace(esp_key(s.path), s.name);
        for (uint8_t j = 0; j < s.initrd_count; ++j) refs.emplace(esp_key(s.initrds[j]), s.name);
    }
    return refs;
}

// Checks a whole config text with the loader's own parser before it goes to the ESP.
bool validate_config_text(const std::string& text, std::string& problems, std::unique_ptr<Config>* parsed = nullptr) {
    auto cfg = std::make_unique<Config>();
    config_defaults(*cfg);
    Status a = parse_config(text.data(), text.size(), *cfg);
    Status b = finish_config(*cfg);
    for (uint8_t i = 0; i < cfg->diagnostics.count; ++i) {
        const Diagnostic& d = cfg->diagnostics.items[i];
        if (d.severity == Severity::error)
            problems += "line " + std::to_string(d.line) + ": " + d.message + "\n";
    }
    const bool ok = a == Status::ok && b == Status::ok && cfg->diagnostics.errors == 0;
    if (parsed != nullptr) *parsed = std::move(cfg);
    return ok;
}

std::string esp_kernel_dir(const std::string& version) { return std::string(kEspKernels) + "\\" + version; }

// /dev/sdX and partition number of the block device holding `path`, from sysfs.
bool esp_disk_of(const std::string& path, std::string& disk, std::string& part) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) return false;
    const std::string sys = "/sys/dev/block/" + std::to_string(major(st.st_dev)) + ":" + std::to_string(minor(st.st_dev));
    std::string partition;
    if (!read_file(sys + "/partition", partition)) return false;
    std::error_code ec;
    fs::path real = fs::canonical(sys, ec);
    if (ec) return false;
    disk = "/dev/" + real.parent_path().filename().string();
    part = std::to_string(std::stoi(partition));
    return true;
}

Exit run_efibootmgr(AgentEnv& env, const std::vector<std::string>& args, bool dry_run, std::string& output) {
    std::vector<std::string> argv{"efibootmgr"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::string shown;
    for (const auto& a : argv) shown += (shown.empty() ? "" : " ") + (a.find(' ') != std::string::npos || a.find('\\') != std::string::npos ? "'" + a + "'" : a);
    note(env, (dry_run ? "would run: " : "run: ") + shown);
    if (dry_run) return Exit::ok;
    CommandResult r = env.runner->run(argv);
    output = r.output;
    if (r.exit_code != 0) return fail(env, Exit::install, shown + " failed (" + std::to_string(r.exit_code) + "): " + r.output);
    return Exit::ok;
}

std::string join(const std::vector<std::string>& v, const char* sep) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
    return s;
}

std::map<std::string, std::string> read_install_state(const std::string& path) {
    std::map<std::string, std::string> kv;
    std::string text;
    if (!read_file(path, text)) return kv;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        size_t eq = line.find('=');
        if (eq != std::string::npos && line[0] != '#') kv[line.substr(0, eq)] = line.substr(eq + 1);
    }
    return kv;
}

}  // namespace

BootManagerState parse_efibootmgr(const std::string& output) {
    BootManagerState st;
    std::istringstream in(output);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("BootOrder:", 0) == 0) {
            std::string v = line.substr(10);
            std::string cur;
            for (char c : v + ",") {
                if (c == ',') {
                    if (!cur.empty()) st.order.push_back(cur);
                    cur.clear();
                } else if (std::isxdigit(static_cast<unsigned char>(c))) {
                    cur.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
                }
            }
        } else if (line.size() >= 9 && line.rfind("Boot", 0) == 0 && std::all_of(line.begin() + 4, line.begin() + 8, [](char c) {
                       return std::isxdigit(static_cast<unsigned char>(c));
                   })) {
            BootEntry e;
            e.num = line.substr(4, 4);
            for (char& c : e.num) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            size_t p = 8;
            if (p < line.size() && line[p] == '*') {
                e.active = true;
                ++p;
            }
            while (p < line.size() && line[p] == ' ') ++p;
            size_t end = line.find('\t', p);
            e.label = line.substr(p, end == std::string::npos ? std::string::npos : end - p);
            // efibootmgr 17 prints the device path after the label, separated by a tab
            // or, with -v, by spaces; labels never contain a tab.
            while (!e.label.empty() && std::isspace(static_cast<unsigned char>(e.label.back()))) e.label.pop_back();
            st.entries.push_back(e);
        }
    }
    return st;
}

std::vector<std::string> list_kernel_versions(const std::string& boot_dir) {
    std::vector<std::string> versions;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(boot_dir, ec)) {
        const std::string n = e.path().filename().string();
        if (n.rfind("vmlinuz-", 0) == 0 && n.size() > 8 && e.is_regular_file(ec)) versions.push_back(n.substr(8));
    }
    std::sort(versions.begin(), versions.end(),
              [](const std::string& a, const std::string& b) { return strverscmp(a.c_str(), b.c_str()) > 0; });
    return versions;
}

std::string reusable_cmdline(const std::string& proc_cmdline) {
    std::istringstream in(proc_cmdline);
    std::string word, out;
    while (in >> word) {
        if (word.rfind("BOOT_IMAGE=", 0) == 0 || word.rfind("initrd=", 0) == 0 ||
            word == "modprobe.blacklist=i6300esb" || word.rfind("wdboot.", 0) == 0)
            continue;
        out += (out.empty() ? "" : " ") + word;
    }
    return out;
}

std::string slot_stanza(const std::string& name, const std::string& image_key, const std::string& image,
                        const std::vector<std::string>& initrds, const std::string& options, unsigned tries,
                        bool rescue) {
    std::string s = "slot " + name + "\n    " + image_key + " " + image + "\n";
    for (const auto& i : initrds) s += "    initrd " + i + "\n";
    if (!options.empty()) s += "    options " + options + "\n";
    if (tries != 0) s += "    tries " + std::to_string(tries) + "\n";
    if (rescue) s += "    rescue\n";
    return s;
}

bool remove_stanza(const std::string& text, const std::string& name, std::string& out) {
    std::istringstream in(text);
    std::string line;
    bool inside = false, found = false;
    out.clear();
    while (std::getline(in, line)) {
        std::istringstream words(line);
        std::string first, second;
        words >> first >> second;
        if (first == "slot") inside = second == name;
        if (inside) {
            found = true;
            continue;
        }
        out += line + "\n";
    }
    return found;
}

Exit cmd_install(AgentEnv& env, const InstallOptions& opts) {
    if (!opts.dry_run && !env.is_root) return fail(env, Exit::not_root, "install needs root");
    const std::string esp = opts.esp.empty() ? find_esp(env) : opts.esp;
    struct stat st {};
    if (esp.empty() || stat(esp.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        return fail(env, Exit::install, "no ESP found: mount it (e.g. at /boot/efi) or pass --esp PATH");
    if (env.loader_image.empty() || access(env.loader_image.c_str(), R_OK) != 0)
        return fail(env, Exit::install, "loader image " + env.loader_image + " not found (build with -DWDBOOT_EFI=ON)");
    std::string err;
    // The starter config: the running kernel first, the previous version as fallback.
    // It is built and checked before anything is copied.
    const std::string conf_path = esp_file(esp, env.config.config_path);
    std::vector<Copy> copies{{env.loader_image, kEspLoader}};
    std::string text;
    if (access(conf_path.c_str(), F_OK) == 0 && !opts.force_config) {
        note(env, "keeping the existing " + conf_path + " (--force-config replaces it)");
    } else {
        std::vector<std::string> versions = list_kernel_versions(env.boot_dir);
        if (std::find(versions.begin(), versions.end(), env.kernel_release) == versions.end())
            return fail(env, Exit::install, "the running kernel " + env.kernel_release + " has no vmlinuz in " + env.boot_dir);
        std::string previous;
        for (const auto& v : versions)
            if (strverscmp(v.c_str(), env.kernel_release.c_str()) < 0) {
                previous = v;
                break;
            }
        std::string cmdline;
        (void)read_file(env.cmdline_file, cmdline);
        const std::string options = reusable_cmdline(cmdline);
        text = "# wdboot.conf written by wdbootctl install; syntax in wdboot.conf(5)\n"
               "timeout " + std::to_string(opts.timeout_s) + "\n"
               "tries 3\nwatchdog auto\non-exhausted last-good\n";
        std::vector<std::pair<std::string, std::string>> slots{{"primary", env.kernel_release}};
        if (!previous.empty()) slots.push_back({"fallback", previous});
        else note(env, "only one kernel in " + env.boot_dir + ": no fallback slot (add one later with add-slot)");
        for (const auto& [name, version] : slots) {
            const std::string dir = esp_kernel_dir(version);
            copies.push_back({env.boot_dir + "/vmlinuz-" + version, dir + "\\vmlinuz"});
            std::vector<std::string> initrds;
            const std::string initrd = env.boot_dir + "/initrd.img-" + version;
            if (access(initrd.c_str(), R_OK) == 0) {
                copies.push_back({initrd, dir + "\\initrd.img"});
                initrds.push_back(dir + "\\initrd.img");
            }
            text += "\n" + slot_stanza(name, "linux", dir + "\\vmlinuz", initrds, options, 0, false);
        }
        std::string problems;
        if (!validate_config_text(text, problems))
            return fail(env, Exit::config, "the generated wdboot.conf does not parse; nothing changed:\n" + problems);
    }
    if (!sources_readable(copies, err)) return fail(env, Exit::install, err + "; nothing changed");
    if (opts.dry_run) {
        for (const auto& c : copies) (void)copy_to_esp(env, c.from, esp_file(esp, c.to), true, err);
    } else if (std::vector<std::string> created; !copy_all(env, esp, copies, created, err)) {
        return fail(env, Exit::install, err);
    }
    if (!text.empty()) {
        note(env, (opts.dry_run ? "would write " : "write ") + conf_path + ":\n" + text);
        if (!opts.dry_run && !write_to_esp(env, conf_path, text, err)) return fail(env, Exit::install, err);
    }
    if (opts.no_boot_entry) return Exit::ok;

    // The boot entry. The BootOrder from before the first install is kept so that
    // uninstall can restore it; a reinstall must not replace it.
    std::string disk = opts.disk, part = opts.part;
    if ((disk.empty() || part.empty()) && !esp_disk_of(esp, disk, part))
        return fail(env, Exit::install, "cannot tell the disk and partition of " + esp + ": pass --disk and --part");
    std::string out;
    Exit e = run_efibootmgr(env, {}, false, out);
    if (e != Exit::ok) return e;
    BootManagerState before = parse_efibootmgr(out);
    const std::string state_path = esp_file(esp, kEspInstallState);
    auto saved = read_install_state(state_path);
    std::string prev_order = saved.count("bootorder") ? saved["bootorder"] : join(before.order, ",");
    if (saved.count("bootnum") &&
        std::any_of(before.entries.begin(), before.entries.end(), [&](const BootEntry& b) { return b.num == saved["bootnum"]; })) {
        if ((e = run_efibootmgr(env, {"--bootnum", saved["bootnum"], "--delete-bootnum"}, opts.dry_run, out)) != Exit::ok)
            return e;
        // efibootmgr reuses the lowest free number, so the new entry may get the old
        // one: compare against the list as it is after the deletion.
        if (!opts.dry_run) {
            if ((e = run_efibootmgr(env, {}, false, out)) != Exit::ok) return e;
            before = parse_efibootmgr(out);
        }
    }
    e = run_efibootmgr(env, {"--create", "--disk", disk, "--part", part, "--label", opts.label, "--loader", kEspLoader},
                       opts.dry_run, out);
    if (e != Exit::ok || opts.dry_run) return e;
    if ((e = run_efibootmgr(env, {}, false, out)) != Exit::ok) return e;
    BootManagerState after = parse_efibootmgr(out);
    std::string num;
    for (const auto& b : after.entries) {
        bool old = std::any_of(before.entries.begin(), before.entries.end(), [&](const BootEntry& x) { return x.num == b.num; });
        if (!old && b.label == opts.label) num = b.num;
    }
    if (num.empty()) return fail(env, Exit::install, "efibootmgr --create did not add a \"" + opts.label + "\" entry");
    std::vector<std::string> order{num};
    for (const auto& o : after.order)
        if (o != num) order.push_back(o);
    if ((e = run_efibootmgr(env, {"--bootorder", join(order, ",")}, false, out)) != Exit::ok) return e;
    const std::string state_text = "# written by wdbootctl install; read by wdbootctl uninstall\nbootnum=" + num +
                                   "\nbootorder=" + prev_order + "\n";
    if (!write_to_esp(env, state_path, state_text, err)) return fail(env, Exit::install, err);
    if (env.json) {
        *env.out << nlohmann::json{{"esp", esp}, {"bootnum", num}, {"bootorder", order}, {"previous_bootorder", prev_order}}.dump(2) << "\n";
    } else {
        *env.out << "installed: Boot" << num << " \"" << opts.label << "\" first in BootOrder (" << join(order, ",")
                 << "); previous order " << (prev_order.empty() ? "(empty)" : prev_order) << " saved in " << state_path << "\n";
    }
    return Exit::ok;
}

Exit cmd_uninstall(AgentEnv& env, const std::string& esp_arg, bool purge, bool dry_run) {
    if (!dry_run && !env.is_root) return fail(env, Exit::not_root, "uninstall needs root");
    const std::string esp = esp_arg.empty() ? find_esp(env) : esp_arg;
    if (esp.empty()) return fail(env, Exit::install, "no ESP found: pass --esp PATH");
    const std::string state_path = esp_file(esp, kEspInstallState);
    auto saved = read_install_state(state_path);
    if (!saved.count("bootnum")) return fail(env, Exit::install, "no " + state_path + ": nothing recorded to uninstall");
    std::string out;
    Exit e = run_efibootmgr(env, {}, false, out);
    if (e != Exit::ok) return e;
    BootManagerState now = parse_efibootmgr(out);
    const std::string num = saved["bootnum"];
    auto exists = [&](const std::string& n) {
        return std::any_of(now.entries.begin(), now.entries.end(), [&](const BootEntry& b) { return b.num == n; });
    };
    if (exists(num) && (e = run_efibootmgr(env, {"--bootnum", num, "--delete-bootnum"}, dry_run, out)) != Exit::ok) return e;
    // Entries deleted since the install cannot go back into BootOrder.
    std::vector<std::string> order;
    std::istringstream prev(saved["bootorder"]);
    std::string item;
    while (std::getline(prev, item, ','))
        if (!item.empty() && item != num && exists(item)) order.push_back(item);
    if (order.empty()) e = run_efibootmgr(env, {"--delete-bootorder"}, dry_run, out);
    else e = run_efibootmgr(env, {"--bootorder", join(order, ",")}, dry_run, out);
    if (e != Exit::ok) return e;
    if (dry_run) return Exit::ok;
    std::error_code ec;
    if (purge) {
        fs::remove_all(esp_file(esp, kEspDir), ec);
        for (const char* v : kCopyNames) (void)env.efivars->remove(v);
        note(env, "removed " + esp_file(esp, kEspDir) + " and the state variables");
    } else {
        fs::remove(state_path, ec);
    }
    if (env.json) *env.out << nlohmann::json{{"removed_bootnum", num}, {"bootorder", order}, {"purged", purge}}.dump(2) << "\n";
    else *env.out << "uninstalled: Boot" << num << " removed, BootOrder " << (order.empty() ? "(deleted)" : join(order, ",")) << "\n";
    return Exit::ok;
}

namespace {
void forget_in_record(AgentEnv& env, const std::string& name);

// The SecureBoot global variable (UEFI 2.10 section 3.3): 1 when Secure Boot is enforced.
constexpr const char* kGlobalVariableGuid = "8be4df61-93ca-11d2-aa0d-00e098032b8c";
bool secure_boot_enabled(AgentEnv& env) {
    if (env.efivars == nullptr) return false;
    uint32_t attributes = 0;
    std::vector<uint8_t> data;
    return env.efivars->read("SecureBoot", attributes, data, kGlobalVariableGuid) == Status::ok && data.size() == 1 &&
           data[0] == 1;
}

// What the loader will give the image of an `efi` slot (compose_command_line), said
// before anything changes: the same core reads the same headers, from the file.
void describe_efi_image(AgentEnv& env, const std::string& file, const Config& cfg) {
    std::string bytes;
    if (!read_file(file, bytes)) {
        note(env, "note: cannot read " + file + " now; the loader decides what it is at boot");
        return;
    }
    PeImageInfo info{};
    PeError e = inspect_pe_image(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), PeLayout::file, info);
    if (e != PeError::ok) {
        note(env, "warning: " + file + ": " + to_string(e) + "; the loader takes it as an EFI application");
        return;
    }
    if (info.type == PeImageType::linux_kernel) {
        note(env, "note: " + file + " is a Linux kernel: it gets the options and the watchdog's arguments");
        return;
    }
    if (info.type == PeImageType::efi_application) {
        note(env, "note: " + file + " is not a kernel: it gets the options only. The OS it starts must not load "
                  "the watchdog's Linux driver before wdbootctl mark-good (docs/watchdogs.md)");
        return;
    }
    const std::string embedded(info.embedded_cmdline == nullptr ? "" : info.embedded_cmdline, info.embedded_length);
    note(env, "note: " + file + " is a unified kernel image: " +
                  (embedded.empty() ? std::string("it has no embedded command line; it gets")
                                    : "its embedded command line \"" + embedded + "\" is kept, then") +
                  " the options and the watchdog's arguments");
    if (embedded.empty() || !secure_boot_enabled(env)) return;
    // Under Secure Boot systemd-stub boots with the embedded command line alone.
    for (const WatchdogDriverFacts& f : kWatchdogDrivers) {
        bool may_arm = cfg.watchdog == WatchdogChoice::auto_detect ? f.picked_by_auto : f.choice == cfg.watchdog;
        if (!may_arm || command_line_has_words(embedded.data(), embedded.size(), f.kernel_args)) continue;
        note(env, std::string("warning: Secure Boot is on, so the stub ignores the options and uses only the "
                              "embedded command line, which lacks \"") +
                      f.kernel_args + "\": the " + f.name +
                      " driver may then stop the watchdog before the boot is blessed; build the UKI with it");
    }
}
}  // namespace

Exit cmd_add_slot(AgentEnv& env, const SlotSpec& spec, const std::string& esp_arg) {
    if (!spec.dry_run && !env.is_root) return fail(env, Exit::not_root, "add-slot changes the ESP: run it as root");
    if (!is_valid_slot_name(spec.name.c_str()))
        return fail(env, Exit::usage,
                    "invalid slot name \"" + spec.name + "\" (1..15 of A-Z a-z 0-9 . _ -, not starting with . or -)");
    int images = !spec.kernel.empty() + !spec.linux_path.empty() + !spec.efi_path.empty() + !spec.boot_entry.empty();
    if (images != 1) return fail(env, Exit::usage, "give exactly one of --kernel, --linux, --efi, --bootentry");
    const std::string esp = esp_arg.empty() ? find_esp(env) : esp_arg;
    if (esp.empty()) return fail(env, Exit::install, "no ESP found: pass --esp PATH");
    const std::string conf_path = esp_file(esp, env.config.config_path);
    std::string text;
    if (!read_file(conf_path, text)) return fail(env, Exit::config, "cannot read " + conf_path + " (run wdbootctl install first)");
    std::string unused;
    if (remove_stanza(text, spec.name, unused)) return fail(env, Exit::usage, "slot \"" + spec.name + "\" already exists");

    // First the whole plan (stanza, files to copy), checked; then the copies; then the
    // config. A refusal changes nothing on the ESP.
    std::string err, key, image;
    std::vector<Copy> copies;
    const std::string dir = std::string(kEspKernels) + "\\" + spec.name;
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
    if (!validate_config_text(text, problems, &before))
        return fail(env, Exit::config, conf_path + " does not parse as it is; nothing changed:\n" + problems);
    if (!text.empty() && text.back() != '\n') text += "\n";
    text += "\n" + stanza;
    if (!validate_config_text(text, problems))
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

    if (!spec.efi_path.empty()) describe_efi_image(env, esp_file(esp, spec.efi_path), *before);

    if (spec.dry_run) {
        for (const auto& c : copies) (void)copy_to_esp(env, c.from, esp_file(esp, c.to), true, err);
        *env.out << "would add to " << conf_path << ":\n" << stanza;
        return Exit::ok;
    }
    std::vector<std::string> created;
    if (!copy_all(env, esp, copies, created, err)) return fail(env, Exit::install, err + "; wdboot.conf not changed");
    if (!write_to_esp(env, conf_path, text, err)) {
        remove_created(created);
        return fail(env, Exit::install, err + "; wdboot.conf not changed");
    }
    forget_in_record(env, spec.name);
    *env.out << "slot \"" << spec.name << "\" added to " << conf_path << "\n";
    return Exit::ok;
}

namespace {

// After `name` left the config: deletes the files under \EFI\wdboot\kernels\NAME\ that
// no remaining slot boots, and the folders that end up empty. Nothing outside that
// folder, nothing another slot still uses, never the loader, wdboot.conf or
// install.state, never through a symbolic link.
void remove_unreferenced_slot_files(AgentEnv& env, const std::string& esp, const std::string& name, const Config& rest) {
    const std::string esp_dir = std::string(kEspKernels) + "\\" + name;
    const fs::path kernels = esp_file(esp, kEspKernels);
    const fs::path folder = esp_file(esp, esp_dir);
    std::error_code ec;
    fs::file_status st = fs::symlink_status(folder, ec);
    if (ec || !fs::exists(st)) return;
    if (!fs::is_directory(st)) {
        note(env, "left " + folder.string() + " alone: not a folder");
        return;
    }
    // The folder must really be kernels/NAME, not reached through a link further up.
    std::error_code ec1, ec2;
    const fs::path real = fs::canonical(folder, ec1);
    const fs::path real_kernels = fs::canonical(kernels, ec2);
    if (ec1 || ec2 || real != real_kernels / name) {
        note(env, "left " + folder.string() + " alone: it is not inside " + kernels.string());
        return;
    }
    auto keep = referenced_files(rest);
    for (const char* p : {kEspLoader, kEspInstallState}) keep.emplace(esp_key(p), "");
    keep.emplace(esp_key(env.config.config_path), "");

    std::vector<fs::path> dirs{folder};
    for (auto it = fs::recursive_directory_iterator(folder, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
        const fs::path p = it->path();
        fs::file_status s = it->symlink_status(ec);
        if (ec) break;
        if (fs::is_directory(s)) {
            dirs.push_back(p);
            continue;
        }
        if (!fs::is_regular_file(s)) continue;  // links and the like: left alone
        std::string rel = fs::relative(p, folder, ec).string();
        const std::string esp_path = esp_dir + "\\" + rel;
        auto ref = keep.find(esp_key(esp_path));
        if (ref != keep.end()) {
            note(env, "kept " + p.string() + (ref->second.empty() ? "" : " (used by slot \"" + ref->second + "\")"));
            continue;
        }
        std::error_code rm;
        if (fs::remove(p, rm)) note(env, "deleted " + p.string());
        else note(env, "could not delete " + p.string() + ": " + rm.message());
    }
    // Deepest first; a folder that still holds something stays.
    std::sort(dirs.begin(), dirs.end(), [](const fs::path& a, const fs::path& b) { return a.string().size() > b.string().size(); });
    for (const auto& d : dirs) {
        std::error_code rm;
        if (fs::is_empty(d, rm) && !rm) fs::remove(d, rm);
    }
}

// The record's entry of a slot that is no longer (or not yet) in wdboot.conf is
// forgotten, so that a name added again starts with fresh counters rather than the old
// slot's bad mark. Best effort: the config change is made either way, and a record that
// cannot be written is only reported (the entry is then released when its room is needed).
void forget_in_record(AgentEnv& env, const std::string& name) {
    if (env.efivars == nullptr || env.efivars->availability() == Availability::missing) return;
    std::ostringstream sink;
    AgentEnv quiet = env;
    quiet.json = false;
    quiet.err = &sink;
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

}  // namespace

Exit cmd_remove_slot(AgentEnv& env, const std::string& name, const std::string& esp_arg) {
    if (!env.is_root) return fail(env, Exit::not_root, "remove-slot changes the ESP: run it as root");
    // Also keeps a hand-written `slot ..` (which the loader ignores) from naming a folder.
    if (!is_valid_slot_name(name.c_str())) return fail(env, Exit::usage, "invalid slot name \"" + name + "\"");
    const std::string esp = esp_arg.empty() ? find_esp(env) : esp_arg;
    if (esp.empty()) return fail(env, Exit::install, "no ESP found: pass --esp PATH");
    const std::string conf_path = esp_file(esp, env.config.config_path);
    std::string text, rest, err;
    if (!read_file(conf_path, text)) return fail(env, Exit::config, "cannot read " + conf_path);
    if (!remove_stanza(text, name, rest)) return fail(env, Exit::usage, "no slot \"" + name + "\" in " + conf_path);
    std::string problems;
    std::unique_ptr<Config> remaining;
    if (!validate_config_text(rest, problems, &remaining))
        return fail(env, Exit::config, "wdboot.conf would not be usable without \"" + name + "\"; nothing changed:\n" + problems);
    if (!write_to_esp(env, conf_path, rest, err)) return fail(env, Exit::install, err);
    remove_unreferenced_slot_files(env, esp, name, *remaining);
    forget_in_record(env, name);
    *env.out << "slot \"" << name << "\" removed from " << conf_path << "\n";
    return Exit::ok;
}

}  // namespace wdboot::agent
