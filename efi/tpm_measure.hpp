// Measured boot: extends a TPM 2.0 PCR with what wdboot hands on but cannot verify
// under Secure Boot (wdboot.conf, the command line it gives an image, the initrds it
// serves) and logs each event in the firmware's TCG event log, through
// EFI_TCG2_PROTOCOL.HashLogExtendEvent (TCG EFI Protocol Specification, family 2.0,
// section 6.6). Which PCR and event for what: wdboot/tpm_event.hpp; the whole picture:
// docs/secure-boot.md, "TPM measurements".
//
// Measuring is best effort. A boot is never stopped, delayed or counted as failed
// because a TPM call failed: without a TPM (no protocol, or GetCapability says
// TPMPresentFlag = FALSE) nothing is measured and the console says so once; a failing
// HashLogExtendEvent is logged on the console and the boot goes on. What the
// measurements protect (secrets sealed to PCRs) is then not unsealed by the OS, which
// is the TPM's way of refusing; refusing to boot would break the never-stuck rule for
// a machine that may not even use sealed secrets. Callers ignore measure()'s result
// except to log or test it.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "efi_api.hpp"

namespace wdboot::efi {

// EFI_TCG2_PROTOCOL, declared here because gnu-efi 3.0.15 (Debian 12) does not define
// it. Layout and GUID from the TCG EFI Protocol Specification (family 2.0, revision
// 00.13, section 6) as edk2 declares them in MdePkg/Include/Protocol/Tcg2Protocol.h.
struct Tcg2Version {
    UINT8 Major;
    UINT8 Minor;
};

// EFI_TCG2_BOOT_SERVICE_CAPABILITY: natural alignment (not packed, unlike the event).
struct Tcg2BootServiceCapability {
    UINT8 Size;
    Tcg2Version StructureVersion;
    Tcg2Version ProtocolVersion;
    UINT32 HashAlgorithmBitmap;
    UINT32 SupportedEventLogs;
    BOOLEAN TPMPresentFlag;
    UINT16 MaxCommandSize;
    UINT16 MaxResponseSize;
    UINT32 ManufacturerID;
    UINT32 NumberOfPcrBanks;
    UINT32 ActivePcrBanks;
};

struct Tcg2Protocol;
using Tcg2GetCapability = EFI_STATUS(EFIAPI*)(Tcg2Protocol* self, Tcg2BootServiceCapability* capability);
// DataToHash is a physical address; boot services run identity-mapped, so it is the
// pointer's value. EfiTcgEvent points at a packed EFI_TCG2_EVENT (wdboot/tpm_event.hpp).
using Tcg2HashLogExtendEvent = EFI_STATUS(EFIAPI*)(Tcg2Protocol* self, UINT64 flags, EFI_PHYSICAL_ADDRESS data,
                                                   UINT64 data_len, void* event);

// The function table in its specified order; wdboot calls only the two it types.
struct Tcg2Protocol {
    Tcg2GetCapability GetCapability;
    void* GetEventLog;
    Tcg2HashLogExtendEvent HashLogExtendEvent;
    void* SubmitCommand;
    void* GetActivePcrBanks;
    void* SetActivePcrBanks;
    void* GetResultOfSetActivePcrBanks;
};

// EFI_TCG2_PROTOCOL_GUID.
inline constexpr char kTcg2ProtocolGuidText[] = "607f766c-7455-42be-930b-e4d76db2720f";

// One per loader (tpm_measurer()); looks the protocol up on first use and remembers
// the answer for the rest of the boot.
class TpmMeasurer {
public:
    constexpr TpmMeasurer() = default;

    // True when EFI_TCG2_PROTOCOL is installed and GetCapability succeeds with
    // TPMPresentFlag set. The first call asks the firmware; later calls do not.
    bool present();

    // Extends `pcr` with the digests (every active bank) of data[0..bytes) and logs an
    // EV_IPL event whose data is `description` (printable ASCII), as UTF-16LE when
    // `utf16_description` (systemd's habit) else ASCII, NUL included.
    // Returns EFI_SUCCESS when measured; EFI_UNSUPPORTED when there is no TPM (said
    // once on the console); any other status is a failure already logged on the
    // console (including EFI_VOLUME_FULL: extended, but the event log is full).
    // Never stops the boot: callers may ignore the result.
    EFI_STATUS measure(uint32_t pcr, const void* data, size_t bytes, const char* description_ascii,
                       bool utf16_description);

    // The same with a UCS-2 description of `units` units (up to the first NUL), logged
    // as is: for the command line, whose event data is the command line itself.
    EFI_STATUS measure_ucs2(uint32_t pcr, const void* data, size_t bytes, const CHAR16* description, size_t units);

private:
    enum class State : uint8_t { unknown, absent, present };

    // Says once that there is no TPM; EFI_UNSUPPORTED.
    EFI_STATUS report_absent();
    // Calls HashLogExtendEvent with the event built in the static buffer and logs a
    // failure naming `what`.
    EFI_STATUS extend(uint32_t pcr, const void* data, size_t bytes, const char* what);

    State state_ = State::unknown;
    bool said_absent_ = false;
    Tcg2Protocol* tcg2_ = nullptr;
};

// The loader's single measurer (constinit: no constructor has to run).
TpmMeasurer& tpm_measurer();

}  // namespace wdboot::efi
