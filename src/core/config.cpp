// The wdboot.conf parser and the load-options parser. Both work on (pointer, length)
// views into the caller's text and never copy a whole line, so a line of any length
// costs no memory and nothing is read past `len`. Syntax: docs/config.md.
#include "wdboot/config.hpp"

#include "wdboot/text.hpp"
#include "wdboot/text_encoding.hpp"
#include "wdboot/watchdog_drivers.hpp"

namespace wdboot {
namespace {

// A view into the input text. Never NUL-terminated.
struct Span {
    const char* p = nullptr;
    size_t n = 0;

    bool empty() const { return n == 0; }
    bool is(const char* word) const { return text_equal_n(word, p, n); }
};

using Message = TextBuffer<kDiagnosticBytes>;

// Values quoted in messages are cut so that the message keeps its end.
constexpr size_t kQuoteMax = 48;
constexpr size_t kNameMax = kSlotNameBytes - 1;
constexpr size_t kPathChars = kPathMax - 1;
constexpr size_t kOptionsChars = kOptionsMax - 1;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_separator(char c) { return c == '/' || c == '\\'; }
bool is_ascii_printable(char c) { return c >= 0x20 && c <= 0x7E; }

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

// Splits off the first whitespace-delimited token of s; `rest` is what follows,
// with leading whitespace removed.
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

// A word that starts with '#' begins a comment (outside `options`).
bool is_comment(Span word) { return !word.empty() && word.p[0] == '#'; }

// Appends 'text' to a message, cut to kQuoteMax, with unprintable bytes shown as '?'.
void append_quoted(Message& m, Span s) {
    m.append_char('\'');
    size_t shown = s.n > kQuoteMax ? kQuoteMax - 3 : s.n;
    for (size_t i = 0; i < shown; ++i) m.append_char(is_ascii_printable(s.p[i]) ? s.p[i] : '?');
    if (shown < s.n) m.append("...");
    m.append_char('\'');
}

void report(Diagnostics& d, uint32_t line, Severity sev, const Message& m) { d.add(line, sev, m.c_str()); }

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
        why.append("is too long (at most ").append_uint(kNameMax).append(" characters)");
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

// Copies an ESP path into dst: '/' becomes '\', runs of separators collapse to one.
// It must be absolute, name a file (no trailing separator), be printable ASCII
// without the characters FAT forbids, and fit. On failure dst is left empty and the
// reason goes to `why`.
bool normalise_path(Span s, char (&dst)[kPathMax], Message& why) {
    dst[0] = '\0';
    if (s.empty()) {
        why.append("path is empty");
        return false;
    }
    if (!is_separator(s.p[0])) {
        why.append("path must start with '\\' or '/', got ");
        append_quoted(why, s);
        return false;
    }
    size_t n = 0;
    for (size_t i = 0; i < s.n; ++i) {
        char c = s.p[i];
        if (!is_ascii_printable(c) || c == ' ') {
            why.append("path must be printable ASCII without spaces, got ");
            append_quoted(why, s);
            dst[0] = '\0';
            return false;
        }
        if (c == '"' || c == '*' || c == ':' || c == '<' || c == '>' || c == '?' || c == '|') {
            why.append("path contains '").append_char(c).append("', which FAT does not allow");
            dst[0] = '\0';
            return false;
        }
        if (is_separator(c)) {
            if (n > 0 && dst[n - 1] == '\\') continue;
            c = '\\';
        }
        if (n >= kPathChars) {
            why.append("path is too long (at most ").append_uint(kPathChars).append(" characters)");
            dst[0] = '\0';
            return false;
        }
        dst[n++] = c;
    }
    dst[n] = '\0';
    if (dst[n - 1] == '\\') {
        why.append("path names a directory, not a file: ");
        append_quoted(why, s);
        dst[0] = '\0';
        return false;
    }
    return true;
}

// Keyword tables: the same spellings as to_string().
template <typename E, size_t N>
bool parse_keyword(Span s, const E (&values)[N], E& out) {
    for (E v : values) {
        if (s.is(to_string(v))) {
            out = v;
            return true;
        }
    }
    return false;
}

constexpr WatchdogChoice kWatchdogs[] = {WatchdogChoice::auto_detect, WatchdogChoice::none,
                                         WatchdogChoice::i6300esb, WatchdogChoice::itco,
                                         WatchdogChoice::wdat};
constexpr OnExhausted kExhausted[] = {OnExhausted::last_good, OnExhausted::rescue, OnExhausted::reset,
                                      OnExhausted::halt};

// The keys a config may contain, for the "unknown key" hint about upper case.
constexpr const char* kGlobalKeys[] = {"timeout", "tries", "watchdog", "watchdog-required",
                                       "on-exhausted", "default"};
constexpr const char* kSlotKeys[] = {"linux", "efi", "initrd", "options", "tries", "rescue", "bootentry"};

bool is_global_key(Span key) {
    for (const char* k : kGlobalKeys) {
        if (key.is(k)) return true;
    }
    return false;
}

bool is_slot_key(Span key) {
    for (const char* k : kSlotKeys) {
        if (key.is(k)) return true;
    }
    return false;
}

bool equal_ignoring_case(Span s, const char* word) {
    size_t i = 0;
    for (; i < s.n; ++i) {
        if (word[i] == '\0' || to_lower(s.p[i]) != word[i]) return false;
    }
    return word[i] == '\0';
}

void report_unknown_key(Diagnostics& d, uint32_t line, Span key) {
    Message m;
    m.append("unknown key ");
    append_quoted(m, key);
    bool hinted = false;
    for (const char* k : kGlobalKeys) {
        if (!hinted && equal_ignoring_case(key, k)) {
            m.append(" (keys are lower case: '").append(k).append("')");
            hinted = true;
        }
    }
    for (const char* k : kSlotKeys) {
        if (!hinted && equal_ignoring_case(key, k)) {
            m.append(" (keys are lower case: '").append(k).append("')");
            hinted = true;
        }
    }
    for (size_t i = 0; !hinted && i < key.n; ++i) {
        if (key.p[i] == '=') {
            m.append(" (separate a key from its value with a space)");
            hinted = true;
        }
    }
    report(d, line, Severity::error, m);
}

// Records where a global key was set in the file and warns about a second setting.
void note_global_line(Config& cfg, uint32_t& slot, Span key, uint32_t line) {
    if (line == kNoLine) {
        slot = kNoLine;  // the value now comes from the load options
        return;
    }
    if (slot != 0) {
        Message m;
        m.append("'").append(key.p, key.n).append("' set again (first on line ").append_uint(slot);
        m.append("); the value on this line is used");
        report(cfg.diagnostics, line, Severity::warning, m);
    }
    slot = line;
}

// Sets one global key from its value; shared by the file and the load options so the
// two validate identically. Returns false (with an error) when the value is rejected.
bool set_global(Config& cfg, Span key, Span value, uint32_t line) {
    Diagnostics& d = cfg.diagnostics;
    Message m;
    if (value.empty()) {
        m.append("'").append(key.p, key.n).append("' needs a value");
        report(d, line, Severity::error, m);
        return false;
    }
    if (key.is("timeout")) {
        uint32_t v = 0;
        if (!parse_number(value, kMinTimeoutSeconds, kMaxTimeoutSeconds, v)) {
            m.append("timeout must be ").append_uint(kMinTimeoutSeconds).append("..");
            m.append_uint(kMaxTimeoutSeconds).append(" seconds, got ");
            append_quoted(m, value);
            report(d, line, Severity::error, m);
            return false;
        }
        note_global_line(cfg, cfg.key_lines.timeout, key, line);
        cfg.timeout_s = v;
        return true;
    }
    if (key.is("tries")) {
        uint32_t v = 0;
        if (!parse_number(value, 1, kMaxTries, v)) {
            m.append("tries must be 1..").append_uint(kMaxTries).append(", got ");
            append_quoted(m, value);
            report(d, line, Severity::error, m);
            return false;
        }
        note_global_line(cfg, cfg.key_lines.tries, key, line);
        cfg.tries = static_cast<uint8_t>(v);
        return true;
    }
    if (key.is("watchdog")) {
        WatchdogChoice w{};
        if (!parse_keyword(value, kWatchdogs, w)) {
            m.append("watchdog must be auto, none, i6300esb, itco or wdat, got ");
            append_quoted(m, value);
            report(d, line, Severity::error, m);
            return false;
        }
        note_global_line(cfg, cfg.key_lines.watchdog, key, line);
        cfg.watchdog = w;
        return true;
    }
    if (key.is("watchdog-required")) {
        bool v = false;
        if (value.is("yes")) {
            v = true;
        } else if (!value.is("no")) {
            m.append("watchdog-required must be yes or no, got ");
            append_quoted(m, value);
            report(d, line, Severity::error, m);
            return false;
        }
        note_global_line(cfg, cfg.key_lines.watchdog_required, key, line);
        cfg.watchdog_required = v;
        return true;
    }
    if (key.is("on-exhausted")) {
        OnExhausted o{};
        if (!parse_keyword(value, kExhausted, o)) {
            m.append("on-exhausted must be last-good, rescue, reset or halt, got ");
            append_quoted(m, value);
            report(d, line, Severity::error, m);
            return false;
        }
        note_global_line(cfg, cfg.key_lines.on_exhausted, key, line);
        cfg.on_exhausted = o;
        return true;
    }
    if (key.is("default")) {
        m.append("default slot name ");
        append_quoted(m, value);
        m.append(" ");
        if (!check_name(value, m)) {
            report(d, line, Severity::error, m);
            return false;
        }
        note_global_line(cfg, cfg.key_lines.default_slot, key, line);
        (void)text_copy(cfg.default_slot, sizeof(cfg.default_slot), value.p, value.n);
        return true;
    }
    report_unknown_key(d, line, key);
    return false;
}

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
    SlotConfig slot{};
};

const char* slot_name_or_unnamed(const Stanza& st) { return st.slot.name[0] ? st.slot.name : "?"; }

void close_stanza(Stanza& st, Config& cfg) {
    if (!st.open) return;
    st.open = false;
    if (!st.keep || st.image_conflict) return;  // already reported
    Diagnostics& d = cfg.diagnostics;
    SlotConfig& s = st.slot;
    Message m;
    if (s.kind == ImageKind::none) {
        m.append("slot '").append(s.name).append("' has no image (linux, efi or bootentry); slot dropped");
        report(d, s.line, Severity::error, m);
        return;
    }
    if (s.initrd_count > 0 && s.kind != ImageKind::linux_efi) {
        m.append("initrd is only used with 'linux'; ignored for slot '").append(s.name).append("'");
        report(d, st.first_initrd_line, Severity::warning, m);
        s.initrd_count = 0;
        for (auto& path : s.initrds) path[0] = '\0';
        m.clear();
    }
    if (cfg.slot_count >= kMaxSlots) return;  // cannot happen: room was checked at open
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
        report(d, line, Severity::error, m.append("'slot' needs a name; the stanza is skipped"));
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
        m.append("duplicate slot name '").append(st.slot.name).append("' (first on line ");
        m.append_uint(cfg.slots[dup].line).append("); this stanza is dropped");
        report(d, line, Severity::error, m);
        return;
    }
    if (cfg.slot_count >= kMaxSlots) {
        m.append("too many slots (at most ").append_uint(kMaxSlots).append("); slot '");
        m.append(st.slot.name).append("' is dropped");
        report(d, line, Severity::error, m);
        return;
    }
    st.keep = true;
}

