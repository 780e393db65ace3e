#include "load_option.hpp"

#include "wdboot/text.hpp"
#include "wdboot/text_encoding.hpp"

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

constexpr uint32_t kBom = kByteOrderMark;

bool is_ascii_text(uint32_t c) { return (c >= 0x20 && c < 0x7F) || c == '\t' || c == '\r' || c == '\n'; }
// NUL separates words (efibootmgr puts one between separate arguments, the UEFI shell
// ends its command line with one); blanks and line ends separate words too.
bool is_separator(uint32_t c) { return c == 0 || c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// The load options as a sequence of characters: UCS-2 units, or bytes (UTF-8 sequences
// decoded), after a byte order mark.
struct TextView {
    const uint8_t* data;
    size_t size;  // bytes after the byte order mark
    bool wide;

    // The character at byte offset `at` and its length in bytes; a UCS-2 surrogate pair
    // is one character, an unpaired surrogate or a malformed UTF-8 byte stands for itself.
    uint32_t at(size_t i, size_t& length) const {
        if (wide) {
            uint32_t u = unit(i);
            length = 2;
            if (u >= 0xD800 && u <= 0xDBFF && i + 4 <= size) {
                uint32_t lo = unit(i + 2);
                if (lo >= 0xDC00 && lo <= 0xDFFF) {
                    length = 4;
                    return 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                }
            }
            return u;
        }
        uint32_t code = 0;
        if (data[i] >= 0x80 && decode_utf8(reinterpret_cast<const char*>(data + i), size - i, code, length)) {
            return code;
        }
        length = 1;
        return data[i];
    }
    uint32_t unit(size_t i) const { return static_cast<uint32_t>(data[i] | (data[i + 1] << 8)); }
};

// Text, or binary data: mostly printable ASCII (at most one other character for four
// ASCII ones), as UCS-2 (efibootmgr --unicode) or as bytes (without it), where bytes
// above 0x7F must be well-formed UTF-8. A byte order mark at the start decides the
// encoding (U+FEFF as UCS-2 little-endian or as UTF-8) and is not part of the text.
// Firmware-made entries carry binary data (a GUID), which fails the test.
bool classify(const uint8_t* b, size_t size, TextView& v) {
    if (size % 2 == 0 && size >= 2) {
        if ((b[0] | (b[1] << 8)) == kBom) {
            v = TextView{b + 2, size - 2, true};
            return true;
        }
        v = TextView{b, size, true};
        size_t text = 0, other = 0;
        for (size_t i = 0; i < size; i += 2) {
            uint32_t u = v.unit(i);
            if (u == 0) continue;
            if (is_ascii_text(u)) ++text;
            else ++other;
        }
        if (text > 0 && other * 4 <= text) return true;
    }
    size_t bom = utf8_bom_length(reinterpret_cast<const char*>(b), size);
    v = TextView{b + bom, size - bom, false};
    size_t text = 0, other = 0;
    for (size_t i = 0; i < v.size;) {
        size_t length = 1;
        uint32_t c = v.at(i, length);
        if (c >= 0x80 && length == 1) return false;  // not UTF-8
        if (c != 0) {
            if (is_ascii_text(c)) ++text;
            else ++other;
        }
        i += length;
    }
    return bom > 0 || (text > 0 && other * 4 <= text) || (text == 0 && other == 0);
}

void note_problem(OptionsProblem* problem, const TextView& v, size_t word_start, size_t word_end, size_t bad_at,
                  uint32_t bad) {
    if (problem == nullptr) return;
    ++problem->words_dropped;
    if (problem->words_dropped > 1) return;
    problem->code = bad;
    // Characters from the start of the text (after a byte order mark), counting from 1.
    size_t position = 1;
    for (size_t i = 0; i < bad_at;) {
        size_t length = 1;
        (void)v.at(i, length);
        i += length;
        ++position;
    }
    problem->position = position;
    size_t n = 0;
    for (size_t i = word_start; i < word_end && n + 1 < sizeof(problem->word);) {
        size_t length = 1;
        uint32_t c = v.at(i, length);
        problem->word[n++] = c > 0x20 && c < 0x7F ? static_cast<char>(c) : '?';
        i += length;
    }
    problem->word[n] = '\0';
}

}  // namespace

