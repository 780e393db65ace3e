// The hardware watchdog as the loader sees it, programmed through the core's register
// sequences over RegisterIo windows:
//  - Intel 6300ESB (PCI 8086:25ab, QEMU -device i6300esb): PCI config + BAR0 through
//    EFI_PCI_IO_PROTOCOL (wdboot/i6300esb.hpp);
//  - Intel ICH9 TCO (the q35 LPC bridge): its PCI config through EFI_PCI_IO_PROTOCOL
//    to find PMBASE/RCBA, then I/O ports and the RCRB directly (wdboot/itco.hpp);
//  - ACPI WDAT: the table from the RSDP in the EFI configuration table, its
//    instructions run over I/O ports and physical memory (wdboot/wdat.hpp);
//  - the IPMI BMC watchdog: the KCS interface from SMBIOS type 38, I/O ports and
//    BootServices->Stall between polls (wdboot/ipmi_watchdog.hpp).
// `watchdog auto` tries them in the driver table's probe order (watchdog_drivers.hpp).
#pragma once
#include <stdint.h>

#include "efi_api.hpp"
#include "wdboot/boot_flow.hpp"
#include "wdboot/config.hpp"
#include "wdboot/wdat.hpp"

namespace wdboot::efi {

class WatchdogDevice {
public:
    // Finds the watchdog cfg.watchdog selects, makes its registers reachable, reads and
    // clears its reset flag. Logs what it found. present=false when nothing usable.
    WatchdogProbe probe(const Config& cfg);
    // Arms the found watchdog for timeout_s seconds, not locked.
    Status arm(uint32_t timeout_s);
    // Stops it again if this loader armed it.
    void disarm();
    // True after a successful arm() (and no disarm since).
    bool armed() const { return armed_; }
    // With the IPMI watchdog: adds the SEL record "wdboot failed over" (failed slot ->
    // next slot) so the BMC's event log shows it. Logs the outcome; never fails the boot.
    void log_failover(uint8_t failed_slot, uint8_t next_slot);

private:
    enum class Kind : uint8_t { none, i6300esb, itco, wdat, ipmi };
    // Each driver's probe: true when it found a usable watchdog (and set kind_), with the
    // reset cause it read in `cause`. probe_driver turns that into the WatchdogProbe.
    bool probe_i6300esb(bool quiet_if_absent, ResetCause& cause);
    bool probe_itco(ResetCause& cause);
    bool probe_wdat(bool quiet_if_absent, ResetCause& cause);
    bool probe_ipmi(bool quiet_if_absent, ResetCause& cause);
    WatchdogProbe probe_driver(WatchdogChoice choice, bool quiet_if_absent);

    Kind kind_ = Kind::none;
    EFI_PCI_IO_PROTOCOL* esb_ = nullptr;
    uint16_t tco_base_ = 0;
    uint32_t rcba_ = 0;
    wdat::Wdat wdat_{};          // the parsed table (Kind::wdat)
    uint16_t kcs_base_ = 0;      // the KCS data port (Kind::ipmi)
    uint32_t kcs_spacing_ = 1;
    bool armed_ = false;
};

}  // namespace wdboot::efi
