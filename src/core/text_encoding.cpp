#include "wdboot/text_encoding.hpp"

namespace wdboot {
namespace {

uint8_t byte_at(const char* text, size_t i) { return static_cast<uint8_t>(text[i]); }

}  // namespace

bool decode_utf8(const char* text, size_t len, uint32_t& code, size_t& length) {
    if (text == nullptr || len == 0) return false;
    uint8_t b0 = byte_at(text, 0);
    size_t need = 0;
    uint32_t c = 0;
    uint32_t min = 0;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        need = 1;
        c = b0 & 0x1Fu;
        min = 0x80;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        need = 2;
        c = b0 & 0x0Fu;
        min = 0x800;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        need = 3;
        c = b0 & 0x07u;
        min = 0x10000;
    } else {
        return false;
    }
    if (len < need + 1) return false;
    for (size_t i = 1; i <= need; ++i) {
        uint8_t b = byte_at(text, i);
        if ((b & 0xC0) != 0x80) return false;
        c = (c << 6) | (b & 0x3Fu);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return false;
    code = c;
    length = need + 1;
    return true;
}

size_t utf8_bom_length(const char* text, size_t len) {
    if (text == nullptr || len < 3) return 0;
    return byte_at(text, 0) == 0xEF && byte_at(text, 1) == 0xBB && byte_at(text, 2) == 0xBF ? 3 : 0;
}

bool starts_with_utf16_bom(const char* text, size_t len) {
    if (text == nullptr || len < 2) return false;
    uint8_t a = byte_at(text, 0), b = byte_at(text, 1);
    return (a == 0xFF && b == 0xFE) || (a == 0xFE && b == 0xFF);
}

bool find_bad_character(const char* text, size_t len, BadCharacter& out) {
    for (size_t i = 0; text != nullptr && i < len; ++i) {
        uint8_t b = byte_at(text, i);
        if ((b >= 0x20 && b <= 0x7E) || b == '\t') continue;
        out.offset = i;
        out.code = b;
        out.decoded = false;
        uint32_t code = 0;
        size_t length = 0;
        if (b >= 0x80 && decode_utf8(text + i, len - i, code, length)) {
            out.code = code;
            out.decoded = true;
        }
        return true;
    }
    return false;
}

void append_character_name(TextSink& m, uint32_t code, bool decoded) {
    if (code == 0) {
        m.append("NUL byte");
    } else if (code < 0x20 || code == 0x7F) {
        m.appendf("control character 0x%02x", code);
    } else if (code == kByteOrderMark) {
        m.append("byte order mark U+FEFF");
    } else if (decoded || code > 0xFF) {
        m.appendf(code > 0xFFFF ? "non-ASCII character U+%06x" : "non-ASCII character U+%04x", code);
    } else {
        m.appendf("non-ASCII byte 0x%02x", code);
    }
}

}  // namespace wdboot
