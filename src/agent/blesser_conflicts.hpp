// Exactly one blesser (issue 10 part 6). wdboot's counting means something only when
// nothing else decides whether a boot was good or which kernel boots next, and when no
// one else feeds the watchdog wdboot armed. This finds what on the machine would make
// it meaningless, from files alone (unit symlinks, boot entries, EFI variables), so that
// it works from a chroot and in the tests:
//  - systemd's boot counting: the LoaderBootCountPath variable (systemd-boot counted
//    this boot; systemd-bless-boot-generator then pulls systemd-bless-boot.service into
//    basic.target), boot entries named NAME+LEFT[-DONE].conf in /loader/entries or
//    NAME+LEFT[-DONE].efi in /EFI/Linux (Boot Loader Specification, boot counting),
//    and systemd-bless-boot.service enabled by hand. /etc/kernel/tries alone is not
//    reported: wdboot's own kernel-install plugin reads it for --tries;
//  - GRUB's own success tracking: Ubuntu's grub-initrd-fallback.service (grub2 package;
//    it records initrdfail in grubenv and changes what GRUB boots) and Fedora's user
//    unit grub-boot-success.timer (grub2-tools; sets boot_success in grubenv);
//  - a watchdog daemon holding /dev/watchdog: watchdog.service and wd_keepalive.service
//    (Debian's watchdog package; device from /etc/watchdog.conf).
// `status` (text and JSON) and `install` print them with what to do.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent_env.hpp"

namespace wdboot::agent {

struct BlesserConflict {
    std::string id;      // stable name: systemd-boot-counting, grub-initrd-fallback, grub-boot-success, watchdog-daemon
    std::string detail;  // what was found, with paths
    std::string fix;     // what to do
};

// Every conflict found under env.system_root (and the ESP, boot_dir, efivarfs).
std::vector<BlesserConflict> find_blesser_conflicts(AgentEnv& env);

// [{"id", "detail", "fix"}], for status --json.
nlohmann::json conflicts_json(const std::vector<BlesserConflict>& c);

// Prints each conflict as a warning on env.err. Called by install.
void warn_blesser_conflicts(AgentEnv& env);

// Whether a boot entry file name carries a Boot Loader Specification boot counter:
// NAME+LEFT.conf or NAME+LEFT-DONE.conf (also .efi), LEFT and DONE decimal.
bool has_boot_counter(const std::string& file_name);

}  // namespace wdboot::agent
