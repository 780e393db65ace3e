#include "tsc_clock.hpp"

#include "efi_api.hpp"

namespace wdboot::efi {

constinit TscClock g_clock;

uint64_t TscClock::ticks_per_us() {
    if (ticks_per_us_ != 0) return ticks_per_us_;
    constexpr UINTN kCalibrationUs = 2000;
    uint64_t before = read_tsc();
    BS->Stall(kCalibrationUs);
    uint64_t after = read_tsc();
    // A stopped or backwards TSC leaves the frequency unknown (times then read 0).
    if (after > before) ticks_per_us_ = (after - before) / kCalibrationUs;
    return ticks_per_us_;
}

uint64_t TscClock::to_us(uint64_t tsc) {
    uint64_t f = ticks_per_us();
    return f != 0 ? tsc / f : 0;
}

}  // namespace wdboot::efi
