#include "efi_watchdog.hpp"

#include "efi_text.hpp"
#include "pci_register_io.hpp"
#include "wdboot/i6300esb.hpp"
#include "wdboot/itco.hpp"
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
    line.append(" at PCI ").append_hex(seg, 4).append_char(':').append_hex(bus, 2).append_char(':');
    line.append_hex(dev, 2).append_char('.').append_hex(fn, 1);
}

// The first PCI function whose configuration space `match` accepts.
EFI_PCI_IO_PROTOCOL* find_pci(bool (*match)(RegisterIo&)) {
    EFI_GUID pci_guid = EFI_PCI_IO_PROTOCOL_GUID;
    UINTN count = 0;
    EFI_HANDLE* handles = nullptr;
    if (EFI_ERROR(BS->LocateHandleBuffer(ByProtocol, &pci_guid, nullptr, &count, &handles))) return nullptr;
    EFI_PCI_IO_PROTOCOL* found = nullptr;
    for (UINTN i = 0; i < count && found == nullptr; ++i) {
        EFI_PCI_IO_PROTOCOL* pci = nullptr;
        if (EFI_ERROR(BS->HandleProtocol(handles[i], &pci_guid, reinterpret_cast<void**>(&pci)))) continue;
        PciConfigIo config(pci);
        if (match(config)) found = pci;
    }
    BS->FreePool(handles);
    return found;
}

bool match_i6300esb(RegisterIo& config) { return i6300esb::is_i6300esb(config); }
bool match_lpc(RegisterIo& config) { return itco::is_intel_lpc(config); }

}  // namespace

WatchdogProbe WatchdogDevice::probe(const Config& cfg) {
    kind_ = Kind::none;
    switch (cfg.watchdog) {
        case WatchdogChoice::none:
            console_line("wdboot: watchdog none (configured): the hardware watchdog is not used");
            return kNoWatchdog;
        case WatchdogChoice::i6300esb:
        case WatchdogChoice::itco:
            return probe_driver(cfg.watchdog, false);
        case WatchdogChoice::wdat:
            console_line("wdboot: WARNING: watchdog wdat is not supported by this loader yet");
            return kNoWatchdog;
        case WatchdogChoice::amd_fch:
        case WatchdogChoice::itco_pch:
            // The register sequences are in the core (amd_fch.hpp, pch_tco.hpp); the PCI
            // probes are not wired yet, and the config parser refuses both spellings.
            console_line("wdboot: WARNING: this watchdog is not supported by this loader yet");
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
    switch (choice) {
        case WatchdogChoice::i6300esb: return probe_i6300esb(quiet_if_absent);
        case WatchdogChoice::itco: return probe_itco();
        default: return kNoWatchdog;
    }
}

WatchdogProbe WatchdogDevice::probe_i6300esb(bool quiet_if_absent) {
    EFI_PCI_IO_PROTOCOL* pci = find_pci(match_i6300esb);
    if (pci == nullptr) {
        if (!quiet_if_absent) console_line("wdboot: no i6300esb (PCI 8086:25ab) found");
        return kNoWatchdog;
    }
    PciConfigIo config(pci);
    PciBarIo mmio(pci, 0);
    Line line;
    line.append("wdboot: watchdog i6300esb");
    append_location(pci, line);
    Status s = i6300esb::enable_decoding(config);
    if (s != Status::ok) {
        line.append(": cannot enable its registers (").append(to_string(s)).append(")");
        console_line(line.c_str());
        return kNoWatchdog;
    }
    ResetCause cause = i6300esb::read_reset_cause(mmio);
    Status cleared = checked(i6300esb::clear_reset_cause(mmio), mmio);
    line.append(", last reset: ").append(to_string(cause));
    if (cleared != Status::ok) line.append(" (status not cleared: ").append(to_string(cleared)).append(")");
    if (i6300esb::is_locked(config)) line.append(" (LOCKED until the next reset)");
    console_line(line.c_str());
    kind_ = Kind::i6300esb;
    esb_ = pci;
    return found(WatchdogChoice::i6300esb, cause);
}

WatchdogProbe WatchdogDevice::probe_itco() {
    EFI_PCI_IO_PROTOCOL* pci = find_pci(match_lpc);
    if (pci == nullptr) return kNoWatchdog;
    PciConfigIo lpc(pci);
    Line line;
    line.append("wdboot: watchdog itco");
    append_location(pci, line);
    uint16_t base = 0;
    uint32_t rcba = 0;
    Status s = itco::find_tco_base(lpc, base);
    if (s == Status::ok) s = itco::find_rcba(lpc, rcba);
    if (s != Status::ok) {
        line.append(": TCO registers not found (").append(to_string(s)).append(")");
        console_line(line.c_str());
        return kNoWatchdog;
    }
    PortIo tco(base);
    ResetCause cause = itco::read_reset_cause(tco);
    Status cleared = checked(itco::clear_reset_cause(tco), tco);
    line.append(" (I/O 0x").append_hex(base, 4).append("), last reset: ").append(to_string(cause));
    if (cleared != Status::ok) line.append(" (status not cleared: ").append(to_string(cleared)).append(")");
    if (itco::is_locked(tco)) line.append(" (LOCKED until the next reset)");
    console_line(line.c_str());
    kind_ = Kind::itco;
    tco_base_ = base;
    rcba_ = rcba;
    return found(WatchdogChoice::itco, cause);
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
    }
    armed_ = false;
    if (s != Status::ok) {
        Line line;
        line.append("wdboot: WARNING: could not stop the watchdog (").append(to_string(s)).append(")");
        console_line(line.c_str());
    }
}

}  // namespace wdboot::efi
