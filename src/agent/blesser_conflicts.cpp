#include "blesser_conflicts.hpp"

#include <cctype>
#include <filesystem>
#include <sstream>

#include "boot_entry_heal.hpp"
#include "esp_files.hpp"

namespace fs = std::filesystem;

namespace wdboot::agent {
namespace {

std::string under_root(const AgentEnv& env, const std::string& path) { return env.system_root + path; }

bool all_digits(const std::string& s) {
    if (s.empty()) return false;
    for (char c : s)
        if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    return true;
}

// A unit is enabled when a *.wants/ or *.requires/ directory of `dir` holds a link of
// its name, and not masked there (a link to /dev/null named like the unit).
bool unit_enabled(const std::string& dir, const std::string& unit, std::string& where) {
    std::error_code ec;
    const fs::path masked = fs::path(dir) / unit;
    if (fs::is_symlink(masked, ec) && fs::read_symlink(masked, ec) == "/dev/null") return false;
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
        const std::string name = it->path().filename().string();
        const bool deps = name.size() > 6 && (name.ends_with(".wants") || name.ends_with(".requires"));
        if (!deps) continue;
        std::error_code ec2;
        if (fs::exists(fs::symlink_status(it->path() / unit, ec2))) {
            where = (it->path() / unit).string();
            return true;
        }
    }
    return false;
}

// The system unit directories where `systemctl enable` puts links (/etc) and where
// packages ship them (/usr/lib, /lib on Debian 12).
bool system_unit_enabled(const AgentEnv& env, const std::string& unit, std::string& where) {
    std::error_code ec;
    if (fs::is_symlink(under_root(env, "/etc/systemd/system/" + unit), ec) &&
        fs::read_symlink(under_root(env, "/etc/systemd/system/" + unit), ec) == "/dev/null")
        return false;
    for (const char* d : {"/etc/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system"})
        if (unit_enabled(under_root(env, d), unit, where)) return true;
    return false;
}

bool user_unit_enabled(const AgentEnv& env, const std::string& unit, std::string& where) {
    std::error_code ec;
    if (fs::is_symlink(under_root(env, "/etc/systemd/user/" + unit), ec) &&
        fs::read_symlink(under_root(env, "/etc/systemd/user/" + unit), ec) == "/dev/null")
        return false;
    for (const char* d : {"/etc/systemd/user", "/usr/lib/systemd/user"})
        if (unit_enabled(under_root(env, d), unit, where)) return true;
    return false;
}

void counted_entries(const std::string& dir, const char* suffix, std::vector<std::string>& found) {
    std::error_code ec;
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
        const std::string name = it->path().filename().string();
        const size_t n = std::string(suffix).size();
        if (name.size() > n && esp_key(name.substr(name.size() - n)) == suffix && has_boot_counter(name))
            found.push_back(it->path().string());
    }
}

std::string joined(const std::vector<std::string>& v, size_t max = 3) {
    std::string s;
    for (size_t i = 0; i < v.size() && i < max; ++i) s += (i ? ", " : "") + v[i];
    if (v.size() > max) s += " and " + std::to_string(v.size() - max) + " more";
    return s;
}

// watchdog-device from /etc/watchdog.conf (the watchdog package's default: /dev/watchdog).
std::string watchdog_daemon_device(const AgentEnv& env) {
    std::string text, device = "/dev/watchdog";
    if (!read_file(under_root(env, "/etc/watchdog.conf"), text)) return device;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        const size_t hash = line.find('#');
        if (hash != std::string::npos) line.resize(hash);
        const size_t eq = line.find('=');
        if (eq == std::string::npos) continue;
        std::string key = line.substr(0, eq), value = line.substr(eq + 1);
        auto trim = [](std::string& s) {
            while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
            while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.erase(s.begin());
        };
        trim(key);
        trim(value);
        if (key == "watchdog-device" && !value.empty()) device = value;
    }
    return device;
}

}  // namespace

