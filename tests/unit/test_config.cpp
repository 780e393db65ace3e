// wdboot.conf and load-option parsing: edge-case tables, every bad value of every key,
// the documented example (read from tests/data and compared with docs/config.md), and
// a seeded random robustness run with invariants checked after every parse.
#include <catch2/catch.hpp>

#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "wdboot/boot_flow.hpp"
#include "wdboot/config.hpp"
#include "wdboot/watchdog_drivers.hpp"

using namespace wdboot;

namespace {

// Parses from a heap copy of exactly text.size() bytes, so that ASan flags any read
// past `len` (the parser gets no terminator to lean on).
struct Parsed {
    std::unique_ptr<Config> cfg = std::make_unique<Config>();
    Status status = Status::ok;
    Config& operator*() { return *cfg; }
    Config* operator->() { return cfg.get(); }
};

Parsed parse(const std::string& text) {
    Parsed p;
    config_defaults(*p.cfg);
    std::unique_ptr<char[]> copy(new char[text.size() + 1]);
    std::memcpy(copy.get(), text.data(), text.size());
    p.status = parse_config(text.empty() ? nullptr : copy.get(), text.size(), *p.cfg);
    return p;
}

std::string describe(const Diagnostics& d) {
    std::ostringstream out;
    for (size_t i = 0; i < d.count; ++i) {
        out << "line " << d.items[i].line << (d.items[i].severity == Severity::error ? " (error): " : " (warning): ")
            << d.items[i].message << "\n";
    }
    return out.str();
}

// The diagnostic on `line` whose message contains `needle`, or nullptr.
const Diagnostic* find_diag(const Diagnostics& d, uint32_t line, const std::string& needle) {
    for (size_t i = 0; i < d.count; ++i) {
        if (d.items[i].line == line && std::string(d.items[i].message).find(needle) != std::string::npos) {
            return &d.items[i];
        }
    }
    return nullptr;
}

bool has_error(const Diagnostics& d, uint32_t line, const std::string& needle) {
    const Diagnostic* x = find_diag(d, line, needle);
    return x != nullptr && x->severity == Severity::error;
}

bool has_warning(const Diagnostics& d, uint32_t line, const std::string& needle) {
    const Diagnostic* x = find_diag(d, line, needle);
    return x != nullptr && x->severity == Severity::warning;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in.good());
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

const std::string kOneSlot = "slot a\nlinux \\vmlinuz\n";

}  // namespace

TEST_CASE("config: defaults", "[config]") {
    auto cfg = std::make_unique<Config>();
    std::memset(cfg.get(), 0xA5, sizeof(Config));
    config_defaults(*cfg);
    CHECK(cfg->timeout_s == kDefaultTimeoutSeconds);
    CHECK(cfg->tries == kDefaultTries);
    CHECK(cfg->watchdog == WatchdogChoice::auto_detect);
    CHECK_FALSE(cfg->watchdog_required);
    CHECK(cfg->on_exhausted == OnExhausted::last_good);
    CHECK(cfg->default_slot[0] == '\0');
    CHECK(cfg->slot_count == 0);
    CHECK(cfg->diagnostics.count == 0);
    CHECK(cfg->diagnostics.errors == 0);
    CHECK(cfg->diagnostics.dropped == 0);
}

TEST_CASE("config: files with nothing to say", "[config]") {
    const char* cases[] = {
        "",
        "\n",
        "\n\n\n",
        "# only a comment",
        "# comment\n   # indented comment\n\t# tab comment\r\n\r\n",
        "   \t  \n\t\n",
        "\r\n\r\n",
        "#\0 NUL inside a comment is still a NUL",
    };
    for (const char* text : cases) {
        std::string s(text);
        INFO("text: " << s);
        auto p = parse(s);
        CHECK(p.status == Status::ok);
        CHECK(p->slot_count == 0);
        CHECK(p->diagnostics.count == 0);
        CHECK(finish_config(*p) == Status::not_found);
        CHECK(has_error(p->diagnostics, kNoLine, "no usable slot"));
    }
}

TEST_CASE("config: a NUL byte is an error for its line, even in a comment", "[config]") {
    const char raw[] = "timeout 30\n# x\0y\nslot a\nlinux \\vm\0linuz\nlinux \\vmlinuz\n";
    const std::string text(raw, sizeof(raw) - 1);
    auto p = parse(text);
    CHECK(p.status == Status::invalid_argument);
    CHECK(has_error(p->diagnostics, 2, "NUL byte"));
    CHECK(has_error(p->diagnostics, 4, "NUL byte"));
    REQUIRE(p->slot_count == 1);
    CHECK(std::string(p->slots[0].path) == "\\vmlinuz");
    CHECK(p->timeout_s == 30);
}

TEST_CASE("config: control characters outside comments are errors", "[config]") {
    auto p = parse("timeout 3\x1b" "0\n# bell \x07 in a comment is fine\n" + kOneSlot);
    CHECK(has_error(p->diagnostics, 1, "control character 0x1b"));
    CHECK(p->diagnostics.count == 1);
    CHECK(p->timeout_s == kDefaultTimeoutSeconds);
}

TEST_CASE("config: a UTF-8 byte order mark at the start is not part of the first line", "[config]") {
    const std::string bom = "\xEF\xBB\xBF";
    for (const std::string eol : {"\n", "\r\n"}) {
        auto p = parse(bom + "slot primary" + eol + "linux \\a" + eol + "slot fallback" + eol + "linux \\b" + eol);
        INFO(describe(p->diagnostics));
        CHECK(p.status == Status::ok);
        CHECK(p->diagnostics.count == 0);
        REQUIRE(p->slot_count == 2);
        CHECK(std::string(p->slots[0].name) == "primary");  // not the fallback
        CHECK(p->slots[0].line == 1);

        auto q = parse(bom + "timeout 30" + eol + kOneSlot);
        CHECK(q->diagnostics.count == 0);
        CHECK(q->timeout_s == 30);
    }
    auto bad = parse(bom + "bogus 1\n");
    CHECK(has_error(bad->diagnostics, 1, "unknown key 'bogus'"));  // line numbers unchanged
}

TEST_CASE("config: a UTF-16 file is named as such", "[config]") {
    for (const std::string& bom : {std::string("\xFF\xFE"), std::string("\xFE\xFF")}) {
        auto p = parse(bom + std::string("s\0l\0o\0t\0 \0a\0", 12));
        CHECK(p.status == Status::invalid_argument);
        REQUIRE(p->diagnostics.count == 1);
        CHECK(has_error(p->diagnostics, 1, "the file is UTF-16 text"));
        CHECK(p->slot_count == 0);
    }
}

TEST_CASE("config: a byte that is not ASCII is an error that names it and its column", "[config]") {
    struct Case {
        std::string line;     // line 2, after "tries 2"
        const char* message;  // nullptr: accepted, timeout 60
    };
    const Case cases[] = {
        {"timeout 60\xc2\xa0", "line contains non-ASCII character U+00a0 at column 11 (only ASCII is allowed outside comments); line ignored"},
        {"timeout\xc2\xa0" "60", "non-ASCII character U+00a0 at column 8"},
        {"\xEF\xBB\xBFtimeout 60", "line contains byte order mark U+FEFF at column 1"},
        {"timeout 60\xff", "line contains non-ASCII byte 0xff at column 11"},
        {"timeout 60\xc3", "non-ASCII byte 0xc3 at column 11"},  // a cut UTF-8 sequence
        {"timeout\v60", "line contains control character 0x0b at column 8; line ignored"},
        {"timeout 60\f", "control character 0x0c at column 11"},
        {"timeout 6\r0", "control character 0x0d at column 10"},
        {std::string("timeout 60\0", 11), "line contains a NUL byte at column 11; line ignored"},
        {"timeout 60\r", nullptr},
        {"timeout 60 \t\r", nullptr},
        {"timeout 60 # caf\xc3\xa9 \x07", nullptr},
        {"# caf\xc3\xa9 \x1b", nullptr},
    };
    for (const Case& c : cases) {
        INFO(c.line);
        auto p = parse("tries 2\n" + c.line + "\n" + (c.line[0] == '#' ? "timeout 60\n" : "") + kOneSlot);
        INFO(describe(p->diagnostics));
        if (c.message == nullptr) {
            CHECK(p.status == Status::ok);
            CHECK(p->timeout_s == 60);
        } else {
            CHECK(has_error(p->diagnostics, 2, c.message));
            CHECK(p->diagnostics.count == 1);
            CHECK(p->timeout_s == kDefaultTimeoutSeconds);  // never read with the byte left out
        }
        CHECK(p->tries == 2);
        CHECK(p->slot_count == 1);
    }
    SECTION("a slot line with a bad byte drops its own stanza, not the one before") {
        auto p = parse("slot a\nlinux \\a\nslot b\xc3\xa9\nlinux \\b\ninitrd \\i\nslot c\nlinux \\c\n");
        INFO(describe(p->diagnostics));
        CHECK(has_error(p->diagnostics, 3, "non-ASCII character U+00e9 at column 7 (only ASCII is allowed outside comments); the stanza is skipped"));
        CHECK(p->diagnostics.count == 1);
        REQUIRE(p->slot_count == 2);
        CHECK(std::string(p->slots[0].name) == "a");
        CHECK(std::string(p->slots[0].path) == "\\a");
        CHECK(p->slots[0].initrd_count == 0);
        CHECK(std::string(p->slots[1].name) == "c");
    }
    SECTION("an options line with a bad byte is not half-used") {
        auto p = parse("slot a\nlinux \\a\noptions root=/dev/sda1 quiet\xc2\xa0splash\n");
        CHECK(has_error(p->diagnostics, 3, "U+00a0 at column 29"));
        REQUIRE(p->slot_count == 1);
        CHECK(p->slots[0].options[0] == '\0');
    }
}