// Sets the stanza's image. A second image key makes the whole slot invalid.
void set_image(Stanza& st, Diagnostics& d, Span key, Span value, uint32_t line) {
    Message m;
    if (st.image_key != nullptr) {
        if (st.keep && !st.image_conflict) {
            m.append("slot '").append(slot_name_or_unnamed(st)).append("' already has an image ('");
            m.append(st.image_key).append("' on line ").append_uint(st.image_line);
            m.append("); a slot takes exactly one; slot dropped");
            report(d, line, Severity::error, m);
        }
        st.image_conflict = true;
        return;
    }
    SlotConfig& s = st.slot;
    if (key.is("bootentry")) {
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
        s.kind = ImageKind::boot_entry;
        s.boot_entry = static_cast<uint16_t>(v);
        st.image_key = "bootentry";
    } else {
        if (!normalise_path(value, s.path, m)) {
            report(d, line, Severity::error, m);
            return;
        }
        bool is_linux = key.is("linux");
        s.kind = is_linux ? ImageKind::linux_efi : ImageKind::efi_app;
        st.image_key = is_linux ? "linux" : "efi";
    }
    st.image_line = line;
}

void add_initrd(Stanza& st, Diagnostics& d, Span value, uint32_t line) {
    SlotConfig& s = st.slot;
    Message m;
    if (s.initrd_count >= kMaxInitrds) {
        m.append("too many initrds for slot '").append(slot_name_or_unnamed(st)).append("' (at most ");
        m.append_uint(kMaxInitrds).append(")");
        report(d, line, Severity::error, m);
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
    Message m;
    if (value.empty()) return;  // parse_line() has checked that the bytes are ASCII
    size_t have = text_length(s.options);
    size_t need = have + (have > 0 ? 1 : 0) + value.n;
    if (need > kOptionsChars) {
        m.append("options too long for slot '").append(slot_name_or_unnamed(st)).append("' (at most ");
        m.append_uint(kOptionsChars).append(" characters, got ").append_uint(need).append(")");
        report(d, line, Severity::error, m);
        return;
    }
    if (have > 0) s.options[have++] = ' ';
    for (size_t i = 0; i < value.n; ++i) s.options[have++] = value.p[i];
    s.options[have] = '\0';
    s.options_line = line;
}

void set_slot_tries(Stanza& st, Diagnostics& d, Span value, uint32_t line) {
    Message m;
    uint32_t v = 0;
    if (!parse_number(value, 1, kMaxTries, v)) {
        m.append("tries must be 1..").append_uint(kMaxTries).append(", got ");
        append_quoted(m, value);
        report(d, line, Severity::error, m);
        return;
    }
    if (st.tries_line != 0) {
        m.append("'tries' set again (first on line ").append_uint(st.tries_line);
        m.append("); the value on this line is used");
        report(d, line, Severity::warning, m);
    }
    st.tries_line = line;
    st.slot.tries = static_cast<uint8_t>(v);
}

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
            Message m;
            m.append("line contains a NUL byte at column ").append_uint(i + 1).append("; ").append(consequence);
            report(d, line, Severity::error, m);
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
    m.append(" at column ").append_uint(bad.offset + 1);
    if (bad.code >= 0x80) m.append(" (only ASCII is allowed outside comments)");
    m.append("; ").append(consequence);
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
        m.append(" after the value of '").append(key.p, key.n).append("'");
        report(d, line, Severity::error, m);
        return false;
    }
    return true;
}

