// What wdboot's text formats (wdboot.conf, the agent's agent.conf, load options) accept
// byte by byte, in one place: a UTF-8 byte order mark at the start of a file is skipped,
// a UTF-16 one is recognised to say so, and any other byte that is not printable ASCII
// or a tab is reported with the character it is and where it is, never silently
// dropped. Pure and freestanding; used by the config parser, the loader's load-option
// decoder and the agent.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "wdboot/text.hpp"

namespace wdboot {

inline constexpr uint32_t kByteOrderMark = 0xFEFF;

// 3 when text starts with the UTF-8 byte order mark EF BB BF, else 0.
size_t utf8_bom_length(const char* text, size_t len);
// True when text starts with a UTF-16 byte order mark (FF FE or FE FF): a file saved as
// UTF-16, which wdboot does not read.
bool starts_with_utf16_bom(const char* text, size_t len);

// Decodes one well-formed multi-byte UTF-8 sequence (2..4 bytes; no overlong forms, no
// surrogates, nothing above U+10FFFF) at text[0..len): its code point and length.
// False for anything else, ASCII included.
bool decode_utf8(const char* text, size_t len, uint32_t& code, size_t& length);

// A character that is not printable ASCII or a tab.
struct BadCharacter {
    size_t offset;  // of its first byte in the text examined
    uint32_t code;  // the Unicode code point when `decoded`, else the byte
    bool decoded;   // a well-formed UTF-8 sequence (code >= 0x80)
};

// The first character in text[0..len) that is not printable ASCII (0x20..0x7E) or a tab.
// Decodes a UTF-8 sequence there so that the message can name the character. False
// when every byte is acceptable.
bool find_bad_character(const char* text, size_t len, BadCharacter& out);

// Names a character for a message: "NUL byte", "control character 0x1b",
// "byte order mark U+FEFF", "non-ASCII character U+00E9", "non-ASCII byte 0xff".
void append_character_name(TextSink& m, uint32_t code, bool decoded);

}  // namespace wdboot