TEST_CASE("config: CRLF, tabs, indentation and a missing final newline", "[config]") {
    const std::string crlf =
        "timeout\t45\r\n"
        "\r\n"
        "  slot   a  \r\n"
        "\tlinux\t/EFI/a/vmlinuz\r\n"
        "\toptions  root=/dev/vda1\tro  \r\n"
        "slot b\r\n"
        "efi \\EFI\\b.efi";  // no final newline
    auto p = parse(crlf);
    INFO(describe(p->diagnostics));
    CHECK(p.status == Status::ok);
    CHECK(p->diagnostics.count == 0);
    CHECK(p->timeout_s == 45);
    REQUIRE(p->slot_count == 2);
    CHECK(std::string(p->slots[0].name) == "a");
    CHECK(p->slots[0].line == 3);
    CHECK(std::string(p->slots[0].path) == "\\EFI\\a\\vmlinuz");
    // The rest of the line is verbatim (inner tab kept), trailing blanks and CR dropped.
    CHECK(std::string(p->slots[0].options) == "root=/dev/vda1\tro");
    CHECK(std::string(p->slots[1].name) == "b");
    CHECK(p->slots[1].kind == ImageKind::efi_app);
    CHECK(std::string(p->slots[1].path) == "\\EFI\\b.efi");
    CHECK(p->slots[1].line == 6);
}

TEST_CASE("config: line numbers count every line", "[config]") {
    auto p = parse("\n# c\n\r\n\ntimeout x\r\n\n\nbogus 1\n");
    CHECK(has_error(p->diagnostics, 5, "timeout must be"));
    CHECK(has_error(p->diagnostics, 8, "unknown key 'bogus'"));
}

TEST_CASE("config: a stanza spans its slot line to its last line with content", "[config]") {
    // The agent edits wdboot.conf by these ranges: a comment above a stanza, or after the
    // last line of the one before, belongs to neither; one between a stanza's lines is its own.
    auto p = parse("timeout 30\n"        // 1
                   "# about a\n"         // 2
                   "slot a\n"            // 3
                   "  linux \\a\n"       // 4
                   "  # a's own note\n"  // 5
                   "  options ro\r\n"    // 6
                   "\n"                  // 7
                   "# about b\n"         // 8
                   "slot b\n"            // 9
                   "  efi \\b.efi\n"     // 10
                   "slot ..\n"           // 11: dropped, but it ends b
                   "  efi \\x.efi\n"     // 12
                   "slot c\n"            // 13
                   "  bogus\n"           // 14: an error, still c's line
                   "  linux \\c\n"       // 15
                   "\n# trailing\n");    // 16, 17
    REQUIRE(p->slot_count == 3);
    CHECK(p->slots[0].line == 3);
    CHECK(p->slots[0].last_line == 6);
    CHECK(p->slots[1].line == 9);
    CHECK(p->slots[1].last_line == 10);
    CHECK(p->slots[2].line == 13);
    CHECK(p->slots[2].last_line == 15);
    auto q = parse("slot a\nlinux \\a");  // no final newline
    REQUIRE(q->slot_count == 1);
    CHECK(q->slots[0].last_line == 2);
}

TEST_CASE("config: the parser reads exactly len bytes", "[config]") {
    Parsed p;
    config_defaults(*p);
    const char text[] = "timeout 300";  // only "timeout 3" is handed over
    CHECK(parse_config(text, 9, *p) == Status::invalid_argument);
    CHECK(has_error(p->diagnostics, 1, "got '3'"));
    CHECK(p->timeout_s == kDefaultTimeoutSeconds);

    config_defaults(*p);
    CHECK(parse_config(text, 0, *p) == Status::ok);
    CHECK(p->diagnostics.count == 0);
}

TEST_CASE("config: every global key takes each documented value", "[config]") {
    struct Case {
        const char* line;
        void (*check)(const Config&);
    };
    const Case cases[] = {
        {"timeout 5", [](const Config& c) { CHECK(c.timeout_s == 5); }},
        {"timeout 2000", [](const Config& c) { CHECK(c.timeout_s == 2000); }},
        {"timeout 0030", [](const Config& c) { CHECK(c.timeout_s == 30); }},
        {"tries 1", [](const Config& c) { CHECK(c.tries == 1); }},
        {"tries 100", [](const Config& c) { CHECK(c.tries == 100); }},
        {"watchdog auto", [](const Config& c) { CHECK(c.watchdog == WatchdogChoice::auto_detect); }},
        {"watchdog none", [](const Config& c) { CHECK(c.watchdog == WatchdogChoice::none); }},
        {"watchdog i6300esb", [](const Config& c) { CHECK(c.watchdog == WatchdogChoice::i6300esb); }},
        {"watchdog itco", [](const Config& c) { CHECK(c.watchdog == WatchdogChoice::itco); }},
        {"watchdog wdat", [](const Config& c) { CHECK(c.watchdog == WatchdogChoice::wdat); }},
        {"watchdog ipmi", [](const Config& c) { CHECK(c.watchdog == WatchdogChoice::ipmi); }},
        {"watchdog-required yes", [](const Config& c) { CHECK(c.watchdog_required); }},
        {"watchdog-required no", [](const Config& c) { CHECK_FALSE(c.watchdog_required); }},
        {"on-exhausted last-good", [](const Config& c) { CHECK(c.on_exhausted == OnExhausted::last_good); }},
        {"on-exhausted rescue", [](const Config& c) { CHECK(c.on_exhausted == OnExhausted::rescue); }},
        {"on-exhausted reset", [](const Config& c) { CHECK(c.on_exhausted == OnExhausted::reset); }},
        {"on-exhausted halt", [](const Config& c) { CHECK(c.on_exhausted == OnExhausted::halt); }},
        {"default a", [](const Config& c) { CHECK(std::string(c.default_slot) == "a"); }},
        {"runtime-crashes 3/24", [](const Config& c) { CHECK((c.runtime_crash_limit == 3 && c.runtime_crash_hours == 24)); }},
        {"runtime-crashes 2/1", [](const Config& c) { CHECK((c.runtime_crash_limit == 2 && c.runtime_crash_hours == 1)); }},
        {"runtime-crashes 100/8760", [](const Config& c) { CHECK((c.runtime_crash_limit == 100 && c.runtime_crash_hours == 8760)); }},
        {"runtime-crashes off", [](const Config& c) { CHECK(c.runtime_crash_limit == 0); }},
        {"panic-timeout 0", [](const Config& c) { CHECK(c.panic_timeout_s == 0); }},
        {"panic-timeout 30", [](const Config& c) { CHECK(c.panic_timeout_s == 30); }},
        {"panic-timeout 3600", [](const Config& c) { CHECK(c.panic_timeout_s == 3600); }},
        {"early-timeout off", [](const Config& c) { CHECK(c.early_timeout_s == kEarlyTimeoutOff); }},
        {"early-timeout 30", [](const Config& c) { CHECK(c.early_timeout_s == 30); }},
        {"early-timeout 5", [](const Config& c) { CHECK(c.early_timeout_s == 5); }},
        {"timeout 30 # with a trailing comment", [](const Config& c) { CHECK(c.timeout_s == 30); }},
        {"timeout 30\t#tab, then comment", [](const Config& c) { CHECK(c.timeout_s == 30); }},
    };
    for (const Case& c : cases) {
        INFO(c.line);
        auto p = parse(std::string(c.line) + "\n" + kOneSlot);
        INFO(describe(p->diagnostics));
        CHECK(p.status == Status::ok);
        CHECK(p->diagnostics.count == 0);
        c.check(*p);
    }
}

