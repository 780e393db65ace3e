// Time since CPU reset from the x86 time-stamp counter, for the Boot Loader
// Interface's LoaderTimeInitUSec/LoaderTimeExecUSec and wdboot's own timing line.
// The TSC frequency is measured once against the firmware's Stall() (2 ms), the way
// systemd-boot does it; the TSC is assumed invariant (true on every CPU UEFI x86_64
// runs on in practice, and under QEMU).
#pragma once
#include <stdint.h>

namespace wdboot::efi {

inline uint64_t read_tsc() {
    uint32_t lo = 0, hi = 0;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (static_cast<uint64_t>(hi) << 32) | lo;
}

class TscClock {
public:
    // Remembers the TSC at wdboot's entry. Called first thing in efi_main.
    void mark_entry() { entry_ = read_tsc(); }
    // TSC ticks per microsecond; measures on first use (costs one 2 ms Stall).
    uint64_t ticks_per_us();
    // Microseconds since CPU reset for a TSC value; 0 if the frequency is unknown.
    uint64_t to_us(uint64_t tsc);
    uint64_t entry_tsc() const { return entry_; }

private:
    uint64_t entry_ = 0;
    uint64_t ticks_per_us_ = 0;
};

// The one clock of the image (constant-initialized, no constructor runs).
extern constinit TscClock g_clock;

}  // namespace wdboot::efi