OptionsText load_options_text(const void* data, size_t size, char* out, size_t cap, OptionsProblem* problem) {
    out[0] = '\0';
    if (problem != nullptr) *problem = OptionsProblem{};
    if (data == nullptr || size == 0) return OptionsText::text;
    TextView v{};
    if (!classify(static_cast<const uint8_t*>(data), size, v)) return OptionsText::binary;

    size_t n = 0;
    size_t i = 0;
    while (i < v.size) {
        size_t length = 1;
        while (i < v.size && is_separator(v.at(i, length))) i += length;
        size_t word_start = i;
        size_t bad_at = v.size;
        uint32_t bad = 0;
        while (i < v.size) {
            uint32_t c = v.at(i, length);
            if (is_separator(c)) break;
            if ((c <= 0x20 || c >= 0x7F) && bad_at == v.size) {
                bad_at = i;
                bad = c;
            }
            i += length;
        }
        if (i == word_start) break;
        if (bad_at != v.size) {
            // Only this word is dropped: the others (config= above all) keep working.
            note_problem(problem, v, word_start, i, bad_at, bad);
            continue;
        }
        size_t chars = (i - word_start) / (v.wide ? 2 : 1);
        if (n + (n > 0 ? 1 : 0) + chars + 1 > cap) {
            out[0] = '\0';
            return OptionsText::too_long;
        }
        if (n > 0) out[n++] = ' ';
        for (size_t k = word_start; k < i; k += v.wide ? 2 : 1) out[n++] = static_cast<char>(v.at(k, length));
        out[n] = '\0';
    }
    return OptionsText::text;
}

void describe_problem(const OptionsProblem& problem, char* out, size_t cap) {
    TextBuffer<160> m;
    m.appendf("load option '%s' ignored: ", problem.word);
    append_character_name(m, problem.code, true);
    m.appendf(" at character %lu (only ASCII is read)", problem.position);
    if (problem.words_dropped > 1) m.append("; ").append_uint(problem.words_dropped - 1).append(" more such word(s)");
    (void)text_copy(out, cap, m.c_str());
}

OptionsText join_boot_entry_options(const void* data, size_t size, const char* append, uint16_t* out, size_t cap,
                                    size_t& units) {
    units = 0;
    out[0] = 0;
    TextView v{};
    if (data != nullptr && size > 0 && !classify(static_cast<const uint8_t*>(data), size, v)) {
        return OptionsText::binary;
    }
    size_t n = 0;
    bool gap = false;
    // The entry's own text, character for character: only the byte order mark goes, and
    // NULs and line ends between words become one space (as for wdboot's own options).
    for (size_t i = 0; data != nullptr && i < v.size;) {
        size_t length = 1;
        uint32_t c = v.at(i, length);
        i += length;
        if (c == 0 || c == '\r' || c == '\n') {
            gap = n > 0;
            continue;
        }
        // Room for the space, the character (a surrogate pair above U+FFFF) and the NUL.
        if (n + (gap ? 1 : 0) + (c >= 0x10000 ? 2 : 1) >= cap) return OptionsText::too_long;
        if (gap) out[n++] = ' ';
        gap = false;
        if (c >= 0x10000) {
            out[n++] = static_cast<uint16_t>(0xD800 + ((c - 0x10000) >> 10));
            out[n++] = static_cast<uint16_t>(0xDC00 + ((c - 0x10000) & 0x3FF));
        } else {
            out[n++] = static_cast<uint16_t>(c);
        }
    }
    while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '\t')) --n;
    if (append != nullptr && append[0] != '\0') {
        // Room for the space, the appended text and the NUL.
        if (n + (n > 0 ? 1 : 0) + text_length(append) >= cap) return OptionsText::too_long;
        if (n > 0) out[n++] = ' ';
        for (const char* p = append; *p != '\0'; ++p) out[n++] = static_cast<uint8_t>(*p);
    }
    out[n] = 0;
    units = n == 0 ? 0 : n + 1;
    return OptionsText::text;
}

}  // namespace wdboot::efi