TEST_CASE("config: every bad value of every key is an error that names the value", "[config]") {
    struct Case {
        const char* text;  // the bad line is always line 1
        const char* message;
    };
    const Case cases[] = {
        {"timeout 0", "timeout must be 5..2000 seconds, got '0'"},
        {"timeout 4", "timeout must be 5..2000 seconds, got '4'"},
        {"timeout 2001", "timeout must be 5..2000 seconds, got '2001'"},
        {"timeout -5", "got '-5'"},
        {"timeout +30", "got '+30'"},
        {"timeout 30s", "got '30s'"},
        {"timeout 0x20", "got '0x20'"},
        {"timeout 99999999999999999999999", "got '99999999999999999999999'"},
        {"timeout", "'timeout' needs a value"},
        {"timeout 30 40", "unexpected '40' after the value of 'timeout'"},
        {"timeout # no value, only a comment", "'timeout' needs a value"},
        {"timeout 30#", "got '30#'"},
        {"early-timeout 4", "early-timeout must be off or 5..2000 seconds, got '4'"},
        {"early-timeout 2001", "early-timeout must be off or 5..2000 seconds, got '2001'"},
        {"early-timeout soon", "early-timeout must be off or 5..2000 seconds, got 'soon'"},
        {"tries 0", "tries must be 1..100, got '0'"},
        {"tries 101", "tries must be 1..100, got '101'"},
        {"tries three", "tries must be 1..100, got 'three'"},
        {"tries", "'tries' needs a value"},
        {"watchdog foo", "watchdog must be auto, none, i6300esb, itco, wdat or ipmi, got 'foo'"},
        {"watchdog itco-pch", "watchdog 'itco-pch' is not implemented yet; watchdog must be auto, none, i6300esb, itco, wdat or ipmi"},
        {"watchdog amd-fch", "watchdog 'amd-fch' is not implemented yet; watchdog must be auto, none, i6300esb, itco, wdat or ipmi"},
        {"watchdog AUTO", "got 'AUTO'"},
        {"watchdog", "'watchdog' needs a value"},
        {"watchdog-required maybe", "watchdog-required must be yes or no, got 'maybe'"},
        {"watchdog-required 1", "got '1'"},
        {"on-exhausted never", "on-exhausted must be last-good, rescue, reset or halt, got 'never'"},
        {"on-exhausted lastgood", "got 'lastgood'"},
        {"runtime-crashes 1/24", "runtime-crashes must be off or N/HOURS (N 2..100 crashes within HOURS 1..8760, e.g. 3/24), got '1/24'"},
        {"runtime-crashes 3/0", "got '3/0'"},
        {"runtime-crashes 3/8761", "got '3/8761'"},
        {"runtime-crashes 3", "got '3'"},
        {"runtime-crashes 3/", "got '3/'"},
        {"runtime-crashes /24", "got '/24'"},
        {"runtime-crashes 3/24/1", "got '3/24/1'"},
        {"runtime-crashes OFF", "got 'OFF'"},
        {"panic-timeout 3601", "panic-timeout must be 0..3600 seconds, got '3601'"},
        {"panic-timeout -1", "got '-1'"},
        {"default bad/name", "default slot name 'bad/name' may only contain A-Z a-z 0-9 . _ -"},
        {"default abcdefghijklmnop", "is too long (at most 15 characters)"},
        {"default", "'default' needs a value"},
        {"tiemout 30", "unknown key 'tiemout'"},
        {"Timeout 30", "unknown key 'Timeout' (keys are lower case: 'timeout')"},
        {"timeout=30", "unknown key 'timeout=30' (separate a key from its value with a space)"},
        {"linux \\vmlinuz", "'linux' must be inside a slot stanza"},
        {"options quiet", "'options' must be inside a slot stanza"},
        {"rescue", "'rescue' must be inside a slot stanza"},
        {"slot", "'slot' needs a name"},
        {"slot # comment", "'slot' needs a name"},
        {"slot a b", "unexpected 'b' after the slot name"},
        {"slot a/b", "slot name 'a/b' may only contain"},
        {"slot abcdefghijklmnop", "slot name 'abcdefghijklmnop' is too long (at most 15 characters)"},
    };
    for (const Case& c : cases) {
        INFO(c.text);
        auto p = parse(std::string(c.text) + "\n");
        INFO(describe(p->diagnostics));
        CHECK(p.status == Status::invalid_argument);
        CHECK(has_error(p->diagnostics, 1, c.message));
        CHECK(p->timeout_s == kDefaultTimeoutSeconds);
        CHECK(p->tries == kDefaultTries);
        CHECK(p->watchdog == WatchdogChoice::auto_detect);
        CHECK(p->on_exhausted == OnExhausted::last_good);
        CHECK(p->runtime_crash_limit == kDefaultRuntimeCrashLimit);
        CHECK(p->runtime_crash_hours == kDefaultRuntimeCrashHours);
        CHECK(p->panic_timeout_s == kDefaultPanicTimeoutSeconds);
        CHECK(p->default_slot[0] == '\0');
        CHECK(p->slot_count == 0);
    }
}

TEST_CASE("config: every bad value of a slot key drops that line, not the slot", "[config]") {
    struct Case {
        const char* line;  // line 3, after "slot a" and a good linux line
        const char* message;
    };
    const Case cases[] = {
        {"tries 0", "tries must be 1..100, got '0'"},
        {"tries 101", "tries must be 1..100, got '101'"},
        {"tries", "'tries' needs a value"},
        {"initrd", "'initrd' needs a value"},
        {"initrd initrd.img", "path must start with '\\' or '/', got 'initrd.img'"},
        {"initrd \\EFI\\", "path names a directory"},
        {"initrd \\EFI\\a:b", "path contains ':', which FAT does not allow"},
        {"initrd \\EFI\\a\xc3\xa9", "line contains non-ASCII character U+00e9 at column 14"},
        {"initrd \\a \\b", "unexpected '\\b' after the value of 'initrd'"},
        {"options caf\xc3\xa9", "line contains non-ASCII character U+00e9 at column 12 (only ASCII is allowed outside comments); line ignored"},
        {"rescue yes", "'rescue' takes no value"},
        {"timeout 30", "'timeout' is a global key: move it above the first 'slot' line"},
        {"default a", "'default' is a global key"},
        {"kernel \\vmlinuz", "unknown key 'kernel'"},
    };
    for (const Case& c : cases) {
        INFO(c.line);
        auto p = parse(std::string("slot a\nlinux \\vmlinuz\n") + c.line + "\n");
        INFO(describe(p->diagnostics));
        CHECK(p.status == Status::invalid_argument);
        CHECK(has_error(p->diagnostics, 3, c.message));
        REQUIRE(p->slot_count == 1);
        CHECK(p->slots[0].tries == 0);
        CHECK(p->slots[0].initrd_count == 0);
        CHECK(p->slots[0].options[0] == '\0');
        CHECK_FALSE(p->slots[0].rescue);
        CHECK(p->timeout_s == kDefaultTimeoutSeconds);
    }
}

TEST_CASE("config: slot names at and past the limits", "[config]") {
    const std::string max(15, 'n');
    auto ok = parse("slot " + max + "\nlinux \\k\nslot A.b_c-9\nlinux \\k\n");
    INFO(describe(ok->diagnostics));
    CHECK(ok.status == Status::ok);
    REQUIRE(ok->slot_count == 2);
    CHECK(std::string(ok->slots[0].name) == max);
    CHECK(ok->find(max.c_str()) == 0);
    CHECK(ok->find("A.b_c-9") == 1);
    CHECK(ok->find("a.b_c-9") == kNoSlot);  // names are case-sensitive
    CHECK(ok->find("") == kNoSlot);
    CHECK(ok->find(nullptr) == kNoSlot);

    auto bad = parse("slot " + max + "x\nlinux \\k\n" + kOneSlot);
    CHECK(has_error(bad->diagnostics, 1, "is too long"));
    REQUIRE(bad->slot_count == 1);  // the skipped stanza's body did not leak into another
    CHECK(std::string(bad->slots[0].name) == "a");
    CHECK(bad->slots[0].line == 3);
}

