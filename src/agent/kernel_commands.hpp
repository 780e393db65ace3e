// A new kernel becomes a wdboot slot by itself: `wdbootctl kernel-add` and
// `kernel-remove` (called by the hooks in hooks/: Debian's /etc/kernel/postinst.d and
// postrm.d, update-initramfs' post-update.d, systemd's kernel-install), and what
// mark-good does after blessing a trial that kernel-add asked for (promotion, pruning).
// Which slots the hooks manage is agent state (kernel_slots.hpp), never the NVRAM
// record. Rules in words: docs/install.md "When a kernel is installed or removed".
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "agent_env.hpp"
#include "current_boot.hpp"

namespace wdboot::agent {

struct KernelAddOptions {
    std::string version;               // uname -r of the new kernel
    std::string image;                 // the kernel file; empty: BOOT_DIR/vmlinuz-VERSION
    std::vector<std::string> initrds;  // empty: BOOT_DIR/initrd.img-VERSION when it exists
    std::string options;               // the command line; empty: the default slot's
    unsigned tries = 1;                // attempts of the trial (kernel-install: /etc/kernel/tries)
    bool refresh_only = false;         // only copy the files of an existing slot (post-update.d)
};

// Copies the kernel and its initrds to \EFI\wdboot\kernels\VERSION\ when the ESP has
// room for them (checked first; short: nothing changed), then, if no slot boots that
// folder yet, adds the slot kernel_slot_name(VERSION) with the default slot's command
// line and makes it what agent.conf's new-kernel says: a one-shot trial (remembered in
// the agent state, so that mark-good promotes it), the default, or only a slot; then
// prunes (keep). A slot that boots the folder already only gets its files replaced.
// Holds the state lock throughout. Called by main.cpp.
Exit cmd_kernel_add(AgentEnv& env, const KernelAddOptions& opts);

// Removes the slot kernel-add made for VERSION and its files; refuses the booted slot.
// A pending trial of it is cancelled; when it was the default, the next slot in the
// order becomes the first. Nothing to remove is success. Holds the state lock.
// Called by main.cpp.
Exit cmd_kernel_remove(AgentEnv& env, const std::string& version);

// install --force-config's last step: the kernel slots its new wdboot.conf has
// ((slot, version), starter_config's kernel_slots) become the hooks' slots in place of
// any earlier list (whose slots the new file no longer has), so that removing their
// kernel package removes them and keep counts them. A failure is a warning: install
// has succeeded, the slots are then only the operator's.
void adopt_install_slots(AgentEnv& env, const std::vector<std::pair<std::string, std::string>>& slots);

// mark-good's last step, after the blessing and the watchdog step: when the boot just
// blessed (`cur`) was the trial kernel-add asked for (`before`: the record as it was
// before the blessing), and promote-on-bless is yes, its slot becomes the default with
// the previous default next in the order; then kernel slots beyond keep are pruned.
// Every failure is a warning on env.err: nothing here undoes or blocks the blessing.
// Returns the notes for mark-good's report.
std::vector<std::string> promote_after_blessing(AgentEnv& env, const CurrentBoot& cur, const BootState& before);

// The single place where the kernel hooks change the default slot (promotion), called
// just before the record with `slot` as its default is saved: whatever must follow a
// new default follows here. Today that is systemd's LoaderEntryDefault, rewritten when
// it exists (sync_loader_entry_default). False with `err` when it could not be: the
// caller then leaves the record's default unchanged.
bool kernel_default_changed(AgentEnv& env, const std::string& slot, std::string& err);

}  // namespace wdboot::agent