void parse_line(Span raw, uint32_t line, Config& cfg, Stanza& st) {
    Diagnostics& d = cfg.diagnostics;
    Span text = trim(raw);
    Span rest;
    Span key = next_token(text, rest);
    bool slot_line = key.is("slot");
    if (!line_bytes_ok(raw, key, d, line, slot_line ? "the stanza is skipped" : "line ignored")) {
        // A `slot` line that cannot be read still starts a stanza, so that the lines
        // below it are not taken for the previous slot's.
        if (slot_line) open_dropped_stanza(st, cfg, line);
        return;
    }
    if (text.empty() || text.p[0] == '#') return;
    Message m;

    if (slot_line) {
        open_stanza(st, cfg, rest, line);
        return;
    }
    bool slot_key = is_slot_key(key);
    bool global_key = is_global_key(key);  // `tries` is both: per slot inside a stanza
    if (!slot_key && !global_key) {
        report_unknown_key(d, line, key);
        return;
    }
    if (st.open && !slot_key) {
        m.append("'").append(key.p, key.n).append("' is a global key: move it above the first 'slot' line");
        report(d, line, Severity::error, m);
        return;
    }
    if (!st.open && !global_key) {
        m.append("'").append(key.p, key.n).append("' must be inside a slot stanza (after a 'slot NAME' line)");
        report(d, line, Severity::error, m);
        return;
    }
    if (key.is("options")) {
        add_options(st, d, rest, line);  // the rest of the line, verbatim
        return;
    }
    Span value;
    if (!single_value(key, rest, value, d, line)) return;
    if (!st.open) {
        (void)set_global(cfg, key, value, line);
        return;
    }
    if (key.is("rescue")) {
        if (!value.empty()) {
            report(d, line, Severity::error, m.append("'rescue' takes no value"));
            return;
        }
        st.slot.rescue = true;
        return;
    }
    if (value.empty()) {
        report(d, line, Severity::error, m.append("'").append(key.p, key.n).append("' needs a value"));
        return;
    }
    if (key.is("tries")) {
        set_slot_tries(st, d, value, line);
    } else if (key.is("initrd")) {
        add_initrd(st, d, value, line);
    } else {
        set_image(st, d, key, value, line);
    }
}