TEST_CASE("config: is_valid_slot_name", "[config]") {
    CHECK(is_valid_slot_name("a"));
    CHECK(is_valid_slot_name("primary"));
    CHECK(is_valid_slot_name("A.b_c-9"));
    CHECK(is_valid_slot_name("123456789012345"));
    CHECK_FALSE(is_valid_slot_name("1234567890123456"));
    CHECK_FALSE(is_valid_slot_name(""));
    CHECK_FALSE(is_valid_slot_name(nullptr));
    CHECK_FALSE(is_valid_slot_name("a b"));
    CHECK_FALSE(is_valid_slot_name("a\\b"));
    CHECK_FALSE(is_valid_slot_name("caf\xc3\xa9"));
}

// A slot name becomes \EFI\wdboot\kernels\NAME and a wdbootctl argument: "." and ".."
// would be parent folders (remove-slot .. emptied \EFI\wdboot), "-x" an option.
TEST_CASE("config: a slot name is never a path component like . or .., nor an option", "[config]") {
    for (const char* bad : {".", "..", "...", ".hidden", "-", "--help", "-x"}) {
        INFO(bad);
        CHECK_FALSE(is_valid_slot_name(bad));
    }
    CHECK(is_valid_slot_name("a.b"));
    CHECK(is_valid_slot_name("a-"));
    CHECK(is_valid_slot_name("a.."));
    CHECK(is_valid_slot_name("_x"));
    CHECK(is_valid_slot_name("6.1.0-18"));
}

TEST_CASE("config: the parser rejects 'slot ..' and friends with a line-numbered error", "[config]") {
    auto p = parse(kOneSlot + "slot ..\nlinux \\k\nslot .x\nlinux \\k\nslot -x\nlinux \\k\n");
    CHECK(has_error(p->diagnostics, 3, "slot name '..' may not start with '.' or '-'"));
    CHECK(has_error(p->diagnostics, 5, "may not start with '.' or '-'"));
    CHECK(has_error(p->diagnostics, 7, "may not start with '.' or '-'"));
    REQUIRE(p->slot_count == 1);  // only "a"; the bad stanzas and their bodies are dropped
    CHECK(std::string(p->slots[0].name) == "a");

    auto d = parse("default ..\n" + kOneSlot);
    CHECK(has_error(d->diagnostics, 1, "may not start with '.' or '-'"));
    CHECK(std::string(d->default_slot).empty());
}

TEST_CASE("config: paths are normalised and limited to 255 characters", "[config]") {
    auto p = parse("slot a\nlinux /EFI//debian\\\\/vmlinuz\ninitrd \\\\a/b\ninitrd /x.img\n");
    INFO(describe(p->diagnostics));
    REQUIRE(p->slot_count == 1);
    CHECK(std::string(p->slots[0].path) == "\\EFI\\debian\\vmlinuz");
    REQUIRE(p->slots[0].initrd_count == 2);
    CHECK(std::string(p->slots[0].initrds[0]) == "\\a\\b");
    CHECK(std::string(p->slots[0].initrds[1]) == "\\x.img");

    const std::string max = "\\" + std::string(254, 'p');
    REQUIRE(max.size() == kPathMax - 1);
    auto at = parse("slot a\nlinux " + max + "\n");
    CHECK(at.status == Status::ok);
    REQUIRE(at->slot_count == 1);
    CHECK(std::string(at->slots[0].path) == max);

    auto over = parse("slot a\nlinux " + max + "p\nefi \\ok.efi\n");
    CHECK(has_error(over->diagnostics, 2, "path is too long (at most 255 characters)"));
    REQUIRE(over->slot_count == 1);  // the too-long line was skipped, so efi is its only image
    CHECK(over->slots[0].kind == ImageKind::efi_app);

    // Collapsed separators do not count against the limit.
    auto collapsed = parse("slot a\nlinux //" + max.substr(1) + "\n");
    CHECK(collapsed.status == Status::ok);
}

TEST_CASE("config: options take the rest of the line, join, and stop at 1023 characters", "[config]") {
    auto p = parse("slot a\nlinux \\k\noptions root=/dev/sda1 ro # not a comment\noptions  quiet\n");
    REQUIRE(p->slot_count == 1);
    CHECK(std::string(p->slots[0].options) == "root=/dev/sda1 ro # not a comment quiet");
    CHECK(p->slots[0].line == 1);

    auto empty = parse("slot a\nlinux \\k\noptions\n");
    CHECK(empty.status == Status::ok);
    CHECK(empty->slots[0].options[0] == '\0');

    const std::string max(kOptionsMax - 1, 'o');
    auto at = parse("slot a\nlinux \\k\noptions " + max + "\n");
    CHECK(at.status == Status::ok);
    CHECK(std::string(at->slots[0].options) == max);

    auto over = parse("slot a\nlinux \\k\noptions " + max + "o\n");
    CHECK(has_error(over->diagnostics, 3, "options too long for slot 'a' (at most 1023 characters, got 1024)"));
    CHECK(over->slots[0].options[0] == '\0');

    // Joining counts the separating space; the line that overflows is skipped whole.
    auto joined = parse("slot a\nlinux \\k\noptions " + max.substr(0, 1000) + "\noptions " +
                        std::string(23, 'x') + "\n");
    CHECK(has_error(joined->diagnostics, 4, "got 1024"));
    CHECK(std::string(joined->slots[0].options) == max.substr(0, 1000));
}

TEST_CASE("config: eight slots fit, a ninth is dropped with an error", "[config]") {
    std::string text;
    for (int i = 1; i <= 9; ++i) text += "slot s" + std::to_string(i) + "\nlinux \\k" + std::to_string(i) + "\n";
    auto p = parse(text);
    CHECK(p.status == Status::invalid_argument);
    CHECK(p->slot_count == kMaxSlots);
    CHECK(has_error(p->diagnostics, 17, "too many slots (at most 8); slot 's9' is dropped"));
    CHECK(p->find("s9") == kNoSlot);
    CHECK(std::string(p->slots[7].path) == "\\k8");
    CHECK(p->diagnostics.count == 1);

    // A dropped stanza does not use up room.
    std::string with_broken = "slot broken\n";
    for (int i = 1; i <= 8; ++i) with_broken += "slot s" + std::to_string(i) + "\nlinux \\k\n";
    auto q = parse(with_broken);
    CHECK(q->slot_count == kMaxSlots);
    CHECK(has_error(q->diagnostics, 1, "slot 'broken' has no image"));
    CHECK(q->diagnostics.count == 1);
}

TEST_CASE("config: duplicate slot names drop the later stanza", "[config]") {
    auto p = parse("slot a\nlinux \\one\nslot a\nlinux \\two\ntries 1\nslot b\nefi \\b.efi\n");
    CHECK(has_error(p->diagnostics, 3, "duplicate slot name 'a' (first on line 1); this stanza is dropped"));
    REQUIRE(p->slot_count == 2);
    CHECK(std::string(p->slots[0].path) == "\\one");
    CHECK(p->slots[0].tries == 0);  // the dropped stanza's tries did not leak
    CHECK(std::string(p->slots[1].name) == "b");
}

TEST_CASE("config: a slot needs exactly one image", "[config]") {
    SECTION("none") {
        auto p = parse("slot a\noptions quiet\n" + std::string("slot b\nlinux \\k\n"));
        CHECK(has_error(p->diagnostics, 1, "slot 'a' has no image (linux, efi or bootentry); slot dropped"));
        REQUIRE(p->slot_count == 1);
        CHECK(std::string(p->slots[0].name) == "b");
    }
    SECTION("two of different kinds") {
        auto p = parse("slot a\nlinux \\k\nefi \\e.efi\nbootentry 0001\n");
        CHECK(has_error(p->diagnostics, 3,
                        "slot 'a' already has an image ('linux' on line 2); a slot takes exactly one; slot dropped"));
        CHECK(p->diagnostics.count == 1);  // one message per conflicting slot
        CHECK(p->slot_count == 0);
    }
    SECTION("the same key twice") {
        auto p = parse("slot a\nlinux \\k\nlinux \\k2\n");
        CHECK(has_error(p->diagnostics, 3, "already has an image ('linux' on line 2)"));
        CHECK(p->slot_count == 0);
    }
    SECTION("an image line that was rejected is no image") {
        auto p = parse("slot a\nlinux vmlinuz\n");
        CHECK(has_error(p->diagnostics, 2, "path must start with"));
        CHECK(has_error(p->diagnostics, 1, "has no image"));
        CHECK(p->slot_count == 0);
    }
}

