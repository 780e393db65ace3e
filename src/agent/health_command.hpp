// `wdbootctl health`: runs the health checks (health.hpp) and, when one fails and
// agent.conf says health-action = mark-bad-reboot, marks the booted slot bad through
// the core and reboots into the next slot. Run by wdboot-bless.service before
// mark-good, and by wdboot-health.service to gate boot-complete.target.
#pragma once
#include "agent_env.hpp"

namespace wdboot::agent {

// no_action: report only, never mark bad or reboot. Exit 11 when a check failed; 14
// (health_refused) when all checks that ran passed but unsafe ones were refused; the
// units count 14 as success, so a file mode never stops the blessing.
Exit cmd_health(AgentEnv& env, bool no_action);

}  // namespace wdboot::agent
