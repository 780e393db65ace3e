// Small freestanding string helpers for the portable core: no libc, no heap.
// Used by the config parser, the policy's reason strings and the journal printer.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace wdboot {

size_t text_length(const char* s);
bool text_equal(const char* a, const char* b);
// Equality of a NUL-terminated string with n bytes of another.
bool text_equal_n(const char* a, const char* b, size_t n);

// Copies at most cap-1 bytes of src (stopping at n bytes or NUL) and NUL-terminates.
// Returns false when src did not fit.
bool text_copy(char* dst, size_t cap, const char* src, size_t n = static_cast<size_t>(-1));

// Fixed-capacity string builder. Output that does not fit is cut and marked truncated;
// the buffer is always NUL-terminated.
template <size_t N>
class TextBuffer {
public:
    static_assert(N >= 2, "TextBuffer needs room for text and terminator");
    constexpr TextBuffer() = default;

    TextBuffer& append(const char* s) {
        if (s == nullptr) return *this;
        while (*s) put(*s++);
        return *this;
    }
    TextBuffer& append(const char* s, size_t n) {
        for (size_t i = 0; i < n && s[i]; ++i) put(s[i]);
        return *this;
    }
    TextBuffer& append_char(char c) {
        put(c);
        return *this;
    }
    TextBuffer& append_uint(uint64_t v) {
        char digits[20];
        size_t n = 0;
        do {
            digits[n++] = static_cast<char>('0' + v % 10);
            v /= 10;
        } while (v != 0);
        while (n > 0) put(digits[--n]);
        return *this;
    }
    TextBuffer& append_hex(uint64_t v, unsigned width) {
        static constexpr char kHex[] = "0123456789abcdef";
        for (unsigned i = width; i > 0; --i) put(kHex[(v >> ((i - 1) * 4)) & 0xF]);
        return *this;
    }
    void clear() {
        len_ = 0;
        buf_[0] = '\0';
        truncated_ = false;
    }
    const char* c_str() const { return buf_; }
    size_t size() const { return len_; }
    bool truncated() const { return truncated_; }

private:
    void put(char c) {
        if (len_ + 1 < N) {
            buf_[len_++] = c;
            buf_[len_] = '\0';
        } else {
            truncated_ = true;
        }
    }
    char buf_[N] = {};
    size_t len_ = 0;
    bool truncated_ = false;
};

}  // namespace wdboot