TEST_CASE("config: bootentry takes exactly four hex digits", "[config]") {
    struct Good {
        const char* value;
        uint16_t number;
    };
    const Good good[] = {{"0000", 0x0000}, {"0003", 0x0003}, {"000A", 0x000A}, {"abcd", 0xABCD}, {"FfFf", 0xFFFF}};
    for (const Good& g : good) {
        INFO(g.value);
        auto p = parse(std::string("slot a\nbootentry ") + g.value + "\n");
        CHECK(p.status == Status::ok);
        REQUIRE(p->slot_count == 1);
        CHECK(p->slots[0].kind == ImageKind::boot_entry);
        CHECK(p->slots[0].boot_entry == g.number);
        CHECK(p->slots[0].path[0] == '\0');
    }
    const char* bad[] = {"123", "12345", "xyz1", "0x12", "Boot0003", "-001", "12 4"};
    for (const char* b : bad) {
        INFO(b);
        auto p = parse(std::string("slot a\nbootentry ") + b + "\n");
        CHECK(p.status == Status::invalid_argument);
        CHECK(p->slot_count == 0);
        bool named = has_error(p->diagnostics, 2, "bootentry must be 4 hex digits (as in Boot0003)") ||
                     has_error(p->diagnostics, 2, "unexpected");
        CHECK(named);
    }
}

TEST_CASE("config: initrds belong to linux slots, at most four, options go anywhere", "[config]") {
    auto p = parse(
        "slot a\nlinux \\k\ninitrd \\1\ninitrd \\2\ninitrd \\3\ninitrd \\4\ninitrd \\5\n"
        "slot b\ninitrd \\x\nefi \\b.efi\n"
        "slot c\nbootentry 0002\noptions appended\n");
    INFO(describe(p->diagnostics));
    REQUIRE(p->slot_count == 3);
    REQUIRE(p->slots[0].initrd_count == kMaxInitrds);
    CHECK(std::string(p->slots[0].initrds[0]) == "\\1");
    CHECK(std::string(p->slots[0].initrds[3]) == "\\4");
    CHECK(has_error(p->diagnostics, 7, "too many initrds for slot 'a' (at most 4)"));
    CHECK(has_warning(p->diagnostics, 9, "initrd is only used with 'linux'; ignored for slot 'b'"));
    CHECK(p->slots[1].initrd_count == 0);
    CHECK(p->slots[1].initrds[0][0] == '\0');
    // A bootentry slot keeps its options: the loader appends them to the entry's own data.
    CHECK(std::string(p->slots[2].options) == "appended");
    CHECK(p->diagnostics.count == 2);
}

TEST_CASE("config: slot tries, rescue and repeated keys", "[config]") {
    auto p = parse("tries 4\ntries 5\nslot a # the main one\nlinux \\k # kernel\ntries 2\ntries 7\nrescue # yes\n"
                   "slot b\nlinux \\k\n");
    INFO(describe(p->diagnostics));
    CHECK(p.status == Status::ok);  // warnings only
    CHECK(has_warning(p->diagnostics, 2, "'tries' set again (first on line 1); the value on this line is used"));
    CHECK(has_warning(p->diagnostics, 6, "'tries' set again (first on line 5)"));
    CHECK(p->tries == 5);
    REQUIRE(p->slot_count == 2);
    CHECK(p->slots[0].tries == 7);
    CHECK(p->slots[0].rescue);
    CHECK_FALSE(p->slots[1].rescue);
    CHECK(p->tries_for(p->slots[0]) == 7);
    CHECK(p->tries_for(p->slots[1]) == 5);
}

TEST_CASE("config: finish_config checks what needs the whole file", "[config]") {
    SECTION("default naming a missing slot: warning on its line, file order applies") {
        auto p = parse("\ndefault primray\nslot primary\nlinux \\k\n");
        CHECK(p.status == Status::ok);
        CHECK(finish_config(*p) == Status::ok);
        CHECK(has_warning(p->diagnostics, 2, "default slot 'primray' does not exist"));
        CHECK(p->default_slot[0] == '\0');
    }
    SECTION("default naming a slot that was dropped") {
        auto p = parse("default b\nslot a\nlinux \\k\nslot b\n");
        CHECK(finish_config(*p) == Status::ok);
        CHECK(has_warning(p->diagnostics, 1, "default slot 'b' does not exist"));
    }
    SECTION("a good default stays") {
        auto p = parse("default b\nslot a\nlinux \\k\nslot b\nlinux \\k\n");
        CHECK(finish_config(*p) == Status::ok);
        CHECK(std::string(p->default_slot) == "b");
        CHECK(p->diagnostics.count == 0);
    }
    SECTION("several rescue slots") {
        auto p = parse("slot a\nlinux \\k\nrescue\nslot b\nlinux \\k\nrescue\n");
        CHECK(finish_config(*p) == Status::ok);
        CHECK(has_warning(p->diagnostics, 4, "slot 'b' is also marked 'rescue'; only the first, 'a', is used"));
    }
    SECTION("on-exhausted rescue without a rescue slot") {
        auto p = parse("on-exhausted rescue\n" + kOneSlot);
        CHECK(finish_config(*p) == Status::ok);
        CHECK(has_warning(p->diagnostics, 1, "no slot is marked 'rescue'"));
    }
    SECTION("watchdog-required with watchdog none") {
        auto p = parse("watchdog none\nwatchdog-required yes\n" + kOneSlot);
        CHECK(finish_config(*p) == Status::ok);
        CHECK(has_warning(p->diagnostics, 2, "refuse to boot"));
    }
    SECTION("no usable slot") {
        auto p = parse("timeout 30\nslot a\noptions x\n");
        CHECK(finish_config(*p) == Status::not_found);
        CHECK(has_error(p->diagnostics, kNoLine, "no usable slot: wdboot returns to the firmware"));
    }
}

TEST_CASE("config: options must leave room for the watchdog's kernel arguments", "[config]") {
    struct Case {
        const char* watchdog;
        size_t room;  // the longest options that still fit with the arguments
    };
    // "modprobe.blacklist=i6300esb", "modprobe.blacklist=iTCO_wdt" and
    // "modprobe.blacklist=wdat_wdt": 27 characters; "modprobe.blacklist=ipmi_watchdog": 32,
    // which auto may pick too.
    const Case cases[] = {{"auto", 1023 - 1 - 32}, {"i6300esb", 1023 - 1 - 27}, {"itco", 1023 - 1 - 27},
                          {"wdat", 1023 - 1 - 27}, {"ipmi", 1023 - 1 - 32}, {"none", 1023}};
    for (const Case& c : cases) {
        for (const char* image : {"linux \\k", "efi \\k", "bootentry 0001"}) {
            INFO("watchdog " << c.watchdog << ", " << image);
            auto fits = parse(std::string("watchdog ") + c.watchdog + "\nslot a\n" + image + "\noptions " +
                              std::string(c.room, 'o') + "\n");
            CHECK(finish_config(*fits) == Status::ok);
            INFO(describe(fits->diagnostics));
            CHECK(fits->diagnostics.errors == 0);
            CHECK(fits->slot_count == 1);
            if (c.room == 1023) continue;
            auto over = parse(std::string("watchdog ") + c.watchdog + "\nslot a\n" + image + "\noptions " +
                              std::string(c.room - 10, 'o') + "\noptions " + std::string(10, 'p') +
                              "\nslot b\nlinux \\k\n");
            CHECK(finish_config(*over) == Status::ok);
            INFO(describe(over->diagnostics));
            CHECK(has_error(over->diagnostics, 5,
                            "options of slot 'a' are " + std::to_string(c.room + 1) + " characters; with watchdog " +
                                c.watchdog + "'s 'modprobe.blacklist="));
            CHECK(has_error(over->diagnostics, 5, "at most " + std::to_string(c.room) + " fit; slot dropped"));
            REQUIRE(over->slot_count == 1);
            CHECK(std::string(over->slots[0].name) == "b");
        }
    }
    SECTION("the only slot dropped leaves no usable slot") {
        auto p = parse("watchdog itco\nslot a\nlinux \\k\noptions " + std::string(1000, 'o') + "\n");
        CHECK(finish_config(*p) == Status::not_found);
        CHECK(has_error(p->diagnostics, 4, "slot dropped"));
    }
    SECTION("the check uses the watchdog the load options chose") {
        auto p = parse("watchdog i6300esb\nslot a\nlinux \\k\noptions " + std::string(1000, 'o') + "\n");
        LoadOptions lo{};
        Diagnostics d{};
        REQUIRE(parse_load_options("watchdog=none", 13, lo, d) == Status::ok);
        CHECK(apply_load_options(lo, *p) == Status::ok);
        CHECK(finish_config(*p) == Status::ok);
        CHECK(p->slot_count == 1);
    }
}

