// ASCII text as UTF-16LE, with its NUL unless `nul` is false: how UEFI string variables
// (the Boot Loader Interface's, WdbootCurrent) are stored, as systemd and the firmware
// write them. Shared by the unit tests (fixtures.hpp) and the agent tests
// (agent_fixture.hpp), so both binaries spell the encoding once.
#pragma once
#include <stdint.h>

#include <string>
#include <vector>

namespace wdtest {

inline std::vector<uint8_t> utf16(const std::string& s, bool nul = true) {
    std::vector<uint8_t> v;
    for (char c : s) {
        v.push_back(static_cast<uint8_t>(c));
        v.push_back(0);
    }
    if (nul) {
        v.push_back(0);
        v.push_back(0);
    }
    return v;
}

}  // namespace wdtest
