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

// Writes through a temporary file and rename(), so a crash never leaves a half config
// for the loader (rename is atomic on vfat as far as the directory entry goes).
bool write_file_atomic(const std::string& path, const std::string& text, std::string& err) {
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) {
            err = "cannot create " + tmp + ": " + strerror(errno);
            return false;
        }
        out << text;
        out.flush();
        if (!out) {
            err = "cannot write " + tmp;
            return false;
        }
    }
    if (rename(tmp.c_str(), path.c_str()) != 0) {
        err = "cannot rename " + tmp + ": " + strerror(errno);
        return false;
    }
    return true;
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
    fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
    if (ec) {
        err = "cannot copy " + from + " to " + to + ": " + ec.message();
        return false;
    }
    return true;
}

// Checks a whole config text with the loader's own parser before it goes to the ESP.
bool validate_config_text(const std::string& text, std::string& problems) {
    auto cfg = std::make_unique<Config>();
    config_defaults(*cfg);
    Status a = parse_config(text.data(), text.size(), *cfg);
    Status b = finish_config(*cfg);
    for (uint8_t i = 0; i < cfg->diagnostics.count; ++i) {
        const Diagnostic& d = cfg->diagnostics.items[i];
        if (d.severity == Severity::error)
            problems += "line " + std::to_string(d.line) + ": " + d.message + "\n";
    }
    return a == Status::ok && b == Status::ok && cfg->diagnostics.errors == 0;
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
    if (!copy_to_esp(env, env.loader_image, esp_file(esp, kEspLoader), opts.dry_run, err)) return fail(env, Exit::install, err);

    // The starter config: the running kernel first, the previous version as fallback.
    const std::string conf_path = esp_file(esp, env.config.config_path);
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
        std::string text = "# wdboot.conf written by wdbootctl install; syntax in wdboot.conf(5)\n"
                           "timeout " + std::to_string(opts.timeout_s) + "\n"
                           "tries 3\nwatchdog auto\non-exhausted last-good\n";
        std::vector<std::pair<std::string, std::string>> slots{{"primary", env.kernel_release}};
        if (!previous.empty()) slots.push_back({"fallback", previous});
        else note(env, "only one kernel in " + env.boot_dir + ": no fallback slot (add one later with add-slot)");
        for (const auto& [name, version] : slots) {
            const std::string dir = esp_kernel_dir(version);
            if (!copy_to_esp(env, env.boot_dir + "/vmlinuz-" + version, esp_file(esp, dir + "\\vmlinuz"), opts.dry_run, err))
                return fail(env, Exit::install, err);
            std::vector<std::string> initrds;
            const std::string initrd = env.boot_dir + "/initrd.img-" + version;
            if (access(initrd.c_str(), R_OK) == 0) {
                if (!copy_to_esp(env, initrd, esp_file(esp, dir + "\\initrd.img"), opts.dry_run, err))
                    return fail(env, Exit::install, err);
                initrds.push_back(dir + "\\initrd.img");
            }
            text += "\n" + slot_stanza(name, "linux", dir + "\\vmlinuz", initrds, options, 0, false);
        }
        std::string problems;
        if (!validate_config_text(text, problems))
            return fail(env, Exit::config, "the generated wdboot.conf does not parse:\n" + problems);
        note(env, (opts.dry_run ? "would write " : "write ") + conf_path + ":\n" + text);
        if (!opts.dry_run && !write_file_atomic(conf_path, text, err)) return fail(env, Exit::install, err);
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
    if (!write_file_atomic(state_path, state_text, err)) return fail(env, Exit::install, err);
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

Exit cmd_add_slot(AgentEnv& env, const SlotSpec& spec, const std::string& esp_arg) {
    if (!env.is_root) return fail(env, Exit::not_root, "add-slot changes the ESP: run it as root");
    if (!is_valid_slot_name(spec.name.c_str()))
        return fail(env, Exit::usage, "invalid slot name \"" + spec.name + "\" (1..15 of A-Z a-z 0-9 . _ -)");
    int images = !spec.kernel.empty() + !spec.linux_path.empty() + !spec.efi_path.empty() + !spec.boot_entry.empty();
    if (images != 1) return fail(env, Exit::usage, "give exactly one of --kernel, --linux, --efi, --bootentry");
    const std::string esp = esp_arg.empty() ? find_esp(env) : esp_arg;
    if (esp.empty()) return fail(env, Exit::install, "no ESP found: pass --esp PATH");
    const std::string conf_path = esp_file(esp, env.config.config_path);
    std::string text;
    if (!read_file(conf_path, text)) return fail(env, Exit::config, "cannot read " + conf_path + " (run wdbootctl install first)");
    std::string unused;
    if (remove_stanza(text, spec.name, unused)) return fail(env, Exit::usage, "slot \"" + spec.name + "\" already exists");

    std::string err, key, image;
    const std::string dir = std::string(kEspKernels) + "\\" + spec.name;
    if (!spec.kernel.empty()) {
        key = "linux";
        image = dir + "\\vmlinuz";
        if (!copy_to_esp(env, spec.kernel, esp_file(esp, image), false, err)) return fail(env, Exit::install, err);
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
        if (!copy_to_esp(env, spec.initrds[i], esp_file(esp, dst), false, err)) return fail(env, Exit::install, err);
        initrds.push_back(dst);
    }
    std::string options = spec.options;
    if (spec.same_options) {
        std::string cmdline;
        (void)read_file(env.cmdline_file, cmdline);
        options = reusable_cmdline(cmdline);
    }
    if (!text.empty() && text.back() != '\n') text += "\n";
    text += "\n" + slot_stanza(spec.name, key, image, initrds, options, spec.tries, spec.rescue);
    std::string problems;
    if (!validate_config_text(text, problems))
        return fail(env, Exit::config, "wdboot.conf would not parse with this slot; nothing changed:\n" + problems);
    if (!write_file_atomic(conf_path, text, err)) return fail(env, Exit::install, err);
    *env.out << "slot \"" << spec.name << "\" added to " << conf_path << "\n";
    return Exit::ok;
}

Exit cmd_remove_slot(AgentEnv& env, const std::string& name, const std::string& esp_arg) {
    if (!env.is_root) return fail(env, Exit::not_root, "remove-slot changes the ESP: run it as root");
    const std::string esp = esp_arg.empty() ? find_esp(env) : esp_arg;
    if (esp.empty()) return fail(env, Exit::install, "no ESP found: pass --esp PATH");
    const std::string conf_path = esp_file(esp, env.config.config_path);
    std::string text, rest, err;
    if (!read_file(conf_path, text)) return fail(env, Exit::config, "cannot read " + conf_path);
    if (!remove_stanza(text, name, rest)) return fail(env, Exit::usage, "no slot \"" + name + "\" in " + conf_path);
    std::string problems;
    if (!validate_config_text(rest, problems))
        return fail(env, Exit::config, "wdboot.conf would not be usable without \"" + name + "\"; nothing changed:\n" + problems);
    if (!write_file_atomic(conf_path, rest, err)) return fail(env, Exit::install, err);
    std::error_code ec;
    fs::remove_all(esp_file(esp, std::string(kEspKernels) + "\\" + name), ec);
    *env.out << "slot \"" << name << "\" removed from " << conf_path << "\n";
    return Exit::ok;
}

}  // namespace wdboot::agent
