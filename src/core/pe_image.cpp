#include "wdboot/pe_image.hpp"

#include "wdboot/little_endian.hpp"

#include "wdboot/text.hpp"

namespace wdboot {

namespace {

constexpr size_t kDosHeader = 0x40;        // through e_lfanew
constexpr size_t kCoffHeader = 24;         // "PE\0\0" + the 20-byte COFF file header
constexpr size_t kSectionHeader = 40;
constexpr uint16_t kMzSignature = 0x5A4D;      // "MZ" read as a little-endian word
constexpr uint32_t kPeSignature = 0x00004550;  // "PE\0\0" read as a little-endian word
constexpr size_t kLinuxMagicOffset = 0x202;  // x86 boot protocol
constexpr uint32_t kLinuxMagic = 0x53726448;   // "HdrS" read as a little-endian word

bool section_named(const uint8_t* header, const char* name) {
    size_t n = text_length(name);
    for (size_t i = 0; i < 8; ++i) {
        char want = i < n ? name[i] : '\0';
        if (static_cast<char>(header[i]) != want) return false;
    }
    return true;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

}  // namespace

const char* to_string(PeError e) {
    switch (e) {
        case PeError::ok: return "ok";
        case PeError::too_small: return "too small for a PE image";
        case PeError::no_mz: return "no MZ header";
        case PeError::bad_pe_offset: return "PE header offset outside the image";
        case PeError::no_pe_signature: return "no PE signature";
        case PeError::sections_outside: return "section table outside the image";
        case PeError::cmdline_outside: return ".cmdline section outside the image";
    }
    return "?";
}

const char* to_string(PeImageType t) {
    switch (t) {
        case PeImageType::linux_kernel: return "Linux kernel";
        case PeImageType::unified_kernel: return "unified kernel image";
        case PeImageType::efi_application: return "EFI application";
    }
    return "?";
}

PeError inspect_pe_image(const uint8_t* image, size_t size, PeLayout layout, PeImageInfo& out) {
    out = PeImageInfo{};
    if (image == nullptr || size < kDosHeader) return PeError::too_small;
    if (le16(image) != kMzSignature) return PeError::no_mz;
    uint32_t pe = le32(image + 0x3C);
    if (pe > size || size - pe < kCoffHeader) return PeError::bad_pe_offset;
    if (le32(image + pe) != kPeSignature) return PeError::no_pe_signature;
    uint16_t sections = le16(image + pe + 4 + 2);
    uint16_t optional = le16(image + pe + 4 + 16);
    size_t table = static_cast<size_t>(pe) + kCoffHeader + optional;
    size_t table_bytes = static_cast<size_t>(sections) * kSectionHeader;
    if (table > size || size - table < table_bytes) return PeError::sections_outside;

    const uint8_t* cmdline_header = nullptr;
    bool has_linux = false;
    for (size_t i = 0; i < sections; ++i) {
        const uint8_t* h = image + table + i * kSectionHeader;
        if (section_named(h, ".linux")) has_linux = true;
        if (section_named(h, ".cmdline") && cmdline_header == nullptr) cmdline_header = h;
    }

    if (has_linux) {
        out.type = PeImageType::unified_kernel;
    } else if (size >= kLinuxMagicOffset + 4 && le32(image + kLinuxMagicOffset) == kLinuxMagic) {
        out.type = PeImageType::linux_kernel;
    }
    if (out.type != PeImageType::unified_kernel || cmdline_header == nullptr) return PeError::ok;

    // VirtualSize is the section's real length (SizeOfRawData is rounded up to the file
    // alignment); in a file only the raw bytes exist, so the shorter of the two counts.
    uint32_t virtual_size = le32(cmdline_header + 8);
    uint32_t where = le32(cmdline_header + (layout == PeLayout::loaded ? 12 : 20));
    uint32_t raw_size = le32(cmdline_header + 16);
    size_t length = layout == PeLayout::file && raw_size < virtual_size ? raw_size : virtual_size;
    if (where > size || size - where < length) {
        out = PeImageInfo{};  // as for every error: nothing is believed
        return PeError::cmdline_outside;
    }
    const char* text = reinterpret_cast<const char*>(image + where);
    size_t n = 0;
    while (n < length && text[n] != '\0') ++n;
    while (n > 0 && is_space(text[n - 1])) --n;
    size_t start = 0;
    while (start < n && is_space(text[start])) ++start;
    out.has_cmdline_section = true;
    out.cmdline_section_bytes = virtual_size;
    out.embedded_cmdline = text + start;
    out.embedded_length = n - start;
    return PeError::ok;
}

bool command_line_sets(const char* cmdline, size_t n, const char* key) {
    const size_t kn = text_length(key);
    size_t i = 0;
    while (i < n) {
        while (i < n && is_space(cmdline[i])) ++i;
        size_t cn = 0;
        while (i + cn < n && !is_space(cmdline[i + cn])) ++cn;
        if (cn >= kn && kn > 0) {
            bool same = true;
            for (size_t k = 0; k < kn && same; ++k) same = cmdline[i + k] == key[k];
            if (same) return true;
        }
        i += cn;
    }
    return false;
}

bool command_line_has_words(const char* cmdline, size_t n, const char* args) {
    const char* a = args;
    while (*a != '\0') {
        while (*a == ' ') ++a;
        if (*a == '\0') break;
        size_t wn = 0;
        while (a[wn] != '\0' && a[wn] != ' ') ++wn;
        bool found = false;
        size_t i = 0;
        while (i < n && !found) {
            while (i < n && is_space(cmdline[i])) ++i;
            size_t cn = 0;
            while (i + cn < n && !is_space(cmdline[i + cn])) ++cn;
            if (cn == wn && cn > 0) {
                found = true;
                for (size_t k = 0; k < wn; ++k) {
                    if (cmdline[i + k] != a[k]) {
                        found = false;
                        break;
                    }
                }
            }
            i += cn;
        }
        if (!found) return false;
        a += wn;
    }
    return true;
}

ComposedCommandLine compose_command_line(ImageKind declared, const PeImageInfo& image, bool entry_has_text,
                                         const CommandLineParts& parts, bool secure_boot,
                                         char (&out)[kOptionsMax]) {
    ComposedCommandLine r{};
    TextBuffer<kOptionsMax> t;
    auto add = [&t](const char* s, size_t n) {
        if (n == 0) return;
        if (t.size() > 0) t.append_char(' ');
        // Control characters in an embedded command line (a newline from `echo > file`)
        // separate words for the kernel; they go in as spaces.
        for (size_t i = 0; i < n; ++i) t.append_char(static_cast<unsigned char>(s[i]) < 0x20 ? ' ' : s[i]);
    };

    bool uki = image.type == PeImageType::unified_kernel;
    if (!entry_has_text && uki && image.embedded_length > 0) {
        for (size_t i = 0; i < image.embedded_length; ++i) {
            if (static_cast<unsigned char>(image.embedded_cmdline[i]) > 0x7F) r.embedded_not_ascii = true;
        }
        add(image.embedded_cmdline, image.embedded_length);
        r.embedded_kept = true;
    }
    const char* options = parts.options == nullptr ? "" : parts.options;
    add(options, text_length(options));

    bool kernel = declared == ImageKind::linux_efi || image.type != PeImageType::efi_application;
    const char* args = parts.watchdog_args == nullptr ? "" : parts.watchdog_args;
    // panic=N, unless what is already there sets panic= (a UKI's embedded text may), and
    // only where it leaves room for the watchdog's arguments, which matter more.
    const char* panic = parts.panic_arg == nullptr ? "" : parts.panic_arg;
    if (kernel && panic[0] != '\0' && !command_line_sets(t.c_str(), t.size(), "panic=")) {
        const size_t args_n = text_length(args);
        const size_t need = 1 + text_length(panic) + (args_n > 0 ? 1 + args_n : 0);
        if (t.size() + need <= kOptionsMax - 1) {
            add(panic, text_length(panic));
            r.panic_arg_passed = true;
        }
    }
    if (kernel && args[0] != '\0') {
        add(args, text_length(args));
        r.watchdog_args_passed = true;
    }
    if (uki && secure_boot && image.cmdline_section_bytes > 0) {
        r.stub_ignores_options = true;
        r.embedded_lacks_watchdog_args =
            args[0] != '\0' && !command_line_has_words(image.embedded_cmdline, image.embedded_length, args);
    }
    text_copy(out, kOptionsMax, t.c_str());
    r.fits = !t.truncated();
    return r;
}

}  // namespace wdboot