// The watchdog's name in messages: "itco", or "auto (which may pick itco)".
void append_watchdog(Message& m, WatchdogChoice choice, const WatchdogDriverFacts* driver) {
    m.append("watchdog ").append(to_string(choice));
    if (choice == WatchdogChoice::auto_detect && driver != nullptr) {
        m.append(" (may pick ").append(driver->name).append(")");
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
        m.append("timeout ").append_uint(cfg.timeout_s).append(" is outside what ");
        append_watchdog(m, cfg.watchdog, limits.limiting);
        m.append(" can arm (").append_uint(limits.min_timeout_s).append("..").append_uint(limits.max_timeout_s);
        m.append(" seconds); ").append_uint(clamped).append(" is used so that the boot stays protected");
        report(d, cfg.key_lines.timeout, Severity::error, m);
        cfg.timeout_s = clamped;
    }
    if (limits.args_length == 0) return;
    // Room for the slot's options, the separating space and the watchdog's arguments.
    const size_t room = kOptionsChars - 1 - limits.args_length;
    uint8_t kept = 0;
    for (uint8_t i = 0; i < cfg.slot_count && i < kMaxSlots; ++i) {
        const SlotConfig& s = cfg.slots[i];
        size_t n = text_length(s.options);
        if (n > room) {
            Message m;
            m.append("options of slot '").append(s.name).append("' are ").append_uint(n);
            m.append(" characters; with watchdog ").append(to_string(cfg.watchdog)).append("'s '");
            m.append(limits.longest_args).append("' at most ").append_uint(room).append(" fit; slot dropped");
            report(d, s.options_line != 0 ? s.options_line : s.line, Severity::error, m);
            continue;
        }
        if (kept != i) cfg.slots[kept] = s;
        ++kept;
    }
    cfg.slot_count = kept;
}

}  // namespace

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
        parse_line(Span{text + start, end - start}, line, cfg, st);
        // The extent of the open stanza (SlotConfig::last_line): its last line with content.
        Span content = trim(Span{text + start, end - start});
        if (st.open && !content.empty() && content.p[0] != '#') st.slot.last_line = line;
        start = end + 1;
    }
    close_stanza(st, cfg);
    return cfg.diagnostics.errors == errors_before ? Status::ok : Status::invalid_argument;
}

