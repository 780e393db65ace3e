#include "blessing_margin.hpp"

#include <stdio.h>

namespace wdboot::agent {

BlessingMargin blessing_margin(uint32_t timeout_s, bool have_elapsed, uint64_t elapsed_ms) {
    BlessingMargin m;
    m.timeout_s = timeout_s;
    m.elapsed_ms = elapsed_ms;
    const uint64_t timeout_ms = static_cast<uint64_t>(timeout_s) * 1000;
    m.known = timeout_s > 0 && have_elapsed && elapsed_ms <= timeout_ms;
    m.thin = m.known && elapsed_ms * 100 > timeout_ms * kThinMarginPercent;
    return m;
}

std::string blessing_margin_used(const BlessingMargin& m) {
    char used[64];
    snprintf(used, sizeof(used), "%.1f s into its %u s", static_cast<double>(m.elapsed_ms) / 1000.0, m.timeout_s);
    return used;
}

std::string blessing_margin_warning(const BlessingMargin& m) {
    if (!m.thin) return {};
    const uint64_t left_ms = static_cast<uint64_t>(m.timeout_s) * 1000 - m.elapsed_ms;
    char line[200];
    snprintf(line, sizeof(line),
             " timeout (past %u %%): a boot %.1f s slower is reset before its blessing, on every slot; raise "
             "`timeout` in wdboot.conf, or bless earlier",
             kThinMarginPercent, static_cast<double>(left_ms) / 1000.0);
    return "warning: the watchdog was stopped " + blessing_margin_used(m) + line;
}

}  // namespace wdboot::agent
