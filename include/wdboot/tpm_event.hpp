// TPM 2.0 measurements: which PCR and event type wdboot uses for what it cannot verify,
// and the EFI_TCG2_EVENT it hands to EFI_TCG2_PROTOCOL.HashLogExtendEvent (TCG EFI
// Protocol Specification, family 2.0, section 6.6). Portable core: builds bytes into a
// caller's buffer, no firmware call, no heap. The loader's TpmMeasurer
// (efi/tpm_measure.hpp) is the only caller in the EFI image; docs/secure-boot.md, "TPM measurements" says what is
// measured when.
//
// Why these PCRs (the choices of systemd-stub/systemd-boot and of Linux, so that tools
// that predict or check PCRs on such systems read wdboot's events the same way):
// - kPcrKernelCommandLine = 12: systemd-stub and systemd-boot measure the kernel command
//   line they pass (taken from the load options) into PCR 12, "kernel-config" in the
//   UAPI Linux TPM PCR Registry.
// - kPcrInitrd = 9: Linux's EFI stub measures the initrd it receives through LoadFile2
//   into PCR 9 ("Linux initrd"), and GRUB measures the files it reads (kernel, initrds)
//   into PCR 9: PCR 9 is where a verifier expects initrd contents.
// - kPcrBootManagerConfig = 5: the TCG PC Client Platform Firmware Profile assigns PCR 5
//   to the boot manager's configuration and data; systemd-boot measures loader.conf
//   there.
// Event type EV_IPL for all three, as systemd-stub uses for its command-line events
// (the event log is an interface: a new event type would be one more thing for
// verifiers to learn).
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace wdboot {

inline constexpr uint32_t kPcrBootManagerConfig = 5;  // wdboot.conf as read
inline constexpr uint32_t kPcrInitrd = 9;             // each initrd file served
inline constexpr uint32_t kPcrKernelCommandLine = 12; // the command line given to an image
inline constexpr uint32_t kMaxPcrIndex = 23;          // PCRs 0..23 (PC Client profile)

// TCG PC Client Platform Firmware Profile, event types.
inline constexpr uint32_t kEvIpl = 0x0000000D;

// EFI_TCG2_EVENT (packed, little-endian):
//   UINT32 Size                 whole event: 4 + HeaderSize + event data
//   EFI_TCG2_EVENT_HEADER {     HeaderSize bytes
//     UINT32 HeaderSize         = 14
//     UINT16 HeaderVersion      = 1
//     UINT32 PCRIndex
//     UINT32 EventType }
//   UINT8 Event[]               event data: here the description, NUL-terminated
inline constexpr uint32_t kTcg2EventHeaderSize = 14;
inline constexpr uint16_t kTcg2EventHeaderVersion = 1;
inline constexpr size_t kTcg2EventFixedBytes = 4 + kTcg2EventHeaderSize;  // offset of Event[]

// Longest description, its NUL included, in characters: a whole kernel command line
// (kOptionsMax) fits, since systemd-stub logs the command line itself as the event data.
inline constexpr size_t kMaxEventDescriptionChars = 1024;
// A buffer this large holds any event build_tcg2_event accepts (UTF-16 description).
inline constexpr size_t kMaxTcg2EventBytes = kTcg2EventFixedBytes + 2 * kMaxEventDescriptionChars;

// How the description is stored as event data. systemd-stub and systemd-boot write
// UTF-16LE (what the firmware's own EFI strings are); GRUB and Linux's stub write ASCII.
// Either way the terminating NUL is part of the event data, as all of them do.
enum class EventText : uint8_t { ascii, utf16le };

enum class [[nodiscard]] Tcg2EventStatus : uint8_t {
    ok = 0,
    buffer_too_small,      // the event does not fit in the caller's buffer
    description_too_long,  // more than kMaxEventDescriptionChars - 1 characters
    bad_description,       // null, or a character outside printable ASCII and tab
    bad_pcr_index,         // above kMaxPcrIndex
};
const char* to_string(Tcg2EventStatus s);

// Writes the EFI_TCG2_EVENT for one measurement into out[0..cap) and its size into
// `size` (0 on error; `out` is then left unchanged). `description`: NUL-terminated
// printable ASCII (a file's ESP path, a command line), stored per `text`.
Tcg2EventStatus build_tcg2_event(uint32_t pcr, uint32_t event_type, const char* description, EventText text,
                                 uint8_t* out, size_t cap, size_t& size);

// The same with a UCS-2 description (e.g. the load options as set on an image, so that
// the event data is the command line the kernel sees, as systemd-stub logs it).
// Takes units[0..count) up to the first NUL; stores them as UTF-16LE with one NUL.
// Every unit is accepted: it is logged, not interpreted.
Tcg2EventStatus build_tcg2_event_ucs2(uint32_t pcr, uint32_t event_type, const uint16_t* units, size_t count,
                                      uint8_t* out, size_t cap, size_t& size);

}  // namespace wdboot
