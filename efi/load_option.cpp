#include "load_option.hpp"

namespace wdboot::efi {

const char* to_string(LoadOptionError e) {
    switch (e) {
        case LoadOptionError::ok: return "ok";
        case LoadOptionError::too_short: return "too short for an EFI_LOAD_OPTION";
        case LoadOptionError::description_unterminated: return "description without a NUL terminator";
        case LoadOptionError::path_list_past_end: return "device path list runs past the end of the variable";
        case LoadOptionError::device_path: return "device path rejected";
    }
    return "unknown load option error";
}

LoadOptionError parse_load_option(const uint8_t* data, size_t len, LoadOptionView& out) {
    if (data == nullptr || len < 6) return LoadOptionError::too_short;
    uint32_t attributes = uint32_t(data[0]) | uint32_t(data[1]) << 8 | uint32_t(data[2]) << 16 |
                          uint32_t(data[3]) << 24;
    size_t path_bytes = size_t(data[4]) | size_t(data[5]) << 8;

    size_t at = 6;
    size_t units = 0;
    for (;;) {
        if (at + 2 > len) return LoadOptionError::description_unterminated;
        if (data[at] == 0 && data[at + 1] == 0) break;
        at += 2;
        ++units;
    }
    const uint8_t* description = data + 6;
    at += 2;

    if (path_bytes > len - at) return LoadOptionError::path_list_past_end;
    const uint8_t* path = data + at;
    out.path_check = check_device_path(path, path_bytes);
    if (out.path_check.error != DevicePathError::ok) return LoadOptionError::device_path;

    out.attributes = attributes;
    out.description = description;
    out.description_units = units;
    out.device_path = path;
    out.device_path_bytes = path_bytes;
    out.optional_data = path + path_bytes;
    out.optional_bytes = len - at - path_bytes;
    return LoadOptionError::ok;
}

namespace {

bool printable(uint32_t c) { return c == '\t' || (c >= 0x20 && c < 0x7F); }

// Copies units[0..count) as text. efibootmgr separates arguments with NULs (several
// `--unicode` words, or `-@ file`), so a NUL between words counts as a space and only
// trailing NULs end the text. False, with out empty, for a non-printable unit or when
// out is too small.
template <typename ReadUnit>
bool copy_text(size_t count, ReadUnit unit, char* out, size_t cap) {
    size_t n = 0;
    bool gap = false;
    for (size_t i = 0; i < count; ++i) {
        uint32_t c = unit(i);
        if (c == 0) {
            gap = n > 0;
            continue;
        }
        bool room = n + (gap ? 2 : 1) < cap;
        if (!printable(c) || !room) {
            out[0] = '\0';
            return false;
        }
        if (gap) out[n++] = ' ';
        gap = false;
        out[n++] = static_cast<char>(c);
    }
    out[n] = '\0';
    return true;
}

}  // namespace

bool load_options_text(const void* data, size_t size, char* out, size_t cap) {
    out[0] = '\0';
    if (data == nullptr || size == 0) return true;
    const uint8_t* b = static_cast<const uint8_t*>(data);

    // UCS-2 when every unit is printable ASCII or NUL.
    if (size % 2 == 0) {
        auto wide = [b](size_t i) { return static_cast<uint32_t>(b[2 * i] | (b[2 * i + 1] << 8)); };
        bool ucs2 = true;
        for (size_t i = 0; i < size / 2 && ucs2; ++i) ucs2 = wide(i) == 0 || printable(wide(i));
        if (ucs2) return copy_text(size / 2, wide, out, cap);
    }
    // Plain ASCII bytes.
    return copy_text(size, [b](size_t i) { return static_cast<uint32_t>(b[i]); }, out, cap);
}

}  // namespace wdboot::efi
