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

// The kernel arguments come from the core's driver table, which the config checks read
// too: a slot whose options leave no room for them is refused when the config is parsed.
const char* kernel_args(WatchdogChoice c) {
    const WatchdogDriverFacts* f = watchdog_driver(c);
    return f != nullptr ? f->kernel_args : "";
}

using Line = TextBuffer<200>;

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
            return probe_i6300esb(false);
        case WatchdogChoice::itco:
            return probe_itco();
        case WatchdogChoice::wdat:
            console_line("wdboot: WARNING: watchdog wdat is not supported by this loader yet");
            return kNoWatchdog;
        case WatchdogChoice::auto_detect:
            break;
    }
    WatchdogProbe wd = probe_i6300esb(true);
    if (wd.present) return wd;
    return probe_itco();
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
    i6300esb::clear_reset_flag(mmio);
    line.append(", last reset: ").append(to_string(cause));
    if (i6300esb::is_locked(config)) line.append(" (LOCKED until the next reset)");
    console_line(line.c_str());
    kind_ = Kind::i6300esb;
    esb_ = pci;
    return {true, "i6300esb", cause, kernel_args(WatchdogChoice::i6300esb)};
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
    Status cleared = itco::clear_reset_status(tco);
    line.append(" (I/O 0x").append_hex(base, 4).append("), last reset: ").append(to_string(cause));
    if (cleared != Status::ok) line.append(" (status not cleared: ").append(to_string(cleared)).append(")");
    if (itco::is_locked(tco)) line.append(" (LOCKED until the next reset)");
    console_line(line.c_str());
    kind_ = Kind::itco;
    tco_base_ = base;
    rcba_ = rcba;
    return {true, "itco", cause, kernel_args(WatchdogChoice::itco)};
}

Status WatchdogDevice::arm(uint32_t timeout_s) {
    Status s = Status::not_found;
    if (kind_ == Kind::i6300esb) {
        PciConfigIo config(esb_);
        PciBarIo mmio(esb_, 0);
        s = i6300esb::arm(config, mmio, timeout_s * 1000u);
        if (s == Status::ok && (config.errors() != 0 || mmio.errors() != 0)) s = Status::io_error;
    } else if (kind_ == Kind::itco) {
        PortIo tco(tco_base_);
        PhysicalMmio rcrb(rcba_);
        s = itco::arm(tco, rcrb, timeout_s * 1000u);
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
        s = i6300esb::disarm(config, mmio);
    } else if (kind_ == Kind::itco) {
        PortIo tco(tco_base_);
        PhysicalMmio rcrb(rcba_);
        s = itco::disarm(tco, rcrb);
    }
    armed_ = false;
    if (s != Status::ok) {
        Line line;
        line.append("wdboot: WARNING: could not stop the watchdog (").append(to_string(s)).append(")");
        console_line(line.c_str());
    }
}

}  // namespace wdboot::efi