TEST_CASE("config: every slot that survives finish_config gets its command line built", "[config]") {
    // What the parser accepts the loader can boot: for each choice and each driver it may
    // arm, build_command_line (the loader's own step) must succeed for every kept slot.
    for (WatchdogChoice choice : {WatchdogChoice::auto_detect, WatchdogChoice::i6300esb, WatchdogChoice::itco,
                                  WatchdogChoice::none}) {
        for (size_t n = 980; n <= kOptionsMax - 1; ++n) {
            auto p = parse(std::string("watchdog ") + to_string(choice) + "\nslot a\nlinux \\k\noptions " +
                           std::string(n, 'o') + "\n");
            (void)finish_config(*p);
            for (const WatchdogDriverFacts& f : kWatchdogDrivers) {
                bool may_arm = choice == WatchdogChoice::auto_detect ? f.picked_by_auto : f.choice == choice;
                if (!may_arm) continue;
                WatchdogProbe probe{true, f.name, ResetCause::unknown, f.kernel_args};
                for (uint8_t i = 0; i < p->slot_count; ++i) {
                    char cmdline[kOptionsMax];
                    INFO(to_string(choice) << ", " << f.name << ", options " << n);
                    CHECK(build_command_line(p->slots[i], probe, cmdline));
                }
            }
        }
    }
}

TEST_CASE("config: a timeout the watchdog cannot arm is an error and is clamped", "[config]") {
    struct Case {
        std::string text;
        uint32_t timeout;     // after finish_config
        const char* message;  // on line 2 (the timeout line), or nullptr: no error
    };
    const Case cases[] = {
        {"watchdog itco\ntimeout 1228\n", 1227,
         "timeout 1228 is outside what watchdog itco can arm (5..1227 seconds); 1227 is used so that the boot stays "
         "protected"},
        {"watchdog itco\ntimeout 2000\n", 1227, "(5..1227 seconds); 1227 is used"},
        {"watchdog auto\ntimeout 2000\n", 1227,
         "timeout 2000 is outside what watchdog auto (may pick itco) can arm (5..1227 seconds)"},
        {"watchdog itco\ntimeout 1227\n", 1227, nullptr},
        {"watchdog itco\ntimeout 5\n", 5, nullptr},
        {"watchdog i6300esb\ntimeout 2000\n", 2000, nullptr},
        {"watchdog none\ntimeout 2000\n", 2000, nullptr},
    };
    for (const Case& c : cases) {
        INFO(c.text);
        auto p = parse(c.text + kOneSlot);
        CHECK(p.status == Status::ok);
        CHECK(finish_config(*p) == Status::ok);
        INFO(describe(p->diagnostics));
        CHECK(p->timeout_s == c.timeout);
        if (c.message == nullptr) {
            CHECK(p->diagnostics.errors == 0);
        } else {
            CHECK(has_error(p->diagnostics, 2, c.message));
        }
        CHECK(p->slot_count == 1);  // the slot still boots, protected
    }
    SECTION("every accepted timeout is one every driver the choice may arm accepts") {
        for (WatchdogChoice choice : {WatchdogChoice::auto_detect, WatchdogChoice::i6300esb, WatchdogChoice::itco}) {
            for (uint32_t t = kMinTimeoutSeconds; t <= kMaxTimeoutSeconds; ++t) {
                auto p = parse(std::string("watchdog ") + to_string(choice) + "\ntimeout " + std::to_string(t) +
                               "\n" + kOneSlot);
                (void)finish_config(*p);
                for (const WatchdogDriverFacts& f : kWatchdogDrivers) {
                    bool may_arm = choice == WatchdogChoice::auto_detect ? f.picked_by_auto : f.choice == choice;
                    if (!may_arm) continue;
                    INFO(to_string(choice) << " timeout " << t << " driver " << f.name);
                    CHECK(p->timeout_s * 1000 >= f.min_timeout_ms);
                    CHECK(p->timeout_s * 1000 <= f.max_timeout_ms);
                }
            }
        }
    }
    SECTION("a timeout from the load options is checked too (line 0)") {
        auto p = parse("watchdog itco\n" + kOneSlot);
        LoadOptions lo{};
        Diagnostics d{};
        REQUIRE(parse_load_options("timeout=1500", 12, lo, d) == Status::ok);
        CHECK(apply_load_options(lo, *p) == Status::ok);
        CHECK(finish_config(*p) == Status::ok);
        CHECK(has_error(p->diagnostics, kNoLine, "timeout 1500 is outside what watchdog itco can arm"));
        CHECK(p->timeout_s == 1227);
    }
}

TEST_CASE("config: watchdog amd-fch is refused until the loader implements it", "[config]") {
    const std::string refused =
        "watchdog 'amd-fch' is not implemented yet; watchdog must be auto, none, i6300esb, itco, wdat or ipmi";
    SECTION("in the file: an error on its line, the line ignored like any bad watchdog value") {
        auto p = parse("watchdog i6300esb\nwatchdog amd-fch\ntimeout 2000\n" + kOneSlot);
        INFO(describe(p->diagnostics));
        CHECK(p.status == Status::invalid_argument);
        CHECK(has_error(p->diagnostics, 2, refused));
        CHECK(find_diag(p->diagnostics, 2, "set again") == nullptr);  // a refused value sets nothing
        CHECK(p->watchdog == WatchdogChoice::i6300esb);  // the earlier value stays
        CHECK(p->timeout_s == 2000);                     // the rest of the file applies
        CHECK(finish_config(*p) == Status::ok);
        CHECK(p->diagnostics.errors == 1);
        REQUIRE(p->slot_count == 1);
    }
    SECTION("without an earlier value the default, auto, applies, with auto's timeout range") {
        auto p = parse("watchdog amd-fch\ntimeout 2000\n" + kOneSlot);
        CHECK(has_error(p->diagnostics, 1, refused));
        CHECK(p->watchdog == WatchdogChoice::auto_detect);
        CHECK(finish_config(*p) == Status::ok);
        INFO(describe(p->diagnostics));
        CHECK(has_error(p->diagnostics, 2, "timeout 2000 is outside what watchdog auto (may pick itco) can arm"));
        CHECK(p->timeout_s == 1227);
        CHECK(p->slot_count == 1);  // the slot still boots, protected by what auto finds
    }
    SECTION("in the load options: an error on line 0, the file's value stays") {
        auto p = parse("watchdog itco\n" + kOneSlot);
        REQUIRE(p.status == Status::ok);
        LoadOptions lo{};
        CHECK(parse_load_options("watchdog=amd-fch timeout=30", 27, lo, p->diagnostics) == Status::ok);
        CHECK(apply_load_options(lo, *p) == Status::invalid_argument);
        INFO(describe(p->diagnostics));
        CHECK(has_error(p->diagnostics, kNoLine, refused));
        CHECK(p->watchdog == WatchdogChoice::itco);
        CHECK(p->timeout_s == 30);  // the other words still apply
        CHECK(finish_config(*p) == Status::ok);
        CHECK(p->diagnostics.errors == 1);
        CHECK(p->slot_count == 1);
    }
}

TEST_CASE("config: diagnostics are bounded and counted", "[config]") {
    std::string text;
    for (int i = 0; i < 40; ++i) text += "bogus" + std::to_string(i) + "\n";
    text += "# a warning after the flood is counted too\ntries 3\ntries 4\n";
    auto p = parse(text);
    CHECK(p->diagnostics.count == kMaxDiagnostics);
    CHECK(p->diagnostics.errors == 40);
    CHECK(p->diagnostics.dropped == 40 + 1 - kMaxDiagnostics);
    CHECK(p->diagnostics.items[0].line == 1);
    CHECK(p->diagnostics.items[kMaxDiagnostics - 1].line == kMaxDiagnostics);
    CHECK(p->tries == 4);

    Diagnostics d{};
    const std::string longer(400, 'm');
    d.add(7, Severity::warning, longer.c_str());
    CHECK(d.count == 1);
    CHECK(d.errors == 0);
    CHECK(std::strlen(d.items[0].message) == kDiagnosticBytes - 1);
}

TEST_CASE("config: long values are cut in messages", "[config]") {
    auto p = parse("timeout " + std::string(300, '9') + "\n");
    REQUIRE(p->diagnostics.count == 1);
    std::string msg = p->diagnostics.items[0].message;
    CHECK(msg.find("timeout must be 5..2000 seconds, got '999") == 0);
    CHECK(msg.find("...'") != std::string::npos);
    CHECK(msg.size() < kDiagnosticBytes);
}

