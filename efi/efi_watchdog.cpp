#include "efi_watchdog.hpp"

#include "efi_text.hpp"
#include "pci_register_io.hpp"
#include "wdboot/i6300esb.hpp"
#include "wdboot/text.hpp"

namespace wdboot::efi {

namespace {

constexpr WatchdogProbe kNoWatchdog = {false, "none", ResetCause::unknown, ""};

// The Linux i6300esb driver stops a running timer when it probes (6.1 and mainline),
// so it must not load before the agent has blessed the boot (docs/watchdogs.md).
constexpr char kI6300esbKernelArgs[] = "modprobe.blacklist=i6300esb";

void log_location(EFI_PCI_IO_PROTOCOL* pci, TextBuffer<200>& line) {
    UINTN seg = 0, bus = 0, dev = 0, fn = 0;
    if (EFI_ERROR(pci->GetLocation(pci, &seg, &bus, &dev, &fn))) return;
    line.append(" at PCI ").append_hex(seg, 4).append_char(':').append_hex(bus, 2).append_char(':');
    line.append_hex(dev, 2).append_char('.').append_hex(fn, 1);
}

}  // namespace

EFI_PCI_IO_PROTOCOL* WatchdogDevice::find_i6300esb() {
    EFI_GUID pci_guid = EFI_PCI_IO_PROTOCOL_GUID;
    UINTN count = 0;
    EFI_HANDLE* handles = nullptr;
    if (EFI_ERROR(BS->LocateHandleBuffer(ByProtocol, &pci_guid, nullptr, &count, &handles))) return nullptr;
    EFI_PCI_IO_PROTOCOL* found = nullptr;
    for (UINTN i = 0; i < count && found == nullptr; ++i) {
        EFI_PCI_IO_PROTOCOL* pci = nullptr;
        if (EFI_ERROR(BS->HandleProtocol(handles[i], &pci_guid, reinterpret_cast<void**>(&pci)))) continue;
        PciConfigIo config(pci);
        if (i6300esb::is_i6300esb(config)) found = pci;
    }
    BS->FreePool(handles);
    return found;
}

WatchdogProbe WatchdogDevice::probe(const Config& cfg) {
    esb_ = nullptr;
    switch (cfg.watchdog) {
        case WatchdogChoice::none:
            console_line("wdboot: watchdog none (configured): the hardware watchdog is not used");
            return kNoWatchdog;
        case WatchdogChoice::itco:
        case WatchdogChoice::wdat: {
            TextBuffer<200> line;
            line.append("wdboot: WARNING: watchdog ").append(to_string(cfg.watchdog));
            line.append(" is not supported by this loader yet");
            console_line(line.c_str());
            return kNoWatchdog;
        }
        case WatchdogChoice::auto_detect:
        case WatchdogChoice::i6300esb:
            break;
    }

    EFI_PCI_IO_PROTOCOL* pci = find_i6300esb();
    if (pci == nullptr) return kNoWatchdog;
    PciConfigIo config(pci);
    PciBarIo mmio(pci, 0);
    Status s = i6300esb::enable_decoding(config);
    TextBuffer<200> line;
    line.append("wdboot: watchdog i6300esb");
    log_location(pci, line);
    if (s != Status::ok) {
        line.append(": cannot enable its registers (").append(to_string(s)).append(")");
        console_line(line.c_str());
        return kNoWatchdog;
    }
    ResetCause cause = i6300esb::read_reset_cause(mmio);
    i6300esb::clear_reset_flag(mmio);
    line.append(", last reset: ").append(to_string(cause));
    if (i6300esb::is_locked(config)) line.append(" (LOCKED: cannot be reprogrammed before a reset)");
    console_line(line.c_str());
    esb_ = pci;
    return {true, "i6300esb", cause, kI6300esbKernelArgs};
}

Status WatchdogDevice::arm(uint32_t timeout_s) {
    if (esb_ == nullptr) return Status::not_found;
    PciConfigIo config(esb_);
    PciBarIo mmio(esb_, 0);
    Status s = i6300esb::arm(config, mmio, timeout_s * 1000u);
    if (s == Status::ok && (config.errors() != 0 || mmio.errors() != 0)) s = Status::io_error;
    armed_ = s == Status::ok;
    return s;
}

void WatchdogDevice::disarm() {
    if (!armed_ || esb_ == nullptr) return;
    PciConfigIo config(esb_);
    PciBarIo mmio(esb_, 0);
    Status s = i6300esb::disarm(config, mmio);
    armed_ = false;
    if (s != Status::ok) {
        TextBuffer<200> line;
        line.append("wdboot: WARNING: could not stop the i6300esb (").append(to_string(s)).append(")");
        console_line(line.c_str());
    }
}

}  // namespace wdboot::efi
