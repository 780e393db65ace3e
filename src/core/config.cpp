// The wdboot.conf parser. It works on (pointer, length) views into the caller's text
// and never copies a whole line, so a line of any length costs no memory and nothing is
// read past `len`. What each key takes is in one table per stanza kind (kGlobalKeys,
// kSlotKeys); the values a keyword accepts, to_string() and the lists in messages come
// from one spelling table per enum. Load options: load_options.cpp. Syntax:
// docs/config.md.
#include "wdboot/config.hpp"

#include "config_parser.hpp"
#include "wdboot/text.hpp"
#include "wdboot/text_encoding.hpp"
#include "wdboot/watchdog_drivers.hpp"

namespace wdboot {
namespace config_parser {
namespace {

// Values quoted in messages are cut so that the message keeps its end.
constexpr size_t kQuoteMax = 48;
constexpr size_t kNameMax = kSlotNameBytes - 1;

bool is_digit(char c) { return c >= '0' && c <= '9'; }
char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

Span trim(Span s) {
    while (s.n > 0 && is_space(s.p[0])) {
        ++s.p;
        --s.n;
    }
    while (s.n > 0 && is_space(s.p[s.n - 1])) --s.n;
    return s;
}

// A word that starts with '#' begins a comment (outside `options`).
bool is_comment(Span word) { return !word.empty() && word.p[0] == '#'; }

bool valid_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '.' || c == '_' ||
           c == '-';
}

// Checks a slot name (the one rule for the parser and is_valid_slot_name); on failure
// adds the reason to the message.
bool check_name(Span name, Message& why) {
    if (name.empty()) {
        why.append("is empty");
        return false;
    }
    if (name.n > kNameMax) {
        why.appendf("is too long (at most %lu characters)", kNameMax);
        return false;
    }
    for (size_t i = 0; i < name.n; ++i) {
        if (!valid_name_char(name.p[i])) {
            why.append("may only contain A-Z a-z 0-9 . _ -");
            return false;
        }
    }
    // The agent makes \EFI\wdboot\kernels\NAME and takes NAME on its command line:
    // "." and ".." would name a parent folder, a leading '-' an option.
    if (name.p[0] == '.' || name.p[0] == '-') {
        why.append("may not start with '.' or '-'");
        return false;
    }
    return true;
}

// Decimal number in [lo, hi]; no sign, no spaces, no overflow.
bool parse_number(Span s, uint32_t lo, uint32_t hi, uint32_t& out) {
    if (s.empty()) return false;
    uint64_t v = 0;
    for (size_t i = 0; i < s.n; ++i) {
        if (!is_digit(s.p[i])) return false;
        v = v * 10 + static_cast<uint64_t>(s.p[i] - '0');
        if (v > hi) return false;
    }
    if (v < lo) return false;
    out = static_cast<uint32_t>(v);
    return true;
}

// ---- Spellings: one table per enum, read by the parser, to_string() and messages.

// One value as wdboot.conf spells it. A spelling that is not `accepted` names a choice
// that exists but is not implemented yet: the parser refuses it and says so, and the
// lists of allowed values leave it out. The text is held in the entry rather than
// pointed to: a pointer costs 8 bytes and a relocation in the loader image.
struct Spelling {
    char text[11];  // the longest spelling, "permissive", and its NUL
    uint8_t value;
    bool accepted;
};
struct Spellings {
    const Spelling* items = nullptr;
    size_t count = 0;
};

// Copies a name into its table entry's array, NUL included. Every table built with it is
// a constexpr variable, so it runs at compile time: a name longer than its array writes
// past it, which is not a constant expression and does not compile. (The builders are not
// consteval: clang 14, which builds the fuzz targets, rejects a consteval call inside a
// consteval function template.)
template <size_t M>
constexpr void copy_name(char (&dst)[M], const char* src) {
    size_t i = 0;
    do {
        dst[i] = src[i];
    } while (src[i++] != '\0');
}

template <typename E>
constexpr Spelling spell(E value, const char* text, bool accepted = true) {
    Spelling s{};
    copy_name(s.text, text);
    s.value = static_cast<uint8_t>(value);
    s.accepted = accepted;
    return s;
}

constexpr bool kNotImplemented = false;
constexpr Spelling kImageKindSpellings[] = {
    spell(ImageKind::none, "none"), spell(ImageKind::linux_efi, "linux"),
    spell(ImageKind::efi_app, "efi"), spell(ImageKind::boot_entry, "bootentry")};
constexpr Spelling kOnExhaustedSpellings[] = {
    spell(OnExhausted::last_good, "last-good"), spell(OnExhausted::rescue, "rescue"),
    spell(OnExhausted::reset, "reset"), spell(OnExhausted::halt, "halt")};
// The AMD FCH and the Intel PCH TCO are refused by name until the loader
// implements them: accepting one would boot without the hardware watchdog the config
// asked for (docs/watchdogs.md).
constexpr Spelling kWatchdogSpellings[] = {
    spell(WatchdogChoice::auto_detect, "auto"), spell(WatchdogChoice::none, "none"),
    spell(WatchdogChoice::i6300esb, "i6300esb"), spell(WatchdogChoice::itco, "itco"),
    spell(WatchdogChoice::wdat, "wdat"), spell(WatchdogChoice::ipmi, "ipmi"),
    spell(WatchdogChoice::amd_fch, "amd-fch", kNotImplemented),
    spell(WatchdogChoice::itco_pch, "itco-pch", kNotImplemented)};
constexpr Spelling kYesNoSpellings[] = {spell(1, "yes"), spell(0, "no")};
constexpr Spelling kSecureBootPolicySpellings[] = {
    spell(SecureBootPolicy::strict, "strict"), spell(SecureBootPolicy::permissive, "permissive")};

template <typename E, size_t N>
constexpr const char* spelling_of(const Spelling (&table)[N], E value) {
    for (const Spelling& s : table) {
        if (s.value == static_cast<uint8_t>(value)) return s.text;
    }
    return "unknown";
}

// "a, b, c or d": the accepted spellings, in table order.
void append_choices(Message& m, Spellings words) {
    size_t total = 0;
    for (size_t i = 0; i < words.count; ++i) total += words.items[i].accepted ? 1 : 0;
    size_t shown = 0;
    for (size_t i = 0; i < words.count; ++i) {
        if (!words.items[i].accepted) continue;
        if (shown > 0) m.append(shown + 1 == total ? " or " : ", ");
        m.append(words.items[i].text);
        ++shown;
    }
}

// ---- Global keys.

// How a global key's value is read. One switch over these (read_value) and one store
// by offset (store_value) rather than a pair of function pointers per key: a pointer
// costs 8 bytes and a relocation in the loader image, and a store function per field
// costs code (wdbootx64.efi size).
enum class Reads : uint8_t {
    number,       // decimal in [min, max]; also `off` (as 0) when `off_allowed`
    keyword,      // one of `words`
    crash_limit,  // runtime-crashes: `off` or N/HOURS
    slot_name,    // default: a slot name (checked against the slots in finish_config)
};

// Where a number or keyword is stored: its Config field's offset and size.
struct ConfigField {
    uint8_t offset = 0;
    uint8_t size = 0;
};
// store_value() writes fields of 1, 2 or 4 bytes: any other size is a compile error.
#define WDBOOT_CONFIG_FIELD(member)                                                                  \
    ([] {                                                                                            \
        static_assert(sizeof(Config::member) == 1 || sizeof(Config::member) == 2 ||                  \
                          sizeof(Config::member) == 4,                                               \
                      "store_value() cannot write Config::" #member);                                \
        return ConfigField{offsetof(Config, member), sizeof(Config::member)};                        \
    }())

// The members are in an order that leaves padding only at the end (40 bytes a key).
struct GlobalKeySpec {
    char key[19];               // the longest key, "secure-boot-policy", and its NUL
    GlobalKey id;
    Reads reads;
    bool off_allowed = false;   // number: `off` is accepted as 0
    bool seconds = false;       // number: " seconds" after the range in the message
    uint8_t word_count = 0;     // keyword: the values
    const Spelling* words = nullptr;
    uint16_t min = 0;           // number: the range
    uint16_t max = 0;
    ConfigField field;          // number, keyword: where the value goes
};
static_assert(kMaxTimeoutSeconds <= UINT16_MAX && kMaxPanicTimeoutSeconds <= UINT16_MAX,
              "a number key's range no longer fits GlobalKeySpec::min/max");

// `off` is stored as 0, which is what early-timeout's kEarlyTimeoutOff means.
static_assert(kEarlyTimeoutOff == 0, "read_number stores `off` as 0");

bool read_number(const GlobalKeySpec& k, Span value, uint32_t& out, Message& why) {
    if (k.off_allowed && value.is("off")) {
        out = 0;
        return true;
    }
    if (parse_number(value, k.min, k.max, out)) return true;
    why.appendf("%s must be %s%u..%u%s, got ", k.key, k.off_allowed ? "off or " : "", static_cast<unsigned>(k.min),
                static_cast<unsigned>(k.max), k.seconds ? " seconds" : "");
    append_quoted(why, value);
    return false;
}

bool read_keyword(const GlobalKeySpec& k, Span value, uint32_t& out, Message& why) {
    const Spellings words{k.words, k.word_count};
    for (size_t i = 0; i < words.count; ++i) {
        const Spelling& w = words.items[i];
        if (!value.is(w.text)) continue;
        if (w.accepted) {
            out = w.value;
            return true;
        }
        why.appendf("%s '%s' is not implemented yet; %s must be ", k.key, w.text, k.key);
        append_choices(why, words);
        return false;
    }
    why.appendf("%s must be ", k.key);
    append_choices(why, words);
    why.append(", got ");
    append_quoted(why, value);
    return false;
}

bool read_slot_name(const GlobalKeySpec& k, Span value, Message& why) {
    why.appendf("%s slot name ", k.key);
    append_quoted(why, value);
    why.append(" ");
    return check_name(value, why);
}

// runtime-crashes: `off`, or N/HOURS (N 2..100, HOURS 1..8760), packed as N | HOURS << 8.
bool read_crash_limit(const GlobalKeySpec& k, Span value, uint32_t& out, Message& why) {
    if (value.is("off")) {
        out = 0;
        return true;
    }
    size_t slash = 0;
    while (slash < value.n && value.p[slash] != '/') ++slash;
    uint32_t n = 0;
    uint32_t hours = 0;
    if (slash < value.n && parse_number(Span{value.p, slash}, kMinRuntimeCrashLimit, kMaxRuntimeCrashLimit, n) &&
        parse_number(Span{value.p + slash + 1, value.n - slash - 1}, 1, kMaxRuntimeCrashHours, hours)) {
        out = n | (hours << 8);
        return true;
    }
    why.appendf("%s must be off or N/HOURS (N %u..%u crashes within HOURS 1..%u, e.g. 3/24), got ", k.key,
                kMinRuntimeCrashLimit, kMaxRuntimeCrashLimit, kMaxRuntimeCrashHours);
    append_quoted(why, value);
    return false;
}

// Reads a value for a key; on failure the whole message goes to `why`.
bool read_value(const GlobalKeySpec& k, Span value, uint32_t& out, Message& why) {
    switch (k.reads) {
    case Reads::number: return read_number(k, value, out, why);
    case Reads::keyword: return read_keyword(k, value, out, why);
    case Reads::crash_limit: return read_crash_limit(k, value, out, why);
    case Reads::slot_name: return read_slot_name(k, value, why);
    }
    return false;
}

// Stores what read_value() read in the key's Config field.
void store_value(Config& cfg, const GlobalKeySpec& k, uint32_t v, Span value) {
    if (k.reads == Reads::slot_name) {
        (void)text_copy(cfg.default_slot, sizeof(cfg.default_slot), value.p, value.n);
        return;
    }
    if (k.reads == Reads::crash_limit) {
        cfg.runtime_crash_limit = static_cast<uint8_t>(v & 0xFF);
        cfg.runtime_crash_hours = static_cast<uint16_t>(v >> 8);
        return;
    }
    unsigned char* field = reinterpret_cast<unsigned char*>(&cfg) + k.field.offset;
    if (k.field.size == 1) {
        *field = static_cast<uint8_t>(v);
    } else if (k.field.size == 2) {
        *reinterpret_cast<uint16_t*>(field) = static_cast<uint16_t>(v);
    } else {
        *reinterpret_cast<uint32_t*>(field) = v;
    }
}

constexpr GlobalKeySpec key_spec(GlobalKey id, const char* key, Reads reads, ConfigField field = {}) {
    GlobalKeySpec k{};
    copy_name(k.key, key);
    k.id = id;
    k.reads = reads;
    k.field = field;
    return k;
}
constexpr bool kSeconds = true;
constexpr bool kOffAllowed = true;
constexpr GlobalKeySpec number_key(GlobalKey id, const char* key, ConfigField field, uint16_t min,
                                   uint16_t max, bool seconds = false, bool off_allowed = false) {
    GlobalKeySpec k = key_spec(id, key, Reads::number, field);
    k.min = min;
    k.max = max;
    k.seconds = seconds;
    k.off_allowed = off_allowed;
    return k;
}
template <size_t W>
constexpr GlobalKeySpec keyword_key(GlobalKey id, const char* key, ConfigField field,
                                    const Spelling (&words)[W]) {
    GlobalKeySpec k = key_spec(id, key, Reads::keyword, field);
    k.words = words;
    k.word_count = W;
    return k;
}

constexpr GlobalKeySpec kGlobalKeys[] = {
    number_key(GlobalKey::timeout, "timeout", WDBOOT_CONFIG_FIELD(timeout_s), kMinTimeoutSeconds, kMaxTimeoutSeconds,
               kSeconds),
    number_key(GlobalKey::tries, "tries", WDBOOT_CONFIG_FIELD(tries), 1, kMaxTries),
    keyword_key(GlobalKey::watchdog, "watchdog", WDBOOT_CONFIG_FIELD(watchdog), kWatchdogSpellings),
    keyword_key(GlobalKey::watchdog_required, "watchdog-required", WDBOOT_CONFIG_FIELD(watchdog_required),
                kYesNoSpellings),
    keyword_key(GlobalKey::on_exhausted, "on-exhausted", WDBOOT_CONFIG_FIELD(on_exhausted), kOnExhaustedSpellings),
    key_spec(GlobalKey::runtime_crashes, "runtime-crashes", Reads::crash_limit),
    number_key(GlobalKey::panic_timeout, "panic-timeout", WDBOOT_CONFIG_FIELD(panic_timeout_s), 0,
               kMaxPanicTimeoutSeconds, kSeconds),
    key_spec(GlobalKey::default_slot, "default", Reads::slot_name),
    // early-timeout: `off` or seconds in the global timeout range (checked against the
    // watchdog and `timeout` in finish_config).
    number_key(GlobalKey::early_timeout, "early-timeout", WDBOOT_CONFIG_FIELD(early_timeout_s), kMinTimeoutSeconds,
               kMaxTimeoutSeconds, kSeconds, kOffAllowed),
    keyword_key(GlobalKey::secure_boot_policy, "secure-boot-policy", WDBOOT_CONFIG_FIELD(secure_boot_policy),
                kSecureBootPolicySpellings),
};
#undef WDBOOT_CONFIG_FIELD
// ConfigField's offsets are bytes: the global fields stay at the front of Config.
static_assert(offsetof(Config, secure_boot_policy) <= UINT8_MAX, "Config's global fields moved beyond a byte offset");

constexpr bool global_keys_in_order() {
    for (size_t i = 0; i < sizeof(kGlobalKeys) / sizeof(kGlobalKeys[0]); ++i) {
        if (static_cast<size_t>(kGlobalKeys[i].id) != i) return false;
    }
    return true;
}
static_assert(global_keys_in_order(), "kGlobalKeys is indexed by GlobalKey");
static_assert(sizeof(kGlobalKeys) / sizeof(kGlobalKeys[0]) == ConfigLines::kGlobalKeys,
              "Config keeps one line per global key");

const GlobalKeySpec& global_key(GlobalKey id) { return kGlobalKeys[static_cast<size_t>(id)]; }

const GlobalKeySpec* find_global_key(Span key) {
    for (const GlobalKeySpec& k : kGlobalKeys) {
        if (key.is(k.key)) return &k;
    }
    return nullptr;
}

// Reads a value with read_value() for a global key or a slot's `tries`, and keeps the
// line it was set on in `set_on` (kNoLine: from the load options), warning when the
// file sets it a second time. Returns false, with an error, when the value is rejected;
// `set_on` is then left as it was.
bool read_setting(Diagnostics& d, const GlobalKeySpec& k, Span value, uint32_t line, uint32_t& set_on,
                  uint32_t& v) {
    Message m;
    if (!read_value(k, value, v, m)) {
        report(d, line, Severity::error, m);
        return false;
    }
    if (line != kNoLine && set_on != kNoLine) {
        reportf(d, line, Severity::warning, "'%s' set again (first on line %u); the value on this line is used",
                k.key, set_on);
    }
    set_on = line;
    return true;
}

// "'KEY' what": an error about where a key is or what follows it, not about its value.
void report_key_error(Diagnostics& d, uint32_t line, Span key, const char* what) {
    reportf(d, line, Severity::error, "'%.*s' %s", static_cast<int>(key.n), key.p, what);
}

// ---- Slot stanzas.

// The slot stanza being read. It is parsed into a scratch SlotConfig and copied into
// the table only when it ends complete, so a dropped stanza never half-exists.
struct Stanza {
    bool open = false;
    bool keep = false;          // false: report problems, then drop (bad `slot` line, no room, ...)
    bool image_conflict = false;
    const char* image_key = nullptr;
    uint32_t image_line = 0;
    uint32_t first_initrd_line = 0;
    uint32_t tries_line = 0;
    uint32_t options_line = 0;
    SlotConfig slot{};
};

const char* slot_name_or_unnamed(const Stanza& st) { return st.slot.name[0] ? st.slot.name : "?"; }

// What a slot key takes after it.
enum class Takes : uint8_t { one_value, no_value, rest_of_line };

// What a slot key does with its value: one switch (apply_slot_key) rather than a
// function pointer per key, for the same reason as Reads.
enum class SlotKeyDoes : uint8_t { set_image, add_initrd, add_options, set_tries, set_rescue };

struct SlotKeySpec {
    char key[10];  // the longest key, "bootentry", and its NUL
    Takes takes;
    SlotKeyDoes does;
    ImageKind image;  // the image keys: what they make the slot
};

// `linux PATH`, `efi PATH`, `bootentry XXXX`. A slot takes exactly one image: a second
// image key makes the whole slot invalid.
void set_image(Stanza& st, Diagnostics& d, const SlotKeySpec& k, Span value, uint32_t line) {
    Message m;
    if (st.image_key != nullptr) {
        if (st.keep && !st.image_conflict) {
            reportf(d, line, Severity::error,
                    "slot '%s' already has an image ('%s' on line %u); a slot takes exactly one; slot dropped",
                    slot_name_or_unnamed(st), st.image_key, st.image_line);
        }
        st.image_conflict = true;
        return;
    }
    SlotConfig& s = st.slot;
    if (k.image == ImageKind::boot_entry) {
        bool ok = value.n == 4;
        uint32_t v = 0;
        for (size_t i = 0; ok && i < value.n; ++i) {
            int h = hex_value(value.p[i]);
            ok = h >= 0;
            v = (v << 4) | static_cast<uint32_t>(h < 0 ? 0 : h);
        }
        if (!ok) {
            m.append("bootentry must be 4 hex digits (as in Boot0003), got ");
            append_quoted(m, value);
            report(d, line, Severity::error, m);
            return;
        }
        s.boot_entry = static_cast<uint16_t>(v);
    } else if (!normalise_path(value, s.path, m)) {
        report(d, line, Severity::error, m);
        return;
    }
    s.kind = k.image;
    st.image_key = k.key;
    st.image_line = line;
}

void add_initrd(Stanza& st, Diagnostics& d, Span value, uint32_t line) {
    SlotConfig& s = st.slot;
    Message m;
    if (s.initrd_count >= kMaxInitrds) {
        reportf(d, line, Severity::error, "too many initrds for slot '%s' (at most %lu)", slot_name_or_unnamed(st),
                kMaxInitrds);
        return;
    }
    if (!normalise_path(value, s.initrds[s.initrd_count], m)) {
        report(d, line, Severity::error, m);
        return;
    }
    if (s.initrd_count == 0) st.first_initrd_line = line;
    ++s.initrd_count;
}

// `options` lines are joined with one space, as Boot Loader Specification entries do.
void add_options(Stanza& st, Diagnostics& d, Span value, uint32_t line) {
    SlotConfig& s = st.slot;
    if (value.empty()) return;  // parse_line() has checked that the bytes are ASCII
    size_t have = text_length(s.options);
    size_t need = have + (have > 0 ? 1 : 0) + value.n;
    if (need > kOptionsChars) {
        reportf(d, line, Severity::error, "options too long for slot '%s' (at most %lu characters, got %lu)",
                slot_name_or_unnamed(st), kOptionsChars, need);
        return;
    }
    if (have > 0) s.options[have++] = ' ';
    for (size_t i = 0; i < value.n; ++i) s.options[have++] = value.p[i];
    s.options[have] = '\0';
    st.options_line = line;
}

// A slot's `tries` takes what the global one does, with the same message.
void set_slot_tries(Stanza& st, Diagnostics& d, Span value, uint32_t line) {
    uint32_t v = 0;
    if (read_setting(d, global_key(GlobalKey::tries), value, line, st.tries_line, v)) {
        st.slot.tries = static_cast<uint8_t>(v);
    }
}

void apply_slot_key(Stanza& st, Diagnostics& d, const SlotKeySpec& k, Span value, uint32_t line) {
    switch (k.does) {
    case SlotKeyDoes::set_image: set_image(st, d, k, value, line); break;
    case SlotKeyDoes::add_initrd: add_initrd(st, d, value, line); break;
    case SlotKeyDoes::add_options: add_options(st, d, value, line); break;
    case SlotKeyDoes::set_tries: set_slot_tries(st, d, value, line); break;
    case SlotKeyDoes::set_rescue: st.slot.rescue = true; break;
    }
}

constexpr SlotKeySpec slot_key(const char* key, Takes takes, SlotKeyDoes does) {
    SlotKeySpec k{};
    copy_name(k.key, key);
    k.takes = takes;
    k.does = does;
    k.image = ImageKind::none;
    return k;
}
// The image keys are spelt as kImageKindSpellings spells their kind.
constexpr SlotKeySpec image_key(ImageKind kind) {
    SlotKeySpec k{};
    copy_name(k.key, spelling_of(kImageKindSpellings, kind));
    k.takes = Takes::one_value;
    k.does = SlotKeyDoes::set_image;
    k.image = kind;
    return k;
}

constexpr SlotKeySpec kSlotKeys[] = {
    image_key(ImageKind::linux_efi),
    image_key(ImageKind::efi_app),
    slot_key("initrd", Takes::one_value, SlotKeyDoes::add_initrd),
    slot_key("options", Takes::rest_of_line, SlotKeyDoes::add_options),
    slot_key("tries", Takes::one_value, SlotKeyDoes::set_tries),
    slot_key("rescue", Takes::no_value, SlotKeyDoes::set_rescue),
    image_key(ImageKind::boot_entry),
};

const SlotKeySpec* find_slot_key(Span key) {
    for (const SlotKeySpec& k : kSlotKeys) {
        if (key.is(k.key)) return &k;
    }
    return nullptr;
}

void report_unknown_key(Diagnostics& d, uint32_t line, Span key) {
    Message m;
    m.append("unknown key ");
    append_quoted(m, key);
    const char* hint = nullptr;
    for (const GlobalKeySpec& k : kGlobalKeys) {
        if (hint == nullptr && equal_ignoring_case(key, k.key)) hint = k.key;
    }
    for (const SlotKeySpec& k : kSlotKeys) {
        if (hint == nullptr && equal_ignoring_case(key, k.key)) hint = k.key;
    }
    bool has_equals = false;
    for (size_t i = 0; i < key.n; ++i) has_equals = has_equals || key.p[i] == '=';
    if (hint != nullptr) {
        m.appendf(" (keys are lower case: '%s')", hint);
    } else if (has_equals) {
        m.append(" (separate a key from its value with a space)");
    }
    report(d, line, Severity::error, m);
}

// Sets a global key whose value is not empty. The file's lines are remembered for
// finish_config's messages and for the warning about a key set twice.
bool set_global_key(Config& cfg, const GlobalKeySpec& k, Span value, uint32_t line) {
    uint32_t v = 0;
    if (!read_setting(cfg.diagnostics, k, value, line, ConfigLines::key(cfg, k.id), v)) return false;
    store_value(cfg, k, v, value);
    return true;
}

void close_stanza(Stanza& st, Config& cfg) {
    if (!st.open) return;
    st.open = false;
    if (!st.keep || st.image_conflict) return;  // already reported
    Diagnostics& d = cfg.diagnostics;
    SlotConfig& s = st.slot;
    if (s.kind == ImageKind::none) {
        reportf(d, s.line, Severity::error, "slot '%s' has no image (linux, efi or bootentry); slot dropped", s.name);
        return;
    }
    if (s.initrd_count > 0 && s.kind != ImageKind::linux_efi) {
        reportf(d, st.first_initrd_line, Severity::warning, "initrd is only used with 'linux'; ignored for slot '%s'",
                s.name);
        s.initrd_count = 0;
        for (auto& path : s.initrds) path[0] = '\0';
    }
    if (cfg.slot_count >= kMaxSlots) return;  // cannot happen: room was checked at open
    ConfigLines::options(cfg, cfg.slot_count) = st.options_line;
    cfg.slots[cfg.slot_count++] = s;
}

// Closes the previous stanza and opens one that will be dropped (its lines are still
// checked and reported); open_stanza() keeps it when the `slot` line is good.
void open_dropped_stanza(Stanza& st, Config& cfg, uint32_t line) {
    close_stanza(st, cfg);
    st = Stanza{};
    st.open = true;
    st.slot.line = line;
}

// `slot NAME`: closes the previous stanza and opens the next one.
void open_stanza(Stanza& st, Config& cfg, Span rest, uint32_t line) {
    open_dropped_stanza(st, cfg, line);
    Diagnostics& d = cfg.diagnostics;
    Message m;
    Span after;
    Span name = next_token(rest, after);
    if (name.empty() || is_comment(name)) {
        d.add(line, Severity::error, "'slot' needs a name; the stanza is skipped");
        return;
    }
    if (!after.empty() && !is_comment(after)) {
        m.append("unexpected ");
        append_quoted(m, after);
        m.append(" after the slot name; the stanza is skipped");
        report(d, line, Severity::error, m);
        return;
    }
    m.append("slot name ");
    append_quoted(m, name);
    m.append(" ");
    if (!check_name(name, m)) {
        m.append("; the stanza is skipped");
        report(d, line, Severity::error, m);
        return;
    }
    m.clear();
    (void)text_copy(st.slot.name, sizeof(st.slot.name), name.p, name.n);
    uint8_t dup = cfg.find(st.slot.name);
    if (dup != kNoSlot) {
        reportf(d, line, Severity::error, "duplicate slot name '%s' (first on line %u); this stanza is dropped",
                st.slot.name, cfg.slots[dup].line);
        return;
    }
    if (cfg.slot_count >= kMaxSlots) {
        reportf(d, line, Severity::error, "too many slots (at most %lu); slot '%s' is dropped", kMaxSlots,
                st.slot.name);
        return;
    }
    st.keep = true;
}

// ---- Lines.

// Where a line's comment starts: at the first word that begins with '#' (the whole
// line for a comment line), or nowhere (n) in an `options` line, where '#' is text.
size_t comment_start(Span raw, Span key) {
    if (key.is("options")) return raw.n;
    for (size_t i = 0; i < raw.n; ++i) {
        if (raw.p[i] == '#' && (i == 0 || is_space(raw.p[i - 1]))) return i;
    }
    return raw.n;
}

// Checks the bytes of a line. A NUL byte makes any line unusable, a comment included.
// Outside comments only printable ASCII and tabs may appear, and a CR only in the
// trailing blanks (CRLF files): any other byte (a control character, a non-ASCII
// character, a byte order mark inside the file) is reported with what it is and its
// column, and the line is ignored rather than read as something else. Returns false
// after reporting.
bool line_bytes_ok(Span raw, Span key, Diagnostics& d, uint32_t line, const char* consequence) {
    for (size_t i = 0; i < raw.n; ++i) {
        if (raw.p[i] == '\0') {
            reportf(d, line, Severity::error, "line contains a NUL byte at column %lu; %s", i + 1, consequence);
            return false;
        }
    }
    size_t end = comment_start(raw, key);
    while (end > 0 && (raw.p[end - 1] == ' ' || raw.p[end - 1] == '\t' || raw.p[end - 1] == '\r')) --end;
    BadCharacter bad{};
    if (!find_bad_character(raw.p, end, bad)) return true;
    Message m;
    m.append("line contains ");
    append_character_name(m, bad.code, bad.decoded);
    m.appendf(" at column %lu", bad.offset + 1);
    if (bad.code >= 0x80) m.append(" (only ASCII is allowed outside comments)");
    m.appendf("; %s", consequence);
    report(d, line, Severity::error, m);
    return false;
}

// A value that must be one word: anything after it other than a comment is an error.
bool single_value(Span key, Span rest, Span& value, Diagnostics& d, uint32_t line) {
    Span after;
    value = next_token(rest, after);
    if (is_comment(value)) {
        value = Span{};
        return true;
    }
    if (!after.empty() && !is_comment(after)) {
        Message m;
        m.append("unexpected ");
        append_quoted(m, after);
        m.appendf(" after the value of '%.*s'", static_cast<int>(key.n), key.p);
        report(d, line, Severity::error, m);
        return false;
    }
    return true;
}

// Reads one line into cfg and st. Returns whether the line has content (is neither
// blank nor a comment), whatever became of it: parse_config() keeps a stanza's extent.
bool parse_line(Span raw, uint32_t line, Config& cfg, Stanza& st) {
    Diagnostics& d = cfg.diagnostics;
    Span text = trim(raw);
    const bool content = !text.empty() && text.p[0] != '#';
    Span rest;
    Span key = next_token(text, rest);
    bool slot_line = key.is("slot");
    if (!line_bytes_ok(raw, key, d, line, slot_line ? "the stanza is skipped" : "line ignored")) {
        // A `slot` line that cannot be read still starts a stanza, so that the lines
        // below it are not taken for the previous slot's.
        if (slot_line) open_dropped_stanza(st, cfg, line);
        return content;
    }
    if (!content) return false;
    if (slot_line) {
        open_stanza(st, cfg, rest, line);
        return true;
    }
    const GlobalKeySpec* global = find_global_key(key);
    const SlotKeySpec* slot = find_slot_key(key);  // `tries` is both: per slot inside a stanza
    if (slot == nullptr && global == nullptr) {
        report_unknown_key(d, line, key);
        return true;
    }
    if (st.open && slot == nullptr) {
        report_key_error(d, line, key, "is a global key: move it above the first 'slot' line");
        return true;
    }
    if (!st.open && global == nullptr) {
        report_key_error(d, line, key, "must be inside a slot stanza (after a 'slot NAME' line)");
        return true;
    }
    if (st.open && slot->takes == Takes::rest_of_line) {
        apply_slot_key(st, d, *slot, rest, line);  // the rest of the line, verbatim
        return true;
    }
    Span value;
    if (!single_value(key, rest, value, d, line)) return true;
    bool takes_value = st.open ? slot->takes == Takes::one_value : true;
    if (!takes_value && !value.empty()) {
        report_key_error(d, line, key, "takes no value");
    } else if (takes_value && value.empty()) {
        report_key_error(d, line, key, "needs a value");
    } else if (st.open) {
        apply_slot_key(st, d, *slot, value, line);
    } else {
        (void)set_global_key(cfg, *global, value, line);
    }
    return true;
}

// ---- After parsing.

// The watchdog's name in messages: "itco", or "auto (which may pick itco)".
void append_watchdog(Message& m, WatchdogChoice choice, const WatchdogDriverFacts* driver) {
    m.appendf("watchdog %s", to_string(choice));
    if (choice == WatchdogChoice::auto_detect && driver != nullptr) {
        m.appendf(" (may pick %s)", driver->name);
    }
}

// early-timeout against `timeout` and the watchdog: a second deadline must be shorter
// than the first, inside what the driver can arm, and needs a driver whose Linux module
// takes the timer over. Whatever is wrong, the outcome is one deadline (`timeout`), which
// is always safe: never a boot without a deadline.
void check_early_timeout(Config& cfg, const WatchdogLimits& limits) {
    if (cfg.early_timeout_s == kEarlyTimeoutOff) return;
    Diagnostics& d = cfg.diagnostics;
    const uint32_t line = ConfigLines::key(cfg, GlobalKey::early_timeout);
    Message m;
    m.appendf("early-timeout %u", cfg.early_timeout_s);
    if (cfg.early_timeout_s >= cfg.timeout_s) {
        m.appendf(" is not shorter than timeout %u; early-timeout off: one deadline, timeout, applies", cfg.timeout_s);
        report(d, line, Severity::warning, m);
        cfg.early_timeout_s = kEarlyTimeoutOff;
        return;
    }
    if (cfg.early_timeout_s < limits.min_timeout_s) {
        m.append(" is shorter than what ");
        append_watchdog(m, cfg.watchdog, limits.limiting);
        m.appendf(" can arm (%u seconds); %u is used", limits.min_timeout_s, limits.min_timeout_s);
        report(d, line, Severity::error, m);
        cfg.early_timeout_s = limits.min_timeout_s < cfg.timeout_s ? limits.min_timeout_s : kEarlyTimeoutOff;
        return;
    }
    bool any_handoff = false;
    for (const WatchdogDriverFacts& f : kWatchdogDrivers) {
        if (may_arm(cfg.watchdog, f) && f.open_timeout_handoff) any_handoff = true;
    }
    if (!any_handoff) {
        m.appendf(" has no effect with watchdog %s: its Linux driver does not take a running timer over, so one "
                  "deadline, timeout, applies",
                  to_string(cfg.watchdog));
        report(d, line, Severity::warning, m);
    }
}

// The checks that need the final `watchdog` choice (the load options may change it), so
// they run in finish_config: what parses must also boot protected.
void check_against_watchdog(Config& cfg) {
    Diagnostics& d = cfg.diagnostics;
    const WatchdogLimits limits = watchdog_limits(cfg.watchdog);
    if (cfg.timeout_s < limits.min_timeout_s || cfg.timeout_s > limits.max_timeout_s) {
        uint32_t clamped = cfg.timeout_s < limits.min_timeout_s ? limits.min_timeout_s : limits.max_timeout_s;
        Message m;
        m.appendf("timeout %u is outside what ", cfg.timeout_s);
        append_watchdog(m, cfg.watchdog, limits.limiting);
        m.appendf(" can arm (%u..%u seconds); %u is used so that the boot stays protected", limits.min_timeout_s,
                  limits.max_timeout_s, clamped);
        report(d, ConfigLines::key(cfg, GlobalKey::timeout), Severity::error, m);
        cfg.timeout_s = clamped;
    }
    check_early_timeout(cfg, limits);
    if (limits.args_length == 0) return;
    // Room for the slot's options, the separating space and the watchdog's arguments.
    const size_t room = kOptionsChars - 1 - limits.args_length;
    uint8_t kept = 0;
    for (uint8_t i = 0; i < cfg.slot_count && i < kMaxSlots; ++i) {
        const SlotConfig& s = cfg.slots[i];
        const uint32_t options_line = ConfigLines::options(cfg, i);
        size_t n = text_length(s.options);
        if (n > room) {
            reportf(d, options_line != 0 ? options_line : s.line, Severity::error,
                    "options of slot '%s' are %lu characters; with watchdog %s's '%s' at most %lu fit; slot dropped",
                    s.name, n, to_string(cfg.watchdog), limits.longest_args, room);
            continue;
        }
        if (kept != i) {
            cfg.slots[kept] = s;
            ConfigLines::options(cfg, kept) = options_line;
        }
        ++kept;
    }
    cfg.slot_count = kept;
}

}  // namespace

Span next_token(Span s, Span& rest) {
    size_t i = 0;
    while (i < s.n && is_space(s.p[i])) ++i;
    size_t start = i;
    while (i < s.n && !is_space(s.p[i])) ++i;
    Span token{s.p + start, i - start};
    while (i < s.n && is_space(s.p[i])) ++i;
    rest = Span{s.p + i, s.n - i};
    return token;
}

bool equal_ignoring_case(Span s, const char* word) {
    size_t i = 0;
    for (; i < s.n; ++i) {
        if (word[i] == '\0' || to_lower(s.p[i]) != word[i]) return false;
    }
    return word[i] == '\0';
}

void reportf(Diagnostics& d, uint32_t line, Severity sev, const char* fmt, ...) {
    Message m;
    va_list args;
    va_start(args, fmt);
    m.vappendf(fmt, args);
    va_end(args);
    report(d, line, sev, m);
}

void append_quoted(Message& m, Span s) {
    m.append_char('\'');
    size_t shown = s.n > kQuoteMax ? kQuoteMax - 3 : s.n;
    for (size_t i = 0; i < shown; ++i) m.append_char(is_ascii_printable(s.p[i]) ? s.p[i] : '?');
    if (shown < s.n) m.append("...");
    m.append_char('\'');
}

bool is_global_key(Span key) { return find_global_key(key) != nullptr; }

bool set_global(Config& cfg, Span key, Span value, uint32_t line) {
    if (value.empty()) {
        report_key_error(cfg.diagnostics, line, key, "needs a value");
        return false;
    }
    const GlobalKeySpec* k = find_global_key(key);
    if (k == nullptr) {
        report_unknown_key(cfg.diagnostics, line, key);
        return false;
    }
    return set_global_key(cfg, *k, value, line);
}

}  // namespace config_parser

using namespace config_parser;

void Diagnostics::add(uint32_t line_no, Severity severity, const char* message) {
    if (severity == Severity::error && errors != UINT32_MAX) ++errors;
    if (count < kMaxDiagnostics) {
        Diagnostic& item = items[count++];
        item.line = line_no;
        item.severity = severity;
        (void)text_copy(item.message, sizeof(item.message), message != nullptr ? message : "");
    } else if (dropped != UINT32_MAX) {
        ++dropped;
    }
}

uint8_t Config::find(const char* name) const {
    if (name == nullptr || name[0] == '\0') return kNoSlot;
    for (uint8_t i = 0; i < slot_count && i < kMaxSlots; ++i) {
        if (text_equal(slots[i].name, name)) return i;
    }
    return kNoSlot;
}

void config_defaults(Config& cfg) {
    cfg = Config{};
    cfg.timeout_s = kDefaultTimeoutSeconds;
    cfg.tries = kDefaultTries;
    cfg.watchdog = WatchdogChoice::auto_detect;
    cfg.watchdog_required = false;
    cfg.on_exhausted = OnExhausted::last_good;
    cfg.runtime_crash_limit = kDefaultRuntimeCrashLimit;
    cfg.runtime_crash_hours = kDefaultRuntimeCrashHours;
    cfg.panic_timeout_s = kDefaultPanicTimeoutSeconds;
    cfg.early_timeout_s = kEarlyTimeoutOff;
    cfg.secure_boot_policy = SecureBootPolicy::strict;
}

Status parse_config(const char* text, size_t len, Config& cfg) {
    uint32_t errors_before = cfg.diagnostics.errors;
    if (text == nullptr) len = 0;
    if (starts_with_utf16_bom(text, len)) {
        cfg.diagnostics.add(1, Severity::error,
                            "the file is UTF-16 text (it starts with a UTF-16 byte order mark); save it as ASCII "
                            "or UTF-8");
        return Status::invalid_argument;
    }
    Stanza st;
    uint32_t line = 0;
    // Editors on Windows start UTF-8 files with a byte order mark; it is not part of the
    // first line (which would otherwise be lost, e.g. the first `slot`).
    size_t start = utf8_bom_length(text, len);
    while (start < len) {
        size_t end = start;
        while (end < len && text[end] != '\n') ++end;
        if (line != UINT32_MAX) ++line;
        const bool content = parse_line(Span{text + start, end - start}, line, cfg, st);
        // The extent of the open stanza (SlotConfig::last_line): its last line with content.
        if (content && st.open) st.slot.last_line = line;
        start = end + 1;
    }
    close_stanza(st, cfg);
    return cfg.diagnostics.errors == errors_before ? Status::ok : Status::invalid_argument;
}

namespace {

// secure-boot-policy permissive counts only from the boot entry's load options (NVRAM):
// the policy is about distrusting this file, so the file cannot loosen it.
void check_secure_boot_policy(Config& cfg) {
    const uint32_t line = ConfigLines::key(cfg, GlobalKey::secure_boot_policy);
    if (line == kNoLine || cfg.secure_boot_policy != SecureBootPolicy::permissive) return;
    cfg.secure_boot_policy = SecureBootPolicy::strict;
    cfg.diagnostics.add(line, Severity::warning,
                        "secure-boot-policy permissive is only taken from the boot entry's load options (NVRAM), "
                        "not from this file; strict applies under Secure Boot");
}

}  // namespace

Status finish_config(Config& cfg) {
    Diagnostics& d = cfg.diagnostics;
    check_secure_boot_policy(cfg);
    check_against_watchdog(cfg);
    if (cfg.slot_count == 0) {
        cfg.default_slot[0] = '\0';  // nothing to name; the error below says all
        d.add(kNoLine, Severity::error, "no usable slot: wdboot returns to the firmware");
        return Status::not_found;
    }
    if (cfg.default_slot[0] != '\0' && cfg.find(cfg.default_slot) == kNoSlot) {
        reportf(d, ConfigLines::key(cfg, GlobalKey::default_slot), Severity::warning,
                "default slot '%s' does not exist; the slots are tried in file order", cfg.default_slot);
        cfg.default_slot[0] = '\0';
    }
    uint8_t rescue = kNoSlot;
    for (uint8_t i = 0; i < cfg.slot_count; ++i) {
        if (!cfg.slots[i].rescue) continue;
        if (rescue == kNoSlot) {
            rescue = i;
            continue;
        }
        reportf(d, cfg.slots[i].line, Severity::warning,
                "slot '%s' is also marked 'rescue'; only the first, '%s', is used", cfg.slots[i].name,
                cfg.slots[rescue].name);
    }
    if (cfg.on_exhausted == OnExhausted::rescue && rescue == kNoSlot) {
        d.add(ConfigLines::key(cfg, GlobalKey::on_exhausted), Severity::warning,
              "on-exhausted rescue, but no slot is marked 'rescue'");
    }
    if (cfg.watchdog_required && cfg.watchdog == WatchdogChoice::none) {
        d.add(ConfigLines::key(cfg, GlobalKey::watchdog_required), Severity::warning,
              "watchdog-required yes with watchdog none: wdboot will refuse to boot any slot");
    }
    return Status::ok;
}

bool is_valid_slot_name(const char* name) {
    if (name == nullptr) return false;
    size_t n = 0;
    while (n <= kNameMax && name[n] != '\0') ++n;
    if (n > kNameMax) return false;
    Message ignored;
    return check_name(Span{name, n}, ignored);
}

const char* to_string(ImageKind k) { return spelling_of(kImageKindSpellings, k); }
const char* to_string(OnExhausted o) { return spelling_of(kOnExhaustedSpellings, o); }
const char* to_string(WatchdogChoice w) { return spelling_of(kWatchdogSpellings, w); }
const char* to_string(SecureBootPolicy p) { return spelling_of(kSecureBootPolicySpellings, p); }

}  // namespace wdboot