Status parse_load_options(const char* text, size_t len, LoadOptions& out, Diagnostics& diag) {
    out = LoadOptions{};
    uint32_t errors_before = diag.errors;
    if (text == nullptr) len = 0;
    size_t used = 0;
    bool first = true;
    size_t i = 0;
    while (i < len) {
        // NUL separates words too: efibootmgr puts one between separate arguments, and
        // the UEFI shell's command line ends with one.
        while (i < len && (is_space(text[i]) || text[i] == '\n' || text[i] == '\0')) ++i;
        size_t start = i;
        while (i < len && !(is_space(text[i]) || text[i] == '\n' || text[i] == '\0')) ++i;
        if (i == start) break;
        Span word{text + start, i - start};
        bool was_first = first;
        first = false;

        size_t eq = 0;
        while (eq < word.n && word.p[eq] != '=') ++eq;
        Message m;
        if (eq == word.n) {
            if (was_first && word.n >= 4 && equal_ignoring_case(Span{word.p + word.n - 4, 4}, ".efi")) {
                continue;  // the image path the UEFI shell passes as the first word
            }
            m.append("load option ");
            append_quoted(m, word);
            m.append(" ignored: expected key=value");
            report(diag, kNoLine, Severity::warning, m);
            continue;
        }
        Span key{word.p, eq};
        Span value{word.p + eq + 1, word.n - eq - 1};
        if (key.is("config")) {
            if (out.config_path[0] != '\0') {
                diag.add(kNoLine, Severity::warning, "config= given twice; the last one is used");
            }
            Message why;
            why.append("config= ");
            if (!normalise_path(value, out.config_path, why)) {
                out.config_path[0] = '\0';
                report(diag, kNoLine, Severity::error, why);
            }
            continue;
        }
        if (!is_global_key(key)) {
            m.append("load option ");
            append_quoted(m, word);
            m.append(" ignored: only config= and global keys can be set here");
            report(diag, kNoLine, Severity::warning, m);
            continue;
        }
        size_t need = used + (used > 0 ? 1 : 0) + word.n;
        if (need > kOptionsChars) {
            m.append("load options too long; ");
            append_quoted(m, word);
            m.append(" ignored");
            report(diag, kNoLine, Severity::error, m);
            continue;
        }
        if (used > 0) out.overrides[used++] = ' ';
        for (size_t k = 0; k < word.n; ++k) out.overrides[used++] = word.p[k];
        out.overrides[used] = '\0';
    }
    return diag.errors == errors_before ? Status::ok : Status::invalid_argument;
}

