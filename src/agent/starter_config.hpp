// The wdboot.conf that `install` writes when there is none, and the kernel command line
// a new slot reuses from the running system (`install`, `add-slot --same-options`).
// starter_config() and reusable_cmdline() are pure: install_commands.cpp gathers what
// is in /boot and /proc/cmdline, checks the text with the loader's parser, copies the
// files and writes the config.
#pragma once
#include <stdint.h>

#include <string>
#include <utility>
#include <vector>

#include "esp_files.hpp"

namespace wdboot::agent {

// A kernel in /boot: /boot/vmlinuz-VERSION, and whether /boot/initrd.img-VERSION is
// readable.
struct InstalledKernel {
    std::string version;
    bool has_initrd = false;
};

struct StarterInput {
    std::string boot_dir;                  // where the kernels are (/boot)
    std::string running;                   // uname -r
    std::vector<InstalledKernel> kernels;  // any order
    std::string options;                   // reusable_cmdline() of /proc/cmdline
    uint32_t timeout_s = 0;                // `timeout`
};

struct StarterConfig {
    std::string error;            // not empty: no config can be made (nothing else is set)
    std::string text;             // wdboot.conf
    std::vector<EspCopy> copies;  // kernels and initrds from boot_dir to \EFI\wdboot\kernels\VERSION\ .
    bool has_fallback = false;    // false: only the running kernel was found
    // (slot name, kernel version) of each slot written: install hands them to the
    // kernel hooks (kernel_slots.hpp), so removing that kernel's package removes its
    // slot and `keep` counts it.
    std::vector<std::pair<std::string, std::string>> kernel_slots;
};

// Slot `primary` boots the running kernel, slot `fallback` the newest older one (in
// version order, as strverscmp sorts), each with its initrd if it has one, both with
// `options`; the global keys are timeout_s, tries 3, watchdog auto, on-exhausted
// last-good. An error when the running kernel is not among `kernels`.
StarterConfig starter_config(const StarterInput& in);

// Kernel versions with a BOOT_DIR/vmlinuz-VERSION file, newest first (version order).
std::vector<std::string> list_kernel_versions(const std::string& boot_dir);
// Those, each with whether its initrd is readable: starter_config()'s `kernels`.
std::vector<InstalledKernel> installed_kernels(const std::string& boot_dir);

// The kernel command line for a slot, from /proc/cmdline without the words that belong
// to the previous boot loader (BOOT_IMAGE=, initrd=) or that the loader appends itself:
// every word of every watchdog driver's kernel_args in the core's kWatchdogDrivers (the
// loader adds the armed driver's again; kept, they would be there twice).
std::string reusable_cmdline(const std::string& proc_cmdline);

}  // namespace wdboot::agent
