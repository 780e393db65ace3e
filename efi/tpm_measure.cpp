#include "tpm_measure.hpp"

#include "efi_guid.hpp"
#include "efi_text.hpp"
#include "wdboot/text.hpp"
#include "wdboot/tpm_event.hpp"

namespace wdboot::efi {

namespace {

constexpr EFI_GUID kTcg2ProtocolGuid = guid_from_text(kTcg2ProtocolGuidText);

// The specification's layout on x86_64: GetCapability fills fields up to the Size we
// give, so a wrong size would make it read TPMPresentFlag from the wrong place.
static_assert(sizeof(Tcg2BootServiceCapability) == 36);
static_assert(__builtin_offsetof(Tcg2BootServiceCapability, TPMPresentFlag) == 16);
static_assert(__builtin_offsetof(Tcg2Protocol, HashLogExtendEvent) == 2 * sizeof(void*));

// Static, not on the stack: an event may be 2 KiB (a whole command line as UTF-16) and
// the firmware's stack is small. Boot services are single-threaded, and the firmware
// copies the event into its log before HashLogExtendEvent returns.
alignas(8) uint8_t g_event[kMaxTcg2EventBytes];

constinit TpmMeasurer g_measurer;

// Log lines show the PCR and what was measured, cut to a console line.
constexpr size_t kLine = 200;

void log_failure(uint32_t pcr, const char* what, const char* why) {
    console_logf("WARNING: not measured into PCR %u (%s): %s; booting on", pcr, what, why);
}

}  // namespace

TpmMeasurer& tpm_measurer() { return g_measurer; }

bool TpmMeasurer::present() {
    if (state_ != State::unknown) return state_ == State::present;
    state_ = State::absent;
    void* found = nullptr;
    if (BS->LocateProtocol(guid_arg(kTcg2ProtocolGuid), nullptr, &found) != EFI_SUCCESS || found == nullptr)
        return false;
    auto* tcg2 = static_cast<Tcg2Protocol*>(found);
    Tcg2BootServiceCapability cap{};
    cap.Size = sizeof(cap);
    EFI_STATUS s = tcg2->GetCapability(tcg2, &cap);
    if (EFI_ERROR(s)) {
        console_logf("TPM: GetCapability failed: %s; measuring nothing", status_name(s));
        said_absent_ = true;
        return false;
    }
    if (!cap.TPMPresentFlag) return false;
    tcg2_ = tcg2;
    state_ = State::present;
    return true;
}

EFI_STATUS TpmMeasurer::measure(uint32_t pcr, const void* data, size_t bytes, const char* description_ascii,
                                bool utf16_description) {
    if (!present()) return report_absent();
    const char* what = description_ascii != nullptr ? description_ascii : "no description";
    size_t size = 0;
    Tcg2EventStatus e = build_tcg2_event(pcr, kEvIpl, description_ascii,
                                         utf16_description ? EventText::utf16le : EventText::ascii, g_event,
                                         sizeof(g_event), size);
    if (e != Tcg2EventStatus::ok) {
        log_failure(pcr, what, to_string(e));
        return EFI_INVALID_PARAMETER;
    }
    return extend(pcr, data, bytes, what);
}

EFI_STATUS TpmMeasurer::measure_ucs2(uint32_t pcr, const void* data, size_t bytes, const CHAR16* description,
                                     size_t units) {
    if (!present()) return report_absent();
    // The description may be a whole command line: log lines name it by its start.
    char what[48] = "no description";
    if (description != nullptr && !ucs2_to_ascii(description, units, what, sizeof(what)))
        (void)text_copy(what + sizeof(what) - 4, 4, "...");
    size_t size = 0;
    Tcg2EventStatus e = build_tcg2_event_ucs2(pcr, kEvIpl, reinterpret_cast<const uint16_t*>(description), units,
                                              g_event, sizeof(g_event), size);
    if (e != Tcg2EventStatus::ok) {
        log_failure(pcr, what, to_string(e));
        return EFI_INVALID_PARAMETER;
    }
    return extend(pcr, data, bytes, what);
}

EFI_STATUS TpmMeasurer::report_absent() {
    if (!said_absent_) {
        said_absent_ = true;
        console_logf("no TPM 2.0 (no EFI_TCG2_PROTOCOL, or TPMPresentFlag is 0): nothing is measured");
    }
    return EFI_UNSUPPORTED;
}

EFI_STATUS TpmMeasurer::extend(uint32_t pcr, const void* data, size_t bytes, const char* what) {
    // A null pointer with a length would hash whatever lies at address 0.
    if (data == nullptr && bytes != 0) {
        log_failure(pcr, what, "no data");
        return EFI_INVALID_PARAMETER;
    }
    // Flags 0: extend and log (neither EFI_TCG2_EXTEND_ONLY nor PE_COFF_IMAGE). The
    // event in g_event already names the PCR.
    EFI_STATUS s = tcg2_->HashLogExtendEvent(tcg2_, 0, reinterpret_cast<EFI_PHYSICAL_ADDRESS>(data), bytes, g_event);
    if (s == EFI_VOLUME_FULL) {
        // Section 6.6: the PCR was extended, only the log entry is missing.
        console_logf("WARNING: measured into PCR %u (%s) but the TPM event log is full", pcr, what);
    } else if (EFI_ERROR(s)) {
        log_failure(pcr, what, status_name(s));
    }
    return s;
}

}  // namespace wdboot::efi