TEST_CASE("config: load options", "[config]") {
    auto run = [](const std::string& text, LoadOptions& lo, Diagnostics& d) {
        d = Diagnostics{};
        std::unique_ptr<char[]> copy(new char[text.size() + 1]);
        std::memcpy(copy.get(), text.data(), text.size());
        return parse_load_options(text.empty() ? nullptr : copy.get(), text.size(), lo, d);
    };
    LoadOptions lo{};
    Diagnostics d{};

    SECTION("empty") {
        CHECK(run("", lo, d) == Status::ok);
        CHECK(lo.config_path[0] == '\0');
        CHECK(lo.overrides[0] == '\0');
        CHECK(d.count == 0);
    }
    SECTION("config= and overrides, as efibootmgr --unicode writes one argument") {
        CHECK(run("config=\\EFI\\wdboot\\test.conf timeout=30 watchdog=none", lo, d) == Status::ok);
        CHECK(std::string(lo.config_path) == "\\EFI\\wdboot\\test.conf");
        CHECK(std::string(lo.overrides) == "timeout=30 watchdog=none");
        CHECK(d.count == 0);
    }
    SECTION("separate efibootmgr arguments are NUL-separated; a trailing NUL is tolerated") {
        const char raw[] = "config=/EFI/wdboot/t.conf\0tries=2\0\0";
        const std::string text(raw, sizeof(raw) - 1);
        CHECK(run(text, lo, d) == Status::ok);
        CHECK(std::string(lo.config_path) == "\\EFI\\wdboot\\t.conf");
        CHECK(std::string(lo.overrides) == "tries=2");
        CHECK(d.count == 0);
    }
    SECTION("the UEFI shell passes the image path first") {
        const char raw[] = "FS0:\\EFI\\wdboot\\wdbootx64.efi  on-exhausted=halt\0";
        const std::string text(raw, sizeof(raw) - 1);
        CHECK(run(text, lo, d) == Status::ok);
        CHECK(std::string(lo.overrides) == "on-exhausted=halt");
        CHECK(d.count == 0);
        CHECK(run("wdbootx64.EFI default=b", lo, d) == Status::ok);
        CHECK(std::string(lo.overrides) == "default=b");
        CHECK(d.count == 0);
    }
    SECTION("an .efi word that is not first is reported") {
        CHECK(run("timeout=30 other.efi", lo, d) == Status::ok);
        CHECK(has_warning(d, kNoLine, "load option 'other.efi' ignored: expected key=value"));
    }
    SECTION("unknown and slot keys are warnings, a bad path an error") {
        CHECK(run("quiet linux=\\k bogus=1 config=relative.conf", lo, d) == Status::invalid_argument);
        CHECK(has_warning(d, kNoLine, "load option 'quiet' ignored"));
        CHECK(has_warning(d, kNoLine, "load option 'linux=\\k' ignored: only config= and global keys"));
        CHECK(has_warning(d, kNoLine, "load option 'bogus=1' ignored"));
        CHECK(has_error(d, kNoLine, "config= path must start with '\\' or '/', got 'relative.conf'"));
        CHECK(lo.config_path[0] == '\0');
        CHECK(lo.overrides[0] == '\0');
    }
    SECTION("config= twice: the last wins") {
        CHECK(run("config=\\a.conf config=\\b.conf", lo, d) == Status::ok);
        CHECK(std::string(lo.config_path) == "\\b.conf");
        CHECK(has_warning(d, kNoLine, "config= given twice"));
    }
    SECTION("overrides that do not fit are errors") {
        std::string text;
        for (int i = 0; i < 120; ++i) text += "timeout=" + std::to_string(100 + i) + " ";
        CHECK(run(text, lo, d) == Status::invalid_argument);
        CHECK(has_error(d, kNoLine, "load options too long"));
        CHECK(std::strlen(lo.overrides) <= kOptionsMax - 1);
    }
}

TEST_CASE("config: load-option overrides validate like the file and win over it", "[config]") {
    auto p = parse("timeout 60\nwatchdog i6300esb\ndefault a\nslot a\nlinux \\k\nslot b\nlinux \\k\n");
    REQUIRE(p.status == Status::ok);
    LoadOptions lo{};
    CHECK(parse_load_options("timeout=30 watchdog=none default=b tries=7 watchdog-required=yes", 64, lo,
                             p->diagnostics) == Status::ok);
    CHECK(apply_load_options(lo, *p) == Status::ok);
    CHECK(p->timeout_s == 30);
    CHECK(p->watchdog == WatchdogChoice::none);
    CHECK(std::string(p->default_slot) == "b");
    CHECK(p->tries == 7);
    CHECK(p->watchdog_required);
    CHECK(finish_config(*p) == Status::ok);
    CHECK(has_warning(p->diagnostics, kNoLine, "refuse to boot"));

    // The issue 9 keys are overrides too (a kernel under test: no crash-loop demotion,
    // a longer look at the panic).
    auto r = parse(kOneSlot);
    LoadOptions lr{};
    const char more[] = "runtime-crashes=off panic-timeout=60";
    CHECK(parse_load_options(more, sizeof(more) - 1, lr, r->diagnostics) == Status::ok);
    CHECK(apply_load_options(lr, *r) == Status::ok);
    CHECK(r->runtime_crash_limit == 0);
    CHECK(r->panic_timeout_s == 60);

    auto q = parse("timeout 60\n" + kOneSlot);
    LoadOptions bad{};
    const char text[] = "timeout=3 tries=0 on-exhausted=never timeout= default=zz";
    CHECK(parse_load_options(text, sizeof(text) - 1, bad, q->diagnostics) == Status::ok);
    CHECK(apply_load_options(bad, *q) == Status::invalid_argument);
    CHECK(has_error(q->diagnostics, kNoLine, "timeout must be 5..2000 seconds, got '3'"));
    CHECK(has_error(q->diagnostics, kNoLine, "tries must be 1..100, got '0'"));
    CHECK(has_error(q->diagnostics, kNoLine, "on-exhausted must be"));
    CHECK(has_error(q->diagnostics, kNoLine, "'timeout' needs a value"));
    CHECK(q->timeout_s == 60);  // the file's value stays
    CHECK(q->tries == kDefaultTries);
    // The default came from the load options, so its warning is on line 0.
    CHECK(finish_config(*q) == Status::ok);
    CHECK(has_warning(q->diagnostics, kNoLine, "default slot 'zz' does not exist"));

    LoadOptions unterminated{};
    std::memset(unterminated.overrides, 'x', sizeof(unterminated.overrides));
    CHECK(apply_load_options(unterminated, *q) == Status::invalid_argument);
}

TEST_CASE("config: to_string uses the config spellings", "[config]") {
    CHECK(std::string(to_string(ImageKind::linux_efi)) == "linux");
    CHECK(std::string(to_string(ImageKind::efi_app)) == "efi");
    CHECK(std::string(to_string(ImageKind::boot_entry)) == "bootentry");
    CHECK(std::string(to_string(OnExhausted::last_good)) == "last-good");
    CHECK(std::string(to_string(OnExhausted::halt)) == "halt");
    CHECK(std::string(to_string(WatchdogChoice::auto_detect)) == "auto");
    CHECK(std::string(to_string(WatchdogChoice::wdat)) == "wdat");
    CHECK(std::string(to_string(static_cast<WatchdogChoice>(77))) == "unknown");
}

TEST_CASE("config: the example in docs/config.md parses as documented", "[config]") {
    const std::string file = read_file(WDBOOT_TEST_DATA "/configs/example.conf");
    const std::string doc = read_file(WDBOOT_TEST_DATA "/../../docs/config.md");
    // The doc quotes the file verbatim inside a code block.
    CHECK(doc.find("```\n" + file + "```\n") != std::string::npos);

    auto p = parse(file);
    INFO(describe(p->diagnostics));
    CHECK(p.status == Status::ok);
    CHECK(finish_config(*p) == Status::ok);
    CHECK(p->diagnostics.count == 0);
    CHECK(p->timeout_s == 60);
    CHECK(p->tries == 3);
    CHECK(p->watchdog == WatchdogChoice::auto_detect);
    CHECK_FALSE(p->watchdog_required);
    CHECK(p->on_exhausted == OnExhausted::rescue);
    CHECK(std::string(p->default_slot) == "primary");
    REQUIRE(p->slot_count == 4);

    const SlotConfig& primary = p->slots[0];
    CHECK(std::string(primary.name) == "primary");
    CHECK(primary.kind == ImageKind::linux_efi);
    CHECK(std::string(primary.path) == "\\EFI\\debian\\vmlinuz-6.1.0-18-amd64");
    REQUIRE(primary.initrd_count == 1);
    CHECK(std::string(primary.initrds[0]) == "\\EFI\\debian\\initrd.img-6.1.0-18-amd64");
    CHECK(std::string(primary.options) == "root=PARTUUID=6a1bc7d2-02 ro quiet");
    CHECK(p->tries_for(primary) == 3);
    CHECK_FALSE(primary.rescue);

    const SlotConfig& fallback = p->slots[1];
    CHECK(std::string(fallback.name) == "fallback");
    CHECK(std::string(fallback.path) == "\\EFI\\debian\\vmlinuz-6.1.0-17-amd64");
    CHECK(std::string(fallback.initrds[0]) == "\\EFI\\debian\\initrd.img-6.1.0-17-amd64");
    CHECK(std::string(fallback.options) == "root=PARTUUID=6a1bc7d2-02 ro");
    CHECK(p->tries_for(fallback) == 2);

    const SlotConfig& shell = p->slots[2];
    CHECK(shell.kind == ImageKind::efi_app);
    CHECK(std::string(shell.path) == "\\EFI\\tools\\shellx64.efi");
    CHECK(p->tries_for(shell) == 1);

    const SlotConfig& recovery = p->slots[3];
    CHECK(recovery.kind == ImageKind::boot_entry);
    CHECK(recovery.boot_entry == 0x000A);
    CHECK(recovery.rescue);
}

