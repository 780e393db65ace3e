// The hardware watchdog as the loader sees it: found through EFI_PCI_IO_PROTOCOL,
// programmed through the core's register sequences (wdboot/i6300esb.hpp) over
// PciConfigIo/PciBarIo windows. Supported: the Intel 6300ESB (QEMU -device i6300esb).
// The ICH9 TCO (itco) is not wired up yet: choosing it reports "not supported".
#pragma once
#include <stdint.h>

#include "efi_api.hpp"
#include "wdboot/boot_flow.hpp"
#include "wdboot/config.hpp"

namespace wdboot::efi {

class WatchdogDevice {
public:
    // Looks for the watchdog cfg.watchdog selects (auto: i6300esb, then the ones added
    // later), enables its register decoding, reads and clears its reset flag. Logs what
    // it found. present=false when nothing usable is there.
    WatchdogProbe probe(const Config& cfg);
    // Arms the found watchdog for timeout_s seconds, not locked.
    Status arm(uint32_t timeout_s);
    // Stops it again if this loader armed it.
    void disarm();

private:
    EFI_PCI_IO_PROTOCOL* find_i6300esb();
    EFI_PCI_IO_PROTOCOL* esb_ = nullptr;
    bool armed_ = false;
};

}  // namespace wdboot::efi
