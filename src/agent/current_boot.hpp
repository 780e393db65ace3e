// What the loader says about this boot: the volatile variable WdbootCurrent (wdboot's
// GUID), written by efi/ as ASCII words, e.g.
//   slot=primary index=0 boot_id=7 watchdog=i6300esb timeout=30 trial=0 forced=0
//   secure_boot=1 secure_boot_policy=strict
// Its absence means the running system was not started by wdboot. Parsed by every
// agent command that acts on "the current boot".
#pragma once
#include <stdint.h>

#include <map>
#include <string>
#include <vector>

namespace wdboot::agent {

inline constexpr char kCurrentVariable[] = "WdbootCurrent";

struct CurrentBoot {
    std::string slot;              // record slot name (required)
    int index = -1;                // record slot index, -1 when not given
    uint32_t boot_id = 0;          // boot id of this attempt (required, non-zero)
    std::string watchdog = "none"; // loader's watchdog driver: i6300esb, itco, wdat, none
    uint32_t timeout = 0;          // hardware watchdog timeout in seconds, 0 unknown
    // What the loader saw and applied (loaders before issue 12 do not say): Secure Boot
    // on (1) or off (0), -1 not said; the secure-boot-policy it applied, "strict" or
    // "permissive", empty when not said. Another value is kept in `other` instead.
    int secure_boot = -1;
    std::string secure_boot_policy;
    std::map<std::string, std::string> other;  // words we do not know, kept for `status`
};

// Parses the variable's data (without the attribute header). Tolerates trailing NULs,
// UTF-16LE text, surrounding whitespace, quotes around values, upper-case keys and
// unknown words. Fails (false, reason in `error`) only when slot or boot_id is missing
// or malformed.
bool parse_current_boot(const std::vector<uint8_t>& data, CurrentBoot& out, std::string& error);

}  // namespace wdboot::agent