Status apply_load_options(const LoadOptions& opts, Config& cfg) {
    uint32_t errors_before = cfg.diagnostics.errors;
    // Bounded: a caller-built LoadOptions might lack its terminator.
    size_t n = 0;
    while (n < kOptionsChars && opts.overrides[n] != '\0') ++n;
    Span rest{opts.overrides, n};
    while (!rest.empty()) {
        Span after;
        Span word = next_token(rest, after);
        rest = after;
        if (word.empty()) break;
        size_t eq = 0;
        while (eq < word.n && word.p[eq] != '=') ++eq;
        Span key{word.p, eq};
        Span value{word.p + (eq < word.n ? eq + 1 : eq), eq < word.n ? word.n - eq - 1 : 0};
        (void)set_global(cfg, key, value, kNoLine);
    }
    return cfg.diagnostics.errors == errors_before ? Status::ok : Status::invalid_argument;
}

Status finish_config(Config& cfg) {
    Diagnostics& d = cfg.diagnostics;
    check_against_watchdog(cfg);
    if (cfg.slot_count == 0) {
        cfg.default_slot[0] = '\0';  // nothing to name; the error below says all
        d.add(kNoLine, Severity::error, "no usable slot: wdboot returns to the firmware");
        return Status::not_found;
    }
    Message m;
    if (cfg.default_slot[0] != '\0' && cfg.find(cfg.default_slot) == kNoSlot) {
        m.append("default slot '").append(cfg.default_slot);
        m.append("' does not exist; the slots are tried in file order");
        report(d, cfg.key_lines.default_slot, Severity::warning, m);
        cfg.default_slot[0] = '\0';
        m.clear();
    }
    uint8_t rescue = kNoSlot;
    for (uint8_t i = 0; i < cfg.slot_count; ++i) {
        if (!cfg.slots[i].rescue) continue;
        if (rescue == kNoSlot) {
            rescue = i;
            continue;
        }
        m.append("slot '").append(cfg.slots[i].name).append("' is also marked 'rescue'; only the first, '");
        m.append(cfg.slots[rescue].name).append("', is used");
        report(d, cfg.slots[i].line, Severity::warning, m);
        m.clear();
    }
    if (cfg.on_exhausted == OnExhausted::rescue && rescue == kNoSlot) {
        report(d, cfg.key_lines.on_exhausted, Severity::warning,
               m.append("on-exhausted rescue, but no slot is marked 'rescue'"));
        m.clear();
    }
    if (cfg.watchdog_required && cfg.watchdog == WatchdogChoice::none) {
        report(d, cfg.key_lines.watchdog_required, Severity::warning,
               m.append("watchdog-required yes with watchdog none: wdboot will refuse to boot any slot"));
    }
    return Status::ok;
}

bool normalise_esp_path(const char* text, size_t len, char (&out)[kPathMax], char* why, size_t why_cap) {
    Message m;
    bool ok = normalise_path(Span{text, text != nullptr ? len : 0}, out, m);
    if (!ok && why != nullptr) (void)text_copy(why, why_cap, m.c_str());
    return ok;
}

bool is_valid_slot_name(const char* name) {
    if (name == nullptr) return false;
    size_t n = 0;
    while (n <= kNameMax && name[n] != '\0') ++n;
    if (n > kNameMax) return false;
    Message ignored;
    return check_name(Span{name, n}, ignored);
}

const char* to_string(ImageKind k) {
    switch (k) {
        case ImageKind::none: return "none";
        case ImageKind::linux_efi: return "linux";
        case ImageKind::efi_app: return "efi";
        case ImageKind::boot_entry: return "bootentry";
    }
    return "unknown";
}

const char* to_string(OnExhausted o) {
    switch (o) {
        case OnExhausted::last_good: return "last-good";
        case OnExhausted::rescue: return "rescue";
        case OnExhausted::reset: return "reset";
        case OnExhausted::halt: return "halt";
    }
    return "unknown";
}

const char* to_string(WatchdogChoice w) {
    switch (w) {
        case WatchdogChoice::auto_detect: return "auto";
        case WatchdogChoice::none: return "none";
        case WatchdogChoice::i6300esb: return "i6300esb";
        case WatchdogChoice::itco: return "itco";
        case WatchdogChoice::wdat: return "wdat";
    }
    return "unknown";
}

}  // namespace wdboot
