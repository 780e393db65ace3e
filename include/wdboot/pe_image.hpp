// What kind of image a slot starts, read from its PE/COFF headers, and the command line
// it is given. Portable core: the loader inspects the image LoadImage put in memory
// (EFI_LOADED_IMAGE.ImageBase/ImageSize, sections at their RVAs), the agent inspects the
// file before `add-slot` copies it (sections at their file offsets).
//
// Sources of the facts:
// - PE/COFF: Microsoft PE Format specification: "MZ" at 0, e_lfanew (u32) at 0x3C,
//   "PE\0\0", the COFF header (NumberOfSections u16 at +6, SizeOfOptionalHeader u16 at
//   +20), the optional header (SizeOfHeaders u32 at +60 of it), then 40-byte section
//   headers (Name[8], VirtualSize, VirtualAddress, SizeOfRawData, PointerToRawData).
// - Linux kernel with an EFI stub: the x86 boot protocol header magic "HdrS" at file
//   offset 0x202 (Linux Documentation/arch/x86/boot.rst), inside the PE headers that
//   LoadImage copies (SizeOfHeaders is 0x1000 on Debian 12's 6.1 kernels).
// - Unified kernel image: a PE with a ".linux" section holding the kernel, and an
//   optional ".cmdline" section with its command line (systemd-stub(7), UAPI.5 Unified
//   Kernel Image specification). systemd-stub 252 (Debian 12) replaces the embedded
//   command line by the load options when Secure Boot is off or the image has none, and
//   ignores the load options when Secure Boot is on and the image has one.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "wdboot/config.hpp"

namespace wdboot {

enum class PeLayout : uint8_t {
    file,    // as stored: a section's bytes are at PointerToRawData
    loaded,  // as LoadImage placed it: a section's bytes are at VirtualAddress
};

enum class PeImageType : uint8_t {
    linux_kernel,     // a Linux kernel with its EFI stub (bzImage, "HdrS")
    unified_kernel,   // a UKI: ".linux" section, maybe ".cmdline"
    efi_application,  // any other PE: a boot loader, shim, a shell, a tool
};

enum class PeError : uint8_t {
    ok,
    too_small,         // shorter than the DOS header
    no_mz,             // does not start with "MZ"
    bad_pe_offset,     // e_lfanew points outside the image
    no_pe_signature,   // no "PE\0\0" at e_lfanew
    sections_outside,  // the section table runs past the image
    cmdline_outside,   // the .cmdline section's bytes run past the image
};
const char* to_string(PeError e);
const char* to_string(PeImageType t);

struct PeImageInfo {
    PeImageType type = PeImageType::efi_application;
    // A UKI's embedded command line: not NUL-terminated, trailing NULs and white space
    // (ukify and objcopy leave a newline) already cut. Points into the inspected bytes.
    const char* embedded_cmdline = nullptr;
    size_t embedded_length = 0;
    bool has_cmdline_section = false;
    // The .cmdline section's own size (VirtualSize), before anything is cut. systemd-stub
    // 252 counts a section of any non-zero size as an embedded command line, even one of
    // blanks or NULs: under Secure Boot it then ignores the load options.
    size_t cmdline_section_bytes = 0;
};

// Reads the headers of `size` bytes at `image` laid out as `layout`. On an error `out`
// keeps type efi_application and no command line.
PeError inspect_pe_image(const uint8_t* image, size_t size, PeLayout layout, PeImageInfo& out);

// The pieces of a slot's command line that wdboot knows before the image is loaded.
struct CommandLineParts {
    const char* options;        // the slot's `options` (may be empty)
    const char* watchdog_args;  // the armed driver's kernel arguments (may be empty)
    const char* panic_arg = ""; // panic_argument(): `panic=N`, or empty
};

// What the image is given, and what the console says about it.
struct ComposedCommandLine {
    bool fits = true;                  // false: longer than kOptionsMax - 1 (nothing is booted)
    // A UKI's embedded command line has a byte above 0x7F: load options are UCS-2 of
    // ASCII here, and a changed character could change what boots (nothing is booted).
    bool embedded_not_ascii = false;
    bool embedded_kept = false;        // a UKI's .cmdline is in front
    bool watchdog_args_passed = false; // the watchdog's arguments are in the result
    // panic=N is in the result. Not when the embedded text or the options set panic=
    // themselves, nor when it would leave no room for the watchdog's arguments.
    bool panic_arg_passed = false;
    // Secure Boot is on and the UKI has a non-empty .cmdline section (cmdline_section_bytes):
    // systemd-stub ignores the load options, so only what is embedded reaches the kernel.
    bool stub_ignores_options = false;
    // ...and the embedded command line lacks the watchdog's arguments (the kernel's
    // driver may then stop or take over the timer before the agent can bless the boot).
    bool embedded_lacks_watchdog_args = false;
};

// The load options of a `linux` or `efi` slot's image, by what it is:
// - a Linux kernel (or any image under `linux`): options, then panic=N, then the
//   watchdog's arguments;
// - a UKI: its embedded command line, then options, then the watchdog's arguments (the
//   embedded `root=` and the rest stay: without Secure Boot the stub uses the load
//   options instead of what is embedded);
// - another EFI application (shim, GRUB, a shell): options only. It is not a kernel, the
//   watchdog's arguments mean nothing to it and shim would take them for a file name;
//   the OS it starts has to keep its watchdog driver from loading (docs/watchdogs.md).
// `entry_has_text`: a `bootentry` slot whose entry carries text of its own; that text
// (which the caller puts in front of the result) takes the place of a UKI's embedded
// command line, as it would if the firmware started the entry itself.
ComposedCommandLine compose_command_line(ImageKind declared, const PeImageInfo& image, bool entry_has_text,
                                         const CommandLineParts& parts, bool secure_boot,
                                         char (&out)[kOptionsMax]);

// True when a word of the n bytes of `cmdline` starts with `key` (e.g. "panic=").
bool command_line_sets(const char* cmdline, size_t n, const char* key);

// True when `args` (space-separated words) all occur as whole words in the n bytes of
// `cmdline`.
bool command_line_has_words(const char* cmdline, size_t n, const char* args);

}  // namespace wdboot
