// Small freestanding string helpers for the portable core: no libc, no heap.
// Used by the config parser, the policy's reason strings and the journal printer.
#pragma once
#include <stdarg.h>
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

// What every TextBuffer<N> does, compiled once for all capacities: the buffer is
// reached through a pointer and a capacity instead of being a template parameter, and
// the methods are out of line (text.cpp) and kept out of line under LTO, so that each
// append in the loader is a call rather than an inlined copy of the loop (wdbootx64.efi
// size, docs/performance.md). Output that does not fit is cut and marked truncated; the
// buffer is always NUL-terminated. Only TextBuffer<N> makes one.
class TextSink {
public:
    TextSink(const TextSink&) = delete;
    TextSink& operator=(const TextSink&) = delete;

    [[gnu::noinline]] TextSink& append(const char* s);
    // At most n bytes of s, stopping at a NUL.
    [[gnu::noinline]] TextSink& append(const char* s, size_t n);
    [[gnu::noinline]] TextSink& append_char(char c);
    [[gnu::noinline]] TextSink& append_uint(uint64_t v);
    // printf's subset, checked by the compiler (-Wformat): %s (const char*, nullptr
    // appends nothing), %.*s (int n, const char*: at most n bytes, stopping at a NUL),
    // %c, %u and %lu (unsigned int, unsigned long: uint64_t and size_t), %x and %lx, %%.
    // A width applies to the numbers only, padded with spaces, or zeros after a 0 (%08x:
    // at least 8 digits); %s ignores one. One call builds a whole message, so that the
    // loader holds one call per message rather than one per piece (wdbootx64.efi size,
    // docs/performance.md). A directive outside the subset (%d, %p, ...) is copied as it
    // stands and reads no argument.
    [[gnu::noinline, gnu::format(printf, 2, 3)]] TextSink& appendf(const char* fmt, ...);
    [[gnu::noinline, gnu::format(printf, 2, 0)]] TextSink& vappendf(const char* fmt, va_list args);
    [[gnu::noinline]] void clear();
    const char* c_str() const { return buf_; }
    size_t size() const { return len_; }
    bool truncated() const { return truncated_; }

protected:
    // An empty text in buf, which has room for cap bytes (out of line: one call per
    // buffer in the loader rather than five stores).
    [[gnu::noinline]] TextSink(char* buf, size_t cap);
    // buf has room for cap bytes and already holds `len` of them and a NUL.
    TextSink(char* buf, size_t cap, size_t len, bool truncated)
        : buf_(buf), cap_(cap), len_(len), truncated_(truncated) {}
    ~TextSink() = default;
    void mark_truncated() { truncated_ = true; }

private:
    void put(char c);
    char* buf_;
    size_t cap_;
    size_t len_;
    bool truncated_;
};

// Fixed-capacity string builder of N bytes (terminator included) on the stack or in an
// object; every method is TextSink's. Copies copy the text (the base's pointer is not).
template <size_t N>
class TextBuffer : public TextSink {
public:
    static_assert(N >= 2, "TextBuffer needs room for text and terminator");
    TextBuffer() : TextSink(buf_, N) {}
    TextBuffer(const TextBuffer& o) : TextSink(buf_, N, o.size(), o.truncated()) {
        for (size_t i = 0; i <= o.size(); ++i) buf_[i] = o.buf_[i];
    }
    TextBuffer& operator=(const TextBuffer& o) {
        if (this != &o) {
            clear();
            append(o.c_str());
            if (o.truncated()) mark_truncated();
        }
        return *this;
    }

    TextBuffer& append(const char* s) { return static_cast<TextBuffer&>(TextSink::append(s)); }
    TextBuffer& append(const char* s, size_t n) { return static_cast<TextBuffer&>(TextSink::append(s, n)); }
    TextBuffer& append_char(char c) { return static_cast<TextBuffer&>(TextSink::append_char(c)); }
    TextBuffer& append_uint(uint64_t v) { return static_cast<TextBuffer&>(TextSink::append_uint(v)); }
    // appendf() is TextSink's (a variadic function is never inlined: one copy for all N).

private:
    // Only the text and its terminator are ever set or read: the constructor does not
    // fill the rest (a loop or a call per buffer in the loader).
    char buf_[N];
};

}  // namespace wdboot
