// wdbootctl: the command line. Parses arguments with CLI11, builds the AgentEnv for the
// real machine and calls one command function; the exit code is the command's.
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <ctime>
#include <iostream>

#include "agent_env.hpp"
#include "install_commands.hpp"
#include "journal_export.hpp"
#include "journal_sink.hpp"
#include "metrics_command.hpp"
#include "kernel_commands.hpp"
#include "pstore_command.hpp"
#include "slot_commands.hpp"
#include "health_command.hpp"
#include "report_commands.hpp"
#include "state_commands.hpp"

#ifndef WDBOOT_EFI_IMAGE
#define WDBOOT_EFI_IMAGE "/usr/lib/wdboot/wdbootx64.efi"
#endif

using namespace wdboot::agent;

namespace {

std::string env_or(const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? v : fallback;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"wdbootctl: bless wdboot boots, inspect and change the boot state, manage the watchdog"};
    app.require_subcommand(1);
    // The global options may also follow the subcommand (`wdbootctl status --json`,
    // `wdbootctl install --esp /mnt/efi`): a subcommand passes the options it does not
    // know to the app. Set before the subcommands are added, which inherit it.
    app.fallthrough();
    bool json = false;
    std::string efivarfs = env_or("WDBOOT_EFIVARFS", kDefaultEfivarfsRoot);
    std::string agent_conf = kDefaultAgentConfig;
    std::string esp;
    app.add_flag("--json", json, "Print one JSON document on stdout");
    app.add_option("--efivarfs", efivarfs, "efivarfs directory (env WDBOOT_EFIVARFS)");
    app.add_option("--esp", esp, "ESP mount point (default: agent.conf's esp, else /boot/efi, /efi, /boot)");
    auto* conf_opt = app.add_option("--agent-config", agent_conf, "Agent settings file");
    app.set_version_flag("--version", std::string("wdbootctl ") + WDBOOT_VERSION);

    auto* status = app.add_subcommand("status", "Booted slot, slots, default, trial, watchdog, last failure");
    unsigned log_limit = 0;
    auto* log = app.add_subcommand("log", "Boot journal, newest first");
    log->add_option("-n,--limit", log_limit, "Show only the newest N entries");
    auto* mark_good = app.add_subcommand("mark-good", "Bless the current boot, then disarm or hand over the watchdog");
    std::string slot;
    auto* mark_bad = app.add_subcommand("mark-bad", "Mark a slot bad (default: the booted slot)");
    mark_bad->add_option("SLOT", slot, "Slot name");
    auto* set_default = app.add_subcommand("set-default", "Make a slot the default");
    set_default->add_option("SLOT", slot, "Slot name")->required();
    unsigned tries = 1;
    auto* try_cmd = app.add_subcommand("try", "One-shot trial of a slot on the next boot");
    try_cmd->add_option("SLOT", slot, "Slot name")->required();
    try_cmd->add_option("--tries", tries, "Attempts before the default order resumes");
    auto* reset = app.add_subcommand("reset", "Restore every slot's tries, clear bad flags");
    std::string driver;
    auto* disarm = app.add_subcommand("disarm", "Stop the hardware watchdog now");
    disarm->add_option("--driver", driver, "Watchdog driver (i6300esb, itco, wdat) when not booted by wdboot");
    std::string metrics_output;
    auto* metrics = app.add_subcommand("metrics", "Boot state in Prometheus text format (node_exporter textfile)");
    metrics->add_option("--output", metrics_output, "Write FILE.tmp, then rename it to FILE");
    auto* export_journal =
        app.add_subcommand("export-journal", "Send the record's boot journal entries not sent yet to the systemd journal");
    bool no_action = false;
    auto* pstore = app.add_subcommand("pstore", "Archive kernel panics left by efi_pstore, keep them out of NVRAM");
    auto* health = app.add_subcommand("health", "Run the health checks in health-dir");
    health->add_flag("--no-action", no_action, "Only report; never mark bad or reboot");