TEST_CASE("config: the broken example in docs/config.md gives the documented messages", "[config]") {
    const std::string file = read_file(WDBOOT_TEST_DATA "/configs/broken.conf");
    const std::string doc = read_file(WDBOOT_TEST_DATA "/../../docs/config.md");
    CHECK(doc.find("```\n" + file + "```\n") != std::string::npos);

    auto p = parse(file);
    CHECK(p.status == Status::invalid_argument);
    CHECK(finish_config(*p) == Status::ok);
    REQUIRE(p->slot_count == 1);
    CHECK(std::string(p->slots[0].name) == "fallback");
    CHECK(p->slots[0].kind == ImageKind::linux_efi);
    CHECK(p->watchdog == WatchdogChoice::i6300esb);
    CHECK(p->tries == kDefaultTries);
    CHECK(p->diagnostics.count == 6);
    // Every message, as the doc prints it, is in the doc.
    std::istringstream lines(describe(p->diagnostics));
    std::string line;
    while (std::getline(lines, line)) {
        INFO(line);
        CHECK(doc.find(line) != std::string::npos);
    }
}

// Random lines built from config words and hostile bytes: whatever comes in, the
// result keeps its invariants. The libFuzzer target explores further; this runs in
// every unit-test run, under ASan/UBSan in CI.
TEST_CASE("config: random input keeps the invariants", "[config]") {
    const char* words[] = {"slot", "linux", "efi", "initrd", "options", "tries", "rescue", "bootentry",
                           "timeout", "watchdog", "watchdog-required", "on-exhausted", "default", "#",
                           "a", "b", "primary", "\\k", "/x/y", "0003", "yes", "none", "30", "0", "101",
                           "=", "\r", "\t", " ", "\n", "\n", "\n", "<NUL>",
                           "\xff", "abcdefghijklmnopq", "\xEF\xBB\xBF", "\xc3\xa9", "itco", "auto",
                           "1500", "2000"};
    std::mt19937 rng(20261125);
    std::uniform_int_distribution<size_t> pick(0, sizeof(words) / sizeof(words[0]) - 1);
    std::uniform_int_distribution<int> length(0, 120);
    auto p = std::make_unique<Config>();
    for (int round = 0; round < 3000; ++round) {
        std::string text;
        int n = length(rng);
        for (int i = 0; i < n; ++i) {
            size_t w = pick(rng);
            text += std::strcmp(words[w], "<NUL>") == 0 ? std::string(1, '\0') : std::string(words[w]);
            if (i % 2 == 0) text += ' ';
        }
        config_defaults(*p);
        std::unique_ptr<char[]> copy(new char[text.size() + 1]);
        std::memcpy(copy.get(), text.data(), text.size());
        Status s = parse_config(copy.get(), text.size(), *p);
        LoadOptions lo{};
        (void)parse_load_options(copy.get(), text.size(), lo, p->diagnostics);
        (void)apply_load_options(lo, *p);
        Status f = finish_config(*p);

        INFO(text);
        REQUIRE(p->slot_count <= kMaxSlots);
        REQUIRE(p->diagnostics.count <= kMaxDiagnostics);
        REQUIRE((s == Status::ok || s == Status::invalid_argument));
        REQUIRE((f == Status::ok) == (p->slot_count > 0));
        REQUIRE(p->timeout_s >= kMinTimeoutSeconds);
        REQUIRE(p->timeout_s <= kMaxTimeoutSeconds);
        REQUIRE(p->tries >= 1);
        REQUIRE(p->tries <= kMaxTries);
        const WatchdogLimits limits = watchdog_limits(p->watchdog);
        REQUIRE(p->timeout_s >= limits.min_timeout_s);
        REQUIRE(p->timeout_s <= limits.max_timeout_s);
        for (uint8_t i = 0; i < p->slot_count; ++i) {
            const SlotConfig& slot = p->slots[i];
            if (limits.args_length > 0) REQUIRE(std::strlen(slot.options) + 1 + limits.args_length <= kOptionsMax - 1);
            REQUIRE(is_valid_slot_name(slot.name));
            REQUIRE(p->find(slot.name) == i);
            REQUIRE(slot.kind != ImageKind::none);
            REQUIRE(slot.tries <= kMaxTries);
            REQUIRE(slot.initrd_count <= kMaxInitrds);
            if (slot.kind != ImageKind::linux_efi) REQUIRE(slot.initrd_count == 0);
            if (slot.kind != ImageKind::boot_entry) REQUIRE(slot.path[0] == '\\');
        }
        if (p->default_slot[0] != '\0') REQUIRE(p->find(p->default_slot) != kNoSlot);
        // Stanza ranges: in file order, never overlapping.
        for (uint8_t i = 0; i < p->slot_count; ++i) {
            REQUIRE(p->slots[i].line >= 1);
            REQUIRE(p->slots[i].last_line >= p->slots[i].line);
            if (i > 0) REQUIRE(p->slots[i].line > p->slots[i - 1].last_line);
        }
    }
}

TEST_CASE("config: early-timeout needs a shorter deadline and a driver that hands over", "[config]") {
    SECTION("shorter than timeout, with a hand-off driver: kept, no message") {
        for (const char* wd : {"auto", "itco"}) {
            INFO(wd);
            auto p = parse(std::string("timeout 120\nearly-timeout 30\nwatchdog ") + wd + "\n" + kOneSlot);
            CHECK(finish_config(*p) == Status::ok);
            INFO(describe(p->diagnostics));
            CHECK(p->diagnostics.count == 0);
            CHECK(p->early_timeout_s == 30);
        }
    }
    SECTION("not shorter than timeout: off, with a warning on its line") {
        auto p = parse("timeout 60\nearly-timeout 60\n" + kOneSlot);
        CHECK(finish_config(*p) == Status::ok);
        CHECK(has_warning(p->diagnostics, 2, "early-timeout 60 is not shorter than timeout 60; early-timeout off"));
        CHECK(p->early_timeout_s == kEarlyTimeoutOff);
    }
    SECTION("the smallest value, 5 s, is one every hand-off driver can arm") {
        // itco arms 4.8 s at least: whole seconds from 5, the global minimum.
        auto p = parse("timeout 60\nearly-timeout 5\nwatchdog itco\n" + kOneSlot);
        CHECK(finish_config(*p) == Status::ok);
        INFO(describe(p->diagnostics));
        CHECK(p->diagnostics.errors == 0);
        CHECK(p->early_timeout_s == 5);
    }
    SECTION("a driver whose module stops the timer: warned, one deadline") {
        auto p = parse("timeout 60\nearly-timeout 20\nwatchdog i6300esb\n" + kOneSlot);
        CHECK(finish_config(*p) == Status::ok);
        CHECK(has_warning(p->diagnostics, 2, "early-timeout 20 has no effect with watchdog i6300esb"));
    }
    SECTION("the load options can set it") {
        auto p = parse("timeout 60\n" + kOneSlot);
        const std::string words = "early-timeout=15";
        LoadOptions lo{};
        Diagnostics d{};
        REQUIRE(parse_load_options(words.c_str(), words.size(), lo, d) == Status::ok);
        REQUIRE(apply_load_options(lo, *p) == Status::ok);
        CHECK(finish_config(*p) == Status::ok);
        CHECK(p->early_timeout_s == 15);
    }
}
