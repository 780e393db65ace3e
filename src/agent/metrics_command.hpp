// `wdbootctl metrics [--output FILE]`: the boot state in the Prometheus text exposition
// format (version 0.0.4), for node_exporter's textfile collector. Every metric is
// derived from the `status --json` document (status_document()) and the record's
// journal, so the two never disagree; names, types and labels: docs/agent.md.
//
// With --output the text goes to FILE.tmp, is fsync'ed and renamed over FILE: the
// collector reads only *.prom files and must never see half of one.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "agent_env.hpp"

namespace wdboot::agent {

// The exposition text for a status document and the record it came from.
std::string metrics_text(const nlohmann::json& status, const BootState& st);

Exit cmd_metrics(AgentEnv& env, const std::string& output);

}  // namespace wdboot::agent
