// Commands that change the boot state record, each through the portable core's policy
// functions (bless, mark_bad, set_default, request_trial, reset_counters) and its
// two-copy save. All need root and a writable efivarfs and hold the state lock; only
// mark-good, disarm (without --driver) and mark-bad without a SLOT need a wdboot boot
// (WdbootCurrent): the others work from rescue media or a chroot too.
#pragma once
#include <string>

#include "agent_env.hpp"

namespace wdboot::agent {

// Blesses the current boot (WdbootCurrent's boot id), then disarms or hands over the
// watchdog as agent.conf says. Running it again on a blessed boot only redoes the
// watchdog step.
Exit cmd_mark_good(AgentEnv& env);
// Marks SLOT (default: the booted slot, which needs a wdboot boot) bad: no tries,
// skipped by the chooser.
Exit cmd_mark_bad(AgentEnv& env, const std::string& slot);
// Makes SLOT the default for the following boots; clears its bad flag.
Exit cmd_set_default(AgentEnv& env, const std::string& slot);
// Asks for a one-shot trial of SLOT on the next boot(s), with `tries` attempts.
Exit cmd_try(AgentEnv& env, const std::string& slot, unsigned tries);
// Restores every slot's tries and clears bad flags.
Exit cmd_reset(AgentEnv& env);
// Stops the hardware watchdog now, whatever watchdog-mode says. `driver` overrides
// WdbootCurrent's watchdog= (needed when not booted by wdboot).
Exit cmd_disarm(AgentEnv& env, const std::string& driver);

// Runs the watchdog step agent.conf asks for after a blessing (disarm or handover).
WatchdogReport apply_watchdog_mode(AgentEnv& env, const std::string& driver);

}  // namespace wdboot::agent
