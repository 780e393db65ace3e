// What the wdboot.conf parser (config.cpp) shares with the load-options parser
// (load_options.cpp): views into the caller's text, message building, ESP paths and the
// global keys, so that a key set in either place is read and reported identically.
// Internal to the core; the interface is include/wdboot/config.hpp.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "wdboot/config.hpp"
#include "wdboot/text.hpp"

namespace wdboot {

// The global keys, in the order of config.cpp's table (which checks it).
enum class GlobalKey : uint8_t {
    timeout,
    tries,
    watchdog,
    watchdog_required,
    on_exhausted,
    runtime_crashes,
    panic_timeout,
    default_slot,
    early_timeout,
    secure_boot_policy,
};

// The parser's way into Config::source_lines, which only parsing and finish_config use.
struct ConfigLines {
    static constexpr size_t kGlobalKeys =
        sizeof(ConfigSourceLines::global_keys_) / sizeof(ConfigSourceLines::global_keys_[0]);
    static uint32_t& key(Config& cfg, GlobalKey k) { return cfg.source_lines.global_keys_[static_cast<size_t>(k)]; }
    static uint32_t& options(Config& cfg, uint8_t slot) { return cfg.source_lines.slot_options_[slot]; }
};

namespace config_parser {

// A view into the input text. Never NUL-terminated.
struct Span {
    const char* p = nullptr;
    size_t n = 0;

    bool empty() const { return n == 0; }
    bool is(const char* word) const { return text_equal_n(word, p, n); }
};

using Message = TextBuffer<kDiagnosticBytes>;

inline constexpr size_t kOptionsChars = kOptionsMax - 1;

inline bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }
inline bool is_ascii_printable(char c) { return c >= 0x20 && c <= 0x7E; }

// Splits off the first whitespace-delimited token of s; `rest` is what follows,
// with leading whitespace removed.
Span next_token(Span s, Span& rest);

// ASCII case-insensitive equality of s with a lower-case word.
bool equal_ignoring_case(Span s, const char* word);

// Appends 'text' to a message, cut to a length that keeps the message's end, with
// unprintable bytes shown as '?'.
void append_quoted(Message& m, Span s);

inline void report(Diagnostics& d, uint32_t line, Severity sev, const Message& m) { d.add(line, sev, m.c_str()); }
// report() of the message TextSink::appendf's format makes of `fmt` and the arguments.
[[gnu::format(printf, 4, 5)]] void reportf(Diagnostics& d, uint32_t line, Severity sev, const char* fmt, ...);

// Copies an ESP path into dst (esp_path.cpp): '/' becomes '\', runs of separators
// collapse to one. It must be absolute, name a file (no trailing separator), be
// printable ASCII without the characters FAT forbids, and fit. On failure dst is left
// empty and the reason goes to `why`.
bool normalise_path(Span s, char (&dst)[kPathMax], Message& why);

bool is_global_key(Span key);

// Sets one global key from its value (line kNoLine: from the load options), with the
// file's validation and messages. Returns false (with an error) when the value is
// rejected; the key then keeps its value.
bool set_global(Config& cfg, Span key, Span value, uint32_t line);

}  // namespace config_parser
}  // namespace wdboot