    InstallOptions iopts;
    auto* install = app.add_subcommand("install", "Copy wdboot to the ESP, write a starter config, create the boot entry");
    install->add_option("--disk", iopts.disk, "Disk of the ESP for efibootmgr (default: from sysfs)");
    install->add_option("--part", iopts.part, "Partition number of the ESP");
    install->add_option("--label", iopts.label, "Boot entry label");
    install->add_option("--timeout", iopts.timeout_s, "Watchdog timeout for the starter config")->check(CLI::Range(5, 2000));
    install->add_flag("--force-config", iopts.force_config, "Replace an existing wdboot.conf");
    install->add_flag("--no-boot-entry", iopts.no_boot_entry, "Do not touch the UEFI boot entries");
    install->add_flag("--dry-run", iopts.dry_run, "Show what would be done");
    install->add_option("--secure-boot-policy", iopts.secure_boot_policy,
                        "Under Secure Boot: strict (default) or permissive, written into the boot entry's load options")
        ->check(CLI::IsMember({"strict", "permissive"}));
    bool purge = false, dry_run = false;
    auto* uninstall = app.add_subcommand("uninstall", "Remove the boot entry and restore the previous BootOrder");
    uninstall->add_flag("--purge", purge, "Also delete \\EFI\\wdboot and the state variables");
    uninstall->add_flag("--dry-run", dry_run, "Show what would be done");
    SlotSpec spec;
    auto* add_slot = app.add_subcommand("add-slot", "Add a slot stanza to wdboot.conf");
    add_slot->add_option("NAME", spec.name, "Slot name")->required();
    add_slot->add_option("--kernel", spec.kernel, "Kernel file to copy to the ESP");
    add_slot->add_option("--linux", spec.linux_path, "Kernel already on the ESP (\\EFI\\...)");
    add_slot->add_option("--efi", spec.efi_path, "EFI application on the ESP");
    add_slot->add_option("--bootentry", spec.boot_entry, "Existing Boot#### entry (XXXX)");
    add_slot->add_option("--initrd", spec.initrds, "Initrd file to copy, or ESP path (repeatable)");
    add_slot->add_option("--options", spec.options, "Kernel command line");
    add_slot->add_flag("--same-options", spec.same_options, "Use the running kernel's command line");
    add_slot->add_option("--tries", spec.tries, "Tries for this slot")->check(CLI::Range(1, 100));
    add_slot->add_flag("--rescue", spec.rescue, "Target of on-exhausted rescue");
    add_slot->add_flag("--dry-run", spec.dry_run, "Show the copies and the stanza, change nothing");
    auto* remove_slot = app.add_subcommand("remove-slot", "Remove a slot stanza from wdboot.conf");
    remove_slot->add_option("NAME", slot, "Slot name")->required();
    KernelAddOptions kopts;
    auto* kernel_add = app.add_subcommand("kernel-add", "Copy a kernel to the ESP and make it a slot (kernel hooks)");
    kernel_add->add_option("VERSION", kopts.version, "Kernel version (uname -r)")->required();
    kernel_add->add_option("KERNEL_IMAGE", kopts.image, "Kernel file (default: /boot/vmlinuz-VERSION)");
    kernel_add->add_option("--initrd", kopts.initrds, "Initrd file (repeatable; default: /boot/initrd.img-VERSION)");
    kernel_add->add_option("--options", kopts.options, "Kernel command line (default: the default slot's)");
    kernel_add->add_option("--tries", kopts.tries, "Attempts of the trial (new-kernel trial)");
    kernel_add->add_flag("--refresh-only", kopts.refresh_only, "Only replace the files of an existing slot");
    std::string kversion;
    auto* kernel_remove = app.add_subcommand("kernel-remove", "Remove the slot kernel-add made for a kernel, and its files");
    kernel_remove->add_option("VERSION", kversion, "Kernel version")->required();

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        (void)app.exit(e);
        return code(Exit::usage);
    }

    AgentEnv env;
    IoctlFileFlags flags;
    StatvfsMountProbe mounts;
    Efivarfs vars(efivarfs, flags, mounts);
    ProcessRunner runner;
    LinuxWatchdogSystem watchdog(env_or("WDBOOT_WATCHDOG_SYSFS", "/sys/class/watchdog"), env_or("WDBOOT_DEV", "/dev"),
                                 env_or("WDBOOT_SYSTEMD_DROP_IN", kServiceManagerDropIn),
                                 runner);
    env.efivars = &vars;
    env.watchdog = &watchdog;
    env.runner = &runner;
    env.is_root = geteuid() == 0;
    env.clock = [] { return static_cast<uint64_t>(std::time(nullptr)); };
    env.boot_time_ms = [](uint64_t& ms) {
        timespec ts{};
        if (clock_gettime(CLOCK_BOOTTIME, &ts) != 0) return false;
        ms = static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
        return true;
    };
    env.out = &std::cout;
    env.err = &std::cerr;
    env.json = json;
    env.esp = esp;
    iopts.esp = esp;
    struct utsname u {};
    if (uname(&u) == 0) env.kernel_release = u.release;
    env.loader_image = env_or("WDBOOT_EFI_IMAGE", WDBOOT_EFI_IMAGE);
    env.journal_cursor = env_or("WDBOOT_JOURNAL_CURSOR", kDefaultJournalCursor);
    env.journal_send = send_journal_fields;
    env.journal_sink_name = journal_sink_name();
    // Tests and debugging: the stderr lines whatever sink was linked, so that running
    // the binary never writes into the machine's journal.
    if (env_or("WDBOOT_JOURNAL_SINK", "") == std::string("stderr")) {
        env.journal_send = [](const std::vector<std::string>& fields, std::string&) {
            std::cerr << "wdbootctl-journal: " << journal_fields_line(fields) << "\n";
            return true;
        };
        env.journal_sink_name = "stderr";
    }
    env.pstore.pstorefs = env_or("WDBOOT_PSTORE", env.pstore.pstorefs.c_str());
    env.pstore.systemd_archive = env_or("WDBOOT_SYSTEMD_PSTORE", env.pstore.systemd_archive.c_str());
    env.pstore.archive = env_or("WDBOOT_PANIC_ARCHIVE", env.pstore.archive.c_str());
    env.kernel_state = env_or("WDBOOT_KERNEL_STATE", env.kernel_state.c_str());
    env.boot_dir = env_or("WDBOOT_BOOT_DIR", env.boot_dir.c_str());

    // agent.conf is read here, not earlier: mark-good and disarm run even when it is
    // broken (run_with_agent_config), so the environment must be complete first.
    const std::string command = app.get_subcommands().front()->get_name();
    auto run = [&](AgentEnv& e) -> Exit {
        if (*status) return cmd_status(e);
        if (*log) return cmd_log(e, log_limit);
        if (*mark_good) return cmd_mark_good(e);
        if (*mark_bad) return cmd_mark_bad(e, slot);
        if (*set_default) return cmd_set_default(e, slot);
        if (*try_cmd) return cmd_try(e, slot, tries);
        if (*reset) return cmd_reset(e);
        if (*disarm) return cmd_disarm(e, driver);
        if (*health) return cmd_health(e, no_action);
        if (*pstore) return cmd_pstore(e);
        if (*metrics) return cmd_metrics(e, metrics_output);
        if (*export_journal) return cmd_export_journal(e);
        if (*install) return cmd_install(e, iopts);
        if (*uninstall) return cmd_uninstall(e, esp, purge, dry_run);
        if (*add_slot) return cmd_add_slot(e, spec, esp);
        if (*remove_slot) return cmd_remove_slot(e, slot, esp);
        if (*kernel_add) return cmd_kernel_add(e, kopts);
        if (*kernel_remove) return cmd_kernel_remove(e, kversion);
        return Exit::failure;
    };
    Exit e = run_with_agent_config(env, agent_conf, conf_opt->count() > 0, command, run);
    std::cout.flush();
    return code(e);
}
