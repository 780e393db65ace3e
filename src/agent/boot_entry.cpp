#include "boot_entry.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <sstream>

#include "esp_files.hpp"

namespace fs = std::filesystem;

namespace wdboot::agent {
namespace {

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

// The current entries and BootOrder, through `efibootmgr` without arguments.
Exit read_boot_manager(AgentEnv& env, BootManagerState& st) {
    std::string out;
    Exit e = run_efibootmgr(env, {}, false, out);
    if (e == Exit::ok) st = parse_efibootmgr(out);
    return e;
}

bool has_entry(const BootManagerState& st, const std::string& num) {
    return std::any_of(st.entries.begin(), st.entries.end(), [&](const BootEntry& b) { return b.num == num; });
}

}  // namespace

std::string boot_order_text(const std::vector<std::string>& order) {
    std::string s;
    for (const auto& x : order) s += (s.empty() ? "" : ",") + x;
    return s;
}

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
            if (end != std::string::npos) e.path = line.substr(end + 1);
            // efibootmgr 17 prints the device path after the label, separated by a tab
            // or, with -v, by spaces; labels never contain a tab.
            while (!e.label.empty() && std::isspace(static_cast<unsigned char>(e.label.back()))) e.label.pop_back();
            st.entries.push_back(e);
        }
    }
    return st;
}

InstallState read_install_state(const std::string& path) {
    InstallState st;
    std::string text;
    if (!read_file(path, text)) return st;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        size_t eq = line.find('=');
        if (eq == std::string::npos || line[0] == '#') continue;
        const std::string key = line.substr(0, eq);
        const std::string value = line.substr(eq + 1);
        if (key == "bootnum") st.bootnum = value;
        else if (key == "bootorder") st.bootorder = value;
        else if (key == "label") st.label = value;
        else if (key == "disk") st.disk = value;
        else if (key == "part") st.part = value;
        else if (key == "repaired") st.repaired = value;
        else if (key == "removable") st.removable = value;
        else if (key == "load_options") st.load_options = value;
    }
    return st;
}

std::string install_state_text(const InstallState& st) {
    std::string s = "# written by wdbootctl install and mark-good; read by wdbootctl uninstall\n";
    auto put = [&](const char* key, const std::optional<std::string>& v) {
        if (v) s += std::string(key) + "=" + *v + "\n";
    };
    put("bootnum", st.bootnum);
    put("bootorder", st.bootorder);
    put("label", st.label);
    put("disk", st.disk);
    put("part", st.part);
    put("repaired", st.repaired);
    put("removable", st.removable);
    put("load_options", st.load_options);
    return s;
}

Exit install_boot_entry(AgentEnv& env, const std::string& esp, const BootEntryRequest& req, InstalledEntry& result) {
    // The BootOrder from before the first install is kept so that uninstall can restore
    // it; a reinstall must not replace it.
    std::string disk = req.disk, part = req.part, out;
    result.state_path = esp_file(esp, kEspInstallState);
    const InstallState saved = read_install_state(result.state_path);
    if ((disk.empty() || part.empty()) && !esp_disk_of(esp, disk, part)) {
        if (!saved.disk || !saved.part)
            return fail(env, Exit::install, "cannot tell the disk and partition of " + esp + ": pass --disk and --part");
        disk = *saved.disk;
        part = *saved.part;
    }
    BootManagerState before;
    Exit e = read_boot_manager(env, before);
    if (e != Exit::ok) return e;
    result.previous_order = saved.bootorder ? *saved.bootorder : boot_order_text(before.order);
    if (saved.bootnum && has_entry(before, *saved.bootnum)) {
        if ((e = run_efibootmgr(env, {"--bootnum", *saved.bootnum, "--delete-bootnum"}, req.dry_run, out)) != Exit::ok)
            return e;
        // efibootmgr reuses the lowest free number, so the new entry may get the old
        // one: compare against the list as it is after the deletion.
        if (!req.dry_run && (e = read_boot_manager(env, before)) != Exit::ok) return e;
    }
    std::vector<std::string> create{"--create", "--disk", disk, "--part", part, "--label", req.label, "--loader", kEspLoader};
    // One argument: efibootmgr writes it as UCS-2, the way the loader reads its options.
    if (!req.load_options.empty()) create.insert(create.end(), {"--unicode", req.load_options});
    e = run_efibootmgr(env, create, req.dry_run, out);
    if (e != Exit::ok || req.dry_run) return e;
    BootManagerState after;
    if ((e = read_boot_manager(env, after)) != Exit::ok) return e;
    for (const auto& b : after.entries)
        if (!has_entry(before, b.num) && b.label == req.label) result.num = b.num;
    if (result.num.empty()) return fail(env, Exit::install, "efibootmgr --create did not add a \"" + req.label + "\" entry");
    result.order = {result.num};
    for (const auto& o : after.order)
        if (o != result.num) result.order.push_back(o);
    if ((e = run_efibootmgr(env, {"--bootorder", boot_order_text(result.order)}, false, out)) != Exit::ok) return e;
    std::string err;
    InstallState next = saved;
    next.bootnum = result.num;
    next.bootorder = result.previous_order;
    next.label = req.label;
    next.disk = disk;
    next.part = part;
    next.load_options = req.load_options.empty() ? std::nullopt : std::optional<std::string>(req.load_options);
    if (!write_to_esp(env, result.state_path, install_state_text(next), err))
        return fail(env, Exit::install, err);
    return Exit::ok;
}

Exit remove_boot_entry(AgentEnv& env, const std::string& esp, bool dry_run, RemovedEntry& result) {
    const std::string state_path = esp_file(esp, kEspInstallState);
    const InstallState saved = read_install_state(state_path);
    if (!saved.bootnum) return fail(env, Exit::install, "no " + state_path + ": nothing recorded to uninstall");
    BootManagerState now;
    Exit e = read_boot_manager(env, now);
    if (e != Exit::ok) return e;
    result.num = *saved.bootnum;
    std::string out;
    if (has_entry(now, result.num) &&
        (e = run_efibootmgr(env, {"--bootnum", result.num, "--delete-bootnum"}, dry_run, out)) != Exit::ok)
        return e;
    // Entries deleted since the install cannot go back into BootOrder.
    std::istringstream prev(saved.bootorder.value_or(""));
    std::string item;
    while (std::getline(prev, item, ','))
        if (!item.empty() && item != result.num && has_entry(now, item)) result.order.push_back(item);
    if (result.order.empty()) return run_efibootmgr(env, {"--delete-bootorder"}, dry_run, out);
    return run_efibootmgr(env, {"--bootorder", boot_order_text(result.order)}, dry_run, out);
}

}  // namespace wdboot::agent
