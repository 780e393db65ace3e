#include "wdboot/text.hpp"

namespace wdboot {

TextSink::TextSink(char* buf, size_t cap) : buf_(buf), cap_(cap), len_(0), truncated_(false) { buf_[0] = '\0'; }

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

TextSink& TextSink::append_uint(uint64_t v) { return appendf("%lu", static_cast<unsigned long>(v)); }

TextSink& TextSink::appendf(const char* fmt, ...) {
    va_list args;
    va_start(args, fmt);
    vappendf(fmt, args);
    va_end(args);
    return *this;
}

TextSink& TextSink::vappendf(const char* fmt, va_list args) {
    while (*fmt != '\0') {
        const char* directive = fmt;
        if (*fmt++ != '%') {
            put(*directive);
            continue;
        }
        bool zero = *fmt == '0';
        unsigned width = 0;
        while (*fmt >= '0' && *fmt <= '9') width = width * 10 + static_cast<unsigned>(*fmt++ - '0');
        bool precision = fmt[0] == '.' && fmt[1] == '*';
        if (precision) fmt += 2;
        bool is_long = *fmt == 'l';
        if (is_long) ++fmt;
        char conversion = *fmt;
        if (conversion != '\0') ++fmt;
        bool number = conversion == 'u' || conversion == 'x';
        // One va_arg per argument type (unsigned int: %c's int, %.*s's int precision;
        // unsigned long; a pointer), each in one place: the loader's copy stays small.
        uint64_t value = 0;
        if (precision || conversion == 'c' || (number && !is_long)) {
            value = va_arg(args, unsigned int);
        } else if (number) {
            value = va_arg(args, unsigned long);
        }
        if (conversion == 's') {
            const char* text = va_arg(args, const char*);
            if (text != nullptr) append(text, precision ? static_cast<size_t>(value) : static_cast<size_t>(-1));
        } else if (conversion == 'c') {
            put(static_cast<char>(value));
        } else if (number) {
            unsigned base = conversion == 'u' ? 10 : 16;
            char digits[24];
            unsigned n = 0;
            do {
                digits[n++] = "0123456789abcdef"[value % base];
                value /= base;
            } while (value != 0);
            for (; n < width && n < sizeof(digits); ++n) digits[n] = zero ? '0' : ' ';
            while (n > 0) put(digits[--n]);
        } else if (conversion == '%') {
            put('%');
        } else {
            // Not a directive this subset knows: copied as written, with no argument read.
            while (directive != fmt) put(*directive++);
        }
    }
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