bool has_boot_counter(const std::string& file_name) {
    const size_t dot = file_name.rfind('.');
    if (dot == std::string::npos) return false;
    const std::string stem = file_name.substr(0, dot);
    const size_t plus = stem.rfind('+');
    if (plus == std::string::npos) return false;
    const std::string counter = stem.substr(plus + 1);
    const size_t dash = counter.find('-');
    if (dash == std::string::npos) return all_digits(counter);
    return all_digits(counter.substr(0, dash)) && all_digits(counter.substr(dash + 1));
}

std::vector<BlesserConflict> find_blesser_conflicts(AgentEnv& env) {
    std::vector<BlesserConflict> out;
    std::string where;

    // systemd's boot counting.
    const std::string count_path = env.efivars != nullptr ? read_loader_string(env, "LoaderBootCountPath") : "";
    std::vector<std::string> counted;
    const std::string esp = find_esp(env);
    if (!esp.empty()) {
        counted_entries(esp + "/loader/entries", ".conf", counted);
        counted_entries(esp + "/EFI/Linux", ".efi", counted);
    }
    if (!env.boot_dir.empty() && env.boot_dir != esp) {
        counted_entries(env.boot_dir + "/loader/entries", ".conf", counted);
        counted_entries(env.boot_dir + "/EFI/Linux", ".efi", counted);
    }
    const bool bless_enabled = system_unit_enabled(env, "systemd-bless-boot.service", where);
    const std::string bless_where = where;
    if (!count_path.empty() || !counted.empty() || bless_enabled) {
        std::string d;
        if (!count_path.empty())
            d = "this boot was counted by systemd-boot (LoaderBootCountPath=" + count_path +
                "), so systemd-bless-boot-generator pulls systemd-bless-boot.service in";
        if (!counted.empty())
            d += std::string(d.empty() ? "" : "; ") + "boot entries with a boot counter: " + joined(counted);
        if (bless_enabled) d += std::string(d.empty() ? "" : "; ") + "systemd-bless-boot.service enabled (" + bless_where + ")";
        out.push_back({"systemd-boot-counting", d,
                       "let one boot manager count: rename the entries without their +LEFT[-DONE] suffix and do not "
                       "chain wdboot and systemd-boot's counting (kernel-install names new entries so while "
                       "/etc/kernel/tries exists and its layout is bls)"});
    }

    // GRUB's success tracking.
    if (system_unit_enabled(env, "grub-initrd-fallback.service", where))
        out.push_back({"grub-initrd-fallback",
                       "grub-initrd-fallback.service is enabled (" + where +
                           "): GRUB's initrdfail flag in grubenv decides another fallback than wdboot's",
                       "systemctl mask grub-initrd-fallback.service"});
    if (user_unit_enabled(env, "grub-boot-success.timer", where))
        out.push_back({"grub-boot-success",
                       "grub-boot-success.timer is enabled for users (" + where +
                           "): it marks boot_success in grubenv two minutes after any login",
                       "systemctl --global mask grub-boot-success.timer"});

    // A watchdog daemon.
    for (const char* unit : {"watchdog.service", "wd_keepalive.service"}) {
        if (!system_unit_enabled(env, unit, where)) continue;
        out.push_back({"watchdog-daemon",
                       std::string(unit) + " is enabled (" + where + "): the watchdog daemon opens " +
                           watchdog_daemon_device(env) +
                           " and feeds the timer wdboot armed before wdbootctl mark-good blesses the boot (a hung "
                           "boot is then never reset), and in handover mode systemd cannot open it",
                       std::string("systemctl disable --now ") + unit +
                           " (with watchdog-mode = handover in agent.conf systemd feeds the watchdog after the blessing)"});
        break;
    }
    return out;
}

nlohmann::json conflicts_json(const std::vector<BlesserConflict>& c) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& x : c) a.push_back({{"id", x.id}, {"detail", x.detail}, {"fix", x.fix}});
    return a;
}

void warn_blesser_conflicts(AgentEnv& env) {
    for (const auto& c : find_blesser_conflicts(env))
        *env.err << "wdbootctl: warning: " << c.detail << ". wdboot's counting needs exactly one blesser; to fix: " << c.fix
                 << "\n";
}

}  // namespace wdboot::agent
