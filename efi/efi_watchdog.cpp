#include "efi_watchdog.hpp"

#include "efi_guid.hpp"
#include "efi_text.hpp"
#include "firmware_tables.hpp"
#include "pci_register_io.hpp"
#include "wdboot/acpi.hpp"
#include "wdboot/i6300esb.hpp"
#include "wdboot/ipmi_watchdog.hpp"
#include "wdboot/itco.hpp"
#include "wdboot/smbios.hpp"
#include "wdboot/text.hpp"
#include "wdboot/watchdog_drivers.hpp"
#include "x86_register_io.hpp"

namespace wdboot::efi {

namespace {

constexpr WatchdogProbe kNoWatchdog = {false, "none", ResetCause::unknown, ""};

// What a found driver reports: its name and kernel arguments from the core's driver
// table, which the config checks read too (a slot whose options leave no room for the
// arguments is refused when the config is parsed).
WatchdogProbe found(WatchdogChoice c, ResetCause cause) {
    const WatchdogDriverFacts* f = watchdog_driver(c);
    return {true, f->name, cause, f->kernel_args};
}

using Line = TextBuffer<200>;

// A driver step's status, or io_error when a firmware register access failed during it
// (the same check for every step of every driver; each window counts its own failures).
template <typename... Windows>
Status checked(Status s, const Windows&... windows) {
    uint32_t errors = (windows.errors() + ... + 0u);
    return s == Status::ok && errors != 0 ? Status::io_error : s;
}

void append_location(EFI_PCI_IO_PROTOCOL* pci, Line& line) {
    UINTN seg = 0, bus = 0, dev = 0, fn = 0;
    if (EFI_ERROR(pci->GetLocation(pci, &seg, &bus, &dev, &fn))) return;
    line.appendf(" at PCI %04lx:%02lx:%02lx.%lx", seg, bus, dev, fn);
}

// The end of a found driver's line: the reset cause it read, and whether clearing it failed.
void append_reset_cause(Line& line, ResetCause cause, Status cleared) {
    line.appendf(", last reset: %s", to_string(cause));
    if (cleared != Status::ok) line.appendf(" (status not cleared: %s)", to_string(cleared));
}

// A driver that is there but cannot be used: its line ends with the status and is said;
// false, so that auto goes on to the next driver.
bool unusable(Line& line, Status s) {
    line.appendf(" (%s)", to_string(s));
    console_line(line.c_str());
    return false;
}

// The first PCI function whose configuration space `match` accepts.
EFI_PCI_IO_PROTOCOL* find_pci(bool (*match)(RegisterIo&)) {
    UINTN count = 0;
    EFI_HANDLE* handles = nullptr;
    if (EFI_ERROR(BS->LocateHandleBuffer(ByProtocol, guid_arg(kPciIoGuid), nullptr, &count, &handles))) return nullptr;
    EFI_PCI_IO_PROTOCOL* found = nullptr;
    for (UINTN i = 0; i < count && found == nullptr; ++i) {
        EFI_PCI_IO_PROTOCOL* pci = nullptr;
        if (EFI_ERROR(BS->HandleProtocol(handles[i], guid_arg(kPciIoGuid), reinterpret_cast<void**>(&pci)))) continue;
        PciConfigIo config(pci);
        if (match(config)) found = pci;
    }
    BS->FreePool(handles);
    return found;
}

// The KCS pollers' busy-wait: BootServices->Stall (UEFI 2.10, 7.5), which the
// firmware implements against its own timer.
class StallDelay final : public ipmi::Delay {
public:
    void stall_us(uint32_t us) override { BS->Stall(us); }
};

bool match_i6300esb(RegisterIo& config) { return i6300esb::is_i6300esb(config); }
bool match_lpc(RegisterIo& config) { return itco::is_intel_lpc(config); }

}  // namespace

WatchdogProbe WatchdogDevice::probe(const Config& cfg) {
    kind_ = Kind::none;
    switch (cfg.watchdog) {
        case WatchdogChoice::none:
            console_logf("watchdog none (configured): the hardware watchdog is not used");
            return kNoWatchdog;
        case WatchdogChoice::i6300esb:
        case WatchdogChoice::itco:
        case WatchdogChoice::wdat:
        case WatchdogChoice::ipmi:
            return probe_driver(cfg.watchdog, false);
        case WatchdogChoice::amd_fch:
        case WatchdogChoice::itco_pch:
            // The register sequences are in the core (amd_fch.hpp, pch_tco.hpp); the PCI
            // probes are not wired yet, and the config parser refuses both spellings.
            console_logf("WARNING: this watchdog is not supported by this loader yet");
            return kNoWatchdog;
        case WatchdogChoice::auto_detect:
            break;
    }
    // `watchdog auto`: the drivers auto may pick, in the table's probe order.
    constexpr size_t kDrivers = sizeof(kWatchdogDrivers) / sizeof(kWatchdogDrivers[0]);
    for (uint8_t order = 0; order < kDrivers; ++order) {
        for (const WatchdogDriverFacts& f : kWatchdogDrivers) {
            if (f.probe_order != order || !f.picked_by_auto) continue;
            WatchdogProbe wd = probe_driver(f.choice, true);
            if (wd.present) return wd;
        }
    }
    return kNoWatchdog;
}

WatchdogProbe WatchdogDevice::probe_driver(WatchdogChoice choice, bool quiet_if_absent) {
    ResetCause cause = ResetCause::unknown;
    bool usable = false;
    switch (choice) {
        case WatchdogChoice::i6300esb: usable = probe_i6300esb(quiet_if_absent, cause); break;
        case WatchdogChoice::itco: usable = probe_itco(cause); break;
        case WatchdogChoice::wdat: usable = probe_wdat(quiet_if_absent, cause); break;
        case WatchdogChoice::ipmi: usable = probe_ipmi(quiet_if_absent, cause); break;
        default: break;
    }
    return usable ? found(choice, cause) : kNoWatchdog;
}

bool WatchdogDevice::probe_i6300esb(bool quiet_if_absent, ResetCause& cause) {
    EFI_PCI_IO_PROTOCOL* pci = find_pci(match_i6300esb);
    if (pci == nullptr) {
        if (!quiet_if_absent) console_logf("no i6300esb (PCI 8086:25ab) found");
        return false;
    }
    PciConfigIo config(pci);
    PciBarIo mmio(pci, 0);
    Line line;
    line.append("wdboot: watchdog i6300esb");
    append_location(pci, line);
    Status s = i6300esb::enable_decoding(config);
    if (s != Status::ok) {
        line.append(": cannot enable its registers");
        return unusable(line, s);
    }
    cause = i6300esb::read_reset_cause(mmio);
    Status cleared = checked(i6300esb::clear_reset_cause(mmio), mmio);
    append_reset_cause(line, cause, cleared);
    if (i6300esb::is_locked(config)) line.append(" (LOCKED until the next reset)");
    console_line(line.c_str());
    kind_ = Kind::i6300esb;
    esb_ = pci;
    return true;
}

bool WatchdogDevice::probe_itco(ResetCause& cause) {
    EFI_PCI_IO_PROTOCOL* pci = find_pci(match_lpc);
    if (pci == nullptr) return false;
    PciConfigIo lpc(pci);
    Line line;
    line.append("wdboot: watchdog itco");
    append_location(pci, line);
    uint16_t base = 0;
    uint32_t rcba = 0;
    Status s = itco::find_tco_base(lpc, base);
    if (s == Status::ok) s = itco::find_rcba(lpc, rcba);
    if (s != Status::ok) {
        line.append(": TCO registers not found");
        return unusable(line, s);
    }
    PortIo tco(base);
    cause = itco::read_reset_cause(tco);
    Status cleared = checked(itco::clear_reset_cause(tco), tco);
    line.appendf(" (I/O 0x%04x)", base);
    append_reset_cause(line, cause, cleared);
    if (itco::is_locked(tco)) line.append(" (LOCKED until the next reset)");
    console_line(line.c_str());
    kind_ = Kind::itco;
    tco_base_ = base;
    rcba_ = rcba;
    return true;
}

bool WatchdogDevice::probe_wdat(bool quiet_if_absent, ResetCause& cause) {
    const uint64_t rsdp = acpi_rsdp();
    if (rsdp == 0) {
        if (!quiet_if_absent) console_logf("no ACPI 2.0 RSDP in the EFI configuration table: no WDAT");
        return false;
    }
    Line line;
    line.append("wdboot: watchdog wdat");
    IdentityMemory memory;
    AcpiTable table;
    Status s = find_acpi_table(memory, rsdp, "WDAT", table);
    if (s == Status::not_found) {
        if (!quiet_if_absent) console_logf("no ACPI WDAT table found");
        return false;
    }
    if (s != Status::ok) {
        // A damaged table is named even under auto: the firmware claims a watchdog.
        line.appendf(": ACPI tables unusable (%s: %s)", table.problem, to_string(s));
        console_line(line.c_str());
        return false;
    }
    line.appendf(" (ACPI table at 0x%08lx)", table.address);
    s = wdat::parse(table.data, table.length, wdat_);
    if (s != Status::ok) {
        line.appendf(": table refused: %s", wdat_.problem);
        if (wdat_.problem_entry >= 0) line.appendf(" (entry %u)", static_cast<uint32_t>(wdat_.problem_entry));
        return unusable(line, s);
    }
    s = wdat::check_arm_actions(wdat_);
    if (s != Status::ok) {
        // Without RESET, SET_COUNTDOWN_PERIOD or SET_RUNNING_STATE nothing could be armed:
        // refused here, so that auto goes on to the next driver.
        line.appendf(": table refused: %s", wdat_.problem);
        return unusable(line, s);
    }
    if (!wdat::is_enabled(wdat_)) {
        // The firmware says its watchdog hardware is not usable (WDAT Flags bit 0 clear).
        line.appendf(": the table says the watchdog is disabled (Flags 0x%02x): not used", wdat_.flags);
        console_line(line.c_str());
        return false;
    }
    PortIo io(0);
    PhysicalMmio mem(0);
    cause = wdat::read_reset_cause(wdat_, io, mem);
    Status cleared = wdat::clear_reset_cause(wdat_, io, mem);
    line.appendf(", %u ms x %u..%u", wdat_.timer_period_ms, wdat_.min_count, wdat_.max_count);
    append_reset_cause(line, cause, cleared);
    console_line(line.c_str());
    kind_ = Kind::wdat;
    return true;
}

bool WatchdogDevice::probe_ipmi(bool quiet_if_absent, ResetCause& cause) {
    Line line;
    line.append("wdboot: watchdog ipmi");
    const uint64_t entry = smbios_entry_point();
    IdentityMemory memory;
    smbios::Table table{};
    Status s = entry == 0 ? Status::not_found : smbios::read_entry_point(memory, entry, table);
    if (s != Status::ok) {
        if (quiet_if_absent && s == Status::not_found) return false;
        line.append(": no usable SMBIOS table");
        return unusable(line, s);
    }
    smbios::IpmiDevice dev{};
    s = smbios::find_ipmi_kcs(memory, table, dev);
    if (s == Status::not_found) {
        if (!quiet_if_absent) console_logf("no IPMI device (SMBIOS type 38) found");
        return false;
    }
    if (s == Status::ok && (!dev.io_space || dev.base_address > 0xFFFF)) s = Status::unsupported;
    if (s == Status::unsupported) {
        line.appendf(": SMBIOS type 38 describes a %s interface%s, only KCS in I/O space is supported",
                     smbios::to_string(dev.interface_type), dev.io_space ? "" : " in memory space");
        console_line(line.c_str());
        return false;
    }
    if (s != Status::ok) {
        line.append(": SMBIOS type 38 unusable");
        return unusable(line, s);
    }
    PortIo port(static_cast<uint16_t>(dev.base_address));
    StallDelay delay;
    ipmi::Kcs kcs(port, dev.register_spacing, delay);
    ipmi::DeviceId id{};
    line.appendf(" (KCS at I/O 0x%04x)", static_cast<uint32_t>(dev.base_address));
    s = ipmi::probe(kcs, id);
    if (s != Status::ok) {
        line.append(": the BMC does not answer");
        return unusable(line, s);
    }
    cause = ipmi::read_reset_cause(kcs);
    Status cleared = ipmi::clear_reset_cause(kcs);
    // IPMI version: BCD, major in bits 3:0, minor in bits 7:4 (IPMI v2.0, 20.1: 02h is 2.0).
    line.appendf(", BMC IPMI %u.%u", id.ipmi_version & 0xF, id.ipmi_version >> 4);
    append_reset_cause(line, cause, cleared);
    console_line(line.c_str());
    kind_ = Kind::ipmi;
    kcs_base_ = static_cast<uint16_t>(dev.base_address);
    kcs_spacing_ = dev.register_spacing;
    return true;
}

void WatchdogDevice::log_failover(uint8_t failed_slot, uint8_t next_slot) {
    if (kind_ != Kind::ipmi) return;
    PortIo port(kcs_base_);
    StallDelay delay;
    ipmi::Kcs kcs(port, kcs_spacing_, delay);
    uint16_t record = 0;
    Status s = ipmi::add_sel_event(kcs, failed_slot, next_slot, record);
    if (s == Status::ok) {
        console_logf("BMC event log: failover recorded (SEL record 0x%04x)", record);
    } else {
        console_logf("WARNING: the failover could not be added to the BMC's event log (%s)", to_string(s));
    }
}

Status WatchdogDevice::arm(uint32_t timeout_s) {
    Status s = Status::not_found;
    if (kind_ == Kind::i6300esb) {
        PciConfigIo config(esb_);
        PciBarIo mmio(esb_, 0);
        s = checked(i6300esb::arm(config, mmio, timeout_s * 1000u), config, mmio);
    } else if (kind_ == Kind::itco) {
        PortIo tco(tco_base_);
        PhysicalMmio rcrb(rcba_);
        s = checked(itco::arm(tco, rcrb, timeout_s * 1000u), tco, rcrb);
    } else if (kind_ == Kind::wdat) {
        PortIo io(0);
        PhysicalMmio mem(0);
        s = wdat::arm(wdat_, io, mem, timeout_s * 1000u);
    } else if (kind_ == Kind::ipmi) {
        PortIo port(kcs_base_);
        StallDelay delay;
        ipmi::Kcs kcs(port, kcs_spacing_, delay);
        s = ipmi::arm(kcs, timeout_s * 1000u);
    }
    armed_ = s == Status::ok;
    return s;
}

void WatchdogDevice::disarm() {
    if (!armed_) return;
    Status s = Status::not_found;
    if (kind_ == Kind::i6300esb) {
        PciConfigIo config(esb_);
        PciBarIo mmio(esb_, 0);
        s = checked(i6300esb::disarm(config, mmio), config, mmio);
    } else if (kind_ == Kind::itco) {
        PortIo tco(tco_base_);
        PhysicalMmio rcrb(rcba_);
        s = checked(itco::disarm(tco, rcrb), tco, rcrb);
    } else if (kind_ == Kind::wdat) {
        PortIo io(0);
        PhysicalMmio mem(0);
        s = wdat::disarm(wdat_, io, mem);
    } else if (kind_ == Kind::ipmi) {
        PortIo port(kcs_base_);
        StallDelay delay;
        ipmi::Kcs kcs(port, kcs_spacing_, delay);
        s = ipmi::disarm(kcs);
    }
    armed_ = false;
    if (s != Status::ok) {
        console_logf("WARNING: could not stop the watchdog (%s)", to_string(s));
    }
}

}  // namespace wdboot::efi
