// The core's text builder (include/wdboot/text.hpp): TextBuffer<N> and the printf subset
// of TextSink::appendf, which every message of the loader goes through. Each directive is
// checked against what printf itself makes of it, and the cut at the capacity against
// the truncated() flag.
#include <catch2/catch.hpp>
#include <cstdio>
#include <string>

#include "wdboot/text.hpp"

using namespace wdboot;

namespace {
// What the C library's printf makes of the same format and arguments.
template <typename... A>
std::string printf_of(const char* fmt, A... args) {
    char out[512];
    std::snprintf(out, sizeof(out), fmt, args...);
    return out;
}
}  // namespace

TEST_CASE("appendf: each directive of the subset gives what printf gives") {
    const char* name = "primary";
    const char* word = "watchdog=off and more";
    TextBuffer<256> t;
    auto same = [&](const std::string& libc) {
        CHECK(std::string(t.c_str()) == libc);
        t.clear();
    };
    t.appendf("slot \"%s\" (tries %u/%u)", name, 2u, 3u);
    same(printf_of("slot \"%s\" (tries %u/%u)", name, 2u, 3u));
    t.appendf("%lu bytes, %lu", 18446744073709551615ul, 0ul);
    same(printf_of("%lu bytes, %lu", 18446744073709551615ul, 0ul));
    t.appendf("'%.*s'", 8, word);
    same(printf_of("'%.*s'", 8, word));
    t.appendf("%c%c%c", 'a', '-', 'z');
    same(printf_of("%c%c%c", 'a', '-', 'z'));
    t.appendf("0x%04x 0x%02x 0x%08lx %x %lx", 0xabu, 0x7u, 0x1234567890ul, 0u, 0xfffffffffful);
    same(printf_of("0x%04x 0x%02x 0x%08lx %x %lx", 0xabu, 0x7u, 0x1234567890ul, 0u, 0xfffffffffful));
    t.appendf("at PCI %04lx:%02lx:%02lx.%lx", 0ul, 0ul, 0x1ful, 7ul);
    same(printf_of("at PCI %04lx:%02lx:%02lx.%lx", 0ul, 0ul, 0x1ful, 7ul));
    t.appendf("U+%06x U+%04x", 0x10000u, 0xe9u);
    same(printf_of("U+%06x U+%04x", 0x10000u, 0xe9u));
    t.appendf("[%4u] 100%%", 42u);
    same(printf_of("[%4u] 100%%", 42u));
    t.appendf("%u", 4294967295u);
    same(printf_of("%u", 4294967295u));
}

TEST_CASE("appendf: a null string appends nothing, %.*s stops at a NUL, an unknown directive is copied") {
    TextBuffer<64> t;
    const char* volatile none = nullptr;  // volatile: so that -Wformat cannot see the null
    t.appendf("[%s][%.*s]", none, 10, "ab");
    CHECK(std::string(t.c_str()) == "[][ab]");
    t.clear();
    // Not in the subset (a format the compiler cannot see, as -Wformat would refuse it):
    // copied as written, and no argument is read for it, so the next directive gets it.
    const char* fmt = "%q %d|%s|%";
    t.appendf(fmt, "x");
    CHECK(std::string(t.c_str()) == "%q %d|x|%");
}

TEST_CASE("appendf: output past the capacity is cut, terminated and marked truncated") {
    TextBuffer<8> t;
    t.appendf("%s=%u", "timeout", 30u);
    CHECK(std::string(t.c_str()) == "timeout");
    CHECK(t.size() == 7);
    CHECK(t.truncated());
    t.clear();
    CHECK_FALSE(t.truncated());
    t.appendf("%u", 1234567u);
    CHECK(std::string(t.c_str()) == "1234567");
    CHECK_FALSE(t.truncated());
}

TEST_CASE("TextBuffer: starts empty, appends across calls, copies only its text") {
    TextBuffer<32> t;
    CHECK(std::string(t.c_str()).empty());
    t.append("wdboot: ").appendf("%s", "slot").append_char(' ').append_uint(3);
    CHECK(std::string(t.c_str()) == "wdboot: slot 3");
    TextBuffer<32> copy(t);
    CHECK(std::string(copy.c_str()) == "wdboot: slot 3");
    copy.append("!");
    CHECK(std::string(copy.c_str()) == "wdboot: slot 3!");
    CHECK(std::string(t.c_str()) == "wdboot: slot 3");
}
