#include "wdboot/text.hpp"

namespace wdboot {

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
