#include "wdboot/text.hpp"

namespace wdboot {

void TextSink::put(char c) {
    if (len_ + 1 < cap_) {
        buf_[len_++] = c;
        buf_[len_] = '\0';
    } else {
        truncated_ = true;
    }
}

TextSink& TextSink::append(const char* s) {
    if (s == nullptr) return *this;
    while (*s) put(*s++);
    return *this;
}

TextSink& TextSink::append(const char* s, size_t n) {
    for (size_t i = 0; i < n && s[i]; ++i) put(s[i]);
    return *this;
}

TextSink& TextSink::append_char(char c) {
    put(c);
    return *this;
}

TextSink& TextSink::append_uint(uint64_t v) {
    char digits[20];
    size_t n = 0;
    do {
        digits[n++] = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n > 0) put(digits[--n]);
    return *this;
}

TextSink& TextSink::append_hex(uint64_t v, unsigned width) {
    static constexpr char kHex[] = "0123456789abcdef";
    for (unsigned i = width; i > 0; --i) put(kHex[(v >> ((i - 1) * 4)) & 0xF]);
    return *this;
}

void TextSink::clear() {
    len_ = 0;
    buf_[0] = '\0';
    truncated_ = false;
}

size_t text_length(const char* s) {
    size_t n = 0;
    if (s == nullptr) return 0;
    while (s[n]) ++n;
    return n;
}

bool text_equal(const char* a, const char* b) {
    if (a == nullptr || b == nullptr) return a == b;
    while (*a && *a == *b) {
        ++a;
        ++b;
    }
    return *a == *b;
}

bool text_equal_n(const char* a, const char* b, size_t n) {
    if (a == nullptr || b == nullptr) return false;
    for (size_t i = 0; i < n; ++i) {
        if (a[i] == '\0' || a[i] != b[i]) return false;
    }
    return a[n] == '\0';
}

bool text_copy(char* dst, size_t cap, const char* src, size_t n) {
    if (cap == 0) return false;
    size_t i = 0;
    bool fit = true;
    for (; src != nullptr && i < n && src[i]; ++i) {
        if (i + 1 >= cap) {
            fit = false;
            break;
        }
        dst[i] = src[i];
    }
    dst[i] = '\0';
    return fit;
}

}  // namespace wdboot
