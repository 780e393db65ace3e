#include "starter_config.hpp"

#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "config_edit.hpp"
#include "wdboot/watchdog_drivers.hpp"

namespace fs = std::filesystem;

namespace wdboot::agent {
namespace {

// A word the loader appends to every slot's command line for some watchdog driver.
bool is_watchdog_argument(const std::string& word) {
    for (const WatchdogDriverFacts& f : kWatchdogDrivers) {
        std::istringstream args(f.kernel_args);
        std::string arg;
        while (args >> arg)
            if (word == arg) return true;
    }
    return false;
}

}  // namespace

StarterConfig starter_config(const StarterInput& in) {
    StarterConfig out;
    const InstalledKernel* running = nullptr;
    const InstalledKernel* previous = nullptr;
    for (const auto& k : in.kernels) {
        if (k.version == in.running) running = &k;
        else if (strverscmp(k.version.c_str(), in.running.c_str()) < 0 &&
                 (previous == nullptr || strverscmp(k.version.c_str(), previous->version.c_str()) > 0))
            previous = &k;
    }
    if (running == nullptr) {
        out.error = "the running kernel " + in.running + " has no vmlinuz in " + in.boot_dir;
        return out;
    }
    out.has_fallback = previous != nullptr;
    out.text = "# wdboot.conf written by wdbootctl install; syntax in wdboot.conf(5)\n"
               "timeout " + std::to_string(in.timeout_s) + "\n"
               "tries 3\nwatchdog auto\non-exhausted last-good\n";
    std::vector<std::pair<const char*, const InstalledKernel*>> slots{{"primary", running}};
    if (previous != nullptr) slots.push_back({"fallback", previous});
    for (const auto& [name, kernel] : slots) {
        const std::string dir = esp_kernel_dir(kernel->version);
        out.copies.push_back({in.boot_dir + "/vmlinuz-" + kernel->version, dir + "\\vmlinuz"});
        std::vector<std::string> initrds;
        if (kernel->has_initrd) {
            out.copies.push_back({in.boot_dir + "/initrd.img-" + kernel->version, dir + "\\initrd.img"});
            initrds.push_back(dir + "\\initrd.img");
        }
        out.text += "\n" + slot_stanza(name, "linux", dir + "\\vmlinuz", initrds, in.options, 0, false);
        out.kernel_slots.emplace_back(name, kernel->version);
    }
    return out;
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

std::vector<InstalledKernel> installed_kernels(const std::string& boot_dir) {
    std::vector<InstalledKernel> kernels;
    for (const auto& v : list_kernel_versions(boot_dir))
        kernels.push_back({v, access((boot_dir + "/initrd.img-" + v).c_str(), R_OK) == 0});
    return kernels;
}

std::string reusable_cmdline(const std::string& proc_cmdline) {
    std::istringstream in(proc_cmdline);
    std::string word, out;
    while (in >> word) {
        if (word.rfind("BOOT_IMAGE=", 0) == 0 || word.rfind("initrd=", 0) == 0 || is_watchdog_argument(word)) continue;
        out += (out.empty() ? "" : " ") + word;
    }
    return out;
}

}  // namespace wdboot::agent
